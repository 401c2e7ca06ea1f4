"""Flow workspaces: roles ("Reviewer", "Client signer"), who holds them, and actions.

A role is held by one member at a time or left unassigned (the page shows **Assign** /
**Invite** for it). Assigning someone not in the workspace yet, or someone new, goes through
the Invite panel's flow first (``flows.workspace_people.assign_role``). Reassigning ends the
current assignment and starts a new one, so the history stays.

Whoever may add roles may rename or delete them. Deleting a role is never refused: its holder's
assignment ends (as when they are reassigned or removed; the history stays), its actions stay in
the flow without a role, and the role keeps its row (``deleted_at``) so who held it stays in the
history; it is gone from every list and cannot be assigned, given actions or renamed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import rowcount
from admit.errors import (
    Checks,
    InvalidInput,
    NotAFlow,
    NotFound,
    RoleExists,
    RoleNotFound,
    at_most_characters,
)
from admit.kit.names import same as same_name
from admit.kit.pagination import Order, ordered_page, page
from admit.kit.text import day_text, zone_text
from admit.members import service as members_service
from admit.notifications import service as notifications_service
from admit.notifications.held_roles import Held
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service
from admit.workspaces import messages as workspace_messages
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import (
    FLOW,
    JOINED,
    RoleAssignment,
    Workspace,
    WorkspaceAction,
    WorkspaceMember,
    WorkspaceRole,
)

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User
    from admit.portals.models import Portal


__all__ = [
    "RoleDeleted",
    "RoleHistory",
    "add_action",
    "add_roles",
    "assign",
    "current_roles",
    "delete_action",
    "delete_role",
    "held_by",
    "invitation_place",
    "edit_action",
    "list_actions",
    "list_roles",
    "reopen_action",
    "rename_role",
    "role_history",
    "role_or_raise",
]

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_DUE_YEARS = 10  # a due date further ahead is a typo (9999-12-31), not a plan


@dataclass(slots=True)
class RoleHistory:
    """A role with who holds it now and everyone who held it (oldest first)."""

    role: WorkspaceRole
    current: RoleAssignment | None
    history: list[RoleAssignment]


def _flow_or_raise(session: Session, actor: Actor, workspace_id: uuid.UUID) -> Workspace:
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    if workspace.kind != FLOW:
        raise NotAFlow("Only flow workspaces have roles and actions.")
    return workspace


def list_roles(session: Session, actor: Actor, workspace_id: uuid.UUID) -> list[RoleHistory]:
    """The roles of a workspace in order, each with its current holder and its history."""
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    roles = list(
        session.scalars(
            select(WorkspaceRole)
            .where(WorkspaceRole.workspace_id == workspace.id, WorkspaceRole.deleted_at.is_(None))
            .order_by(WorkspaceRole.position, WorkspaceRole.created_at)
        )
    )
    history: dict[uuid.UUID, list[RoleAssignment]] = {r.id: [] for r in roles}
    if roles:
        for a in session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.role_id.in_(list(history)))
            .order_by(RoleAssignment.assigned_at, RoleAssignment.id)
        ):
            history[a.role_id].append(a)
    return [
        RoleHistory(r, next((a for a in history[r.id] if a.ended_at is None), None), history[r.id])
        for r in roles
    ]


NEWEST_ASSIGNED = Order("-assigned_at", ("assigned_at",))


def role_history(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    role_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[WorkspaceRole, list[RoleAssignment], str | None]:
    """Who held a flow's role, newest first, a page at a time: ``(role, assignments, next_cursor)``."""
    _workspace, role = role_or_raise(session, actor, workspace_id, role_id)
    query = select(RoleAssignment.id.label("id"), RoleAssignment.assigned_at.label("assigned_at")).where(
        RoleAssignment.role_id == role.id
    )
    rows, next_cursor = ordered_page(
        session, RoleAssignment, query, cursor=cursor, limit=limit, order=NEWEST_ASSIGNED
    )
    return role, rows, next_cursor


def _held_now() -> tuple[ColumnElement[bool], ...]:
    """A role held now, as a condition on ``RoleAssignment`` and its ``WorkspaceRole``: the
    assignment not ended, the role not deleted."""
    return RoleAssignment.ended_at.is_(None), WorkspaceRole.deleted_at.is_(None)


