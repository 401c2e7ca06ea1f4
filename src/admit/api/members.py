from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from admit import context
from admit.api.deps import ActorDep, Limit
from admit.api.errors import problems, unparsed_faults
from admit.api.idempotency import IdempotentDep
from admit.bulk import service as bulk_service
from admit.bulk.schemas import BulkJobRead, BulkPreviewRead, BulkRequest
from admit.errors import (
    BulkJobNotFound,
    Conflict,
    InvalidInput,
    MemberNotDeactivated,
    MemberNotFound,
    PermissionDenied,
    WorkspaceNotFound,
)
from admit.flows import members as members_flow
from admit.flows import people_bulk, workspace_people
from admit.kit.routing import Router
from admit.members import service as members_service
from admit.members.schemas import MemberAccessChange, MemberPage, MemberRead, PeopleMatches, PersonSuggested
from admit.notifications.models import DeliveryFilter
from admit.people import people_csv
from admit.people import roster as people_roster
from admit.people.roster import Listed
from admit.people.schemas import PeopleDeliveries, PeoplePage, PersonRead
from admit.web import SessionDep, get_db

router = Router(tags=["members"])


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
    limit: Limit = 100,
) -> MemberPage:
    rows, next_cursor = members_service.list_members(
        session, actor, user_type=user_type, status=status, cursor=cursor, limit=limit
    )
    return MemberPage(items=[MemberRead.of(m) for m in rows], next_cursor=next_cursor)


