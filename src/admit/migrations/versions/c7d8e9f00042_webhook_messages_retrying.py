"""Webhook messages tried and failed, and to be tried again, are ``retrying``

Such a message was ``queued`` with ``attempts`` above 0; ``queued`` now means not tried yet. The
rows waiting for another attempt are marked ``retrying``; going down marks them ``queued`` again.

Revision ID: c7d8e9f00042
Revises: b6c7d8e90041
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision = "c7d8e9f00042"
down_revision = "b6c7d8e90041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE webhook_messages SET status = 'retrying' WHERE status = 'queued' AND attempts > 0")


def downgrade() -> None:
    op.execute("UPDATE webhook_messages SET status = 'queued' WHERE status = 'retrying'")
