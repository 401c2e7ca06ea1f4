"""single-use tokens in one table; the portal's sending limit counted in the outbox; imports wait

Invitation links, link sign-up confirmations and sign-in links become rows of ``tokens`` (one
mechanism: hashed, looked up in one place, claimed once). Their hashes move there from
``invitations.token_hash``, ``link_signups.token_hash`` and the ``sign_in_links`` table, with
their fate (used, revoked, superseded). The outbox gets an index for counting a portal's recent
invitation messages, and an import that reaches the sending limit waits until ``resume_at``.

Revision ID: d1e2f3a40006
Revises: c5e0a1f00005
Create Date: 2026-12-02 17:33:08
"""

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

import admit.db

revision = "d1e2f3a40006"
down_revision = "c5e0a1f00005"
branch_labels = None
depends_on = None

BATCH = 10_000

_tokens = sa.table(
    "tokens",
    sa.column("id", sa.Uuid()),
    sa.column("purpose", sa.String()),
    sa.column("subject_id", sa.Uuid()),
    sa.column("token_hash", sa.String()),
    sa.column("created_at", admit.db.UTCDateTime()),
    sa.column("expires_at", admit.db.UTCDateTime()),
    sa.column("used_at", admit.db.UTCDateTime()),
    sa.column("ended_at", admit.db.UTCDateTime()),
    sa.column("end_reason", sa.String()),
)


def _copy(
    conn: sa.Connection, query: sa.Select[Any], to_row: Callable[[sa.Row[Any]], dict[str, Any]]
) -> None:
    """Copy the rows of ``query`` into ``tokens`` (``to_row`` makes each), a batch at a time."""
    result = conn.execute(query)
    while rows := result.fetchmany(BATCH):
        conn.execute(sa.insert(_tokens), [{"id": uuid.uuid4(), **to_row(r)} for r in rows])


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", admit.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", admit.db.UTCDateTime(), nullable=True),
        sa.Column("used_at", admit.db.UTCDateTime(), nullable=True),
        sa.Column("ended_at", admit.db.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tokens_token_hash")),
    )
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.create_index("ix_tokens_subject", ["subject_id", "purpose"], unique=False)

    conn = op.get_bind()
    t = admit.db.UTCDateTime()
    invitations = sa.table(
        "invitations",
        sa.column("id", sa.Uuid()),
        sa.column("token_hash", sa.String()),
        sa.column("status", sa.String()),
        sa.column("created_at", t),
        sa.column("expires_at", t),
        sa.column("accepted_at", t),
        sa.column("revoked_at", t),
        sa.column("last_sent_at", t),
    )
    _copy(
        conn,
        sa.select(invitations),
        lambda r: {
            "purpose": "invitation",
            "subject_id": r.id,
            "token_hash": r.token_hash,
            "created_at": r.last_sent_at or r.created_at,
            "expires_at": r.expires_at,
            "used_at": r.accepted_at if r.status == "accepted" else None,
            "ended_at": r.revoked_at if r.status == "revoked" else None,
            "end_reason": "revoked" if r.status == "revoked" else None,
        },
    )
    signups = sa.table(
        "link_signups",
        sa.column("id", sa.Uuid()),
        sa.column("token_hash", sa.String()),
        sa.column("status", sa.String()),
        sa.column("created_at", t),
        sa.column("expires_at", t),
        sa.column("confirmed_at", t),
    )
    _copy(
        conn,
        sa.select(signups),
        lambda r: {
            "purpose": "link_signup",
            "subject_id": r.id,
            "token_hash": r.token_hash,
            "created_at": r.created_at,
            "expires_at": r.expires_at,
            "used_at": r.confirmed_at if r.status == "confirmed" else None,
            "ended_at": r.created_at if r.status == "superseded" else None,
            "end_reason": "superseded" if r.status == "superseded" else None,
        },
    )
    sign_in = sa.table(
        "sign_in_links",
        sa.column("user_id", sa.Uuid()),
        sa.column("token_hash", sa.String()),
        sa.column("created_at", t),
        sa.column("expires_at", t),
        sa.column("used_at", t),
    )
    _copy(
        conn,
        sa.select(sign_in),
        lambda r: {
            "purpose": "sign_in",
            "subject_id": r.user_id,
            "token_hash": r.token_hash,
            "created_at": r.created_at,
            "expires_at": r.expires_at,
            "used_at": r.used_at,
            "ended_at": None,
            "end_reason": None,
        },
    )

    with op.batch_alter_table("sign_in_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_links_user_id"))
    op.drop_table("sign_in_links")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invitations_token_hash"), type_="unique")
        batch_op.drop_column("token_hash")
    with op.batch_alter_table("link_signups", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_link_signups_token_hash"), type_="unique")
        batch_op.drop_column("token_hash")

    with op.batch_alter_table("invitation_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resume_at", admit.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_portal_created", ["portal_id", "created_at"], unique=False)


def downgrade() -> None:
    # The secrets cannot be put back where they were for rows made after the upgrade (a resend
    # makes a new token): old columns come back, filled from each subject's newest token.
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_portal_created")
    with op.batch_alter_table("invitation_imports", schema=None) as batch_op:
        batch_op.drop_column("resume_at")
    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", admit.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", admit.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", admit.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_in_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_links_token_hash")),
    )
    with op.batch_alter_table("sign_in_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_links_user_id"), ["user_id"], unique=False)
    for table in ("invitations", "link_signups"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        purpose = "invitation" if table == "invitations" else "link_signup"
        op.execute(
            f"UPDATE {table} SET token_hash = (SELECT t.token_hash FROM tokens t WHERE t.subject_id = "
            f"{table}.id AND t.purpose = '{purpose}' ORDER BY t.created_at DESC LIMIT 1)"
        )
        # No token (it never existed in this form): a placeholder that opens nothing.
        op.execute(
            f"UPDATE {table} SET token_hash = 'lost-' || CAST(id AS VARCHAR(36)) WHERE token_hash IS NULL"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_token_hash"), ["token_hash"])
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_tokens_subject")
    op.drop_table("tokens")
