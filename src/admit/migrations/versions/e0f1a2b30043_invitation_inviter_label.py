"""Who made an invitation when no person did: ``invitations.inviter_label`` ("SCIM (Okta)")

Revision ID: e0f1a2b30043
Revises: c7d8e9f00042
Create Date: 2026-12-06 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e0f1a2b30043"
down_revision = "c7d8e9f00042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no rebuild): invitations made before name no one, as they did.
    op.add_column("invitations", sa.Column("inviter_label", sa.String(120), nullable=True))


def downgrade() -> None:
    op.drop_column("invitations", "inviter_label")  # SQLite 3.35+: a plain DROP COLUMN
