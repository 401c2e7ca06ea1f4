"""Internal teams (owners and admins) and client groups (internal users), with their people."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from admit.api.deps import ActorDep
from admit.people import names as people_names
from admit.teams import service as teams_service
from admit.teams.models import CLIENT_GROUP, TEAM
from admit.teams.schemas import PersonResult, TeamChangeRead, TeamCreate, TeamList, TeamMembersAdd, TeamRead
from admit.web import SessionDep

router = APIRouter(tags=["teams"])


def _change(session, change) -> TeamChangeRead:
    members = teams_service.members_of(session, [change.team.id])[change.team.id]
    names = people_names.names_in_portal(session, change.team.portal_id, [tm.user for tm in members])
    return TeamChangeRead(
        team=TeamRead.of(change.team, members, names),
        results=[
            PersonResult(
                recipient=r.recipient, outcome=r.outcome, user_id=r.user_id, code=r.code, detail=r.detail
            )
            for r in change.results
        ],
    )


def _list(session, actor, kind) -> TeamList:
    teams = teams_service.list_teams(session, actor, kind=kind)
    members = teams_service.members_of(session, [t.id for t in teams])
    everyone = [tm.user for tms in members.values() for tm in tms]
    names = people_names.names_in_portal(session, actor.portal.id, everyone)
    return TeamList(items=[TeamRead.of(t, members[t.id], names) for t in teams])


@router.post("/portals/{portal}/teams", response_model=TeamChangeRead, status_code=201)
def create_team(body: TeamCreate, actor: ActorDep, session: SessionDep):
    """Create an internal team with existing internal users (owners and admins)."""
    change = teams_service.create(
        session, actor, kind=TEAM, name=body.name, user_ids=body.user_ids, recipients=body.recipients
    )
    return _change(session, change)


@router.get("/portals/{portal}/teams", response_model=TeamList)
def list_teams(actor: ActorDep, session: SessionDep):
    return _list(session, actor, TEAM)


@router.post("/portals/{portal}/teams/{team_id}/members", response_model=TeamChangeRead)
def add_team_members(team_id: uuid.UUID, body: TeamMembersAdd, actor: ActorDep, session: SessionDep):
    change = teams_service.add_members(
        session, actor, team_id, user_ids=body.user_ids, recipients=body.recipients, kind=TEAM
    )
    return _change(session, change)


@router.post("/portals/{portal}/client-groups", response_model=TeamChangeRead, status_code=201)
def create_group(body: TeamCreate, actor: ActorDep, session: SessionDep):
    """Create a client group: existing clients, and new addresses invited as clients."""
    change = teams_service.create(
        session,
        actor,
        kind=CLIENT_GROUP,
        name=body.name,
        user_ids=body.user_ids,
        recipients=body.recipients,
        invite=body.invite,
    )
    return _change(session, change)


@router.get("/portals/{portal}/client-groups", response_model=TeamList)
def list_groups(actor: ActorDep, session: SessionDep):
    return _list(session, actor, CLIENT_GROUP)


@router.post("/portals/{portal}/client-groups/{group_id}/members", response_model=TeamChangeRead)
def add_group_members(group_id: uuid.UUID, body: TeamMembersAdd, actor: ActorDep, session: SessionDep):
    change = teams_service.add_members(
        session, actor, group_id, user_ids=body.user_ids, recipients=body.recipients, kind=CLIENT_GROUP
    )
    return _change(session, change)
