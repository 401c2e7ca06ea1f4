from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from admit.auth.models import MAX_KEY_DAYS, MAX_KEY_NAME
from admit.kit.apart import PartedModel
from admit.kit.user_agents import browser_named
from admit.members.schemas import UserRead
from admit.portals.schemas import PortalMembershipRef

# What a person types to sign in (an address, a code): left empty, or only spaces, it is refused
# as bad input naming its field (the API's 422, the pages' word under the field), not taken for
# a wrong answer or asked of nobody. A password is taken as typed (spaces may be one): empty only.
Typed = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Secret = Annotated[str, StringConstraints(min_length=1)]
_TYPED, _SECRET = TypeAdapter(Typed), TypeAdapter(Secret)


def left_empty(value: str, *, secret: bool = False) -> bool:
    """Whether a form's ``value`` is one ``Typed`` refuses (``secret``: ``Secret``, a password),
    as the API's requests refuse it: the pages' sign-in forms ask it of what they were given."""
    try:
        (_SECRET if secret else _TYPED).validate_python(value)
    except ValidationError:
        return True
    return False


class LoginResponse(BaseModel):
    user: UserRead
    csrf_token: str
    portals: list[PortalMembershipRef]


class Me(BaseModel):
    """Who is signed in, and the portals they are an active member of (by name)."""

    user: UserRead
    portals: list[PortalMembershipRef]


class SignedOutElsewhere(BaseModel):
    ended: int = Field(description="How many other browser sessions were ended.")


class SessionRead(BaseModel):
    """A browser signed in as you (a session): where and when it signed in, when last seen."""

    id: uuid.UUID
    browser: str = Field(description='Named from its User-Agent: "Chrome on macOS"; "Unknown browser".')
    user_agent: str | None = Field(description="As the browser sent it (its first 400 characters).")
    ip: str | None = Field(description="The address it signed in from.")
    created_at: datetime = Field(description="When it signed in.")
    last_seen_at: datetime | None = Field(description="Its last request, to 10 minutes.")
    expires_at: datetime
    current: bool = Field(description="This session: the one asking.")

    @classmethod
    def of(cls, row: WebSession, *, current: WebSession) -> SessionRead:
        return cls(
            id=row.id,
            browser=browser_named(row.user_agent),
            user_agent=row.user_agent,
            ip=row.ip,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            current=row.id == current.id,
        )


class SessionPage(BaseModel):
    items: list[SessionRead]
    next_cursor: str | None


class SignInLinkSent(BaseModel):
    detail: str


class PasswordResetSent(BaseModel):
    detail: str


if TYPE_CHECKING:
    from admit.auth.models import ApiKey, WebSession


class ApiKeyCreate(PartedModel):
    model_config = ConfigDict(extra="forbid")

    # Their limits are checked by the service (auth.service.issue_api_key), together: a blank
    # name and a wrong lifetime are refused in one answer, each in ``errors``; a lifetime that is
    # no number too (parsed apart: ``kit.apart``).
    name: str = Field(description=f"What uses the key, e.g. “HR sync” (1 to {MAX_KEY_NAME} characters).")
    expires_in_days: int | None = Field(
        default=None, description=f"Days until it stops working, 1 to {MAX_KEY_DAYS}; none: until revoked."
    )


class ApiKeyRead(BaseModel):
    """An API key as its portal's owners and admins see it: never its secret."""

    id: uuid.UUID
    name: str
    prefix: str
    role: str
    created_by: UserRead | None
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyRead:
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            role=key.role,
            created_by=UserRead.model_validate(key.created_by) if key.created_by else None,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            expires_at=key.expires_at,
            last_used_at=key.last_used_at,
        )


class ApiKeyCreated(BaseModel):
    key: ApiKeyRead
    secret: str = Field(description="The key itself (Authorization: Bearer …), shown this once.")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyRead]
    next_cursor: str | None


class SignInSteps(BaseModel):
    """What this browser session must still do before it enters the portal (``auth.gate``)."""

    steps: list[str] = Field(
        description="In order: `choose_password`, `enrol_second_factor`, `verify_second_factor`; "
        "empty: nothing, go on."
    )


class SecondFactorEnrolment(BaseModel):
    secret: str = Field(description="The key, for typing into an authenticator app by hand (base32).")
    uri: str = Field(description="The otpauth:// URI the QR code holds.")
    qr_svg: str = Field(description="The QR code, an inline SVG image.")


class SecondFactorCode(BaseModel):
    code: str = Field(max_length=32, description="The app's 6-digit code, or a recovery code (xxxxx-xxxxx).")


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="Ten one-time codes, shown this once: keep them safe.")
