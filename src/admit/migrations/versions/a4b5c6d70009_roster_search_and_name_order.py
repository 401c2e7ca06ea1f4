"""User Management at scale, part two: the roster sorted by name, and search by any part of a
name, email or phone on PostgreSQL

- Name order: an index on the key the roster sorts by (``kit.pagination.Order``: the name, else
  the address, lowercased) for users and for invitations, on both databases.
- Search: trigram indexes (``pg_trgm``) on PostgreSQL for the columns ``kit.search.contains``
  matches with ``LIKE '%…%'``. Creating the extension needs the right to; where it is refused
  the indexes are left out (search still works, by scanning) and a warning says so.

Revision ID: a4b5c6d70009
Revises: f3a4b5c60008
Create Date: 2026-12-03 06:35:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "a4b5c6d70009"
down_revision = "f3a4b5c60008"
branch_labels = None
depends_on = None

USERS_NAME_KEY = "lower(coalesce(nullif(name, ''), coalesce(email, phone)))"
INVITATIONS_NAME_KEY = "lower(coalesce(nullif(recipient_name, ''), recipient))"
TRIGRAMS = (
    ("ix_users_name_trgm", "users", "lower(name)"),
    ("ix_users_email_trgm", "users", "lower(email)"),
    ("ix_users_phone_trgm", "users", "phone"),
    ("ix_invitations_name_trgm", "invitations", "lower(recipient_name)"),
    ("ix_invitations_recipient_trgm", "invitations", "lower(recipient)"),
    ("ix_invitations_digits_trgm", "invitations", "recipient"),
)


def upgrade() -> None:
    op.execute(sa.text(f"CREATE INDEX ix_users_sort_name ON users ({USERS_NAME_KEY})"))
    op.execute(
        sa.text(f"CREATE INDEX ix_invitations_sort_name ON invitations (portal_id, {INVITATIONS_NAME_KEY})")
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        logging.getLogger("alembic").warning(
            "pg_trgm could not be created (%s): search works without its indexes, by scanning.", exc.orig
        )
        return
    for name, table, column in TRIGRAMS:
        op.execute(sa.text(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)"))


def downgrade() -> None:
    for name, _table, _column in TRIGRAMS:
        op.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    op.drop_index("ix_invitations_sort_name", table_name="invitations")
    op.drop_index("ix_users_sort_name", table_name="users")