def current_roles(
    session: Session, workspace_id: uuid.UUID, *, user_id: uuid.UUID | None = None
) -> dict[uuid.UUID, list[str]]:
    """``{user_id: [role name, …]}``: who holds which of the workspace's roles now, in order
    (``user_id``: only that person's)."""
    held: dict[uuid.UUID, list[str]] = {}
    query = (
        select(RoleAssignment.user_id, WorkspaceRole.name)
        .join(WorkspaceRole, WorkspaceRole.id == RoleAssignment.role_id)
        .where(WorkspaceRole.workspace_id == workspace_id, *_held_now())
        .order_by(WorkspaceRole.position)
    )
    if user_id is not None:
        query = query.where(RoleAssignment.user_id == user_id)
    for holder, role_name in session.execute(query):
        held.setdefault(holder, []).append(role_name)
    return held


def held_by(session: Session, workspace_id: uuid.UUID, user_id: uuid.UUID) -> list[str]:
    """The workspace's roles ``user_id`` holds now, in order."""
    return current_roles(session, workspace_id, user_id=user_id).get(user_id, [])


def invitation_place(
    session: Session,
    invitation_id: uuid.UUID,
    *,
    here: Workspace | None = None,
    user_id: uuid.UUID | None = None,
) -> tuple[str | None, list[Held]]:
    """What a message of a portal invitation (a Resend, User Management's Reinvite, a reminder)
    says of where it brings its person, read as it is sent: the workspace it names (``here``, a
    workspace's Resend Invitation's; else the first the invitation brings them into,
    ``workspaces.service.membership_for_invitation``; None: no workspace), and the roles they
    hold now in every workspace the invitation brings them into, in the order they were put
    there (``notifications.held_roles`` says them). ``user_id``: the person ``here`` resends to,
    whose roles there count whichever invitation their membership names."""
    held: dict[uuid.UUID, tuple[str, list[str]]] = {}
    query = (
        select(Workspace.id, Workspace.name, WorkspaceRole.name)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .join(RoleAssignment, RoleAssignment.user_id == WorkspaceMember.user_id)
        .join(
            WorkspaceRole,
            (WorkspaceRole.id == RoleAssignment.role_id) & (WorkspaceRole.workspace_id == Workspace.id),
        )
        .where(WorkspaceMember.invitation_id == invitation_id, *_held_now())
        .order_by(WorkspaceMember.created_at, WorkspaceMember.workspace_id, WorkspaceRole.position)
    )
    for workspace_id, workspace_name, role_name in session.execute(query):
        held.setdefault(workspace_id, (workspace_name, []))[1].append(role_name)
    if here is not None and user_id is not None and here.id not in held:
        held[here.id] = (here.name, held_by(session, here.id, user_id))
    named = (
        here.name
        if here is not None
        else workspaces_service.workspace_name_for_invitation(session, invitation_id)
    )
    return named, [Held(name, tuple(roles)) for name, roles in held.values() if roles]


def _live_roles(session: Session, workspace: Workspace) -> list[WorkspaceRole]:
    query = select(WorkspaceRole).where(
        WorkspaceRole.workspace_id == workspace.id, WorkspaceRole.deleted_at.is_(None)
    )
    return list(session.scalars(query))


def _check_free(others: list[WorkspaceRole], names: list[str]) -> None:
    """No two live roles of a flow share a name (``kit.names``: whatever the case and spacing),
    for adding and for renaming (``others``: the flow's other live roles); the refusal names
    the role there, as it is written."""
    for name in names:
        found = same_name(name, ((r.id, r.name) for r in others))
        if found is not None:
            raise RoleExists(f"This flow already has a role “{found[1]}”.", field="name")


