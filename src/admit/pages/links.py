"""Invite-link pages: the portal link's page (Copy / Refresh / policy / who joined), workspace
link refresh and join-request answers, and the public side (/join/{token}, /confirm/{token})."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.auth import service as auth_service
from admit.errors import Checks, ConfirmationUsed, DomainError, InvalidInput, SignInRequired
from admit.flows import join_requests as join_requests_flow
from admit.flows import signups as signups_flow
from admit.flows import workspace_links
from admit.kit.routing import Router
from admit.kit.text import listed
from admit.links import service as links_service
from admit.links import signups as signups_service
from admit.links.views import LinkPreview, LinkView
from admit.pages import workspaces as workspace_pages
from admit.pages.auth import back_in, csrf_or_back_in, land_after_joining
from admit.pages.deps import PageActor, PageAuth, check_csrf, faults_of, named_for, redirect, render
from admit.pages.errors import error_page_of, secret_link_gone
from admit.settings import Settings
from admit.web import SessionDep, SettingsDep, client_ip, limit_token_guessing
from admit.workspaces import join_requests
from admit.workspaces.models import JoinRequest

router = Router()
# Errors a public form shows next to the form (anything else is the error page).
_FORM_ERRORS = (422, 429)


def _portal_page(
    request: Request, session: Session, actor: Actor, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    view, _made = links_service.open_portal_link(session, actor)  # the page shows it: made if none
    signups, _ = signups_service.list_signups(session, actor, limit=50)
    context: dict[str, Any] = {
        "nav": "users",
        "view": view,
        "signups": signups,
        "grantable_roles": [r for r in ("member", "admin") if policy.check_link_role(actor.role, r) is None],
    }
    context.update(extra)
    return render(request, "links/portal.html", context, status_code=status_code)


@router.get("/p/{slug}/invite-link", name="links:portal")
def portal_link_page(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """Share Invite Link: the link, Copy / Refresh, its policy and how many joined through it."""
    return _portal_page(request, session, actor)


def _optional_int(value: str, field: str, faults: Checks, *, scale: int = 1) -> int | None | Any:
    """A number field of the form: None when empty; a fault noted in ``faults`` (and ``UNSET``:
    the service leaves it be, and says the form's other faults with it) when it is no number."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value) * scale
    except ValueError:
        with faults.of(field):
            raise InvalidInput("Give a whole number, or leave it empty.") from None
    return links_service.UNSET


class _SettingsForm:
    """The settings a link's form (``links/_settings.html``) asks of the portal's link and a
    workspace's alike: lifetime in days, never expires, domains, maximum, on."""

    def __init__(
        self,
        lifetime_days: str = Form(""),
        allowed_domains: str = Form(""),
        max_uses: str = Form(""),
        enabled: str = Form(""),
        never_expires: str = Form(""),
    ) -> None:
        self.lifetime_days, self.allowed_domains, self.max_uses = lifetime_days, allowed_domains, max_uses
        self.enabled, self.never_expires = bool(enabled), bool(never_expires)

    def changes(self, faults: Checks) -> dict[str, Any]:
        """As the service takes them; what the form itself reads wrong noted in ``faults``."""
        lifetime = _optional_int(self.lifetime_days, "lifetime_seconds", faults, scale=24 * 3600)
        if isinstance(lifetime, int):
            # The form asks in days: its answer in days (the API takes hours too).
            asked, lifetime = lifetime, links_service.UNSET
            with faults.of("lifetime_seconds"):
                links_service.check_lifetime(asked, in_days=True)
                lifetime = asked
        changes: dict[str, Any] = {"never_expires": self.never_expires}
        if isinstance(lifetime, int) and not self.never_expires:
            changes["lifetime_seconds"] = lifetime
        changes["allowed_domains"] = listed(self.allowed_domains)
        changes["max_uses"] = _optional_int(self.max_uses, "max_uses", faults)
        changes["enabled"] = self.enabled
        return changes

    def typed(self) -> dict[str, Any]:
        """The form as it was typed, shown again when it is refused."""
        return {
            "lifetime_days": self.lifetime_days,
            "allowed_domains": self.allowed_domains,
            "max_uses": self.max_uses,
            "enabled": self.enabled,
            "never_expires": self.never_expires,
        }


SettingsForm = Annotated[_SettingsForm, Depends()]


# The link settings' fields, the service's names to the page's (its inputs' ids).
_LINK_FIELDS = {
    "user_type": "link_user_type",
    "role": "link_role",
    "lifetime_seconds": "lifetime_days",
    "never_expires": "lifetime_days",
    "allowed_domains": "allowed_domains",
    "max_uses": "max_uses",
    "products": "link_products",
}


@router.post("/p/{slug}/invite-link", name="links:update", dependencies=[Depends(check_csrf)])
def portal_link_update(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    form: SettingsForm,
    user_type: str = Form("internal"),
    role: str = Form(""),
    products: list[str] = Form(default=[]),
    products_shown: str = Form(""),
) -> Response:
    """Save the link's policy (only what changed is recorded). No expiry only when "Never
    expires" is ticked; otherwise the lifetime given (or, left empty, the one it has). Products
    change only when the form showed them (a portal with none enabled shows none)."""
    # What the form itself reads wrong is said with what the service finds (every fault at once).
    faults = Checks()
    try:
        links_service.update_portal_link(
            session,
            actor,
            user_type=user_type,
            role=role if user_type == "internal" else None,
            products=products if products_shown else links_service.UNSET,
            faults=faults,
            **form.changes(faults),
        )
    except DomainError as exc:
        if exc.status not in (403, 422):
            raise
        session.rollback()
        typed = {**form.typed(), "user_type": user_type, "role": role, "products": products}
        return _portal_page(
            request, session, actor, status_code=exc.status, link_typed=typed, **faults_of(exc, _LINK_FIELDS)
        )
    return redirect(f"/p/{actor.portal.slug}/invite-link", notice="Invite link settings saved.")


@router.post("/p/{slug}/invite-link/on", name="links:enable", dependencies=[Depends(check_csrf)])
def portal_link_enable(actor: PageActor, session: SessionDep, back: str = "link") -> RedirectResponse:
    """Turn on the invite link (a new one starts off), from the Invite modal or the link's page."""
    link = links_service.update_portal_link(session, actor, enabled=True)
    notice = _turned_on(actor, link, "The invite link", "sign up")
    if back == "users":
        return redirect(f"/p/{actor.portal.slug}/users?invite=link", notice=notice)
    return redirect(f"/p/{actor.portal.slug}/invite-link", notice=notice)


@router.post("/p/{slug}/invite-link/refresh", name="links:refresh", dependencies=[Depends(check_csrf)])
def portal_link_refresh(actor: PageActor, session: SessionDep, back: str = "link") -> RedirectResponse:
    """Refresh Link, from the Invite modal (back to it) or from the link's page."""
    links_service.refresh_portal_link(session, actor)
    notice = "Invite link refreshed. The previous link no longer works."
    if back == "users":
        return redirect(f"/p/{actor.portal.slug}/users?invite=link", notice=notice)
    return redirect(f"/p/{actor.portal.slug}/invite-link", notice=notice)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/link",
    name="links:update_workspace",
    dependencies=[Depends(check_csrf)],
)
def workspace_link_update(
    request: Request, workspace_id: uuid.UUID, actor: PageActor, session: SessionDep, form: SettingsForm
) -> Response:
    """The workspace's Share card's Link settings: the portal link's form (``links/_settings.html``)
    without user type, role and products."""
    faults = Checks()
    try:
        workspace_links.update(session, actor, workspace_id, faults=faults, **form.changes(faults))
    except DomainError as exc:
        if exc.status not in (403, 422):
            raise
        session.rollback()
        return workspace_pages.show_page(
            request,
            session,
            actor,
            workspace_id,
            status_code=exc.status,
            link_typed=form.typed(),
            **faults_of(exc, _LINK_FIELDS),
        )
    return redirect(
        f"/p/{actor.portal.slug}/workspaces/{workspace_id}", notice="Workspace link settings saved."
    )


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/link/refresh",
    name="links:refresh_workspace",
    dependencies=[Depends(check_csrf)],
)
def workspace_link_refresh(
    workspace_id: uuid.UUID, actor: PageActor, session: SessionDep
) -> RedirectResponse:
    workspace_links.refresh(session, actor, workspace_id)
    return redirect(
        f"/p/{actor.portal.slug}/workspaces/{workspace_id}",
        notice="Workspace link refreshed. The previous link no longer works.",
    )


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/link/on",
    name="links:enable_workspace",
    dependencies=[Depends(check_csrf)],
)
def workspace_link_enable(workspace_id: uuid.UUID, actor: PageActor, session: SessionDep) -> RedirectResponse:
    """Turn on the workspace's link in one click, where its Share card says it is off: the
    settings form's "Link on" (``flows.workspace_links.update``, its audit event) and no more."""
    view = workspace_links.update(session, actor, workspace_id, enabled=True)
    return redirect(
        f"/p/{actor.portal.slug}/workspaces/{workspace_id}",
        notice=_turned_on(actor, view, "The workspace link", "ask to join"),
    )


