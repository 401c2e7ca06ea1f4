"""Workspaces (the minimal core): create one, find the ones an actor may reach, and who is in them.

Access: owners and admins (and admin API keys) reach every workspace of their portal; everyone
else reaches the workspaces they have joined. Anything else is 404 (``workspace_not_found``),
never 403, so a workspace's existence is not revealed. ``accessible_workspace_ids`` is the one
place that rule lives; every read goes through it.

Membership is ``joined`` or ``not_joined``: someone approved into a workspace before they are
in the portal stays ``not_joined`` until they accept their portal invitation (``mark_joined``).
"""

from __future__ import annotations

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.errors import InvalidInput, NotFound
from admit.kit import clock
from admit.kit.pagination import page
from admit.members.models import User
from admit.policy import Role
from admit.workspaces.models import JOINED, KINDS, NOT_JOINED, Workspace, WorkspaceMember

__all__ = [
    "accessible_workspace_ids",
    "add_member",
    "create",
    "get_membership",
    "get_or_raise",
    "list_workspaces",
    "mark_joined",
    "members",
]

MAX_NAME = 200


def accessible_workspace_ids(actor: Actor) -> Select:
    """A SELECT of the ids of the workspaces ``actor`` may reach (use it in ``.in_()``)."""
    query = select(Workspace.id).where(Workspace.portal_id == actor.portal.id)
    if actor.role in (Role.OWNER, Role.ADMIN):
        return query
    user_id = actor.user.id if actor.user is not None else None
    return query.join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id).where(
        WorkspaceMember.user_id == user_id, WorkspaceMember.status == JOINED
    )


def create(session: Session, actor: Actor, *, name: str, kind: str = "chat") -> Workspace:
    """Create a workspace; its creator (when a person) joins it at once."""
    policy.require(actor.role, policy.Action.WORKSPACE_CREATE)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("The workspace needs a name.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"The workspace name is at most {MAX_NAME} characters.", field="name")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}.", field="kind")
    workspace = Workspace(portal_id=actor.portal.id, name=name, kind=kind, created_by_id=actor.user_id)
    session.add(workspace)
    session.flush()
    if actor.user is not None:
        now = clock.now()
        session.add(
            WorkspaceMember(
                workspace_id=workspace.id,
                user_id=actor.user.id,
                status=JOINED,
                added_by_id=actor.user.id,
                created_at=now,
                joined_at=now,
            )
        )
    audit_service.record(
        session,
        actor,
        "workspace.created",
        target_type="workspace",
        target_id=workspace.id,
        target_label=name,
        detail={"kind": kind},
    )
    session.flush()
    return workspace


def get_or_raise(session: Session, actor: Actor, workspace_id) -> Workspace:
    """The workspace, if ``actor`` may reach it; 404 ``workspace_not_found`` otherwise."""
    workspace = session.scalar(
        select(Workspace).where(
            Workspace.id == workspace_id, Workspace.id.in_(accessible_workspace_ids(actor))
        )
    )
    if workspace is None:
        raise NotFound("No such workspace.", code="workspace_not_found")
    return workspace


def list_workspaces(session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 100):
    """The workspaces ``actor`` may reach, newest first."""
    query = select(Workspace).where(Workspace.id.in_(accessible_workspace_ids(actor)))
    return page(session, query, Workspace, cursor=cursor, limit=limit)


def get_membership(session: Session, workspace_id, user_id) -> WorkspaceMember | None:
    return session.scalar(
        select(WorkspaceMember).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id
        )
    )


def members(session: Session, workspace: Workspace) -> list[WorkspaceMember]:
    """Everyone in the workspace, joined first, then by when they were added."""
    rows = session.scalars(
        select(WorkspaceMember)
        .where(WorkspaceMember.workspace_id == workspace.id)
        .order_by(WorkspaceMember.created_at, WorkspaceMember.id)
    )
    return sorted(rows, key=lambda m: m.status != JOINED)


def add_member(
    session: Session, actor: Actor, workspace: Workspace, user: User, *, joined: bool
) -> WorkspaceMember:
    """Put ``user`` in ``workspace`` (``joined`` or ``not_joined``); idempotent.

    The caller has already checked permissions (e.g. approving a join request); a member who
    is already ``joined`` stays joined.
    """
    now = clock.now()
    membership = get_membership(session, workspace.id, user.id)
    if membership is None:
        membership = WorkspaceMember(
            workspace_id=workspace.id,
            user_id=user.id,
            status=JOINED if joined else NOT_JOINED,
            added_by_id=actor.user_id,
            created_at=now,
            joined_at=now if joined else None,
        )
        session.add(membership)
    elif joined and membership.status != JOINED:
        membership.status = JOINED
        membership.joined_at = now
    else:
        return membership
    audit_service.record(
        session,
        actor,
        "workspace.member_added",
        target_type="workspace",
        target_id=workspace.id,
        target_label=user.email or user.label,
        detail={"workspace": workspace.name, "status": membership.status},
    )
    session.flush()
    return membership


def mark_joined(session: Session, portal_id, user_id) -> int:
    """The user has joined the portal: their ``not_joined`` workspaces there become ``joined``."""
    ids = select(Workspace.id).where(Workspace.portal_id == portal_id)
    return session.execute(
        update(WorkspaceMember)
        .where(
            WorkspaceMember.user_id == user_id,
            WorkspaceMember.status == NOT_JOINED,
            WorkspaceMember.workspace_id.in_(ids),
        )
        .values(status=JOINED, joined_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
