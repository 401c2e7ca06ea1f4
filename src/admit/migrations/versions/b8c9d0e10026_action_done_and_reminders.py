"""Actions: marked done (by whom), and when their due and overdue reminders went out

Revision ID: b8c9d0e10026
Revises: a7b8c9d00025
Create Date: 2026-12-04 02:40:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "b8c9d0e10026"
down_revision = "a7b8c9d00025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild on SQLite: a rebuild of a table others point at with
    # ON DELETE CASCADE would empty them).
    op.add_column("workspace_actions", sa.Column("done_at", UTCDateTime(), nullable=True))
    op.add_column("workspace_actions", sa.Column("done_by_id", sa.Uuid(), nullable=True))
    op.add_column("workspace_actions", sa.Column("due_reminded_at", UTCDateTime(), nullable=True))
    op.add_column("workspace_actions", sa.Column("overdue_reminded_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspace_actions", schema=None) as batch_op:
        batch_op.drop_column("overdue_reminded_at")
        batch_op.drop_column("due_reminded_at")
        batch_op.drop_column("done_by_id")
        batch_op.drop_column("done_at")
