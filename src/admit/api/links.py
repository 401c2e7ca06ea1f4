"""Invite links: the portal's link and workspace links (managers), and the public side (preview,
sign up, confirm, ask to join). Thin over ``links.service``."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from admit.api.auth import session_as
from admit.api.deps import ActorDep, AuthDep, Limit
from admit.api.errors import problems, unparsed_faults
from admit.api.idempotency import IdempotentDep
from admit.auth import service as auth_service
from admit.errors import (
    AddressSuppressed,
    ConfirmationExpired,
    ConfirmationNotFound,
    ConfirmationRemoved,
    ConfirmationReplaced,
    ConfirmationUsed,
    DomainNotAllowed,
    InvitationNotGrantable,
    JoinRequestNotFound,
    JoinRequestNotInvitable,
    JoinRequestNotPending,
    LinkGone,
    LinkNotFound,
    LinkUsedUp,
    MemberDeactivated,
    PermissionDenied,
    PortalLink,
    RateLimited,
    RecipientRateLimited,
    SignInRequired,
    SignupNotFound,
    WorkspaceLink,
    WorkspaceNotFound,
)
from admit.flows import join_requests as join_requests_flow
from admit.flows import signups as signups_flow
from admit.flows import workspace_links
from admit.kit.routing import Router
from admit.links import service as links_service
from admit.links import signups
from admit.links.models import LinkSignup
from admit.links.schemas import (
    ConfirmationPreview,
    ConfirmResponse,
    InviteLinkRead,
    InviteLinkUpdate,
    LinkPreviewRead,
    LinkSignupAccepted,
    LinkSignupCreate,
    LinkSignupPage,
    LinkSignupRead,
    WorkspaceLinkUpdate,
)
from admit.members.schemas import MemberRead, UserRead
from admit.people.results import signup_reads
from admit.portals.schemas import PortalRef
from admit.web import SessionDep, SettingsDep, client_ip, limit_token_guessing
from admit.workspaces import join_requests
from admit.workspaces.schemas import (
    JoinRequestApprove,
    JoinRequestCreate,
    JoinRequestPage,
    JoinRequestRead,
    JoinRequestReceived,
)


class ConfirmRequest(BaseModel):
    password: str | None = Field(default=None, max_length=256)


router = Router(tags=["invite links"])


def _signup_read(session: Session, record: LinkSignup) -> LinkSignupRead:
    return signup_reads(session, [record])[0]


# What opening or using a sign-up confirmation link can meet (``links.signups``).
CONFIRMATION_ERRORS = (
    ConfirmationNotFound,
    ConfirmationUsed,
    ConfirmationReplaced,
    ConfirmationExpired,
    ConfirmationRemoved,
    LinkGone,
    DomainNotAllowed,
)


# --- managing the portal's link ---------------------------------------------------------


@router.api_route(
    "/portals/{portal}/invite-link{rest:path}",
    methods=["GET", "PATCH", "POST"],
    include_in_schema=False,
    operation_id="link_moved",
)
def moved_link(portal: str, rest: str, request: Request) -> RedirectResponse:
    """The portal's link lived at ``…/invite-link`` before it was named like a workspace's
    (``…/link``): 308 keeps the method and the body, so old clients go on working."""
    target = request.url.replace(path=request.url.path.replace("/invite-link", "/link", 1))
    return RedirectResponse(str(target), status_code=308)


# Making a link that stands already answers it (POST …/link): 200, where a new one is 201.
STOOD: dict[int | str, dict[str, Any]] = {
    200: {"model": InviteLinkRead, "description": "The link that stood."}
}


@router.get(
    "/portals/{portal}/link",
    response_model=InviteLinkRead,
    operation_id="link_get",
    responses=problems(PermissionDenied, LinkNotFound),
)
def get_invite_link(actor: ActorDep, session: SessionDep, response: Response) -> InviteLinkRead:
    """The portal's invite link (Copy Link), its policy and how many joined through it; 404
    ``link_not_found`` before it is made (``POST``)."""
    response.headers["Cache-Control"] = "no-store"
    return InviteLinkRead.of(links_service.portal_link(session, actor))


@router.post(
    "/portals/{portal}/link",
    response_model=InviteLinkRead,
    status_code=201,
    operation_id="link_create",
    responses={**STOOD, **problems(PermissionDenied)},
)
def create_invite_link(actor: ActorDep, session: SessionDep, response: Response) -> InviteLinkRead:
    """Make the portal's invite link (off, until PATCH turns it on): 201; 200 with the link
    when there is one already."""
    response.headers["Cache-Control"] = "no-store"
    view, made = links_service.open_portal_link(session, actor)
    if not made:
        response.status_code = 200
    return InviteLinkRead.of(view)


@router.patch(
    "/portals/{portal}/link",
    response_model=InviteLinkRead,
    operation_id="link_update",
    responses=problems(PermissionDenied),
)
def update_invite_link(body: InviteLinkUpdate, actor: ActorDep, session: SessionDep) -> InviteLinkRead:
    """Change the link's policy; only the fields sent change (null: no domain rule / no limit; no
    expiry only with ``never_expires: true``)."""
    view = links_service.update_portal_link(
        session, actor, faults=unparsed_faults(body), **body.model_dump(exclude_unset=True)
    )
    return InviteLinkRead.of(view)


@router.post(
    "/portals/{portal}/link/refresh",
    response_model=InviteLinkRead,
    operation_id="link_refresh",
    responses=problems(PermissionDenied),
)
def refresh_invite_link(actor: ActorDep, session: SessionDep) -> InviteLinkRead:
    """Refresh Link: a new URL; the previous one stops working for everyone at once."""
    return InviteLinkRead.of(links_service.refresh_portal_link(session, actor))


@router.get(
    "/portals/{portal}/link/signups",
    response_model=LinkSignupPage,
    operation_id="link_signups_list",
    responses=problems(PermissionDenied),
)
def list_link_signups(
    actor: ActorDep,
    session: SessionDep,
    status: Literal["pending", "confirmed", "expired"] | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> LinkSignupPage:
    """Who signed up through the link: pending (awaiting their confirmation), confirmed, expired."""
    rows, next_cursor = signups.list_signups(session, actor, status=status, cursor=cursor, limit=limit)
    return LinkSignupPage(items=signup_reads(session, rows), next_cursor=next_cursor)


@router.get(
    "/portals/{portal}/link/signups/{signup_id}",
    response_model=LinkSignupRead,
    operation_id="link_signups_get",
    responses=problems(PermissionDenied, SignupNotFound),
)
def get_link_signup(signup_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> LinkSignupRead:
    """One sign-up through the link, whatever its status, with its confirmation email's delivery
    (User Management asks it again while that email is queued)."""
    return _signup_read(session, signups.get(session, actor, signup_id))


@router.delete(
    "/portals/{portal}/link/signups/{signup_id}",
    status_code=204,
    operation_id="link_signups_remove",
    responses=problems(PermissionDenied, SignupNotFound),
)
def remove_link_signup(signup_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Remove a sign-up waiting for its confirmation: its confirmation link stops working and
    its place on the link is freed (``GET …/link/signups/{id}`` then says ``removed``)."""
    signups.remove(session, actor, signup_id)


