from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from admit.api.deps import ActorDep
from admit.api.errors import problems
from admit.errors import MemberNotDeactivated, MemberNotFound, PermissionDenied
from admit.flows import members as members_flow
from admit.members import service as members_service
from admit.members.schemas import MemberPage, MemberRead, PeopleMatches
from admit.people import roster as people_roster
from admit.people.schemas import PeoplePage, PersonRead
from admit.web import SessionDep

router = APIRouter(tags=["members"])


@router.get(
    "/portals/{portal}/members",
    response_model=MemberPage,
    operation_id="members_list",
    responses=problems(PermissionDenied),
)
def list_members(
    actor: ActorDep,
    session: SessionDep,
    user_type: Literal["internal", "client"] | None = None,
    status: Literal["pending", "active", "deactivated"] | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> MemberPage:
    rows, next_cursor = members_service.list_members(
        session, actor, user_type=user_type, status=status, cursor=cursor, limit=limit
    )
    return MemberPage(items=[MemberRead.of(m) for m in rows], next_cursor=next_cursor)


@router.post(
    "/portals/{portal}/members/{member_id}/deactivate",
    response_model=MemberRead,
    operation_id="members_deactivate",
    responses=problems(PermissionDenied, MemberNotFound),
)
def deactivate_member(member_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> MemberRead:
    """Deactivate a member: they lose access at once and their sessions end."""
    return MemberRead.of(members_flow.deactivate(session, actor, member_id))


@router.post(
    "/portals/{portal}/members/{member_id}/reactivate",
    response_model=MemberRead,
    operation_id="members_reactivate",
    responses=problems(PermissionDenied, MemberNotFound, MemberNotDeactivated),
)
def reactivate_member(member_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> MemberRead:
    """Reactivate a deactivated member: the same membership is active again (role, type and
    products unchanged); an active member is answered as it is. 409 for a pending one."""
    return MemberRead.of(members_flow.reactivate(session, actor, member_id))


@router.get(
    "/portals/{portal}/people",
    response_model=PeoplePage,
    operation_id="people_list",
    responses=problems(PermissionDenied),
)
def list_people(
    actor: ActorDep,
    session: SessionDep,
    user_type: Literal["internal", "client"] | None = None,
    status: Literal["pending", "active", "deactivated", "expired", "revoked"] | None = None,
    role: Literal["owner", "admin", "member", "client"] | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> PeoplePage:
    """The roster User Management shows: members, open invitations and pending link sign-ups
    in one list, one row per person, newest first, with the total the filters match."""
    page = people_roster.roster(
        session, actor, user_type=user_type, status=status, role=role, q=q, cursor=cursor, limit=limit
    )
    return PeoplePage(
        items=[PersonRead.of(r) for r in page.items], next_cursor=page.next_cursor, total=page.total
    )


@router.get(
    "/portals/{portal}/people/suggestions",
    response_model=PeopleMatches,
    operation_id="people_suggest",
    responses=problems(PermissionDenied),
)
def search_people(
    actor: ActorDep,
    session: SessionDep,
    q: str = "",
    user_type: Literal["internal", "client"] | None = None,
    limit: int = 10,
) -> PeopleMatches:
    """Suggestions as you type a name, email or phone: this portal's active members only."""
    matches = members_service.search_people(session, actor, q, user_type=user_type, limit=limit)
    return PeopleMatches(items=[MemberRead.of(m) for m in matches])
