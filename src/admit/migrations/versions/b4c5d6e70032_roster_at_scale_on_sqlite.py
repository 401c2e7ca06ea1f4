"""User Management at scale, part three: every sort and filter of the roster reads an index, and
search by any part of a name, email or phone reads one on SQLite too

- ``members.sort_name`` (which replaces ``ix_users_sort_name``): the key the roster sorts members by name (the name, else the email,
  else the phone, lowercased), kept by the database itself: triggers set it when a member is
  added and when their user's name, email or phone changes. With it, the name order of a
  portal's members is an index walk (it used to sort every member with their user).
- Indexes that end on ``id`` for the orders the roster offers (name, status, last sent) on
  members and invitations, so a first page reads 51 rows per table; and indexes for the
  inviter filter (both tables) and the delivery filter (messages by portal and status).
- PostgreSQL only: statistics on the products lists' text, for the product filter's estimates.
- SQLite only: the count indexes by type, status and role end on ``products`` too, so the
  product filter is counted from an index.
- SQLite only: FTS5 tables with the trigram tokenizer (``users_search``, ``invitations_search``)
  that ``LIKE '%…%'`` reads instead of scanning (PostgreSQL has its ``pg_trgm`` indexes since
  a4b5c6d70009). Each keeps a copy of the searched columns; triggers keep it. Their rows are
  keyed by a ``*_search_keys`` table with an INTEGER PRIMARY KEY, because VACUUM may renumber
  the implicit rowids of tables without one (ours: UUID keys).

Revision ID: b4c5d6e70032
Revises: a3b4c5d60031
Create Date: 2026-12-04 07:30:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "b4c5d6e70032"
down_revision = "a3b4c5d60031"
branch_labels = None
depends_on = None

USERS_NAME_KEY = "lower(coalesce(nullif({u}name, ''), coalesce({u}email, {u}phone)))"
INVITATIONS_NAME_KEY = "lower(coalesce(nullif(recipient_name, ''), recipient))"
INDEXES = (
    ("ix_members_portal_sort_name", "members", "portal_id, sort_name, id"),
    ("ix_members_portal_status", "members", "portal_id, status, id"),
    ("ix_members_portal_inviter", "members", "portal_id, invited_by_id"),
    ("ix_invitations_portal_status", "invitations", "portal_id, status, id"),
    ("ix_invitations_portal_sent", "invitations", "portal_id, coalesce(last_sent_at, created_at)"),
    ("ix_invitations_portal_inviter", "invitations", "portal_id, invited_by_id"),
    ("ix_notifications_portal_status", "notifications", "portal_id, status, invitation_id"),
)
# SQLite only: the counts' indexes end on products, so the product filter counts from them.
KIND_INDEXES = (
    ("ix_members_portal_kind", "members", "portal_id, user_type, status, role"),
    ("ix_invitations_portal_kind", "invitations", "portal_id, user_type, status, role, expires_at"),
)
# (search table, its keys table, the key column, the source table, the source columns it copies,
# and its own columns as expressions over a source row ``{r}``). ``text`` holds the name and the
# address on two lines, so a search reads one column; a phone number has its own (its digits).
SEARCHES = (
    (
        "users_search",
        "users_search_keys",
        "user_id",
        "users",
        ("name", "email", "phone"),
        {"text": "coalesce({r}name, '') || char(10) || coalesce({r}email, '')", "phone": "{r}phone"},
    ),
    (
        "invitations_search",
        "invitations_search_keys",
        "invitation_id",
        "invitations",
        ("recipient_name", "recipient"),
        {"text": "coalesce({r}recipient_name, '') || char(10) || {r}recipient"},
    ),
)


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    # A plain ADD COLUMN: members has children, and a SQLite rebuild would cascade deletes.
    op.add_column("members", sa.Column("sort_name", sa.String(length=520), nullable=False, server_default=""))
    op.execute(
        sa.text(
            "UPDATE members SET sort_name = coalesce((SELECT "
            + USERS_NAME_KEY.format(u="users.")
            + " FROM users WHERE users.id = members.user_id), '')"
        )
    )
    if sqlite:
        _sqlite_sort_name_triggers()
    else:
        _postgresql_sort_name_triggers()
        _postgresql_products_statistics()
    op.drop_index("ix_users_sort_name", table_name="users")  # members.sort_name serves the order now
    op.drop_index("ix_invitations_sort_name", table_name="invitations")
    op.execute(
        sa.text(
            f"CREATE INDEX ix_invitations_sort_name ON invitations (portal_id, {INVITATIONS_NAME_KEY}, id)"
        )
    )
    for name, on, columns in INDEXES:
        op.execute(sa.text(f"CREATE INDEX {name} ON {on} ({columns})"))
    if sqlite:
        for name, on, columns in KIND_INDEXES:
            op.drop_index(name, table_name=on)
            op.execute(sa.text(f"CREATE INDEX {name}_products ON {on} ({columns}, products)"))
        for search in SEARCHES:
            _sqlite_search(*search)


def _sqlite_sort_name_triggers() -> None:
    key = USERS_NAME_KEY.format(u="")
    # SQLite has no trigger for two events: one when a member is added, one when moved to a user.
    for trigger, event in (
        ("members_sort_name_on_add", "INSERT"),
        ("members_sort_name_on_move", "UPDATE OF user_id"),
    ):
        op.execute(
            sa.text(
                f"CREATE TRIGGER {trigger} AFTER {event} ON members BEGIN "
                f"UPDATE members SET sort_name = coalesce((SELECT {key} FROM users WHERE id = NEW.user_id), '') "
                "WHERE id = NEW.id; END"
            )
        )
    op.execute(
        sa.text(
            "CREATE TRIGGER users_sort_name AFTER UPDATE OF name, email, phone ON users BEGIN "
            f"UPDATE members SET sort_name = coalesce({USERS_NAME_KEY.format(u='NEW.')}, '') "
            "WHERE user_id = NEW.id; END"
        )
    )


def _postgresql_sort_name_triggers() -> None:
    key = USERS_NAME_KEY.format(u="u.")
    op.execute(
        sa.text(
            "CREATE FUNCTION admit_members_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            # FOR SHARE: a rename of that user waits for this insert (else, running at once, each
            # would miss the other and keep the old name; SQLite runs writers one at a time).
            f"NEW.sort_name := coalesce((SELECT {key} FROM users u WHERE u.id = NEW.user_id FOR SHARE), ''); "
            "RETURN NEW; END $$"
        )
    )
    op.execute(
        sa.text(
            "CREATE TRIGGER members_sort_name BEFORE INSERT OR UPDATE OF user_id ON members "
            "FOR EACH ROW EXECUTE FUNCTION admit_members_sort_name()"
        )
    )
    op.execute(
        sa.text(
            "CREATE FUNCTION admit_users_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE members SET sort_name = coalesce({USERS_NAME_KEY.format(u='NEW.')}, '') "
            "WHERE user_id = NEW.id; RETURN NULL; END $$"
        )
    )
    op.execute(
        sa.text(
            "CREATE TRIGGER users_sort_name AFTER UPDATE OF name, email, phone ON users FOR EACH ROW "
            "WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email "
            "OR OLD.phone IS DISTINCT FROM NEW.phone) EXECUTE FUNCTION admit_users_sort_name()"
        )
    )


def _postgresql_products_statistics() -> None:
    """Statistics on the products lists' text, which the product filter matches with LIKE:
    without them PostgreSQL guesses that ten rows match and sorts every matching row instead of
    walking the newest-first index (bench/roster.py: 200 ms → 60 ms). Expression statistics
    came with PostgreSQL 14; on an older server they are left out, with a warning."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            for on in ("members", "invitations"):
                bind.execute(
                    sa.text(f"CREATE STATISTICS st_{on}_products ON ((products::varchar)) FROM {on}")
                )
                # Filled by autovacuum's next ANALYZE. Not analyzed here: a table analyzed while
                # empty has the planner check foreign keys to it by scanning it (an import's
                # messages took 3.1 s instead of 0.4 s to write, bench/bulk.py).
    except sa.exc.DBAPIError as exc:
        logging.getLogger("alembic").warning(
            "Statistics on products could not be created (%s): the product filter works, slower.", exc.orig
        )


