"""What made an invitation import when no person did: ``invitation_imports.inviter_label`` (an
HR sync on auto-pilot, "BambooHR"), which its invitations name as their inviter.

Revision ID: a2b3c4d50046
Revises: f1a2b3c40045
Create Date: 2026-12-06 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a2b3c4d50046"
down_revision = "f1a2b3c40045"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no rebuild): imports made before name no one, as they did.
    op.add_column("invitation_imports", sa.Column("inviter_label", sa.String(120), nullable=True))


def downgrade() -> None:
    op.drop_column("invitation_imports", "inviter_label")  # SQLite 3.35+: a plain DROP COLUMN
