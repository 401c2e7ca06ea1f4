"""Internal teams and client groups: named sets of people in a portal.

A **team** holds internal users and only owners and admins manage teams (they are part of how
the company is organised). A **client group** holds clients and any internal user manages one;
a new address given for a group is invited into the portal as a client and joins the group at
once (their row there is "Not Joined" until they accept). Everyone internal may see both.

Adding a team or group to a workspace is ``workspaces.people.add_people(team_ids=…)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.errors import Conflict, InvalidInput, NotFound
from admit.invitations import service as invitations_service
from admit.members import service as members_service
from admit.members.addresses import parse_recipient, split_recipients
from admit.members.models import Member, User
from admit.policy import UserType
from admit.teams.models import CLIENT_GROUP, KINDS, TEAM, Team, TeamMember

__all__ = ["add_members", "create", "get_or_raise", "list_teams", "members_of", "TeamChange"]

MAX_NAME = 200
MAX_PEOPLE_PER_REQUEST = invitations_service.MAX_RECIPIENTS_PER_REQUEST  # 1000
WORDS = {TEAM: "team", CLIENT_GROUP: "client group"}


@dataclass(slots=True)
class PersonOutcome:
    recipient: str
    outcome: str  # added | invited | skipped
    user_id: object = None
    code: str | None = None
    detail: str = ""


@dataclass(slots=True)
class TeamChange:
    team: Team
    results: list[PersonOutcome] = field(default_factory=list)


def _manage_action(kind: str) -> policy.Action:
    return policy.Action.TEAM_MANAGE if kind == TEAM else policy.Action.CLIENT_GROUP_MANAGE


def _member_type(kind: str) -> str:
    return UserType.INTERNAL if kind == TEAM else UserType.CLIENT


def get_or_raise(session: Session, actor: Actor, team_id, *, kind: str | None = None) -> Team:
    """A team or client group of the actor's portal (internal users only); 404 otherwise."""
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    team = session.get(Team, team_id)
    if team is None or team.portal_id != actor.portal.id or (kind is not None and team.kind != kind):
        word = WORDS.get(kind or "", "team or client group")
        raise NotFound(f"No such {word} in this portal.", code="team_not_found")
    return team


def list_teams(session: Session, actor: Actor, *, kind: str) -> list[Team]:
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    return list(
        session.scalars(
            select(Team).where(Team.portal_id == actor.portal.id, Team.kind == kind).order_by(Team.name)
        )
    )


def members_of(session: Session, team_ids) -> dict:
    """``{team_id: [TeamMember, …]}`` in the order they were added."""
    ids = list(team_ids)
    out: dict = {i: [] for i in ids}
    if ids:
        for tm in session.scalars(
            select(TeamMember)
            .where(TeamMember.team_id.in_(ids))
            .order_by(TeamMember.created_at, TeamMember.id)
        ):
            out[tm.team_id].append(tm)
    return out


