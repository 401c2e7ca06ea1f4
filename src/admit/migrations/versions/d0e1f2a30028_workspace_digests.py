"""Activity digests: when each person was last sent a workspace's summary

Revision ID: d0e1f2a30028
Revises: c9d0e1f20027
Create Date: 2026-12-04 03:00:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "d0e1f2a30028"
down_revision = "c9d0e1f20027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_digests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_workspace_digests_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_digests_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_digests")),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_workspace_digests_workspace_user"),
    )


def downgrade() -> None:
    op.drop_table("workspace_digests")