def _turned_on(actor: Actor, view: LinkView, link: str, does: str) -> str:
    """What a Turn on did, as its state now is: on and letting people in, or on but still
    letting nobody in (a fixed expiry that passed while it was off; every place taken), said as
    the link says it (``LinkView.shut``)."""
    if (shut := view.shut(actor.portal.time_zone)) is not None:
        why, remedy = shut
        return f"{link} is on, but it {why}: {remedy} to let people in."
    domains = view.link.allowed_domains
    at = f" with an address at {', '.join(domains)}" if domains else ""
    return f"{link} is on: anyone who has it can {does}{at}."


@router.post(
    "/p/{slug}/join-requests/{request_id}/approve",
    name="join_requests:approve",
    dependencies=[Depends(check_csrf)],
)
def approve_submit(
    request_id: uuid.UUID,
    actor: PageActor,
    session: SessionDep,
    user_type: str = Form("client"),
    role: str = Form(""),
    owners_confirmed: str = Form(""),
    shown: str = Form(""),
) -> RedirectResponse:
    """Approve a join request (``shown``: what its row said Approve would do; the flow refuses
    if that changed meanwhile); inviting them as an owner asks the owners' confirmation first
    (``_owner_unconfirmed``): nothing is made, and the workspace shows the request's form again
    with it (``?approve_owner=``), until it is given."""
    asked = _owner_unconfirmed(session, actor, request_id, user_type, role, owners_confirmed)
    if asked is not None:
        return redirect(
            f"/p/{actor.portal.slug}/workspaces/{asked.workspace_id}?approve_owner={asked.id}#join-requests"
        )
    request = join_requests_flow.approve(
        session,
        actor,
        request_id,
        user_type=user_type,
        role=role if user_type == "internal" else None,
        shown=shown or None,
    )
    assert request.outcome is not None, "an approved request records its outcome"
    who = named_for(actor, request.email, request.name)
    told = {
        "invited": f"{who} was invited to the portal and the workspace.",
        "invitation_pending": f"{who} will be in the workspace once they accept their invitation.",
        "added_to_workspace": f"{who} was added to the workspace.",
        "already_in_workspace": f"{who} was in the workspace already.",
    }[request.outcome]
    return redirect(f"/p/{actor.portal.slug}/workspaces/{request.workspace_id}", notice=f"Approved. {told}")


