"""``Idempotency-Key`` on the API's creating operations, through the real app, on both backends: a
retry is answered the first answer and does nothing again; a key names one request, is its
caller's own, is kept 24 hours (then swept); a refused request keeps none; without the header
nothing changes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text

from admit.api.deps import ActorDep
from admit.api.idempotency import IdempotentDep
from admit.audit import service as audit_service
from admit.audit.models import AuditEvent
from admit.errors import InvalidInput
from admit.invitations import service as invitations_service
from admit.invitations.models import Invitation
from admit.kit import clock
from admit.kit.routing import Router
from admit.notifications.models import Notification
from admit.web import SessionDep
from tests.factories import create_portal
from tests.workspaces.helpers import api, create_workspace

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def _invite(client, pf, recipients, *, key=None, headers=None, **body):
    sent = {**(headers or pf.headers()), **({KEY: key} if key is not None else {})}
    body = {"recipients": recipients, "user_type": "internal", **body}
    return client.post(api(pf, "/invitations"), json=body, headers=sent)


def _count(db, model, *where) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _keys(db) -> int:
    """The keys kept (imported here: the same tests run against the code before the table)."""
    from admit.idempotency.models import IdempotencyKey

    return _count(db, IdempotencyKey)


def _messages_to(db, address: str) -> int:
    """Messages queued to ``address`` (the notifications outbox): one per email sent or to send."""
    return _count(db, Notification, Notification.to_address == address)


def _second_key(client, pf) -> dict:
    """Another caller: a second API key of the same portal (made by the same owner)."""
    r = client.post(api(pf, "/api-keys"), json={"name": "Second integration"}, headers=pf.headers())
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['secret']}"}


class TestInvitationsCreate:
    def test_a_retry_is_answered_the_first_answer_and_invites_nobody_again(self, client, db):
        """The retry of a request whose answer was lost: 201 with the first answer, byte for byte
        (not every recipient ``already_invited``), marked replayed; one invitation, one email."""
        pf = create_portal(db)
        first = _invite(client, pf, ["ada@example.com", "grace@example.com"], key="k-7f3a")
        assert first.status_code == 201, first.text
        assert REPLAYED not in first.headers
        assert first.json()["counts"]["invited"] == 2
        again = _invite(client, pf, ["ada@example.com", "grace@example.com"], key="k-7f3a")
        assert again.status_code == 201, again.text
        assert again.headers[REPLAYED] == "true"
        assert again.headers["content-type"] == "application/json"
        assert again.content == first.content
        assert _count(db, Invitation) == 2
        assert _messages_to(db, "ada@example.com") == 1
        assert _keys(db) == 1

    def test_the_same_key_with_another_body_is_refused(self, client, db):
        """A key names one request: another list under it is 422 ``idempotency_key_reused``,
        naming the header, and nothing of it is done."""
        pf = create_portal(db)
        assert _invite(client, pf, ["ada@example.com"], key="k-1").status_code == 201
        other = _invite(client, pf, ["mallory@example.com"], key="k-1")
        assert other.status_code == 422, other.text
        problem = other.json()
        assert (problem["code"], problem["field"]) == ("idempotency_key_reused", KEY), problem
        assert KEY in problem["detail"]
        assert _count(db, Invitation, Invitation.recipient == "mallory@example.com") == 0
        # Another operation under the key is another request too.
        [inv] = _invite(client, pf, ["ada@example.com"], key="k-1").json()["results"]
        resent = client.post(
            api(pf, f"/invitations/{inv['invitation']['id']}/resend"), headers={**pf.headers(), KEY: "k-1"}
        )
        assert resent.json()["code"] == "idempotency_key_reused", resent.text
        assert _messages_to(db, "ada@example.com") == 1

    @pytest.mark.parametrize(
        ("key", "said"),
        [("", "give a key of 1 to 200 characters"), ("k" * 201, "At most 200 characters; this one has 201.")],
        ids=["empty", "too-long"],
    )
    def test_a_key_that_is_empty_or_too_long_is_refused_naming_the_header(self, client, db, key, said):
        pf = create_portal(db)
        r = _invite(client, pf, ["ada@example.com"], key=key)
        assert r.status_code == 422, r.text
        problem = r.json()
        assert (problem["code"], problem["field"]) == ("invalid_input", KEY), problem
        assert said in problem["detail"], problem["detail"]
        assert _count(db, Invitation) == 0
        assert _keys(db) == 0

    def test_another_caller_with_the_same_key_is_answered_for_itself(self, client, db):
        """A key is its caller's own: another API key sending the same key (another request)
        is neither refused nor given the first caller's answer."""
        pf = create_portal(db)
        mine = _invite(client, pf, ["ada@example.com"], key="shared-key")
        theirs = _invite(client, pf, ["grace@example.com"], key="shared-key", headers=_second_key(client, pf))
        assert theirs.status_code == 201, theirs.text
        assert REPLAYED not in theirs.headers
        assert theirs.json()["results"][0]["recipient"] == "grace@example.com"
        assert mine.json()["results"][0]["recipient"] == "ada@example.com"
        assert _keys(db) == 2

    def test_a_refused_request_keeps_no_key_and_its_retry_runs(self, client, db):
        """A 4xx is not kept: the key stays free, and the corrected request runs under it."""
        pf = create_portal(db)
        refused = _invite(client, pf, ["ada@example.com"], key="k-2", products=["nope"])
        assert refused.status_code == 422, refused.text
        assert _keys(db) == 0
        fixed = _invite(client, pf, ["ada@example.com"], key="k-2")
        assert fixed.status_code == 201, fixed.text
        assert REPLAYED not in fixed.headers
        assert fixed.json()["counts"]["invited"] == 1

    def test_a_key_is_kept_24_hours_then_swept(self, client, db, worker):
        """Within 24 hours the worker's sweep leaves a key; after, it deletes it, and the same
        request with that key is a new one (answered for itself: here, already invited)."""
        pf = create_portal(db)
        assert _invite(client, pf, ["ada@example.com"], key="k-3").status_code == 201
        with clock.travel(timedelta(hours=23)):
            assert worker.run_scheduled()["idempotency_keys"] == 0
            assert _invite(client, pf, ["ada@example.com"], key="k-3").headers[REPLAYED] == "true"
        with clock.travel(timedelta(hours=24, minutes=1)):
            assert worker.run_scheduled()["idempotency_keys"] == 1
            assert _keys(db) == 0
            again = _invite(client, pf, ["ada@example.com"], key="k-3")
        assert REPLAYED not in again.headers
        assert again.json()["results"][0]["code"] == "already_invited", again.text

    def test_a_key_past_its_24_hours_not_yet_swept_is_a_new_request(self, client, db):
        pf = create_portal(db)
        assert _invite(client, pf, ["ada@example.com"], key="k-4").status_code == 201
        with clock.travel(timedelta(hours=25)):
            again = _invite(client, pf, ["grace@example.com"], key="k-4")
        assert again.status_code == 201, again.text
        assert REPLAYED not in again.headers
        assert _keys(db) == 1


