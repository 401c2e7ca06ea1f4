"""Teams and client groups with their people, named as the portal may show them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from admit.actor import Actor
from admit.people.names import names_in_portal
from admit.teams import service as teams_service
from admit.teams.models import Team, TeamMember

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["TeamView", "team_view", "teams_view"]


@dataclass(slots=True)
class TeamView:
    team: Team
    members: list[TeamMember]
    names: dict[uuid.UUID, str]  # {user_id: name as this portal may show it}


def teams_view(
    session: Session, actor: Actor, *, kind: str, cursor: str | None = None, limit: int = 100
) -> tuple[list[TeamView], str | None]:
    """A page of the portal's teams (or client groups), newest first, each with its people."""
    teams, next_cursor = teams_service.list_teams(session, actor, kind=kind, cursor=cursor, limit=limit)
    members = teams_service.members_of(session, [t.id for t in teams])
    names = names_in_portal(session, actor.portal.id, [tm.user for tms in members.values() for tm in tms])
    return [TeamView(t, members[t.id], names) for t in teams], next_cursor


def team_view(session: Session, team: Team) -> TeamView:
    members = teams_service.members_of(session, [team.id])[team.id]
    return TeamView(team, members, names_in_portal(session, team.portal_id, [tm.user for tm in members]))
