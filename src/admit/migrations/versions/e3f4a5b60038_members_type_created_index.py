"""The roster's newest-first page of one type of member (User Management's tabs)

Revision ID: e3f4a5b60038
Revises: d2e3f4a50037
Create Date: 2026-12-05 16:00:00
"""

from alembic import op

revision = "e3f4a5b60038"
down_revision = "d2e3f4a50037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_members_portal_type_created", "members", ["portal_id", "user_type", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_members_portal_type_created", table_name="members")
