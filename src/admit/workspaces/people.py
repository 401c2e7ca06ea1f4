"""Bringing people into a workspace, and nudging those who have not joined.

``add_people`` is what **Invite** under a workspace's cover does, whatever was picked: people
already in the portal (by id, or by the address typed), whole internal teams and client groups,
and new addresses (email or phone), who are invited into the portal and this workspace in one
step. Every person gets one result:

- ``added``: already active in the portal; in the workspace at once (``joined``), the
  workspace appears at the top of their timeline and they get a message saying so;
- ``invited``: new to the portal; a portal invitation (email or SMS) that lands them here once
  accepted, and ``not_joined`` until then;
- ``skipped``, with a code: ``already_in_workspace`` (never a duplicate), ``invalid_recipient``,
  ``duplicate``, ``not_found``, or what the invitation refused.

Who may add whom is policy's: any internal user of the workspace adds existing people and new
clients; only owners and admins invite new internal users. Asking for new internal users
without that right refuses the whole request before anything is written.

``resend`` (one member) and ``resend_team`` (a team's or group's row) reissue the portal
invitation of those not joined: one new message each, every earlier link dead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from admit.invitations import service as invitations_service
from admit.invitations.models import ACCEPTED, PENDING, REVOKED, Invitation
from admit.kit import clock
from admit.members import service as members_service
from admit.members.addresses import parse_recipient, split_recipients
from admit.members.models import User
from admit.notifications import service as notifications_service
from admit.people import names as people_names
from admit.policy import UserType
from admit.teams import service as teams_service
from admit.teams.models import CLIENT_GROUP, TEAM, Team
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import (
    JOINED,
    NOT_JOINED,
    RoleAssignment,
    Workspace,
    WorkspaceMember,
    WorkspaceRole,
)

__all__ = [
    "AddResult",
    "MemberView",
    "TeamView",
    "add_people",
    "members_view",
    "remove",
    "resend",
    "resend_team",
]

MAX_PEOPLE_PER_REQUEST = invitations_service.MAX_RECIPIENTS_PER_REQUEST  # 1000


@dataclass(slots=True)
class AddResult:
    recipient: str
    outcome: str  # added | invited | skipped
    user_id: object = None
    status: str | None = None  # joined | not_joined, for added and invited
    code: str | None = None
    detail: str = ""
    invitation_id: object = None


@dataclass(slots=True)
class _Person:
    asked: str
    user: User
    joined: bool
    invitation_id: object = None
    via_team_id: object = None
    detail: str = ""
    fresh: bool = False  # a portal invitation was made for them just now


def _pending_by_address(session: Session, portal_id, addresses) -> dict:
    """``{address: Invitation}``: the pending portal invitation of each address that has one."""
    wanted = [a for a in set(addresses) if a]
    if not wanted:
        return {}
    return {
        inv.recipient: inv
        for inv in session.scalars(
            select(Invitation).where(
                Invitation.portal_id == portal_id,
                Invitation.recipient.in_(wanted),
                Invitation.status == PENDING,
            )
        )
    }


def _pending_invitation(session: Session, portal_id, address: str | None) -> Invitation | None:
    if not address:
        return None
    return session.scalar(
        select(Invitation)
        .where(
            Invitation.portal_id == portal_id, Invitation.recipient == address, Invitation.status == PENDING
        )
        .order_by(Invitation.created_at.desc())
        .limit(1)
    )


def add_people(
    session: Session,
    actor: Actor,
    workspace_id,
    *,
    recipients: list[str] | str | None = None,
    user_ids: list | None = None,
    team_ids: list | None = None,
    group_ids: list | None = None,
    new_user_type: str = UserType.CLIENT,
) -> list[AddResult]:
    """Add people to a workspace (see the module's docstring); one result per person asked for."""
    policy.require(actor.role, policy.Action.WORKSPACE_ADD_MEMBERS)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    # Two people adding to one workspace at once take turns (PostgreSQL; SQLite's write lock
    # already does), so the second sees the first's rows and answers already_in_workspace.
    session.execute(select(Workspace.id).where(Workspace.id == workspace.id).with_for_update())
    if new_user_type not in tuple(UserType):
        raise InvalidInput("new_user_type must be client or internal.", field="new_user_type")
    raw = split_recipients(recipients or [])
    ids = list(dict.fromkeys(user_ids or []))
    teams = _teams(session, actor, team_ids, TEAM, "team_ids") + _teams(
        session, actor, group_ids, CLIENT_GROUP, "group_ids"
    )
    if not (raw or ids or teams):
        raise InvalidInput("Choose at least one person, team or client group.", field="recipients")
    if len(raw) + len(ids) > MAX_PEOPLE_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_PEOPLE_PER_REQUEST} people per request.", field="recipients")

    portal_id = actor.portal.id
    results: list[AddResult] = []
    people: list[_Person] = []
    parsed_all = [parse_recipient(text) for text in raw]
    users = members_service.users_by_address(session, {p.address for p in parsed_all if p.address})
    team_members = teams_service.members_of(session, [t.id for t in teams])
    active = members_service.active_members(
        session,
        portal_id,
        [*ids, *(u.id for u in users.values()), *(tm.user_id for tms in team_members.values() for tm in tms)],
    )

    for user_id in ids:
        member = active.get(user_id)
        if member is None:
            results.append(
                AddResult(str(user_id), "skipped", code="not_found", detail="No such person in this portal.")
            )
        else:
            people.append(_Person(member.user.label, member.user, joined=True))

    new_people: list[str] = []
    seen: set[str] = set()
    for parsed in parsed_all:
        address = parsed.address
        if address is None:
            results.append(
                AddResult(parsed.raw, "skipped", code="invalid_recipient", detail=parsed.error or "")
            )
            continue
        if address in seen:
            results.append(
                AddResult(parsed.raw, "skipped", code="duplicate", detail="Listed more than once.")
            )
            continue
        seen.add(address)
        user = users.get(address)
        member = active.get(user.id) if user is not None else None
        if member is not None:
            people.append(_Person(parsed.raw, user, joined=True))
        else:
            new_people.append(parsed.raw)

    outside = [tm.user for tms in team_members.values() for tm in tms if tm.user_id not in active]
    uninvited: dict = {}  # address -> the client group they come with
    pending = _pending_by_address(session, portal_id, [u.address for u in outside])
    for team in teams:
        for tm in team_members[team.id]:
            asked = f"{team.name}: {tm.user.address}"
            if tm.user_id in active:
                people.append(_Person(asked, tm.user, joined=True, via_team_id=team.id))
                continue
            invitation = pending.get(tm.user.address)
            if invitation is None and team.kind == CLIENT_GROUP and tm.user.address:
                # In the group but never invited (or the invitation lapsed): invite them now, as
                # clients, into the portal and this workspace.
                uninvited.setdefault(tm.user.address, team.id)
            elif invitation is None:
                results.append(
                    AddResult(
                        asked,
                        "skipped",
                        user_id=tm.user_id,
                        code="not_invitable",
                        detail="Not in the portal and no pending invitation; invite them first.",
                    )
                )
            else:
                people.append(
                    _Person(asked, tm.user, joined=False, invitation_id=invitation.id, via_team_id=team.id)
                )

    if new_people:
        # New people need the right to invite that type; refused as a whole, before any write.
        policy.require(actor.role, policy.invite_action(new_user_type))
        people.extend(_invite_new(session, actor, workspace, new_people, new_user_type, results))
    if uninvited:
        policy.require(actor.role, policy.Action.INVITE_CLIENT)
        for person in _invite_new(session, actor, workspace, list(uninvited), UserType.CLIENT, results):
            person.via_team_id = uninvited.get(person.user.address)
            people.append(person)

    in_workspace = _statuses(session, workspace.id, [p.user.id for p in people])
    for person in people:
        results.append(_put_in(session, actor, workspace, person, in_workspace))
    session.flush()
    if not policy.can(actor.role, policy.Action.INVITATION_RESEND):
        _hide_internal_invitations(session, results)
    return results


