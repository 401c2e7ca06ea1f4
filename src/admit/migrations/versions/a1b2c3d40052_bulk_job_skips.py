"""A bulk job keeps who it skipped and why (``bulk_jobs.skips``): the page names them, where it
said only "1 skipped: 1 sent enough messages for now".

Revision ID: a1b2c3d40052
Revises: f7a8b9c00051
Create Date: 2026-12-07 03:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d40052"
down_revision = "f7a8b9c00051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulk_jobs") as batch:
        batch.add_column(sa.Column("skips", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bulk_jobs") as batch:
        batch.drop_column("skips")
