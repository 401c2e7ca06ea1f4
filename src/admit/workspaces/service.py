"""Workspaces: create one, find the ones an actor may reach, who is in them, a person's timeline.

Adding people (and resending their invitations) is ``flows.workspace_people``; flow roles
and actions are ``workspaces.roles``; join requests ``workspaces.join_requests``.

Access: owners and admins (and admin API keys) reach every workspace of their portal; everyone
else reaches the workspaces they have joined. Anything else is 404 (``workspace_not_found``),
never 403, so a workspace's existence is not revealed. ``accessible_workspace_ids`` is the one
place that rule lives; every read goes through it.

Membership is ``joined`` or ``not_joined``: someone approved into a workspace before they are
in the portal stays ``not_joined`` until they accept their portal invitation (``mark_joined``).

Whoever may create a workspace may rename or delete one they reach (``policy.Action.
WORKSPACE_MANAGE``). Deleting is for good, in one transaction: the row goes and, with it (the
database's cascades), its memberships, flow roles and their history, actions, messages and read
marks, join requests and its workspace link; whoever had asked to join and was still waiting
is told (``_tell_requester``). Its people stay in the portal. A pending portal
invitation that was to bring someone in stands as a plain portal invitation (as when someone is
removed from a workspace): it is a grant into the portal, which an owner or admin revokes in
User Management. The audit log keeps the workspace's events, and the name is free again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import new_id, rowcount
from admit.errors import (
    Conflict,
    InvalidInput,
    MemberNotFound,
    PermissionDenied,
    WorkspaceExists,
    WorkspaceNotFound,
    at_most_characters,
)
from admit.kit import names
from admit.kit.pagination import count_all, page
from admit.members import service as members_service
from admit.notifications import service as notifications_service
from admit.portals import brand as portals_brand
from admit.workspaces.models import (
    FLOW,
    JOINED,
    KINDS,
    NAME_INDEX,
    NOT_JOINED,
    REQUEST_PENDING,
    JoinRequest,
    RoleAssignment,
    Workspace,
    WorkspaceAction,
    WorkspaceMember,
    WorkspaceMessage,
    WorkspaceRole,
    WorkspaceTeam,
)

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User
    from admit.portals.models import Portal


__all__ = [
    "accessible_workspace_ids",
    "add_member",
    "by_id_or_name",
    "Contents",
    "contents",
    "delete_workspace",
    "count_workspaces",
    "create",
    "forget_team",
    "get_membership",
    "membership_or_raise",
    "NOT_A_MEMBER",
    "get",
    "get_or_raise",
    "joined_user_ids",
    "list_workspaces",
    "lock",
    "mark_joined",
    "not_joined",
    "remove",
    "rename",
    "statuses",
    "record_team",
    "team_ids",
    "members",
    "timeline",
    "membership_for_invitation",
    "workspace_for_invitation",
    "workspace_name_for_invitation",
]

MAX_NAME = 200

# Someone asked for by their user id who is not in the workspace (``membership_or_raise``; a
# result skipped for it, a role given to nobody).
NOT_A_MEMBER = "No such member in this workspace."
MAX_ROLES = 20
MAX_ROLE_NAME = 100


def accessible_workspace_ids(actor: Actor) -> Select[uuid.UUID]:
    """A SELECT of the ids of the workspaces ``actor`` may reach (use it in ``.in_()``)."""
    query = select(Workspace.id).where(Workspace.portal_id == actor.portal.id)
    if policy.reaches_every_workspace(actor.role):
        return query
    user_id = actor.user.id if actor.user is not None else None
    return query.join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id).where(
        WorkspaceMember.user_id == user_id, WorkspaceMember.status == JOINED
    )


def clean_role_names(names: list[str] | None, *, field: str = "roles") -> list[str]:
    """Role names as given, trimmed, each once; errors name the field."""
    out: list[str] = []
    for raw in names or []:
        name = (raw or "").strip()
        if not name:
            raise InvalidInput("A role needs a name.", field=field)
        if len(name) > MAX_ROLE_NAME:
            raise InvalidInput(at_most_characters(MAX_ROLE_NAME, name), field=field)
        if name.casefold() in (n.casefold() for n in out):
            raise InvalidInput(f"The role “{name}” is listed twice.", field=field)
        out.append(name)
    if len(out) > MAX_ROLES:
        raise InvalidInput(f"A flow has at most {MAX_ROLES} roles.", field=field)
    return out


def create(
    session: Session, actor: Actor, *, name: str, kind: str = "chat", roles: list[str] | None = None
) -> Workspace:
    """Create a workspace; its creator (when a person) joins it at once. A flow may be given its
    roles ("Reviewer", "Client signer"), each left unassigned. Its name is tidied and must be
    the portal's only one (``kit.names``: any case and spacing): else 409 ``workspace_exists``
    on ``name``."""
    policy.require(actor.role, policy.Action.WORKSPACE_CREATE)
    name = _clean_name(name)
    if kind not in KINDS:
        raise InvalidInput.not_one_of("kind", KINDS)
    role_names = clean_role_names(roles)
    if role_names and kind != FLOW:
        raise InvalidInput("Only flow workspaces have roles.", field="roles")
    workspace = Workspace(portal_id=actor.portal.id, kind=kind, created_by_id=actor.user_id)
    _save_name(session, workspace, name)
    for position, role_name in enumerate(role_names):
        session.add(WorkspaceRole(workspace_id=workspace.id, name=role_name, position=position))
    if actor.user is not None:
        now = context.of(session).clock.now()
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
        detail={"kind": kind, "roles": role_names},
    )
    session.flush()
    return workspace


def rename(session: Session, actor: Actor, workspace_id: uuid.UUID, *, name: str) -> Workspace:
    """Give a workspace another name (the rules of ``create``: tidied, the portal's only one);
    audited with the name it had. The same name again changes nothing."""
    policy.require(actor.role, policy.Action.WORKSPACE_MANAGE)  # by role first: a 404 would say more
    workspace = get_or_raise(session, actor, workspace_id)
    name = _clean_name(name)
    before = workspace.name
    if name == before:
        return workspace
    _save_name(session, workspace, name)
    audit_service.record(
        session,
        actor,
        "workspace.renamed",
        target_type="workspace",
        target_id=workspace.id,
        target_label=name,
        detail={"from": before, "to": name},
    )
    return workspace


@dataclass(frozen=True, slots=True)
class Contents:
    """What deleting a workspace takes with it: its confirmation and its audit event say it."""

    joined: int
    not_joined: int  # their pending portal invitations stand
    messages: int
    actions: int
    join_requests: int  # pending ones

    def question(self, name: str, asker_role: policy.Role | str | None) -> str:
        """Delete's confirmation, for the page and the CLI: what stays, what goes for good. The
        invitations that stand are for someone who may revoke them to revoke; ``asker_role``
        not allowed to is told who may."""
        people = self.joined + self.not_joined
        said = [f"Delete the workspace “{name}”?"]
        if people:
            said.append(f"{_counted(people, 'person stays', 'people stay')} in the portal.")
        if self.not_joined:
            them = "it" if self.not_joined == 1 else "them"
            revoke = (
                f"revoke {them} in User Management"
                if policy.can(asker_role, policy.Action.INVITATION_REVOKE)
                else f"{policy.who_may(policy.Action.INVITATION_REVOKE)} can revoke {them}"
            )
            stand = "stands as a portal invitation" if self.not_joined == 1 else "stand as portal invitations"
            said.append(
                f"{_counted(self.not_joined, 'invitation', 'invitations')} not accepted yet {stand}"
                f" ({revoke})."
            )
        goes = [
            _counted(n, one, many)
            for n, one, many in (
                (self.messages, "message", "messages"),
                (self.actions, "action", "actions"),
                (
                    self.join_requests,
                    "join request waiting for an answer",
                    "join requests waiting for an answer",
                ),
            )
            if n
        ]
        link = "its workspace link stops working"
        if goes:
            things = goes[0] if len(goes) == 1 else f"{', '.join(goes[:-1])} and {goes[-1]}"
            said.append(f"Its {things} will be deleted, and {link}.")
        else:
            said.append(f"{link.capitalize()}.")
        if self.join_requests:  # delete_workspace tells them (``_tell_requester``)
            said.append("Whoever asked to join is told by email.")
        said.append("This cannot be undone.")
        return " ".join(said)


def _counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def contents(session: Session, actor: Actor, workspace_id: uuid.UUID) -> Contents:
    """What ``delete_workspace`` would take with it (for whoever may delete it)."""
    policy.require(actor.role, policy.Action.WORKSPACE_MANAGE)
    return _contents(session, get_or_raise(session, actor, workspace_id).id)


def _contents(session: Session, workspace_id: uuid.UUID) -> Contents:
    def count(
        model: type[WorkspaceMessage | WorkspaceAction | JoinRequest], *where: ColumnElement[bool]
    ) -> int:
        query = select(func.count()).select_from(model).where(model.workspace_id == workspace_id, *where)
        return session.scalar(query) or 0

    joined, not_joined = count_members(session, [workspace_id])[workspace_id]
    return Contents(
        joined=joined,
        not_joined=not_joined,
        messages=count(WorkspaceMessage),
        actions=count(WorkspaceAction),
        join_requests=count(JoinRequest, JoinRequest.status == REQUEST_PENDING),
    )


def made_by(workspace: Workspace, actor: Actor) -> bool:
    """Whether ``actor`` created ``workspace`` (what ``policy.check_delete_workspace`` asks)."""
    return actor.user_id is not None and workspace.created_by_id == actor.user_id


def may_delete(workspace: Workspace, actor: Actor) -> bool:
    """Whether ``actor`` may delete ``workspace`` (the page shows Delete only then)."""
    return policy.can(actor.role, policy.Action.WORKSPACE_MANAGE) and (
        policy.check_delete_workspace(actor.role, made_it=made_by(workspace, actor)) is None
    )


def delete_workspace(session: Session, actor: Actor, workspace_id: uuid.UUID) -> tuple[Workspace, Contents]:
    """Delete a workspace for good with all it holds (see the module: its people stay in the
    portal, pending invitations stand); audited with what went. Deleting it again is 404."""
    policy.require(actor.role, policy.Action.WORKSPACE_MANAGE)  # by role first: a 404 would say more
    workspace = get_or_raise(session, actor, workspace_id)
    refused = policy.check_delete_workspace(actor.role, made_it=made_by(workspace, actor))
    if refused:
        raise PermissionDenied(refused)
    lock(session, workspace)  # two at once take turns: the later finds nothing to delete
    held = _contents(session, workspace.id)
    asked = session.execute(  # read before the cascade takes them
        select(JoinRequest.id, JoinRequest.email, JoinRequest.name).where(
            JoinRequest.workspace_id == workspace.id, JoinRequest.status == REQUEST_PENDING
        )
    ).all()
    gone = rowcount(session.execute(delete(Workspace).where(Workspace.id == workspace.id)))
    if not gone:
        raise WorkspaceNotFound("No such workspace.")
    for request_id, email, name in asked:
        _tell_requester(session, actor, workspace, request_id, email, name)
    audit_service.record(
        session,
        actor,
        "workspace.deleted",
        target_type="workspace",
        target_id=workspace.id,
        target_label=workspace.name,
        detail={
            "kind": workspace.kind,
            "joined": held.joined,
            "not_joined": held.not_joined,
            "messages": held.messages,
            "actions": held.actions,
            "join_requests": held.join_requests,
        },
    )
    session.flush()
    return workspace, held


def _tell_requester(
    session: Session, actor: Actor, workspace: Workspace, request_id: uuid.UUID, email: str, name: str
) -> None:
    """Someone whose join request was waiting hears that the workspace was deleted, and by whom:
    in the delete's transaction, so only once it is deleted. Not optional (``preferences``): it
    answers what they asked for, as a decline does."""
    notifications_service.enqueue(
        session,
        event_key=f"join_request:{request_id}:workspace_deleted",
        template="join_request_workspace_deleted",
        to=email,
        portal_id=actor.portal.id,
        context={
            "portal_name": actor.portal.name,
            "brand": portals_brand.for_message(session, actor.portal),
            "workspace_name": workspace.name,
            "name": notifications_service.greeting_name(name, asked=True),
            "deleted_by": actor.display_name,
        },
    )


def _clean_name(name: str | None) -> str:
    """A workspace's name, tidy (``kit.names.tidy``); errors name the field. The one rule, at
    creation and at rename."""
    name = names.tidy(name)
    if not name:
        raise InvalidInput("The workspace needs a name.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(at_most_characters(MAX_NAME, name), field="name")
    return name


def _save_name(session: Session, workspace: Workspace, name: str) -> None:
    """Write ``workspace`` with ``name``, unless another workspace of the portal has the same
    name (``kit.names.save_unique``: the check, and the unique index when two ask at once)."""

    def write() -> None:
        workspace.name = name
        session.add(workspace)

    names.save_unique(
        session,
        write,
        name=name,
        index=NAME_INDEX,
        taken_by=lambda: find_same_name(session, workspace.portal_id, name, other_than=workspace.id),
        refusal=_taken,
    )


def find_same_name(
    session: Session, portal_id: uuid.UUID, name: str, *, other_than: uuid.UUID | None = None
) -> str | None:
    """The name of the portal's workspace whose name is the same as ``name`` (``kit.names``:
    whatever its case and spacing), reachable by the actor or not, leaving out ``other_than``
    (the one being renamed); None if the name is free."""
    rows = session.execute(select(Workspace.id, Workspace.name).where(Workspace.portal_id == portal_id))
    found = names.same(name, ((r.id, r.name) for r in rows), other_than=other_than)
    return found[1] if found is not None else None


def _taken(existing: str) -> WorkspaceExists:
    # Said to whoever names it, in the workspace or not: a name in use is all it tells.
    return WorkspaceExists(f"A workspace named “{existing}” exists already.", field="name")


def get(session: Session, workspace_id: uuid.UUID) -> Workspace | None:
    return session.get(Workspace, workspace_id)


def joined_user_ids(session: Session, workspace_id: uuid.UUID) -> list[uuid.UUID]:
    """The users who have joined the workspace."""
    return list(
        session.scalars(
            select(WorkspaceMember.user_id).where(
                WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.status == JOINED
            )
        )
    )


def get_or_raise(session: Session, actor: Actor, workspace_id: uuid.UUID) -> Workspace:
    """The workspace, if ``actor`` may reach it; 404 ``workspace_not_found`` otherwise."""
    workspace = session.scalar(
        select(Workspace).where(
            Workspace.id == workspace_id, Workspace.id.in_(accessible_workspace_ids(actor))
        )
    )
    if workspace is None:
        raise WorkspaceNotFound("No such workspace.")
    return workspace


def by_id_or_name(session: Session, actor: Actor, text: str) -> Workspace:
    """The workspace ``actor`` reaches whose id is ``text``, or whose name is the same as it
    (``kit.names``: names are the portal's only ones); 404 ``workspace_not_found`` otherwise.
    Text that is one workspace's id and another's name could mean either: refused
    (``Conflict``), saying which, so that the id of the one meant is given."""
    try:
        wanted: uuid.UUID | None = uuid.UUID(text.strip())
    except ValueError:
        wanted = None
    reachable = {w.id: w for w in session.scalars(_reachable(actor))}
    by_id = reachable.get(wanted) if wanted is not None else None
    found = names.same(text, ((w.id, w.name) for w in reachable.values()), other_than=wanted)
    if by_id is not None and found is not None:
        raise Conflict(
            f"“{names.tidy(text)}” is the id of the workspace “{by_id.name}” and the name of another: "
            "give the id of the one you mean (`admit workspaces list` shows them)."
        )
    if by_id is not None:
        return by_id
    if found is None:
        said = "No such workspace." if wanted is not None else f"No workspace named “{names.tidy(text)}”."
        raise WorkspaceNotFound(said)
    return reachable[found[0]]


def list_workspaces(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[Workspace], str | None]:
    """The workspaces ``actor`` may reach, newest first."""
    return page(session, _reachable(actor), Workspace, cursor=cursor, limit=limit)


def count_workspaces(session: Session, actor: Actor) -> int:
    """How many workspaces ``list_workspaces`` gives ``actor``, over all its pages."""
    return count_all(session, [_reachable(actor)])


def _reachable(actor: Actor) -> Select[Workspace]:
    return select(Workspace).where(Workspace.id.in_(accessible_workspace_ids(actor)))


def get_membership(session: Session, workspace_id: uuid.UUID, user_id: uuid.UUID) -> WorkspaceMember | None:
    return session.scalar(
        select(WorkspaceMember).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id
        )
    )


def membership_or_raise(session: Session, workspace_id: uuid.UUID, user_id: uuid.UUID) -> WorkspaceMember:
    """A person's membership of a workspace (``get_membership``); ``MemberNotFound``
    (``NOT_A_MEMBER``) when they have none."""
    membership = get_membership(session, workspace_id, user_id)
    if membership is None:
        raise MemberNotFound(NOT_A_MEMBER)
    return membership


def members(
    session: Session, workspace: Workspace, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[WorkspaceMember], str | None]:
    """The people in the workspace in the order they were added: ``(memberships, next_cursor)``."""
    query = select(WorkspaceMember).where(WorkspaceMember.workspace_id == workspace.id)
    return page(session, query, WorkspaceMember, cursor=cursor, limit=limit, oldest_first=True)


def team_ids(session: Session, workspace_id: uuid.UUID) -> list[uuid.UUID]:
    """The teams and client groups added to the workspace (``record_team``), and those people
    came into it with."""
    came_with = select(WorkspaceMember.via_team_id).where(
        WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.via_team_id.is_not(None)
    )
    added = select(WorkspaceTeam.team_id).where(WorkspaceTeam.workspace_id == workspace_id)
    return list(dict.fromkeys(session.scalars(came_with.union(added))))


def record_team(session: Session, actor: Actor, workspace: Workspace, team_id: uuid.UUID) -> None:
    """Record a team or client group as added to the workspace (its row in the Members panel),
    whether or not anyone came into it with it; idempotent. The caller holds the workspace's lock
    (``lock``), so two adds of one team take turns."""
    if session.get(WorkspaceTeam, (workspace.id, team_id)) is None:
        session.add(WorkspaceTeam(workspace_id=workspace.id, team_id=team_id, added_by_id=actor.user_id))


def forget_team(session: Session, team_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> int:
    """``user_ids`` no longer came into any workspace with the team or client group ``team_id``
    (taken out of it): they stay in each, on their own (no "via" the team, not on its row);
    returns how many memberships said so."""
    ids = list(set(user_ids))
    if not ids:
        return 0
    return rowcount(
        session.execute(
            update(WorkspaceMember)
            .where(WorkspaceMember.via_team_id == team_id, WorkspaceMember.user_id.in_(ids))
            .values(via_team_id=None)
            .execution_options(synchronize_session="fetch")
        )
    )


def add_member(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    user: User,
    *,
    joined: bool,
    invitation_id: uuid.UUID | None = None,
    via_team_id: uuid.UUID | None = None,
) -> WorkspaceMember:
    """Put ``user`` in ``workspace`` (``joined`` or ``not_joined``); idempotent.

    The caller has already checked permissions (e.g. approving a join request); a member who
    is already ``joined`` stays joined. ``invitation_id`` is the portal invitation that will
    bring a not-joined person in; ``via_team_id`` the team or client group they came with.
    """
    membership = get_membership(session, workspace.id, user.id)
    if membership is None:
        membership = new_member(
            session,
            actor,
            workspace,
            user,
            joined=joined,
            invitation_id=invitation_id,
            via_team_id=via_team_id,
        )
    elif joined and membership.status != JOINED:
        membership.status = JOINED
        membership.joined_at = context.of(session).clock.now()
        _record_added(session, actor, workspace, user, membership)
    elif invitation_id is not None and membership.status == NOT_JOINED:
        membership.invitation_id = invitation_id
    session.flush()
    return membership


def _record_added(
    session: Session, actor: Actor, workspace: Workspace, user: User, membership: WorkspaceMember
) -> None:
    audit_service.record(
        session,
        actor,
        "workspace.member_added",
        target_type="workspace",
        target_id=workspace.id,
        target_label=user.address or "",
        detail={"workspace": workspace.name, "status": membership.status},
    )


def new_member(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    user: User,
    *,
    joined: bool,
    invitation_id: uuid.UUID | None = None,
    via_team_id: uuid.UUID | None = None,
) -> WorkspaceMember:
    """A membership for someone known not to be in the workspace yet (the caller looked, in bulk);
    not flushed, so adding many costs one flush. The unique (workspace, user) index still holds."""
    now = context.of(session).clock.now()
    membership = WorkspaceMember(
        id=new_id(),
        workspace_id=workspace.id,
        user_id=user.id,
        status=JOINED if joined else NOT_JOINED,
        added_by_id=actor.user_id,
        created_at=now,
        joined_at=now if joined else None,
        invitation_id=invitation_id,
        via_team_id=via_team_id,
    )
    session.add(membership)
    _record_added(session, actor, workspace, user, membership)
    return membership


def mark_joined(session: Session, portal_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """The user has joined the portal: their ``not_joined`` workspaces there become ``joined``."""
    ids = select(Workspace.id).where(Workspace.portal_id == portal_id)
    return rowcount(
        session.execute(
            update(WorkspaceMember)
            .where(
                WorkspaceMember.user_id == user_id,
                WorkspaceMember.status == NOT_JOINED,
                WorkspaceMember.workspace_id.in_(ids),
            )
            .values(status=JOINED, joined_at=context.of(session).clock.now())
            .execution_options(synchronize_session=False)
        )
    )


def workspace_url(session: Session, portal: Portal, workspace_id: uuid.UUID) -> str:
    """The workspace's page, from the configured public URL (what messages link to)."""
    return f"{context.of(session).settings.public_url}/p/{portal.slug}/workspaces/{workspace_id}"


def membership_for_invitation(
    session: Session, invitation_id: uuid.UUID
) -> tuple[Workspace, WorkspaceMember] | None:
    """The workspace a portal invitation also brings its recipient into (the first one), with
    their membership there, if any: its email names it, and accepting lands there."""
    row = session.execute(
        select(Workspace, WorkspaceMember)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.invitation_id == invitation_id)
        .order_by(WorkspaceMember.created_at)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def workspace_for_invitation(session: Session, invitation_id: uuid.UUID) -> Workspace | None:
    """The workspace of ``membership_for_invitation``, if any."""
    found = membership_for_invitation(session, invitation_id)
    return found[0] if found is not None else None


def workspace_name_for_invitation(session: Session, invitation_id: uuid.UUID) -> str | None:
    """The name of ``workspace_for_invitation``, if any."""
    workspace = workspace_for_invitation(session, invitation_id)
    return workspace.name if workspace is not None else None


def timeline(
    session: Session,
    user: User,
    *,
    portal_ids: Iterable[uuid.UUID],
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[tuple[Workspace, WorkspaceMember]], str | None]:
    """A page of a person's timeline: the workspaces they have joined in ``portal_ids`` (the
    portals where they are an active member: ``members.service.memberships_of``), the most
    recently added first (a new workspace appears at the top)."""
    ids = list(portal_ids)
    if not ids:
        return [], None
    query = (
        select(WorkspaceMember)
        .join(Workspace, WorkspaceMember.workspace_id == Workspace.id)
        .where(
            WorkspaceMember.user_id == user.id,
            WorkspaceMember.status == JOINED,
            Workspace.portal_id.in_(ids),
        )
    )
    memberships, next_cursor = page(session, query, WorkspaceMember, cursor=cursor, limit=limit)
    wanted = {m.workspace_id for m in memberships}
    workspaces = {w.id: w for w in session.scalars(select(Workspace).where(Workspace.id.in_(wanted)))}
    return [(workspaces[m.workspace_id], m) for m in memberships], next_cursor


def count_members(session: Session, workspace_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """``{workspace_id: (joined, not_joined)}``."""
    ids = list(workspace_ids)
    if not ids:
        return {}
    out: dict[uuid.UUID, list[int]] = {i: [0, 0] for i in ids}
    for wid, status, n in session.execute(
        select(WorkspaceMember.workspace_id, WorkspaceMember.status, func.count())
        .where(WorkspaceMember.workspace_id.in_(ids))
        .group_by(WorkspaceMember.workspace_id, WorkspaceMember.status)
    ):
        out[wid][0 if status == JOINED else 1] = n
    return {k: (v[0], v[1]) for k, v in out.items()}


def lock(session: Session, workspace: Workspace) -> None:
    """Hold the workspace's row until the transaction ends (PostgreSQL; SQLite's write lock
    already does): two changes of one workspace's people take turns."""
    session.execute(select(Workspace.id).where(Workspace.id == workspace.id).with_for_update())


def statuses(
    session: Session, workspace_id: uuid.UUID, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """``{user_id: status}`` of those of ``user_ids`` already in the workspace (one query)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    return dict(
        session.execute(
            select(WorkspaceMember.user_id, WorkspaceMember.status).where(
                WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id.in_(ids)
            )
        ).all()
    )


def not_joined(
    session: Session, workspace_id: uuid.UUID, user_ids: Iterable[uuid.UUID]
) -> list[WorkspaceMember]:
    """The memberships of ``user_ids`` in the workspace that are still Not Joined."""
    ids = list(set(user_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            select(WorkspaceMember).where(
                WorkspaceMember.workspace_id == workspace_id,
                WorkspaceMember.user_id.in_(ids),
                WorkspaceMember.status == NOT_JOINED,
            )
        )
    )


def removable(
    session: Session, actor: Actor, user_ids: Iterable[uuid.UUID], *, invited_roles: Mapping[uuid.UUID, str]
) -> set[uuid.UUID]:
    """Those of ``user_ids`` (a workspace's people) this actor may take out of it (``remove``,
    ``policy.check_remove_from_workspace``): where the Members panel offers Remove.
    ``invited_roles``: as ``remove``'s."""
    ids = list(user_ids)
    roles = members_service.roles_of(session, actor.portal.id, ids)
    return {u for u in ids if _may_remove(actor, u, roles.get(u), invited_roles) is None}


def _may_remove(
    actor: Actor, user_id: uuid.UUID, role: str | None, invited_roles: Mapping[uuid.UUID, str]
) -> str | None:
    return policy.check_remove_from_workspace(
        actor.role, role, is_self=user_id == actor.user_id, invited_role=invited_roles.get(user_id)
    )


def remove(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    invited_roles: Mapping[uuid.UUID, str],
) -> WorkspaceMember:
    """Take someone out of a workspace: whom ``policy.check_remove_from_workspace`` lets this
    actor (owners and admins anyone; an internal member of it clients, internal members and
    herself, not the portal's owners and admins; clients no one). Roles they hold there end (the
    history keeps them). A portal invitation they have stands: revoke it in User Management if
    they should not join the portal either. ``invited_roles``: ``{user_id: role}`` their open
    invitations offer, for those not in the portal yet (invitations are not this domain's:
    ``flows.workspace_people.remove`` reads them; required, so that no caller forgets them)."""
    policy.require(actor.role, policy.Action.WORKSPACE_REMOVE_MEMBERS)
    workspace = get_or_raise(session, actor, workspace_id)
    membership = membership_or_raise(session, workspace.id, user_id)
    role = members_service.roles_of(session, workspace.portal_id, [user_id]).get(user_id)
    policy.require_rule(_may_remove(actor, user_id, role, invited_roles))
    _take_out(session, actor, workspace, membership)
    session.flush()
    return membership


def take_out_not_joined(
    session: Session, actor: Actor, portal_id: uuid.UUID, user_id: uuid.UUID
) -> list[str]:
    """Take ``user_id`` out of every workspace of the portal where they are Not Joined, as
    ``remove`` does (their roles there end, their open actions are for no one), audited with the
    reason: their portal invitation was revoked (``flows.workspace_people.invitation_revoked``, the
    caller, decides when). No permission of its own: revoking is the act. The workspaces' names."""
    memberships = list(
        session.scalars(
            select(WorkspaceMember)
            .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
            .where(
                Workspace.portal_id == portal_id,
                WorkspaceMember.user_id == user_id,
                WorkspaceMember.status == NOT_JOINED,
            )
            .order_by(WorkspaceMember.created_at)
        )
    )
    names = []
    for membership in memberships:
        workspace = session.get(Workspace, membership.workspace_id)
        assert workspace is not None  # its membership's foreign key
        _take_out(session, actor, workspace, membership, because="invitation_revoked")
        names.append(workspace.name)
    session.flush()
    return names


def _take_out(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    membership: WorkspaceMember,
    *,
    because: str | None = None,
) -> None:
    """The membership goes: roles held there end (the history keeps them), open actions there
    are for no one; audited (``because``: why, when it was not someone's Remove)."""
    user = membership.user
    roles_ended = rowcount(
        session.execute(
            update(RoleAssignment)
            .where(
                RoleAssignment.user_id == user.id,
                RoleAssignment.ended_at.is_(None),
                RoleAssignment.role_id.in_(
                    select(WorkspaceRole.id).where(WorkspaceRole.workspace_id == workspace.id)
                ),
            )
            .values(ended_at=context.of(session).clock.now())
            .execution_options(synchronize_session=False)
        )
    )
    # Open actions for them here are for no one now (as a role's actions once its holder goes).
    actions_unassigned = rowcount(
        session.execute(
            update(WorkspaceAction)
            .where(
                WorkspaceAction.workspace_id == workspace.id,
                WorkspaceAction.assignee_id == user.id,
                WorkspaceAction.done_at.is_(None),
            )
            .values(assignee_id=None)
            .execution_options(synchronize_session=False)
        )
    )
    session.delete(membership)
    audit_service.record(
        session,
        actor,
        "workspace.member_removed",
        target_type="workspace",
        target_id=workspace.id,
        target_label=user.address or "",
        detail={
            "workspace": workspace.name,
            "was": membership.status,
            "roles_ended": roles_ended,
            "actions_unassigned": actions_unassigned,
            **({"because": because} if because else {}),
        },
    )
