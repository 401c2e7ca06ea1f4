"""Every error the API returns is ``application/problem+json`` (RFC 9457) with a stable ``code``.

Its ``type`` is ``/errors#<code>``: the code's entry on the errors page, an absolute path that
resolves against whichever host answered (so it holds behind any public URL). ``Problem`` is its
schema in the OpenAPI document, and ``problems(*classes)`` is a route's ``responses=``: the
errors it can give besides those its dependencies and input imply (``api.openapi`` adds those).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, Literal, TypedDict

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from admit import policy
from admit.errors import (
    A_DAY,
    CLASSES,
    DOCS_PATH,
    LITERAL,
    Checks,
    DomainError,
    ErrorCode,
    InvalidInput,
    InvitationGone,
    PermissionDenied,
    at_most_characters,
    documented,
    meaning_of,
    type_uri,
)
from admit.kit.apart import PartedModel
from admit.kit.routing import Router
from admit.kit.text import as_typed

PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
# Where a response of the OpenAPI document lists the codes it stands for.
CODES_KEY = "x-error-codes"


class ProblemFieldError(BaseModel):
    """One input at fault, and what is wrong with it."""

    field: str | None = Field(description="The input at fault (dotted for nested ones).")
    message: str


class Problem(BaseModel):
    """An error, as the API answers every one (RFC 9457, ``application/problem+json``)."""

    type: str = Field(
        description=f"`{DOCS_PATH}#<code>`: the code's entry on the errors page (a path on this server).",
        json_schema_extra={"format": "uri-reference"},
    )
    title: str = Field(description="A short summary of the kind of error (the same for a whole family).")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong and what to do, for people to read.")
    code: ErrorCode = Field(description="What went wrong, for programs to match on.")
    field: str | None = Field(
        default=None,
        description="422, a 409 over a taken name (`team_exists`, `workspace_exists`…) and a 403 that "
        "refuses a value (a member's new `role`): the input at fault (the first, when several; null: "
        "none).",
    )
    errors: list[ProblemFieldError] | None = Field(
        default=None,
        description="With `field`: every input at fault, each with its message (at least the one `field` "
        "names).",
    )
    retry_after: int | None = Field(
        default=None, description="429, 503: seconds to wait (also `Retry-After`)."
    )
    steps: list[str] | None = Field(
        default=None,
        description="sign_in_incomplete: what the session must do first (`choose_password`, "
        "`enrol_second_factor`, `verify_second_factor`), in order.",
    )
    portal: str | None = Field(default=None, description="sign_in_incomplete: the portal that asks.")
    address: str | None = Field(
        default=None,
        description="sign_in_link_gone: the address (email or phone) the link was for, so that asking for "
        "a new one needs not retype it (its holder has the link); absent for a link of no one's.",
    )
    reason: Literal["accepted", "expired", "revoked", "replaced"] | None = Field(
        default=None,
        description="invitation_gone, of a known invitation's link: why it no longer opens it (it was "
        "accepted, it expired, the portal withdrew it, or a Resend replaced the link); null for a "
        "link that opens no invitation.",
    )
    challenge: str | None = Field(
        default=None,
        description="two_factor_required, two_factor_enrolment_required: the short-lived proof of the "
        "first step, for `POST /auth/two-factor` or `POST /me/two-factor…`.",
    )


def problems(*classes: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the errors a route can give: one problem+json response per
    status, listing its codes (``x-error-codes``) with links to the errors page."""
    codes: dict[int, set[ErrorCode]] = defaultdict(set)
    for cls in classes:
        codes[cls.status].add(cls.code)
    return {status: problem_response(status, found) for status, found in sorted(codes.items())}


def markdown(docstring: str) -> str:
    """A docstring as the document's Markdown: its ``literal`` as `literal`."""
    return LITERAL.sub(r"`\1`", docstring)


def meaning(cls: type[DomainError]) -> str:
    """What a code means (``errors.meaning_of``), as Markdown."""
    return markdown(meaning_of(cls))


def problem_response(status: int, codes: Iterable[str]) -> dict[str, Any]:
    ordered = [code for code in ErrorCode if code in set(codes)]
    links = ", ".join(f"[`{code}`]({type_uri(code)})" for code in ordered)
    first = CLASSES[ordered[0]]
    example = {
        "type": type_uri(first.code),
        "title": first.title,
        "status": status,
        "detail": meaning(first),
        "code": str(first.code),
    }
    return {
        "description": f"{HTTPStatus(status).phrase}: {links}",
        "content": {PROBLEM: {"schema": {"$ref": PROBLEM_REF}, "example": example}},
        CODES_KEY: [str(code) for code in ordered],
    }


