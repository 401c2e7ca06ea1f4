"""A router that is not asked about paths none of its routes can take.

FastAPI finds a request's route by asking every route in turn, twice at each level of included
routers (once to find the router, once inside it), and each question costs a few microseconds of
scope bookkeeping besides the route's regular expression. With some 250 routes that is about a
millisecond of every page, most of it spent asking the API's routes about a page's path.

``Router`` first asks one regular expression made of all its routes' paths (an included router's
below the prefix FastAPI keeps for that inclusion) and answers "no" at once for a path none of them
can take. The answer is only ever a quicker "no" for a path the routes would all have refused,
so which route takes a request, and a 405 for a known path asked with another method, are as
before. A router included in something that is not a ``Router`` (the app) may be included below
a prefix it does not know: its expression is looked for at the end of the path, not the start.

A router's expression is made again whenever its routes change, its included routers' too
(FastAPI's own count of changes, the one it checks at every request).

A plain (sync) endpoint of a ``Router`` that answers with a response (a page, a redirect) also
ends its request's unit of work in the thread it ran in (``finish_in_thread``), not in a hop to a
thread of its own afterwards. One that answers with what its route's response model checks (an
API's) has that answer checked and written out as FastAPI would, in that same thread, and then
its work ended there too (``_writing``): two hops fewer, FastAPI's check of the answer and the
end. The status and headers (a cookie) set on the response FastAPI gives the endpoint's
dependencies are carried over; an answer the model refuses is left to FastAPI, as before.

A JSON body a ``Router``'s endpoint takes (a parameter whose type is a pydantic model) is ``{}``
when the request sends none (``empty_body_is_an_empty_object``): a body whose fields are all
optional may be left out (accepting an invitation), and one that lacks a required field names it
("user_type: Required.") where FastAPI said "Required." of no field. A body of blanks only is
none (``Route``). The OpenAPI document says the body is required only when ``{}`` is not a valid
one.

A plain dependency made ``in_endpoint_thread`` (who is signed in and in which portal, for the
pages and the API) is run in the thread its route's plain endpoint runs in, just before it,
rather than in a hop to a thread of its own: FastAPI solves it on the event loop as ever (its
parameters, its sub-dependencies, its place in the order), and what it is given is kept; its call
is made in the endpoint's thread, in the order FastAPI solved them, each once a request. What it
raises is raised there, before the endpoint runs. For a route whose endpoint is not plain (a
coroutine) it runs in a thread of its own, as FastAPI runs any plain dependency.

An operation that answers 204 (or 304) answers nothing: no body and no ``Content-Type``, though
its endpoint returns nothing and FastAPI would make its JSON response of that.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, params
from fastapi.concurrency import run_in_threadpool
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_typed_signature
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, _effective_route_context_var
from fastapi.utils import is_body_allowed_for_status_code
from pydantic import BaseModel, ValidationError
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount, compile_path
from starlette.types import Scope

__all__ = [
    "Router",
    "answer_written",
    "finish_in_thread",
    "in_endpoint_thread",
    "mark_templates",
    "methods_at",
    "path_pattern",
    "template_of",
]

# What a request's dependencies leave to be done as its plain endpoint answers with a response, in
# the thread the endpoint ran in (``web.db_session``: its commit). FastAPI runs a plain endpoint in
# a thread and each of its dependencies' ends in another: a hop there and back costs ~120 µs of CPU
# (~4% of a User Management page, ``bench/page_cpu.py``). Not called when the endpoint raises, nor
# when it answers with something FastAPI has still to check and write out (an answer its route's
# model refuses, or one of a route with no model or its own response class): what fails there
# must still undo the request's work.
finish_in_thread: ContextVar[Callable[[], None] | None] = ContextVar("finish_in_thread", default=None)


# How the route a request took writes out its plain endpoint's answer, as FastAPI would after the
# endpoint (its response model's check, then JSON): set by ``Route``'s handler for the endpoint's
# thread. None: the route has no model, or FastAPI writes its answer otherwise (its own class).
_writing: ContextVar[Callable[[Any, Response], Response | None] | None] = ContextVar("_writing", default=None)

# The calls of a request's ``in_endpoint_thread`` dependencies, in the order FastAPI solved them:
# set by ``Route``'s handler for a route of a plain endpoint, made in that endpoint's thread
# (``_finishing``). None: a route whose endpoint is not plain (each runs in a thread of its own).
_in_thread: ContextVar[list[_Later] | None] = ContextVar("_in_thread", default=None)


class _Later:
    """An ``in_endpoint_thread`` dependency's call, as FastAPI solved it, to be made once in its
    endpoint's thread: what it is given (an earlier one's ``_Later`` stands for its answer)."""

    __slots__ = ("call", "kwargs", "made", "value")

    def __init__(self, call: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        self.call = call
        self.kwargs = kwargs
        self.made = False
        self.value: Any = None

    def result(self) -> Any:
        if not self.made:
            self.value = self.call(**_made(self.kwargs))
            self.made = True
        return self.value


def _all_made(pending: list[_Later]) -> None:
    """Each of ``pending`` made, in the order FastAPI solved them."""
    for later in pending:
        later.result()


def _made(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with each ``_Later`` in it made."""
    return {k: v.result() if isinstance(v, _Later) else v for k, v in kwargs.items()}