def _hide_internal_invitations(session: Session, results: list[AddResult]) -> None:
    """Internal members do not see internal users' invitations (``invitations.get_or_raise``
    answers 404): do not hand them the ids either."""
    ids = [r.invitation_id for r in results if r.invitation_id is not None]
    if not ids:
        return
    internal = set(
        session.scalars(
            select(Invitation.id).where(Invitation.id.in_(ids), Invitation.user_type == UserType.INTERNAL)
        )
    )
    for r in results:
        if r.invitation_id in internal:
            r.invitation_id = None


def _statuses(session: Session, workspace_id, user_ids) -> dict:
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


def _teams(session: Session, actor: Actor, ids, kind: str, field: str) -> list[Team]:
    out = []
    for team_id in dict.fromkeys(ids or []):
        try:
            out.append(teams_service.get_or_raise(session, actor, team_id, kind=kind))
        except NotFound as exc:
            raise InvalidInput(exc.message, field=field) from exc
    return out


def _invite_new(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    texts: list[str],
    user_type: str,
    results: list[AddResult],
) -> list[_Person]:
    """Invite new people into the portal and this workspace (one message each)."""
    invited = invitations_service.invite(
        session, actor, recipients=texts, user_type=user_type, workspace_name=workspace.name
    )
    people = []
    users = members_service.get_or_create_users(session, [inv.recipient for inv in invited.invited])
    for inv in invited.invited:
        people.append(
            _Person(inv.recipient, users[inv.recipient], joined=False, invitation_id=inv.id, fresh=True)
        )
    for skip in invited.skipped:
        if skip.code != "already_invited":
            results.append(AddResult(skip.recipient, "skipped", code=skip.code, detail=skip.detail))
            continue
        # Already invited to the portal: that invitation stands and will land them here too.
        parsed = parse_recipient(skip.recipient)
        user = members_service.get_or_create_user(session, parsed.address)
        invitation = _pending_invitation(session, actor.portal.id, parsed.address)
        people.append(
            _Person(
                skip.recipient,
                user,
                joined=False,
                invitation_id=invitation.id if invitation else skip.invitation_id,
                detail="Already invited to the portal; they will join this workspace when they accept.",
            )
        )
    return people


