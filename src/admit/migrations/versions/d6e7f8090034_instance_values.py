"""Values about the installation as a whole: where ``admit serve`` answers (``admit.served``), for
the other processes of a development machine.

Revision ID: d6e7f8090034
Revises: c5d6e7f80033
Create Date: 2026-12-04 18:50:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "d6e7f8090034"
down_revision = "c5d6e7f80033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_values",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("instance_values")
