"""teams, client groups and flow roles can be deleted: ``deleted_at``, names unique among the live

A deleted team or role keeps its row (workspace memberships that came through a team, a role's
assignment history and the audit log still point at it); its name is free again, so the unique
constraints become unique indexes over the rows not deleted.

Revision ID: e8f9a0b10013
Revises: d7e8f9a00012
Create Date: 2026-12-04 09:00:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "e8f9a0b10013"
down_revision = "d7e8f9a00012"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", UTCDateTime(), nullable=True))
        batch_op.drop_constraint("uq_teams_portal_kind_name", type_="unique")
    op.create_index(
        "uq_teams_portal_kind_name",
        "teams",
        ["portal_id", "kind", "name"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    with op.batch_alter_table("workspace_roles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", UTCDateTime(), nullable=True))
        batch_op.drop_constraint("uq_workspace_roles_workspace_name", type_="unique")
    op.create_index(
        "uq_workspace_roles_workspace_name",
        "workspace_roles",
        ["workspace_id", "name"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    # Deleted rows would break the old constraints (a name reused after a delete): they go.
    op.execute("DELETE FROM workspace_roles WHERE deleted_at IS NOT NULL")
    op.execute("DELETE FROM teams WHERE deleted_at IS NOT NULL")
    op.drop_index("uq_workspace_roles_workspace_name", table_name="workspace_roles")
    with op.batch_alter_table("workspace_roles", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_workspace_roles_workspace_name", ["workspace_id", "name"])
        batch_op.drop_column("deleted_at")
    op.drop_index("uq_teams_portal_kind_name", table_name="teams")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_teams_portal_kind_name", ["portal_id", "kind", "name"])
        batch_op.drop_column("deleted_at")
