"""How many SQL statements one client accept makes over HTTP (issue 13: each is a round trip).
A guard, on both backends: a change that adds one shows here."""

from __future__ import annotations

import pytest
from psycopg import pq
from sqlalchemy import event, select

from admit.audit.models import AuditEvent
from tests.factories import create_portal, invite, last_link

# BEGIN; the token with its invitation and the invitation's portal, in one read
# (``tokens.service.peek_with``, ``invitations.service.open_by_token``: the portal held by the
# invitation, so ``portals.service.get`` asks nothing); the inviter's membership (may they still
# grant it) and the recipient's (a deactivated member is not brought back by an invitation), in
# one read (``members.service.role_and_status``) when the link is opened (and again when it is
# claimed only if the transaction was left to hash a password in between); the user by address;
# the token's claim, with the invitation's other links (a reminder's) in the same UPDATE
# (``tokens.service.claim_all``); the invitation's move to accepted; its queued messages
# cancelled; the new user; the new member; the invitation's member; the portal's webhook
# endpoints that want to hear of it (read once per transaction: ``events.outbox``); the session;
# two audit events (accepted, signed in) in one INSERT (``audit.service.record``'s ``later``).
# An account made by this very accept was in no workspace (its workspaces to mark joined are
# asked only of an account that existed), and the sign-in gate asks nothing of it: it has no
# authenticator app and no portal but this one, which is held (``auth.service.two_factor_due``,
# ``made_in``); an existing account's accept asks all three.
# (SQLite shows its BEGIN IMMEDIATE; PostgreSQL's BEGIN is implicit: one fewer there.)
MOST = 13


def test_a_client_accept_makes_few_statements(client, db, worker):
    pf = create_portal(db)
    invite(db, pf, ["cleo@client.org"], user_type="client")
    worker.drain()
    token = last_link(db, "cleo@client.org")
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.post(f"/api/v1/invitations/{token}/accept", json={})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    said = "\n".join(s[:90] for s in seen)
    assert len(seen) <= (MOST if db.is_sqlite else MOST - 1), said
    assert sum(s.startswith("SELECT") and "invitations.id" in s for s in seen) == 1, said  # read once
    assert sum(s.startswith("INSERT INTO audit_events") for s in seen) == 1, said
    with db.unit_of_work() as session:
        actions = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.target_label == "cleo@client.org"))
        )
        assert (actions.count("invitation.accepted"), actions.count("user.signed_in")) == (1, 1)


# On PostgreSQL each statement is a round trip to the server, and so are the transaction's BEGIN
# (psycopg sends it before the first statement) and COMMIT: the 12 statements above (SQLite's
# BEGIN IMMEDIATE aside) and those two. A connection the pool hands out moments after its last
# use is not pinged first (``db.PING_AFTER_IDLE_SECONDS``).
ROUND_TRIPS = 14


def test_a_client_accept_makes_few_round_trips_on_postgresql(client, db, worker, tmp_path):
    if db.is_sqlite:
        pytest.skip("PostgreSQL's round trips")
    trace = (tmp_path / "libpq.trace").open("w+")

    def traced(dbapi_connection, _record):
        # libpq's own record of every message it sends and receives (F: to the server).
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    db.engine.dispose()  # every connection from here on is a traced one
    event.listen(db.engine, "connect", traced)
    try:
        pf = create_portal(db)
        invite(db, pf, ["cleo@client.org"], user_type="client")
        worker.drain()
        token = last_link(db, "cleo@client.org")
        trace.flush()
        start = trace.tell()
        response = client.post(f"/api/v1/invitations/{token}/accept", json={})
        trace.flush()
        trace.seek(start)
        sent = [line.split("\t") for line in trace.read().splitlines() if line.startswith("F\t")]
    finally:
        event.remove(db.engine, "connect", traced)
        db.engine.dispose()
        trace.close()
    assert response.status_code == 200, response.text
    # Each Query (a plain one: BEGIN, COMMIT, a ping) or Sync (the end of a statement sent with
    # its values) waits for the server's answer.
    trips = [fields[-1][:80] for fields in sent if fields[2] in ("Query", "Sync")]
    said = [fields[-1][:80] for fields in sent if fields[2] in ("Query", "Parse")]
    assert len(trips) <= ROUND_TRIPS, "\n".join(said)
