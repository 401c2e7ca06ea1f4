from __future__ import annotations

from fastapi import Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from admit.api.deps import AuthDep
from admit.api.errors import problems
from admit.auth import gate as auth_gate
from admit.auth import second_factor
from admit.auth import service as auth_service
from admit.auth.models import WebSession
from admit.auth.schemas import (
    LoginResponse,
    PasswordResetSent,
    Secret,
    SignedOutElsewhere,
    SignInLinkSent,
    SignInSteps,
    Typed,
)
from admit.errors import (
    Checks,
    Conflict,
    InvalidCredentials,
    InvalidInput,
    MemberDeactivated,
    NotAuthenticated,
    PasswordResetGone,
    PortalNotFound,
    RateLimited,
    SignInLinkGone,
    TwoFactorEnrolmentRequired,
    TwoFactorRequired,
)
from admit.kit.routing import Router
from admit.members import service as members_service
from admit.members.models import Member, User
from admit.members.schemas import UserRead
from admit.portals import service as portals_service
from admit.portals.models import Portal
from admit.portals.schemas import PortalMembershipRef
from admit.web import (
    Auth,
    SessionDep,
    SettingsDep,
    client_ip,
    limit_sign_in,
    limit_token_guessing,
    portal_actor,
    sign_in_browser,
)

