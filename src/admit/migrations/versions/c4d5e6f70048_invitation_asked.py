"""An invitation made by approving a request to join a workspace says so in every email of it:
``invitations.asked``, where its resends and reminders showed the words "You asked to join the
workspace … Your request was approved." as the inviter's personal message.

Revision ID: c4d5e6f70048
Revises: b3c4d5e60047
Create Date: 2026-12-06 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c4d5e6f70048"
down_revision = "b3c4d5e60047"
branch_labels = None
depends_on = None

# The words the approval wrote into the message before this column (``flows.join_requests``).
_ASKED = "You asked to join the workspace “%”. Your request was approved."


def upgrade() -> None:
    op.add_column("invitations", sa.Column("asked", sa.Boolean(), nullable=False, server_default=sa.false()))
    invitations = sa.table("invitations", sa.column("asked", sa.Boolean()), sa.column("message", sa.Text()))
    op.execute(
        invitations.update().where(invitations.c.message.like(_ASKED)).values(asked=sa.true(), message="")
    )


def downgrade() -> None:
    op.drop_column("invitations", "asked")  # SQLite 3.35+: a plain DROP COLUMN
