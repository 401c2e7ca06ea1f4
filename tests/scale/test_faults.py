"""Faults on a bad day (issue 14 item 24), with real processes on the run's PostgreSQL: the
database restarted under an import an ``admit worker`` is running.

A restart is what the worker sees of it: every connection to the database cut at once
(``pg_terminate_backend``) and, for two seconds, no new one accepted (``ALLOW_CONNECTIONS
false``), on this test's database only, so the rest of the run is not touched.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from admit.imports.models import InvitationImport, InvitationImportRow
from admit.invitations.models import Invitation
from tests.factories import create_portal
from tests.imports.helpers import create
from tests.scale.test_topology import environment, processes, wait_until  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]

ROWS = 30_000  # three batches of 10,000 (imports.jobs.BATCH_ROWS): cut after the first, two to go


def restart_database(database_url: str, *, down_seconds: float) -> int:
    """Cut every connection to the database and refuse new ones for ``down_seconds``; returns
    how many connections were cut."""
    url = make_url(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            try:
                cut = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).scalar_one()
                time.sleep(down_seconds)
            finally:
                connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
    finally:
        admin.dispose()
    return int(cut)


def test_postgresql_restarted_mid_import_resumes_and_finishes_with_the_right_counts(db, settings, processes):  # noqa: F811
    pf = create_portal(db)
    data = ("\n".join(f"person{i}@example.com" for i in range(ROWS)) + "\n").encode()
    import_id, _ = create(db, pf, data, user_type="client")
    worker = processes.start(["worker"], environment(settings))

    def progress() -> tuple[str, int]:
        with db.unit_of_work() as session:
            imp = session.get(InvitationImport, import_id)
            return imp.status, imp.processed_rows

    wait_until(lambda: progress()[1] >= 10_000, seconds=120, what="the first batch written")
    status, done_before = progress()
    assert status == "running" and done_before < ROWS, (status, done_before)
    db.engine.dispose()  # this process's connections are cut too
    assert restart_database(settings.database_url, down_seconds=2) >= 1  # the worker's, at least
    assert worker.poll() is None

    wait_until(lambda: progress()[0] == "done", seconds=180, what="the import finished after the restart")
    assert worker.poll() is None, "the worker survives the restart"
    with db.unit_of_work() as session:
        imp = session.get(InvitationImport, import_id)
        assert (imp.processed_rows, imp.invited_count, imp.error) == (ROWS, ROWS, None)
        assert session.scalar(select(func.count()).select_from(Invitation)) == ROWS
        report = session.scalar(
            select(func.count())
            .select_from(InvitationImportRow)
            .where(InvitationImportRow.import_id == import_id)
        )
        assert report == ROWS  # one report row per row: none lost, none twice
    log = processes.output(worker)
    assert "imports.interrupted" in log, log
