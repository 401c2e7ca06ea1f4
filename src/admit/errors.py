"""Domain errors, shared by the API, the pages, the CLI and the worker.

Each error has a stable snake_case ``code`` (what integrators match on), a human ``message``
and the HTTP ``status`` it maps to. Services raise these, never ``HTTPException``.

| class                | status | code                                  |
| -------------------- | ------ | ------------------------------------- |
| InvalidInput         | 422    | invalid_input (names the field),      |
|                      |        | domain_not_allowed (field ``email``)  |
| NotAuthenticated     | 401    | not_authenticated                     |
| PermissionDenied     | 403    | permission_denied, member_deactivated |
| SignInRequired       | 403    | sign_in_required                      |
| CsrfFailed           | 403    | csrf_failed                           |
| NotFound             | 404    | not_found / invitation_not_found      |
| Conflict             | 409    | invitation_not_pending, already_set_up|
|                      |        | join_request_not_pending              |
| Gone                 | 410    | invitation_used / _expired / _revoked |
|                      |        | link_gone, link_used_up,              |
|                      |        | confirmation_used / _expired / ...    |
| RateLimited          | 429    | rate_limited                          |
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(self, message: str, *, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = {k: v for k, v in fields.items() if v is not None}


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"
    title = "Invalid input"

    def __init__(self, message: str, *, field: str | None = None, **fields: Any) -> None:
        super().__init__(message, field=field, **fields)
        self.field = field


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    title = "Sign in required"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    title = "Not allowed"


class SignInRequired(DomainError):
    status = 403
    code = "sign_in_required"
    title = "Sign in to continue"


class CsrfFailed(DomainError):
    status = 403
    code = "csrf_failed"
    title = "Security check failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Gone(DomainError):
    status = 410
    code = "gone"
    title = "No longer valid"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"
