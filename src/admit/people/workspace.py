"""A workspace as its people see it: the Members panel (Joined / Not Joined / Deactivated, flow
roles, the team or group each came with, one row per team or group) and a flow's roles with their
holders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from admit import policy
from admit.actor import Actor
from admit.kit.pagination import MAX_LIMIT
from admit.members import service as members_service
from admit.people.names import initials, names_in_portal
from admit.teams import service as teams_service
from admit.teams.models import Team
from admit.workspaces import roles as roles_service
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import (
    JOINED,
    NOT_JOINED,
    RoleAssignment,
    Workspace,
    WorkspaceMember,
    WorkspaceRole,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.members.models import User


__all__ = [
    "MemberView",
    "MembersPanel",
    "RoleView",
    "TeamView",
    "members_view",
    "role_history_view",
    "roles_view",
    "whole_panel",
]


@dataclass(slots=True)
class MemberView:
    membership: WorkspaceMember
    roles: list[str]
    via_team: Team | None
    name: str = ""  # as this portal may show it (``people.names.names_in_portal``)
    show_address: bool = True  # clients see the others in their workspaces by name only
    access_ended: bool = False  # deactivated in the portal: listed, never given work or told
    avatar: str = "?"  # ``people.names.initials``, as whoever looks sees it (their own: by address)


@dataclass(slots=True)
class TeamView:
    team: Team
    joined: int
    not_joined: int
    deactivated: int = 0  # in the workspace, their access to the portal ended: neither of the others


@dataclass(slots=True)
class RoleView:
    role: WorkspaceRole
    current: RoleAssignment | None
    history: list[RoleAssignment]
    names: dict[uuid.UUID, str]  # {user_id: name as this portal may show it}
    actor: Actor  # who is looking: whose addresses they see is policy's (``sees_addresses_of``)

    def shows_address(self, user_id: uuid.UUID) -> bool:
        return policy.sees_addresses_of(self.actor.role, viewer_id=self.actor.user_id, person_id=user_id)

    def avatar(self) -> str:
        """The holder's avatar as whoever looks sees it ("+": no one holds the role)."""
        if self.current is None or self.current.user is None:
            return "+"
        return _avatar(self.actor, self.current.user, self.names.get(self.current.user_id, ""))


def _avatar(actor: Actor, user: User, name: str) -> str:
    """``user``'s avatar for ``actor``: their own, by their address when they have no name."""
    return initials(name, own_address=user.address if user.id == actor.user_id else None)


@dataclass(slots=True)
class MembersPanel:
    workspace: Workspace
    members: list[MemberView]  # one page, in the order they were added
    next_cursor: str | None
    teams: list[TeamView]  # one row per team or group in the workspace (all of them)


def members_view(
    session: Session, actor: Actor, workspace_id: uuid.UUID, *, cursor: str | None = None, limit: int = 100
) -> MembersPanel:
    """A page of the people in the workspace (Joined / Not Joined, their flow roles, the team or
    group they came with) and one row per team or group in it."""
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    memberships, next_cursor = workspaces_service.members(session, workspace, cursor=cursor, limit=limit)
    roles = roles_service.current_roles(session, workspace.id)
    grouped = policy.sees_groupings(actor.role)  # a client sees people, not the portal's teams
    teams = (
        teams_service.by_ids(session, workspaces_service.team_ids(session, workspace.id)) if grouped else {}
    )
    names = names_in_portal(session, workspace.portal_id, [m.user for m in memberships])
    ended = (
        members_service.access_ended_among(session, workspace.portal_id, [m.user_id for m in memberships])
        if policy.sees_access_ended(actor.role)
        else set()
    )
    views = [
        MemberView(
            m,
            roles.get(m.user_id, []),
            teams.get(m.via_team_id) if m.via_team_id is not None else None,
            names.get(m.user_id, ""),
            show_address=policy.sees_addresses_of(actor.role, viewer_id=actor.user_id, person_id=m.user_id),
            access_ended=m.user_id in ended,
            avatar=_avatar(actor, m.user, names.get(m.user_id, "")),
        )
        for m in memberships
    ]
    team_rows = []
    if teams:
        team_members = teams_service.members_of(session, teams)
        everyone = {tm.user_id for tms in team_members.values() for tm in tms}
        in_workspace = workspaces_service.statuses(session, workspace.id, everyone)
        gone = members_service.access_ended_among(session, workspace.portal_id, list(in_workspace))
        for team_id, people in team_members.items():
            here = [tm.user_id for tm in people if tm.user_id in in_workspace]
            if not here:
                continue  # everyone it brought was taken out again: no row
            statuses = [in_workspace[uid] for uid in here if uid not in gone]
            team_rows.append(
                TeamView(
                    teams[team_id],
                    statuses.count(JOINED),
                    statuses.count(NOT_JOINED),
                    sum(uid in gone for uid in here),
                )
            )
        team_rows.sort(key=lambda v: (v.team.kind, v.team.name.casefold()))
    return MembersPanel(workspace, views, next_cursor, team_rows)


def whole_panel(session: Session, actor: Actor, workspace_id: uuid.UUID) -> MembersPanel:
    """Every person in the workspace at once, Joined first (the workspace page shows the whole
    panel; the API pages it)."""
    panel = members_view(session, actor, workspace_id, limit=MAX_LIMIT)
    while panel.next_cursor:
        more = members_view(session, actor, workspace_id, cursor=panel.next_cursor, limit=MAX_LIMIT)
        panel.members.extend(more.members)
        panel.next_cursor = more.next_cursor
    panel.members.sort(key=lambda v: v.membership.status != JOINED)
    return panel


def roles_view(session: Session, actor: Actor, workspace_id: uuid.UUID) -> list[RoleView]:
    """A flow's roles in order, each with its holder and its history, named as the portal may."""
    histories = roles_service.list_roles(session, actor, workspace_id)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    names = names_in_portal(session, workspace.portal_id, [a.user for h in histories for a in h.history])
    return [RoleView(h.role, h.current, h.history, names, actor) for h in histories]


def role_history_view(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    role_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[RoleView, str | None]:
    """A page of who held a flow's role, newest first (``history``; ``current`` is not read),
    named as the portal may: ``(view, next_cursor)``."""
    role, rows, next_cursor = roles_service.role_history(
        session, actor, workspace_id, role_id, cursor=cursor, limit=limit
    )
    names = names_in_portal(session, actor.portal.id, [a.user for a in rows])
    return RoleView(role, None, rows, names, actor), next_cursor
