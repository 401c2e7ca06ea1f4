"""SCIM provisioning (issue 12 item 5): what a directory's create, replace, deactivate and delete
do in the portal. The protocol (parsing, filters, PATCH, errors) is the face's (``api.scim``);
this flow gets plain values and calls the services.

- A SCIM user is an internal member to be: created active, they are **invited** through the one
  invitation pipeline (``invitations.service.invite``) with the portal's SCIM actor, and join
  when they accept, through the sign-in gate like everyone; or, when the portal says
  ``scim_new_users = quiet``, added as a member at once without an email
  (``flows.members.add_quietly``), to sign in when they come. An account that exists apart (a user
  of another portal) is never taken over: they are invited like anyone.
- Someone already in this portal as an internal user, or invited as one and not joined yet (a
  pending invitation of another way in), is **taken over** when the directory's filter looks
  for them (``match_user``: Okta and Entra ID match before they create), and a POST for an
  active one or an invitee is 409 ``uniqueness`` (``_refuse_existing``, RFC 7644 §3.3).
- ``active`` is read from the person's real standing (``active_of``); whom the directory keeps
  deactivated is not reactivated in Admit (``policy.check_reactivate_held``).
- ``active: false`` deactivates their membership (``flows.members.deactivate``: their access to
  the portal ends at once) or, before they joined, revokes their pending invitation;
  ``active: true`` reactivates the membership, or invites them again.
- DELETE is a deactivation; the SCIM row is kept (``deleted_at``) and nothing is erased.
- A SCIM group is an internal team (``teams``); its members are mirrored onto the team.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from admit import context
from admit.actor import Actor, scim_label, scim_words
from admit.audit import service as audit_service
from admit.directory import service as directory
from admit.directory.models import ScimGroup, ScimUser
from admit.errors import AddressSuppressed, Conflict, DomainError, InvalidInput, NotFound, RateLimited
from admit.flows import groups
from admit.flows import invitations as invitations_flow
from admit.flows import members as members_flow
from admit.invitations import pipeline
from admit.invitations import service as invitations_service
from admit.invitations.codes import SkipCode
from admit.invitations.models import PENDING
from admit.invitations.options import check_options
from admit.kit.text import readable_phone
from admit.members import service as members_service
from admit.policy import Role, UserType
from admit.portals import service as portals_service
from admit.teams import service as teams_service
from admit.teams.models import TEAM

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.directory.models import ScimToken
    from admit.invitations.models import Invitation
    from admit.members.models import Member
    from admit.portals.models import Portal


__all__ = [
    "GroupFields",
    "UserFields",
    "actor_of",
    "find_groups",
    "find_users",
    "get_group",
    "get_user",
    "groups_of",
    "match_user",
    "members_of_group",
    "token_actor",
    "create_group",
    "create_user",
    "delete_group",
    "delete_user",
    "replace_group",
    "replace_user",
    "status_of",
    "active_of",
]


@dataclass(slots=True)
class UserFields:
    """What a directory says about a person, read from its resource by the face."""

    user_name: str
    address: str  # the work email as sent (or the userName); normalised here
    phone: str = ""  # the mobile (or work) number as sent, for someone with no usable email
    display_name: str = ""
    external_id: str | None = None
    active: bool = True
    resource: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class GroupFields:
    display_name: str
    external_id: str | None = None
    member_ids: list[uuid.UUID] = field(default_factory=list)
    # members[].display as the directory sent it, by member id
    displays: dict[uuid.UUID, str] = field(default_factory=dict)


def actor_of(portal: Portal, token: ScimToken, ip: str | None) -> Actor:
    """Who acts for a SCIM token: the portal itself as an admin (an invitation it makes is the
    system's, as an operator's is), labelled in the audit log by the token, and named by its
    connection ("SCIM (Okta)") in what the invitation says and where it is shown."""
    return Actor(
        portal=portal,
        role=Role.ADMIN,
        ip=ip,
        shown_as=scim_label(token.name, token.prefix),
        named_as=scim_words(token.name),
    )


def token_actor(session: Session, raw: str, *, ip: str | None) -> Actor | None:
    """The actor of a live SCIM token, or None (unknown or revoked: 401). Requests are counted
    per token (``ADMIT_SCIM_RATE_LIMIT``)."""
    token = directory.token_from_raw(session, raw)
    if token is None:
        return None
    portal = portals_service.get(session, token.portal_id)
    if portal is None:
        return None
    ctx = context.of(session)
    ctx.limiter.hit(f"scim:{token.id}", ctx.settings.scim_rate_limit)
    return actor_of(portal, token, ip)


def get_user(session: Session, actor: Actor, scim_id: uuid.UUID) -> ScimUser | None:
    return directory.get_user(session, actor.portal.id, scim_id)


def get_group(session: Session, actor: Actor, scim_id: uuid.UUID) -> ScimGroup | None:
    return directory.get_group(session, actor.portal.id, scim_id)


def find_users(
    session: Session, actor: Actor, *, user_name: str | None = None, external_id: str | None = None
) -> list[ScimUser]:
    return directory.find_users(session, actor.portal.id, user_name=user_name, external_id=external_id)


def find_groups(session: Session, actor: Actor, *, display_name: str | None = None) -> list[ScimGroup]:
    return directory.find_groups(session, actor.portal.id, display_name=display_name)


def groups_of(session: Session, row: ScimUser) -> list[ScimGroup]:
    return directory.group_ids_of(session, row.id)


def members_of_group(session: Session, group: ScimGroup) -> list[tuple[ScimUser, str | None]]:
    return directory.members_of_group(session, [group.id])[group.id]


def _address(session: Session, fields: UserFields) -> str:
    """Where a person is invited: their email (the one the face chose, else the userName),
    normalised, else their phone number (invited by text message). Someone with neither could
    never be invited: refused (400, naming the attributes), nothing kept."""
    for text in dict.fromkeys((fields.address, fields.user_name)):
        parsed = members_service.parse_recipient(session, text or "")
        if parsed.address is not None and "@" in parsed.address:
            return parsed.address
    if fields.phone:
        parsed = members_service.parse_recipient(session, fields.phone)
        if parsed.address is not None and "@" not in parsed.address:
            return parsed.address
    raise InvalidInput(
        f"No way to invite “{fields.user_name}”: neither userName nor emails (primary or work) is a "
        "usable email address, and phoneNumbers gives no usable number.",
        field="userName",
    )


def _name_free(session: Session, actor: Actor, user_name: str, row_id: uuid.UUID | None = None) -> None:
    for other in directory.find_users(session, actor.portal.id, user_name=user_name):
        if other.id != row_id:
            raise Conflict(f"A user with the userName “{user_name}” already exists.")


def _member(session: Session, actor: Actor, row: ScimUser) -> Member | None:
    return _member_at(session, actor, row.address) if row.address else None


def _member_at(session: Session, actor: Actor, address: str) -> Member | None:
    user = members_service.get_user_by_address(session, address)
    return members_service.get_membership(session, actor.portal.id, user.id) if user else None


def _in_portal(session: Session, actor: Actor, address: str) -> Member | None:
    """Who is in the portal already at ``address`` (joined: active or deactivated), or None."""
    member = _member_at(session, actor, address)
    return member if member is not None and member.status != members_service.PENDING else None


def _took_over(session: Session, actor: Actor, member: Member) -> None:
    """The Audit Log's word that the directory manages someone who was in the portal before it
    (joined through an ordinary invitation, a link, an HR system): from now on its deactivation
    is theirs, and a reactivation in Admit it would undo is refused (``members.reactivate``)."""
    audit_service.record(
        session,
        actor,
        "member.directory_took_over",
        target_type="member",
        target_id=member.id,
        target_label=member.user.address or "",
        detail={"name": member.user.name},
    )


def _invited(session: Session, actor: Actor, address: str) -> Invitation | None:
    """The live pending invitation to the portal at ``address`` (invited, not joined yet), or None."""
    # A lapsed one is replaced by the directory's own invitation (the pipeline's rule).
    return invitations_service.live_pending_for(session, actor, address)


def _refuse_existing(session: Session, actor: Actor, address: str) -> Member | None:
    """A POST for someone already in the portal: an active internal member, or someone invited
    as one and not joined yet, is 409 ``uniqueness`` (RFC 7644 §3.3), saying how to match them
    (the filter takes them over, ``match_user``); a client, member or invitee, is 409 (a
    directory provisions internal users). A deactivated internal member is returned: recorded,
    not invited (their record's ``active: true`` reactivates them)."""
    shown = readable_phone(address)  # as the pages write it; the filter keeps it as stored
    member = _in_portal(session, actor, address)
    if member is None:
        invitation = _invited(session, actor, address)
        if invitation is None:
            return None
        if invitation.user_type != UserType.INTERNAL:
            raise Conflict(
                f"{shown} is invited to the portal as a client: a directory provisions internal users only."
            )
        raise Conflict(
            f"{shown} has a pending invitation to the portal (not accepted yet). Match them instead: "
            f'GET /Users?filter=userName eq "{address}" finds them and links them and their invitation '
            "to this directory."
        )
    if member.user_type != UserType.INTERNAL:
        raise Conflict(f"{shown} is in the portal as a client: a directory provisions internal users only.")
    if member.status == members_service.ACTIVE:
        raise Conflict(
            f"{shown} is already in the portal. Match them instead: "
            f'GET /Users?filter=userName eq "{address}" finds them and links them to this directory.'
        )
    return member


def match_user(session: Session, actor: Actor, text: str) -> None:
    """A directory looks for someone by userName or email (its filter: Okta and Entra ID match
    before they create). Someone already in the portal as an internal user, active or
    deactivated, or invited as one and not joined yet, whom no SCIM user stands for yet, is taken
    over: a SCIM user is recorded for them (their address, name and status; an invitee's
    invitation, which they still accept), linked to this connection, and the Audit Log says so;
    the filter then finds them. A client is not (a directory provisions internal users)."""
    parsed = members_service.parse_recipient(session, text or "")
    address = parsed.address
    if address is None or "@" not in address:
        return
    portal_id = actor.portal.id
    if directory.find_users(session, portal_id, user_name=text) or directory.find_users(
        session, portal_id, address=address
    ):
        return
    member = _in_portal(session, actor, address)
    if member is None:
        _take_over_invitation(session, actor, address)
        return
    if member.user_type != UserType.INTERNAL:
        return
    _record_found(session, actor, address, member.user.name or "", member.status == members_service.ACTIVE)
    _took_over(session, actor, member)


def _record_found(
    session: Session,
    actor: Actor,
    address: str,
    name: str,
    active: bool,
    invitation_id: uuid.UUID | None = None,
) -> None:
    """The SCIM user recorded for someone a filter took over: their address as ``userName``, their
    name and status, linked to this connection (and to their pending invitation, for an invitee)."""
    resource: dict[str, Any] = {
        "userName": address,
        "emails": [{"value": address, "type": "work", "primary": True}],
        "active": active,
    }
    if name:
        resource["displayName"] = name
    directory.new_user(
        session,
        actor.portal.id,
        user_name=address,
        address=address,
        display_name=name[:200],
        active=active,
        directory=actor.named_as or "",
        resource=resource,
        invitation_id=invitation_id,
    )


def _take_over_invitation(session: Session, actor: Actor, address: str) -> None:
    """An internal user's pending invitation of another way in, taken over by the directory (see
    ``match_user``): from now on its name follows the directory's, its ``active: false`` revokes
    it, and whoever accepts it is the directory's member. No new invitation and no email."""
    invitation = _invited(session, actor, address)
    if invitation is None or invitation.user_type != UserType.INTERNAL:
        return
    name = invitation.recipient_name or ""
    _record_found(session, actor, address, name, True, invitation.id)
    audit_service.record(
        session,
        actor,
        "invitation.directory_took_over",
        target_type="invitation",
        target_id=invitation.id,
        target_label=address,
        detail={"name": name},
    )


def status_of(session: Session, actor: Actor, row: ScimUser) -> str:
    """Where the person stands in the portal: ``active``, ``deactivated``, ``invited`` or ``none``."""
    member = _member(session, actor, row)
    if member is not None and member.status != members_service.PENDING:
        return str(member.status)
    return "invited" if _pending_invitation(session, actor, row) is not None else "none"


def active_of(session: Session, actor: Actor, row: ScimUser) -> bool:
    """SCIM's ``active``: the person's real standing in the portal, one source of truth with
    User Management: an active member, or invited and not yet joined. A member deactivated in
    Admit reads ``false`` (the directory's next PUT or PATCH saying ``active: true`` brings them
    back), someone whose invitation was revoked or expired too."""
    return status_of(session, actor, row) in ("active", "invited")


def _pending_invitation(session: Session, actor: Actor, row: ScimUser) -> uuid.UUID | None:
    if row.invitation_id is None:
        return None
    invitation = invitations_service.get_or_raise(session, actor, row.invitation_id)
    return invitation.id if invitation.status == PENDING else None


def _invite(session: Session, actor: Actor, row: ScimUser) -> None:
    """Bring the person in: invited, or added quietly when the portal says so (Settings → SCIM;
    an account that exists already is invited all the same). Their message may wait its turn
    under the per-person limit (``wait_turn``: a directory is not there to try again); anything
    else that stops the invitation is the request's error, so the answer never says more than
    what happened (a deactivated member is recorded and not invited: see ``create_user``)."""
    # The products chosen on Settings → SCIM, those still enabled (``check_options``' rule).
    chosen = portals_service.still_enabled(actor.portal, actor.portal.scim_products)
    options = check_options(actor, user_type="internal", products=chosen)
    if actor.portal.scim_new_users == "quiet":
        left = members_flow.add_quietly(
            session,
            actor,
            [(row.address, row.display_name)],
            user_type="internal",
            role=str(Role.MEMBER),
            products=list(options.products),
        )
        if not left:
            return
    recipient = pipeline.Recipient.parse(session, row.address)
    recipient.name = row.display_name
    result = pipeline.invite(session, actor, [recipient], options, via="scim", wait_turn=True).results[0]
    if result.invitation_id is not None:
        row.invitation_id = result.invitation_id
    elif result.code is not SkipCode.MEMBER_DEACTIVATED:
        raise _refusal(result)


def _refusal(result: pipeline.RecipientResult) -> DomainError:
    """Why the pipeline did not invite someone, as the SCIM request's error."""
    if result.code in (SkipCode.RECIPIENT_RATE_LIMITED, SkipCode.SMS_BUDGET_REACHED):
        return RateLimited(result.detail)
    if result.code is SkipCode.SUPPRESSED:
        return AddressSuppressed(result.detail)
    return InvalidInput(result.refusal, field="userName")


def _apply_active(session: Session, actor: Actor, row: ScimUser, active: bool) -> None:
    """Bring the portal in line with ``active``: deactivate or revoke; reactivate or invite."""
    member = _member(session, actor, row)
    joined = member is not None and member.status != members_service.PENDING
    if not active:
        if joined and member is not None and member.status == members_service.ACTIVE:
            members_flow.deactivate(session, actor, member.id)
        pending = _pending_invitation(session, actor, row)
        if pending is not None:
            invitations_flow.revoke(session, actor, pending)
        return
    if joined and member is not None:
        if member.status == members_service.DEACTIVATED:
            members_flow.reactivate(session, actor, member.id)
        return
    if row.address and _pending_invitation(session, actor, row) is None:
        _invite(session, actor, row)


def create_user(session: Session, actor: Actor, fields: UserFields) -> ScimUser:
    """A directory provisions a person: recorded, and invited when active."""
    user_name = fields.user_name.strip()
    if not user_name:
        raise InvalidInput("userName is required.", field="userName")
    _name_free(session, actor, user_name)
    address = _address(session, fields)
    existing = _refuse_existing(session, actor, address)
    row = directory.new_user(
        session,
        actor.portal.id,
        user_name=user_name,
        external_id=fields.external_id,
        address=address,
        display_name=fields.display_name[:200],
        active=fields.active,
        directory=actor.named_as or "",
        resource=fields.resource,
    )
    if existing is not None:
        _took_over(session, actor, existing)
    elif fields.active:
        _invite(session, actor, row)
    return row


def replace_user(session: Session, actor: Actor, row: ScimUser, fields: UserFields) -> ScimUser:
    """The directory's new view of a person (PUT, or a PATCH the face applied). The address they
    are invited at changes only until they joined: afterwards their account is theirs."""
    user_name = fields.user_name.strip()
    if not user_name:
        raise InvalidInput("userName is required.", field="userName")
    _name_free(session, actor, user_name, row.id)
    address = _address(session, fields)
    if address != row.address and status_of(session, actor, row) in ("none", "invited"):
        pending = _pending_invitation(session, actor, row)
        if pending is not None:
            invitations_flow.revoke(session, actor, pending)
        row.invitation_id = None
        row.address = address
    row.user_name = user_name
    row.external_id = fields.external_id
    if fields.display_name[:200] != row.display_name:
        row.display_name = fields.display_name[:200]
        pending = _pending_invitation(session, actor, row)
        if pending is not None:  # their invitation's name follows until they join
            invitations_service.rename(session, actor, pending, row.display_name)
    row.resource = fields.resource
    row.active = fields.active  # first: the directory's word is what a reactivation checks
    session.flush()
    _apply_active(session, actor, row, fields.active)
    directory.touch(session, row)
    return row


def delete_user(session: Session, actor: Actor, row: ScimUser) -> None:
    """DELETE: the person's access ends as with ``active: false``; the row stays, hidden."""
    _apply_active(session, actor, row, False)
    for group in directory.group_ids_of(session, row.id):
        _set_members(session, actor, group, remove=[row.id])
    row.active = False
    row.deleted_at = context.of(session).clock.now()
    directory.touch(session, row)


# ---- groups = internal teams ----------------------------------------------------------------


def _users(session: Session, actor: Actor, ids: list[uuid.UUID]) -> list[ScimUser]:
    found = directory.users_by_ids(session, actor.portal.id, ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise InvalidInput(f"No such SCIM user: {', '.join(missing[:5])}.", field="members")
    return [found[i] for i in dict.fromkeys(ids)]


def _set_members(
    session: Session,
    actor: Actor,
    group: ScimGroup,
    *,
    add: list[uuid.UUID] | None = None,
    remove: list[uuid.UUID] | None = None,
    displays: dict[uuid.UUID, str] | None = None,
) -> None:
    team = teams_service.get_or_raise(session, actor, group.team_id, kind=TEAM)
    if add:
        rows = [r for r in _users(session, actor, add)]
        new = set(directory.add_group_members(session, group, [r.id for r in rows], displays))
        entries = [
            teams_service.Entry(
                asked=r.address, user=members_service.get_or_create_user(session, r.address), outcome="added"
            )
            for r in rows
            if r.id in new and r.address
        ]
        if entries:
            teams_service.add_members(session, actor, team, entries)
    if remove:
        rows = list(directory.users_by_ids(session, actor.portal.id, remove).values())
        directory.remove_group_members(session, group, [r.id for r in rows])
        users = members_service.users_by_address(session, [r.address for r in rows if r.address])
        groups.take_out(session, actor, team, [u.id for u in users.values()])


def create_group(session: Session, actor: Actor, fields: GroupFields) -> ScimGroup:
    """A directory group becomes an internal team of the same name."""
    team = teams_service.create(session, actor, kind=TEAM, name=fields.display_name)
    group = directory.new_group(
        session, actor.portal.id, team_id=team.id, display_name=team.name, external_id=fields.external_id
    )
    _set_members(session, actor, group, add=fields.member_ids, displays=fields.displays)
    return group


def replace_group(
    session: Session,
    actor: Actor,
    group: ScimGroup,
    fields: GroupFields,
    *,
    add: list[uuid.UUID] | None = None,
    remove: list[uuid.UUID] | None = None,
) -> ScimGroup:
    """The directory's new view of a group: its name, and either its whole member list
    (``fields.member_ids``, when ``add`` and ``remove`` are None) or the members to add and
    remove (a PATCH)."""
    team = teams_service.rename(session, actor, group.team_id, kind=TEAM, name=fields.display_name)
    group.display_name = team.name
    group.external_id = fields.external_id
    if add is None and remove is None:
        have = {u.id for u, _display in directory.members_of_group(session, [group.id])[group.id]}
        want = list(dict.fromkeys(fields.member_ids))
        add = [i for i in want if i not in have]
        remove = [i for i in have if i not in set(want)]
    _set_members(session, actor, group, add=add, remove=remove, displays=fields.displays)
    directory.touch(session, group)
    return group


def delete_group(session: Session, actor: Actor, group: ScimGroup) -> None:
    """The team is deleted (softly: its people keep what they have, ``teams.service.delete``)."""
    with contextlib.suppress(NotFound):  # deleted in Admit already
        teams_service.delete(session, actor, group.team_id, kind=TEAM)
    group.deleted_at = context.of(session).clock.now()
    directory.touch(session, group)