@router.get(
    "/portals/{portal}/members/{member_id}",
    response_model=MemberRead,
    operation_id="members_get",
    responses=problems(PermissionDenied, MemberNotFound),
)
def get_member(member_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> MemberRead:
    """One member, as the list shows them: the id a ``member.joined`` webhook carries."""
    return MemberRead.of(members_service.get_member(session, actor, member_id))


@router.post(
    "/portals/{portal}/members/{member_id}/deactivate",
    response_model=MemberRead,
    operation_id="members_deactivate",
    responses=problems(PermissionDenied, MemberNotFound),
)
def deactivate_member(member_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> MemberRead:
    """Deactivate a member: they lose access to this portal at once (their next request finds
    it gone), and only to this one: they stay signed in to the other portals they belong to."""
    return MemberRead.of(members_flow.deactivate(session, actor, member_id))


@router.patch(
    "/portals/{portal}/members/{member_id}",
    response_model=MemberRead,
    operation_id="members_change_access",
    responses=problems(PermissionDenied, MemberNotFound, InvalidInput),
)
def change_member_access(
    member_id: uuid.UUID, body: MemberAccessChange, actor: ActorDep, session: SessionDep
) -> MemberRead:
    """Change a member's role (an internal user's: owner, admin or member) or the products they
    may use (those the portal offers). Owners and admins; not one's own role; to or from owner
    only by an owner; never the last owner's. Each change is in the audit log."""
    return MemberRead.of(
        members_flow.change_access(
            session, actor, member_id, role=body.role, products=body.products, faults=unparsed_faults(body)
        )
    )


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


@router.post(
    "/portals/{portal}/members/{member_id}/reset-two-factor",
    response_model=MemberRead,
    operation_id="members_reset_two_factor",
    responses=problems(PermissionDenied, MemberNotFound, Conflict),
)
def reset_two_factor(member_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> MemberRead:
    """Owners: take a member's authenticator app and recovery codes away (they lost both, or
    someone else set one up on their account); they set one up again where it is required, and
    are told by email. 409 when they have none, or their account also belongs to another portal."""
    return MemberRead.of(members_flow.reset_second_factor(session, actor, member_id))


Sort = Literal["-invited", "invited", "name", "-name", "-last_sent", "last_sent", "status", "-status"]


@dataclass
class PeopleFilters:
    """The roster's filters, as the list and its CSV export both read them from the query."""

    user_type: Literal["internal", "client"] | None = None
    status: Literal["pending", "active", "deactivated", "expired", "revoked"] | None = None
    role: Literal["owner", "admin", "member", "client"] | None = None
    product: str | None = None
    delivery: DeliveryFilter | None = None
    two_step: Literal["set_up", "not_set_up"] | None = None
    invited_by: uuid.UUID | None = None
    q: str | None = None
    sort: Sort = "-invited"


@router.get(
    "/portals/{portal}/people",
    response_model=PeoplePage,
    operation_id="people_list",
    responses=problems(PermissionDenied, InvalidInput),
)
def list_people(
    actor: ActorDep,
    session: SessionDep,
    filters: Annotated[PeopleFilters, Depends()],
    cursor: str | None = None,
    limit: Limit = 50,
) -> PeoplePage:
    """The roster User Management shows: members, open invitations and pending link sign-ups
    in one list, one row per person, newest first unless ``sort`` says otherwise (``name``,
    ``-name``, ``invited``, ``-last_sent``, ``status``…), with the total the filters match.
    ``q`` matches a name, an email or (three digits or more) a phone number; ``two_step``
    (``set_up``, ``not_set_up``) lists members only, by whether they have an authenticator app."""
    page = people_roster.roster(session, actor, cursor=cursor, limit=limit, **asdict(filters))
    return PeoplePage(
        items=[PersonRead.of(r) for r in page.items], next_cursor=page.next_cursor, total=page.total
    )


@router.get(
    "/portals/{portal}/people.csv",
    operation_id="people_export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **problems(PermissionDenied, InvalidInput)},
)
def export_people(
    request: Request, actor: ActorDep, session: SessionDep, filters: Annotated[PeopleFilters, Depends()]
) -> StreamingResponse:
    """The whole roster the filters match, as CSV (one row per person, in the list's order),
    streamed a page at a time with flat memory."""
    # The filters are checked here, so a refused one answers its error before the download
    # starts; the rows are read while streaming, in a session of the stream's own.
    people_roster.roster(session, actor, limit=1, count=False, **asdict(filters))
    db = get_db(request)

    def rows() -> Iterator[Listed]:
        with db.unit_of_work() as stream_session:
            yield from people_roster.export(stream_session, actor, **asdict(filters))

    stamp = context.of(session).clock.now().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        people_csv.lines(rows()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="people-{actor.portal.slug}-{stamp}.csv"'},
    )


@router.post(
    "/portals/{portal}/people/bulk",
    response_model=BulkJobRead,
    status_code=202,
    operation_id="people_bulk_start",
    responses=problems(PermissionDenied, InvalidInput),
)
def start_bulk(
    body: BulkRequest, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> BulkJobRead | Response:
    """Resend, Revoke or Deactivate many people at once: the rows ``ids`` names, or every row
    ``filter`` matches that the action applies to. Answers the queued job; poll
    ``GET …/people/bulk/{id}`` for its progress. Each row gets exactly the single action's
    checks; one that fails is counted by its error code and the others go on."""

    def start() -> BulkJobRead:
        filters = body.filter.model_dump() if body.filter is not None else None
        job = people_bulk.start(session, actor, body.action, ids=body.ids, filters=filters)
        return BulkJobRead.of(job, people_bulk.skipped_said(session, job), [])

    return once(session, actor, start, body=body)


@router.get(
    "/portals/{portal}/people/bulk-preview",
    response_model=BulkPreviewRead,
    operation_id="people_bulk_preview",
    responses=problems(PermissionDenied, InvalidInput),
)
def preview_bulk(
    actor: ActorDep, session: SessionDep, filters: Annotated[PeopleFilters, Depends()]
) -> BulkPreviewRead:
    """Before ``POST …/people/bulk`` with a ``filter``: how many rows the filters match, and how
    many of them each action would take (the others it skips), for the actions this caller may
    take. User Management asks it when someone presses "Select all N matching"."""
    wanted = {k: v for k, v in asdict(filters).items() if k != "sort"}
    total, applies = people_bulk.matching_counts(session, actor, wanted)
    return BulkPreviewRead(total=total, applies=applies)


@router.get(
    "/portals/{portal}/people/bulk/{job_id}",
    response_model=BulkJobRead,
    operation_id="people_bulk_get",
    responses=problems(PermissionDenied, BulkJobNotFound),
)
def get_bulk(job_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> BulkJobRead:
    """A bulk action's progress: ``{status, total, done, counts}``, and once a row is skipped,
    who and why (``skips``)."""
    job = bulk_service.get_or_raise(session, actor, job_id)
    return BulkJobRead.of(
        job, people_bulk.skipped_said(session, job), people_bulk.skipped_people(session, actor, job)
    )


@router.get(
    "/portals/{portal}/people/deliveries",
    response_model=PeopleDeliveries,
    operation_id="people_deliveries",
    responses=problems(PermissionDenied, InvalidInput),
)
def people_deliveries(
    actor: ActorDep,
    session: SessionDep,
    ids: Annotated[
        list[uuid.UUID],
        Query(
            description=f"Roster row ids (invitations', sign-ups'), repeated: `?ids=…&ids=…`; "
            f"at most {people_roster.MAX_DELIVERIES}."
        ),
    ] = [],  # noqa: B006 - FastAPI copies a default
) -> PeopleDeliveries:
    """The delivery of several roster rows at once, as each row's own ``GET`` gives it: an
    invitation's newest message, a sign-up's newest confirmation email. User Management asks it
    once a round for every badge still queued. A row unknown, of another portal, or not the
    caller's to see (as the roster leaves it out) is left out of ``items``; more ids than the
    limit is 422 on ``ids``."""
    return PeopleDeliveries.of(people_roster.deliveries(session, actor, ids))


@router.get(
    "/portals/{portal}/people/suggestions",
    response_model=PeopleMatches,
    operation_id="people_suggest",
    responses=problems(PermissionDenied, InvalidInput, WorkspaceNotFound),
)
def search_people(
    actor: ActorDep,
    session: SessionDep,
    q: str = "",
    user_type: Literal["internal", "client"] | None = None,
    workspace_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit = 10,
) -> PeopleMatches:
    """Suggestions as you type a name, email or phone: this portal's active members only, by
    name, ``limit`` at a time (``next_cursor`` for more). With ``workspace_id`` (a workspace's
    Invite panel), each says whether they are ``in_workspace`` already, and the one asking is
    not suggested (``flows.workspace_people.suggestions``)."""
    if workspace_id is None:
        matches, next_cursor = members_service.search_people(
            session, actor, q, user_type=user_type, cursor=cursor, limit=limit
        )
        return PeopleMatches(items=[PersonSuggested.of(m) for m in matches], next_cursor=next_cursor)
    matches, here, next_cursor = workspace_people.suggestions(
        session, actor, workspace_id, q, user_type=user_type, cursor=cursor, limit=limit
    )
    items = [PersonSuggested.of(m).model_copy(update={"in_workspace": m.user_id in here}) for m in matches]
    return PeopleMatches(items=items, next_cursor=next_cursor)
