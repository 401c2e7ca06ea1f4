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


def test_a_connection_used_a_moment_ago_is_handed_out_as_it_is(db):
    db.engine.dispose()
    pid = _backend_pid(db)
    assert _backend_pid(db) == pid  # the most recently used connection again (LIFO)
