"""Test fixtures: every storage test runs on SQLite and on PostgreSQL.

The schema comes from the Alembic migrations (never ``create_all``), once per backend per run.
Each test starts from empty tables: real commits happen (the worker, the concurrency tests and
the app all see them), and nothing one test wrote can leak into the next.

PostgreSQL: set ADMIT_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test); a
fresh database is created next to it for the run and dropped at the end. Without the variable
the PostgreSQL half is skipped, unless ADMIT_REQUIRE_PG=1 (CI), where that is an error.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from admit.context import Context
from admit.db import Base, Database, normalize_url
from admit.kit.ratelimit import Limiter
from admit.members import passwords
from admit.migrate import upgrade
from admit.settings import Settings, configure

PG_URL = os.environ.get("ADMIT_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("ADMIT_REQUIRE_PG") == "1"


def _create_pg_database() -> tuple[str, str]:
    admin_url = normalize_url(PG_URL)
    name = f"admit_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test commits for real, several times; waiting for each commit's WAL flush (~2.5 ms
        # here) is durability a throwaway database does not need. Production keeps the default.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    engine.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, name


def _drop_pg_database(name: str) -> None:
    engine = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg),
]


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """argon2 at its cheapest for the run (microseconds a hash instead of ~40 ms);
    tests/members/test_passwords.py checks the production parameters."""
    passwords.configure("fast-insecure-test")
    yield
    passwords.configure("production")


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated to head once per test process, for the tests that need a fresh
    migrated SQLite database to copy (``copy_sqlite``): a copy takes ~1 ms where migrating from
    nothing took 2-13 s in a test process (54 revisions; more on a busy machine). The migrations
    themselves are tested in tests/test_migrations.py."""
    template = tmp_path_factory.mktemp("migrated") / "admit.db"
    upgrade(f"sqlite:///{template}")
    return template


def copy_sqlite(template: Path, to: Path) -> str:
    """``template`` copied to ``to`` by SQLite's backup (whatever its journal holds), as a URL."""
    source, target = sqlite3.connect(template), sqlite3.connect(to)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{to}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database per backend for the whole run."""
    if request.param == "sqlite":
        template = request.getfixturevalue("migrated_sqlite_template")
        yield copy_sqlite(template, tmp_path_factory.mktemp("db") / "admit.db")
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("ADMIT_REQUIRE_PG=1 but ADMIT_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL: set ADMIT_TEST_DATABASE_URL to run these")
    url, name = _create_pg_database()
    upgrade(url)
    yield url
    _drop_pg_database(name)


@pytest.fixture(scope="session")
def _database(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def _empty_all_tables(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            # Only the tables that hold a row (one query asks them all): a DELETE per table, 45
            # of them, cost each test ~12 ms idle (~45 ms on a busy machine); this ~2 ms.
            held = " UNION ALL ".join(f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM \"{n}\")" for n in tables)
            written = set(conn.execute(text(held)).scalars())
            for name in tables:
                if name in written:
                    conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            # One round trip of DELETEs, children first: ~1 ms on the few rows a test writes,
            # where TRUNCATE costs ~90 ms (it replaces every table's files).
            conn.execute(text("; ".join(f'DELETE FROM "{n}"' for n in tables)))


class TableRows:
    """Every table's rows, kept and put back: a world a module builds once per backend and each
    of its tests starts from again (``keep()`` after building it, ``put_back(kept)`` per test)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def keep(self) -> dict[str, list[dict]]:
        with self.db.engine.connect() as conn:
            return {
                t.name: [dict(r) for r in conn.execute(t.select()).mappings()]
                for t in Base.metadata.sorted_tables
            }

    def put_back(self, kept: dict[str, list[dict]]) -> None:
        _empty_all_tables(self.db)
        with self.db.engine.begin() as conn:
            for table in Base.metadata.sorted_tables:  # parents first
                if kept[table.name]:
                    conn.execute(table.insert(), kept[table.name])


@pytest.fixture
def table_rows(db) -> TableRows:
    """``TableRows`` of the test's database."""
    return TableRows(db)