def create(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    name: str,
    user_ids: list | None = None,
    recipients: list[str] | str | None = None,
    invite: bool = True,
) -> TeamChange:
    """Create a team (``kind="team"``) or client group (``"client_group"``) with its people.

    ``invite=False`` (a group about to be added to a workspace): new addresses join the group
    uninvited, and adding the group to the workspace invites them, naming the workspace."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}.", field="kind")
    policy.require(actor.role, _manage_action(kind))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(f"The {WORDS[kind]} needs a name.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"The name is at most {MAX_NAME} characters.", field="name")
    team = Team(portal_id=actor.portal.id, kind=kind, name=name, created_by_id=actor.user_id)
    try:
        with session.begin_nested():
            session.add(team)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A {WORDS[kind]} named “{name}” already exists.", code="team_exists") from exc
    audit_service.record(
        session, actor, f"{kind}.created", target_type=kind, target_id=team.id, target_label=name
    )
    return add_members(
        session, actor, team.id, user_ids=user_ids, recipients=recipients, kind=kind, invite=invite
    )


def add_members(
    session: Session,
    actor: Actor,
    team_id,
    *,
    user_ids: list | None = None,
    recipients: list[str] | str | None = None,
    kind: str | None = None,
    invite: bool = True,
) -> TeamChange:
    """Add people to a team or client group; each gets its own result.

    Teams take existing internal users only. Client groups take existing clients, and new
    addresses, which are invited into the portal as clients (one invitation each).
    """
    team = get_or_raise(session, actor, team_id, kind=kind)
    policy.require(actor.role, _manage_action(team.kind))
    wanted_type = _member_type(team.kind)
    raw = split_recipients(recipients or [])
    ids = list(dict.fromkeys(user_ids or []))
    if len(raw) + len(ids) > MAX_PEOPLE_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_PEOPLE_PER_REQUEST} people per request.", field="recipients")
    change = TeamChange(team=team)
    already = {tm.user_id for tm in members_of(session, [team.id])[team.id]}
    people: list[tuple[str, User, str, str]] = []  # (what was asked, user, outcome, detail)
    parsed_all = [parse_recipient(text) for text in raw]
    users = members_service.users_by_address(session, {p.address for p in parsed_all if p.address})
    active = members_service.active_members(session, actor.portal.id, [*ids, *(u.id for u in users.values())])

    for user_id in ids:
        member = active.get(user_id)
        if member is None:
            change.results.append(
                PersonOutcome(
                    str(user_id), "skipped", code="not_found", detail="No such person in this portal."
                )
            )
        elif member.user_type != wanted_type:
            change.results.append(_wrong_type(str(user_id), member, team.kind))
        else:
            people.append((str(user_id), member.user, "added", ""))

    new_people: list[str] = []
    seen: set[str] = set()
    for parsed in parsed_all:
        address = parsed.address
        if address is None:
            change.results.append(
                PersonOutcome(parsed.raw, "skipped", code="invalid_recipient", detail=parsed.error or "")
            )
            continue
        if address in seen:
            change.results.append(
                PersonOutcome(parsed.raw, "skipped", code="duplicate", detail="Listed more than once.")
            )
            continue
        seen.add(address)
        user = users.get(address)
        member = active.get(user.id) if user is not None else None
        if member is not None:
            if member.user_type != wanted_type:
                change.results.append(_wrong_type(parsed.raw, member, team.kind))
            else:
                people.append((parsed.raw, user, "added", ""))
        elif team.kind == TEAM:
            change.results.append(
                PersonOutcome(
                    parsed.raw,
                    "skipped",
                    code="not_found",
                    detail="Teams take internal users already in the portal; invite them first.",
                )
            )
        else:
            new_people.append(parsed.raw)

    if new_people and not invite:
        policy.require(actor.role, policy.Action.INVITE_CLIENT)
        addresses = {text: parse_recipient(text).address for text in new_people}
        made = members_service.get_or_create_users(session, list(addresses.values()))
        for text, address in addresses.items():
            people.append((text, made[address], "added", "Not invited yet."))
        new_people = []
    if new_people:
        invited = invitations_service.invite(session, actor, recipients=new_people, user_type=UserType.CLIENT)
        made = members_service.get_or_create_users(session, [inv.recipient for inv in invited.invited])
        for inv in invited.invited:
            people.append((inv.recipient, made[inv.recipient], "invited", ""))
        for skip in invited.skipped:
            if skip.code == "already_invited":
                parsed = parse_recipient(skip.recipient)
                user = members_service.get_or_create_user(session, parsed.address)
                people.append((skip.recipient, user, "invited", skip.detail))
            else:
                change.results.append(
                    PersonOutcome(skip.recipient, "skipped", code=skip.code, detail=skip.detail)
                )

    added = []
    for asked, user, outcome, detail in people:
        if user.id in already:
            change.results.append(
                PersonOutcome(
                    asked,
                    "skipped",
                    user_id=user.id,
                    code="already_in_team",
                    detail=f"{user.address} is already in this {WORDS[team.kind]}.",
                )
            )
            continue
        already.add(user.id)
        session.add(TeamMember(team_id=team.id, user_id=user.id, added_by_id=actor.user_id))
        added.append(user.address)
        change.results.append(PersonOutcome(asked, outcome, user_id=user.id, detail=detail))
    if added:
        audit_service.record(
            session,
            actor,
            f"{team.kind}.members_added",
            target_type=team.kind,
            target_id=team.id,
            target_label=team.name,
            detail={"added": added[:100], "count": len(added)},
        )
    session.flush()
    return change


def _wrong_type(asked: str, member: Member, kind: str) -> PersonOutcome:
    if kind == TEAM:
        detail = f"{member.user.label} is a client; teams hold internal users (use a client group)."
    else:
        detail = f"{member.user.label} is an internal user; client groups hold clients (use a team)."
    return PersonOutcome(asked, "skipped", user_id=member.user_id, code="wrong_user_type", detail=detail)
