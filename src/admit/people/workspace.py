"""A workspace as its people see it: the Members panel (Joined / Not Joined / Deactivated, flow
roles, the team or group each came with, one row per team or group; found by name or address and
by state, ``find_members``) and a flow's roles with their holders."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from admit import policy
from admit.actor import Actor
from admit.errors import InvalidInput
from admit.invitations import repository as invitations_repository
from admit.kit.pagination import MAX_LIMIT, every
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
    "Found",
    "MemberView",
    "MembersPanel",
    "RoleView",
    "TeamView",
    "find_members",
    "find_teams",
    "lines",
    "members_view",
    "role_history_view",
    "roles_view",
    "seen_states",
    "state_counts",
    "states_of",
    "teams_of",
    "whole_panel",
]

JOINED_STATE, INVITED, EXPIRED, DEACTIVATED = policy.MEMBER_STATES


@dataclass(slots=True)
class MemberView:
    membership: WorkspaceMember
    roles: list[str]
    via_team: Team | None
    name: str = ""  # as this portal may show it (``people.names.names_in_portal``)
    show_address: bool = True  # clients see the others in their workspaces by name only
    access_ended: bool = False  # deactivated in the portal: listed, never given work or told
    avatar: str = "?"  # ``people.names.initials``, as whoever looks sees it (their own: by address)
    state: str = JOINED_STATE  # one of the states the viewer tells apart (``states_of``)
    alike: int = 1  # the people this row stands for (``lines``: "2 invited guests")

    def findable(self) -> str:
        """What the panel's search looks in, folded (``fold``): the name, and the address only
        for whoever may see it (``policy.sees_addresses_of``)."""
        address = self.membership.user.address or "" if self.show_address else ""
        return fold(f"{self.name} {address}")


@dataclass(slots=True)
class TeamView:
    team: Team
    joined: int
    not_joined: int
    deactivated: int = 0  # in the workspace, their access to the portal ended: neither of the others
    people: frozenset[uuid.UUID] = frozenset()  # its people in the workspace, whoever brought them

    def findable(self) -> str:
        """What the panel's search looks in for the row, folded (``fold``): the name."""
        return fold(self.team.name)


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
        """The holder's avatar as whoever looks sees it: with no one holding the role, "+" to
        whoever may assign it (``avatar_class``), else nothing."""
        if self.current is None or self.current.user is None:
            return "+" if self.assignable() else ""
        return _avatar(self.actor, self.current.user, self.names.get(self.current.user_id, ""))

    def assignable(self) -> bool:
        """Whether whoever looks may give the role to someone (the policy's workspace roles)."""
        return policy.can(self.actor.role, policy.Action.WORKSPACE_ROLES)

    def avatar_class(self) -> str:
        """The avatar's look: a holder's; "empty" (dashed, "+": something to do) to whoever may
        assign the role; "vacant" (plainly no one, nothing to click) to anyone else, a client."""
        if self.current is not None and self.current.user is not None:
            return "avatar"
        return "avatar empty" if self.assignable() else "avatar vacant"


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
    ended, states = seen_states(session, actor, workspace.portal_id, memberships)
    views = [
        MemberView(
            m,
            roles.get(m.user_id, []),
            teams.get(m.via_team_id) if m.via_team_id is not None else None,
            names.get(m.user_id, ""),
            show_address=policy.sees_addresses_of(actor.role, viewer_id=actor.user_id, person_id=m.user_id),
            access_ended=m.user_id in ended,
            avatar=_avatar(actor, m.user, names.get(m.user_id, "")),
            state=states[m.user_id],
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
                    frozenset(here),
                )
            )
        team_rows.sort(key=lambda v: (v.team.kind, v.team.name.casefold()))
    return MembersPanel(workspace, views, next_cursor, team_rows)


def seen_states(
    session: Session, actor: Actor, portal_id: uuid.UUID, memberships: list[WorkspaceMember]
) -> tuple[set[uuid.UUID], dict[uuid.UUID, str]]:
    """Whose access ended (for whoever is told) and each person's state, as ``actor`` may tell
    them apart (``policy.member_states_seen``): the panel's, its counts' and Resend's."""
    ended = (
        members_service.access_ended_among(session, portal_id, [m.user_id for m in memberships])
        if policy.sees_access_ended(actor.role)
        else set()
    )
    return ended, states_of(session, memberships, ended, seen=policy.member_states_seen(actor.role))


def state_counts(session: Session, actor: Actor, workspace: Workspace) -> dict[str, int]:
    """How many people of ``workspace`` (one ``actor`` may see: ``members_view`` found it) are in
    each state they may tell apart, and "all": what ``find_members`` counts with no search, read
    without building each person's view (the API's first page of a long list)."""
    memberships = every(partial(workspaces_service.members, session, workspace))
    _ended, states = seen_states(session, actor, workspace.portal_id, memberships)
    counts = dict.fromkeys(policy.member_states_seen(actor.role), 0)
    for state in states.values():
        counts[state] += 1
    counts["all"] = len(states)
    return counts