def in_endpoint_thread(call: Callable[..., Any]) -> Callable[..., Any]:
    """``call``, a plain dependency, as one whose call is made in its route's plain endpoint's
    thread, before the endpoint (see the module's docstring): a hop to a thread and back fewer a
    request (~100 µs of CPU). Use what it returns in ``Depends`` once (FastAPI caches a request's
    dependencies by that function). What depends on it must be an endpoint or another
    ``in_endpoint_thread`` dependency: a dependency FastAPI makes itself would be given the
    ``_Later`` standing for its answer. A generator or coroutine function is refused: its end (or
    its awaiting) is FastAPI's to run."""
    if (
        inspect.isgeneratorfunction(call)
        or inspect.isasyncgenfunction(call)
        or inspect.iscoroutinefunction(call)
    ):
        raise TypeError(f"in_endpoint_thread takes a plain function, not {getattr(call, '__name__', call)!r}")
    signature = get_typed_signature(call)  # its annotations read where ``call`` was written

    async def solved(**kwargs: Any) -> Any:
        pending = _in_thread.get()
        if pending is None:  # an endpoint that is not plain: in a thread of its own, as ever
            return await run_in_threadpool(call, **kwargs)
        later = _Later(call, kwargs)
        pending.append(later)
        return later

    solved.__signature__ = signature  # type: ignore[attr-defined]
    solved.__name__ = solved.__qualname__ = getattr(call, "__name__", "dependency")
    solved.__doc__ = call.__doc__
    return solved


def answer_written(answer: Any, response: Response) -> Response | None:
    """``answer`` written out as the route the request took writes its plain endpoint's answers
    (``_writing``: its model's check, its JSON, the status and headers set on ``response``, the
    one its dependencies were given): what would be sent, for an endpoint that must hold it
    before its work ends (``api.idempotency`` keeps it for a retry). None: the route writes its
    answers otherwise (no model, its own class), or its model refuses this one."""
    write = _writing.get()
    return write(answer, response) if write is not None else None


# The parameter a plain endpoint is given FastAPI's response by, when it names none itself.
_GIVEN = "kit_routing_response"
_FINISHING = "kit_routing_finishing"  # marks ``_finishing``'s endpoints: its ``in_endpoint_thread`` made


