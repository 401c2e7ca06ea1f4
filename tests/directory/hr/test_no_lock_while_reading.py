"""An HR system is read with no transaction open and no connection held: a slow list (or one
that calls Admit back, as Admit's own people.csv does) does not stop every other request and
the worker, on SQLite (the one write lock) or on PostgreSQL (a connection and its row locks).

So is its URL's host looked up (DNS) when a connection is made or its URL changed.

The system here is a tiny server on loopback that answers only when the test lets it
(``tests.held``); while it waits, another unit of work writes and commits, and the pool has no
connection out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from admit.directory.models import HrConnection
from admit.flows import hr_sync
from tests.directory.hr.fakes import running
from tests.held import WAIT, Held, held_lookups, others_go_on_while_held

LIST = [{"id": "1", "name": "Ada Lovelace", "work_email": "ada@acme.com"}]


@contextmanager
def slow_list() -> Iterator[tuple[str, Held]]:
    """A JSON list at a URL on 127.0.0.1 that answers only once the test lets it (``Held``)."""
    held = Held()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            held.hold()
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
        try:
            yield f"{root}/people.json", held
        finally:
            held.release.set()  # a request still held is let go before the server stops


@pytest.fixture
def source(db, change_settings):  # noqa: ARG001 - db empties the tables first
    change_settings(directory_allow_private=True, hr_timeout_seconds=WAIT + 10)
    with slow_list() as s:
        yield s


def _connect(client, portal, url: str, *, check: bool = True):
    return client.post(
        f"/api/v1/portals/{portal.slug}/directory/connections",
        json={"provider": "generic", "api_key": "", "base_url": url, "fields_granted": True, "check": check},
        headers=portal.headers(),
    )


def _connected(client, portal, url: str) -> str:
    """The path of a new connection to the list at ``url`` (not read yet)."""
    r = _connect(client, portal, url, check=False)
    assert r.status_code == 201, r.text
    return f"/api/v1/portals/{portal.slug}/directory/connections/{r.json()['id']}"


class TestReadingTheList:
    def test_preview_holds_nothing_while_the_system_answers(self, client, db, portal, source):
        """A preview reads the list with no transaction open; the others write meanwhile."""
        url, held = source
        path = _connected(client, portal, url)
        answer = others_go_on_while_held(
            db, held, lambda: client.post(f"{path}/preview", headers=portal.headers())
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["counts"]["invite"] == 1

    def test_connect_holds_nothing_while_the_system_answers(self, client, db, portal, source):
        """Connect reads the list once first with no transaction open; then keeps the connection."""
        url, held = source
        answer = others_go_on_while_held(db, held, lambda: _connect(client, portal, url))
        assert answer.status_code == 201, answer.text
        with db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(HrConnection)) == 1

    def test_a_connect_the_system_refuses_keeps_nothing(self, client, db, portal):
        """The list read first fails: nothing is kept (the refused connect writes no row)."""
        r = _connect(client, portal, "http://127.0.0.1:9/people.json")  # nobody listens there
        assert r.status_code == 502, r.text
        with db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(HrConnection)) == 0

    def test_the_worker_holds_nothing_while_the_system_answers(self, client, db, portal, source):
        """A sync run reads the list between its units of work; then applies it."""
        url, held = source
        path = _connected(client, portal, url)
        r = client.post(f"{path}/sync", json={}, headers=portal.headers())
        assert r.status_code == 202, r.text
        run_id = others_go_on_while_held(db, held, lambda: hr_sync.run_due(db))
        assert str(run_id) == r.json()["id"]
        run = client.get(f"{path}/runs/{run_id}", headers=portal.headers()).json()
        assert run["status"] == "done" and run["counts"]["invited"] == 1, run


class TestLookingUpTheUrl:
    """The list's host is looked up (DNS) with no transaction open (``tests.held.held_lookups``:
    ``*.slow.test`` answers when the test lets it)."""

    @pytest.fixture
    def resolver(self, monkeypatch) -> Held:
        return held_lookups(monkeypatch)

    def test_a_new_connections_host_is_looked_up_holding_nothing(self, client, db, portal, resolver):
        """Connecting a list at a URL looks its host up with no transaction open."""
        answer = others_go_on_while_held(
            db, resolver, lambda: _connect(client, portal, "https://hr.slow.test/people.json", check=False)
        )
        assert answer.status_code == 201, answer.text

    def test_a_changed_list_url_is_looked_up_holding_nothing(self, client, db, portal, resolver):
        """Changing where the list is looks the new host up with no transaction open; the rest of
        the change is applied with it."""
        path = _connected(client, portal, "https://hr.fast.test/people.json")
        body = {
            "base_url": "https://hr.slow.test/people.json",
            "api_key": "token-12345678",
            "schedule": "daily",
        }
        answer = others_go_on_while_held(
            db, resolver, lambda: client.patch(path, json=body, headers=portal.headers())
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["base_url"] == body["base_url"] and answer.json()["schedule"] == "daily"