def states_of(
    session: Session,
    memberships: Iterable[WorkspaceMember],
    access_ended: set[uuid.UUID],
    *,
    seen: tuple[str, ...] = policy.MEMBER_STATES,
) -> dict[uuid.UUID, str]:
    """``{user_id: state}`` of the memberships, telling apart only the states in ``seen`` (a
    client's: joined and invited): deactivated (``access_ended``: their access to the portal
    ended), joined, expired (not joined, their invitation lapsed unaccepted), else invited. The
    one rule for the panel's states and its filter, and for Resend all expired."""
    memberships = list(memberships)
    waiting = [m.invitation_id for m in memberships if m.status != JOINED]
    lapsed = invitations_repository.lapsed_ids(session, waiting) if EXPIRED in seen else set()
    out = {}
    for m in memberships:
        if DEACTIVATED in seen and m.user_id in access_ended:
            out[m.user_id] = DEACTIVATED
        elif m.status == JOINED:
            out[m.user_id] = JOINED_STATE
        elif m.invitation_id in lapsed:
            out[m.user_id] = EXPIRED
        else:
            out[m.user_id] = INVITED
    return out


def fold(text: str) -> str:
    """``text`` as the Members panel's search compares it: accents dropped, case folded, spaces
    tidied ("Zoë  Ö" → "zoe o"). The page's script folds what is typed the same way: lower case
    as JavaScript's ``toLowerCase`` (not ``casefold``, which makes "ß" "ss" where the script keeps
    "ß", so "Straße" typed would hide a row the server finds)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


@dataclass(slots=True)
class Found:
    """The Members panel's filter applied: ``shown`` the views that match (in the panel's order),
    ``counts`` how many of those that match the search are in each state (``all``: the search's
    matches whatever their state), ``states`` the states the viewer may filter by."""

    shown: list[MemberView]
    q: str
    state: str | None
    states: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def filtering(self) -> bool:
        return bool(self.q or self.state)


def find_members(actor: Actor, views: list[MemberView], *, q: str | None, state: str | None) -> Found:
    """The Members panel's filter: people whose name (or address, for whoever sees it) holds
    ``q`` (accents and case aside), in ``state`` (one of ``policy.member_states_seen``: a client
    may not ask who has lapsed or whose access ended). A state the viewer may not ask for is
    refused, naming ``state``."""
    states = policy.member_states_seen(actor.role)
    state = (state or "").strip() or None
    if state is not None and state not in states:
        words = [s.capitalize() for s in states]
        raise InvalidInput(f"Choose a state: {', '.join(words[:-1])} or {words[-1]}.", field="state")
    q = " ".join((q or "").split())[:200]
    wanted = fold(q)
    matched = [v for v in views if wanted in v.findable()] if wanted else list(views)
    counts = {s: 0 for s in states}
    for v in matched:
        counts[v.state] += 1
    counts["all"] = len(matched)
    shown = [v for v in matched if v.state == state] if state else matched
    return Found(shown, q, state, states, counts)


def lines(views: list[MemberView]) -> list[MemberView]:
    """The Members panel's rows: one a person, except the people the viewer cannot tell apart,
    who make one row, the first's, saying how many (``alike``): no name the portal may show them
    and no address shown to the viewer (a client sees the others by name only:
    ``policy.sees_addresses_of``), in one state, with the same roles. A client saw them as
    identical "? Invited guest" rows; only a client's panel has such rows, with no action on
    them. The counts stay people's (``find_members``)."""
    out: list[MemberView] = []
    first: dict[tuple[str, tuple[str, ...]], MemberView] = {}
    for v in views:
        v.alike = 1
        if v.name or v.show_address:
            out.append(v)
            continue
        key = (v.state, tuple(v.roles))
        if key in first:
            first[key].alike += 1
        else:
            first[key] = v
            out.append(v)
    return out


def find_teams(teams: list[TeamView], views: list[MemberView], q: str | None) -> list[TeamView]:
    """The team and client-group rows Find a member keeps (``q``, as ``find_members`` takes it):
    every one with no search; else those whose name holds it and those with someone in the
    workspace it finds (``views``: the panel's people, whatever the state picked)."""
    wanted = fold(" ".join((q or "").split())[:200])
    if not wanted:
        return list(teams)
    found = {v.membership.user_id for v in views if wanted in v.findable()}
    return [t for t in teams if wanted in t.findable() or t.people & found]


def teams_of(teams: list[TeamView]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """``{user_id: [team id, …]}``: the rows of ``teams`` each person is on (the page's script
    keeps a row for someone it finds, as ``find_teams`` does)."""
    out: dict[uuid.UUID, list[uuid.UUID]] = {}
    for t in teams:
        for user_id in t.people:
            out.setdefault(user_id, []).append(t.team.id)
    return out


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
