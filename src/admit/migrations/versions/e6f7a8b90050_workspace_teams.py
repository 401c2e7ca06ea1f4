"""A team or client group added to a workspace is recorded as added (``workspace_teams``), so its
row in the Members panel shows even when all its people were there already and none came "via"
it. Teams already in a workspace through someone who came with them are recorded too; then
someone taken out of a team before (by an HR sync or a SCIM group, which left it) no longer
counts as having come "via" it: they are in the workspace on their own, as taking someone out
of a team leaves them now.

Revision ID: e6f7a8b90050
Revises: d5e6f7a80049
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "e6f7a8b90050"
down_revision = "d5e6f7a80049"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_teams",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("workspace_id", "team_id"),
    )
    op.create_index("ix_workspace_teams_team_id", "workspace_teams", ["team_id"])
    op.execute(
        "INSERT INTO workspace_teams (workspace_id, team_id, created_at) "
        "SELECT workspace_id, via_team_id, MIN(created_at) FROM workspace_members "
        "WHERE via_team_id IS NOT NULL GROUP BY workspace_id, via_team_id"
    )
    op.execute(
        "UPDATE workspace_members SET via_team_id = NULL WHERE via_team_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM team_members tm WHERE tm.team_id = workspace_members.via_team_id "
        "AND tm.user_id = workspace_members.user_id)"
    )


def downgrade() -> None:
    op.drop_index("ix_workspace_teams_team_id", table_name="workspace_teams")
    op.drop_table("workspace_teams")
