"""Invitation reminders: the portal's schedule (Settings), each invitation's next reminder, and
the indexes the worker's reminder step and the inviters' daily digest scan

Revision ID: c3d4e5f60017
Revises: f9a0b1c20014
Create Date: 2026-12-06 09:00:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "c3d4e5f60017"
down_revision = "f9a0b1c20014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("invitation_reminders", sa.Integer(), server_default="2", nullable=False)
        )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_reminder_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reminders_sent", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_reminded_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            "ix_invitations_next_reminder",
            ["next_reminder_at"],
            unique=False,
            sqlite_where=sa.text("next_reminder_at IS NOT NULL"),
            postgresql_where=sa.text("next_reminder_at IS NOT NULL"),
        )
        batch_op.create_index("ix_invitations_expires", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_expires")
        batch_op.drop_index(
            "ix_invitations_next_reminder",
            sqlite_where=sa.text("next_reminder_at IS NOT NULL"),
            postgresql_where=sa.text("next_reminder_at IS NOT NULL"),
        )
        batch_op.drop_column("last_reminded_at")
        batch_op.drop_column("reminders_sent")
        batch_op.drop_column("next_reminder_at")
    with op.batch_alter_table("portals", schema=None) as batch_op:
        batch_op.drop_column("invitation_reminders")
