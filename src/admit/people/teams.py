"""Teams and client groups with their people, named as the portal may show them, each with where
they stand in the portal: joined, invited (a pending invitation), not invited (a client group's
person who joined it uninvited, or whose invitation lapsed), deactivated."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from admit.actor import Actor
from admit.invitations import repository as invitations_repository
from admit.members import service as members_service
from admit.people.names import names_in_portal
from admit.teams import service as teams_service
from admit.teams.models import Team, TeamMember

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.members.models import User


__all__ = ["TeamView", "team_view", "teams_view", "views_of"]

JOINED, INVITED, EXPIRED, NOT_INVITED, DEACTIVATED = (
    "joined",
    "invited",
    "expired",
    "not_invited",
    "deactivated",
)


@dataclass(slots=True)
class TeamView:
    team: Team
    members: list[TeamMember]
    names: dict[uuid.UUID, str]  # {user_id: name as this portal may show it}
    statuses: dict[uuid.UUID, str]  # {user_id: joined | invited | expired | not_invited | deactivated}


def teams_view(
    session: Session, actor: Actor, *, kind: str, cursor: str | None = None, limit: int = 100
) -> tuple[list[TeamView], str | None]:
    """A page of the portal's teams (or client groups), newest first, each with its people."""
    teams, next_cursor = teams_service.list_teams(session, actor, kind=kind, cursor=cursor, limit=limit)
    return views_of(session, actor.portal.id, teams), next_cursor


def team_view(session: Session, team: Team) -> TeamView:
    return views_of(session, team.portal_id, [team])[0]


def views_of(session: Session, portal_id: uuid.UUID, teams: list[Team]) -> list[TeamView]:
    """Each of ``teams`` with its people, their names and where they stand (four queries for
    any number of teams)."""
    members = teams_service.members_of(session, [t.id for t in teams])
    users = [tm.user for tms in members.values() for tm in tms]
    names = names_in_portal(session, portal_id, users)
    for tm in (tm for tms in members.values() for tm in tms):
        if tm.name and not names.get(tm.user_id):
            names[tm.user_id] = tm.name  # typed when put in uninvited: the only name there is
    statuses = _statuses(session, portal_id, users)
    return [TeamView(t, members[t.id], names, statuses) for t in teams]


def _statuses(session: Session, portal_id: uuid.UUID, users: list[User]) -> dict[uuid.UUID, str]:
    in_portal = members_service.statuses(session, portal_id, [u.id for u in users])
    standing = invitations_repository.invitation_standing(session, portal_id, [u.address for u in users])
    out: dict[uuid.UUID, str] = {}
    for user in users:
        status = in_portal.get(user.id)
        if status == members_service.ACTIVE:
            out[user.id] = JOINED
        elif status == members_service.DEACTIVATED:
            out[user.id] = DEACTIVATED
        else:
            stands = standing.get(user.address or "")
            out[user.id] = NOT_INVITED if stands is None else INVITED if stands else EXPIRED
    return out
