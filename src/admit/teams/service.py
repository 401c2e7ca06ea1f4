"""Internal teams and client groups: named sets of people in a portal.

A **team** holds internal users and only owners and admins manage teams (they are part of how
the company is organised). A **client group** holds clients and any internal user manages one.
Everyone internal may see both.

Putting new addresses into a client group (which invites them) is ``flows.groups``; adding a
team or group to a workspace is ``flows.workspace_people.add_people(team_ids=…)``.

Whoever may create a team or group may rename or delete it. Deleting is soft (``deleted_at``):
its people stay in the portal and in every workspace they already joined or were invited to
(adding a team to a workspace adds its people one by one, so their memberships do not depend on
it); it is gone from every list and can no longer be added to a workspace, resent to or
renamed. Its rows stay for the history (the audit log, the memberships that came through it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.errors import InvalidInput, MemberNotFound, TeamExists, TeamNotFound, at_most_characters
from admit.kit import names
from admit.kit.pagination import page
from admit.kit.text import readable_phone
from admit.policy import UserType
from admit.teams.models import CLIENT_GROUP, KINDS, NAME_INDEX, TEAM, Team, TeamMember

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User


__all__ = [
    "WORDS",
    "Entry",
    "add_members",
    "by_ids",
    "create",
    "delete",
    "find_member",
    "get_or_raise",
    "list_teams",
    "manage_action",
    "member_type",
    "members_of",
    "remove_members",
    "rename",
    "with_people",
    "wrong_type",
]

MAX_NAME = 200
WORDS: dict[str, str] = {TEAM: "team", CLIENT_GROUP: "client group"}


@dataclass(slots=True)
class Entry:
    """One person to put in a team: what was asked for, the user, what to report, and where in
    the request they were asked for (``flows.people_asked.At``'s ``index`` and ``position``)."""

    asked: str
    user: User
    outcome: str  # added | invited
    detail: str = ""
    index: int | None = None
    position: int | None = None
    name: str = ""  # typed for someone put in uninvited (``TeamMember.name``)


def manage_action(kind: str) -> policy.Action:
    return policy.Action.TEAM_MANAGE if kind == TEAM else policy.Action.CLIENT_GROUP_MANAGE


def member_type(kind: str) -> UserType:
    """Teams hold internal users; client groups hold clients."""
    return UserType.INTERNAL if kind == TEAM else UserType.CLIENT


def wrong_type(kind: str, label: str, user_type: str, *, invited: bool = False) -> str | None:
    """Why a team (``kind``) does not take a person of ``user_type``, in words, or None when it
    does: teams hold internal users, client groups hold clients (``member_type``). Someone still
    invited to the portal (``invited``) is of the type of their invitation. The one rule, for
    putting people in a team and for adding a team's people to a workspace."""
    if user_type == member_type(kind):
        return None
    who = f"{readable_phone(label)} is {'invited as ' if invited else ''}"
    if kind == TEAM:
        return f"{who}a client; teams hold internal users (use a client group)."
    return f"{who}an internal user; client groups hold clients (use a team)."


def get_or_raise(session: Session, actor: Actor, team_id: uuid.UUID, *, kind: str | None = None) -> Team:
    """A team or client group of the actor's portal (internal users only); 404 otherwise."""
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    team = session.get(Team, team_id)
    if (
        team is None
        or team.deleted_at is not None
        or team.portal_id != actor.portal.id
        or (kind is not None and team.kind != kind)
    ):
        word = WORDS.get(kind or "", "team or client group")
        raise TeamNotFound(f"No such {word} in this portal.")
    return team


def by_ids(session: Session, team_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Team]:
    """``{team_id: Team}`` for the given ids (one query); deleted ones are left out."""
    ids = list({i for i in team_ids if i is not None})
    if not ids:
        return {}
    query = select(Team).where(Team.id.in_(ids), Team.deleted_at.is_(None))
    return {t.id: t for t in session.scalars(query)}


def list_teams(
    session: Session, actor: Actor, *, kind: str, cursor: str | None = None, limit: int = 100
) -> tuple[list[Team], str | None]:
    """The portal's teams (or client groups), newest first: ``(teams, next_cursor)``."""
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    query = select(Team).where(
        Team.portal_id == actor.portal.id, Team.kind == kind, Team.deleted_at.is_(None)
    )
    return page(session, query, Team, cursor=cursor, limit=limit)


def members_of(session: Session, team_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[TeamMember]]:
    """``{team_id: [TeamMember, …]}`` in the order they were added."""
    ids = list(team_ids)
    out: dict[uuid.UUID, list[TeamMember]] = {i: [] for i in ids}
    if ids:
        for tm in session.scalars(
            select(TeamMember)
            .where(TeamMember.team_id.in_(ids))
            .order_by(TeamMember.created_at, TeamMember.id)
        ):
            out[tm.team_id].append(tm)
    return out


def with_people(session: Session, team_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``team_ids`` that have anyone in them (one query): adding one of the others to a
    workspace would add nobody."""
    ids = list(team_ids)
    if not ids:
        return set()
    return set(session.scalars(select(TeamMember.team_id).where(TeamMember.team_id.in_(ids)).distinct()))


def _clean_name(kind: str, name: str | None) -> str:
    """A team's or group's name, tidy (``kit.names.tidy``); errors name the field. The one rule,
    at creation and at rename."""
    name = names.tidy(name)
    if not name:
        raise InvalidInput(f"The {WORDS[kind]} needs a name.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(at_most_characters(MAX_NAME, name), field="name")
    return name


def find_same_name(
    session: Session, portal_id: uuid.UUID, *, kind: str, name: str, other_than: uuid.UUID | None = None
) -> str | None:
    """The name of the live team (or client group) of the portal whose name is the same as
    ``name`` (``kit.names``: whatever its case and spacing), leaving out ``other_than``; None if
    none."""
    rows = session.execute(
        select(Team.id, Team.name).where(
            Team.portal_id == portal_id, Team.kind == kind, Team.deleted_at.is_(None)
        )
    )
    found = names.same(name, ((r.id, r.name) for r in rows), other_than=other_than)
    return found[1] if found is not None else None


def _taken(kind: str, existing: str) -> TeamExists:
    return TeamExists(f"A {WORDS[kind]} named “{existing}” exists already.", field="name")


def _save_name(session: Session, team: Team, name: str) -> None:
    """Write ``team`` with ``name``, unless a live team (or group) of the portal has the same
    name (``kit.names.save_unique``: the check, and the unique index on the lowered name when
    two requests ask at once)."""

    def write() -> None:
        team.name = name
        session.add(team)

    names.save_unique(
        session,
        write,
        name=name,
        index=NAME_INDEX,
        taken_by=lambda: find_same_name(
            session, team.portal_id, kind=team.kind, name=name, other_than=team.id
        ),
        refusal=lambda existing: _taken(team.kind, existing),
    )


def create(session: Session, actor: Actor, *, kind: str, name: str) -> Team:
    """Create an empty team (``kind="team"``) or client group (``"client_group"``)."""
    if kind not in KINDS:
        raise InvalidInput.not_one_of("kind", KINDS)
    policy.require(actor.role, manage_action(kind))
    name = _clean_name(kind, name)
    team = Team(portal_id=actor.portal.id, kind=kind, created_by_id=actor.user_id)
    _save_name(session, team, name)
    audit_service.record(
        session, actor, f"{kind}.created", target_type=kind, target_id=team.id, target_label=name
    )
    return team


def rename(session: Session, actor: Actor, team_id: uuid.UUID, *, kind: str, name: str) -> Team:
    """Give a team or client group another name (the rules of ``create``); audited."""
    team = get_or_raise(session, actor, team_id, kind=kind)
    policy.require(actor.role, manage_action(team.kind))
    name = _clean_name(team.kind, name)
    before = team.name
    if name == before:
        return team
    _save_name(session, team, name)
    audit_service.record(
        session,
        actor,
        f"{team.kind}.renamed",
        target_type=team.kind,
        target_id=team.id,
        target_label=name,
        detail={"from": before, "to": name},
    )
    return team


def delete(session: Session, actor: Actor, team_id: uuid.UUID, *, kind: str) -> Team:
    """Delete a team or client group (see the module: its people keep what they have). Audited
    with how many people it held; deleting it again is 404."""
    team = get_or_raise(session, actor, team_id, kind=kind)
    policy.require(actor.role, manage_action(team.kind))
    team.deleted_at = context.of(session).clock.now()
    held = len(members_of(session, [team.id])[team.id])
    audit_service.record(
        session,
        actor,
        f"{team.kind}.deleted",
        target_type=team.kind,
        target_id=team.id,
        target_label=team.name,
        detail={"members": held},
    )
    session.flush()
    return team


def add_members(session: Session, actor: Actor, team: Team, entries: list[Entry]) -> list[tuple[Entry, bool]]:
    """Put people in a team (the caller has checked they belong in it); returns each entry and
    whether it was added (False: already in the team). Audited once."""
    policy.require(actor.role, manage_action(team.kind))
    already = {tm.user_id for tm in members_of(session, [team.id])[team.id]}
    out = []
    added = []
    for entry in entries:
        if entry.user.id in already:
            out.append((entry, False))
            continue
        already.add(entry.user.id)
        session.add(
            TeamMember(team_id=team.id, user_id=entry.user.id, added_by_id=actor.user_id, name=entry.name)
        )
        added.append(entry.user.address)
        out.append((entry, True))
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
    return out


def find_member(
    session: Session, actor: Actor, team_id: uuid.UUID, user_id: uuid.UUID, *, kind: str
) -> tuple[Team, TeamMember]:
    """A team or client group and one person in it, for whoever may change its people (as they
    may add to it: ``manage_action``); 404 when the team is not found (``get_or_raise``) or
    they are not in it."""
    team = get_or_raise(session, actor, team_id, kind=kind)
    policy.require(actor.role, manage_action(team.kind))
    found = next((tm for tm in members_of(session, [team.id])[team.id] if tm.user_id == user_id), None)
    if found is None:
        raise MemberNotFound(f"No such person in this {WORDS[team.kind]}.")
    return team, found


def remove_members(session: Session, actor: Actor, team: Team, user_ids: Iterable[uuid.UUID]) -> int:
    """Take people out of a team (they stay in the portal and in every workspace they are in:
    ``flows.groups.take_out`` says there that they no longer came with it); returns how many
    were in it. Audited once."""
    policy.require(actor.role, manage_action(team.kind))
    ids = set(user_ids)
    gone = [tm for tm in members_of(session, [team.id])[team.id] if tm.user_id in ids]
    for tm in gone:
        session.delete(tm)
    if gone:
        audit_service.record(
            session,
            actor,
            f"{team.kind}.members_removed",
            target_type=team.kind,
            target_id=team.id,
            target_label=team.name,
            detail={"removed": [tm.user.address for tm in gone][:100], "count": len(gone)},
        )
    session.flush()
    return len(gone)
