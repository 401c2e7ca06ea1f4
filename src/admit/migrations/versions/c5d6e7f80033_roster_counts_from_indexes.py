"""User Management at scale, part four: the roster's counts read small indexes.

- The product filter: per product, a partial index of the members who have it and of the
  invitations that give it (``portal_id, created_at``; invitations with their ``status``),
  made with the condition ``kit.search.lists`` writes, so that a product's count and first
  page read only its rows (a count used to read every member's list of products).
- The inviter filter: ``ix_invitations_portal_inviter`` ends on ``status``, so someone's open
  invitations are counted from the index alone.
- A search on SQLite finds users and invitations by their search index, then checks each
  one's membership or invitation: ``ix_members_user_id`` and ``ix_invitations_portal_status``
  carry the type and status (and an invitation's expiry) for that check.
- PostgreSQL: the statistics on the products' text that b4c5d6e70032 made for the filter's
  LIKE are dropped (the filter no longer reads that expression; its indexes have their own).
- SQLite: the count indexes by type, status and role no longer end on ``products`` (the
  product indexes above serve that filter): the same ``ix_*_portal_kind`` on both databases.

Revision ID: c5d6e7f80033
Revises: b4c5d6e70032
Create Date: 2026-12-04 13:30:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "c5d6e7f80033"
down_revision = "b4c5d6e70032"
branch_labels = None
depends_on = None

PRODUCTS = (
    "messaging",
    "workspaces",
    "billing",
    "analytics",
)  # policy.ALL_PRODUCTS, as this revision was written
PRODUCT_INDEXES = (("members", "portal_id, created_at"), ("invitations", "portal_id, created_at, status"))
WIDENED = (  # (name, table, columns before, columns after)
    ("ix_members_user_id", "members", ["user_id"], ["user_id", "portal_id", "user_type", "status"]),
    (
        "ix_invitations_portal_status",
        "invitations",
        ["portal_id", "status", "id"],
        ["portal_id", "status", "id", "user_type", "expires_at"],
    ),
)
KIND_INDEXES = (
    ("ix_members_portal_kind", "members", "portal_id, user_type, status, role"),
    ("ix_invitations_portal_kind", "invitations", "portal_id, user_type, status, role, expires_at"),
)


def _holds(dialect: str, product: str) -> str:
    """``kit.search.lists``, as each database is written it."""
    position = "instr" if dialect == "sqlite" else "strpos"
    return f"{position}(CAST(products AS TEXT), '\"{product}\"') > 0"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, columns in PRODUCT_INDEXES:
        for product in PRODUCTS:
            op.execute(
                sa.text(
                    f"CREATE INDEX ix_{table}_product_{product} ON {table} ({columns}) "
                    f"WHERE {_holds(dialect, product)}"
                )
            )
    op.drop_index("ix_invitations_portal_inviter", table_name="invitations")
    op.create_index("ix_invitations_portal_inviter", "invitations", ["portal_id", "invited_by_id", "status"])
    for name, table, _before, after in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, after)
    if dialect == "postgresql":
        for on in ("members", "invitations"):
            op.execute(sa.text(f"DROP STATISTICS IF EXISTS st_{on}_products"))
    if dialect == "sqlite":
        for name, on, columns in KIND_INDEXES:
            op.drop_index(f"{name}_products", table_name=on)
            op.execute(sa.text(f"CREATE INDEX {name} ON {on} ({columns})"))


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        try:  # as b4c5d6e70032 made them (PostgreSQL 14 and later)
            with bind.begin_nested():
                for on in ("members", "invitations"):
                    op.execute(
                        sa.text(f"CREATE STATISTICS st_{on}_products ON ((products::varchar)) FROM {on}")
                    )
        except sa.exc.DBAPIError as exc:
            logging.getLogger("alembic").warning("Statistics on products were not made again (%s).", exc.orig)
    if dialect == "sqlite":
        for name, on, columns in KIND_INDEXES:
            op.drop_index(name, table_name=on)
            op.execute(sa.text(f"CREATE INDEX {name}_products ON {on} ({columns}, products)"))
    op.drop_index("ix_invitations_portal_inviter", table_name="invitations")
    op.create_index("ix_invitations_portal_inviter", "invitations", ["portal_id", "invited_by_id"])
    for name, table, before, _after in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, before)
    for table, _columns in PRODUCT_INDEXES:
        for product in PRODUCTS:
            op.drop_index(f"ix_{table}_product_{product}", table_name=table)
