"""Running Alembic migrations from code (``admit migrate``, the app's first run, the tests)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, SAWarning

from admit.kit.search import SEARCH_TABLES

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (~0.1 s to import) is imported by the functions that use it: every command imports
# this module (``MigrationFailed``, in ``cli._shared.database_errors``), few migrate.

MIGRATIONS = Path(__file__).parent / "migrations"


def in_models(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """For Alembic's comparison of a ``dialect`` database with the models (its
    ``include_object``): leave out the tables only the migrations make, the SQLite search
    tables of every ``kit.search.SearchIndex`` (their keys and FTS5's own shadow tables:
    ``users_search_data``…), and the indexes the models make on another database only
    (``Index.ddl_if``, which Alembic's comparison does not read). Call it once the models are
    imported (their search indexes are known then)."""
    searched = tuple(SEARCH_TABLES)

    def included(obj: Any, name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
        if type_ == "table" and reflected and name is not None and name.startswith(searched):
            return False
        only = getattr(obj, "_ddl_if", None) if type_ == "index" and not reflected else None
        return only is None or only.dialect in (None, dialect)

    return included


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def _quiet_reflection() -> Iterator[None]:
    """SQLite's batch migrations reflect tables to copy them, and SQLAlchemy warns that it skips
    an index on an expression (``users``' name key while it existed: migrations a4b5 to b4c5,
    which made and dropped it themselves). Said on every first start, to people who can do
    nothing about it."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Skipped unsupported reflection of expression-based index", category=SAWarning
        )
        yield


class MigrationFailed(RuntimeError):
    """A migration the database refused (a column there already, a lock, no room): where to
    (``target``) and the database's own words (``said``), which an operator needs; the schema
    is then behind, and "run admit migrate" would be no answer."""

    def __init__(self, url: str, target: str | None, said: str) -> None:
        super().__init__(f"migrating to {target} failed: {said}")
        self.url, self.target, self.said = url, target, said


# The advisory lock every upgrade of a PostgreSQL database takes (its bytes spell "admit-mg").
MIGRATION_LOCK = 0x61646D69742D6D67


@contextmanager
def _one_at_a_time(url: str) -> Iterator[None]:
    """On PostgreSQL, hold ``MIGRATION_LOCK`` (a session advisory lock, on a connection of its
    own) while migrating: two ``admit serve`` or ``admit migrate`` started at once on a new
    database both made the same tables, and one crashed (``duplicate key … pg_type``). The second
    now waits for the first, then finds nothing to do. SQLite: nothing to take (one process)."""
    from admit.db import create_db_engine, normalize_url

    if not normalize_url(url).startswith("postgresql"):
        yield
        return
    engine = create_db_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            conn.commit()  # a session lock outlives the transaction: this one is not left open
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                conn.commit()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    with _quiet_reflection(), _one_at_a_time(url):
        try:
            command.upgrade(alembic_config(url), revision)
        except DBAPIError as exc:
            said = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
            target = head_revision() if revision == "head" else revision
            raise MigrationFailed(url, target, said) from exc


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    with _quiet_reflection():
        command.downgrade(alembic_config(url), revision)


def revision(url: str, message: str) -> None:
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True)


@cache
def head_revision() -> str | None:
    """The schema revision this code expects (the migrations' head)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(conn: Connection) -> str | None:
    """The revision the database behind ``conn`` is at (None before any migration)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def behind(conn: Connection) -> tuple[str | None, str | None] | None:
    """The revision the database behind ``conn`` is at and the one this code expects, when they
    differ (None at first: no tables); None when its schema is this code's."""
    current, head = current_revision(conn), head_revision()
    return None if current == head else (current, head)
