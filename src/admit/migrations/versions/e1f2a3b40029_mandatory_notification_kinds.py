"""Kinds of optional messages a portal makes mandatory

Revision ID: e1f2a3b40029
Revises: f7a8b9c00025
Create Date: 2026-12-04 03:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e1f2a3b40029"
down_revision = "f7a8b9c00025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mandatory_notification_kinds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("portal_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portals.id"],
            name=op.f("fk_mandatory_notification_kinds_portal_id_portals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandatory_notification_kinds")),
        sa.UniqueConstraint("portal_id", "kind", name="uq_mandatory_notification_kinds_portal_kind"),
    )


def downgrade() -> None:
    op.drop_table("mandatory_notification_kinds")
