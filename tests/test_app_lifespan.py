"""What the app does as it starts serving is done once per app, however often its lifespan
starts: a test client starts it once per test, and each start walked every route and ran a full
garbage collection, freezing what the test had left alive (``app._freeze_what_was_built``)."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient


def test_a_second_start_does_not_freeze_again(_app, db, monkeypatch):  # noqa: ARG001 - db sets the context
    with TestClient(_app):
        pass  # started once (it may have been already, by an earlier test)
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    with TestClient(_app) as client:
        assert client.get("/healthz").status_code == 200
    assert frozen == []
