"""``kit.routing.Router``: its quick "no" never changes which route takes a request."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import Match

from admit.kit.routing import Router, path_pattern


def _scope(app, path: str, method: str = "GET") -> dict:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": [], "app": app}


def _own_routers(app) -> list:
    return [r for r in app.router.routes if isinstance(getattr(r, "original_router", None), Router)]


def _paths(app) -> list[tuple[str, str]]:
    """Every API route and page as a request would ask for it, its parameters filled in."""
    out = []
    for included in _own_routers(app):
        for context in included.effective_route_contexts():
            route = context.original_route
            if isinstance(route, APIRoute):
                path = re.sub(r"\{[^}]+\}", "a1b2", context.path_format)
                out.extend((path, method) for method in sorted(route.methods))
    return out


def _answers(app, asked) -> dict:
    """How each top-level router answers each (path, method), and with which route."""
    from fastapi.routing import _get_fastapi_scope

    out = {}
    for path, method in asked:
        for included in _own_routers(app):
            scope = _scope(app, path, method)
            _get_fastapi_scope(scope)
            match, _child, route, _context = included._match(scope)
            out[path, method, id(included)] = (included.matches(_scope(app, path, method))[0], match, route)
    return out


def test_every_route_is_still_found_and_a_wrong_path_quickly_refused(_app, monkeypatch):
    """For every route of the app, each top-level router answers as it does without the quick
    "no" (the route's router takes it with that route, the others refuse), for its method and
    for a method it lacks (a 405 needs a partial match); paths nobody serves are refused."""
    routes = _paths(_app)
    assert len(routes) > 200, "the app's routes were not all found"
    unknown = [("/api/v1/nothing-here", "GET"), ("/p/acme/no-such-page", "GET"), ("/users", "GET")]
    asked = [*routes, *[(p, "DELETE") for p, _m in routes], *unknown]
    quick = _answers(_app, asked)
    monkeypatch.setattr(Router, "_taken", lambda self: None)  # every router walks its routes
    walked = _answers(_app, asked)
    assert quick == walked
    taken = {(p, m) for (p, m, _k), answer in quick.items() if answer[0] == Match.FULL}
    assert len(taken & set(routes)) >= 0.9 * len(routes)  # (a few are a sibling's: a1b2 fills both)
    assert all(quick[p, m, k][0] == Match.NONE for (p, m, k) in quick if (p, m) in unknown)


@pytest.mark.parametrize(
    ("template", "taken", "refused"),
    [
        ("/p/{slug}/users", ["/p/acme/users"], ["/p/users", "/p/acme/users/x", "/p/a/b/users"]),
        ("/files/{rest:path}", ["/files/", "/files/a/b/c"], ["/file/a"]),
        ("/login", ["/login"], ["/login/x", "/logi"]),
    ],
)
def test_a_path_pattern_takes_what_the_route_takes(template, taken, refused):
    pattern = re.compile(f"(?:{path_pattern(template)})$")
    assert all(pattern.match(p) for p in taken)
    assert not any(pattern.match(p) for p in refused)


@pytest.mark.parametrize("kind", [APIRouter, Router])
def test_routers_included_below_prefixes_answer_as_fastapis_own(kind):
    """The same app made of FastAPI's routers and of ours answers alike: a router included twice
    under two prefixes, a prefix with a parameter (given at inclusion or the router's own), a
    method a route lacks, a path nobody serves, and a route added after the first request."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    inner = kind()

    @inner.get("/things/{id}")
    def thing(id: str) -> dict:
        return {"id": id}

    users = kind()

    @users.get("/users")
    def listed() -> list:
        return []

    twice = kind(prefix="/api")
    twice.include_router(inner, prefix="/v1")
    twice.include_router(inner, prefix="/v2")
    by_slug = kind()
    by_slug.include_router(users, prefix="/p/{slug}")
    own_slug = kind(prefix="/q/{slug}")
    own_slug.include_router(users)
    app = FastAPI()
    for router in (twice, by_slug, own_slug):
        app.include_router(router)
    with TestClient(app) as client:
        asked = ["/api/v1/things/7", "/api/v2/things/7", "/p/acme/users", "/q/acme/users"]
        assert [client.get(path).status_code for path in asked] == [200, 200, 200, 200]
        assert client.post("/api/v2/things/7").status_code == 405
        assert client.get("/api/v3/things/7").status_code == 404

        @inner.get("/later")
        def later() -> dict:  # added once requests have been answered
            return {}

        assert client.get("/api/v1/later").status_code == 200
