"""The signed-in person's own account: who they are and what they may use in each portal, two-step
verification (an authenticator app), where they are signed in (their browser sessions), and
which optional messages they get."""

from __future__ import annotations

import uuid

from fastapi import Request, Response
from pydantic import BaseModel, Field

from admit.api.auth import _browser, memberships
from admit.api.deps import AuthDep, Limit
from admit.api.errors import problems
from admit.auth import second_factor
from admit.auth import service as auth_service
from admit.auth.schemas import Me, RecoveryCodes, SessionPage, SessionRead
from admit.errors import Conflict, InvalidInput, NotAuthenticated, RateLimited, SessionNotFound
from admit.flows import notification_settings
from admit.kit.json_body import Flag
from admit.kit.routing import Router
from admit.members import service as members_service
from admit.members.models import User
from admit.members.schemas import UserRead
from admit.notifications import preferences
from admit.web import Auth, SessionDep, sign_in_browser

router = Router(prefix="/me", tags=["me"])


class TwoFactorStart(BaseModel):
    challenge: str | None = Field(
        default=None,
        max_length=200,
        description="From a sign-in's 401 two_factor_enrolment_required; none: the session in force.",
    )


class TwoFactorSecret(BaseModel):
    secret: str = Field(description="The key, for typing into an authenticator app by hand (base32).")
    otpauth_uri: str = Field(description="The otpauth:// URI the QR code holds.")
    qr_svg: str = Field(description="The QR code, an inline SVG image.")


class TwoFactorConfirm(BaseModel):
    code: str = Field(max_length=32, description="The first 6-digit code the app shows.")
    challenge: str | None = Field(default=None, max_length=200)


class TwoFactorConfirmed(RecoveryCodes):
    csrf_token: str | None = Field(
        default=None, description="With a challenge: the sign-in is complete (the session cookie is set)."
    )


class TwoFactorOff(BaseModel):
    code: str = Field(max_length=32, description="The app's code, or a recovery code.")


@router.get("", response_model=Me, operation_id="me_get", responses=problems(NotAuthenticated))
def me(session: SessionDep, auth: AuthDep) -> Me:
    """Who is signed in (this browser session), and each portal they are an active member of:
    their role and type there, the products they may use, and what this sign-in still owes the
    portal before it enters. An app that offers the portal's products reads it to decide what to
    show. An API key acts for a portal, not a person: 401."""
    if auth.web_session is None:
        raise NotAuthenticated("Sign in first: this is the signed-in person (an API key has none).")
    user = auth.web_session.user
    return Me(user=UserRead.model_validate(user), portals=memberships(session, user, auth.web_session))


class MeUpdate(BaseModel):
    name: str = Field(
        max_length=1000,
        description="Your name as others see it (at most 200 characters); empty: your address.",
    )


@router.patch(
    "",
    response_model=Me,
    operation_id="me_update",
    responses=problems(NotAuthenticated, InvalidInput),
)
def update(body: MeUpdate, session: SessionDep, auth: AuthDep) -> Me:
    """Change your own name (spaces tidied; audited). Your address is changed by a portal's owner."""
    user, web_session = _browser(auth)
    members_service.rename(session, user, body.name)
    return Me(user=UserRead.model_validate(user), portals=memberships(session, user, web_session))


def _who(session: SessionDep, auth: Auth, challenge: str | None) -> User:
    if challenge:
        return auth_service.challenge_user(session, challenge, use=False)
    return _browser(auth)[0]


@router.post(
    "/two-factor",
    response_model=TwoFactorSecret,
    operation_id="me_two_factor_start",
    responses=problems(NotAuthenticated, Conflict),
)
def start(session: SessionDep, auth: AuthDep, body: TwoFactorStart | None = None) -> TwoFactorSecret:
    """Begin setting up an authenticator app: scan the QR code (or type the key), then confirm
    with the first code it shows. The app names the account's portal."""
    user = _who(session, auth, body.challenge if body else None)
    enrolment = second_factor.begin(session, user, issuer=second_factor.issuer_for(session, user))
    return TwoFactorSecret(secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.qr_svg)


@router.post(
    "/two-factor/confirm",
    response_model=TwoFactorConfirmed,
    operation_id="me_two_factor_confirm",
    responses=problems(NotAuthenticated, InvalidInput, Conflict, RateLimited),
)
def confirm(
    body: TwoFactorConfirm, request: Request, response: Response, session: SessionDep, auth: AuthDep
) -> TwoFactorConfirmed:
    """The app's first code turns it on; the answer holds the 10 recovery codes, this once. With
    a challenge, it also completes that sign-in."""
    user = _who(session, auth, body.challenge)
    codes = second_factor.confirm(session, user, body.code)
    if body.challenge:
        auth_service.challenge_user(session, body.challenge, use=True)
        via = auth_service.challenge_via(body.challenge)  # how it was begun
        web_session = sign_in_browser(session, request, response, user, via=via, second_factor_done=True)
        assert not isinstance(web_session, auth_service.Challenge)
        return TwoFactorConfirmed(recovery_codes=codes, csrf_token=web_session.csrf_token)
    _, web_session = _browser(auth)
    second_factor.proved(session, web_session)
    return TwoFactorConfirmed(recovery_codes=codes)


