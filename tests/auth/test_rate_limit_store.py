"""The rate limits' shared store (Redis) out of reach: the limited actions fail closed (503
``busy`` with Retry-After), quickly, and nothing is let through uncounted."""

from __future__ import annotations

import time

import pytest

from admit.context import Context
from admit.kit.ratelimit import Limiter
from tests.factories import create_portal, invite
from tests.notifications.test_delivery import free_port


@pytest.fixture
def redis_down(db):
    """The app's limiter pointed at a Redis that is not there (a port nothing listens on)."""
    limiter = Limiter(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    db.context = Context(settings=db.context.settings, clock=db.context.clock, limiter=limiter)
    return limiter


def test_signing_in_is_refused_not_let_through(client, redis_down):  # noqa: ARG001
    started = time.monotonic()
    response = client.post(
        "/api/v1/auth/login", json={"email": "owner@acme.com", "password": "owner-password-123"}
    )
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "busy"
    assert int(response.headers["Retry-After"]) > 0
    assert "set-cookie" not in response.headers
    assert time.monotonic() - started < 5


def test_a_secret_link_is_not_opened(db, client, redis_down):  # noqa: ARG001
    pf = create_portal(db)
    invite(db, pf, ["ada@example.com"], user_type="client")
    response = client.post("/api/v1/invitations/some-guessed-token/accept", json={})
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "busy"


def test_with_limits_off_nothing_asks_redis(db, client):
    """Rate limits disabled (``ADMIT_RATE_LIMITS_ENABLED=false``): an unreachable store is
    never consulted, so it changes nothing."""
    limiter = Limiter(redis_url=f"redis://127.0.0.1:{free_port()}/0", enabled=False)
    db.context = Context(settings=db.context.settings, clock=db.context.clock, limiter=limiter)
    response = client.post("/api/v1/auth/login", json={"email": "nobody@acme.com", "password": "x" * 12})
    assert response.status_code == 401