def _owner_unconfirmed(
    session: Session, actor: Actor, request_id: uuid.UUID, user_type: str, role: str, owners_confirmed: str
) -> JoinRequest | None:
    """The join request whose Approve would invite an owner without the owners' confirmation
    (``policy.owner_unconfirmed``, as Change role and products, the Invite box, a
    list's preview and the CLI's ``--confirm-owners`` ask it); None when it makes no owner (a
    client; someone already in the portal, whose membership stands, or already invited, whose
    invitation stands: ``join_requests_flow.approving``), was confirmed, or is refused anyway (by
    the approval itself, which says why)."""
    if user_type != "internal":
        return None
    try:
        policy.require(actor.role, policy.Action.JOIN_REQUEST_APPROVE)
        asked = join_requests.get_or_raise(session, actor, request_id)
        join_requests.require_pending(asked)
    except DomainError:
        return None
    if not join_requests_flow.approving(session, actor, asked.email).invites:
        return None
    unconfirmed = policy.owner_unconfirmed(role or None, confirmed=bool(owners_confirmed), was=None)
    return asked if unconfirmed is not None else None


@router.post(
    "/p/{slug}/join-requests/{request_id}/decline",
    name="join_requests:decline",
    dependencies=[Depends(check_csrf)],
)
def decline_submit(request_id: uuid.UUID, actor: PageActor, session: SessionDep) -> RedirectResponse:
    request = join_requests.decline(session, actor, request_id)
    return redirect(
        f"/p/{actor.portal.slug}/workspaces/{request.workspace_id}",
        notice=f"Declined. {named_for(actor, request.email, request.name)} will get a polite email.",
    )


# --- the public side --------------------------------------------------------------------


def _join_page(
    request: Request,
    session: Session,
    settings: Settings,
    token: str,
    *,
    status_code: int = 200,
    preview: LinkPreview | None = None,
    **extra: Any,
) -> HTMLResponse:
    preview = preview or workspace_links.preview(session, token)
    context: dict[str, Any] = {
        "p": preview,
        "token": token,
        "portal": None,
        "brand_portal": preview.portal,
        "min_password": settings.password_min_length,
        "restricted": bool(preview.link.allowed_domains),
        "form": {},
    }
    context.update(extra)
    return render(request, "links/join.html", context, status_code=status_code)


# The invite link this browser opened last, for its page come back to (``join_again``).
JOIN_COOKIE = "admit_join"


@router.get("/join/{token}", name="links:join")
def join_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, auth: PageAuth
) -> HTMLResponse:
    """A portal link shows the sign-up form; a workspace link the join-request form. The link is
    kept in a cookie of the browser's (``JOIN_COOKIE``, for ``/join`` only, an hour), as the page
    takes it out of the address bar."""
    limit_token_guessing(request)
    response = _join_page(request, session, settings, token)
    response.set_cookie(
        JOIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        path="/join",
        secure=settings.session_cookie_secure,
    )
    return response