def add_roles(
    session: Session, actor: Actor, workspace_id: uuid.UUID, names: list[str]
) -> list[WorkspaceRole]:
    """Add roles to a flow (after the ones it has)."""
    policy.require(actor.role, policy.Action.WORKSPACE_ROLES)
    workspace = _flow_or_raise(session, actor, workspace_id)
    clean = workspaces_service.clean_role_names(names, field="name")
    if not clean:
        raise InvalidInput("Give the role a name.", field="name")
    existing = _live_roles(session, workspace)
    _check_free(existing, clean)
    if len(existing) + len(clean) > workspaces_service.MAX_ROLES:
        raise InvalidInput(f"A flow has at most {workspaces_service.MAX_ROLES} roles.", field="name")
    position = max((r.position for r in existing), default=-1) + 1
    added = []
    for offset, name in enumerate(clean):
        role = WorkspaceRole(workspace_id=workspace.id, name=name, position=position + offset)
        session.add(role)
        added.append(role)
    audit_service.record(
        session,
        actor,
        "workspace.roles_added",
        target_type="workspace",
        target_id=workspace.id,
        target_label=workspace.name,
        detail={"roles": clean},
    )
    session.flush()
    return added


def rename_role(
    session: Session, actor: Actor, workspace_id: uuid.UUID, role_id: uuid.UUID, *, name: str
) -> WorkspaceRole:
    """Give a flow's role another name (the rules of adding one); its holder and history stay.
    Audited."""
    policy.require(actor.role, policy.Action.WORKSPACE_ROLES)
    workspace, role = role_or_raise(session, actor, workspace_id, role_id)
    (clean,) = workspaces_service.clean_role_names([name], field="name")
    before = role.name
    if clean == before:
        return role
    _check_free([r for r in _live_roles(session, workspace) if r.id != role.id], [clean])
    role.name = clean
    audit_service.record(
        session,
        actor,
        "workspace.role_renamed",
        target_type="workspace",
        target_id=workspace.id,
        target_label=workspace.name,
        detail={"from": before, "to": clean},
    )
    session.flush()
    return role


@dataclass(slots=True)
class RoleDeleted:
    """What deleting a role did: whose assignment ended, and the actions left without a role."""

    role: WorkspaceRole
    ended: RoleAssignment | None
    actions: list[WorkspaceAction]


def delete_role(session: Session, actor: Actor, workspace_id: uuid.UUID, role_id: uuid.UUID) -> RoleDeleted:
    """Delete a flow's role (see the module: never refused). Audited with who held it and which
    actions it had."""
    policy.require(actor.role, policy.Action.WORKSPACE_ROLES)
    workspace, role = role_or_raise(session, actor, workspace_id, role_id)
    now = context.of(session).clock.now()
    # The role's row lock: an assignment at the same moment waits, then finds the role deleted.
    session.execute(select(WorkspaceRole.id).where(WorkspaceRole.id == role.id).with_for_update())
    current = session.scalar(
        select(RoleAssignment).where(RoleAssignment.role_id == role.id, RoleAssignment.ended_at.is_(None))
    )
    if current is not None:
        current.ended_at = now
    actions = list(session.scalars(select(WorkspaceAction).where(WorkspaceAction.role_id == role.id)))
    for action in actions:
        action.role_id = None
    role.deleted_at = now
    audit_service.record(
        session,
        actor,
        "workspace.role_deleted",
        target_type="workspace",
        target_id=workspace.id,
        target_label=workspace.name,
        detail={
            "role": role.name,
            "holder": str(current.user_id) if current is not None else None,
            "actions": [a.title for a in actions[:100]],
        },
    )
    session.flush()
    return RoleDeleted(role, current, actions)


def role_or_raise(
    session: Session, actor: Actor, workspace_id: uuid.UUID, role_id: uuid.UUID
) -> tuple[Workspace, WorkspaceRole]:
    """A flow the actor reaches and one of its roles; 404 (or 409 ``not_a_flow``) otherwise."""
    workspace = _flow_or_raise(session, actor, workspace_id)
    role = session.get(WorkspaceRole, role_id)
    if role is None or role.workspace_id != workspace.id or role.deleted_at is not None:
        raise RoleNotFound("No such role in this workspace.")
    return workspace, role