@router.post(
    "/two-factor/recovery-codes",
    response_model=RecoveryCodes,
    operation_id="me_two_factor_recovery_codes",
    responses=problems(NotAuthenticated, InvalidInput, Conflict, RateLimited),
)
def new_codes(body: TwoFactorOff, session: SessionDep, auth: AuthDep) -> RecoveryCodes:
    """Ten new recovery codes (the earlier ones stop working); it takes a right code."""
    user, _ = _browser(auth)
    return RecoveryCodes(recovery_codes=second_factor.replace_recovery_codes(session, user, body.code))


@router.delete(
    "/two-factor",
    status_code=204,
    operation_id="me_two_factor_remove",
    responses=problems(NotAuthenticated, InvalidInput, Conflict, RateLimited),
)
def remove(body: TwoFactorOff, session: SessionDep, auth: AuthDep) -> Response:
    """Turn two-step verification off: it takes a right code, and is refused while a portal of
    yours requires it."""
    user, _ = _browser(auth)
    auth_service.turn_off_two_factor(session, user, body.code)
    return Response(status_code=204)


@router.get(
    "/sessions",
    response_model=SessionPage,
    operation_id="me_sessions_list",
    responses=problems(NotAuthenticated, InvalidInput),
)
def sessions(
    session: SessionDep, auth: AuthDep, cursor: str | None = None, limit: Limit = 100
) -> SessionPage:
    """Where you are signed in: each browser session of yours, newest first, named from its
    User-Agent ("Chrome on macOS"), with the address it signed in from, when, and when it was
    last seen (to 10 minutes); ``current`` marks the one asking."""
    _, web_session = _browser(auth)
    rows, next_cursor = auth_service.list_sessions(session, web_session, cursor=cursor, limit=limit)
    return SessionPage(
        items=[SessionRead.of(row, current=web_session) for row in rows], next_cursor=next_cursor
    )


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    operation_id="me_sessions_remove",
    responses=problems(NotAuthenticated, SessionNotFound),
)
def sign_out_session(session_id: uuid.UUID, session: SessionDep, auth: AuthDep) -> Response:
    """Sign one browser of yours out: its cookie stops working at once (audited). Someone
    else's session, or one already ended: 404 ``session_not_found``."""
    _, web_session = _browser(auth)
    auth_service.sign_out_browser(session, web_session, session_id)
    return Response(status_code=204)


class NotificationPreferenceRead(BaseModel):
    kind: str
    description: str
    enabled: bool = Field(description="Whether you get it: your choice, or a portal sends it anyway.")
    required_by: list[str] = Field(
        description="Your portals (by name) that send it whatever you choose; elsewhere your choice holds."
    )


class NotificationPreferences(BaseModel):
    items: list[NotificationPreferenceRead]


@router.get(
    "/notification-preferences",
    response_model=NotificationPreferences,
    operation_id="me_notification_preferences_get",
    responses=problems(NotAuthenticated),
)
def get_preferences(session: SessionDep, auth: AuthDep) -> NotificationPreferences:
    """Which optional messages you get (each also has a one-click unsubscribe link): the kinds
    that can reach you, by your roles in your portals (a client is not offered the inviters'
    digest of expired invitations)."""
    user, _ = _browser(auth)
    return _preferences(notification_settings.settings(session, user))


@router.patch(
    "/notification-preferences",
    response_model=NotificationPreferences,
    operation_id="me_notification_preferences_update",
    responses=problems(NotAuthenticated, InvalidInput),
)
def update_preferences(body: dict[str, Flag], session: SessionDep, auth: AuthDep) -> NotificationPreferences:
    """``{kind: true | false, …}``; kinds not named stay as they are. A kind that is not one
    of yours (not in the GET's items: it cannot reach you, as the inviters' digest cannot reach
    someone who may invite in none of their portals) is refused, 422 naming it, and nothing
    is changed."""
    user, _ = _browser(auth)
    return _preferences(notification_settings.change(session, user, dict(body)))


def _preferences(settings: list[preferences.Setting]) -> NotificationPreferences:
    return NotificationPreferences(
        items=[
            NotificationPreferenceRead(
                kind=s.kind, description=s.description, enabled=s.enabled, required_by=s.required_by
            )
            for s in settings
        ]
    )