@router.get("/join", include_in_schema=False)
def join_again(
    request: Request, session: SessionDep, settings: SettingsDep, auth: PageAuth, portal: str = ""
) -> HTMLResponse:
    """An invite link's page come back to (Back from "Check your email", or reloaded): the
    address the page left (``/join?portal=acme``, its token taken out) shows the form again, for
    the link this browser opened last (``JOIN_COOKIE``) when it is of the portal the address names,
    empty: nothing of a sign-up is told here. Otherwise, or once the link no longer works, "Open
    your link again"."""
    token = request.cookies.get(JOIN_COOKIE)
    if token:
        limit_token_guessing(request)
        try:
            preview = workspace_links.preview(session, token)
        except DomainError:
            session.rollback()
        else:
            if not portal or preview.portal.slug == portal:  # the page left was that link's
                return _join_page(request, session, settings, token, preview=preview)
    return secret_link_gone(request, session, auth, portal)


@router.post("/join/{token}", name="links:signup", dependencies=[Depends(check_csrf)])
def join_submit(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: PageAuth,
    email: str = Form(""),
    name: str = Form(""),
    password: str = Form(""),
    note: str = Form(""),
) -> HTMLResponse:
    """Sign up (portal link) or ask to join (workspace link)."""
    ip = client_ip(request)
    preview = workspace_links.preview(session, token)
    sent: dict[str, str | None]
    try:
        if preview.link.kind == "portal":
            signup = signups_service.signup(
                session, token=token, email=email, name=name, password=password or None, ip=ip
            )
            sent = {"kind": "signup", "email": signup.email, "portal": preview.portal.name}
        else:
            join_request = join_requests_flow.request_to_join(
                session, token=token, email=email, name=name, note=note, ip=ip
            )
            sent = {"kind": "request", "email": join_request.email, "workspace": preview.workspace_name}
    except DomainError as exc:
        if exc.status not in _FORM_ERRORS:
            raise
        session.rollback()
        return _join_page(
            request,
            session,
            settings,
            token,
            status_code=exc.status,
            # Said under the field at fault (the address outside the allowed domains, say);
            # on top when none is (the link's limits, a wait).
            **faults_of(exc, {"email": "email", "name": "name", "note": "note"}),
            form={"email": email, "name": name, "note": note},
        )
    context = {"sent": sent, "portal": None, "brand_portal": preview.portal}
    return render(request, "links/sent.html", context)


@router.get("/confirm/{token}", name="links:confirm_show")
def confirm_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, auth: PageAuth
) -> Response:
    """The confirmation email's link: a page with one button (mail scanners open links). The
    person who confirmed with it, signed in, opening it again, goes to the portal they joined."""
    limit_token_guessing(request)
    try:
        c = signups_flow.confirmation(session, token, viewer=auth.user)
    except DomainError as exc:
        if isinstance(exc, ConfirmationUsed) and auth.user is not None:
            joined = signups_flow.already_joined(session, token, auth.user)
            if joined is not None:
                return back_in(joined)
        # Said in the portal's look (its name and logo), when the link was one of its.
        portal = signups_flow.portal_of_link(session, token)
        if portal is None:
            raise
        return error_page_of(request, exc, portal)
    return render(
        request,
        "links/confirm.html",
        {
            "c": c,
            "token": token,
            "portal": None,
            "brand_portal": c.portal,
            "min_password": settings.password_min_length,
        },
    )


@router.post(
    "/confirm/{token}", name="links:confirm", dependencies=[csrf_or_back_in(signups_flow.already_joined)]
)
def confirm_submit(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: PageAuth,
    password: str = Form(""),
) -> Response:
    """Confirm: the person joins (or is signed in to their membership) and lands in the portal."""
    ip = client_ip(request)
    limit_token_guessing(request)
    try:
        result = signups_flow.confirm(
            session, token=token, password=password or None, current_user=auth.user, ip=ip
        )
    except (InvalidInput, SignInRequired) as exc:
        session.rollback()
        c = signups_flow.confirmation(session, token, viewer=auth.user)
        context = {
            "c": c,
            "token": token,
            "portal": None,
            "brand_portal": c.portal,
            "min_password": settings.password_min_length,
            # A refused password under its field (``new_password``); an account to sign in to, on top.
            **faults_of(exc, {"password": "password"}),
        }
        return render(request, "links/confirm.html", context, status_code=exc.status)
    return land_after_joining(
        request,
        session,
        settings,
        auth,
        user=result.user,
        portal=result.portal,
        user_type=result.member.user_type,
        role=result.member.role,
        via=auth_service.Via.LINK_SIGNUP,
        back=result.outcome == "already_member",
    )
