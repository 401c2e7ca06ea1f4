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
import uuid

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


def _backend(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("database_url") if callspec else None


def _long_seconds(item: pytest.Item) -> float:
    marker = item.get_closest_marker("long")
    return float(marker.args[0]) if marker else 0.0


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by backend
def pytest_collection_modifyitems(config, items: list[pytest.Item]) -> None:
    """With several test processes (``-n 2 --dist worksteal``), the tests marked ``long`` start
    first, shared out so that each process has about as many of their seconds. pytest-xdist
    gives each process a slice of this list in turn (the first ``len // n`` tests to the first),
    and a process that runs out takes from the end of another's queue, which is then short
    tests only. Left where they were, a 40 s test started last kept one process alone at the end.

    In each slice the long tests of one backend come together, those of the backend its short
    tests begin with last, so each process migrates a database but once or twice more."""
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    long_tests = sorted(
        (item for item in items if _long_seconds(item)), key=lambda item: -_long_seconds(item)
    )
    if workers < 2 or not long_tests:
        return
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for item in long_tests:  # the longest to whichever process has the fewest seconds so far
        min(shares, key=lambda share: sum(map(_long_seconds, share))).append(item)
    chosen = {id(item) for item in long_tests}
    rest = [item for item in items if id(item) not in chosen]
    ordered: list[pytest.Item] = []
    left = len(items)
    for index, share in enumerate(shares):
        size = left // (workers - index)  # as pytest-xdist's worksteal deals them out
        left -= size
        short, rest = rest[: max(0, size - len(share))], rest[max(0, size - len(share)) :]
        begins_with = next((b for b in map(_backend, short) if b), None)

        def group(item: pytest.Item, begins_with: str | None = begins_with) -> int:
            backend = _backend(item)
            return 1 if backend is None else 2 if backend == begins_with else 0

        ordered += sorted(share, key=group) + short  # stable: the longest first in each group
    items[:] = ordered + rest


def _create_pg_database() -> tuple[str, str]:
    admin_url = normalize_url(PG_URL)
    name = f"admit_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
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


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database per backend for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'admit.db'}"
        upgrade(url)
        yield url
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
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            # One round trip of DELETEs, children first: ~1 ms on the few rows a test writes,
            # where TRUNCATE costs ~90 ms (it replaces every table's files).
            conn.execute(text("; ".join(f'DELETE FROM "{n}"' for n in tables)))


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


@pytest.fixture
def settings(database_url) -> Settings:
    return configure(_test_settings(database_url))


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


@pytest.fixture
def run_cli(database_url, db, settings):  # noqa: ARG001 - db empties the tables first
    """``run_cli(*args, env={...})`` → the click Result of ``admit ARGS`` on the test database.

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

    def invoke(*args, env: dict | None = None):
        return runner.invoke(main, list(args), env={**base, **(env or {})}, catch_exceptions=False)

    yield invoke
    configure(settings)
