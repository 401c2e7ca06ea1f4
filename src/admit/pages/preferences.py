"""A person's notification preferences as pages: the one-click unsubscribe link every optional
message carries (a page with one button: mail scanners open links; the mail app's one-click
``List-Unsubscribe-Post`` posts straight to it), and Notification settings."""

from __future__ import annotations

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from admit.errors import InvalidInput
from admit.flows import notification_settings
from admit.kit.routing import Router
from admit.members.models import User
from admit.pages.auth import at_home
from admit.pages.deps import SignedIn, check_csrf, form_error, redirect, render
from admit.web import SessionDep

router = Router()


@router.get("/unsubscribe/{token}", name="preferences:unsubscribe")
def unsubscribe_page(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    """The link's page asks first (mail scanners open links), saying what it stops, for which
    address, from which portal."""
    return _link_page(request, session, token, confirm=False)


@router.post("/unsubscribe/{token}")
def unsubscribe(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    """The button, or the mail app's one-click post (RFC 8058): the signed token is the only
    credential, and it can do this one thing."""
    return _link_page(request, session, token, confirm=True)


def _link_page(request: Request, session: Session, token: str, *, confirm: bool) -> HTMLResponse:
    found = notification_settings.unsubscribe(session, token, confirm=confirm)
    context_ = {"link": found, "done": confirm}
    return render(request, "preferences/unsubscribe.html", context_, status_code=200 if found else 404)


@router.get("/me/notifications", name="preferences:settings")
def settings_page(request: Request, session: SessionDep, auth: SignedIn) -> HTMLResponse:
    assert auth.web_session is not None
    return _settings_page(request, session, auth.web_session.user)


def _settings_page(
    request: Request, session: Session, user: User, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "preferences/settings.html",
        {
            "settings": notification_settings.settings(session, user),
            "error": error,
            **at_home(request, session, user),  # their portal: its navigation, the way back
        },
        status_code=status_code,
    )


@router.post("/me/notifications", dependencies=[Depends(check_csrf)])
def settings_save(
    request: Request, session: SessionDep, auth: SignedIn, kinds: list[str] = Form(default_factory=list)
) -> Response:
    assert auth.web_session is not None
    user = auth.web_session.user
    shown = notification_settings.settings(session, user)
    try:
        notification_settings.change(
            session,
            user,
            # A kind the form does not show (a hand-made post) goes in as asked, to be refused
            # by name as the API refuses it (preferences.change); the boxes shown, as ticked. A
            # locked box is disabled, so not sent: the choice kept stays.
            {k: True for k in kinds if k not in {s.kind for s in shown}}
            | {s.kind: s.kind in kinds for s in shown if not s.locked},
        )
    except InvalidInput as exc:
        return _settings_page(request, session, user, error=form_error(session, exc), status_code=exc.status)
    return redirect("/me/notifications", notice="Notification settings saved.")
