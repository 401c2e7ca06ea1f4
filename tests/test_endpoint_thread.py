"""A page's actor is found in the thread its endpoint runs in, as the endpoint's call begins
(``kit.routing.in_endpoint_thread``), not in a hop to a thread of its own before it: the
dependencies run in the order FastAPI solved them, each once, and what one raises stops the
endpoint. A route whose endpoint is a coroutine runs them in a thread of their own, as ever."""

from __future__ import annotations

import sys
import threading
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient

from admit.errors import PermissionDenied
from admit.kit.routing import Router, in_endpoint_thread
from tests.factories import OWNER_PASSWORD, create_portal, login


def _finishing_code():
    """The code of kit.routing's wrapper of a plain endpoint (``_finishing``)."""
    router = Router()
    router.add_api_route("/x", lambda: None)
    return router.routes[-1].endpoint.__code__


FINISHING = _finishing_code()


def _inside_endpoint_call() -> bool:
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is FINISHING:
            return True
        frame = frame.f_back
    return False


SEEN: list[tuple[str, int, bool]] = []


def _note(what: str) -> None:
    SEEN.append((what, threading.get_ident(), _inside_endpoint_call()))


def _who(name: str = "ada") -> str:
    _note("who")
    if name == "nobody":
        raise PermissionDenied("Not you.")
    return name.title()


Who = Annotated[str, Depends(in_endpoint_thread(_who))]


def _allowed(person: Who) -> None:
    _note("allowed")


@pytest.fixture
def probe():
    router = Router()

    @router.get("/plain", dependencies=[Depends(in_endpoint_thread(_allowed))])
    def plain(person: Who) -> PlainTextResponse:
        _note("endpoint")
        return PlainTextResponse(person)

    @router.get("/typed")
    def typed(person: Who, n: int) -> PlainTextResponse:
        _note("typed")
        return PlainTextResponse(f"{person} {n}")

    @router.get("/coroutine")
    async def coroutine(person: Who) -> PlainTextResponse:
        _note("coroutine")
        return PlainTextResponse(person)

    app = FastAPI()
    app.include_router(router)

    @app.exception_handler(PermissionDenied)
    def _refused(_request, exc):
        return JSONResponse({"detail": exc.message}, status_code=403)

    SEEN.clear()
    with TestClient(app) as client:
        yield client, SEEN


class TestInEndpointThread:
    def test_made_in_the_endpoints_thread_in_order_once_each(self, probe):
        """The route's dependency and the endpoint's parameter share one call of ``who``; both
        are made in the endpoint's thread as its call begins, in FastAPI's order."""
        client, seen = probe
        assert client.get("/plain?name=grace").text == "Grace"
        assert [what for what, _thread, _inside in seen] == ["who", "allowed", "endpoint"]
        assert len({thread for _what, thread, _inside in seen}) == 1
        assert all(inside for _what, _thread, inside in seen)

    def test_what_one_raises_stops_the_endpoint(self, probe):
        client, seen = probe
        answer = client.get("/plain?name=nobody")
        assert (answer.status_code, answer.json()) == (403, {"detail": "Not you."})
        assert [what for what, _thread, _inside in seen] == ["who"]

    def test_what_one_refuses_is_said_before_a_refused_value(self, probe):
        """FastAPI refuses ``n`` before the endpoint's thread: the dependencies are made first,
        as when FastAPI made them while solving, so who may not ask hears that, not 422."""
        client, seen = probe
        answer = client.get("/typed?n=many&name=nobody")
        assert (answer.status_code, answer.json()) == (403, {"detail": "Not you."})
        assert client.get("/typed?n=many&name=ada").status_code == 422
        assert client.get("/typed?n=2&name=ada").text == "Ada 2"
        assert [what for what, _thread, _inside in seen] == ["who", "who", "who", "typed"]

    def test_a_generator_or_coroutine_is_refused(self):
        def yields():
            yield 1

        async def awaits():
            return 1

        for call in (yields, awaits):
            with pytest.raises(TypeError, match="plain function"):
                in_endpoint_thread(call)

    def test_a_coroutine_endpoints_runs_in_a_thread_of_its_own(self, probe):
        client, seen = probe
        assert client.get("/coroutine").text == "Ada"
        (who, thread, _inside), (endpoint, loop, _) = seen
        assert (who, endpoint) == ("who", "coroutine") and thread != loop  # not on the event loop


def _noting_where_the_actor_is_found(monkeypatch, module) -> list[bool]:
    """Whether each call of ``module``'s ``portal_actor`` is made inside its endpoint's call."""
    found: list[bool] = []
    portal_actor = module.portal_actor

    def noted(*args, **kwargs):
        found.append(_inside_endpoint_call())
        return portal_actor(*args, **kwargs)

    monkeypatch.setattr(module, "portal_actor", noted)
    return found


def test_user_managements_actor_is_found_in_its_endpoints_thread(db, client, monkeypatch):
    """``pages.deps.page_actor`` (who is signed in, in which portal) runs as User Management's
    endpoint is called, in its thread: no hop to a thread of its own before it."""
    from admit.pages import deps

    pf = create_portal(db)
    login(client, pf.owner_email, OWNER_PASSWORD)
    found = _noting_where_the_actor_is_found(monkeypatch, deps)
    assert client.get(f"/p/{pf.slug}/users").status_code == 200
    assert found == [True]


def test_signed_out_with_a_mistyped_path_is_sent_to_sign_in(db, client):
    """A page's actor is found before FastAPI's refusal of a value is said: signed out, a
    member's page with a mistyped id leads to signing in, not to a 422 page."""
    pf = create_portal(db)
    answer = client.get(f"/p/{pf.slug}/members/not-an-id/access", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_an_api_operations_actor_is_found_in_its_endpoints_thread(db, client, monkeypatch):
    """``api.deps.api_actor`` (who calls: an API key, a session cookie) runs as the operation's
    endpoint is called, in its thread: no hop to a thread of its own before it. Its refusals
    come first, as before: no credentials is 401 whatever else is wrong."""
    from admit.api import deps

    pf = create_portal(db)
    found = _noting_where_the_actor_is_found(monkeypatch, deps)
    assert client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).status_code == 200
    assert found == [True]
    login(client, pf.owner_email, OWNER_PASSWORD)
    assert client.get(f"/api/v1/portals/{pf.slug}").status_code == 200
    assert found == [True, True]
    client.cookies.clear()
    refused = client.get(f"/api/v1/portals/{pf.slug}/members?limit=0")
    assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
    wrong = client.get(f"/api/v1/portals/{pf.slug}/members?limit=0", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
