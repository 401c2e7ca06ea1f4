"""What an operator watches (issue 13, "Deploying at scale"): /healthz, /readyz (the database and
its schema) and /metrics (requests by route template, the outbox, imports), through the real app
on both backends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from admit.kit.tokens import new_token
from tests.factories import create_portal, invite


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if labels else ''} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"{name}{labels} not in /metrics"
    return float(found.group(1))


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "database": "ok", "schema": "ok"}


def test_every_answer_says_the_servers_time(client):
    """``Server-Timing: app;dur=<ms>`` on pages, the API and a refusal (404) alike: what a
    browser's developer tools show and what bench/roster.py reads as the server's time."""
    for answer in (client.get("/healthz"), client.get("/sign-in"), client.get("/api/v1/nothing-here")):
        timing = re.fullmatch(r"app;dur=(\d+\.\d)", answer.headers["server-timing"])
        assert timing, answer.headers.get("server-timing")
        assert 0 <= float(timing.group(1)) < 60_000


def test_readyz_says_when_the_schema_is_behind(tmp_path):
    from admit.app import create_app
    from admit.db import Database
    from admit.settings import Settings

    url = f"sqlite:///{tmp_path / 'empty.db'}"  # never migrated
    app = create_app(Settings(database_url=url, environment="test"), db=Database(url), run_worker=False)
    with TestClient(app) as c:
        answer = c.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "not ready"
    assert answer.json()["schema"] == "no schema: run admit migrate"  # was "at None, …"


def test_metrics_count_routes_not_tokens_and_read_the_outbox(client, db, worker):
    pf = create_portal(db)
    token = new_token()
    client.get(f"/invite/{token}")
    invite(db, pf, ["ada@example.com", "grace@example.com"])
    text = client.get("/metrics").text
    assert token not in text
    assert (
        _metric(text, "admit_http_requests_total", method="GET", route="/invite/{token}", status="410") >= 1
    )
    assert _metric(text, "admit_outbox_depth") == 2
    assert _metric(text, "admit_outbox_oldest_age_seconds") >= 0
    # An API route by its whole template, its router's prefix in front (FastAPI 0.165 gives the
    # route as its own router wrote it: "/portals/{portal}/invitations").
    client.get(f"/api/v1/portals/{pf.slug}/invitations", headers=pf.headers())
    text = client.get("/metrics").text
    route = "/api/v1/portals/{portal}/invitations"
    assert _metric(text, "admit_http_requests_total", method="GET", route=route, status="200") >= 1
    worker.drain()
    text = client.get("/metrics").text
    assert _metric(text, "admit_outbox_depth") == 0
    assert _metric(text, "admit_messages", status="sent") == 2


@pytest.fixture
def remote(app):
    with TestClient(app, client=("203.0.113.5", 40000)) as c:
        yield c


def test_metrics_answer_loopback_or_the_token_only(remote, app, monkeypatch):
    assert remote.get("/metrics").status_code == 404
    monkeypatch.setattr(app.state.db.context.settings, "metrics_token", "scrape-me-please")
    assert remote.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert remote.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"}).status_code == 200


def _nothing_listens() -> str:
    """A loopback port nothing listens on (bound, then let go)."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as sock:
        return str(sock.getsockname()[1])


def test_readyz_says_when_redis_does_not_answer(database_url, db):  # noqa: ARG001 - db: a migrated database
    """With ADMIT_REDIS_URL where nothing answers, every rate-limited action (sign-in, invite
    links) answers 503 ``busy``: /readyz says so, "degraded", but stays 200, since a 503 on every
    replica at once would take the whole site out (the pages that need no Redis too); the
    database alone decides 503. Unauthenticated, it names the error's type, not Redis's address.
    Without ADMIT_REDIS_URL there is no "redis" check at all."""
    from admit.app import create_app
    from admit.db import Database
    from admit.settings import Settings

    port = _nothing_listens()
    url = f"redis://127.0.0.1:{port}/0"
    settings = Settings(database_url=database_url, environment="test", redis_url=url)
    database = Database(database_url)  # its context built from the settings, Redis's limiter
    try:
        with TestClient(create_app(settings, db=database, run_worker=False)) as c:
            answer = c.get("/readyz")
    finally:
        database.dispose()
    said = answer.json()
    assert answer.status_code == 200, said
    assert said == {
        "status": "degraded",
        "database": "ok",
        "schema": "ok",
        "redis": "unreachable: ConnectionError",
    }
    assert "127.0.0.1" not in answer.text and port not in answer.text


def test_metrics_count_delivery_attempts_by_outcome(client, db, settings):
    """``admit_messages`` is a gauge of messages by their status now: an SMTP outage showed as
    little (they wait as queued). ``admit_delivery_attempts_total{outcome}`` counts each try the
    worker records: sent, retry (the relay did not answer), failed."""
    from admit.jobs import Worker
    from admit.kit import clock

    def attempts(outcome: str) -> float:
        text = client.get("/metrics").text
        found = re.search(
            rf'^admit_delivery_attempts_total{{outcome="{outcome}"}} (\S+)$', text, re.MULTILINE
        )
        return float(found.group(1)) if found else 0.0

    before = {outcome: attempts(outcome) for outcome in ("sent", "retry", "failed")}
    pf = create_portal(db)
    invite(db, pf, ["ada@example.com", "grace@example.com"])
    nowhere = settings.model_copy(
        update={"email_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": int(_nothing_listens())}
    )
    Worker(db, nowhere).drain()
    assert attempts("retry") - before["retry"] == 2
    with clock.travel(timedelta(hours=1)):
        Worker(db, nowhere.model_copy(update={"delivery_max_attempts": 2})).drain()
    assert attempts("failed") - before["failed"] == 2
    assert invite(db, pf, ["linus@example.com"]).invited
    Worker(db, settings).drain()
    assert attempts("sent") - before["sent"] == 1
