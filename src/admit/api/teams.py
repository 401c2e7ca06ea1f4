"""Internal teams (owners and admins) and client groups (internal users), with their people."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.api.deps import ActorDep, Limit
from admit.api.errors import problems
from admit.errors import MemberNotFound, PermissionDenied, RateLimited, TeamExists, TeamNotFound
from admit.flows import groups
from admit.flows.groups import TeamChange
from admit.invitations.schemas import RecipientResults
from admit.kit.routing import Router
from admit.people import teams as people_teams
from admit.people.results import recipient_results
from admit.teams import service as teams_service
from admit.teams.models import CLIENT_GROUP, TEAM
from admit.teams.schemas import TeamCreate, TeamList, TeamMembersAdd, TeamRead, TeamUpdate
from admit.web import SessionDep

router = Router(tags=["teams"])


class TeamChangeRead(RecipientResults):
    """The team or group as it is now, and what happened to each person asked for."""

    team: TeamRead


def _read(view: people_teams.TeamView) -> TeamRead:
    return TeamRead.of(view.team, view.members, view.names, view.statuses)


def _change(session: Session, change: TeamChange) -> TeamChangeRead:
    results = recipient_results(session, change.results)
    return TeamChangeRead(
        team=_read(people_teams.team_view(session, change.team)),
        results=results.results,
        counts=results.counts,
    )


def _rename(session: Session, team_id: uuid.UUID, actor: Actor, kind: str, name: str) -> TeamRead:
    team = teams_service.rename(session, actor, team_id, kind=kind, name=name)
    return _read(people_teams.team_view(session, team))


def _one(session: Session, team_id: uuid.UUID, actor: Actor, kind: str) -> TeamRead:
    """A team or client group as its list shows it."""
    return _read(
        people_teams.team_view(session, teams_service.get_or_raise(session, actor, team_id, kind=kind))
    )


def _list(session: Session, actor: Actor, kind: str, cursor: str | None, limit: int) -> TeamList:
    views, next_cursor = people_teams.teams_view(session, actor, kind=kind, cursor=cursor, limit=limit)
    return TeamList(items=[_read(v) for v in views], next_cursor=next_cursor)


@router.post(
    "/portals/{portal}/teams",
    response_model=TeamChangeRead,
    status_code=201,
    operation_id="teams_create",
    responses=problems(PermissionDenied, TeamExists, RateLimited),
)
def create_team(body: TeamCreate, actor: ActorDep, session: SessionDep) -> TeamChangeRead:
    """Create an internal team with existing internal users (owners and admins)."""
    change = groups.create(
        session, actor, kind=TEAM, name=body.name, user_ids=body.user_ids, recipients=body.recipients
    )
    return _change(session, change)


@router.get(
    "/portals/{portal}/teams",
    response_model=TeamList,
    operation_id="teams_list",
    responses=problems(PermissionDenied),
)
def list_teams(
    actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> TeamList:
    """The portal's internal teams, newest first, with their people."""
    return _list(session, actor, TEAM, cursor, limit)


@router.post(
    "/portals/{portal}/teams/{team_id}/members",
    response_model=TeamChangeRead,
    status_code=201,
    operation_id="teams_members_add",
    responses=problems(PermissionDenied, TeamNotFound, RateLimited),
)
def add_team_members(
    team_id: uuid.UUID, body: TeamMembersAdd, actor: ActorDep, session: SessionDep
) -> TeamChangeRead:
    change = groups.add_members(
        session, actor, team_id, user_ids=body.user_ids, recipients=body.recipients, kind=TEAM
    )
    return _change(session, change)