def _response_parameter(endpoint: Callable[..., Any]) -> tuple[inspect.Signature, str | None] | None:
    """``endpoint``'s signature, its parameters' types read as FastAPI reads them, and the name of
    its parameter FastAPI gives its response by (None: it takes none). None: a signature it
    cannot be given one by (``*args``, an annotation only a type checker can read)."""
    try:
        typed = get_typed_signature(endpoint)
    except NameError:
        return None
    parameters = typed.parameters.values()
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
        return None
    signature = inspect.signature(endpoint).replace(parameters=list(parameters))
    for p in parameters:
        if inspect.isclass(p.annotation) and issubclass(p.annotation, Response):
            return signature, p.name
    return signature, None


def _finishing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint``, then, when it answered with a ``Response`` (which FastAPI sends as it is),
    or with an answer its route writes out here (``_writing``), what its request left to
    ``finish_in_thread``. FastAPI reads the endpoint's parameters, name and answer through
    ``functools.wraps``; one that takes no response of its own is given FastAPI's by ``_GIVEN``."""
    found = _response_parameter(endpoint)
    own = found[1] if found is not None else None

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        given = kwargs.pop(_GIVEN, None)
        pending = _in_thread.get()
        if pending:  # its ``in_endpoint_thread`` dependencies, in the order they were solved
            _all_made(pending)
            kwargs = _made(kwargs)
        answer = endpoint(*args, **kwargs)
        finish = finish_in_thread.get()
        if finish is None:
            return answer
        if not isinstance(answer, Response):
            write = _writing.get()
            response = given if own is None else kwargs.get(own)
            if write is None or response is None:
                return answer
            written = write(answer, response)
            if written is None:  # refused by the model: FastAPI says so, as ever
                return answer
            answer = written
        finish()
        return answer

    setattr(run, _FINISHING, True)
    if found is not None and own is None:
        signature = found[0]
        given = inspect.Parameter(_GIVEN, inspect.Parameter.KEYWORD_ONLY, annotation=Response)
        run.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), given]
        )
    return run


def _plain(endpoint: Callable[..., Any]) -> bool:
    """A function FastAPI calls in a thread and whose answer is all there is (not a coroutine, not
    a generator it streams from)."""
    return inspect.isfunction(endpoint) and not (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
    )


def _body_model(parameter: inspect.Parameter) -> type[BaseModel] | None:
    """The pydantic model a parameter FastAPI reads from the body is of (one without a default:
    a model with one, or given as ``Body(...)``/``Depends(...)``, is left as it is)."""
    kind = parameter.annotation
    if parameter.default is not inspect.Parameter.empty or not inspect.isclass(kind):
        return None
    return kind if issubclass(kind, BaseModel) else None


def _takes_nothing(model: type[BaseModel]) -> bool:
    try:
        model.model_validate({})
    except ValidationError:
        return False
    return True


def empty_body_is_an_empty_object(endpoint: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    """Give ``endpoint``'s body parameter the default ``{}``, validated as any body is (its
    signature, which FastAPI reads, is ``endpoint.__signature__``: ``endpoint`` is the router's
    own wrapper). When ``{}`` is refused, the document still says a body is required."""
    try:
        signature = inspect.signature(endpoint, eval_str=True)
    except NameError:  # an annotation only a type checker can read: no model FastAPI reads either
        return
    models = {name: _body_model(p) for name, p in signature.parameters.items()}
    if not any(models.values()):
        return
    # Keyword-only (FastAPI passes every one by name): a default may come before others.
    named = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        p.replace(kind=named, default=params.Body(default_factory=dict, validate_default=True))
        if models[name]
        else p.replace(kind=named)
        for name, p in signature.parameters.items()
    ]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    if not all(_takes_nothing(model) for model in models.values() if model is not None):
        extra = kwargs.get("openapi_extra") or {}
        kwargs["openapi_extra"] = {**extra, "requestBody": {**extra.get("requestBody", {}), "required": True}}


# Statuses whose answer is nothing at all: no body, no Content-Type.
_NO_BODY = frozenset({204, 304})

_PARAMETER = re.compile(r"\{([^}:]*)(?::([^}]*))?\}")