def assign(
    session: Session, actor: Actor, workspace: Workspace, role: WorkspaceRole, user: User
) -> RoleAssignment:
    """Give ``role`` to ``user`` (already in the workspace); the current holder's assignment
    ends (history kept). Giving it to its holder changes nothing."""
    policy.require(actor.role, policy.Action.WORKSPACE_ROLES)
    _check_access(session, actor, user.id, field="user_id")
    now = context.of(session).clock.now()
    # Two assignments of one role at once: the role's row lock makes them take turns (PostgreSQL;
    # SQLite's write lock already does), and the partial unique index backs it up. A delete that
    # took the lock first wins: the role is gone.
    deleted_at = session.scalar(
        select(WorkspaceRole.deleted_at).where(WorkspaceRole.id == role.id).with_for_update()
    )
    if deleted_at is not None:
        raise RoleNotFound("No such role in this workspace.")
    current = session.scalar(
        select(RoleAssignment).where(RoleAssignment.role_id == role.id, RoleAssignment.ended_at.is_(None))
    )
    if current is not None and current.user_id == user.id:
        return current
    if current is not None:
        session.execute(
            update(RoleAssignment)
            .where(RoleAssignment.id == current.id, RoleAssignment.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session="fetch")
        )
        session.flush()
    assignment = RoleAssignment(
        role_id=role.id, user_id=user.id, assigned_by_id=actor.user_id, assigned_at=now
    )
    session.add(assignment)
    audit_service.record(
        session,
        actor,
        "workspace.role_assigned",
        target_type="workspace",
        target_id=workspace.id,
        target_label=user.address or "",
        detail={
            "workspace": workspace.name,
            "role": role.name,
            "previous": str(current.user_id) if current is not None else None,
        },
    )
    session.flush()
    return assignment


# --- actions ---------------------------------------------------------------------------------


def add_action(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    *,
    title: str,
    description: str = "",
    role_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    due_on: date | None = None,
) -> WorkspaceAction:
    """Add a step to a flow (internal users only): a title and a description, for a role (its
    holder, now or later) or for one person of the workspace, due on a day in the portal's
    time zone."""
    policy.require(actor.role, policy.Action.WORKSPACE_ACTION_ADD)
    workspace = _flow_or_raise(session, actor, workspace_id)
    checks = Checks()  # every fault at once, in the order the form asks
    title = _checked_title(checks, title)
    role = None
    with checks.of("role_id"):
        if role_id is not None:
            role = session.get(WorkspaceRole, role_id)
            if role is None or role.workspace_id != workspace.id or role.deleted_at is not None:
                raise InvalidInput("No such role in this workspace.")
    with checks.of("assignee_id"):
        if role_id is not None and assignee_id is not None:
            raise InvalidInput("Assign the action to a role or to a person, not both.")
        if assignee_id is not None:
            if workspaces_service.get_membership(session, workspace.id, assignee_id) is None:
                raise InvalidInput("The person is not in this workspace.")
            _check_access(session, actor, assignee_id, field="assignee_id")
    with checks.of("due_on"):
        _check_due(session, actor, due_on)
    description = _checked_description(checks, description)
    checks.done()
    action = WorkspaceAction(
        workspace_id=workspace.id,
        title=title,
        description=description,
        role_id=role_id,
        assignee_id=assignee_id,
        due_on=due_on,
        created_by_id=actor.user_id,
    )
    session.add(action)
    session.flush()
    _audit(
        session,
        actor,
        workspace,
        "workspace.action_added",
        {"title": title, "due_on": due_on.isoformat() if due_on else None},
    )
    _notify_assignee(session, actor, workspace, role, action)
    return action


def _checked_title(checks: Checks, title: str | None) -> str:
    title = (title or "").strip()
    with checks.of("title"):
        if not title:
            raise InvalidInput("The action needs a title.")
        if len(title) > MAX_TITLE:
            raise InvalidInput(at_most_characters(MAX_TITLE, title))
    return title


def _checked_description(checks: Checks, description: str | None) -> str:
    description = (description or "").strip()
    with checks.of("description"):
        if len(description) > MAX_DESCRIPTION:
            raise InvalidInput(at_most_characters(MAX_DESCRIPTION, description))
    return description


