"""The signed-in person's own account, as a page (``/me/account``): their name, their password
(a first one, or a new one given the current one), two-step verification (set up an
authenticator app, new recovery codes, turn it off), and where they are signed in (each
browser, one signed out, or every other). Thin over the services the API's ``/me`` and
``/auth/password`` call."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from admit.auth import second_factor
from admit.auth import service as auth_service
from admit.auth.models import WebSession
from admit.errors import DomainError
from admit.kit import ratelimit
from admit.kit.pagination import every
from admit.kit.routing import Router
from admit.kit.user_agents import browser_named
from admit.members import service as members_service
from admit.members.addresses import MAX_NAME
from admit.members.models import User
from admit.pages.auth import at_home
from admit.pages.deps import SignedIn, check_csrf, form_faults, redirect, render
from admit.pages.sign_in_steps import CODE_FIELD, RECOVERY, render_step
from admit.web import Auth, SessionDep, client_ip

router = Router()

HERE = "/me/account"


def _signed_in(auth: Auth) -> tuple[User, WebSession]:
    assert auth.web_session is not None  # ``SignedIn`` sent anyone else to sign in
    return auth.web_session.user, auth.web_session


def _page(
    request: Request, session: Session, web_session: WebSession, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    user = web_session.user
    has_factor = second_factor.has_factor(session, user.id)
    # Where they are signed in: this browser first, then the others, newest first.
    sessions = every(functools.partial(auth_service.list_sessions, session, web_session))
    sessions.sort(key=lambda s: s.id != web_session.id)
    response = render(
        request,
        "account/index.html",
        {
            "me": user,
            **at_home(request, session, user),  # their portal: its navigation, the way back
            "max_name": MAX_NAME,
            "min_password": request.app.state.db.context.settings.password_min_length,
            # Wrong codes here count against the account's sign-in too (``auth.second_factor``).
            "codes_allowed": ratelimit.in_words(
                request.app.state.db.context.settings.sign_in_code_rate_limit
            ),
            "has_password": user.password_hash is not None,
            # Without one: the portals whose policy asks them for one (it is not a choice there).
            "password_asked_by": []
            if user.password_hash
            else auth_service.password_required_by(session, user),
            "has_factor": has_factor,
            "codes_left": second_factor.recovery_codes_left(session, user) if has_factor else None,
            "few_codes_left": second_factor.FEW_RECOVERY_CODES,
            "factor_required": has_factor and auth_service.two_factor_required_by(session, user),
            "sessions": sessions,
            "this_session": web_session,
            "browser_named": browser_named,
            **extra,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _code_refused(session: Session, exc: DomainError, *, field: str, code: str, way: str) -> dict[str, Any]:
    """What the page shows after a two-step form's code was refused: a wrong code said under
    its field (``field``: the form's code field), kept to be corrected, as every code form says
    it (``code_field``); what names no field (too many wrong codes, a portal that requires it),
    above the form."""
    return {**form_faults(session, exc, {"code": field}), "code": code, "recovery": way == RECOVERY}


@router.get(HERE, name="account:show")
def show(request: Request, session: SessionDep, auth: SignedIn, way: str = "") -> HTMLResponse:
    """``way``: "recovery" (the two-step section's "Use a recovery code"): its code fields take
    a recovery code, as text, where they bring up a phone's digit keypad for the app's code."""
    _, web_session = _signed_in(auth)
    return _page(request, session, web_session, recovery=way == RECOVERY)


def _back_to_the_page() -> Response:
    """A form's own address opened (a reload after a refusal shown in place, a bookmark): the
    account page, not "Method Not Allowed"."""
    return redirect(HERE)


for _form in ("name", "password", "recovery-codes", "two-factor/off", "sign-out-others"):
    router.add_api_route(f"{HERE}/{_form}", _back_to_the_page, methods=["GET"], include_in_schema=False)
router.add_api_route(
    f"{HERE}/sessions/{{session_id}}/sign-out", _back_to_the_page, methods=["GET"], include_in_schema=False
)


@router.post(f"{HERE}/name", name="account:name", dependencies=[Depends(check_csrf)])
def rename(request: Request, session: SessionDep, auth: SignedIn, name: str = Form("")) -> Response:
    user, web_session = _signed_in(auth)
    try:
        members_service.rename(session, user, name)
    except DomainError as exc:
        # Under the field, as typed (``_fields.html``); what names no field, above the form.
        faults = form_faults(session, exc, {"name": "name"})
        return _page(request, session, web_session, exc.status, form="name", name_typed=name, **faults)
    return redirect(HERE, notice="Your name is saved." if user.name else "Your name is removed.")


@router.post(f"{HERE}/password", name="account:password", dependencies=[Depends(check_csrf)])
def password(
    request: Request,
    session: SessionDep,
    auth: SignedIn,
    current_password: str = Form(""),
    password: str = Form(""),
) -> Response:
    user, web_session = _signed_in(auth)
    had = user.password_hash is not None
    try:
        auth_service.choose_password(
            session,
            user,
            password,
            current=current_password if had else None,
            keep=web_session,
            ip=client_ip(request),
        )
    except DomainError as exc:
        # Each refusal under its field (``_fields.html``), as every password form says it.
        faults = form_faults(session, exc, {"password": "password", "current_password": "current_password"})
        return _page(request, session, web_session, exc.status, form="password", **faults)
    if had:
        return redirect(HERE, notice="Your password is changed. Every other browser is signed out.")
    return redirect(HERE, notice="Your password is saved: sign in with it from now on.")


@router.post(f"{HERE}/sign-out-others", name="account:sign_out_others", dependencies=[Depends(check_csrf)])
def sign_out_others(session: SessionDep, auth: SignedIn) -> Response:
    _, web_session = _signed_in(auth)
    ended = auth_service.sign_out_elsewhere(session, web_session)
    if not ended:
        return redirect(HERE, notice="You were signed in nowhere else.")
    return redirect(HERE, notice=f"Signed out of {ended} other browser{'s' if ended > 1 else ''}.")


@router.post(
    f"{HERE}/sessions/{{session_id}}/sign-out",
    name="account:sign_out_session",
    dependencies=[Depends(check_csrf)],
)
def sign_out_session(session_id: uuid.UUID, session: SessionDep, auth: SignedIn) -> Response:
    """One browser of theirs signed out (the list's Sign out); someone else's session: 404."""
    _, web_session = _signed_in(auth)
    ended = auth_service.sign_out_browser(session, web_session, session_id)
    return redirect(HERE, notice=f"Signed out of {browser_named(ended.user_agent)}.")


# --- two-step verification --------------------------------------------------------------------


def _enrol_page(
    request: Request, session: Session, user: User, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    issuer = second_factor.issuer_for(session, user)
    enrolment = second_factor.enrolment(session, user, issuer=issuer)
    return render_step(
        request,
        status_code,
        step="enrol_second_factor",
        asker=None,
        who=user.label,
        next="",
        enrolment=enrolment,
        enrol_action=f"{HERE}/two-factor",
        account=True,
        hide_nav=False,
        **extra,
    )


@router.get(f"{HERE}/two-factor", name="account:two_factor")
def two_factor_page(request: Request, session: SessionDep, auth: SignedIn) -> Response:
    user, _ = _signed_in(auth)
    if second_factor.has_factor(session, user.id):
        return redirect(HERE)
    return _enrol_page(request, session, user)


@router.post(f"{HERE}/two-factor", dependencies=[Depends(check_csrf)])
def two_factor_on(request: Request, session: SessionDep, auth: SignedIn, code: str = Form("")) -> Response:
    user, web_session = _signed_in(auth)
    try:
        codes = second_factor.confirm(session, user, code)
    except DomainError as exc:
        said = form_faults(session, exc, CODE_FIELD)
        return _enrol_page(request, session, user, exc.status, code=code, **said)
    second_factor.proved(session, web_session)
    return render_step(request, recovery_codes=codes, continue_url=HERE, account=True, hide_nav=False)


@router.post(f"{HERE}/recovery-codes", name="account:recovery_codes", dependencies=[Depends(check_csrf)])
def recovery_codes(
    request: Request, session: SessionDep, auth: SignedIn, code: str = Form(""), way: str = Form("")
) -> Response:
    user, web_session = _signed_in(auth)
    try:
        codes = second_factor.replace_recovery_codes(session, user, code)
    except DomainError as exc:
        said = _code_refused(session, exc, field="code", code=code, way=way)
        return _page(request, session, web_session, exc.status, form="codes", **said)
    return render_step(
        request, recovery_codes=codes, renewed=True, continue_url=HERE, account=True, hide_nav=False
    )


@router.post(f"{HERE}/two-factor/off", name="account:two_factor_off", dependencies=[Depends(check_csrf)])
def two_factor_off(
    request: Request, session: SessionDep, auth: SignedIn, code: str = Form(""), way: str = Form("")
) -> Response:
    user, web_session = _signed_in(auth)
    try:
        auth_service.turn_off_two_factor(session, user, code)
    except DomainError as exc:
        said = _code_refused(session, exc, field="off_code", code=code, way=way)
        return _page(request, session, web_session, exc.status, form="off", **said)
    return redirect(HERE, notice="Two-step verification is off.")
