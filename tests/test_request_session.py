"""A request's unit of work (``web.db_session``): a plain endpoint that answers with a response
has its work committed in the thread it ran in (``kit.routing.finish_in_thread``: no hop to
another thread for the commit), and so has one whose answer its model checks, once it is checked
and written out there; one that raises has it rolled back, or kept when the error says so; one
whose answer the model refuses has it rolled back."""

from __future__ import annotations

import sys
import threading

import pytest
from fastapi import Depends, FastAPI, Response
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
    seen: dict[str, list] = {"endpoint": [], "commit": [], "after_endpoint": []}
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

    @router.post("/checked", response_model=Answer, status_code=201)
    def checked(session: SessionDep, response: Response) -> dict:
        seen["endpoint"].append(threading.get_ident())
        _portal(session, "Checked")
        response.set_cookie("kept", "yes")
        return {"n": "7"}  # the model's check makes it 7

    def sets_a_header(response: Response) -> None:
        response.headers["X-Set-By"] = "dependency"

    @router.post("/given", response_model=Answer, dependencies=[Depends(sets_a_header)])
    def given(session: SessionDep) -> Answer:  # takes no response itself
        seen["endpoint"].append(threading.get_ident())
        _portal(session, "Given")
        return Answer(n=1)

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
        # Whether it ran as the endpoint's call returned (kit.routing's wrapper of it), not later:
        # threads are reused, so a hop to another may land in the same one.
        frame, inside = sys._getframe(), False
        while frame is not None and not inside:
            inside = frame.f_code is _finishing_code
            frame = frame.f_back
        seen["after_endpoint"].append(inside)

    event.listen(db.sessionmaker, "after_commit", committed)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, seen
    event.remove(db.sessionmaker, "after_commit", committed)


# The code of kit.routing's wrapper of a plain endpoint, which ends its work as it returns.
def _finishing_code():
    router = Router()
    router.add_api_route("/x", lambda: None)
    return router.routes[-1].endpoint.__code__


_finishing_code = _finishing_code()


def _names(db) -> set[str]:
    with db.unit_of_work() as session:
        return set(session.scalars(select(Portal.name)))


def test_a_plain_endpoint_commits_in_its_own_thread(db, probe):
    client, seen = probe
    assert client.post("/returns").json() == {"ok": True}
    assert seen["endpoint"] and seen["commit"] == seen["endpoint"]
    assert seen["after_endpoint"] == [True]
    assert _names(db) == {"Returns"}
    assert finish_in_thread.get() is None  # nothing is left behind for later requests


def test_an_answer_its_model_checks_is_written_and_committed_in_the_endpoints_own_thread(db, probe):
    """An API's answer: checked and written out as FastAPI would, with the status and headers
    set on the response the endpoint and its dependencies were given (a session's cookie), and
    the work committed in the endpoint's thread."""
    client, seen = probe
    answer = client.post("/checked")
    assert (answer.status_code, answer.json(), answer.cookies.get("kept")) == (201, {"n": 7}, "yes")
    assert answer.headers["content-type"] == "application/json"
    answer = client.post("/given")
    assert (answer.status_code, answer.json(), answer.headers["x-set-by"]) == (200, {"n": 1}, "dependency")
    assert len(seen["endpoint"]) == 2 and seen["commit"] == seen["endpoint"]
    assert seen["after_endpoint"] == [True, True]
    assert _names(db) == {"Checked", "Given"}
    assert finish_in_thread.get() is None


def test_an_answer_refused_after_the_endpoint_returned_undoes_its_work(db, probe):
    """What FastAPI checks after the endpoint (an API's model) can still fail: the work is then
    rolled back."""
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
