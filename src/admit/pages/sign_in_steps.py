"""The sign-in gate's steps, as pages (``auth.gate``): a portal whose policy asks more of a
session sends it here first — choose a password, set up an authenticator app (QR code, then the
recovery codes, shown once), or give the app's code — and then on where it was going."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.auth import gate, second_factor
from admit.auth import service as auth_service
from admit.errors import DomainError
from admit.pages.deps import SignedIn, check_csrf, form_error, redirect, render, safe_next
from admit.web import Auth, SessionDep, portal_actor

router = APIRouter()


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
    if not owed and "recovery_codes" not in extra:
        return redirect(safe_next(next_path, f"/p/{actor.portal.slug}"))
    step = owed[0] if owed else None
    context: dict[str, Any] = {"step": step, "steps": owed, "next": next_path, "hide_nav": True, **extra}
    if step == gate.ENROL and "enrolment" not in extra:
        context["enrolment"] = second_factor.pending(
            session, user, issuer=actor.portal.name
        ) or second_factor.begin(session, user, issuer=actor.portal.name)
    return render(request, "auth/steps.html", context, status_code=status_code)


@router.get("/p/{slug}/sign-in/steps", name="auth:steps")
def steps_page(request: Request, slug: str, session: SessionDep, auth: SignedIn, next: str = "") -> Response:  # noqa: A002
    return _page(request, session, auth, _ungated(request, session, slug, auth), next)


@router.post("/p/{slug}/sign-in/password", name="auth:steps_password", dependencies=[Depends(check_csrf)])
def choose_password(
    request: Request,
    slug: str,
    session: SessionDep,
    auth: SignedIn,
    password: str = Form(""),
    next: str = Form(""),  # noqa: A002
) -> Response:
    actor = _ungated(request, session, slug, auth)
    assert auth.web_session is not None
    try:
        auth_service.choose_password(session, auth.web_session.user, password)
    except DomainError as exc:
        return _page(request, session, auth, actor, next, exc.status, error=form_error(session, exc))
    return _page(request, session, auth, actor, next)


@router.post("/p/{slug}/sign-in/enrol", name="auth:steps_enrol", dependencies=[Depends(check_csrf)])
def confirm_app(
    request: Request,
    slug: str,
    session: SessionDep,
    auth: SignedIn,
    code: str = Form(""),
    next: str = Form(""),  # noqa: A002
) -> Response:
    actor = _ungated(request, session, slug, auth)
    assert auth.web_session is not None
    try:
        codes = second_factor.confirm(session, auth.web_session.user, auth.web_session, code)
    except DomainError as exc:
        return _page(request, session, auth, actor, next, exc.status, error=form_error(session, exc))
    response = _page(request, session, auth, actor, next, recovery_codes=codes)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/p/{slug}/sign-in/verify", name="auth:steps_verify", dependencies=[Depends(check_csrf)])
def verify_code(
    request: Request,
    slug: str,
    session: SessionDep,
    auth: SignedIn,
    code: str = Form(""),
    next: str = Form(""),  # noqa: A002
) -> Response:
    actor = _ungated(request, session, slug, auth)
    assert auth.web_session is not None
    try:
        second_factor.verify(session, auth.web_session.user, auth.web_session, code)
    except DomainError as exc:
        return _page(request, session, auth, actor, next, exc.status, error=form_error(session, exc))
    return _page(request, session, auth, actor, next)