def _put_in(
    session: Session, actor: Actor, workspace: Workspace, person: _Person, in_workspace: dict
) -> AddResult:
    user = person.user
    existing = in_workspace.get(user.id)
    if existing == NOT_JOINED and person.fresh:
        # Still Not Joined from before, but their invitation had expired or been revoked: the
        # invitation just made replaces it (Resend Invitation will reissue this one).
        membership = workspaces_service.get_membership(session, workspace.id, user.id)
        membership.invitation_id = person.invitation_id
        return AddResult(
            person.asked,
            "invited",
            user_id=user.id,
            status=NOT_JOINED,
            detail="Invited again: the earlier invitation had expired or was withdrawn.",
            invitation_id=person.invitation_id,
        )
    if existing is not None:
        detail = f"{user.address} is already in this workspace."
        if existing == NOT_JOINED:
            detail = f"{user.address} is already invited to this workspace; use Resend Invitation."
        return AddResult(
            person.asked,
            "skipped",
            user_id=user.id,
            status=existing,
            code="already_in_workspace",
            detail=detail,
        )
    in_workspace[user.id] = JOINED if person.joined else NOT_JOINED
    membership = workspaces_service.new_member(
        session,
        actor,
        workspace,
        user,
        joined=person.joined,
        invitation_id=person.invitation_id,
        via_team_id=person.via_team_id,
    )
    if person.joined:
        _notify_added(session, actor, workspace, user, membership)
        return AddResult(person.asked, "added", user_id=user.id, status=JOINED, detail=person.detail)
    return AddResult(
        person.asked,
        "invited",
        user_id=user.id,
        status=NOT_JOINED,
        detail=person.detail,
        invitation_id=person.invitation_id,
    )


