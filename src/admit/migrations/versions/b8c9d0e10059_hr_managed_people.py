"""An HR connection records whom it manages (``hr_employees.managed``): only they are
deactivated when they leave its list, where a sync deactivated anyone it had seen in the list,
someone who joined by an ordinary invitation included. ``hr_connections.manage_existing``: the
admin's choice to link people a sync finds already in the portal.

Existing rows are managed when one of the connection's runs invited them (an invitation of its
import at their address); anyone else is left alone until the admin links them.

Revision ID: b8c9d0e10059
Revises: e5f6a7b80056
Create Date: 2026-12-07 06:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b8c9d0e10059"
down_revision = "e5f6a7b80056"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hr_employees") as batch:
        batch.add_column(sa.Column("managed", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("hr_connections") as batch:
        batch.add_column(
            sa.Column("manage_existing", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        sa.text(
            "UPDATE hr_employees SET managed = :yes WHERE EXISTS ("
            " SELECT 1 FROM hr_sync_runs r JOIN invitation_import_rows i ON i.import_id = r.import_id"
            " WHERE r.connection_id = hr_employees.connection_id AND i.email = hr_employees.address"
            " AND i.invitation_id IS NOT NULL)"
        ).bindparams(yes=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("hr_connections") as batch:
        batch.drop_column("manage_existing")
    with op.batch_alter_table("hr_employees") as batch:
        batch.drop_column("managed")
