"""The rows of an import not invited, in the list's order (the finished page, report?outcome=skipped)

Revision ID: fb2533ec928c
Revises: e7f809010035
Create Date: 2026-12-05 02:20:08
"""

import sqlalchemy as sa
from alembic import op

revision = "fb2533ec928c"
down_revision = "e7f809010035"
branch_labels = None
depends_on = None

NOT_INVITED = sa.text("code != 'invited'")


def upgrade() -> None:
    op.create_index(
        "ix_import_rows_skipped",
        "invitation_import_rows",
        ["import_id", "row_number", "part"],
        sqlite_where=NOT_INVITED,
        postgresql_where=NOT_INVITED,
    )


def downgrade() -> None:
    op.drop_index("ix_import_rows_skipped", table_name="invitation_import_rows")
