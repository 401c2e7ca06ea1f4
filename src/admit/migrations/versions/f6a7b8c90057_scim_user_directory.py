"""A SCIM user keeps the connection that provisioned or took over the person
(``scim_users.directory``, "SCIM (Okta)"): a reactivation in Admit that the directory would undo
is refused naming it.

Revision ID: f6a7b8c90057
Revises: a1b2c3d40052
Create Date: 2026-12-07 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f6a7b8c90057"
down_revision = "a1b2c3d40052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scim_users") as batch:
        batch.add_column(sa.Column("directory", sa.String(120), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("scim_users") as batch:
        batch.drop_column("directory")