@router.post(
    "/portals/{portal}/link/signups/{signup_id}/resend",
    response_model=LinkSignupRead,
    operation_id="link_signups_resend",
    responses=problems(PermissionDenied, SignupNotFound, RecipientRateLimited, AddressSuppressed),
)
def resend_link_signup(
    signup_id: uuid.UUID, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> LinkSignupRead | Response:
    """Send a pending sign-up a new confirmation email: a new link, good for another 24 hours;
    the earlier one stops working."""
    return once(session, actor, lambda: _signup_read(session, signups.resend(session, actor, signup_id)))


# --- workspace links and join requests --------------------------------------------------


@router.get(
    "/portals/{portal}/workspaces/{workspace_id}/link",
    response_model=InviteLinkRead,
    operation_id="workspaces_link_get",
    responses=problems(PermissionDenied, WorkspaceNotFound, LinkNotFound),
)
def get_workspace_link(
    workspace_id: uuid.UUID, actor: ActorDep, session: SessionDep, response: Response
) -> InviteLinkRead:
    """The workspace's link; opening it lets anyone ask to join the workspace. 404
    ``link_not_found`` before it is made (``POST``)."""
    response.headers["Cache-Control"] = "no-store"
    return InviteLinkRead.of(workspace_links.show(session, actor, workspace_id))


@router.post(
    "/portals/{portal}/workspaces/{workspace_id}/link",
    response_model=InviteLinkRead,
    status_code=201,
    operation_id="workspaces_link_create",
    responses={**STOOD, **problems(PermissionDenied, WorkspaceNotFound)},
)
def create_workspace_link(
    workspace_id: uuid.UUID, actor: ActorDep, session: SessionDep, response: Response
) -> InviteLinkRead:
    """Make the workspace's link: 201; 200 with the link when there is one already."""
    response.headers["Cache-Control"] = "no-store"
    view, made = workspace_links.open_link(session, actor, workspace_id)
    if not made:
        response.status_code = 200
    return InviteLinkRead.of(view)


@router.patch(
    "/portals/{portal}/workspaces/{workspace_id}/link",
    response_model=InviteLinkRead,
    operation_id="workspaces_link_update",
    responses=problems(PermissionDenied, WorkspaceNotFound),
)
def update_workspace_link(
    workspace_id: uuid.UUID, body: WorkspaceLinkUpdate, actor: ActorDep, session: SessionDep
) -> InviteLinkRead:
    """Change the workspace link's settings as the portal link's are (on/off, lifetime or
    expiry, never expires, domains, maximum); only the fields sent change."""
    view = workspace_links.update(
        session, actor, workspace_id, faults=unparsed_faults(body), **body.model_dump(exclude_unset=True)
    )
    return InviteLinkRead.of(view)


@router.post(
    "/portals/{portal}/workspaces/{workspace_id}/link/refresh",
    response_model=InviteLinkRead,
    operation_id="workspaces_link_refresh",
    responses=problems(PermissionDenied, WorkspaceNotFound),
)
def refresh_workspace_link(workspace_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> InviteLinkRead:
    return InviteLinkRead.of(workspace_links.refresh(session, actor, workspace_id))


@router.get(
    "/portals/{portal}/join-requests",
    response_model=JoinRequestPage,
    operation_id="join_requests_list",
    responses=problems(PermissionDenied),
)
def list_join_requests(
    actor: ActorDep,
    session: SessionDep,
    status: Literal["pending", "approved", "declined"] | None = None,
    workspace_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> JoinRequestPage:
    """Join requests of the workspaces you are in (owners and admins: all), newest first."""
    rows, next_cursor = join_requests.list_join_requests(
        session, actor, status=status, workspace_id=workspace_id, cursor=cursor, limit=limit
    )
    return JoinRequestPage(items=[JoinRequestRead.of(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/portals/{portal}/join-requests/{request_id}/approve",
    response_model=JoinRequestRead,
    operation_id="join_requests_approve",
    responses=problems(
        PermissionDenied, JoinRequestNotFound, JoinRequestNotPending, JoinRequestNotInvitable, RateLimited
    ),
)
def approve_join_request(
    request_id: uuid.UUID, body: JoinRequestApprove, actor: ActorDep, session: SessionDep
) -> JoinRequestRead:
    """Approve, choosing the user type (internal only if you may invite internal users)."""
    request = join_requests_flow.approve(session, actor, request_id, user_type=body.user_type, role=body.role)
    return JoinRequestRead.of(request)


@router.post(
    "/portals/{portal}/join-requests/{request_id}/decline",
    response_model=JoinRequestRead,
    operation_id="join_requests_decline",
    responses=problems(PermissionDenied, JoinRequestNotFound, JoinRequestNotPending),
)
def decline_join_request(request_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> JoinRequestRead:
    """Decline; the person is told politely by email."""
    return JoinRequestRead.of(join_requests.decline(session, actor, request_id))


# --- the public side --------------------------------------------------------------------


@router.get(
    "/links/{token}",
    response_model=LinkPreviewRead,
    operation_id="links_preview",
    responses=problems(LinkGone, RateLimited),
)
def preview_link(
    token: str, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> LinkPreviewRead:
    """Public preview of a link. 410 ``link_gone`` for expired, refreshed, disabled or used-up links."""
    limit_token_guessing(request)
    return LinkPreviewRead.of(workspace_links.preview(session, token))


@router.post(
    "/links/{token}/signup",
    response_model=LinkSignupAccepted,
    status_code=202,
    operation_id="links_signup",
    responses=problems(WorkspaceLink, DomainNotAllowed, LinkGone, LinkUsedUp, RateLimited),
)
def signup_through_link(
    token: str, body: LinkSignupCreate, request: Request, response: Response, session: SessionDep
) -> LinkSignupAccepted:
    """Sign up through a portal link; 202 when the confirmation email is on its way.

    Errors: ``link_gone`` / ``link_used_up`` (410), ``domain_not_allowed`` and ``invalid_input``
    (422, with ``field``), ``rate_limited`` (429). The answer does not depend on whether the
    address already has an account; while no email may go to it at all (the day's per-person
    limit, or it bounced), nothing is written (an earlier sign-up's link keeps working).
    """
    record = signups.signup(
        session, token=token, email=body.email, name=body.name, password=body.password, ip=client_ip(request)
    )
    return LinkSignupAccepted(
        email=record.email,
        detail=f"We sent a confirmation email to {record.email}. Follow the link in it to join.",
    )


@router.get(
    "/links/confirm/{token}",
    response_model=ConfirmationPreview,
    operation_id="links_confirmation_preview",
    responses=problems(*CONFIRMATION_ERRORS, RateLimited),
)
def preview_confirmation(
    token: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
) -> ConfirmationPreview:
    """What a confirmation link is for (portal, address). Opening it never uses it up."""
    limit_token_guessing(request)
    c = signups_flow.confirmation(session, token, viewer=auth.user)
    return ConfirmationPreview(
        portal=PortalRef.of(c.portal),
        email=c.signup.email,
        name=c.signup.name,
        password_required=c.password_required,
        already_member=c.already_member,
        sign_in_required=c.sign_in_required,
    )


@router.post(
    "/links/confirm/{token}",
    response_model=ConfirmResponse,
    operation_id="links_confirm",
    responses=problems(
        *CONFIRMATION_ERRORS, SignInRequired, MemberDeactivated, InvitationNotGrantable, RateLimited
    ),
)
def confirm_signup(
    token: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    body: ConfirmRequest | None = None,
) -> ConfirmResponse:
    """Confirm a link sign-up (single use): the person joins and is signed in. A new account
    that needs a password chooses it here (``{password}``), not at sign-up; an account that has
    one must be signed in (403 ``sign_in_required`` otherwise, the link still unused)."""
    ip = client_ip(request)
    limit_token_guessing(request)
    result = signups_flow.confirm(
        session, token=token, password=body.password if body else None, current_user=auth.user, ip=ip
    )
    csrf = session_as(session, request, response, auth, result.user, auth_service.Via.LINK_SIGNUP)
    return ConfirmResponse(
        outcome=result.outcome,
        user=UserRead.model_validate(result.user),
        member=MemberRead.of(result.member),
        portal=PortalRef.of(result.portal),
        csrf_token=csrf,
    )


@router.post(
    "/links/{token}/join-requests",
    response_model=JoinRequestReceived,
    status_code=202,
    operation_id="join_requests_create",
    responses=problems(PortalLink, DomainNotAllowed, LinkGone, LinkUsedUp, RateLimited),
)
def request_to_join(
    token: str, body: JoinRequestCreate, request: Request, response: Response, session: SessionDep
) -> JoinRequestReceived:
    """Ask to join a workspace through its link; its internal users approve or decline."""
    join_requests_flow.request_to_join(
        session, token=token, email=body.email, name=body.name, note=body.note, ip=client_ip(request)
    )
    return JoinRequestReceived(detail="Your request was sent. You will get an email when someone answers it.")
