"""indexes for User Management at scale: the roster's newest-first page of members, and its
counts by type, status and role read from the indexes alone

Revision ID: f3a4b5c60008
Revises: e2f3a4b50007
Create Date: 2026-12-03 07:00:00
"""

from alembic import op

revision = "f3a4b5c60008"
down_revision = "e2f3a4b50007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_members_portal_created", "members", ["portal_id", "created_at"])
    op.create_index("ix_members_portal_kind", "members", ["portal_id", "user_type", "status", "role"])
    op.create_index(
        "ix_invitations_portal_kind",
        "invitations",
        ["portal_id", "user_type", "status", "role", "expires_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_invitations_portal_kind", table_name="invitations")
    op.drop_index("ix_members_portal_kind", table_name="members")
    op.drop_index("ix_members_portal_created", table_name="members")