def edit_action(
    session: Session, actor: Actor, workspace_id: uuid.UUID, action_id: uuid.UUID, changes: dict[str, Any]
) -> WorkspaceAction:
    """Change an action's ``title``, ``description`` or ``due_on`` (``changes`` holds those given;
    ``due_on: None`` clears it), for whoever may add actions, with the checks of adding one,
    every fault at once. A new due date is reminded as a new action's is (``_reminders_due_again``)."""
    policy.require(actor.role, policy.Action.WORKSPACE_ACTION_ADD)
    workspace, action = _action_or_raise(session, actor, workspace_id, action_id)
    checks = Checks()
    title = _checked_title(checks, changes["title"]) if "title" in changes else action.title
    due_on = changes.get("due_on", action.due_on)
    if due_on != action.due_on:  # a due date kept as it was may have passed since
        with checks.of("due_on"):
            _check_due(session, actor, due_on)
    description = (
        _checked_description(checks, changes["description"])
        if "description" in changes
        else action.description
    )
    checks.done()
    changed = [
        name
        for name, before, after in (
            ("title", action.title, title),
            ("description", action.description, description),
            ("due_on", action.due_on, due_on),
        )
        if before != after
    ]
    if not changed:
        return action
    detail: dict[str, object] = {"title": title, "changed": changed}
    if title != action.title:  # the Audit Log says " (was “…”, now “…”)"
        detail.update({"from": action.title, "to": title})
    action.title, action.description, action.due_on = title, description, due_on
    if "due_on" in changed:
        _reminders_due_again(session, action)
    _audit(session, actor, workspace, "workspace.action_edited", detail)
    session.flush()
    return action


def _reminders_due_again(session: Session, action: WorkspaceAction) -> None:
    """An action's due and overdue reminders belong to its due date: given a new date, it is
    reminded on that date and the day after (``remind_due_actions``; once per date, whose event
    keys name it), and what was queued for the old date and not delivered never goes."""
    action.due_reminded_at = action.overdue_reminded_at = None
    _stop_reminders(session, action)


def _stop_reminders(session: Session, action: WorkspaceAction) -> None:
    """Reminders of ``action`` queued and not delivered yet never go (done, or its date moved)."""
    notifications_service.cancel_events(
        session, *(f"action:{action.id}:{kind}:" for kind in ("due", "overdue"))
    )


def _check_due(session: Session, actor: Actor, due_on: date | None) -> None:
    """A due date is a day from today (in the portal's time zone) to ``MAX_DUE_YEARS`` ahead."""
    if due_on is None:
        return
    now = context.of(session).clock.now()
    today = portals_service.today(actor.portal, now)
    if due_on < today:
        there = zone_text(actor.portal.time_zone, now)
        raise InvalidInput(f"The due date is in the past: it is {day_text(today)}, {there}.")
    if due_on > today.replace(year=today.year + MAX_DUE_YEARS, day=min(today.day, 28)):
        raise InvalidInput(
            f"The due date is more than {MAX_DUE_YEARS} years ahead ({day_text(due_on)}): check the year."
        )


def _check_access(session: Session, actor: Actor, user_id: uuid.UUID, *, field: str) -> None:
    """Work goes only to people who may open the portal: not to a deactivated member."""
    if user_id in members_service.access_ended_among(session, actor.portal.id, [user_id]):
        raise InvalidInput(
            f"Their access to {actor.portal.name} was ended: reactivate them in User Management "
            "before giving them work here.",
            field=field,
        )


def assignee_of(session: Session, action: WorkspaceAction) -> User | None:
    """Who an action is for now: the person it names, or its role's current holder."""
    if action.assignee_id is not None:
        return members_service.get_user(session, action.assignee_id)
    if action.role_id is not None:
        holder = _holder(session, action.role_id)
        return holder.user if holder is not None else None
    return None


def _notify_assignee(
    session: Session, actor: Actor, workspace: Workspace, role: WorkspaceRole | None, action: WorkspaceAction
) -> None:
    """The assignee hears of a new action for them (seed 003), unless they added it. Someone not
    joined yet hears of it when they join (``announce_open_actions``)."""
    user = assignee_of(session, action)
    if user is None or user.id == actor.user_id:
        return
    membership = workspaces_service.get_membership(session, workspace.id, user.id)
    if membership is None or membership.status != JOINED:
        return
    if user.id in members_service.access_ended_among(session, actor.portal.id, [user.id]):
        return  # a role's holder whose access was ended hears nothing (a person named is refused)
    _tell(
        session,
        actor.portal,
        workspace,
        role,
        action,
        user,
        template="action_assigned",
        adder_name=actor.display_name,
    )


