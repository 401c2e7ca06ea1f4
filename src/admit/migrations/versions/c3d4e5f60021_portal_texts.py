"""Portal texts (Settings → Texts): the countries whose numbers may be texted and the texts a
day at most

Revision ID: c3d4e5f60021
Revises: b2c3d4e50020
Create Date: 2026-12-03 18:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3d4e5f60021"
down_revision = "b2c3d4e50020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sms_countries", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("sms_daily_budget", sa.Integer(), server_default="100", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("portals", schema=None) as batch_op:
        batch_op.drop_column("sms_daily_budget")
        batch_op.drop_column("sms_countries")
