"""A link sign-up's last confirmation email: when it was sent (User Management's Last sent)

Revision ID: c1d2e3f40036
Revises: fb2533ec928c
Create Date: 2026-12-05 12:55:00
"""

import sqlalchemy as sa
from alembic import op

import admit.db

revision = "c1d2e3f40036"
down_revision = "fb2533ec928c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("link_signups", sa.Column("sent_at", admit.db.UTCDateTime(), nullable=True))
    # Until now a sign-up's only email was asked for as it was made; a Resend's moved its expiry
    # on by the same lifetime, which is all that is known of it.
    op.execute(sa.text("UPDATE link_signups SET sent_at = created_at"))
    with op.batch_alter_table("link_signups") as batch_op:
        batch_op.alter_column("sent_at", existing_type=admit.db.UTCDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("link_signups") as batch_op:
        batch_op.drop_column("sent_at")
