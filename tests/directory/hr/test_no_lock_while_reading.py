"""An HR system is read with no transaction open and no connection held: a slow list (or one
that calls Admit back, as Admit's own people.csv does) does not stop every other request and
the worker, on SQLite (the one write lock) or on PostgreSQL (a connection and its row locks).

The system here is a tiny server on loopback that answers only when the test lets it; while it
waits, another unit of work writes and commits, and the pool has no connection out."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from admit.directory.models import HrConnection
from admit.flows import hr_sync
from admit.members import service as members_service
from admit.members.models import User
from tests.directory.hr.fakes import running

WAIT = 30.0  # how long the system holds its answer at most (the test lets it go long before)
LIST = [{"id": "1", "name": "Ada Lovelace", "work_email": "ada@acme.com"}]


@dataclass
class SlowList:
    url: str = ""
    asked: threading.Event = field(default_factory=threading.Event)  # a request arrived
    release: threading.Event = field(default_factory=threading.Event)  # the test lets it answer
    gave_up: threading.Event = field(default_factory=threading.Event)  # answered after WAIT anyway


@contextmanager
def slow_list() -> Iterator[SlowList]:
    """A JSON list at a URL on 127.0.0.1 that, while ``hold``, answers only once ``release`` is set."""
    state = SlowList()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            state.asked.set()
            if not state.release.wait(WAIT):
                state.gave_up.set()
            body = json.dumps(LIST).encode()
            try:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with running(server, "slow-list") as root:
        state.url = f"{root}/people.json"
        try:
            yield state
        finally:
            state.release.set()  # a request still held is let go before the server stops


@pytest.fixture
def source(db, change_settings):  # noqa: ARG001 - db empties the tables first
    change_settings(directory_allow_private=True, hr_timeout_seconds=WAIT + 10)
    with slow_list() as s:
        yield s


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _others_go_on_while_it_reads(db, source: SlowList, call: Callable[[], Any]) -> Any:
    """Runs ``call`` (which reads ``source``); while the system holds its answer, no connection
    is out and another unit of work writes and commits. Returns what ``call`` returned."""
    thread, out = _in_thread(call)
    assert source.asked.wait(WAIT), out.get("error")
    try:
        assert db.engine.pool.checkedout() == 0  # nothing held while the system is read
        with db.unit_of_work() as session:  # SQLite: waits for the write lock; 503 after 10 s
            members_service.add_user(session, "other@acme.com", name="Other")
        assert not source.gave_up.is_set()  # it went on while the system was still answering
    finally:
        source.release.set()
        thread.join(WAIT + 15)
    if "error" in out:
        raise out["error"]
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == "other@acme.com"))
    return out["value"]


def _connect(client, portal, url: str, *, check: bool = True):
    return client.post(
        f"/api/v1/portals/{portal.slug}/directory/connections",
        json={"provider": "generic", "api_key": "", "base_url": url, "fields_granted": True, "check": check},
        headers=portal.headers(),
    )


class TestReadingTheList:
    def test_preview_holds_nothing_while_the_system_answers(self, client, db, portal, source):
        """A preview reads the list with no transaction open; the others write meanwhile."""
        r = _connect(client, portal, source.url, check=False)
        assert r.status_code == 201, r.text
        conn_id = r.json()["id"]
        answer = _others_go_on_while_it_reads(
            db,
            source,
            lambda: client.post(
                f"/api/v1/portals/{portal.slug}/directory/connections/{conn_id}/preview",
                headers=portal.headers(),
            ),
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["counts"]["invite"] == 1

    def test_connect_holds_nothing_while_the_system_answers(self, client, db, portal, source):
        """Connect reads the list once first with no transaction open; then keeps the connection."""
        answer = _others_go_on_while_it_reads(db, source, lambda: _connect(client, portal, source.url))
        assert answer.status_code == 201, answer.text
        with db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(HrConnection)) == 1

    def test_a_connect_the_system_refuses_keeps_nothing(self, client, db, portal, source):
        """The list read first fails: nothing is kept (the refused connect writes no row)."""
        r = _connect(client, portal, "http://127.0.0.1:9/people.json")  # nobody listens there
        assert r.status_code == 502, r.text
        with db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(HrConnection)) == 0

    def test_the_worker_holds_nothing_while_the_system_answers(self, client, db, portal, source):
        """A sync run reads the list between its units of work; then applies it."""
        r = _connect(client, portal, source.url, check=False)
        assert r.status_code == 201, r.text
        conn_id = r.json()["id"]
        r = client.post(
            f"/api/v1/portals/{portal.slug}/directory/connections/{conn_id}/sync",
            json={},
            headers=portal.headers(),
        )
        assert r.status_code == 202, r.text
        run_id = _others_go_on_while_it_reads(db, source, lambda: hr_sync.run_due(db))
        assert str(run_id) == r.json()["id"]
        run = client.get(
            f"/api/v1/portals/{portal.slug}/directory/connections/{conn_id}/runs/{run_id}",
            headers=portal.headers(),
        ).json()
        assert run["status"] == "done" and run["counts"]["invited"] == 1, run
