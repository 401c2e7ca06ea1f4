"""The web process's worker is woken by the work its requests write (``jobs.start_in_thread``,
``Database.watch_for_work``): an invitation's email goes out as the unit of work that wrote it
ends, not at the next poll. The poll here is a minute, so only the wake-up can deliver in time.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from admit import context, jobs
from admit.db import Database
from admit.jobs import Worker, start_in_thread
from admit.kit.bulk import insert_rows, new_ids
from admit.kit.insert import insert_now
from admit.notifications.models import DevMessage, Notification
from tests.factories import create_portal, invite

POLL_SECONDS = 60.0  # never reached: each wait below is a few seconds


@pytest.fixture
def own_db(db, database_url):
    """A Database of its own on the test's database (the wake-up's listeners stay on the
    session factory they were put on), with the test's context."""
    own = Database(database_url, context=db.context)
    yield own
    own.dispose()


@pytest.fixture
def passes(monkeypatch):
    """How many passes the worker has made (the real pass, counted)."""
    made = []
    run_once = Worker.run_once

    def counted(self, **kwargs):
        made.append(time.monotonic())
        return run_once(self, **kwargs)

    monkeypatch.setattr(Worker, "run_once", counted)
    return made


def _until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _delivered(db, address: str) -> bool:
    with db.unit_of_work() as session:
        return session.scalar(select(DevMessage.id).where(DevMessage.to_address == address)) is not None


@pytest.fixture
def started(own_db, settings, passes):
    """The web process's worker on ``own_db``, polling once a minute, after its first pass
    (waiting now); stopped at the end, which must not wait out the poll."""
    thread, stop = start_in_thread(own_db, settings.model_copy(update={"worker_poll_seconds": POLL_SECONDS}))
    assert _until(lambda: len(passes) >= 1)
    time.sleep(0.2)  # the first pass ends, the wait begins
    yield
    stop.set()
    thread.join(timeout=3)
    assert not thread.is_alive(), "stopping the worker waited for its poll"


@pytest.mark.usefixtures("started")
def test_an_invitations_email_goes_out_as_its_unit_of_work_ends(own_db, passes):
    pf = create_portal(own_db)
    before = len(passes)
    invite(own_db, pf, ["ada@example.com"])
    assert _until(lambda: _delivered(own_db, "ada@example.com")), "the email waited for the poll"
    assert len(passes) > before


@pytest.mark.usefixtures("started")
def test_what_the_worker_writes_itself_and_other_writes_wake_nobody(own_db, passes):
    """Its own deliveries (rows of the queue it reads) do not wake it again and again, and a
    write to a table it does not read (a portal, its owner) wakes it not at all."""
    quiet = len(passes)
    pf = create_portal(own_db)
    time.sleep(0.5)
    assert len(passes) == quiet, "a portal's creation woke the worker"
    invite(own_db, pf, ["bo@example.com"])
    assert _until(lambda: _delivered(own_db, "bo@example.com"))
    sent = len(passes)
    time.sleep(1.0)
    # The pass that sent it may be followed by one that finds nothing; a worker woken by its own
    # writes makes pass after pass (15 in half a second, seen with ``working`` left out).
    assert len(passes) - sent <= 2, "the worker's own writes kept waking it"


def _later(session, n: int) -> list[dict]:
    """``n`` messages queued for tomorrow: work written to a queue that a pass finds not yet due
    (each pass it wakes finds nothing, and so waits again)."""
    tomorrow = context.of(session).clock.now() + timedelta(days=1)
    return [
        {
            "id": row_id,
            "event_key": f"later:{row_id}",
            "template": "invitation",
            "to_address": "p@example.com",
            "next_attempt_at": tomorrow,
        }
        for row_id in new_ids(n)
    ]


@pytest.mark.usefixtures("started")
def test_rows_written_past_the_orm_into_a_queue_wake_the_worker(own_db, passes):
    """``kit.bulk.insert_rows`` (COPY, the driver's executemany) and ``kit.insert.insert_now``
    (a Core INSERT) write where no session event looks; rows they put in a queue wake the
    worker all the same, with nothing for their caller to remember."""
    quiet = len(passes)
    with own_db.unit_of_work() as session:
        insert_rows(session, Notification.__table__, _later(session, 3))
    assert _until(lambda: len(passes) > quiet), "rows inserted by kit.bulk waited for the poll"
    time.sleep(0.3)  # the pass it woke ends
    quiet = len(passes)
    with own_db.unit_of_work() as session:
        insert_now(session, Notification(**_later(session, 1)[0]))
    assert _until(lambda: len(passes) > quiet), "a row inserted by kit.insert waited for the poll"


@pytest.mark.usefixtures("started")
def test_a_stream_of_work_wakes_at_most_one_pass_per_gap(own_db, passes, monkeypatch):
    """Requests writing work one after another wake one pass per ``WAKE_GAP_SECONDS``, not one
    each. Counted, not timed: with a gap longer than the test, a stream of writes that would each
    wake a pass (they are not due: each pass finds nothing and waits again) wakes none in it;
    with no gap, each wakes one (seen: 6 and 9 passes for 10 writes)."""
    monkeypatch.setattr(jobs, "WAKE_GAP_SECONDS", 600.0)
    quiet = len(passes)
    for _ in range(10):
        with own_db.unit_of_work() as session:
            insert_rows(session, Notification.__table__, _later(session, 1))
        time.sleep(0.1)
    time.sleep(0.5)
    assert len(passes) == quiet, f"{len(passes) - quiet} passes woken within one gap"
