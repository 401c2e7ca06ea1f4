"""Idempotency keys of the API's creating operations (``POST …/invitations`` and others): per
portal, caller (the API key or the user) and key, the request's hash and its answer, kept 24 hours

Revision ID: c9d0e1f20060
Revises: b8c9d0e10059
Create Date: 2026-12-07 23:15:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "c9d0e1f20060"
down_revision = "b8c9d0e10059"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("portal_id", sa.Uuid(), nullable=False),
        sa.Column("caller_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_idempotency_keys_caller_key", "idempotency_keys", ["portal_id", "caller_id", "key"], unique=True
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_index("uq_idempotency_keys_caller_key", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