def _holder(session: Session, role_id: uuid.UUID) -> RoleAssignment | None:
    return session.scalar(
        select(RoleAssignment).where(RoleAssignment.role_id == role_id, RoleAssignment.ended_at.is_(None))
    )


def _tell(
    session: Session,
    portal: Portal,
    workspace: Workspace,
    role: WorkspaceRole | None,
    action: WorkspaceAction,
    user: User,
    *,
    template: str,
    adder_name: str = "",
    overdue: bool = False,
) -> None:
    """One message about ``action`` to its assignee ``user`` (once per kind: the event key). The
    callers leave out whoever may not hear of it (not joined, access ended)."""
    if user.address is None:
        return
    kind = "overdue" if overdue else ("due" if template == "action_due" else "assigned")
    # A reminder is of its due date: once per date (``_reminders_due_again``).
    on = f"{action.due_on.isoformat()}:" if kind != "assigned" and action.due_on else ""
    due_on_text = day_text(action.due_on) if action.due_on else ""
    if kind == "assigned" and action.due_on is not None:
        now = context.of(session).clock.now()
        today = portals_service.today(portal, now)
        # Told of it on its due date, or after: this message says so, and is its reminder
        # (``remind_due_actions`` would send a second one the same minute).
        if action.due_on <= today:
            action.due_reminded_at = action.due_reminded_at or now
            due_on_text = f"today, {due_on_text}" if action.due_on == today else f"{due_on_text} (overdue)"
        if action.due_on < today:
            action.overdue_reminded_at = action.overdue_reminded_at or now
    notifications_service.enqueue(
        session,
        event_key=f"action:{action.id}:{kind}:{on}{user.id}",
        template=template,
        to=user.address,
        portal_id=portal.id,
        user_id=user.id,
        context={
            "portal_name": portal.name,
            "brand": portals_brand.for_message(session, portal),
            "workspace_name": workspace.name,
            "adder_name": adder_name or portal.name,
            "recipient_name": user.name,  # joined the workspace, so a member: their own name
            "role_name": role.name if role is not None else "",
            "title": action.title,
            "description": action.description,
            "due_on_text": due_on_text,
            "overdue": overdue,
            "link": workspaces_service.workspace_url(session, portal, workspace.id) + "#actions",
        },
    )


def announce_open_actions(session: Session, portal: Portal, user_id: uuid.UUID) -> int:
    """Someone just joined ``portal``'s workspaces: they hear of the open actions of roles they
    hold there (assigned before they joined). Returns how many messages were written."""
    rows = session.execute(
        select(WorkspaceAction, WorkspaceRole, Workspace, RoleAssignment)
        .join(WorkspaceRole, WorkspaceRole.id == WorkspaceAction.role_id)
        .join(RoleAssignment, RoleAssignment.role_id == WorkspaceRole.id)
        .join(Workspace, Workspace.id == WorkspaceAction.workspace_id)
        .where(
            Workspace.portal_id == portal.id,
            RoleAssignment.user_id == user_id,
            RoleAssignment.ended_at.is_(None),
            WorkspaceAction.done_at.is_(None),
        )
    ).all()
    named = session.execute(
        select(WorkspaceAction, Workspace)
        .join(Workspace, Workspace.id == WorkspaceAction.workspace_id)
        .where(
            Workspace.portal_id == portal.id,
            WorkspaceAction.assignee_id == user_id,
            WorkspaceAction.done_at.is_(None),
        )
    ).all()
    told = [(a, r, w, h.user) for a, r, w, h in rows] + [(a, None, w, None) for a, w in named]
    sent = 0
    for action, role, workspace, user in told:
        user = user or members_service.get_user(session, user_id)
        membership = workspaces_service.get_membership(session, workspace.id, user_id)
        if user is None or membership is None or membership.status != JOINED:
            continue  # not (or no longer) in that workspace: nothing to open
        sent += 1
        adder = members_service.get_user(session, action.created_by_id) if action.created_by_id else None
        _tell(
            session,
            portal,
            workspace,
            role,
            action,
            user,
            template="action_assigned",
            adder_name=adder.label if adder is not None else "",
        )
    return sent


