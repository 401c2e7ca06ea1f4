"""Portal brand: an accent colour and a logo (Settings), the logo's image in a table of its own

Revision ID: f9a0b1c20014
Revises: e8f9a0b10013
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "f9a0b1c20014"
down_revision = "e8f9a0b10013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand_color", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("logo_key", sa.String(length=40), nullable=True))
    op.create_table(
        "portal_logos",
        sa.Column("portal_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("portal_id"),
    )


def downgrade() -> None:
    op.drop_table("portal_logos")
    with op.batch_alter_table("portals", schema=None) as batch_op:
        batch_op.drop_column("logo_key")
        batch_op.drop_column("brand_color")
