"""The PostgreSQL pool: a connection used a moment ago is handed out as it is (no ping: a round
trip for every request, issue 13: ``tests/invitations/test_statements.py``); one left idle is
pinged first, and replaced if the server has dropped it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from admit import db as db_module
from admit.db import normalize_url

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _backend_pid(db) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(text("SELECT pg_backend_pid()")))


def _cut(db, pid: int) -> None:
    """The server drops one connection (a restart, an idle timeout, a firewall)."""
    admin = create_engine(normalize_url(db.url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(db, monkeypatch):
    db.engine.dispose()
    pid = _backend_pid(db)
    _cut(db, pid)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle "long"
    assert _backend_pid(db) != pid  # pinged, found dead, replaced: no error


def _pings(db, monkeypatch) -> list[object]:
    """Each ping the pool makes before handing a connection out, noted."""
    pinged: list[object] = []
    ping = db.engine.dialect.do_ping

    def noted(dbapi_connection):
        pinged.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", noted)
    return pinged


def test_a_connection_used_a_moment_ago_is_handed_out_as_it_is(db, monkeypatch):
    """Not pinged (no round trip), and the one given back last comes out first (LIFO): under
    load the same few stay busy and are never pinged."""
    db.engine.dispose()
    pinged = _pings(db, monkeypatch)
    first, second = db.engine.connect(), db.engine.connect()
    pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (first, second)]
    second.close()
    first.close()  # given back last
    assert _backend_pid(db) == pids[0]
    assert pinged == []
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle "long"
    assert _backend_pid(db) == pids[0]
    assert len(pinged) == 1


def test_the_pool_is_sized_by_the_settings(database_url):
    """Each web process kept 10 connections and 20 more under load, fixed: ADMIT_DB_POOL_SIZE
    and ADMIT_DB_MAX_OVERFLOW size it (PostgreSQL; a SQLite file keeps its own pool), for the
    app's database and the commands' alike; a value out of range is refused naming it."""
    from pydantic import ValidationError

    from admit.app import create_app
    from admit.settings import Settings

    settings = Settings(database_url=database_url, environment="test", db_pool_size=3, db_max_overflow=2)
    app = create_app(settings, run_worker=False)
    pool = app.state.db.engine.pool
    try:
        if database_url.startswith("sqlite"):
            assert (pool.size(), pool._max_overflow) != (3, 2)
        else:
            assert (pool.size(), pool._max_overflow) == (3, 2)
    finally:
        app.state.db.dispose()
    with pytest.raises(ValidationError, match="db_pool_size"):
        Settings(db_pool_size=0)