def _notify_added(
    session: Session, actor: Actor, workspace: Workspace, user: User, membership: WorkspaceMember
) -> None:
    """An existing user added to a workspace hears about it (not the one who added themselves)."""
    to = user.address
    if to is None or user.id == actor.user_id:
        return
    portal = actor.portal
    notifications_service.enqueue(
        session,
        event_key=f"workspace:{workspace.id}:added:{membership.id}",
        template="workspace_added",
        to=to,
        portal_id=portal.id,
        context={
            "portal_name": portal.name,
            "workspace_name": workspace.name,
            "adder_name": invitations_service.inviter_display_name(actor),
            "recipient_name": user.name,
            "link": workspaces_service.workspace_url(session, portal, workspace.id),
        },
    )


# --- resending ------------------------------------------------------------------------------


def resend(session: Session, actor: Actor, workspace_id, user_id) -> WorkspaceMember:
    """Resend Invitation for one Not Joined member: one new message, earlier links dead."""
    policy.require(actor.role, policy.Action.WORKSPACE_RESEND)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    membership = workspaces_service.get_membership(session, workspace.id, user_id)
    if membership is None:
        raise NotFound("No such member in this workspace.", code="member_not_found")
    _resend_one(session, actor, workspace, membership)
    session.flush()
    return membership


def resend_team(session: Session, actor: Actor, workspace_id, team_id, *, kind: str) -> list[WorkspaceMember]:
    """Resend Invitation on a team's or client group's row: every one of its people in this
    workspace who has not joined gets one new message; those who joined get nothing."""
    policy.require(actor.role, policy.Action.WORKSPACE_RESEND)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    team = teams_service.get_or_raise(session, actor, team_id, kind=kind)
    user_ids = [tm.user_id for tm in teams_service.members_of(session, [team.id])[team.id]]
    if not user_ids:
        return []
    waiting = list(
        session.scalars(
            select(WorkspaceMember).where(
                WorkspaceMember.workspace_id == workspace.id,
                WorkspaceMember.user_id.in_(user_ids),
                WorkspaceMember.status == NOT_JOINED,
            )
        )
    )
    # The portal's sending limit, charged once for the whole row: all of it goes out or none.
    if waiting:
        invitations_service.count_invitation_emails(session, workspace.portal_id, len(waiting))
    resent = []
    for membership in waiting:
        try:
            _resend_one(session, actor, workspace, membership, counted=True)
        except (Conflict, PermissionDenied):
            # Joined meanwhile, their invitation was withdrawn, or it is an internal invitation
            # this actor may not renew: nothing to send to them.
            continue
        resent.append(membership)
    session.flush()
    return resent


def _resend_one(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    membership: WorkspaceMember,
    *,
    counted: bool = False,
) -> None:
    user = membership.user
    if membership.status == JOINED:
        raise Conflict(
            f"{user.address} has already joined; there is nothing to resend.", code="already_joined"
        )
    invitation = session.get(Invitation, membership.invitation_id) if membership.invitation_id else None
    if invitation is None or invitation.status not in (PENDING, "expired"):
        invitation = _pending_invitation(session, workspace.portal_id, user.address) or invitation
    if invitation is not None and invitation.status == ACCEPTED:
        workspaces_service.mark_joined(session, workspace.portal_id, user.id)
        raise Conflict(
            f"{user.address} has already joined; there is nothing to resend.", code="already_joined"
        )
    if invitation is None or invitation.status == REVOKED:
        raise Conflict(
            f"{user.address}'s invitation was withdrawn; add them to the workspace again to resend.",
            code="no_invitation",
        )
    # Resending renews the invitation (and its role): only for those who could have sent it.
    policy.require(actor.role, policy.invite_action(invitation.user_type))
    invitations_service.reissue(session, actor, invitation, counted=counted, workspace_name=workspace.name)
    membership.invitation_id = invitation.id
    audit_service.record(
        session,
        actor,
        "workspace.invitation_resent",
        target_type="workspace",
        target_id=workspace.id,
        target_label=user.address,
        detail={"workspace": workspace.name, "invitation_id": str(invitation.id)},
    )


