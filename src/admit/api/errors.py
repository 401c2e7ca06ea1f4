"""Every error the API returns is ``application/problem+json`` (RFC 9457) with a stable ``code``.

Its ``type`` is ``/errors#<code>``: the code's entry on the errors page, an absolute path that
resolves against whichever host answered (so it holds behind any public URL)."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from admit.errors import DomainError, ErrorCode, type_uri

PROBLEM = "application/problem+json"


def problem(status: int, *, code: ErrorCode, title: str, detail: str, **extra) -> JSONResponse:
    code = ErrorCode(code)
    body = {"type": type_uri(code), "title": title, "status": status, "detail": detail, "code": code}
    body.update(extra)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="admit"'
    if status == 429 and "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def domain_error_response(exc: DomainError) -> JSONResponse:
    return problem(exc.status, code=exc.code, title=exc.title, detail=exc.message, **exc.fields)


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return problem(
                422,
                code=ErrorCode.INVALID_INPUT,
                title="Invalid input",
                detail="The body is not valid JSON.",
                field=None,
                errors=[],
            )
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        errors.append({"field": ".".join(loc) or None, "message": err.get("msg", "invalid")})
    first = errors[0] if errors else {"field": None, "message": "invalid"}
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return problem(
        422,
        code=ErrorCode.INVALID_INPUT,
        title="Invalid input",
        detail=detail,
        field=first["field"],
        errors=errors,
    )


async def handle_domain_error(request: Request, exc: DomainError):  # noqa: ARG001
    return domain_error_response(exc)
