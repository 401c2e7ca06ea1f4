"""Deactivating a member: their access to the portal ends at once, with the API keys they made
there. Reactivating brings the same membership back (role, type and products as they were); the
keys that ended stay ended.

Their browser sessions are not ended: a session is the person's, across every portal they belong
to, and every request checks their membership of the portal it asks for (``web.portal_actor``:
a deactivated member finds the portal gone at their next request). Deactivation in one portal
must not sign them out of the others."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from admit import context, policy
from admit.actor import CONSOLE_LABEL, CONSOLE_WORDS, Actor
from admit.audit import service as audit_service
from admit.auth import second_factor
from admit.auth import service as auth_service
from admit.directory import service as directory_service
from admit.errors import Checks, Conflict, InvalidInput, MemberNotDeactivated, MemberNotFound
from admit.invitations import service as invitations_service
from admit.kit.text import readable_phone
from admit.members import service as members_service
from admit.members.models import VIA_ADDED, Member
from admit.notifications import service as notifications_service
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.portals.models import Portal


__all__ = [
    "add_quietly",
    "change_access",
    "deactivate",
    "member_by_address",
    "reactivate",
    "reset_second_factor",
]


def add_quietly(
    session: Session,
    actor: Actor,
    people: list[tuple[str, str]],
    *,
    user_type: str,
    role: str,
    products: list[str],
) -> list[str]:
    """Add ``(address, name)`` people as active members without any message: a directory (an HR
    system's new hires, a SCIM client) that was told to "add quietly". They come in with a
    sign-in link when they want, through the portal's sign-in gate like everyone.

    An address whose account exists already (a member of another portal, someone who signed up
    elsewhere) is not added: their account is theirs, so they are invited instead. Returns those
    addresses, for the caller to invite through the invitation pipeline."""
    policy.require(actor.role, policy.invite_action(user_type))
    policy.require_rule(policy.check_grant_role(actor.role, role))
    existing = members_service.users_by_address(session, [address for address, _name in people])
    added: list[tuple[object, str, dict[str, object]]] = []
    for address, name in people:
        if address in existing:
            continue
        user = members_service.add_user(session, address, name=name)
        existing[address] = user
        member = members_service.activate(
            session,
            portal_id=actor.portal.id,
            user_id=user.id,
            user_type=user_type,
            role=role,
            products=list(products),
            via=VIA_ADDED,
            invited_by_id=actor.user_id,
            inviter_label=actor.inviter_label,
            new_user=True,
        )
        added.append((member.id, address, {"quietly": True}))
    audit_service.record_many(session, actor, "member.added", target_type="member", targets=added)
    made = {address for _id, address, _detail in added}
    return [address for address, _name in people if address not in made]


def deactivate(session: Session, actor: Actor, member_id: uuid.UUID) -> Member:
    """Deactivate a member: their access to this portal ends at once (and only to this one)."""
    policy.require(actor.role, policy.Action.MEMBER_DEACTIVATE)
    member = members_service.member_or_raise(session, actor, member_id)
    if member.status == members_service.DEACTIVATED:
        return member
    # Lock the portal before counting its owners: two owners deactivating each other at once
    # must not leave the portal with none (STYLE: take a lock before counting for a limit).
    portals_service.lock(session, actor.portal)
    policy.require_rule(
        policy.check_deactivate(
            actor.role,
            member.role,
            is_self=actor.user is not None and actor.user.id == member.user_id,
            owners_left=members_service.count_active_owners(session, actor.portal.id),
        )
    )
    members_service.set_status(session, member, members_service.DEACTIVATED)
    _tell_access_ended(session, actor.portal, member)
    # API keys they made in this portal stop working too: a key must not outlive its maker's access.
    revoked_keys = auth_service.revoke_api_keys(
        session, portal_id=actor.portal.id, created_by_id=member.user_id
    )
    audit_service.record(
        session,
        actor,
        "member.deactivated",
        target_type="member",
        target_id=member.id,
        target_label=member.user.address or "",
        detail={"api_keys_revoked": revoked_keys, "name": member.user.name},
    )
    session.flush()
    return member


def _tell_access_ended(session: Session, portal: Portal, member: Member) -> None:
    """Queue the message that tells a member just deactivated that their access ended, in the
    words the portal's pages then say to them (``members.service.access_ended``, under "Your
    access has ended"), by email (text and HTML) or, for someone known by a phone number, by
    text. Once per deactivation: a later one, after a reactivation, is told again."""
    user = member.user
    if not user.address:
        return
    deactivated_at = member.deactivated_at or context.of(session).clock.now()
    notifications_service.enqueue(
        session,
        event_key=f"member:{member.id}:access_ended:{int(deactivated_at.timestamp())}",
        template="access_ended",
        to=user.address,
        portal_id=portal.id,
        user_id=user.id,
        context={
            "portal_name": portal.name,
            "brand": portals_brand.for_message(session, portal),
            "name": user.name,
            "said": members_service.access_ended(portal).message,
        },
    )


def change_access(
    session: Session,
    actor: Actor,
    member_id: uuid.UUID,
    *,
    role: str | None = None,
    products: list[str] | None = None,
    faults: Checks | None = None,
    owners_confirmed: bool = True,
) -> Member:
    """Change a member's role (an internal user's: ``policy.check_change_role``) and the products
    they may use (those the portal offers: ``portals.service.check_products``); None leaves it as
    it is. Owners and admins (MEMBER_CHANGE_ACCESS). Each change is audited with what it was; it
    applies from their next request (every request reads their membership). Faults of input (a
    role for a client: ``policy.role_kind_fault``; products) are said together, ``faults`` (the
    caller's: a value of the wrong type) after them, before the role is judged as the actor's to
    give. ``owners_confirmed=False`` (User Management's Change role and products, until its "Yes,
    make … an owner." is ticked): a change that makes them an owner is refused after all that and
    before anything is written (``policy.owner_unconfirmed``), naming ``owners_confirmed``."""
    policy.require(actor.role, policy.Action.MEMBER_CHANGE_ACCESS)
    member = members_service.member_or_raise(session, actor, member_id)
    checks, granted = Checks(), None
    if role is not None and (fault := policy.role_kind_fault(member.role, role)) is not None:
        checks.problems.append({"field": "role", "message": fault})
    if products is not None:
        with checks.of("products"):
            granted = portals_service.check_products(actor.portal, products)
    checks.extend(faults)
    checks.done()
    if role is not None:
        if policy.Role(member.role) is policy.Role.OWNER and role != member.role:
            # Lock the portal before counting its owners: two owners stepping down at once must
            # not leave it with none (as ``deactivate`` does).
            portals_service.lock(session, actor.portal)
        policy.require_rule(
            policy.check_change_role(
                actor.role,
                member.role,
                role,
                is_self=actor.user is not None and actor.user.id == member.user_id,
                owners_left=lambda: members_service.count_active_owners(session, actor.portal.id),
                active=member.status == members_service.ACTIVE,
            ),
            field="role",
        )
        if (fault := policy.owner_unconfirmed(role, confirmed=owners_confirmed, was=member.role)) is not None:
            raise InvalidInput(fault, field="owners_confirmed")
    changed = members_service.set_access(session, member, role=role, products=granted)
    for name, (before, after) in changed.items():
        audit_service.record(
            session,
            actor,
            f"member.{name}_changed",
            target_type="member",
            target_id=member.id,
            target_label=member.user.address or "",
            detail={"name": member.user.name, "from": before, "to": after},
        )
    return member


def reactivate(session: Session, actor: Actor, member_id: uuid.UUID) -> Member:
    """Bring a deactivated member back: the same membership is active again, with the role, user
    type and products it had. Reactivating an active member changes nothing.

    Who may deactivate may reactivate (MEMBER_REACTIVATE, and only an owner brings back an owner:
    ``policy.check_reactivate``). It is the one way back: the invitation pipeline skips a
    deactivated member (``member_deactivated``) and their invitation cannot be accepted. A pending
    member has never joined: they come in by accepting an invitation, not this way (409
    ``member_not_deactivated``). Whom a directory deactivated (SCIM ``active: false``) is
    reactivated there, not here (403 naming it: ``policy.check_reactivate_held``); the directory's
    own ``active: true`` reactivates them through this.
    """
    policy.require(actor.role, policy.Action.MEMBER_REACTIVATE)
    member = members_service.member_or_raise(session, actor, member_id)
    if member.status == members_service.ACTIVE:
        return member
    if member.status != members_service.DEACTIVATED:
        raise MemberNotDeactivated(
            f"This member is {member.status}; only deactivated members can be reactivated."
        )
    address = member.user.address or ""
    held = directory_service.deactivated_by(session, actor.portal.id, [address]).get(address)
    policy.require_rule(policy.check_reactivate(actor.role, member.role))
    policy.require_rule(policy.check_reactivate_held(held), of_role=False)
    members_service.set_status(session, member, members_service.ACTIVE)
    audit_service.record(
        session,
        actor,
        "member.reactivated",
        target_type="member",
        target_id=member.id,
        target_label=member.user.address or "",
        detail={"name": member.user.name},
    )
    session.flush()
    return member


def reset_second_factor(session: Session, actor: Actor, member_id: uuid.UUID) -> Member:
    """Reset a member's two-step verification (an owner, for someone who lost their phone and
    their recovery codes): their authenticator app and recovery codes stop working, and they set
    an app up again where the portal requires one. Not one's own (the account page does that,
    with a code), but at the server's console (the CLI) anyone's, the owner it acts as too, told
    and audited as the console's doing; and not an account that also belongs to another portal: it is not this
    portal's to change (``members.service.belongs_elsewhere``)."""
    policy.require(actor.role, policy.Action.MEMBER_RESET_SECOND_FACTOR)
    member = members_service.member_or_raise(session, actor, member_id)
    user = member.user
    policy.require_rule(
        policy.check_reset_second_factor(
            is_self=actor.user is not None and actor.user.id == user.id, at_console=actor.console
        )
    )
    who = readable_phone(user.address) or "This person"
    if members_service.belongs_elsewhere(session, user.id, actor.portal.id):
        raise Conflict(
            f"{who}'s account also belongs to another portal, so it is not this portal's to change. "
            "They can sign in with a recovery code and change it on their account page."
        )
    if not second_factor.has_factor(session, user.id):
        raise Conflict(f"{who} has not set up two-step verification: there is nothing to reset.")
    if actor.console:
        # Whoever is at the console, not the owner it acts as (perhaps the very one locked out):
        # the log and the notice say so.
        actor = replace(actor, user=None, member=None, shown_as=CONSOLE_LABEL)
        by = CONSOLE_WORDS
    else:
        by = f"{actor.display_name}, an owner of {actor.portal.name},"
    second_factor.reset(session, user, by=by)
    # Whoever was signed in as them (the one who set an app up on their account, perhaps) is out.
    auth_service.sign_out_everywhere(session, user.id)
    audit_service.record(
        session,
        actor,
        "member.second_factor_reset",
        target_type="member",
        target_id=member.id,
        target_label=user.address or "",
        detail={"name": user.name},
    )
    return member


def member_by_address(session: Session, actor: Actor, text: str) -> Member:
    """The portal's membership of the person an address or phone number names (as typed:
    ``members.service.member_by_address``). Someone invited who has not joined is not a member
    yet: the refusal says so, with their invitation's id (``invitation_id``), for whoever may
    see invitations."""
    try:
        return members_service.member_by_address(session, actor.portal.id, text)
    except MemberNotFound as exc:
        address = members_service.parse_recipient(session, text).address
        if address is None or not policy.can(actor.role, policy.Action.INVITATION_VIEW):
            raise
        pending = invitations_service.pending_for(session, actor, [address]).get(address)
        if pending is None:
            raise
        raise MemberNotFound(
            f"{exc.message} They were invited and have not joined yet.", invitation_id=str(pending.id)
        ) from None
