from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from fastapi import Request, Response
from sqlalchemy.orm import Session

from admit.api.auth import session_as
from admit.api.deps import ActorDep, AuthDep, Limit
from admit.api.errors import problems, unparsed_faults
from admit.api.idempotency import IdempotentDep
from admit.auth import service as auth_service
from admit.errors import (
    Conflict,
    InvalidInput,
    InvitationGone,
    InvitationNotFound,
    InvitationNotGrantable,
    InvitationNotPending,
    MemberDeactivated,
    PermissionDenied,
    RateLimited,
    SignInRequired,
    WorkspaceNotFound,
    WrongAccount,
)
from admit.flows import invitations as invitations_flow
from admit.flows import join, workspace_people
from admit.invitations import service as invitations_service
from admit.invitations.models import Invitation
from admit.invitations.schemas import (
    AcceptRequest,
    AcceptResponse,
    CheckedRecipientRead,
    InvitationCreate,
    InvitationDeliveryPage,
    InvitationDeliveryRead,
    InvitationOfferChange,
    InvitationPage,
    InvitationPreviewRead,
    InvitationRead,
    NewInvitationRequested,
    RecipientResults,
    RecipientsCheck,
    RecipientsChecked,
)
from admit.kit.routing import Router
from admit.kit.text import readable_phone
from admit.members.schemas import MemberRead, UserRead
from admit.people.results import invitation_reads, recipient_results
from admit.portals.schemas import PortalRef
from admit.web import SessionDep, SettingsDep, client_ip, limit_token_guessing

router = Router(tags=["invitations"])

# What opening or using an invitation link can meet (``invitations.service.refused``,
# ``require_grantable``: its recipient deactivated since it was sent is 403 member_deactivated).
INVITATION_LINK_ERRORS = (
    InvitationGone,
    InvitationNotGrantable,
    MemberDeactivated,
)


def _read_many(session: Session, invitations: Sequence[Invitation]) -> list[InvitationRead]:
    return invitation_reads(session, invitations)


