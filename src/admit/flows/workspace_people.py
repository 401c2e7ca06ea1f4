"""Bringing people into a workspace, nudging those who have not joined, and giving a flow's role
to someone new.

``add_people`` is what **Invite** under a workspace's cover does, whatever was picked: people
already in the portal (by id, or by the address typed), whole internal teams and client groups,
and new addresses (email or phone), who are invited into the portal and this workspace in one
step through the invitation pipeline. Every person gets one ``RecipientResult``:

- ``added``: already active in the portal; in the workspace at once (``joined``), the
  workspace appears at the top of their timeline and they get a message saying so;
- ``invited``: new to the portal; a portal invitation (email or SMS) sent now, that lands them
  here once accepted, and ``not_joined`` until then;
- ``skipped``, with a code: ``already_invited`` (invited to the portal already: ``not_joined``
  here on the invitation that stands, nothing sent; ``placed`` says so),
  ``already_in_workspace`` (never a duplicate), ``wrong_user_type`` (a team's or client group's
  person it does not take: ``teams.service.wrong_type``), ``invalid_recipient``, ``duplicate``,
  ``not_found``, ``not_invitable``, or what the pipeline refused.

Who may add whom is policy's: any internal user of the workspace adds existing people and new
clients; only owners and admins invite new internal users. Asking for new internal users
without that right refuses the whole request before anything is written.

``resend`` (one member) and ``resend_team`` (a team's or group's row) reissue the portal
invitation of those not joined: one new message each, every earlier link dead. Each person
gets a ``RecipientResult`` too: ``resent``, or (on a row) ``skipped`` with ``already_joined``,
``no_invitation``, ``member_deactivated``, ``address_suppressed``, ``not_allowed`` or
``recipient_rate_limited`` (sent a message a moment ago: the others on the row still get theirs).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from admit import policy
from admit.actor import Actor
from admit.errors import (
    AddressSuppressed,
    AlreadyJoined,
    Conflict,
    DomainError,
    InvalidInput,
    MemberDeactivated,
    MemberNotFound,
    NoInvitation,
    NotFound,
    PermissionDenied,
    RateLimited,
    RecipientRateLimited,
    TeamNotFound,
    WorkspaceNotFound,
)
from admit.flows.people_asked import NOWHERE, At, at, deactivated_skip, in_order_asked, sort_asked
from admit.flows.people_asked import skipped as _skipped
from admit.invitations import pipeline, repository, sending
from admit.invitations import service as invitations_service
from admit.invitations.codes import AddSkipCode, ResendSkipCode, ResultCode, SkipCode
from admit.invitations.models import ACCEPTED, REVOKED, Invitation
from admit.invitations.options import check_options
from admit.invitations.pipeline import Outcome, Recipient, RecipientResult
from admit.invitations.service import CheckedRecipient
from admit.kit.pagination import every
from admit.kit.text import readable_phone
from admit.members import service as members_service
from admit.members.addresses import split_recipients
from admit.members.models import Member, User
from admit.notifications import service as notifications_service
from admit.people import workspace as workspace_view
from admit.policy import UserType
from admit.portals import brand as portals_brand
from admit.teams import service as teams_service
from admit.teams.models import CLIENT_GROUP, TEAM, Team
from admit.workspaces import roles as roles_service
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import JOINED, NOT_JOINED, RoleAssignment, Workspace, WorkspaceMember

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sqlalchemy.orm import Session


__all__ = [
    "RESEND_ERRORS",
    "RESEND_MANY_ERRORS",
    "RESEND_TEAM_ERRORS",
    "add_people",
    "assign_role",
    "check_recipients",
    "invitation_revoked",
    "not_picked",
    "placed",
    "removable",
    "remove",
    "resend",
    "resend_many",
    "resend_team",
    "suggestions",
]

# How a workspace's already-invited details say to send the invitation again: the Members panel's
# button; a face without it says its own (``resend_here_said``).
RESEND_HERE = "Resend Invitation"

ALREADY_INVITED_HERE = (
    "Already invited to the portal, so nothing new was sent: they join this workspace when they accept"
    f" ({RESEND_HERE} sends them one naming it)."
)


def resend_here_said(detail: str, how: str) -> str:
    """A workspace's already-invited ``detail`` with the way to send the invitation again said as
    a face says it (``how``: the CLI's command), not the Members panel's Resend Invitation."""
    return detail.replace(RESEND_HERE, how)


@dataclass(slots=True)
class _Person:
    asked: str
    user: User
    joined: bool
    invitation: Invitation | None = None
    via_team_id: uuid.UUID | None = None
    fresh: bool = False  # a portal invitation was made for them just now
    at: At = NOWHERE  # where they were asked for (a team's or client group's person: nowhere)


def add_people(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    *,
    recipients: list[str] | str | None = None,
    user_ids: list[uuid.UUID] | None = None,
    team_ids: list[uuid.UUID] | None = None,
    group_ids: list[uuid.UUID] | None = None,
    user_type: str = UserType.CLIENT,
    names: Mapping[str, str] | None = None,
    clients: list[str] | None = None,
    flow_role: str | None = None,
) -> list[RecipientResult]:
    """Add people to a workspace (see the module's docstring); one result per person asked for.

    ``names``: by address, the names typed for a client group's people who joined it uninvited
    (``groups.TeamChange.names``), which go onto the invitations sent them here. ``clients``:
    addresses asked for as clients whatever ``user_type`` says (the Invite panel's address
    chips, carried along with a new internal user), asked for before ``recipients``.
    ``flow_role``: the role they are being given (Assign), which a new invitation names."""
    if clients and user_type != UserType.CLIENT:
        # Two asks in one transaction: the internal ones, then the clients (a refusal of either
        # writes nothing of both).
        first = add_people(
            session,
            actor,
            workspace_id,
            recipients=recipients,
            user_ids=user_ids,
            team_ids=team_ids,
            group_ids=group_ids,
            user_type=user_type,
            names=names,
        )
        return [*add_people(session, actor, workspace_id, recipients=clients), *first]
    if clients:
        typed = [recipients] if isinstance(recipients, str) else list(recipients or [])
        recipients = [*clients, *typed]
    policy.require(actor.role, policy.Action.WORKSPACE_ADD_MEMBERS)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    # Two people adding to one workspace at once take turns, so the second sees the first's
    # rows and answers already_in_workspace.
    workspaces_service.lock(session, workspace)
    policy.user_type_of(user_type)
    teams = _teams(session, actor, team_ids, TEAM, "team_ids") + _teams(
        session, actor, group_ids, CLIENT_GROUP, "group_ids"
    )
    if not (recipients or user_ids or teams):
        raise InvalidInput("Choose at least one person, team or client group.", field="recipients")
    portal_id = actor.portal.id
    team_members = teams_service.members_of(session, [t.id for t in teams])
    asked = sort_asked(
        session,
        portal_id,
        recipients=recipients,
        user_ids=user_ids,
        also=[tm.user_id for tms in team_members.values() for tm in tms],
    )
    if not (asked.existing or asked.new or asked.skipped or teams):
        raise InvalidInput("Choose at least one person, team or client group.", field="recipients")
    active = asked.active
    results: list[RecipientResult] = list(asked.skipped)
    people = [_Person(f.label, f.member.user, joined=True, at=f.at) for f in asked.existing]
    new_people = asked.new

    outside = [tm.user for tms in team_members.values() for tm in tms if tm.user_id not in active]
    pending = repository.pending_by_address(session, portal_id, [u.address for u in outside])
    uninvited: dict[str, uuid.UUID] = {}  # address -> the client group they come with
    given_names = dict(names or {})  # address -> the name typed for them (this request's, else the group's)
    for team in teams:
        for tm in team_members[team.id]:
            label = f"{team.name}: {tm.user.address}"
            member = active.get(tm.user_id)
            invitation = pending.get(tm.user.address) if tm.user.address else None
            wrong = _wrong_type(team, tm.user, member.user_type if member else None, invitation)
            if wrong is not None:
                results.append(wrong)
                continue
            if member is not None:
                people.append(_Person(label, tm.user, joined=True, via_team_id=team.id))
                continue
            if tm.user_id in asked.deactivated:
                results.append(deactivated_skip(label, user_id=tm.user_id, address=tm.user.address))
                continue
            if invitation is None and team.kind == CLIENT_GROUP and tm.user.address:
                # In the group but never invited (or the invitation lapsed): invite them now, as
                # clients, into the portal and this workspace.
                uninvited.setdefault(tm.user.address, team.id)
                if tm.name:
                    given_names.setdefault(tm.user.address, tm.name)
            elif invitation is None:
                results.append(
                    _skipped(
                        label,
                        AddSkipCode.NOT_INVITABLE,
                        "Not in the portal and no pending invitation; invite them first.",
                        user_id=tm.user_id,
                    )
                )
            else:
                people.append(
                    _Person(label, tm.user, joined=False, invitation=invitation, via_team_id=team.id)
                )

    if new_people:
        # New people need the right to invite that type; refused as a whole, before any write.
        people.extend(
            _invite_new(session, actor, workspace, new_people, user_type, results, flow_role=flow_role)
        )
    if uninvited:
        named = [Recipient(a, a, given_names.get(a, "")) for a in uninvited]
        for person in _invite_new(session, actor, workspace, named, UserType.CLIENT, results):
            person.via_team_id = uninvited.get(person.user.address) if person.user.address else None
            people.append(person)

    in_workspace = workspaces_service.statuses(session, workspace.id, [p.user.id for p in people])
    for person in people:
        results.append(_put_in(session, actor, workspace, person, in_workspace))
    for team in teams:
        # Its row in the Members panel, also when everyone in it was here already.
        if any(tm.user_id in in_workspace for tm in team_members[team.id]):
            workspaces_service.record_team(session, actor, workspace, team.id)
    session.flush()
    pipeline.hide_unseen(actor, results)
    return in_order_asked(results)


def _wrong_type(
    team: Team, user: User, user_type: str | None, invitation: Invitation | None
) -> RecipientResult | None:
    """A team's (or group's) person it does not take (``teams.service.wrong_type``), as active in
    the portal (``user_type``) or as invited to it: skipped, and why; None when it takes them."""
    invited = user_type is None and invitation is not None
    if invitation is not None and user_type is None:
        user_type = invitation.user_type
    if user_type is None:
        return None  # neither in the portal nor invited: a client group invites them as a client
    wrong = teams_service.wrong_type(team.kind, user.label, user_type, invited=invited)
    if wrong is None:
        return None
    label = f"{team.name}: {user.address}"
    return _skipped(label, AddSkipCode.WRONG_USER_TYPE, wrong, user_id=user.id, address=user.address)


def placed(result: RecipientResult) -> bool:
    """Whether ``add_people``'s ``result`` says its person is in the workspace: added, invited,
    on the invitation that stands (``already_invited``), or there already."""
    return result.outcome is not Outcome.SKIPPED or result.code in (
        AddSkipCode.ALREADY_IN_WORKSPACE,
        SkipCode.ALREADY_INVITED,
    )


def _teams(session: Session, actor: Actor, ids: list[uuid.UUID] | None, kind: str, field: str) -> list[Team]:
    out = []
    for team_id in dict.fromkeys(ids or []):
        try:
            out.append(teams_service.get_or_raise(session, actor, team_id, kind=kind))
        except NotFound as exc:
            raise InvalidInput(exc.message, field=field) from exc
    return out


def _invite_new(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    recipients: list[Recipient],
    user_type: str,
    results: list[RecipientResult],
    *,
    flow_role: str | None = None,
) -> list[_Person]:
    """Invite new people into the portal and this workspace (one message each, naming it, and
    ``flow_role``, the role they are given, if any)."""
    options = check_options(actor, user_type=user_type)
    batch = pipeline.invite(
        session,
        actor,
        recipients,
        options,
        workspace_name=workspace.name,
        flow_role=flow_role,
        via="workspace",
    )
    placed = [r.address for r in batch.results if r.invitation is not None and r.address is not None]
    users = members_service.get_or_create_users(session, placed)
    people = []
    for r in batch.results:
        if r.outcome is Outcome.INVITED:
            assert r.address is not None  # the pipeline invites addresses only
            people.append(
                _Person(
                    r.recipient, users[r.address], joined=False, invitation=r.invitation, fresh=True, at=at(r)
                )
            )
        elif r.code is SkipCode.ALREADY_INVITED:
            # Already invited to the portal: that invitation stands and will land them here too.
            assert r.address is not None
            people.append(
                _Person(
                    r.recipient,
                    users[r.address],
                    joined=False,
                    invitation=r.invitation,
                    at=at(r),
                )
            )
        else:
            results.append(r)
    return people


def _already_here(address: str | None, status: str) -> str:
    """Why Invite skips someone already in the workspace (``status``: theirs there), in words:
    its report's and the Invite box's chip (``check_recipients``)."""
    address = readable_phone(address)
    if status == NOT_JOINED:
        return f"{address} is already invited to this workspace; use {RESEND_HERE}."
    return f"{address} is already in this workspace."


def suggestions(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    q: str,
    *,
    user_type: str | None = None,
    cursor: str | None = None,
    limit: int = 10,
) -> tuple[list[Member], dict[uuid.UUID, str], str | None]:
    """The workspace Invite box's suggestions for ``q`` (``members.service.search_people``),
    never the one adding, who would add themselves; with those already in the workspace and
    their status there (the box shows them, not to be picked again), and the next cursor. 404
    ``workspace_not_found`` for one ``actor`` may not reach."""
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    me = actor.user.id if actor.user is not None else None
    matches, next_cursor = members_service.search_people(
        session, actor, q, user_type=user_type, leaving_out=me, cursor=cursor, limit=limit
    )
    here = workspaces_service.statuses(session, workspace.id, [m.user_id for m in matches])
    return matches, here, next_cursor


def not_picked(q: str) -> str:
    """What the workspace Invite panel says of ``q``, left typed in its search box, no address
    and nobody picked for it: Invite refuses the panel so (the page), and the box's check says it
    (``check_recipients``) for Enter to say it before."""
    return (
        f"No one was picked for “{q}”, and it is not an email address or phone number: pick "
        "someone from the suggestions, or choose Invite New Client to invite them by email or phone."
    )


def check_recipients(
    session: Session, actor: Actor, text: str, *, workspace_id: uuid.UUID | None = None, one: bool = False
) -> list[CheckedRecipient]:
    """What the Invite box would make of ``text`` (``invitations.service.check_recipients``),
    and, given the workspace it invites to, each address already in it marked
    ``already_in_workspace`` as Invite would skip it (not "in the portal": they are here), and
    each text that is no address given, as ``detail``, what Invite says of it left typed in the
    search box (``not_picked``)."""
    # 404 for a workspace out of reach, before anything is read.
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id) if workspace_id else None
    checked = invitations_service.check_recipients(session, actor, text, one=one)
    if workspace is None:
        return checked
    users = members_service.users_by_address(session, {c.address for c in checked if c.address})
    here = workspaces_service.statuses(session, workspace.id, [u.id for u in users.values()])
    out = []
    for c in checked:
        user = users.get(c.address) if c.address and not c.duplicate else None
        if user is not None and user.id in here:
            skip, detail = str(AddSkipCode.ALREADY_IN_WORKSPACE), _already_here(c.address, here[user.id])
            c = replace(c, skip=skip, detail=detail)
        elif c.error:
            c = replace(c, detail=not_picked(c.text.strip()))
        out.append(c)
    return out


def remove(session: Session, actor: Actor, workspace_id: uuid.UUID, user_id: uuid.UUID) -> WorkspaceMember:
    """Take someone out of a workspace (``workspaces.service.remove``), someone not in the portal
    yet counted with the role their invitation offers (``policy.check_remove_from_workspace``):
    the Members panel's Remove, ``DELETE …/members/{user_id}`` and ``admit workspaces remove``."""
    invited = _invited_roles(session, actor, [user_id])
    return workspaces_service.remove(session, actor, workspace_id, user_id, invited_roles=invited)


def removable(session: Session, actor: Actor, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``user_ids`` (a workspace's people) ``remove`` would let ``actor`` take out:
    where the Members panel offers Remove."""
    ids = list(user_ids)
    invited = _invited_roles(session, actor, ids)
    return workspaces_service.removable(session, actor, ids, invited_roles=invited)


def _invited_roles(session: Session, actor: Actor, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """``{user_id: role}`` their open invitations to the portal offer (``repository.invited_roles``)."""
    users = members_service.users_by_id(session, user_ids)
    roles = repository.invited_roles(session, actor.portal.id, [u.address for u in users.values()])
    return {uid: roles[u.address] for uid, u in users.items() if u.address in roles}


def _put_in(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    person: _Person,
    in_workspace: dict[uuid.UUID, str],
) -> RecipientResult:
    user = person.user
    invitation = person.invitation
    existing = in_workspace.get(user.id)
    invited = RecipientResult(
        recipient=person.asked,
        outcome=Outcome.INVITED,
        address=user.address,
        invitation_id=invitation.id if invitation is not None else None,
        invitation=invitation,
        user_id=user.id,
        index=person.at.index,
        position=person.at.position,
    )
    if existing == NOT_JOINED and person.fresh:
        # Still Not Joined from before, but their invitation had expired or been revoked: the
        # invitation just made replaces it (Resend Invitation will reissue this one).
        membership = workspaces_service.get_membership(session, workspace.id, user.id)
        assert membership is not None and invitation is not None  # Not Joined: a row; fresh: an invitation
        membership.invitation_id = invitation.id
        invited.detail = "Invited again: the earlier invitation had expired."
        return invited
    if existing is not None:
        return _skipped(
            person.asked,
            AddSkipCode.ALREADY_IN_WORKSPACE,
            _already_here(user.address, existing),
            user_id=user.id,
            address=user.address,
            at=person.at,
        )
    in_workspace[user.id] = JOINED if person.joined else NOT_JOINED
    new = workspaces_service.new_member(
        session,
        actor,
        workspace,
        user,
        joined=person.joined,
        invitation_id=invitation.id if invitation is not None else None,
        via_team_id=person.via_team_id,
    )
    if person.joined:
        _notify_added(session, actor, workspace, user, new)
        return RecipientResult(
            recipient=person.asked,
            outcome=Outcome.ADDED,
            address=user.address,
            user_id=user.id,
            index=person.at.index,
            position=person.at.position,
        )
    if not person.fresh:
        # On the invitation that stands: Not Joined here, but nothing was sent, so not "invited".
        invited.outcome, invited.code = Outcome.SKIPPED, SkipCode.ALREADY_INVITED
        invited.detail = ALREADY_INVITED_HERE
    return invited


def _notify_added(
    session: Session, actor: Actor, workspace: Workspace, user: User, membership: WorkspaceMember
) -> None:
    """An existing user added to a workspace hears about it (not the one who added themselves)."""
    to = user.address
    if to is None or user.id == actor.user_id:
        return
    portal = actor.portal
    notifications_service.enqueue(
        session,
        event_key=f"workspace:{workspace.id}:added:{membership.id}",
        template="workspace_added",
        to=to,
        portal_id=portal.id,
        context={
            "portal_name": portal.name,
            "brand": portals_brand.for_message(session, portal),
            "workspace_name": workspace.name,
            "adder_name": actor.display_name,
            "recipient_name": user.name,
            "link": workspaces_service.workspace_url(session, portal, workspace.id),
        },
    )


def invitation_revoked(session: Session, actor: Actor, invitation: Invitation) -> list[str]:
    """``invitation`` was revoked (``flows.invitations.revoke``): its person, not in the portal,
    is taken out of every workspace of it they were Not Joined in, unless another invitation
    of theirs stands (a newer one, when an expired one was revoked). Revoked means they are not
    coming: no Members panel lists them (nor Resend), no role or action is offered to them, and
    the Invite box takes them as new (Invite again). The workspaces' names."""
    address = invitation.recipient
    if repository.pending_by_address(session, invitation.portal_id, [address]).get(address) is not None:
        return []
    user = members_service.users_by_address(session, {address}).get(address)
    if user is None:
        return []
    return workspaces_service.take_out_not_joined(session, actor, invitation.portal_id, user.id)


# --- resending ------------------------------------------------------------------------------

# What refuses a Resend (the API's ``responses`` declare them): one member's, what stops their
# one invitation going (``invitations.service.REISSUE_ERRORS`` and this workspace's own); a Resend
# of many (a team's or group's row, a selection, a state), only the workspace, what it was asked
# and the portal's sending limit (all or none): each person's refusal is their result's code.
RESEND_ERRORS: tuple[type[DomainError], ...] = (
    WorkspaceNotFound,
    MemberNotFound,
    AlreadyJoined,
    NoInvitation,
    *invitations_service.REISSUE_ERRORS,
)
RESEND_MANY_ERRORS: tuple[type[DomainError], ...] = (
    PermissionDenied,
    WorkspaceNotFound,
    InvalidInput,
    RateLimited,
)
RESEND_TEAM_ERRORS: tuple[type[DomainError], ...] = (
    PermissionDenied,
    WorkspaceNotFound,
    TeamNotFound,
    RateLimited,
)


def resend(session: Session, actor: Actor, workspace_id: uuid.UUID, user_id: uuid.UUID) -> RecipientResult:
    """Resend Invitation for one Not Joined member: one new message, earlier links dead. What
    stops it is refused (``already_joined``, ``no_invitation``…); its result is ``resent``."""
    policy.require(actor.role, policy.Action.WORKSPACE_RESEND)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    membership = workspaces_service.membership_or_raise(session, workspace.id, user_id)
    invitation = _resend_one(session, actor, workspace, membership)
    session.flush()
    return _resent(membership, invitation)


def resend_team(
    session: Session, actor: Actor, workspace_id: uuid.UUID, team_id: uuid.UUID, *, kind: str
) -> list[RecipientResult]:
    """Resend Invitation on a team's or client group's row: every one of its people in this
    workspace who has not joined gets one new message; those who joined get nothing. One result
    for each of them, in the team's order: ``resent``, or ``skipped`` and why."""
    policy.require(actor.role, policy.Action.WORKSPACE_RESEND)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    team = teams_service.get_or_raise(session, actor, team_id, kind=kind)
    people = teams_service.members_of(session, [team.id])[team.id]
    in_workspace = workspaces_service.statuses(session, workspace.id, [tm.user_id for tm in people])
    # Not on this workspace's row: those of the team taken out of it.
    return _resend_each(session, actor, workspace, [tm.user for tm in people if tm.user_id in in_workspace])


def resend_many(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    *,
    user_ids: list[uuid.UUID] | None = None,
    state: str | None = None,
) -> list[RecipientResult]:
    """Resend Invitation to many of the workspace's people at once: those ``user_ids`` names
    (Resend to selected), or all in ``state`` (``expired``: Resend all expired; ``invited``: not
    joined and not expired), or those of ``user_ids`` in ``state`` (the others: ``not_found``).
    Each goes through one Resend's checks and limits, the portal's sending limit charged once for
    all (all go out or none); one result each, in the order they were added: ``resent``, or
    ``skipped`` and why (``already_joined``, ``not_found`` for an id not in the workspace…)."""
    policy.require(actor.role, policy.Action.WORKSPACE_RESEND)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    if state not in (None, "", workspace_view.INVITED, workspace_view.EXPIRED):
        raise InvalidInput("state must be expired or invited.", field="state")
    if not (user_ids or state):
        raise InvalidInput("Choose the people to resend to, or a state (expired).", field="user_ids")
    memberships = every(partial(workspaces_service.members, session, workspace))
    asked = set(user_ids or [])
    if user_ids:
        memberships = [m for m in memberships if m.user_id in asked]
    here = {m.user_id for m in memberships}
    if state:
        _ended, states = workspace_view.seen_states(session, actor, workspace.portal_id, memberships)
        memberships = [m for m in memberships if states[m.user_id] == state]
    results = _resend_each(session, actor, workspace, [m.user for m in memberships])
    found = {m.user_id for m in memberships}
    for missing in dict.fromkeys(u for u in user_ids or [] if u not in found):
        results.append(
            RecipientResult(
                recipient=str(missing),
                outcome=Outcome.SKIPPED,
                code=AddSkipCode.NOT_FOUND,
                detail=f"Not {state} in this workspace."
                if missing in here
                else workspaces_service.NOT_A_MEMBER,
                user_id=missing,
            )
        )
    return results


def _resend_each(
    session: Session, actor: Actor, workspace: Workspace, people: list[User]
) -> list[RecipientResult]:
    """Resend Invitation to each of ``people`` (in the workspace) who has not joined: the one
    Resend's checks each, the portal's sending limit charged once for them all (all go out or
    none). One result each, in their order."""
    waiting = {
        m.user_id: m for m in workspaces_service.not_joined(session, workspace.id, [u.id for u in people])
    }
    sending.reserve(session, actor.portal, len(waiting), by=actor)
    results = []
    for user in people:
        membership = waiting.get(user.id)
        if membership is None:
            results.append(_not_resent(user, ResendSkipCode.ALREADY_JOINED, _joined(user)))
            continue
        try:
            invitation = _resend_one(session, actor, workspace, membership, counted=True)
        except (Conflict, PermissionDenied, RecipientRateLimited) as exc:
            # Joined meanwhile, their invitation was revoked, it is an internal invitation this
            # actor may not renew, or they were sent a message a moment ago (refused before
            # anything is written): nothing to send to them, the others still get theirs.
            why = exc.why if isinstance(exc, RecipientRateLimited) else exc.message
            results.append(_not_resent(user, _resend_skip(exc), why))
            continue
        results.append(_resent(membership, invitation))
    session.flush()
    return results


def _resend_skip(refused: Conflict | PermissionDenied | RecipientRateLimited) -> ResultCode:
    """The result code of a person a row's Resend passed over: the refusal a single Resend
    answers, as a recipient's code."""
    if isinstance(refused, RecipientRateLimited):
        return SkipCode.RECIPIENT_RATE_LIMITED
    if isinstance(refused, AlreadyJoined):
        return ResendSkipCode.ALREADY_JOINED
    if isinstance(refused, MemberDeactivated):
        return SkipCode.MEMBER_DEACTIVATED
    if isinstance(refused, AddressSuppressed):
        return SkipCode.SUPPRESSED
    if isinstance(refused, PermissionDenied):
        return SkipCode.NOT_ALLOWED
    return ResendSkipCode.NO_INVITATION  # revoked, or no longer open to resend


def _joined(user: User) -> str:
    return f"{readable_phone(user.address)} has already joined; there is nothing to resend."


def _resent(membership: WorkspaceMember, invitation: Invitation) -> RecipientResult:
    user = membership.user
    return RecipientResult(
        recipient=user.address or "",
        outcome=Outcome.RESENT,
        address=user.address,
        invitation_id=invitation.id,
        invitation=invitation,
        user_id=user.id,
    )


def _not_resent(user: User, code: ResultCode, detail: str) -> RecipientResult:
    return RecipientResult(
        recipient=user.address or "",
        outcome=Outcome.SKIPPED,
        code=code,
        detail=detail,
        address=user.address,
        user_id=user.id,
    )


def _resend_one(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    membership: WorkspaceMember,
    *,
    counted: bool = False,
) -> Invitation:
    user = membership.user
    if membership.status == JOINED:
        raise AlreadyJoined(_joined(user))
    invitation = repository.get(session, membership.invitation_id) if membership.invitation_id else None
    if invitation is None or not invitations_service.is_open(invitation.status):
        standing = repository.pending_by_address(session, workspace.portal_id, [user.address]).get(
            user.address or ""
        )
        invitation = standing or invitation
    if invitation is not None and invitation.status == ACCEPTED:
        workspaces_service.mark_joined(session, workspace.portal_id, user.id)
        raise AlreadyJoined(_joined(user))
    if invitation is None or invitation.status == REVOKED:
        raise NoInvitation(
            f"{readable_phone(user.address)}'s invitation was revoked; invite them again to send a new one."
        )
    # Resending renews the invitation (and its role): only for those who could have sent it.
    policy.require(actor.role, policy.invite_action(invitation.user_type))
    invitation = invitations_service.reissue(
        session,
        actor,
        invitation,
        counted=counted,
        workspace_name=workspace.name,
        flow_roles=roles_service.invitation_place(session, invitation.id, here=workspace, user_id=user.id)[1],
    )
    membership.invitation_id = invitation.id
    return invitation


# --- a flow's roles -------------------------------------------------------------------------


def assign_role(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    role_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    recipient: str | None = None,
    user_type: str = UserType.CLIENT,
) -> tuple[RoleAssignment, RecipientResult | None]:
    """Give a role to an existing person (``user_id``) or to someone invited now (``recipient``,
    a new client or internal user). Returns the assignment and, for a recipient, how they were
    brought into the workspace."""
    policy.require(actor.role, policy.Action.WORKSPACE_ROLES)
    workspace, role = roles_service.role_or_raise(session, actor, workspace_id, role_id)
    if (user_id is None) == (recipient is None or not recipient.strip()):
        raise InvalidInput("Give either user_id or recipient.", field="user_id")
    if recipient is not None and len(split_recipients(recipient)) != 1:
        raise InvalidInput("A role goes to one person: give one email or phone number.", field="recipient")

    added: RecipientResult | None = None
    if user_id is not None:
        if workspaces_service.get_membership(session, workspace.id, user_id) is None:
            result = add_people(session, actor, workspace.id, user_ids=[user_id])[0]
            if result.outcome is Outcome.SKIPPED:
                raise InvalidInput(result.detail, field="user_id")
        user = members_service.get_user(session, user_id)
    else:
        assert recipient is not None  # one of user_id and recipient (checked above)
        added = add_people(
            session, actor, workspace.id, recipients=[recipient], user_type=user_type, flow_role=role.name
        )[0]
        if not placed(added):
            raise InvalidInput(added.refusal, field="recipient")
        user = members_service.get_user(session, added.user_id) if added.user_id is not None else None
    if user is None:  # in the workspace (just added, or already) means a user row: never
        raise MemberNotFound(workspaces_service.NOT_A_MEMBER)
    return roles_service.assign(session, actor, workspace, role, user), added
