"""A client group keeps the name typed for someone put in it uninvited (``team_members.name``):
the name their invitation gets when the group goes into a workspace in a later request.

Revision ID: f7a8b9c00051
Revises: e6f7a8b90050
Create Date: 2026-12-07 01:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f7a8b9c00051"
down_revision = "e6f7a8b90050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("team_members") as batch:
        batch.add_column(sa.Column("name", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("team_members") as batch:
        batch.drop_column("name")