def problem(status: int, *, code: ErrorCode, title: str, detail: str, **extra: Any) -> JSONResponse:
    code = ErrorCode(code)
    body: dict[str, Any] = {
        "type": type_uri(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="admit"'
    if status in (429, 503) and "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def named(faults: Iterable[Mapping[str, Any]]) -> str:
    """The detail of a problem of inputs at fault: each message after its input's name
    ("user_type: “bogus” is not a user type: one of “internal” or “client”. products: …"), so that
    several read apart; a fault of no one input is said alone."""
    return " ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in faults)


def domain_error_response(exc: DomainError) -> JSONResponse:
    fields, detail = dict(exc.fields), exc.message
    if isinstance(exc, InvalidInput) or "field" in fields:
        # Bad input always says where, the same way whatever found it (the request's parsing,
        # or a service; a 422, or a 409 over a name that is taken): ``field`` and every input
        # at fault in ``errors``.
        fields["field"], fields["errors"] = exc.fields.get("field"), exc.field_errors
        if isinstance(exc, InvalidInput) and exc.together:
            # Several refusals said together (``InvalidInput.of_all``): each names its input.
            detail = named(exc.field_errors)
    return problem(exc.status, code=exc.code, title=exc.title, detail=detail, **fields)


class _FieldError(TypedDict):
    field: str | None
    message: str


_QUOTED, _CURLY = re.compile(r"'([^']*)'"), r"“\1”"


def field_error(err: Mapping[str, Any]) -> _FieldError:
    """One of pydantic's errors as the faces say it: the input's dotted name, and plain words for
    the commonest kinds (by its ``type``; any other keeps pydantic's message)."""
    where = [str(p) for p in err.get("loc", ())]
    # The part of the request first ("body", "query"…), then the input's own dotted name.
    loc = where[1:] if where and where[0] in ("body", "query", "path", "header", "cookie") else where
    kind, ctx, given = err.get("type"), err.get("ctx") or {}, err.get("input")
    last = loc[-1].replace("_", " ") if loc and not loc[-1].isdigit() else "items"
    message: str = err.get("msg", "invalid")
    if kind == "missing":
        message = "Required."
    elif kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        message = "Must not be empty."
    elif kind == "string_too_short":
        message = f"At least {ctx['min_length']:,} characters."
    elif kind == "string_too_long":
        message = at_most_characters(ctx["max_length"], given)
    elif kind in ("too_short", "too_long"):
        # pydantic gives no length for some kinds of collection (a set, a mapping): then none.
        has = ctx.get("actual_length")
        had = f"; this one has {has:,}" if isinstance(has, int) else ""
        bound = "At least" if kind == "too_short" else "At most"
        size = ctx.get("min_length" if kind == "too_short" else "max_length")
        message = f"{bound} {size:,} {last}{had}."
    elif kind == "greater_than_equal":
        message = f"At least {ctx['ge']}."
    elif kind == "less_than_equal":
        message = f"At most {ctx['le']}."
    elif kind in ("int_parsing", "int_type", "int_from_float"):
        message = "A whole number."
    elif kind in ("float_parsing", "float_type", "decimal_parsing"):
        message = "A number."
    elif kind in ("bool_parsing", "bool_type"):
        message = "true or false."
    elif kind in ("string_type", "string_unicode"):
        message = "Text (a JSON string)."
    elif kind == "list_type":
        message = "A list."
    elif kind in ("literal_error", "enum") and isinstance(ctx.get("expected"), str):
        # pydantic's "'internal' or 'client'", in the quotes the product writes, after the value
        # refused: "“boss” is not a role: one of …" (a list's item by its list's name).
        choices = f"one of {_QUOTED.sub(_CURLY, ctx['expected'])}."
        noun = last if loc and not loc[-1].isdigit() else "choice"
        shown = f"“{as_typed(given)}”" if isinstance(given, str) else json.dumps(given)[:40]
        message = f"{shown} is not {'an' if noun[:1] in 'aeio' else 'a'} {noun}: {choices}"
    elif kind in ("uuid_parsing", "uuid_type"):
        message = "An id (a UUID, e.g. 0b7c3d2e-8f1a-4c5b-9d6e-2a3b4c5d6e7f)."
    elif kind == "extra_forbidden":
        message = "Not something this request takes."
    elif kind in ("date_parsing", "date_from_datetime_parsing") and "outside expected range" in str(
        ctx.get("error", "")
    ):
        # Written right, but no such day ("2026-02-30"): saying the format again would mislead.
        message = f"No such day: {given}." if isinstance(given, str) else A_DAY
    elif kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"):
        message = A_DAY
    elif kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        message = "A moment in ISO 8601 (e.g. 2026-12-06T10:05:00Z)."
    elif kind in ("model_attributes_type", "dict_type", "model_type") and where[:1] == ["body"] and not loc:
        # The body as a whole is not an object: most often sent without its Content-Type.
        message = "The body must be a JSON object, sent with Content-Type: application/json."
    return {"field": ".".join(loc) or None, "message": message}


def invalid_input_of(exc: RequestValidationError | ValidationError) -> InvalidInput:
    """A request (or a part of it a route reads itself: a multipart form's fields, a body
    validated by hand) that could not be parsed, as one ``InvalidInput``: every input at fault in
    ``errors`` (``field_error``), the first in ``field`` and the detail. The API answers it as a
    problem, the pages as an error page."""
    if any(err.get("type") == "json_invalid" for err in exc.errors()):
        return InvalidInput("The body is not valid JSON.")
    errors = [field_error(err) for err in exc.errors()] or [{"field": None, "message": "invalid"}]
    first, detail = errors[0], named(errors)
    if isinstance(exc, RequestValidationError) and exc.body is None:
        # FastAPI's: no body was sent (none, or blanks: ``kit.routing.Route``), and ``{}``, which
        # stood for it, is not one this operation takes: say that a body is needed, and what.
        lacking = [
            f"“{'.'.join(str(p) for p in err['loc'][1:])}”"
            for err in exc.errors()
            if err.get("loc", ())[:1] == ("body",) and err.get("type") == "missing"
        ]
        if any(err.get("loc", ())[:1] == ("body",) for err in exc.errors()):
            what = f": an object with {_and(lacking)}" if lacking else ""
            detail = f"A JSON body is required{what}."
    return InvalidInput(detail, field=first["field"], errors=errors)


def _and(names: list[str]) -> str:
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]


def unparsed_faults(body: PartedModel) -> Checks:
    """What a body parsed apart left out (``kit.apart``: a value of the wrong type), as faults in
    the words of ``field_error``, for the service to say with its own (``faults=``)."""
    faults = Checks()
    faults.problems.extend(dict(field_error(err)) for err in body.unparsed())
    return faults


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    return domain_error_response(invalid_input_of(exc))


def said_to(request: Request, exc: DomainError) -> DomainError:
    """``exc`` as the API says it to this caller: an API key refused for its role is told that it
    acts with that role whoever made it (an admin, even one an owner made with ``admit init``).
    The policy words its refusals for people, who know their role. An invitation's dead link
    says its next step as a program takes it (``InvitationGone.to_programs``)."""
    if isinstance(exc, InvitationGone) and exc.to_programs:
        return InvitationGone(exc.to_programs, **exc.fields)  # an expired link: its request endpoint
    actor = getattr(request.state, "actor", None)
    if exc.code is not ErrorCode.PERMISSION_DENIED or actor is None or actor.api_key is None:
        return exc
    if isinstance(exc, PermissionDenied) and not exc.of_role:  # refused for something else
        return exc
    said = f"An API key acts as {policy.role_phrase(actor.role)}, whoever made it."
    return PermissionDenied(f"{exc.message} {said}", **exc.fields)


async def handle_domain_error(request: Request, exc: DomainError) -> JSONResponse:  # noqa: ARG001
    return domain_error_response(exc)


class ErrorCodeRead(BaseModel):
    """One error code, as the errors page lists it."""

    code: ErrorCode
    status: int = Field(description="The HTTP status a problem with this code answers.")
    title: str = Field(description="The problem's `title`.")
    meaning: str = Field(description="What it means and what to do (Markdown), as the errors page says.")


class ErrorCodes(BaseModel):
    items: list[ErrorCodeRead]


router = Router()


@router.get("/errors", response_model=ErrorCodes, operation_id="errors_list")
def error_codes() -> ErrorCodes:
    """Every error code a problem can carry, with its status, title and meaning (no sign-in):
    what `GET /errors` shows people, for a program to read (a problem's `type` points there)."""
    return ErrorCodes(
        items=[
            ErrorCodeRead(code=cls.code, status=cls.status, title=cls.title, meaning=meaning(cls))
            for cls in documented()
        ]
    )
