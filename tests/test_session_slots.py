"""More requests than the pool has connections wait for a session on the event loop: none holds
a thread while it waits for a connection that a finished request cannot give back (it needs a
thread to end). With one thread and one connection, four accepts at once all answer."""

from __future__ import annotations

import threading

import anyio.to_thread

from admit.app import create_app
from admit.db import Database
from tests.factories import create_portal, invite, last_link


def test_a_burst_past_the_pool_waits_its_turn(db, settings, database_url, worker):
    small = Database(database_url, context=db.context, pool_size=1, max_overflow=0, pool_timeout=5)
    assert small.request_sessions == 1
    app = create_app(settings, db=small, run_worker=False)
    pf = create_portal(db)
    addresses = [f"p{i}@client.org" for i in range(4)]
    invite(db, pf, addresses, user_type="client")
    worker.drain()
    tokens = [last_link(db, a) for a in addresses]
    from fastapi.testclient import TestClient

    answers: list[int] = []
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        # One thread for endpoints (and for FastAPI's check of what they return).
        client.portal.call(
            lambda: setattr(anyio.to_thread.current_default_thread_limiter(), "total_tokens", 1)
        )

        def accept(token: str) -> None:
            answers.append(client.post(f"/api/v1/invitations/{token}/accept", json={}).status_code)

        threads = [threading.Thread(target=accept, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    small.dispose()
    assert answers == [200] * 4
