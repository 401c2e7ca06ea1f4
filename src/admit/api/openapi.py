"""The OpenAPI document tells the truth: clean operation ids and every error an operation can give.

- Every API route names its ``operation_id`` as ``domain_verb`` (``invitations_create``,
  ``workspaces_members_add``); ``require_operation_id`` refuses a route that does not, so ids
  never fall back to FastAPI's ``name_path_method`` and stay stable when code moves.
- Each route declares the errors of its own meaning with ``responses=problems(...)``;
  ``describe`` adds the ones its shape implies: 413 ``too_large`` for every one (a request over
  the size it may be, body or none), 422 ``invalid_input`` when it takes input, 401
  and 404 ``portal_not_found`` for a portal's actor (``ActorDep``), 422
  ``idempotency_key_reused`` for an operation that takes ``Idempotency-Key``
  (``api.idempotency.IdempotentDep``), 403 ``csrf_failed`` for a change that a browser session
  may make, and the credentials it requires (``security``).
- ``install`` adds the ``Problem`` schema and the security schemes to the document. Since every
  route with input declares its 422, FastAPI's ``HTTPValidationError`` never appears.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute

from admit.api.deps import actor_dependency, body_kinds
from admit.api.errors import CODES_KEY, Problem, markdown, problem_response
from admit.api.idempotency import idempotent
from admit.errors import (
    Busy,
    CsrfFailed,
    DomainError,
    IdempotencyKeyReused,
    InvalidApiKey,
    InvalidInput,
    MemberDeactivated,
    NotAuthenticated,
    PortalNotFound,
    SignInIncomplete,
    TooLarge,
    UnsupportedMediaType,
)
from admit.web import SAFE_METHODS, db_session

# A portal's actor: credentials first (401), then the portal (404 for one you are not in, 403
# for a member whose access was ended).
ACTOR_ERRORS = (NotAuthenticated, InvalidApiKey, PortalNotFound, MemberDeactivated, SignInIncomplete)
API_KEY_OR_SESSION: list[dict[str, list[str]]] = [{"apiKey": []}, {"session": []}]


def require_operation_id(route: APIRoute) -> str:
    """``generate_unique_id_function`` of the API: there is no fallback id."""
    raise TypeError(f"API route {route.path} ({route.name}) needs operation_id='domain_verb'")


def _calls(dependant: Dependant) -> set[Callable[..., Any] | None]:
    calls = {dependant.call}
    for sub in dependant.dependencies:
        calls |= _calls(sub)
    return calls


# Words of an operation's name said as they are spelled (its summary: ``list_api_keys``).
SPELLED = {
    "api": "API",
    "csrf": "CSRF",
    "csv": "CSV",
    "hr": "HR",
    "id": "ID",
    "ids": "IDs",
    "scim": "SCIM",
    "sms": "SMS",
    "url": "URL",
}


def summary_of(name: str) -> str:
    """An operation's summary from its function's name, in a sentence's case with acronyms as
    they are spelled: "List API keys" (FastAPI's own is "List Api Keys")."""
    text = " ".join(SPELLED.get(word, word) for word in name.split("_") if word)
    return text[:1].upper() + text[1:]


def _declared(route: APIRoute) -> set[str]:
    return {code for response in route.responses.values() for code in response.get(CODES_KEY, ())}


def describe(router: APIRouter, *, query_checked: bool = False) -> APIRouter:
    """Complete each route's ``responses`` and ``security`` from its dependencies and input
    (again and again is the same: the routers are the modules' own). ``query_checked``: the
    router will be included with ``api.deps.known_query_only``, so every route may answer 422
    (a query parameter it does not take), inputs or none, and with ``known_body_only``, so one
    that takes a body may answer 415 (a body of another kind)."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        if "DELETE" in (route.methods or ()) and route.status_code != 204:
            raise TypeError(f"API route DELETE {route.path} ({route.name}) answers 204, with no body")
        calls = _calls(route.dependant)
        implied: list[type[DomainError]] = []
        if query_checked or route.body_field is not None or get_flat_params(route.dependant):
            implied.append(InvalidInput)
        # app.Edge refuses any request whose Content-Length is over its kind's cap, body or none.
        implied.append(TooLarge)
        if query_checked and body_kinds(route):
            implied.append(UnsupportedMediaType)  # api.deps.known_body_only: a body of another kind
        if actor_dependency in calls:
            implied += ACTOR_ERRORS
        if idempotent in calls:
            implied.append(IdempotencyKeyReused)  # api.idempotency: its key with another request
        if not set(route.methods or ()) <= SAFE_METHODS:
            implied.append(CsrfFailed)  # a session without its header, or any change from another site
        if db_session in calls:
            implied.append(Busy)  # SQLite: no turn within the wait (db.Database.unit_of_work)
        responses = dict(route.responses)
        for cls in implied:
            codes = set(responses.get(cls.status, {}).get(CODES_KEY, ())) | {cls.code}
            responses[cls.status] = problem_response(cls.status, codes)
        route.responses = responses
        if route.summary is None:
            route.summary = summary_of(route.name)
        if route.description:
            route.description = markdown(route.description)
        # Credentials are declared where they are required; a browser session that some public
        # routes use when there is one (accepting an invitation) is not, so that clients call
        # those without any.
        declared = _declared(route)
        if NotAuthenticated.code in declared:
            security = API_KEY_OR_SESSION if InvalidApiKey.code in declared else [{"session": []}]
            route.openapi_extra = {"security": security, **(route.openapi_extra or {})}
    return router


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = schema.pop("$defs", {})
    schemas["Problem"] = schema
    return schemas


def install(app: FastAPI, *, session_cookie: str) -> None:
    """Serve the document with the ``Problem`` schema and the security schemes it refers to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()  # FastAPI keeps it as app.openapi_schema: completed once, here
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                operation["responses"] = dict(sorted(operation["responses"].items()))
        components = document.setdefault("components", {})
        components.setdefault("schemas", {}).update(_problem_schemas())
        components["securitySchemes"] = {
            "apiKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "A portal's API key: `Authorization: Bearer adm_…`.",
            },
            "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": session_cookie,
                "description": "The session cookie set at sign-in; changes also send the "
                "`X-CSRF-Token` header given with it.",
            },
        }
        return document

    # Replacing the method is FastAPI's documented way to extend the document.
    app.openapi = openapi  # type: ignore[method-assign]
