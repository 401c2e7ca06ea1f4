"""an import uses its list's Role column only when the admin chose to: ``role_column``

Revision ID: b5c6d7e80010
Revises: a4b5c6d70009
Create Date: 2026-12-03 06:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b5c6d7e80010"
down_revision = "a4b5c6d70009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Imports made before used the column whenever a list had one: they keep doing so.
    with op.batch_alter_table("invitation_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role_column", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text("UPDATE invitation_imports SET role_column = true"))


def downgrade() -> None:
    with op.batch_alter_table("invitation_imports", schema=None) as batch_op:
        batch_op.drop_column("role_column")
