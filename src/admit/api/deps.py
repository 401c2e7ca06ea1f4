"""API dependencies: the actor from a Bearer API key, or from the session cookie plus the
``X-CSRF-Token`` header on changes."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, params
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.utils import get_flat_params
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from admit.actor import Actor
from admit.api.errors import invalid_input_of
from admit.errors import CsrfFailed, InvalidInput, UnsupportedMediaType
from admit.kit.pagination import MAX_LIMIT
from admit.kit.routing import in_endpoint_thread
from admit.web import SAFE_METHODS, Auth, SessionDep, auth_from_headers, csrf_ok, portal_actor, read_auth


def read_checked_auth(request: Request, session: Session) -> Auth:
    """Who is asking, a browser's change refused without its CSRF token."""
    auth = read_auth(request, session)
    if (
        auth.web_session is not None
        and request.method not in SAFE_METHODS
        and not csrf_ok(auth, request.headers.get("x-csrf-token"))
    ):
        raise CsrfFailed("Send the X-CSRF-Token header given at sign-in.")
    return auth


async def api_auth(request: Request, session: SessionDep) -> Auth:
    """``read_checked_auth``, on the event loop when the headers say it all (an API key; nobody,
    as an invitee accepting): a session cookie is looked up in a thread."""
    known = auth_from_headers(request)
    if known is not None:
        return known  # no browser session: no CSRF token to check
    return await run_in_threadpool(read_checked_auth, request, session)


AuthDep = Annotated[Auth, Depends(api_auth)]


def api_actor(portal: str, request: Request, session: SessionDep, auth: AuthDep) -> Actor:
    """Who calls, in the portal ``portal``: found in the operation's own thread as it begins
    (``ActorDep``: ``kit.routing.in_endpoint_thread``), no hop to a thread of its own."""
    return portal_actor(request, session, portal, auth)


def actor_in(session: Session, request: Request, portal: str) -> Actor:
    """The same as ``ActorDep``, for routes that open their own unit of work (uploads, streams)."""
    return portal_actor(request, session, portal, read_checked_auth(request, session))


# What FastAPI calls for ``ActorDep`` (``api.openapi`` looks for it: an operation that takes it
# may answer the actor's refusals).
actor_dependency = in_endpoint_thread(api_actor)
ActorDep = Annotated[Actor, Depends(actor_dependency)]


# How many items a page of a list holds: declared in the OpenAPI document, checked before the
# list is read (a value outside answers 422 naming ``limit``).
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.")]


_QUERY_NAMES = "admit_query_names"  # kept on the route: the query parameters it takes


def _query_names(route: Any) -> frozenset[str]:
    names: frozenset[str] | None = getattr(route, _QUERY_NAMES, None)
    if names is None:
        fields = get_flat_params(route.dependant)
        names = frozenset(f.alias for f in fields if isinstance(f.field_info, params.Query))
        setattr(route, _QUERY_NAMES, names)
    return names


async def known_query_only(request: Request) -> None:
    """Refuse a query parameter the operation does not take (422 naming each), as an unknown
    field of a body is: ``GET …/invitations?q=ada`` had answered every invitation, unfiltered,
    as if the filter had been applied. Operations of the API's document only (an old path's
    redirect passes its query on). On the event loop: no hop to a thread.

    A parameter it takes, given empty (``?status=``), is no value: left out before the operation
    reads its query, so an empty filter is no filter (a page's empty select is "all"), whatever
    its kind (a choice, an id, a day, text), and an empty ``limit`` or ``cursor`` the default."""
    if not request.scope.get("query_string"):
        return
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant") or not getattr(route, "include_in_schema", True):
        return
    known = _query_names(route)
    given = request.query_params
    if any(value == "" for _name, value in given.multi_items()):
        kept = [(name, value) for name, value in given.multi_items() if value != "" or name not in known]
        request.scope["query_string"] = urlencode(kept).encode("latin-1")
        # The operation's parameters are read from this request's query, made once: made again.
        request._query_params = QueryParams(kept)  # noqa: SLF001
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in known]
    if unknown:
        takes = ", ".join(sorted(known)) if known else "no query parameters"
        raise InvalidInput.of_all(
            [
                {"field": name, "message": f"Not a parameter of this operation (it takes {takes})."}
                for name in unknown
            ]
        )


class _NoBody(BaseModel):
    """What an operation without a body takes: nothing (``{}``, or no body at all)."""

    model_config = ConfigDict(extra="forbid")


JSON = "application/json"

# How the refusal of a body of another kind names each kind an operation reads.
_KINDS = {
    JSON: "a JSON body, sent with Content-Type: application/json",
    "multipart/form-data": "a multipart form (multipart/form-data)",
}


def body_kinds(route: Any) -> tuple[str, ...]:
    """The media types of the body the route reads, as its document declares them: JSON for a
    model FastAPI parses, what its ``openapi_extra`` declares for a body it reads itself (an
    import: JSON or a multipart form). None for a form FastAPI parses (an upload: it refuses
    anything else itself) and for an operation that takes no body."""
    declared = ((route.openapi_extra or {}).get("requestBody") or {}).get("content")
    if declared:
        return tuple(declared)
    field = route.body_field
    return (JSON,) if field is not None and not isinstance(field.field_info, params.Form) else ()


def takes_a_body(route: Any) -> bool:
    """Whether the route reads a body: a model FastAPI parses, or one the route reads itself and
    declares in its ``openapi_extra`` (an upload)."""
    return route.body_field is not None or "requestBody" in (route.openapi_extra or {})


def _media_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def known_body_only(request: Request) -> None:
    """Refuse a body the operation does not read.

    To an operation that takes a body, one of another kind than it reads (``body_kinds``) is 415
    ``unsupported_media_type`` naming what to send: a form (curl's ``-d``) or text sent to one
    that takes JSON had been 422, as if a value were wrong. A body sent with no Content-Type is
    none of them (FastAPI, strict, reads no JSON from it either); ``+json`` types are JSON.

    To an operation that takes none, a body is refused (422), as a body's unknown field is
    refused: ``POST …/resend`` with ``{"message": "hi"}`` had answered 200, the message dropped,
    and a body that was not JSON at all had rotated a webhook's secret. Each field of a JSON
    object is named ("Not something this request takes."); any other body (not JSON, not an
    object, not sent as JSON) is told to be a JSON object.

    No body, or blanks, is none, whatever its Content-Type (and ``{}`` is none to an operation
    that takes none)."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "body_field") or not getattr(route, "include_in_schema", True):
        return
    kinds = body_kinds(route)
    if not kinds and takes_a_body(route):
        return
    sized = request.headers.get("content-length")
    if (sized is None or not sized.strip("0")) and "transfer-encoding" not in request.headers:
        return
    media = _media_of(request)
    if kinds:
        if media in kinds or (JSON in kinds and media.endswith("+json")):
            return
        if not (await request.body()).strip():
            return
        takes = ", or ".join(_KINDS.get(kind, kind) for kind in kinds)
        sent = f"sent as {media}" if media else "sent with no Content-Type"
        raise UnsupportedMediaType(f"This operation takes {takes}; this one was {sent}.")
    raw = await request.body()
    if not raw.strip():
        return
    try:
        if media == JSON or media.endswith("+json"):
            _NoBody.model_validate_json(raw)
        else:  # read as FastAPI reads a body not sent as JSON: bytes, not an object
            _NoBody.model_validate(raw)
    except ValidationError as exc:
        said = [{**err, "loc": ("body", *err["loc"])} for err in exc.errors()]
        raise invalid_input_of(RequestValidationError(said, body=raw)) from None