def may_complete(session: Session, actor: Actor, action: WorkspaceAction) -> bool:
    """Who may mark an action done: its assignee (a client too), or an internal user of the
    workspace (who may add actions)."""
    assignee = assignee_of(session, action)
    if assignee is not None and actor.user_id is not None and assignee.id == actor.user_id:
        return True
    return policy.can(actor.role, policy.Action.WORKSPACE_ACTION_ADD)


def _audit(
    session: Session, actor: Actor, workspace: Workspace, event: str, detail: dict[str, object]
) -> None:
    """An action's change in the Audit Log, on its workspace (``detail``: its title, …)."""
    audit_service.record(
        session,
        actor,
        event,
        target_type="workspace",
        target_id=workspace.id,
        target_label=workspace.name,
        detail=detail,
    )


def _action_or_raise(
    session: Session, actor: Actor, workspace_id: uuid.UUID, action_id: uuid.UUID
) -> tuple[Workspace, WorkspaceAction]:
    workspace = _flow_or_raise(session, actor, workspace_id)
    action = session.get(WorkspaceAction, action_id)
    if action is None or action.workspace_id != workspace.id:
        raise NotFound("No such action in this workspace.")
    return workspace, action


def _require_may_complete(session: Session, actor: Actor, action: WorkspaceAction) -> None:
    if not may_complete(session, actor, action):
        policy.require(actor.role, policy.Action.WORKSPACE_ACTION_ADD)  # refused, with its words


def complete_action(
    session: Session, actor: Actor, workspace_id: uuid.UUID, action_id: uuid.UUID
) -> WorkspaceAction:
    """Mark an action done: its assignee (the role's holder, a client too) or an internal user of
    the workspace. Its reminders stop; the panel says so. Done again: nothing changes."""
    workspace, action = _action_or_raise(session, actor, workspace_id, action_id)
    _require_may_complete(session, actor, action)
    if action.done_at is not None:
        return action
    action.done_at = context.of(session).clock.now()
    action.done_by_id = actor.user_id
    _stop_reminders(session, action)
    _audit(session, actor, workspace, "workspace.action_done", {"title": action.title})
    if actor.user is not None:
        workspace_messages.post(session, actor, workspace.id, f"✓ Marked “{action.title}” done.")
    session.flush()
    return action


def reopen_action(
    session: Session, actor: Actor, workspace_id: uuid.UUID, action_id: uuid.UUID
) -> WorkspaceAction:
    """Open a done action again: whoever may mark it done (``may_complete``). With its due date
    still ahead it is reminded on that date (``_reminders_due_again``); a date already reminded
    is not reminded again. The panel says so. Open already: nothing changes."""
    workspace, action = _action_or_raise(session, actor, workspace_id, action_id)
    _require_may_complete(session, actor, action)
    if action.done_at is None:
        return action
    action.done_at = None
    action.done_by_id = None
    if action.due_on is not None and action.due_on > portals_service.today(
        actor.portal, context.of(session).clock.now()
    ):
        _reminders_due_again(session, action)
    _audit(session, actor, workspace, "workspace.action_reopened", {"title": action.title})
    if actor.user is not None:
        workspace_messages.post(session, actor, workspace.id, f"↺ Reopened “{action.title}”.")
    session.flush()
    return action


def delete_action(session: Session, actor: Actor, workspace_id: uuid.UUID, action_id: uuid.UUID) -> str:
    """Delete an action for good (whoever may add actions): its reminders go with it. Returns its
    title (for the page's notice)."""
    policy.require(actor.role, policy.Action.WORKSPACE_ACTION_ADD)
    workspace, action = _action_or_raise(session, actor, workspace_id, action_id)
    title = action.title
    notifications_service.cancel_events(session, f"action:{action.id}:")  # queued, never delivered
    session.delete(action)
    _audit(session, actor, workspace, "workspace.action_deleted", {"title": title})
    session.flush()
    return title