router = Router(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    email: Typed = Field(max_length=320)
    password: Secret = Field(max_length=256)


def _signed_in(
    session: Session, request: Request, response: Response, user: User, via: auth_service.Via
) -> LoginResponse:
    """Sign ``user`` in through the gate (the cookie) and answer with their portals; when a
    second factor is due, 401 with the challenge (``challenge_or``)."""
    return login_response(
        session, user, challenge_or(sign_in_browser(session, request, response, user, via=via))
    )


def login_response(session: Session, user: User, web_session: WebSession) -> LoginResponse:
    """What a completed sign-in answers: who, the session's CSRF token, their portals."""
    return LoginResponse(
        user=UserRead.model_validate(user),
        csrf_token=web_session.csrf_token,
        portals=memberships(session, user, web_session),
    )


def memberships(session: Session, user: User, web_session: WebSession) -> list[PortalMembershipRef]:
    """The portals ``user`` is an active member of, by name: role, type, the products they may
    use there (given to them and still offered: ``portals.service.still_enabled``) and what
    ``web_session`` still owes each before it enters (``auth.gate.steps``)."""
    return [
        PortalMembershipRef(
            slug=p.slug,
            name=p.name,
            role=m.role,
            user_type=m.user_type,
            products=portals_service.still_enabled(p, m.products or []),
            sign_in_steps=list(auth_gate.steps(session, web_session, user, p, m.user_type)),
        )
        for p, m in members_service.memberships_of(session, user)
    ]


def session_as(
    session: Session,
    request: Request,
    response: Response,
    auth: Auth,
    user: User,
    via: auth_service.Via,
    made_in: tuple[Portal, Member] | None = None,
) -> str:
    """After a token made ``user`` a member: keep the browser session if it is already theirs,
    else end it and sign them in through the gate. Returns the CSRF token of the session in
    force."""
    if auth.web_session is not None and auth.web_session.user_id == user.id:
        return auth.web_session.csrf_token
    auth_service.end_session(session, auth.raw_session)
    outcome = sign_in_browser(session, request, response, user, via=via, made_in=made_in)
    return challenge_or(outcome).csrf_token


def challenge_or(outcome: WebSession | auth_service.Challenge) -> WebSession:
    """The session the gate started; when it answered a challenge instead, 401
    ``two_factor_required`` (or ``two_factor_enrolment_required``) carrying it. What the way in
    did (an invitation accepted) is kept."""
    if not isinstance(outcome, auth_service.Challenge):
        return outcome
    if outcome.kind == "enrol":
        raise TwoFactorEnrolmentRequired(
            "A portal of yours requires two-step verification: set up an authenticator app "
            "(POST /me/two-factor, then /me/two-factor/confirm, with this challenge).",
            challenge=outcome.raw,
        )
    raise TwoFactorRequired(
        "Give the code from your authenticator app (POST /auth/two-factor with this challenge).",
        challenge=outcome.raw,
    )


class TwoFactorAnswer(BaseModel):
    challenge: str | None = Field(
        default=None, max_length=200, description="From the 401 of the first step; none: this session."
    )
    code: str | None = Field(default=None, max_length=32, description="The authenticator app's 6 digits.")
    recovery_code: str | None = Field(default=None, max_length=32, description="Or one recovery code.")


@router.post(
    "/two-factor",
    response_model=LoginResponse,
    operation_id="auth_two_factor",
    responses=problems(NotAuthenticated, InvalidInput, Conflict, RateLimited),
)
def two_factor(
    body: TwoFactorAnswer, request: Request, response: Response, session: SessionDep, auth: AuthDep
) -> LoginResponse:
    """The second step of a sign-in: the app's code (or a recovery code, used up) with the
    challenge the first step answered. Without a challenge, it proves the second factor for the
    session in force (one begun before the app was set up)."""
    # Nothing typed is bad input, said before anything is looked up or counted as a try; an
    # empty challenge is not one left out (this session's step).
    checks = Checks()
    with checks.of("challenge"):
        if body.challenge is not None and not body.challenge.strip():
            raise InvalidInput("Give the challenge the first step answered, or leave it out (this session).")
    code = (body.code or body.recovery_code or "").strip()
    with checks.of("code"):
        if not code:
            raise InvalidInput("Give the 6-digit code from your authenticator app, or a recovery code.")
    checks.done()
    if body.challenge:
        user = auth_service.complete_two_factor(session, body.challenge, code)
        via = auth_service.challenge_via(body.challenge)  # how it was begun
        web_session = sign_in_browser(session, request, response, user, via=via, second_factor_done=True)
        assert not isinstance(web_session, auth_service.Challenge)
    else:
        user, web_session = _browser(auth)
        second_factor.check(session, user, code)
        second_factor.proved(session, web_session)
    return login_response(session, user, web_session)


@router.post(
    "/login",
    response_model=LoginResponse,
    operation_id="auth_login",
    responses=problems(InvalidCredentials, RateLimited),
)
def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> LoginResponse:
    """Sign in with email and password; sets the session cookie."""
    limit_sign_in(request)
    user = auth_service.login(session, email=body.email, password=body.password, ip=client_ip(request))
    return _signed_in(session, request, response, user, auth_service.Via.PASSWORD)


@router.post("/logout", status_code=204, operation_id="auth_logout")
def logout(response: Response, session: SessionDep, settings: SettingsDep, auth: AuthDep) -> Response:
    auth_service.end_session(session, auth.raw_session)
    response.delete_cookie(settings.session_cookie_name, path="/")
    response.status_code = 204
    return response


@router.post(
    "/logout-others",
    response_model=SignedOutElsewhere,
    operation_id="auth_logout_others",
    responses=problems(NotAuthenticated),
)
def logout_others(session: SessionDep, auth: AuthDep) -> SignedOutElsewhere:
    """Sign out of every other browser: this session stays in; every other one ends, with every
    sign-in link, code and reset link still unused."""
    _user, web_session = _browser(auth)
    return SignedOutElsewhere(ended=auth_service.sign_out_elsewhere(session, web_session))


class SignInLinkRequest(BaseModel):
    email: Typed = Field(max_length=320)


@router.post(
    "/sign-in-link",
    response_model=SignInLinkSent,
    status_code=202,
    operation_id="auth_sign_in_link_request",
    responses=problems(RateLimited),
)
def request_sign_in_link(
    body: SignInLinkRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> SignInLinkSent:
    """Email a one-time sign-in link (for accounts without a password). Always 202."""
    limit_sign_in(request)
    auth_service.request_sign_in_link(
        session, email=body.email, minutes=settings.sign_in_link_minutes, ip=client_ip(request)
    )
    return SignInLinkSent(detail="If this address belongs to an account, a sign-in link is on its way.")


@router.post(
    "/sign-in-link/{token}",
    response_model=LoginResponse,
    operation_id="auth_sign_in_link_use",
    responses=problems(SignInLinkGone, RateLimited),
)
def use_sign_in_link(
    token: str, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> LoginResponse:
    """Use a sign-in link (once): sets the session cookie like /auth/login."""
    limit_token_guessing(request)
    user = auth_service.use_sign_in_link(session, token)
    return _signed_in(session, request, response, user, auth_service.Via.SIGN_IN_LINK)


class SignInCode(BaseModel):
    email: Typed = Field(max_length=320, description="The address (or number) the code was sent to.")
    code: Typed = Field(max_length=20, description="The 6 digits from the sign-in email or text.")


@router.post(
    "/sign-in-code",
    response_model=LoginResponse,
    operation_id="auth_sign_in_code_use",
    responses=problems(InvalidCredentials, RateLimited),
)
def use_sign_in_code(
    body: SignInCode, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> LoginResponse:
    """Sign in with the 6-digit code a sign-in email carries beside its link (once; the link
    dies with it). Tries are limited per client and address, per address, and per client over
    all addresses; every wrong answer reads the same."""
    limit_sign_in(request)
    user = auth_service.use_sign_in_code(session, email=body.email, code=body.code, ip=client_ip(request))
    return _signed_in(session, request, response, user, auth_service.Via.SIGN_IN_CODE)


class PasswordResetRequest(BaseModel):
    email: Typed = Field(
        max_length=320, description="The email address or phone number the account signs in with."
    )


class NewPassword(BaseModel):
    password: str = Field(max_length=1024)


@router.post(
    "/password-reset",
    response_model=PasswordResetSent,
    status_code=202,
    operation_id="auth_password_reset_request",
    responses=problems(InvalidInput, RateLimited),
)
def request_password_reset(
    body: PasswordResetRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> PasswordResetSent:
    """Send a single-use link to choose a new password (accounts with a password): by email, or
    by text message to a phone number. 202 whatever the address, so nobody learns who has an
    account; 422 on ``email`` for a phone number that cannot be one."""
    limit_sign_in(request)
    auth_service.request_password_reset(
        session, email=body.email, minutes=settings.password_reset_minutes, ip=client_ip(request)
    )
    return PasswordResetSent(
        detail="If this address belongs to an account, a link to choose a new password is on its way."
    )


@router.post(
    "/password-reset/{token}",
    response_model=LoginResponse,
    operation_id="auth_password_reset_use",
    responses=problems(PasswordResetGone, InvalidInput, RateLimited),
)
def use_password_reset(
    token: str, body: NewPassword, request: Request, response: Response, session: SessionDep
) -> LoginResponse:
    """Choose the new password (the link works once): every other session of the account ends,
    and this one signs in (the session cookie, as /auth/login)."""
    limit_token_guessing(request)
    user = auth_service.reset_password(session, token, body.password)
    return _signed_in(session, request, response, user, auth_service.Via.PASSWORD_RESET)


# --- the sign-in gate's steps (auth.gate) -----------------------------------------------------


def _browser(auth: Auth) -> tuple[User, WebSession]:
    if auth.web_session is None:
        raise NotAuthenticated("Sign in first (these steps belong to a browser session).")
    return auth.web_session.user, auth.web_session


@router.get(
    "/sign-in-steps/{portal}",
    response_model=SignInSteps,
    operation_id="auth_sign_in_steps",
    responses=problems(NotAuthenticated, PortalNotFound, MemberDeactivated),
)
def sign_in_steps(portal: str, request: Request, session: SessionDep, auth: AuthDep) -> SignInSteps:
    """What this session must still do before it enters ``portal`` (routes of the portal answer
    403 ``sign_in_incomplete`` with the same list until then)."""
    user, web_session = _browser(auth)
    actor = portal_actor(request, session, portal, auth, gate=False)
    assert actor.member is not None
    return SignInSteps(
        steps=auth_gate.steps(session, web_session, user, actor.portal, actor.member.user_type)
    )


class PasswordChoice(NewPassword):
    current_password: str | None = Field(
        default=None, max_length=1024, description="The password now; needed when the account has one."
    )


@router.post(
    "/password",
    status_code=204,
    operation_id="auth_password_choose",
    responses=problems(NotAuthenticated, InvalidInput, Conflict, RateLimited),
)
def choose_password(body: PasswordChoice, request: Request, session: SessionDep, auth: AuthDep) -> Response:
    """Choose a password: a first one for an account without one (a client whose portal now asks
    for one, or who wants one), or a new one, given the current one: every other browser signed
    in to the account is signed out (this one stays in). Wrong current passwords count as sign-in
    tries."""
    user, web_session = _browser(auth)
    auth_service.choose_password(
        session, user, body.password, current=body.current_password, keep=web_session, ip=client_ip(request)
    )
    return Response(status_code=204)
