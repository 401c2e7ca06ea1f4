"""several addresses on one line of an import: one report row each

``invitation_import_rows`` gets ``part`` (0, 1, 2… along the line; 0 for every row written
before), and its primary key becomes (import_id, row_number, part).

Revision ID: e2f3a4b50007
Revises: d1e2f3a40006
Create Date: 2026-12-02 20:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e2f3a4b50007"
down_revision = "d1e2f3a40006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitation_import_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint("pk_invitation_import_rows", type_="primary")
        batch_op.create_primary_key("pk_invitation_import_rows", ["import_id", "row_number", "part"])


def downgrade() -> None:
    # Rows past the first address of a line have no place in the old key: they go.
    op.execute(sa.text("DELETE FROM invitation_import_rows WHERE part > 0"))
    with op.batch_alter_table("invitation_import_rows", schema=None) as batch_op:
        batch_op.drop_constraint("pk_invitation_import_rows", type_="primary")
        batch_op.create_primary_key("pk_invitation_import_rows", ["import_id", "row_number"])
        batch_op.drop_column("part")
