"""The interaction panel: workspace messages (mentions as user ids) and read marks

Revision ID: a7b8c9d00025
Revises: f6a7b8c90024
Create Date: 2026-12-04 02:30:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "a7b8c9d00025"
down_revision = "f6a7b8c90024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_workspace_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_messages_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_messages")),
    )
    with op.batch_alter_table("workspace_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workspace_messages_workspace_created", ["workspace_id", "created_at"], unique=False
        )
    op.create_table(
        "workspace_reads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_workspace_reads_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_reads_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_reads")),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_workspace_reads_workspace_user"),
    )
    with op.batch_alter_table("workspace_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workspace_reads_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("workspace_reads")
    with op.batch_alter_table("workspace_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_workspace_messages_workspace_created")
    op.drop_table("workspace_messages")