def _statements_of(db, do) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        do()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


class TestStatements:
    def test_without_the_header_nothing_is_asked_of_the_keys(self, client, db):
        pf = create_portal(db)
        seen = _statements_of(db, lambda: _invite(client, pf, ["ada@example.com"]))
        assert not [s for s in seen if "idempotency_keys" in s], seen
        assert _keys(db) == 0

    def test_with_it_one_read_then_the_key_written_with_the_work(self, client, db):
        """A new key: its read, its row, its answer. A retry: its read, and nothing written."""
        pf = create_portal(db)
        seen = _statements_of(db, lambda: _invite(client, pf, ["ada@example.com"], key="k-5"))
        keyed = [s.split(" ")[0] for s in seen if "idempotency_keys" in s]
        assert keyed == ["SELECT", "INSERT", "UPDATE"], seen
        seen = _statements_of(db, lambda: _invite(client, pf, ["ada@example.com"], key="k-5"))
        assert [s.split(" ")[0] for s in seen if "idempotency_keys" in s] == ["SELECT"], seen
        assert not [s for s in seen if s.startswith(("INSERT", "UPDATE", "DELETE"))], seen


class TestAtTheSameMoment:
    def test_two_requests_with_one_key_do_the_work_once(self, client, db, monkeypatch):
        """A double click: the second request comes while the first is inviting. It waits for
        the first to end (PostgreSQL: on the key's unique index; SQLite: for its turn to write)
        and is answered its answer: one invitation, one email."""
        pf = create_portal(db)
        # The key's first use writes when it was used (once an hour), which the second request
        # would wait on before it came to the idempotency key: used once before, it writes nothing.
        assert client.get(api(pf, "/invitations"), headers=pf.headers()).status_code == 200
        inviting, go_on = threading.Event(), threading.Event()
        real_invite = invitations_service.invite
        invited: list[object] = []

        def invite_then_hold(*args, **kwargs):
            batch = real_invite(*args, **kwargs)
            invited.append(batch)
            inviting.set()
            assert go_on.wait(30)
            return batch

        monkeypatch.setattr(invitations_service, "invite", invite_then_hold)
        answers: dict[str, object] = {}

        def send(name: str) -> None:
            answers[name] = _invite(client, pf, ["ada@example.com"], key="double-click")

        first = threading.Thread(target=send, args=("first",))
        first.start()
        assert inviting.wait(30)
        second_came = threading.Event()

        def checkout(*_args) -> None:
            second_came.set()  # the first holds its connection: this is the second's

        event.listen(db.engine, "checkout", checkout)
        second = threading.Thread(target=send, args=("second",))
        try:
            second.start()
            assert second_came.wait(30)
            if not db.is_sqlite:  # its INSERT of the key waits on the first's, uncommitted
                _wait_for_a_lock_on_the_keys(db)
            # (SQLite: its transaction cannot begin before the first's ends: one writer at a time)
        finally:
            event.remove(db.engine, "checkout", checkout)
            go_on.set()
            first.join(30)
            second.join(30)
        one, two = answers["first"], answers["second"]
        assert (one.status_code, two.status_code) == (201, 201), (one.text, two.text)
        assert REPLAYED not in one.headers and two.headers[REPLAYED] == "true"
        assert two.content == one.content
        assert len(invited) == 1
        assert _count(db, Invitation) == 1
        assert _messages_to(db, "ada@example.com") == 1


