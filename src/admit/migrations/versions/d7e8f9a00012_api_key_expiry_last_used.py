"""API keys: an optional expiry, and when each was last used (Settings → API keys)

Revision ID: d7e8f9a00012
Revises: c6d7e8f90011
Create Date: 2026-12-03 07:40:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "d7e8f9a00012"
down_revision = "c6d7e8f90011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
