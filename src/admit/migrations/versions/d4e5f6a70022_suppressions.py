"""Suppressions: addresses a portal no longer writes to (hard bounces, spam complaints)

Revision ID: d4e5f6a70022
Revises: c3d4e5f60021
Create Date: 2026-12-03 18:40:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "d4e5f6a70022"
down_revision = "c3d4e5f60021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("portal_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"], ["portals.id"], name=op.f("fk_suppressions_portal_id_portals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
    )
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.create_index("uq_suppressions_portal_address", ["portal_id", "address"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.drop_index("uq_suppressions_portal_address")
    op.drop_table("suppressions")
