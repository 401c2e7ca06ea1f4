"""A redelivered webhook message keeps its count of attempts (``attempts`` agrees with its
attempt log, where Redeliver set it to 0); ``round_from`` is the count at the latest Redeliver,
from which the retry schedule counts again.

Revision ID: d5e6f7a80049
Revises: c4d5e6f70048
Create Date: 2026-12-06 21:35:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d5e6f7a80049"
down_revision = "c4d5e6f70048"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Messages redelivered before counted from 0 again: their round began at 0.
    op.add_column(
        "webhook_messages", sa.Column("round_from", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    op.drop_column("webhook_messages", "round_from")