def remind_due_actions(session: Session) -> int:
    """The worker's step: the assignee of an open action hears of it on its due date, and once
    more the day after if it is still open. Each reminder is claimed by a conditional update, so
    any number of workers send it once. Returns how many went out."""
    now = context.of(session).clock.now()
    # The earliest and latest dates it is anywhere (UTC-12 to UTC+14): each candidate is then
    # due, or not, by its own portal's date.
    latest = (now + timedelta(hours=14)).date()
    sent = 0
    for column, overdue in (
        (WorkspaceAction.due_reminded_at, False),
        (WorkspaceAction.overdue_reminded_at, True),
    ):
        due_by = latest - timedelta(days=1) if overdue else latest
        candidates = session.execute(
            select(WorkspaceAction.id, WorkspaceAction.due_on, Workspace.portal_id)
            .join(Workspace, Workspace.id == WorkspaceAction.workspace_id)
            .where(
                WorkspaceAction.due_on <= due_by,
                column.is_(None),
                WorkspaceAction.done_at.is_(None),
                or_(WorkspaceAction.role_id.is_not(None), WorkspaceAction.assignee_id.is_not(None)),
            )
            .order_by(WorkspaceAction.id)  # workers meet the rows in one order
        ).all()
        portals = portals_service.by_ids(session, {portal_id for _, _, portal_id in candidates})
        for action_id, due_on, portal_id in candidates:
            portal = portals[portal_id]
            today = portals_service.today(portal, now)
            if due_on is None or ((due_on >= today) if overdue else (due_on > today)):
                continue  # not due (or not overdue) yet where the portal is
            action = session.get(WorkspaceAction, action_id)
            assert action is not None
            user = assignee_of(session, action)
            membership = (
                workspaces_service.get_membership(session, action.workspace_id, user.id) if user else None
            )
            if user is None or membership is None or membership.status != JOINED:
                continue  # no one to remind yet: kept for when there is
            if user.id in members_service.access_ended_among(session, portal_id, [user.id]):
                continue  # deactivated: kept for when they are back
            claimed = rowcount(
                session.execute(
                    update(WorkspaceAction)
                    .where(WorkspaceAction.id == action_id, column.is_(None))
                    .values({column: now})
                    .execution_options(synchronize_session=False)
                )
            )
            if claimed != 1:
                continue  # another worker sent it
            workspace = session.get(Workspace, action.workspace_id)
            assert workspace is not None
            role = session.get(WorkspaceRole, action.role_id) if action.role_id is not None else None
            _tell(session, portal, workspace, role, action, user, template="action_due", overdue=overdue)
            sent += 1
    return sent


def list_actions(
    session: Session, actor: Actor, workspace_id: uuid.UUID, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[WorkspaceAction], str | None]:
    """A flow's actions in the order they were added: ``(actions, next_cursor)``."""
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    query = select(WorkspaceAction).where(WorkspaceAction.workspace_id == workspace.id)
    return page(session, query, WorkspaceAction, cursor=cursor, limit=limit, oldest_first=True)


def actions_for(
    session: Session, user_id: uuid.UUID, workspace_ids: list[uuid.UUID]
) -> list[tuple[WorkspaceAction, WorkspaceRole | None]]:
    """The open actions of these workspaces that are the person's now (a role they hold, or
    naming them), soonest due first (then oldest): what a client's portal lists as theirs."""
    if not workspace_ids:
        return []
    by_role = session.execute(
        select(WorkspaceAction, WorkspaceRole)
        .join(WorkspaceRole, WorkspaceRole.id == WorkspaceAction.role_id)
        .join(RoleAssignment, RoleAssignment.role_id == WorkspaceRole.id)
        .where(
            WorkspaceAction.workspace_id.in_(workspace_ids),
            RoleAssignment.user_id == user_id,
            RoleAssignment.ended_at.is_(None),
            WorkspaceAction.done_at.is_(None),
        )
    ).all()
    named = session.scalars(
        select(WorkspaceAction).where(
            WorkspaceAction.workspace_id.in_(workspace_ids),
            WorkspaceAction.assignee_id == user_id,
            WorkspaceAction.done_at.is_(None),
        )
    ).all()
    rows: list[tuple[WorkspaceAction, WorkspaceRole | None]] = [(a, r) for a, r in by_role]
    rows += [(a, None) for a in named]
    rows.sort(key=lambda ar: (ar[0].due_on is None, ar[0].due_on or date.min, ar[0].created_at))
    return rows
