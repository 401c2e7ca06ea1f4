"""The sign-in gate's steps, as pages.

- ``/login/two-factor``: the second step of a sign-in (``auth.service.sign_in`` answered a
  challenge, kept in a short cookie): the authenticator app's code, or setting one up (a QR code,
  the first code, then the recovery codes, shown once); then where the sign-in was going.
- ``/p/{slug}/sign-in/steps``: what a portal asks of a session before it enters
  (``auth.gate``): a password to choose, or a second factor for a session begun before one was
  set up; then back where it was going.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.auth import gate, second_factor
from admit.auth import service as auth_service
from admit.auth.models import WebSession
from admit.errors import DomainError, NotAuthenticated
from admit.kit.routing import Router
from admit.members.models import User
from admit.pages.auth import home_for
from admit.pages.deps import (
    PageAuth,
    SignedIn,
    check_csrf,
    form_error,
    form_faults,
    redirect,
    render,
    safe_next,
)
from admit.policy import UserType
from admit.web import CHALLENGE_COOKIE, Auth, SessionDep, portal_actor, sign_in_browser

router = Router()


def _too_late() -> Response:
    """Back to the sign-in page: the challenge of this sign-in expired or was used."""
    return redirect("/login", notice="That sign-in took too long. Sign in again.")


def render_step(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A step's page (``auth/steps.html``), never cached: the account page's steps use it too."""
    # The password step's hint says every rule a password is checked against (``password_rules``).
    min_password = request.app.state.db.context.settings.password_min_length
    response = render(
        request,
        "auth/steps.html",
        {"hide_nav": True, "min_password": min_password, **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the second step of a sign-in -------------------------------------------------------------


def _challenged(request: Request, session: Session) -> User | None:
    try:
        return auth_service.challenge_user(session, request.cookies.get(CHALLENGE_COOKIE), use=False)
    except NotAuthenticated:
        return None


def _two_factor_page(
    request: Request, session: Session, user: User, next_path: str, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    issuer = second_factor.issuer_for(session, user)
    if second_factor.has_factor(session, user.id):
        step, enrolment = gate.VERIFY, None
    else:
        step = gate.ENROL
        enrolment = second_factor.enrolment(session, user, issuer=issuer)
    return render_step(
        request,
        status_code,
        step=step,
        asker=issuer,
        who=user.label,
        next=next_path,
        enrolment=enrolment,
        enrol_action="/login/two-factor/enrol",
        verify_action="/login/two-factor/verify",
        verify_page="/login/two-factor",
        **extra,
    )


# The second step asks for the app's code (a digit keypad on phones) or, by its link "Use a
# recovery code" (``?way=recovery``, and a form's hidden ``way``), a recovery code in a text field.
RECOVERY = "recovery"
# A step's code field (``_fields.html`` code_field): a refused code is said under it, kept as typed.
CODE_FIELD = {"code": "code"}


@router.get("/login/two-factor", name="auth:two_factor")
def two_factor_page(request: Request, session: SessionDep, next: str = "", way: str = "") -> Response:  # noqa: A002
    user = _challenged(request, session)
    if user is None:
        return _too_late()
    return _two_factor_page(request, session, user, next, recovery=way == RECOVERY)


def _finish(request: Request, session: Session, user: User, response: Response) -> Response:
    sign_in_browser(
        session,
        request,
        response,
        user,
        via=auth_service.challenge_via(request.cookies.get(CHALLENGE_COOKIE)),
        second_factor_done=True,
    )
    response.delete_cookie(CHALLENGE_COOKIE, path="/")
    return response


@router.post("/login/two-factor/verify", dependencies=[Depends(check_csrf)])
def two_factor_verify(
    request: Request,
    session: SessionDep,
    auth: PageAuth,
    code: str = Form(""),
    next: str = Form(""),  # noqa: A002
    way: str = Form(""),
) -> Response:
    raw = request.cookies.get(CHALLENGE_COOKIE)
    try:
        user = auth_service.complete_two_factor(session, raw or "", code)
    except NotAuthenticated:
        return _too_late()
    except DomainError as exc:
        said = form_faults(session, exc, CODE_FIELD)
        again = _challenged(request, session)
        if again is None:
            return _too_late()
        return _two_factor_page(
            request, session, again, next, exc.status, code=code, recovery=way == RECOVERY, **said
        )
    auth_service.end_session(session, auth.raw_session)
    return _finish(request, session, user, redirect(safe_next(next, home_for(session, user))))


@router.post("/login/two-factor/enrol", dependencies=[Depends(check_csrf)])
def two_factor_enrol(
    request: Request,
    session: SessionDep,
    auth: PageAuth,
    code: str = Form(""),
    next: str = Form(""),  # noqa: A002
) -> Response:
    user = _challenged(request, session)
    if user is None:
        return _too_late()
    try:
        codes = second_factor.confirm(session, user, code)
    except DomainError as exc:
        said = form_faults(session, exc, CODE_FIELD)
        return _two_factor_page(request, session, user, next, exc.status, code=code, **said)
    auth_service.challenge_user(session, request.cookies.get(CHALLENGE_COOKIE), use=True)
    auth_service.end_session(session, auth.raw_session)
    page = render_step(
        request,
        recovery_codes=codes,
        asker=second_factor.issuer_for(session, user),
        continue_url=safe_next(next, home_for(session, user)),
    )
    return _finish(request, session, user, page)


# --- what a portal asks of a session ----------------------------------------------------------


def _ungated(request: Request, session: Session, slug: str, auth: Auth) -> Actor:
    actor = portal_actor(request, session, slug, auth, gate=False)
    request.state.actor = actor
    return actor


def _page(
    request: Request,
    session: Session,
    auth: Auth,
    actor: Actor,
    next_path: str,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    assert auth.web_session is not None and actor.member is not None
    user = auth.web_session.user
    owed = gate.steps(session, auth.web_session, user, actor.portal, actor.member.user_type)
    back = safe_next(next_path, f"/p/{actor.portal.slug}")
    if "recovery_codes" in extra:
        return render_step(request, asker=actor.portal.name, continue_url=back, **extra)
    if not owed:
        return redirect(back)
    step = owed[0]
    enrolment = None
    if step == gate.ENROL:
        enrolment = second_factor.enrolment(session, user, issuer=actor.portal.name)
    slug = actor.portal.slug
    return render_step(
        request,
        status_code,
        step=step,
        asker=actor.portal.name,
        # The password step: whom the portal's policy that applied asks (``gate.steps``).
        password_asked_of="clients" if actor.member.user_type == UserType.CLIENT else "internal users",
        who=user.label,
        address=user.address,  # the password step's hint: what the password must not be
        next=next_path,
        enrolment=enrolment,
        password_action=f"/p/{slug}/sign-in/password",
        enrol_action=f"/p/{slug}/sign-in/enrol",
        verify_action=f"/p/{slug}/sign-in/verify",
        verify_page=f"/p/{slug}/sign-in/steps",
        **extra,
    )


@router.get("/p/{slug}/sign-in/steps", name="auth:steps")
def steps_page(
    request: Request,
    slug: str,
    session: SessionDep,
    auth: SignedIn,
    next: str = "",  # noqa: A002
    way: str = "",
) -> Response:
    actor = _ungated(request, session, slug, auth)
    return _page(request, session, auth, actor, next, recovery=way == RECOVERY)


def _take(
    request: Request,
    slug: str,
    session: Session,
    auth: Auth,
    next_path: str,
    step: Callable[[User, WebSession], dict[str, Any] | None],
    fields: Mapping[str, str] | None = None,
    **shown: Any,
) -> Response:
    """Take one step (``step`` may answer what the page shows next); a refusal is shown on the
    step's page (as it was: ``shown``, a recovery code's field), said under its field when the
    step's form has it (``fields``, as ``form_faults`` takes them: the password step's)."""
    actor = _ungated(request, session, slug, auth)
    assert auth.web_session is not None
    try:
        extra = step(auth.web_session.user, auth.web_session) or {}
    except DomainError as exc:
        said = form_faults(session, exc, fields) if fields else {"error": form_error(session, exc)}
        return _page(request, session, auth, actor, next_path, exc.status, **said, **shown)
    return _page(request, session, auth, actor, next_path, **extra)


@router.post("/p/{slug}/sign-in/password", dependencies=[Depends(check_csrf)])
def choose_password(
    request: Request,
    slug: str,
    session: SessionDep,
    auth: SignedIn,
    password: str = Form(""),
    next: str = Form(""),  # noqa: A002
) -> Response:
    return _take(
        request,
        slug,
        session,
        auth,
        next,
        lambda user, _ws: auth_service.choose_password(session, user, password),
        fields={"password": "password"},
    )


@router.post("/p/{slug}/sign-in/enrol", dependencies=[Depends(check_csrf)])
def confirm_app(
    request: Request,
    slug: str,
    session: SessionDep,
    auth: SignedIn,
    code: str = Form(""),
    next: str = Form(""),  # noqa: A002
) -> Response:
    def step(user: User, web_session: WebSession) -> dict[str, Any]:
        codes = second_factor.confirm(session, user, code)
        second_factor.proved(session, web_session)
        return {"recovery_codes": codes}

    return _take(request, slug, session, auth, next, step, CODE_FIELD, code=code)


@router.post("/p/{slug}/sign-in/verify", dependencies=[Depends(check_csrf)])
def verify_code(
    request: Request,
    slug: str,
    session: SessionDep,
    auth: SignedIn,
    code: str = Form(""),
    next: str = Form(""),  # noqa: A002
    way: str = Form(""),
) -> Response:
    def step(user: User, web_session: WebSession) -> None:
        second_factor.check(session, user, code)
        second_factor.proved(session, web_session)

    return _take(request, slug, session, auth, next, step, CODE_FIELD, code=code, recovery=way == RECOVERY)
