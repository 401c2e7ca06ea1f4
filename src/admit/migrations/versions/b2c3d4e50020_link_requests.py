"""Link requests: a sign-in or password-reset link asked for, written by the request whoever
asked and turned into a message (or nothing) by the worker

Revision ID: b2c3d4e50020
Revises: a1b2c3d40019
Create Date: 2026-12-03 18:00:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "b2c3d4e50020"
down_revision = "a1b2c3d40019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("next_path", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_requests")),
    )
    with op.batch_alter_table("link_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_requests_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_requests_created_at"))
    op.drop_table("link_requests")
