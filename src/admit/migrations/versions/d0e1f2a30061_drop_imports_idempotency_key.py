"""Imports' own Idempotency-Key column goes: an import's key is kept in ``idempotency_keys``
(``admit.idempotency``, by caller, 24 hours) since c9d0e1f20060, so ``invitation_imports``'
``idempotency_key`` and its unique index were written no more

Revision ID: d0e1f2a30061
Revises: c9d0e1f20060
Create Date: 2026-12-08 02:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d0e1f2a30061"
down_revision = "c9d0e1f20060"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitation_imports", schema=None) as batch_op:
        batch_op.drop_index("uq_invitation_imports_idempotency")
        batch_op.drop_column("idempotency_key")


def downgrade() -> None:
    with op.batch_alter_table("invitation_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.create_index(
            "uq_invitation_imports_idempotency",
            ["portal_id", "created_by_id", "idempotency_key"],
            unique=True,
        )
