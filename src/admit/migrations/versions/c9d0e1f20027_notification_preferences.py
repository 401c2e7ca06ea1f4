"""Notification preferences: a person's choice per kind of optional message

Revision ID: c9d0e1f20027
Revises: b8c9d0e10026
Create Date: 2026-12-04 02:50:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "c9d0e1f20027"
down_revision = "b8c9d0e10026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_kind"),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
