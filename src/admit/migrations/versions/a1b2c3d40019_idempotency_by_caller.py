"""Idempotency keys belong to their caller: unique per portal, caller and key; and the index
the per-recipient message caps read (notifications by address and time)

Revision ID: a1b2c3d40019
Revises: c3d4e5f60017
Create Date: 2026-12-03 17:50:00
"""

from alembic import op

revision = "a1b2c3d40019"
down_revision = "c3d4e5f60017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitation_imports", schema=None) as batch_op:
        batch_op.drop_index("uq_invitation_imports_idempotency")
        batch_op.create_index(
            "uq_invitation_imports_idempotency",
            ["portal_id", "created_by_id", "idempotency_key"],
            unique=True,
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_to_created", ["to_address", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_to_created")
    with op.batch_alter_table("invitation_imports", schema=None) as batch_op:
        batch_op.drop_index("uq_invitation_imports_idempotency")
        batch_op.create_index(
            "uq_invitation_imports_idempotency", ["portal_id", "idempotency_key"], unique=True
        )