def path_pattern(template: str, *, mount: bool = False) -> str:
    """A regular expression for the paths a route's template takes (``{x:path}``: anything,
    any other parameter: one segment). ``mount``: a mount's, which takes the paths below it."""
    out, pos = [], 0
    for found in _PARAMETER.finditer(template):
        out.append(re.escape(template[pos : found.start()]))
        out.append(".*" if found.group(2) == "path" else "[^/]+")
        pos = found.end()
    out.append(re.escape(template[pos:]))
    if mount:
        out.append("(?:/.*)?")
    return "".join(out)


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


class Route(APIRoute):
    """An ``APIRoute`` that reads a JSON body of blanks only (spaces, line ends) as no body: the
    ``{}`` of ``empty_body_is_an_empty_object``, where FastAPI said "not valid JSON"."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()
        write = self._writer()
        if write is not None:
            handler = _writing_with(handler, write)
        if getattr(self.dependant.call, _FINISHING, False):
            handler = _later_in_thread(handler)
        field = self.body_field
        if field is None or isinstance(field.field_info, params.Form):
            return handler

        async def blanks_are_no_body(request: Request) -> Any:
            body = await request.body()
            if body and not body.strip():
                request = Request(request.scope, _no_body)
            return await handler(request)

        return blanks_are_no_body

    def _writer(self) -> Callable[[Any, Response], Response | None] | None:
        """How FastAPI would write out this route's plain endpoint's answer (``_writing``): its
        response model's check, then its JSON bytes, with the status and headers set on the
        response the endpoint's dependencies were given. None: the route has no model, or its own
        response class, or an endpoint not ``_finishing``'s."""
        # The route as included (FastAPI's effective route, what its own handler is made of).
        route: Any = self
        effective = _effective_route_context_var.get()
        if effective is not None and effective.original_route is self:
            route = effective
        field = route.response_field
        if (
            field is None
            or not isinstance(route.response_class, DefaultPlaceholder)
            or not hasattr(route.dependant.call, "__wrapped__")
        ):
            return None
        status_code = route.status_code
        options = {
            "include": route.response_model_include,
            "exclude": route.response_model_exclude,
            "by_alias": route.response_model_by_alias,
            "exclude_unset": route.response_model_exclude_unset,
            "exclude_defaults": route.response_model_exclude_defaults,
            "exclude_none": route.response_model_exclude_none,
        }

        def write(answer: Any, given: Response) -> Response | None:
            value, errors = field.validate(answer, {}, loc=("response",))
            if errors:
                return None
            # As fastapi.routing's request handler: the route's status, unless the endpoint's
            # dependencies set one; its JSON bytes; then the headers they set.
            response = Response(
                content=field.serialize_json(value, **options),
                media_type="application/json",
                status_code=given.status_code or status_code or 200,
            )
            if not is_body_allowed_for_status_code(response.status_code):
                response.body = b""
            response.headers.raw.extend(given.headers.raw)
            return response

        return write


