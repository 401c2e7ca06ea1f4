"""Join requests: someone asked, through a workspace's link, to join it.

The workspace's internal users see them, and approve (``flows.join_requests.approve``: that
invites or adds the person) or decline them (here: the person gets a polite email). At most one
pending request per workspace and address: asking again changes nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.errors import InvalidInput, JoinRequestNotFound, JoinRequestNotPending, at_most_characters
from admit.kit.pagination import page
from admit.notifications import service as notifications_service
from admit.portals import brand as portals_brand
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import (
    APPROVED,
    DECLINED,
    REQUEST_PENDING,
    REQUEST_STATUSES,
    JoinRequest,
    Workspace,
)

__all__ = [
    "MAX_NOTE",
    "counts",
    "create",
    "decline",
    "get_or_raise",
    "list_join_requests",
    "places_taken",
    "record_approval",
    "require_pending",
]

MAX_NOTE = 1000


def clean_note(note: str | None) -> str:
    clean = (note or "").strip()
    if len(clean) > MAX_NOTE:
        raise InvalidInput(at_most_characters(MAX_NOTE, clean), field="note")
    return clean


def _pending(session: Session, workspace_id: uuid.UUID, email: str) -> JoinRequest | None:
    return session.scalar(
        select(JoinRequest).where(
            JoinRequest.workspace_id == workspace_id,
            JoinRequest.email == email,
            JoinRequest.status == REQUEST_PENDING,
        )
    )


def create(
    session: Session,
    workspace: Workspace,
    *,
    link_id: uuid.UUID,
    email: str,
    name: str,
    note: str,
    ip: str | None,
) -> tuple[JoinRequest, bool]:
    """A pending join request (``email`` and ``name`` already checked); returns it and whether it
    is new. Asking again while one is pending returns that one, changed in nothing."""
    existing = _pending(session, workspace.id, email)
    if existing is not None:
        return existing, False
    request = JoinRequest(
        portal_id=workspace.portal_id,
        workspace_id=workspace.id,
        link_id=link_id,
        email=email,
        name=name,
        note=note,
        status=REQUEST_PENDING,
        created_at=context.of(session).clock.now(),
        ip=ip,
    )
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:
        existing = _pending(session, workspace.id, email)  # the same request, submitted twice at once
        if existing is None:
            raise
        return existing, False
    audit_service.record(
        session,
        None,
        "join_request.created",
        portal_id=workspace.portal_id,
        ip=ip,
        target_type="join_request",
        target_id=request.id,
        target_label=email,
        detail={"workspace_id": str(workspace.id), "workspace": workspace.name, "name": name},
    )
    session.flush()
    return request, True


def counts(session: Session, workspace_id: uuid.UUID) -> tuple[int, int, int]:
    """``(places taken, approved, pending)``: what a workspace link's managers see of it. A
    request pending or approved takes one of the link's places (``max_uses``); a declined one
    gives its place back, a refresh does not (as a portal link's sign-ups)."""
    by_status = dict(
        session.execute(
            select(JoinRequest.status, func.count())
            .where(JoinRequest.workspace_id == workspace_id)
            .group_by(JoinRequest.status)
        ).all()
    )
    approved, pending = by_status.get(APPROVED, 0), by_status.get(REQUEST_PENDING, 0)
    return approved + pending, approved, pending


def places_taken(session: Session, workspace_id: uuid.UUID) -> int:
    """The places its requests take on a workspace's link (``counts``)."""
    return counts(session, workspace_id)[0]


def list_join_requests(
    session: Session,
    actor: Actor,
    *,
    status: str | None = REQUEST_PENDING,
    workspace_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[JoinRequest], str | None]:
    """Join requests of the workspaces ``actor`` may reach, newest first."""
    policy.require(actor.role, policy.Action.JOIN_REQUEST_APPROVE)
    query = select(JoinRequest).where(
        JoinRequest.portal_id == actor.portal.id,
        JoinRequest.workspace_id.in_(workspaces_service.accessible_workspace_ids(actor)),
    )
    if status:
        if status not in REQUEST_STATUSES:
            raise InvalidInput.not_one_of("status", REQUEST_STATUSES)
        query = query.where(JoinRequest.status == status)
    if workspace_id is not None:
        query = query.where(JoinRequest.workspace_id == workspace_id)
    return page(session, query, JoinRequest, cursor=cursor, limit=limit)


def get_or_raise(session: Session, actor: Actor, request_id: uuid.UUID) -> JoinRequest:
    """A join request of a workspace the actor may reach; 404 otherwise."""
    request = session.scalar(
        select(JoinRequest).where(
            JoinRequest.id == request_id,
            JoinRequest.portal_id == actor.portal.id,
            JoinRequest.workspace_id.in_(workspaces_service.accessible_workspace_ids(actor)),
        )
    )
    if request is None:
        raise JoinRequestNotFound("No such join request.")
    return request


def require_pending(request: JoinRequest) -> None:
    if request.status != REQUEST_PENDING:
        raise JoinRequestNotPending(f"This request was already {request.status}.")


def _answered(session: Session, request: JoinRequest, actor: Actor) -> None:
    """``request`` is answered (approved or declined): by whom and when, and the approvers' emails
    asking for an answer that have not gone yet (held back by the per-person limit) are stopped:
    an approver must not be asked to review a request already answered."""
    request.decided_by_id = actor.user_id
    request.decided_at = context.of(session).clock.now()
    notifications_service.cancel_events(session, f"join_request:{request.id}:new:")


def record_approval(
    session: Session,
    actor: Actor,
    request: JoinRequest,
    *,
    outcome: str,
    user_type: str,
    role: str,
    invitation_id: uuid.UUID | None,
) -> None:
    """Write down an approval (the flow has done what it says) and audit it."""
    request.status = APPROVED
    request.outcome = outcome
    request.user_type, request.role = str(user_type), str(role)
    request.invitation_id = invitation_id
    _answered(session, request, actor)
    audit_service.record(
        session,
        actor,
        "join_request.approved",
        target_type="join_request",
        target_id=request.id,
        target_label=request.email,
        detail={
            "workspace": request.workspace.name,
            "name": request.name,
            "outcome": outcome,
            "user_type": request.user_type,
            "role": request.role,
        },
    )
    session.flush()


def decline(session: Session, actor: Actor, request_id: uuid.UUID) -> JoinRequest:
    """Decline a join request; the person gets a polite email saying so."""
    policy.require(actor.role, policy.Action.JOIN_REQUEST_APPROVE)
    request = get_or_raise(session, actor, request_id)
    require_pending(request)
    request.status = DECLINED
    _answered(session, request, actor)
    notifications_service.enqueue_email(
        session,
        event_key=f"join_request:{request.id}:declined",
        template="join_request_declined",
        to=request.email,
        portal_id=actor.portal.id,
        context={
            "portal_name": actor.portal.name,
            "brand": portals_brand.for_message(session, actor.portal),
            "workspace_name": request.workspace.name,
            "name": notifications_service.greeting_name(request.name, asked=True),
        },
    )
    audit_service.record(
        session,
        actor,
        "join_request.declined",
        target_type="join_request",
        target_id=request.id,
        target_label=request.email,
        detail={"workspace": request.workspace.name, "name": request.name},
    )
    session.flush()
    return request
