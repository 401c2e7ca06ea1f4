"""SQLite's planner statistics reach the web process's pooled connections: a connection reads
them when it first reads the schema, and not again when another connection's ANALYZE (the
worker's, in its own process) writes new ones. Pooled connections are replaced as often as the
worker refreshes them (``db.STATISTICS_EVERY_SECONDS``)."""

from __future__ import annotations

import sqlite3
import time

import sqlalchemy.pool.base

from admit.db import STATISTICS_EVERY_SECONDS, Database

PLAN = "EXPLAIN QUERY PLAN SELECT * FROM t WHERE x = 1 AND y > 19000"


def _plan(db: Database) -> str:
    with db.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(PLAN))
        conn.rollback()
    return plan


def test_pooled_connections_plan_with_the_workers_new_statistics(tmp_path, monkeypatch):
    path = tmp_path / "stats.db"
    worker = sqlite3.connect(path, isolation_level=None)  # another process's connection, as it were
    worker.execute("CREATE TABLE t (x INTEGER, y INTEGER)")
    worker.execute("CREATE INDEX ix_x ON t (x)")
    worker.execute("CREATE INDEX ix_y ON t (y)")
    worker.execute("BEGIN")
    worker.executemany("INSERT INTO t VALUES (?, ?)", [(i, i) for i in range(20000)])
    worker.execute("COMMIT")
    worker.execute("ANALYZE")
    db = Database(f"sqlite:///{path}")
    try:
        assert "ix_x" in _plan(db)  # x is all but unique: its index answers
        worker.execute("UPDATE t SET x = y % 2")  # now it is not, and y's range is the narrow one
        worker.execute("ANALYZE")
        assert "ix_x" in _plan(db)  # the pooled connection still plans with what it read first
        later = time.time() + STATISTICS_EVERY_SECONDS + 1
        monkeypatch.setattr(sqlalchemy.pool.base.time, "time", lambda: later)
        assert "ix_y" in _plan(db)  # replaced once as old as the statistics: the new numbers
    finally:
        db.dispose()
        worker.close()


def test_this_processs_own_refresh_reaches_its_pooled_connections_at_once(tmp_path):
    """The worker in the web process (the embedded default) refreshes through the same engine,
    with its sampled ANALYZE: its other pooled connections plan with the new numbers at once."""
    equal = "EXPLAIN QUERY PLAN SELECT * FROM t WHERE x = 1 AND y = 1"
    db = Database(f"sqlite:///{tmp_path / 'stats.db'}")

    def plans() -> list[str]:
        held = [db.engine.connect() for _ in range(3)]  # pooled connections, statistics read
        found = []
        for conn in held:
            found.append(" ".join(str(row[-1]) for row in conn.exec_driver_sql(equal)))
            conn.rollback()
        for conn in held:
            conn.close()
        return found

    try:
        with db.engine.connect() as conn:
            for statement in (
                "CREATE TABLE t (x INTEGER, y INTEGER)",
                "CREATE INDEX ix_x ON t (x)",
                "CREATE INDEX ix_y ON t (y)",
                "INSERT INTO t WITH RECURSIVE n(i) AS "
                "(SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999) SELECT i, i % 2 FROM n",
            ):
                conn.exec_driver_sql(statement)
            conn.commit()
        db.refresh_statistics()
        assert all("ix_x" in p for p in plans())  # x is the one that tells rows apart
        with db.engine.connect() as conn:
            conn.exec_driver_sql("UPDATE t SET x = rowid % 2, y = rowid")  # now y is
            conn.commit()
        db.refresh_statistics()
        assert all("ix_y" in p for p in plans()), plans()
    finally:
        db.dispose()
