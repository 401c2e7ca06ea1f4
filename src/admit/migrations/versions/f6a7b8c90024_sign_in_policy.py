"""Sign-in policy per portal (two-factor, link lifetime, by user type); authenticator apps;
a session's second factor

Revision ID: f6a7b8c90024
Revises: e5f6a7b80023
Create Date: 2026-12-04 02:20:00
"""

import sqlalchemy as sa
from alembic import op

from admit.db import UTCDateTime

revision = "f6a7b8c90024"
down_revision = "e5f6a7b80023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_require_2fa", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("internal_require_2fa", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("client_sign_in_link_minutes", sa.Integer(), server_default="15", nullable=False)
        )
        batch_op.add_column(
            sa.Column("internal_sign_in_link_minutes", sa.Integer(), server_default="15", nullable=False)
        )
        batch_op.add_column(sa.Column("sign_in_policy_changed_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("second_factor_at", UTCDateTime(), nullable=True))
    op.create_table(
        "totp_factors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_totp_factors_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totp_factors")),
        sa.UniqueConstraint("user_id", name=op.f("uq_totp_factors_user_id")),
    )


def downgrade() -> None:
    op.drop_table("totp_factors")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_column("second_factor_at")
    with op.batch_alter_table("portals", schema=None) as batch_op:
        batch_op.drop_column("sign_in_policy_changed_at")
        batch_op.drop_column("internal_sign_in_link_minutes")
        batch_op.drop_column("client_sign_in_link_minutes")
        batch_op.drop_column("internal_require_2fa")
        batch_op.drop_column("client_require_2fa")
