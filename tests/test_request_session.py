"""A request's unit of work (``web.db_session``): a plain endpoint that answers with a response
has its work committed in the thread it ran in (``kit.routing.finish_in_thread``: no hop to
another thread for the commit); one that raises has it rolled back, or kept when the error says
so; one whose answer FastAPI has still to check has it committed only once that is done."""

from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import event, select

from admit.errors import TwoFactorRequired
from admit.flows import setup
from admit.kit.routing import Router, finish_in_thread
from admit.portals.models import Portal
from admit.web import SessionDep


def _portal(session, name: str) -> None:
    setup.create_portal(
        session, name=name, owner_email=f"o@{name.lower()}.com", owner_password="pw-123456789!"
    )


@pytest.fixture
def probe(db):
    """An app of one router over the test's database, the threads its endpoints ran in and
    those its sessions committed in."""
    seen: dict[str, list[int]] = {"endpoint": [], "commit": []}
    router = Router()

    @router.post("/returns")
    def returns(session: SessionDep) -> JSONResponse:
        seen["endpoint"].append(threading.get_ident())
        _portal(session, "Returns")
        return JSONResponse({"ok": True})

    class Answer(BaseModel):
        n: int

    @router.post("/answers", response_model=Answer)
    def answers(session: SessionDep) -> dict:
        seen["endpoint"].append(threading.get_ident())
        _portal(session, "Answers")
        return {"n": "not a number"}  # FastAPI refuses it once the endpoint has returned

    @router.post("/raises")
    def raises(session: SessionDep) -> dict:
        _portal(session, "Raises")
        raise RuntimeError("a bug")

    @router.post("/keeps")
    def keeps(session: SessionDep) -> dict:
        _portal(session, "Keeps")
        raise TwoFactorRequired("Enter the code.")

    @router.post("/streams")
    def streams():  # a generator FastAPI streams from is left as it is
        yield "never called here"

    app = FastAPI()
    app.state.db = db
    app.include_router(router)

    @app.exception_handler(TwoFactorRequired)
    def _refused(_request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=401)

    def committed(_session) -> None:
        seen["commit"].append(threading.get_ident())

    event.listen(db.sessionmaker, "after_commit", committed)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, seen
    event.remove(db.sessionmaker, "after_commit", committed)


def _names(db) -> set[str]:
    with db.unit_of_work() as session:
        return set(session.scalars(select(Portal.name)))


def test_a_plain_endpoint_commits_in_its_own_thread(db, probe):
    client, seen = probe
    assert client.post("/returns").json() == {"ok": True}
    assert seen["endpoint"] and seen["commit"] == seen["endpoint"]
    assert _names(db) == {"Returns"}
    assert finish_in_thread.get() is None  # nothing is left behind for later requests


def test_an_answer_refused_after_the_endpoint_returned_undoes_its_work(db, probe):
    """What FastAPI checks after the endpoint (an API's model) can still fail: the work is then
    rolled back, and the commit of an answer that passes is in the end's own thread."""
    client, seen = probe
    assert client.post("/answers").status_code == 500
    assert seen["commit"] == []
    assert _names(db) == set()


def test_an_endpoint_that_raises_has_its_work_rolled_back_or_kept_as_the_error_says(db, probe):
    client, seen = probe
    assert client.post("/raises").status_code == 500
    assert client.post("/keeps").status_code == 401
    assert len(seen["commit"]) == 1  # the kept work's, in the end's own thread
    assert _names(db) == {"Keeps"}


def test_only_plain_functions_are_wrapped():
    router = Router()

    def plain() -> None: ...

    async def coroutine() -> None: ...

    def generator():
        yield 1

    for endpoint in (plain, coroutine, generator):
        router.add_api_route(f"/{endpoint.__name__}", endpoint)
    called = {route.name: route.endpoint for route in router.routes}
    assert called["plain"] is not plain and called["plain"].__wrapped__ is plain
    assert called["coroutine"] is coroutine
    assert called["generator"] is generator
