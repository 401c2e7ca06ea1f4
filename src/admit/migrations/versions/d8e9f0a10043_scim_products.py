"""The products a SCIM client's new people get (Settings → SCIM): ``portals.scim_products``

Revision ID: d8e9f0a10043
Revises: e0f1a2b30043
Create Date: 2026-12-06 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d8e9f0a10043"
down_revision = "e0f1a2b30043"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: portals keep giving SCIM invitations no products, as they did.
    op.add_column("portals", sa.Column("scim_products", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    op.drop_column("portals", "scim_products")