def _sqlite_search(
    search: str, keys: str, key: str, source: str, watched: tuple[str, ...], columns: dict[str, str]
) -> None:
    listed = ", ".join(columns)

    def values(row: str) -> str:
        return ", ".join(expression.format(r=row) for expression in columns.values())

    op.execute(sa.text(f"CREATE TABLE {keys} (id INTEGER PRIMARY KEY, {key} CHAR(32) NOT NULL UNIQUE)"))
    # detail=none: no positions kept (about 40% less to write than the default); LIKE still
    # reads the trigrams and checks each candidate against the stored text.
    op.execute(
        sa.text(f"CREATE VIRTUAL TABLE {search} USING fts5({listed}, tokenize='trigram', detail='none')")
    )
    op.execute(sa.text(f"INSERT INTO {keys} ({key}) SELECT id FROM {source}"))
    op.execute(
        sa.text(
            f"INSERT INTO {search} (rowid, {listed}) SELECT k.id, {values('s.')} "
            f"FROM {source} s JOIN {keys} k ON k.{key} = s.id"
        )
    )
    op.execute(
        sa.text(
            f"CREATE TRIGGER {search}_add AFTER INSERT ON {source} BEGIN "
            f"INSERT INTO {keys} ({key}) VALUES (NEW.id); "
            f"INSERT INTO {search} (rowid, {listed}) VALUES (last_insert_rowid(), {values('NEW.')}); END"
        )
    )
    op.execute(
        sa.text(
            f"CREATE TRIGGER {search}_change AFTER UPDATE OF {', '.join(watched)} ON {source} BEGIN "
            f"UPDATE {search} SET "
            + ", ".join(f"{c} = {e.format(r='NEW.')}" for c, e in columns.items())
            + f" WHERE rowid = (SELECT id FROM {keys} WHERE {key} = NEW.id); END"
        )
    )
    op.execute(
        sa.text(
            f"CREATE TRIGGER {search}_remove AFTER DELETE ON {source} BEGIN "
            f"DELETE FROM {search} WHERE rowid = (SELECT id FROM {keys} WHERE {key} = OLD.id); "
            f"DELETE FROM {keys} WHERE {key} = OLD.id; END"
        )
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for search, keys, *_rest in SEARCHES:
            for step in ("add", "change", "remove"):
                op.execute(sa.text(f"DROP TRIGGER IF EXISTS {search}_{step}"))
            op.execute(sa.text(f"DROP TABLE IF EXISTS {search}"))
            op.execute(sa.text(f"DROP TABLE IF EXISTS {keys}"))
        for trigger in ("members_sort_name_on_add", "members_sort_name_on_move", "users_sort_name"):
            op.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for name, on, columns in KIND_INDEXES:
            op.drop_index(f"{name}_products", table_name=on)
            op.execute(sa.text(f"CREATE INDEX {name} ON {on} ({columns})"))
    else:
        op.execute(sa.text("DROP TRIGGER IF EXISTS users_sort_name ON users"))
        op.execute(sa.text("DROP TRIGGER IF EXISTS members_sort_name ON members"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS admit_users_sort_name()"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS admit_members_sort_name()"))
        op.execute(sa.text("DROP STATISTICS IF EXISTS st_members_products"))
        op.execute(sa.text("DROP STATISTICS IF EXISTS st_invitations_products"))
    for name, on, _columns in INDEXES:
        op.drop_index(name, table_name=on)
    op.drop_index("ix_invitations_sort_name", table_name="invitations")
    op.execute(
        sa.text(f"CREATE INDEX ix_invitations_sort_name ON invitations (portal_id, {INVITATIONS_NAME_KEY})")
    )
    op.execute(sa.text(f"CREATE INDEX ix_users_sort_name ON users ({USERS_NAME_KEY.format(u='')})"))
    # A plain DROP COLUMN (SQLite 3.35+), not a rebuild: members has children.
    op.drop_column("members", "sort_name")