# --- removing -------------------------------------------------------------------------------


def remove(session: Session, actor: Actor, workspace_id, user_id) -> WorkspaceMember:
    """Take someone out of a workspace (any internal user of it may; clients may not). Roles they
    hold there end (the history keeps them). A portal invitation they have stands: revoke it in
    User Management if they should not join the portal either."""
    policy.require(actor.role, policy.Action.WORKSPACE_REMOVE_MEMBERS)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    membership = workspaces_service.get_membership(session, workspace.id, user_id)
    if membership is None:
        raise NotFound("No such member in this workspace.", code="member_not_found")
    user = membership.user
    roles_ended = session.execute(
        update(RoleAssignment)
        .where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.ended_at.is_(None),
            RoleAssignment.role_id.in_(
                select(WorkspaceRole.id).where(WorkspaceRole.workspace_id == workspace.id)
            ),
        )
        .values(ended_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.delete(membership)
    audit_service.record(
        session,
        actor,
        "workspace.member_removed",
        target_type="workspace",
        target_id=workspace.id,
        target_label=user.address,
        detail={"workspace": workspace.name, "was": membership.status, "roles_ended": roles_ended},
    )
    session.flush()
    return membership


# --- the Members panel ----------------------------------------------------------------------


@dataclass(slots=True)
class MemberView:
    membership: WorkspaceMember
    roles: list[str]
    via_team: Team | None
    name: str = ""  # as this portal may show it (``members.service.names_in_portal``)
    show_address: bool = True  # clients see the others in their workspaces by name only


@dataclass(slots=True)
class TeamView:
    team: Team
    joined: int
    not_joined: int


def members_view(
    session: Session, actor: Actor, workspace_id
) -> tuple[Workspace, list[MemberView], list[TeamView]]:
    """Everyone in the workspace (Joined / Not Joined, their flow roles, the team or group they
    came with) and one row per team or group in it."""
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    memberships = workspaces_service.members(session, workspace)
    roles: dict = {}
    for user_id, role_name in session.execute(
        select(RoleAssignment.user_id, WorkspaceRole.name)
        .join(WorkspaceRole, WorkspaceRole.id == RoleAssignment.role_id)
        .where(WorkspaceRole.workspace_id == workspace.id, RoleAssignment.ended_at.is_(None))
        .order_by(WorkspaceRole.position)
    ):
        roles.setdefault(user_id, []).append(role_name)
    team_ids = {m.via_team_id for m in memberships if m.via_team_id}
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.id.in_(team_ids)))} if team_ids else {}
    names = people_names.names_in_portal(session, workspace.portal_id, [m.user for m in memberships])
    views = [
        MemberView(
            m,
            roles.get(m.user_id, []),
            teams.get(m.via_team_id),
            names.get(m.user_id, ""),
            show_address=policy.sees_addresses_of(actor.role, viewer_id=actor.user_id, person_id=m.user_id),
        )
        for m in memberships
    ]
    team_rows = []
    if teams:
        in_workspace = {m.user_id: m.status for m in memberships}
        for team_id, team_members in teams_service.members_of(session, teams).items():
            statuses = [in_workspace[tm.user_id] for tm in team_members if tm.user_id in in_workspace]
            team_rows.append(TeamView(teams[team_id], statuses.count(JOINED), statuses.count(NOT_JOINED)))
        team_rows.sort(key=lambda v: (v.team.kind, v.team.name.casefold()))
    return workspace, views, team_rows
