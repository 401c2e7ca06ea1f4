"""Who invited a member when no person did: ``members.inviter_label`` ("SCIM (Okta)",
"BambooHR"), their accepted invitation's, which User Management's Invited by shows.

Revision ID: b3c4d5e60047
Revises: a2b3c4d50046
Create Date: 2026-12-06 17:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b3c4d5e60047"
down_revision = "a2b3c4d50046"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("members", sa.Column("inviter_label", sa.String(120), nullable=True))
    # Members who joined already by an invitation no person made are named by it, as they will be.
    op.execute(
        "UPDATE members SET inviter_label = (SELECT i.inviter_label FROM invitations i"
        " WHERE i.member_id = members.id AND i.inviter_label IS NOT NULL"
        " ORDER BY i.accepted_at DESC LIMIT 1)"
        " WHERE members.invited_by_id IS NULL AND members.joined_via = 'invitation'"
    )


def downgrade() -> None:
    op.drop_column("members", "inviter_label")  # SQLite 3.35+: a plain DROP COLUMN