def _wait_for_a_lock_on_the_keys(db) -> None:
    """Until a PostgreSQL session waits on a lock while writing the idempotency keys (no event
    tells it: the server's own view is asked, every 10 ms, for up to 30 s)."""
    deadline = time.monotonic() + 30
    waiting: list[str] = []
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = list(
                conn.execute(
                    text(
                        "SELECT query FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalars()
            )
            conn.rollback()
            if any(q.startswith("INSERT INTO idempotency_keys") for q in waiting):
                return
            time.sleep(0.01)
    raise AssertionError(f"the second request never waited on the first's key: {waiting}")


def _honouring(document) -> set[str]:
    """The operations whose document shows the header."""
    return {
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
        if any(p["name"] == KEY and p["in"] == "header" for p in operation.get("parameters", ()))
    }


def test_the_document_shows_the_header_where_it_is_honoured(client):
    document = client.get("/api/v1/openapi.json").json()
    assert _honouring(document) == {
        "invitations_create",
        "invitations_resend",
        "workspaces_members_add",
        "workspaces_members_resend",
        "workspaces_teams_resend",
        "workspaces_invitations_resend",
        "workspaces_groups_resend",
        "link_signups_resend",
        "contacts_invite",
        "people_bulk_start",
        "invitation_imports_create",  # its own way with the key (the earlier import), the same key rule
    }
    create = document["paths"]["/api/v1/portals/{portal}/invitations"]["post"]
    assert "idempotency_key_reused" in create["responses"]["422"]["x-error-codes"]


class TestOtherOperations:
    def test_a_resend_retried_sends_one_email(self, client, db):
        pf = create_portal(db)
        [made] = _invite(client, pf, ["ada@example.com"]).json()["results"]
        resend = api(pf, f"/invitations/{made['invitation']['id']}/resend")
        first = client.post(resend, headers={**pf.headers(), KEY: "resend-1"})
        again = client.post(resend, headers={**pf.headers(), KEY: "resend-1"})
        assert (first.status_code, again.status_code) == (200, 200), again.text
        assert again.headers[REPLAYED] == "true" and again.content == first.content
        assert _messages_to(db, "ada@example.com") == 2  # the invitation, and one resend

    def test_a_refused_resend_keeps_no_key(self, client, db):
        """A resend refused (409: revoked) is not kept: the same key is free for what follows."""
        pf = create_portal(db)
        [made] = _invite(client, pf, ["ada@example.com"]).json()["results"]
        base = api(pf, f"/invitations/{made['invitation']['id']}")
        assert client.post(f"{base}/revoke", headers=pf.headers()).status_code == 200
        refused = client.post(f"{base}/resend", headers={**pf.headers(), KEY: "resend-2"})
        assert refused.status_code == 409, refused.text
        assert _keys(db) == 0

    def test_a_workspace_invite_retried_invites_once(self, client, db):
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add = api(pf, f"/workspaces/{ws['id']}/members")
        body = {"recipients": ["cleo@client.org"], "user_type": "client"}
        first = client.post(add, json=body, headers={**pf.headers(), KEY: "ws-1"})
        again = client.post(add, json=body, headers={**pf.headers(), KEY: "ws-1"})
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.headers[REPLAYED] == "true" and again.content == first.content
        assert _messages_to(db, "cleo@client.org") == 1

    def test_a_bulk_action_retried_starts_one_job(self, client, db):
        """``POST …/people/bulk`` (202, the worker does it): a retry answers the first job."""
        pf = create_portal(db)
        _invite(client, pf, ["ada@example.com"])
        start = api(pf, "/people/bulk")
        body = {"action": "resend", "filter": {"status": "pending"}}
        first = client.post(start, json=body, headers={**pf.headers(), KEY: "bulk-1"})
        again = client.post(start, json=body, headers={**pf.headers(), KEY: "bulk-1"})
        assert (first.status_code, again.status_code) == (202, 202), again.text
        assert again.headers[REPLAYED] == "true" and again.content == first.content
        from admit.bulk.models import BulkJob

        assert _count(db, BulkJob) == 1


def test_a_refusal_that_keeps_its_work_keeps_no_key(db):
    """A refusal whose work is committed (``DomainError.keeps_work``) is not the request's
    answer: its key is given up (``api.idempotency``'s release), so a retry runs again (without
    it the key is committed unanswered and the retry fails 500). No operation that takes the header
    refuses so today; this is the way one would, on a route of the test's own."""
    pf = create_portal(db)
    router = Router()

    @router.post("/portals/{portal}/refuses")
    def refuses(actor: ActorDep, session: SessionDep, once: IdempotentDep) -> dict:
        def work() -> dict:
            audit_service.record(session, actor, "test.refused", target_type="portal")
            refused = InvalidInput("Refused, the event kept.", field="code")
            refused.keeps_work = True
            raise refused

        return once(session, actor, work)

    def problem(_request, exc: InvalidInput) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    app = FastAPI(exception_handlers={InvalidInput: problem})
    app.state.db = db
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(2):
            r = client.post(f"/portals/{pf.slug}/refuses", headers={**pf.headers(), KEY: "k-kept"})
            assert r.status_code == 422, r.text
    assert _count(db, AuditEvent, AuditEvent.action == "test.refused") == 2  # each try's work kept
    assert _keys(db) == 0
