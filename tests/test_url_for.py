"""A page's ``url_for`` (each route's path found once) and ``url_pattern`` (a row's address made
from a pattern made once a page) write every route's address as Starlette's own ``url_for``."""

from __future__ import annotations

import uuid

from fastapi.routing import APIRoute
from starlette.requests import Request

from admit.pages.deps import url_for_request, url_pattern_request


def _request(app, root_path: str = "") -> Request:
    return Request(
        {
            "type": "http", "app": app, "router": app.router, "method": "GET", "path": "/",
            "root_path": root_path, "scheme": "https", "server": ("admit.example", 443),
            "headers": [(b"host", b"admit.example")], "query_string": b"",
        }
    )  # fmt: skip


def _routes(app) -> list[tuple[str, list[str]]]:
    out = []
    for included in app.router.routes:
        contexts = getattr(included, "effective_route_contexts", None)
        for context in contexts() if contexts else ():
            route = context.original_route
            if isinstance(route, APIRoute) and route.name:
                out.append((route.name, list(context.param_convertors)))
    return out


def test_every_route_is_written_as_starlette_writes_it(_app):
    routes = [(name, params) for name, params in _routes(_app) if params]
    assert len(routes) > 100, "the app's routes with parameters were not all found"
    values = {"slug": "acme-inc", "path": "css/app.css"}
    for root in ("", "/admit"):
        request = _request(_app, root)
        for name, params in routes:
            given = {p: values.get(p, str(uuid.uuid4())) for p in params}
            expected = str(request.url_for(name, **given))
            assert url_for_request(request, name, **given) == expected, name
            first, *rest = params
            pattern = url_pattern_request(request, name, *rest, **{first: given[first]})
            assert pattern.format(**{p: given[p] for p in rest}) == expected, name


def test_a_pattern_keeps_braces_in_what_is_given():
    """Braces in what is given stay as given once the pattern is filled in (not read as fields)."""
    from admit.pages.deps import _as_format

    filled = _as_format("/p/{odd}/members/\x00member_id\x00/x").format(member_id="m1")
    assert filled == "/p/{odd}/members/m1/x"