@router.post(
    "/portals/{portal}/invitations",
    response_model=RecipientResults,
    status_code=201,
    operation_id="invitations_create",
    responses=problems(PermissionDenied, RateLimited),
)
def create_invitations(
    body: InvitationCreate, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> RecipientResults | Response:
    """Invite one or more recipients. Each gets its own result: invited, or skipped with a code.
    With ``Idempotency-Key``, a retry is answered what the first request was."""

    def invite() -> RecipientResults:
        batch = invitations_service.invite(
            session,
            actor,
            recipients=body.recipients,
            user_type=body.user_type,
            role=body.role,
            products=body.products,
            message=body.message,
            faults=unparsed_faults(body),
        )
        return recipient_results(session, batch.results)

    return once(session, actor, invite, body=body)


@router.get(
    "/portals/{portal}/invitations",
    response_model=InvitationPage,
    operation_id="invitations_list",
    responses=problems(PermissionDenied),
)
def list_invitations(
    actor: ActorDep,
    session: SessionDep,
    status: Literal["pending", "accepted", "expired", "revoked"] | None = None,
    user_type: Literal["internal", "client"] | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> InvitationPage:
    """The portal's invitations you may see, newest first, a page at a time. ``q`` matches the
    recipient's name, email address or (three digits or more) phone number, as the people list
    and User Management search."""
    rows, next_cursor = invitations_service.list_invitations(
        session, actor, status=status, user_type=user_type, q=q, cursor=cursor, limit=limit
    )
    return InvitationPage(items=_read_many(session, rows), next_cursor=next_cursor)


@router.get(
    "/portals/{portal}/invitations/{invitation_id}",
    response_model=InvitationRead,
    operation_id="invitations_get",
    responses=problems(PermissionDenied, InvitationNotFound),
)
def get_invitation(invitation_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> InvitationRead:
    return _read_many(session, [invitations_service.get_or_raise(session, actor, invitation_id)])[0]


@router.get(
    "/portals/{portal}/invitations/{invitation_id}/deliveries",
    response_model=InvitationDeliveryPage,
    operation_id="invitations_deliveries",
    responses=problems(PermissionDenied, InvitationNotFound),
)
def list_deliveries(
    invitation_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    cursor: str | None = None,
    limit: Limit = 100,
) -> InvitationDeliveryPage:
    """The invitation's delivery history: every message written for it (its first send, each
    Resend, each reminder; email or text message), newest first, a page at a time, whatever
    became of each: queued, sent, failed, cancelled or bounced, with the reason. For whoever
    may see the invitation."""
    rows, next_cursor = invitations_service.deliveries(
        session, actor, invitation_id, cursor=cursor, limit=limit
    )
    return InvitationDeliveryPage(
        items=[InvitationDeliveryRead.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.patch(
    "/portals/{portal}/invitations/{invitation_id}",
    response_model=InvitationRead,
    operation_id="invitations_change",
    responses=problems(PermissionDenied, InvitationNotFound, InvitationNotPending, InvalidInput),
)
def change_invitation(
    invitation_id: uuid.UUID, body: InvitationOfferChange, actor: ActorDep, session: SessionDep
) -> InvitationRead:
    """Change what a pending (or expired) invitation offers: the role (an internal user's) and
    the products, as a member's are changed (`PATCH …/members/{id}`): owners and admins; to or
    from owner only by an owner. Its link and expiry stand; nothing is sent. 409 once accepted
    or revoked. Each change is in the audit log."""
    return _read_many(
        session,
        [
            invitations_service.change_offer(
                session,
                actor,
                invitation_id,
                role=body.role,
                products=body.products,
                faults=unparsed_faults(body),
            )
        ],
    )[0]


@router.post(
    "/portals/{portal}/recipients/check",
    response_model=RecipientsChecked,
    operation_id="recipients_check",
    responses=problems(PermissionDenied, InvalidInput, WorkspaceNotFound),
)
def check_recipients(body: RecipientsCheck, actor: ActorDep, session: SessionDep) -> RecipientsChecked:
    """What the Invite box would make of a typed or pasted text, recipient by recipient, before
    anything is sent (the box shows each as a chip): the address read, or why it is not one, a
    suggestion for a mistyped domain, and whether it was listed before. With ``workspace_id``
    (a workspace's Invite panel), someone already in it is ``already_in_workspace``. Writes
    nothing."""
    checked = workspace_people.check_recipients(
        session, actor, body.text, workspace_id=body.workspace_id, one=body.one
    )
    return RecipientsChecked(
        items=[
            CheckedRecipientRead(
                text=c.text,
                name=c.name,
                address=c.address,
                shown=readable_phone(c.address),
                error=c.error,
                suggestion=c.suggestion,
                duplicate=c.duplicate,
                skip=c.skip,
                detail=c.detail,
                sendable=c.sendable,
                state=c.state,
                colleague=c.colleague,
            )
            for c in checked
        ]
    )


@router.post(
    "/portals/{portal}/invitations/{invitation_id}/resend",
    response_model=InvitationRead,
    operation_id="invitations_resend",
    responses=problems(*invitations_flow.RESEND_ERRORS),
)
def resend_invitation(
    invitation_id: uuid.UUID, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> InvitationRead | Response:
    """Send a new link; every earlier link stops working. 409 unless pending (or expired), and
    403 ``member_deactivated`` for a recipient who is a deactivated member (reactivate them instead).
    With ``Idempotency-Key``, a retry sends nothing and is answered what the first request was."""
    return once(
        session,
        actor,
        lambda: _read_many(session, [invitations_flow.resend(session, actor, invitation_id)])[0],
    )


@router.post(
    "/portals/{portal}/invitations/{invitation_id}/revoke",
    response_model=InvitationRead,
    operation_id="invitations_revoke",
    responses=problems(PermissionDenied, InvitationNotFound, InvitationNotPending),
)
def revoke_invitation(invitation_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> InvitationRead:
    return _read_many(session, [invitations_flow.revoke(session, actor, invitation_id)])[0]


@router.get(
    "/invitations/{token}",
    response_model=InvitationPreviewRead,
    operation_id="invitations_preview",
    responses=problems(*INVITATION_LINK_ERRORS, RateLimited),
)
def preview_invitation(
    token: str, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> InvitationPreviewRead:
    """Public preview of an invitation link. Opening it never uses it up."""
    limit_token_guessing(request)
    p = join.preview(session, token)
    inv = p.invitation
    return InvitationPreviewRead(
        portal=PortalRef.of(p.portal),
        inviter=p.inviter_name,
        recipient=inv.recipient,
        recipient_name=inv.recipient_name,
        user_type=inv.user_type,
        role=inv.role,
        expires_at=inv.expires_at,
        account_exists=p.account_exists,
        sign_in_required=p.sign_in_required,
        password_required=p.password_required,
        workspace=p.workspace_name,
    )


@router.post(
    "/invitations/{token}/request-new",
    response_model=NewInvitationRequested,
    status_code=202,
    operation_id="invitations_request_new",
    responses=problems(InvitationGone, Conflict, RateLimited),
)
def request_new_invitation(token: str, request: Request, session: SessionDep) -> NewInvitationRequested:
    """The holder of an expired invitation's link asks whoever invited them for a new one (its
    page's Request a new invitation): they get an email (a text for a phone number) with a link
    to Reinvite in User Management, once per invitation in 24 hours (``sent`` false: asked already).
    A revoked, used or replaced link is 410 ``invitation_gone`` (its case in ``reason``); one
    that still works is 409 ``conflict``."""
    limit_token_guessing(request)
    asked = invitations_service.request_new(session, token, ip=client_ip(request))
    return NewInvitationRequested(inviter=asked.inviter, sent=asked.sent, detail=asked.said)


@router.post(
    "/invitations/{token}/accept",
    response_model=AcceptResponse,
    operation_id="invitations_accept",
    responses=problems(*INVITATION_LINK_ERRORS, SignInRequired, WrongAccount, RateLimited),
)
def accept_invitation(
    token: str,
    body: AcceptRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
) -> AcceptResponse:
    """Accept an invitation (single use) and sign in as the invited person."""
    ip = client_ip(request)
    limit_token_guessing(request)
    result = join.accept(
        session, token=token, name=body.name, password=body.password, current_user=auth.user, ip=ip
    )
    csrf = session_as(
        session, request, response, auth, result.user, auth_service.Via.INVITATION, made_in=result.made_in
    )
    return AcceptResponse(
        user=UserRead.model_validate(result.user),
        member=MemberRead.of(result.member),
        portal=PortalRef.of(result.portal),
        csrf_token=csrf,
    )
