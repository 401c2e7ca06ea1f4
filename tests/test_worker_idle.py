"""What a pass of the worker that finds nothing to do costs: one read that asks every queue at
once whether it holds work that is due (``jobs.Worker.due``), in one transaction, on both
databases. Each step asked its own queue in a transaction of its own before: 7 transactions, 15
statements on SQLite (each BEGIN IMMEDIATE took the write lock that every request of the process
waits for) and 8 on PostgreSQL (22 round trips with the BEGINs and COMMITs), every poll."""

from __future__ import annotations

from sqlalchemy import event

from tests.factories import create_portal, invite


def _pass_costs(db, worker) -> tuple[list[str], int]:
    """The statements of one pass of ``worker`` (not the first: that one sweeps and refreshes
    SQLite's statistics), and how many transactions it began."""
    worker.run_once()
    seen: list[str] = []
    began: list[object] = []

    def statement(conn, cursor, text, parameters, context, executemany):
        seen.append(" ".join(text.split())[:100])

    def begin(conn):
        began.append(conn)

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "begin", begin)
    try:
        worker.run_once()
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "begin", begin)
    return seen, len(began)


def test_an_idle_pass_is_one_read_in_one_transaction(db, worker):
    # Work that is done, and work not yet due, cost nothing more.
    pf = create_portal(db)
    invite(db, pf, ["ada@example.com"])
    worker.drain()
    seen, transactions = _pass_costs(db, worker)
    said = "\n".join(seen)
    assert transactions == 1, said
    assert len(seen) == (2 if db.is_sqlite else 1), said  # SQLite shows its BEGIN IMMEDIATE
    assert seen[-1].startswith("SELECT EXISTS"), said