@router.delete(
    "/portals/{portal}/teams/{team_id}/members/{user_id}",
    status_code=204,
    operation_id="teams_members_remove",
    responses=problems(PermissionDenied, TeamNotFound, MemberNotFound),
)
def remove_team_member(team_id: uuid.UUID, user_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Take someone out of an internal team (owners and admins): they stay in the portal and in
    every workspace they are in, on their own (no longer via the team)."""
    groups.remove_member(session, actor, team_id, user_id, kind=TEAM)


@router.post(
    "/portals/{portal}/client-groups",
    response_model=TeamChangeRead,
    status_code=201,
    operation_id="client_groups_create",
    responses=problems(PermissionDenied, TeamExists, RateLimited),
)
def create_group(body: TeamCreate, actor: ActorDep, session: SessionDep) -> TeamChangeRead:
    """Create a client group: existing clients, and new addresses invited as clients."""
    change = groups.create(
        session,
        actor,
        kind=CLIENT_GROUP,
        name=body.name,
        user_ids=body.user_ids,
        recipients=body.recipients,
        invite=body.invite,
    )
    return _change(session, change)


@router.get(
    "/portals/{portal}/client-groups",
    response_model=TeamList,
    operation_id="client_groups_list",
    responses=problems(PermissionDenied),
)
def list_groups(
    actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> TeamList:
    """The portal's client groups, newest first, with their people."""
    return _list(session, actor, CLIENT_GROUP, cursor, limit)


@router.post(
    "/portals/{portal}/client-groups/{group_id}/members",
    response_model=TeamChangeRead,
    status_code=201,
    operation_id="client_groups_members_add",
    responses=problems(PermissionDenied, TeamNotFound, RateLimited),
)
def add_group_members(
    group_id: uuid.UUID, body: TeamMembersAdd, actor: ActorDep, session: SessionDep
) -> TeamChangeRead:
    change = groups.add_members(
        session, actor, group_id, user_ids=body.user_ids, recipients=body.recipients, kind=CLIENT_GROUP
    )
    return _change(session, change)


@router.delete(
    "/portals/{portal}/client-groups/{group_id}/members/{user_id}",
    status_code=204,
    operation_id="client_groups_members_remove",
    responses=problems(PermissionDenied, TeamNotFound, MemberNotFound),
)
def remove_group_member(
    group_id: uuid.UUID, user_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> None:
    """Take someone out of a client group (internal users): they stay in the portal and in every
    workspace they are in (a pending invitation stands), on their own."""
    groups.remove_member(session, actor, group_id, user_id, kind=CLIENT_GROUP)


@router.get(
    "/portals/{portal}/teams/{team_id}",
    response_model=TeamRead,
    operation_id="teams_get",
    responses=problems(PermissionDenied, TeamNotFound),
)
def get_team(team_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> TeamRead:
    """An internal team with its people, as the list shows it."""
    return _one(session, team_id, actor, TEAM)


@router.get(
    "/portals/{portal}/client-groups/{group_id}",
    response_model=TeamRead,
    operation_id="client_groups_get",
    responses=problems(PermissionDenied, TeamNotFound),
)
def get_group(group_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> TeamRead:
    """A client group with its people, as the list shows it."""
    return _one(session, group_id, actor, CLIENT_GROUP)


@router.patch(
    "/portals/{portal}/teams/{team_id}",
    response_model=TeamRead,
    operation_id="teams_rename",
    responses=problems(PermissionDenied, TeamNotFound, TeamExists),
)
def rename_team(team_id: uuid.UUID, body: TeamUpdate, actor: ActorDep, session: SessionDep) -> TeamRead:
    """Rename an internal team (owners and admins); the name rules of creation."""
    return _rename(session, team_id, actor, TEAM, body.name)


@router.delete(
    "/portals/{portal}/teams/{team_id}",
    status_code=204,
    operation_id="teams_delete",
    responses=problems(PermissionDenied, TeamNotFound),
)
def delete_team(team_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Delete an internal team: its people stay in the portal and in the workspaces they are in;
    the team can no longer be added to a workspace."""
    teams_service.delete(session, actor, team_id, kind=TEAM)


@router.patch(
    "/portals/{portal}/client-groups/{group_id}",
    response_model=TeamRead,
    operation_id="client_groups_rename",
    responses=problems(PermissionDenied, TeamNotFound, TeamExists),
)
def rename_group(group_id: uuid.UUID, body: TeamUpdate, actor: ActorDep, session: SessionDep) -> TeamRead:
    """Rename a client group (internal users); the name rules of creation."""
    return _rename(session, group_id, actor, CLIENT_GROUP, body.name)


@router.delete(
    "/portals/{portal}/client-groups/{group_id}",
    status_code=204,
    operation_id="client_groups_delete",
    responses=problems(PermissionDenied, TeamNotFound),
)
def delete_group(group_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Delete a client group: its clients stay in the portal and in the workspaces they are in
    (their pending invitations stand); the group can no longer be added to a workspace."""
    teams_service.delete(session, actor, group_id, kind=CLIENT_GROUP)
