"""The products joining through a portal's invite link gives

Revision ID: a5b6c7d80040
Revises: f4a5b6c70039
Create Date: 2026-12-05 17:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a5b6c7d80040"
down_revision = "f4a5b6c70039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no rebuild): links made before give no products, as they did.
    op.add_column("invite_links", sa.Column("products", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    op.drop_column("invite_links", "products")  # SQLite 3.35+: a plain DROP COLUMN
