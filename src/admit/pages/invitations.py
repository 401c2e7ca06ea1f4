"""The invitee's pages: the invitation link (GET shows, POST joins)."""

from __future__ import annotations

import uuid

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from admit.auth import service as auth_service
from admit.errors import DomainError, InvitationGone, SignInRequired
from admit.flows import join
from admit.invitations import service as invitations_service
from admit.kit.routing import Router
from admit.pages.auth import back_in, csrf_or_back_in, land_after_joining
from admit.pages.deps import PageAuth, check_csrf, faults_of, render
from admit.settings import Settings
from admit.tokens import service as tokens
from admit.web import Auth, SessionDep, SettingsDep, client_ip, limit_token_guessing
from admit.workspaces import service as workspaces_service

router = Router()
# The join form's fields, by the service's names of them (``faults_of``).
_FIELDS = {"name": "name", "password": "password"}
# A form that asks no password: a refusal of one (a page opened while the portal asked its
# clients for one, sent after it stopped) is said on top (``flows.join.accept``).
_FIELDS_NO_PASSWORD = {"name": "name"}


def _show(
    request: Request,
    session: Session,
    settings: Settings,
    auth: Auth,
    token: str,
    *,
    refused: DomainError | None = None,
    form_name: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The invitation's page; ``refused``: a refused join's faults (``pages.deps.faults_of``),
    each said under its field (on top when the page has no field for it), with the name typed
    (``form_name``) kept and the password not."""
    p = join.preview(session, token, viewer=auth.user)
    fields = _FIELDS if p.password_required else _FIELDS_NO_PASSWORD
    faults = faults_of(refused, fields) if refused is not None else {}
    inv = p.invitation
    user = auth.user
    signed_in_as_recipient = p.for_viewer
    context = {
        "p": p,
        "inv": inv,
        "portal": None,
        "brand_portal": p.portal,
        "token": token,
        "wrong_account": user is not None and not signed_in_as_recipient,
        "signed_in_as_recipient": signed_in_as_recipient,
        "password_required": p.password_required,
        "min_password": settings.password_min_length,
        "form_name": form_name,
        **faults,
    }
    return render(request, "invitations/accept.html", context, status_code=status_code)


@router.get("/invite/{token}", name="invitations:show")
def show(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, auth: PageAuth
) -> Response:
    """Shows who invited whom to what. Opening the link never uses it up (mail scanners open links).
    Its recipient, signed in, opening it once used, goes to the portal they joined."""
    limit_token_guessing(request)
    try:
        return _show(request, session, settings, auth, token)
    except InvitationGone:
        portal = join.already_joined(session, token, auth.user) if auth.user is not None else None
        if portal is None:
            return _dead(request, session, token)
        return back_in(portal)


def _dead(
    request: Request, session: Session, token: str, *, asked: invitations_service.NewRequested | None = None
) -> HTMLResponse:
    """A dead link's page: its case, who invited them to which portal, the next step, in the
    portal's look (``invitations.service.DeadLink``); an expired one's offers **Request a new
    invitation** (``asked``: it was just asked, and says so; or was in the last 24 hours, and
    says when, whom to ask meanwhile, and when it may be asked again). A link of no invitation gets the
    error page every unknown link gets, which says nothing of any invitation."""
    dead = invitations_service.dead_link(session, token)
    if dead is None:
        raise invitations_service.refused(tokens.Reason.UNKNOWN)
    if asked is None and dead.case is tokens.Reason.EXPIRED:
        asked = invitations_service.new_requested_lately(session, dead)  # asked already: no button
    context = {"dead": dead, "brand_portal": dead.portal, "portal": None, "token": token, "asked": asked}
    return render(request, "invitations/gone.html", context, status_code=410)


@router.post(
    "/invite/{token}/request-new", name="invitations:request_new", dependencies=[Depends(check_csrf)]
)
def request_new(token: str, request: Request, session: SessionDep) -> Response:
    """**Request a new invitation** on an expired link's page: its inviter is asked
    (``invitations.service.request_new``, once in 24 hours), and the page says so."""
    limit_token_guessing(request)
    try:
        asked = invitations_service.request_new(session, token, ip=client_ip(request))
    except InvitationGone:
        return _dead(request, session, token)  # not expired (any more): its page says its case
    return _dead(request, session, token, asked=asked)


@router.post(
    "/invite/{token}", name="invitations:accept", dependencies=[csrf_or_back_in(join.already_joined)]
)
def accept(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: PageAuth,
    name: str = Form(""),
    password: str = Form(""),
) -> Response:
    ip = client_ip(request)
    limit_token_guessing(request)
    try:
        result = join.accept(
            session, token=token, name=name, password=password or None, current_user=auth.user, ip=ip
        )
    except InvitationGone:
        session.rollback()
        return _dead(request, session, token)
    except DomainError as exc:
        if not isinstance(exc, SignInRequired) and exc.status != 422:
            raise
        session.rollback()
        return _show(
            request,
            session,
            settings,
            auth,
            token,
            refused=exc,
            form_name=name,
            status_code=exc.status,
        )
    return land_after_joining(
        request,
        session,
        settings,
        auth,
        user=result.user,
        portal=result.portal,
        user_type=result.member.user_type,
        role=result.member.role,
        via=auth_service.Via.INVITATION,
        made_in=result.made_in,
        workspace_id=_workspace_of(session, result.invitation.id),
    )


def _workspace_of(session: Session, invitation_id: uuid.UUID) -> uuid.UUID | None:
    """The workspace the invitation brought them into: where they land."""
    workspace = workspaces_service.workspace_for_invitation(session, invitation_id)
    return workspace.id if workspace is not None else None


@router.post("/invite/{token}/switch", name="invitations:switch", dependencies=[Depends(check_csrf)])
def switch_account(
    token: str, session: SessionDep, settings: SettingsDep, auth: PageAuth
) -> RedirectResponse:
    """Signed in as someone else: sign out and come back to the same link, unused."""
    auth_service.end_session(session, auth.raw_session)
    response = RedirectResponse(f"/invite/{token}", status_code=303)
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response
