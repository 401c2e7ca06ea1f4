"""A link sign-up's newest confirmation email (its delivery in User Management)

Revision ID: d2e3f4a50037
Revises: c1d2e3f40036
Create Date: 2026-12-05 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d2e3f4a50037"
down_revision = "c1d2e3f40036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("link_signups") as batch_op:
        batch_op.add_column(sa.Column("confirmation_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_link_signups_confirmation_id_notifications"),
            "notifications",
            ["confirmation_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # Sign-ups made before: their first confirmation email, found by the key it was written with
    # (a resend's has its time in its key; those few show their first email's delivery).
    signups = sa.table("link_signups", sa.column("id", sa.Uuid()), sa.column("confirmation_id", sa.Uuid()))
    messages = sa.table("notifications", sa.column("id", sa.Uuid()), sa.column("event_key", sa.String()))
    bind = op.get_bind()
    for (signup_id,) in bind.execute(sa.select(signups.c.id)).all():
        message_id = bind.execute(
            sa.select(messages.c.id).where(messages.c.event_key == f"link_signup:{signup_id}:confirm")
        ).scalar()
        if message_id is not None:
            bind.execute(signups.update().where(signups.c.id == signup_id).values(confirmation_id=message_id))


def downgrade() -> None:
    with op.batch_alter_table("link_signups") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_link_signups_confirmation_id_notifications"), type_="foreignkey"
        )
        batch_op.drop_column("confirmation_id")