def _later_in_thread(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """``handler``, its request's ``in_endpoint_thread`` dependencies made in its plain
    endpoint's thread (``_in_thread``)."""

    async def later(request: Request) -> Any:
        pending: list[_Later] = []
        token = _in_thread.set(pending)
        try:
            return await handler(request)
        except RequestValidationError:
            # FastAPI refuses the request's values before the endpoint's thread would make its
            # dependencies: made first, here, so what they refuse (signed out, not allowed) is said
            # before a value is, as when FastAPI made them while solving.
            if pending:
                await run_in_threadpool(_all_made, pending)
            raise
        finally:
            _in_thread.reset(token)

    return later


def _writing_with(
    handler: Callable[[Request], Any], write: Callable[[Any, Response], Response | None]
) -> Callable[[Request], Any]:
    """``handler``, its request's plain endpoint's answer written out by ``write`` (``_writing``)."""

    async def writing(request: Request) -> Any:
        token = _writing.set(write)
        try:
            return await handler(request)
        finally:
            _writing.reset(token)

    return writing


class Router(APIRouter):
    """An ``APIRouter`` that refuses at once a path none of its routes can take."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", Route)
        super().__init__(*args, **kwargs)
        self._takes: tuple[int, re.Pattern[str] | None] | None = None

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("status_code") in _NO_BODY and isinstance(
            kwargs.get("response_class"), DefaultPlaceholder
        ):
            # FastAPI answers an endpoint that returns nothing with its JSON response, emptied:
            # its Content-Type stayed. A plain response has none.
            kwargs["response_class"] = Response
        if _plain(endpoint):
            endpoint = _finishing(endpoint)
            empty_body_is_an_empty_object(endpoint, kwargs)
        super().add_api_route(path, endpoint, **kwargs)

    def patterns(self) -> list[str] | None:
        """What the paths taken here look like, as its own routes are written (an included
        router's below the prefixes it was included with). None: any path may be."""
        out = []
        for route in self.routes:
            included = getattr(route, "original_router", None)  # an included router, as FastAPI keeps it
            if included is not None:
                below = included.patterns() if isinstance(included, Router) else None
                if below is None:
                    return None
                # This inclusion's prefix: this router's own and the one it was included with.
                at = path_pattern(route.include_context.prefix)  # type: ignore[attr-defined]
                out.append(f"{at}(?:{'|'.join(below)})")
            elif isinstance(route, Mount) and route.path:
                out.append(path_pattern(route.path, mount=True))
            elif isinstance(path := getattr(route, "path", None), str) and path.startswith("/"):
                out.append(path_pattern(path))
            else:
                return None  # a route this does not know how to read
        return out

    def _taken(self) -> re.Pattern[str] | None:
        known = self._get_routes_version()
        if self._takes is None or self._takes[0] != known:
            patterns = self.patterns()
            taken = re.compile(f"(?:{'|'.join(patterns)})$") if patterns is not None else None
            self._takes = (known, taken)
        return self._takes[1]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        taken = self._taken()
        if taken is not None and taken.search(get_route_path(scope)) is None:
            return Match.NONE, {}
        return super().matches(scope)


_TEMPLATE = "admit_template"  # kept on each route: the template of the paths it answers


def mark_templates(routes: Sequence[Any], prefix: str = "") -> None:
    """Write on every route the template of the whole paths it answers, the prefixes of the
    routers it was included through in front (``/api/v1/portals/{portal}/invitations``): FastAPI
    0.165 puts in ``scope["route"]`` the route as its own router declared it, without them. Run
    once, when the app is built (``app.create_app``)."""
    for route in routes:
        included = getattr(route, "original_router", None)  # an included router, as FastAPI keeps it
        if included is not None:
            mark_templates(included.routes, prefix + route.include_context.prefix)
        elif isinstance(getattr(route, "path", None), str):
            setattr(route, _TEMPLATE, prefix + route.path)


def methods_at(routes: Sequence[Any], path: str, prefix: str = "") -> set[str]:
    """Every method the routes (their included routers' too) take at ``path``: a 405's
    ``Allow``. Starlette's names only those of the first route whose path matched, while an
    address is often several routes (``GET`` and ``POST`` of a list). Walked on a 405 only."""
    methods: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            methods |= methods_at(included.routes, path, prefix + route.include_context.prefix)
        elif (
            isinstance(getattr(route, "path", None), str)
            and getattr(route, "methods", None)
            and compile_path(prefix + route.path)[0].match(path)
        ):
            methods |= set(route.methods)
    return methods


def template_of(scope: Scope) -> str | None:
    """The template of the path a request was routed by (``/invite/{token}``, never the token
    itself), for its metrics and log lines; None before routing or when nothing matched."""
    route = scope.get("route")
    if route is None:
        return None
    template: str | None = getattr(route, _TEMPLATE, None) or getattr(route, "path", None)
    return template
