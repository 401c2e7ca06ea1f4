"""Where you are signed in: a browser session keeps its browser's User-Agent (cut to 400
characters) and when it was last seen (written at most every 10 minutes). Sessions already
signed in were last seen, as far as anyone knows, when they signed in.

Revision ID: f1a2b3c40045
Revises: d8e9f0a10043
Create Date: 2026-12-06 16:30:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "f1a2b3c40045"
down_revision = "d8e9f0a10043"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("user_agent", sa.String(length=400), nullable=True))
        batch.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE web_sessions SET last_seen_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("last_seen_at")
        batch.drop_column("user_agent")
