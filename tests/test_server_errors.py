"""A request that fails inside Admit (a bug) is answered as every other error is: problem+json
``internal_error`` under /api, the error page elsewhere, with the security headers and the
request's id, and a reference to the log line that has the traceback (never the traceback)."""

from __future__ import annotations

import logging

import pytest
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from sqlalchemy import select

from admit.flows import setup
from admit.kit.routing import Router
from admit.portals.models import Portal
from admit.web import SessionDep

PROBLEM = "application/problem+json"
SECRET = "a bug that names what only the log may say"


@pytest.fixture
def failing(db, settings):
    """The app as ``create_app`` builds it, with one more router whose routes fail: one under
    /api (after writing a portal), one page."""
    from admit.app import create_app

    app = create_app(settings, db=db, run_worker=False)
    router = Router()

    @router.post("/api/v1/fails")
    def api_fails(session: SessionDep) -> None:
        setup.create_portal(session, name="Half", owner_email="o@half.com", owner_password="pw-123456789!")
        raise RuntimeError(SECRET)

    @router.get("/fails")
    def page_fails() -> None:
        raise RuntimeError(SECRET)

    @router.get("/api/v1/fails-midway")
    def export_fails() -> StreamingResponse:
        def rows():
            yield "email\r\n"
            raise RuntimeError(SECRET)

        return StreamingResponse(rows(), media_type="text/csv")

    app.include_router(router)
    # What a client is answered (the test client would otherwise raise what the server logs).
    with TestClient(app, client=("127.0.0.1", 50000), raise_server_exceptions=False) as client:
        yield client


def test_the_api_answers_a_fault_as_a_problem(failing, db, caplog):
    """500 problem+json, code internal_error, a reference (the request id) and no traceback;
    its work rolled back; the traceback is logged under that reference."""
    with caplog.at_level(logging.ERROR, logger="admit"):
        r = failing.post("/api/v1/fails", headers={"X-Request-ID": "fault-0001"})
    assert (r.status_code, r.headers["content-type"]) == (500, PROBLEM), r.text
    body = r.json()
    assert (body["code"], body["status"], body["type"]) == ("internal_error", 500, "/errors#internal_error")
    assert "fault-0001" in body["detail"]
    assert SECRET not in r.text and "Traceback" not in r.text
    assert r.headers["X-Request-ID"] == "fault-0001"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    [record] = [rec for rec in caplog.records if rec.getMessage().startswith("request.failed")]
    assert "reference=fault-0001" in record.getMessage() and "route=/api/v1/fails" in record.getMessage()
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])
    with db.unit_of_work() as session:
        assert session.scalars(select(Portal.name)).all() == []


def test_a_page_answers_a_fault_with_the_error_page(failing):
    """500, the error page (HTML, its title and the reference), not text/plain."""
    r = failing.get("/fails", headers={"X-Request-ID": "fault-0002"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in r.text and "fault-0002" in r.text
    assert SECRET not in r.text and "Traceback" not in r.text
    assert r.headers["X-Frame-Options"] == "DENY"


def test_a_fault_after_the_answer_began_is_logged_under_its_reference(failing, caplog):
    """A streamed export that fails halfway cannot be answered again; its traceback is still
    logged with the request's id as reference (the server's own log line would have none)."""
    with caplog.at_level(logging.ERROR, logger="admit"):
        failing.get("/api/v1/fails-midway", headers={"X-Request-ID": "fault-0003"})
    logged = [rec for rec in caplog.records if "reference=fault-0003" in rec.getMessage()]
    assert logged and logged[0].exc_info is not None and SECRET in str(logged[0].exc_info[1])