@pytest.fixture
def db(_database, settings):
    """The test's database, emptied before the test starts, with the test's context (its
    settings, the system clock, a rate limiter that is off until ``rate_limits`` turns it on)."""
    _empty_all_tables(_database)
    _database.context = Context(settings=settings, limiter=Limiter(enabled=False))
    return _database


@pytest.fixture
def rate_limits(db):
    """Turn the test database's rate limiter on (fresh counts); yields the ``Limiter``."""
    limiter = Limiter(enabled=True)
    db.context = Context(settings=db.context.settings, clock=db.context.clock, limiter=limiter)
    return limiter


@pytest.fixture
def change_settings(db):
    """``change_settings(**changes)``: the test's settings, changed for what follows (another
    secret key, a tighter limit); the next test starts from its own."""

    def change(**changes) -> Settings:
        ctx = db.context
        db.context = Context(
            settings=ctx.settings.model_copy(update=changes), clock=ctx.clock, limiter=ctx.limiter
        )
        configure(db.context.settings)
        return db.context.settings

    return change


def _test_settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        email_backend="dev",
        rate_limits_enabled=False,
        run_worker_in_web=False,
    )


@pytest.fixture(scope="session")
def _settings(database_url) -> Settings:
    """The test settings, read once per backend: building ``Settings`` (pydantic-settings reads
    the environment for each of its ~60 fields) cost each test ~6 ms idle, ~25 ms busy."""
    return _test_settings(database_url)


@pytest.fixture
def settings(_settings) -> Settings:
    """This test's settings: a copy of the run's, so one a test changes is its own."""
    return configure(_settings.model_copy())


@pytest.fixture(scope="session")
def _app(_database, database_url):
    """The backend's app, built once per run (``create_app`` costs ~150 ms): everything it serves
    reads ``app.state.db`` and that database's context, which each test sets (``db``)."""
    from admit.app import create_app

    return create_app(_test_settings(database_url), db=_database, run_worker=False)


@pytest.fixture
def app(_app, db, settings):
    """The backend's app, serving this test's ``db`` (its settings, clock and limiter)."""
    assert _app.state.db is db
    configure(settings)
    return _app


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, client=("127.0.0.1", 50000)) as c:  # this machine: the dev mailbox answers it
        yield c


@pytest.fixture
def worker(db, settings):
    from admit.jobs import Worker

    return Worker(db, settings)


@contextmanager
def _logging_kept():
    """Logging as it was before: every logger's handlers, level and propagation."""
    import logging

    def loggers() -> list[logging.Logger]:
        named = logging.Logger.manager.loggerDict.values()
        return [logging.root, *(x for x in named if isinstance(x, logging.Logger))]

    kept = [(x, x.handlers[:], x.level, x.propagate, x.disabled) for x in loggers()]
    try:
        yield
    finally:
        known = {id(x[0]) for x in kept}
        kept += [(x, [], logging.NOTSET, True, False) for x in loggers() if id(x) not in known]
        for logger, handlers, level, propagate, disabled in kept:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled


@pytest.fixture
def run_cli(database_url, db, settings):  # noqa: ARG001 - db empties the tables first
    """``run_cli(*args, env={...}, input="y\\n")`` → the click Result of ``admit ARGS`` on the test database.

    The CLI reads ``ADMIT_*`` from the environment and configures its own settings; the test's
    are put back afterwards.
    """
    from click.testing import CliRunner

    from admit.cli import main

    base = {
        "ADMIT_DATABASE_URL": database_url,
        "ADMIT_RATE_LIMITS_ENABLED": "false",
        "ADMIT_ENVIRONMENT": "test",
        "ADMIT_EMAIL_BACKEND": "dev",
        "ADMIT_PUBLIC_URL": settings.public_url,
        "ADMIT_SECRET_KEY": settings.secret_key,
    }
    runner = CliRunner()

    def invoke(*args, env: dict | None = None, input: str | None = None):  # noqa: A002 - click's name
        with _logging_kept():  # serve and worker set up logging for their process (_shared.start_logging)
            return runner.invoke(
                main, list(args), env={**base, **(env or {})}, input=input, catch_exceptions=False
            )

    yield invoke
    configure(settings)
