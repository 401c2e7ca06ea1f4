"""Teams and client groups with their people: existing members join at once; someone invited to
the portal and not joined yet joins as they are (of the type of their invitation: a team takes
those invited as internal users, a client group those invited as clients); new addresses given
for a client group are invited into the portal as clients (through the invitation pipeline), or,
when the group is about to be added to a workspace, join it uninvited so that the workspace's
invitation is their one message. A team invites no one.

Taking someone out (``remove_member``, ``take_out``) keeps them in the portal and in every
workspace they are in, even one the team brought them to: they are there on their own from then
on (``workspaces.service.forget_team``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from admit import policy
from admit.actor import Actor
from admit.flows.people_asked import At, at, check_someone_asked, in_order_asked, skipped, sort_asked
from admit.invitations import pipeline, repository
from admit.invitations.codes import AddSkipCode, SkipCode
from admit.invitations.options import check_options
from admit.invitations.pipeline import Outcome, Recipient, RecipientResult
from admit.kit.text import readable_phone
from admit.members import service as members_service
from admit.members.models import User
from admit.policy import UserType
from admit.teams import service as teams_service
from admit.teams.models import TEAM, Team
from admit.workspaces import service as workspaces_service

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from admit.invitations.models import Invitation


__all__ = ["TeamChange", "add_members", "create", "remove_member", "take_out"]

# Why a team does not take a new address: it invites no one.
NOT_INVITED = (
    "Not in the portal and not invited to it: teams invite no one. Invite them first "
    "(User Management), then add them."
)
# What a team says of someone put in it who was invited to the portal and has not joined.
INVITED_NOT_JOINED = "Invited to the portal, not joined yet."


@dataclass(slots=True)
class TeamChange:
    team: Team
    results: list[RecipientResult] = field(default_factory=list)
    # The names typed for those who joined uninvited (``invite=False``), by address: adding the
    # group to a workspace puts them on their invitations (``workspace_people.add_people``).
    names: dict[str, str] = field(default_factory=dict)
    # The standing portal invitation of those put in a team before they joined, by user id:
    # their result carries it (every face shows it, and its delivery).
    invitations: dict[uuid.UUID, Invitation] = field(default_factory=dict)


def create(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    name: str,
    user_ids: list[uuid.UUID] | None = None,
    recipients: list[str] | str | None = None,
    invite: bool = True,
    someone: bool = False,
) -> TeamChange:
    """Create a team (``kind="team"``) or client group (``"client_group"``) with its people.

    ``invite=False`` (a group about to be added to a workspace): new addresses join the group
    uninvited, and adding the group to the workspace invites them, naming the workspace.
    ``someone``: one of nobody is refused (``check_someone_asked``; a group invited through
    Contacts' "+"); otherwise a team or group may start empty."""
    team = teams_service.create(session, actor, kind=kind, name=name)
    return _add(
        session, actor, team, user_ids=user_ids, recipients=recipients, invite=invite, someone=someone
    )


def add_members(
    session: Session,
    actor: Actor,
    team_id: uuid.UUID,
    *,
    user_ids: list[uuid.UUID] | None = None,
    recipients: list[str] | str | None = None,
    kind: str | None = None,
    invite: bool = True,
) -> TeamChange:
    """Add people to a team or client group; each gets its own result.

    Teams take internal users in the portal, and those invited to it as internal users who have
    not joined yet (``added``, with their invitation); a new address is ``not_found``. Client
    groups take existing clients, and new addresses, which are invited into the portal as
    clients (one invitation each). Asking for nobody is refused (``check_someone_asked``).
    """
    team = teams_service.get_or_raise(session, actor, team_id, kind=kind)
    return _add(session, actor, team, user_ids=user_ids, recipients=recipients, invite=invite, someone=True)


def _add(
    session: Session,
    actor: Actor,
    team: Team,
    *,
    user_ids: list[uuid.UUID] | None,
    recipients: list[str] | str | None,
    invite: bool,
    someone: bool = False,
) -> TeamChange:
    policy.require(actor.role, teams_service.manage_action(team.kind))
    if someone:
        check_someone_asked(recipients, user_ids)
    asked = sort_asked(session, actor.portal.id, recipients=recipients, user_ids=user_ids)
    change = TeamChange(team=team, results=list(asked.skipped))
    entries: list[teams_service.Entry] = []

    def entry(asked_as: str, user: User, outcome: Outcome, detail: str, place: At, name: str = "") -> None:
        entries.append(
            teams_service.Entry(asked_as, user, outcome, detail, place.index, place.position, name)
        )

    for found in asked.existing:
        member = found.member
        wrong = teams_service.wrong_type(team.kind, member.user.label, member.user_type)
        if wrong is not None:
            change.results.append(
                skipped(found.label, AddSkipCode.WRONG_USER_TYPE, wrong, user_id=member.user_id, at=found.at)
            )
        else:
            entry(found.label, member.user, Outcome.ADDED, "", found.at)
    # Not in the portal yet but invited to it: of the type of their invitation, which a team
    # takes only as an internal user and a client group only as a client.
    asked.new = _of_type(session, actor, team, asked.new, change.results)

    if asked.new and team.kind == TEAM:
        _invited_into_team(session, actor, change, asked.new, entry)
    elif asked.new and not invite:
        policy.require(actor.role, policy.Action.INVITE_CLIENT)
        new = [r for r in asked.new if r.address is not None]  # sort_asked: all of them
        users = members_service.get_or_create_users(session, [r.address for r in new if r.address])
        for person in new:
            assert person.address is not None
            if person.name:
                change.names[person.address] = person.name
            entry(
                person.raw,
                users[person.address],
                Outcome.ADDED,
                "Not invited yet.",
                At(person.index, person.position),
                person.name,
            )
    elif asked.new:
        options = check_options(actor, user_type=UserType.CLIENT)
        batch = pipeline.invite(session, actor, asked.new, options, via="client_group")
        placed = [r.address for r in batch.results if r.invitation is not None and r.address is not None]
        invited = members_service.get_or_create_users(session, placed)
        for r in batch.results:
            if r.outcome is Outcome.INVITED:
                assert r.address is not None  # invited: an address
                entry(r.recipient, invited[r.address], Outcome.INVITED, "", at(r))
            elif r.code is SkipCode.ALREADY_INVITED:
                # Put in the group as they are, nothing sent: added (it said "invited").
                assert r.address is not None
                entry(r.recipient, invited[r.address], Outcome.ADDED, INVITED_NOT_JOINED, at(r))
            else:
                change.results.append(r)
                continue
            if r.invitation is not None:  # the one made, or the one that stands: their result's
                change.invitations[invited[r.address].id] = r.invitation

    for done, added in teams_service.add_members(session, actor, team, entries):
        place = At(done.index, done.position)
        if added:
            change.results.append(
                RecipientResult(
                    recipient=done.asked,
                    outcome=Outcome(done.outcome),
                    detail=done.detail,
                    address=done.user.address,
                    invitation=change.invitations.get(done.user.id),
                    user_id=done.user.id,
                    index=place.index,
                    position=place.position,
                )
            )
        else:
            change.results.append(
                skipped(
                    done.asked,
                    AddSkipCode.ALREADY_IN_TEAM,
                    f"{readable_phone(done.user.address)} is already in this "
                    f"{teams_service.WORDS[team.kind]}.",
                    user_id=done.user.id,
                    at=place,
                )
            )
    change.results = in_order_asked(change.results)
    return change


def _of_type(
    session: Session, actor: Actor, team: Team, new: list[Recipient], results: list[RecipientResult]
) -> list[Recipient]:
    """``new`` without those whose pending portal invitation is of a type ``team`` does not take
    (each skipped as ``wrong_user_type`` into ``results``)."""
    standing = repository.pending_by_address(session, actor.portal.id, [r.address for r in new])
    kept = []
    for r in new:
        invitation = standing.get(r.address) if r.address else None
        label = invitation.recipient_name or invitation.recipient if invitation else ""
        wrong = (
            None
            if invitation is None
            else teams_service.wrong_type(team.kind, label, invitation.user_type, invited=True)
        )
        if wrong is None:
            kept.append(r)
        else:
            results.append(skipped(r.raw, AddSkipCode.WRONG_USER_TYPE, wrong, at=At(r.index, r.position)))
    return kept


def _invited_into_team(
    session: Session,
    actor: Actor,
    change: TeamChange,
    new: list[Recipient],
    entry: Callable[[str, User, Outcome, str, At], None],
) -> None:
    """A team's people not in the portal (``_of_type`` left those invited as internal users):
    each with a pending invitation joins the team as they are (they are in it when they join);
    the others are ``not_found``, as a team invites no one."""
    standing = repository.live_by_address(session, actor.portal.id, [r.address for r in new])
    users = members_service.get_or_create_users(session, [r.address for r in new if r.address in standing])
    for r in new:
        place = At(r.index, r.position)
        invitation = standing.get(r.address) if r.address else None
        if invitation is None or r.address is None:
            change.results.append(skipped(r.raw, AddSkipCode.NOT_FOUND, NOT_INVITED, at=place))
            continue
        user = users[r.address]
        change.invitations[user.id] = invitation
        entry(r.raw, user, Outcome.ADDED, INVITED_NOT_JOINED, place)


def take_out(session: Session, actor: Actor, team: Team, user_ids: list[uuid.UUID]) -> int:
    """Take people out of a team or client group (``teams.service.remove_members``), every way
    (the API, the Contacts page, an HR system, SCIM): they keep every workspace they are in, on
    their own from now (``workspaces.service.forget_team``). Returns how many were in it."""
    gone = teams_service.remove_members(session, actor, team, user_ids)
    if gone:
        workspaces_service.forget_team(session, team.id, user_ids)
    return gone


def remove_member(
    session: Session, actor: Actor, team_id: uuid.UUID, user_id: uuid.UUID, *, kind: str
) -> tuple[Team, User]:
    """Take one person out of a team or client group (``take_out``); 404 when the team or the
    person in it is not found. Returns the team and the person."""
    team, found = teams_service.find_member(session, actor, team_id, user_id, kind=kind)
    take_out(session, actor, team, [user_id])
    return team, found.user
