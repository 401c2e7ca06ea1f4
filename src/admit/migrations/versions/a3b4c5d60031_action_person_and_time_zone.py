"""Actions get a description and may be assigned to a person; portals get a time zone

Revision ID: a3b4c5d60031
Revises: f2a3b4c50030
Create Date: 2026-12-04 05:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a3b4c5d60031"
down_revision = "f2a3b4c50030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # workspace_actions is a leaf (nothing references it): rebuilding it on SQLite loses nothing.
    with op.batch_alter_table("workspace_actions") as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("assignee_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_workspace_actions_assignee_id_users", "users", ["assignee_id"], ["id"], ondelete="SET NULL"
        )
    # portals has children: a plain ADD COLUMN (a SQLite rebuild would cascade deletes).
    op.add_column(
        "portals", sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC")
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): rebuilding portals would cascade deletes to its children.
    op.drop_column("portals", "time_zone")
    with op.batch_alter_table("workspace_actions") as batch_op:
        batch_op.drop_constraint("fk_workspace_actions_assignee_id_users", type_="foreignkey")
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("description")
