"""A bulk job keeps the address whoever started it acted from (``bulk_jobs.ip``): each person's
audit event shows it, as when done one by one.

Revision ID: e7f809010035
Revises: d6e7f8090034
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e7f809010035"
down_revision = "d6e7f8090034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulk_jobs") as batch:
        batch.add_column(sa.Column("ip", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bulk_jobs") as batch:
        batch.drop_column("ip")
