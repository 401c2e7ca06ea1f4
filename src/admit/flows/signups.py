"""Confirming an invite-link sign-up: the address is proved, so the person gets in. Once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from admit.actor import Actor
from admit.audit import service as audit_service
from admit.auth import gate
from admit.flows import join
from admit.links import signups
from admit.links.models import LinkSignup
from admit.links.views import Confirmation
from admit.members import service as members_service
from admit.members.models import VIA_INVITE_LINK, Member, User
from admit.members.passwords import hash_chosen
from admit.policy import Role
from admit.portals import service as portals_service
from admit.portals.models import Portal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["Confirmed", "already_joined", "confirm", "confirmation", "portal_of_link"]


@dataclass(slots=True)
class Confirmed:
    signup: LinkSignup
    portal: Portal
    user: User
    member: Member
    outcome: str  # joined | invitation_completed | already_member


def confirmation(session: Session, token: str, *, viewer: User | None = None) -> Confirmation:
    """What a confirmation link shows before the person clicks Confirm (never uses it up);
    ``viewer``: who is signed in, if anyone (an account with a password signs in first)."""
    record = signups.open_for_confirmation(session, token)
    user = members_service.get_user_by_email(session, record.email)
    shown = signups.confirmation(session, token, user=user)
    shown.sign_in_required = gate.owes_sign_in(user, viewer)
    return shown


def already_joined(session: Session, token: str, viewer: User) -> Portal | None:
    """The portal ``viewer`` joined by confirming with this link, when it is used, was theirs
    and they are an active member there: what its page tells them instead of "already
    confirmed, sign in" (as ``join.already_joined`` does for an invitation's link)."""
    record = signups.confirmed_by_link(session, token)
    if record is None:
        return None
    return join.joined_with(session, viewer, address=record.email, portal_id=record.portal_id)


def portal_of_link(session: Session, token: str) -> Portal | None:
    """The portal a confirmation link was made for, even once it no longer works: the look its
    page wears when it says so (its holder signed up there; an unknown link has none)."""
    record = signups.signup_of_link(session, token)
    return portals_service.get(session, record.portal_id) if record is not None else None


def confirm(
    session: Session,
    *,
    token: str,
    password: str | None = None,
    current_user: User | None = None,
    ip: str | None = None,
) -> Confirmed:
    """Follow the confirmation email: the address is proved, so the person gets in. Once.

    - already an active member: signs in to that membership (nothing duplicated);
    - a pending personal invitation: completes it (its type and role win) instead of a second;
    - a deactivated member: refused (an admin ended their access; a link does not undo that);
    - otherwise: a new member with the type and role the link grants now (its settings at
      confirmation, not at sign-up: ``links.signups.current_grant``; a link turned off, expired,
      refreshed or narrowed to other domains since lets nobody in).

    The password is chosen here, by whoever holds the email, and only for an account that has
    none and is not a member of the portal already: a sign-up never sets or changes an existing
    account's password, nor gives an active member one (the link grants them nothing). An
    account that has one must be the one signed in (``current_user``), as for an invitation:
    ``SignInRequired`` otherwise, nothing used up (the email alone would skip the password).
    """
    record = signups.open_for_confirmation(session, token)
    portal = portals_service.get_or_raise(session, record.portal_id)
    user = members_service.get_user_by_email(session, record.email)
    if gate.owes_sign_in(user, current_user):
        # The account may be one the same link made a moment ago, in a request that used it:
        # then the link is used (ConfirmationUsed), not owed a sign-in.
        signups.open_for_confirmation(session, token, fresh=True)
        raise gate.sign_in_first(record.email, "confirm")
    member = members_service.get_membership(session, portal.id, user.id) if user else None
    user_type, _role = signups.current_grant(session, record)
    already = member is not None and member.status == members_service.ACTIVE
    new_password_hash = None
    # An active member is given no password, not even one they typed (``confirm_needs_password``).
    if (
        (user is None or user.password_hash is None)
        and not already
        and (password or signups.confirm_needs_password(user_type, portal, user, already_member=already))
    ):
        new_password_hash, stepped_out = hash_chosen(session, password, address=record.email)
        if stepped_out:  # another request may have made the account, or joined it, meanwhile
            for loaded in (user, member):
                if loaded is not None:
                    session.expire(loaded)
            user = members_service.get_user_by_email(session, record.email)
            member = members_service.get_membership(session, portal.id, user.id) if user else None

    record = signups.mark_confirmed(session, token)
    if user is None:
        user = members_service.add_user(
            session, record.email, name=record.name, password_hash=new_password_hash
        )
    elif user.password_hash is None and new_password_hash:
        user.password_hash = new_password_hash
    # An existing account keeps its name (none included): the name typed at sign-up may be
    # anyone's, typed before the address was proved (README: a name given by someone else).

    if member is not None and member.status == members_service.ACTIVE:
        outcome = "already_member"
    else:
        completed = join.complete_pending(session, portal=portal, user=user, ip=ip)
        if completed is not None:
            member, outcome = completed, "invitation_completed"
        elif member is not None and member.status == members_service.DEACTIVATED:
            raise members_service.access_ended(portal)
        else:
            member = members_service.activate(
                session,
                portal_id=portal.id,
                user_id=user.id,
                user_type=record.user_type,
                role=record.role,
                products=signups.granted_products(session, record, portal),
                via=VIA_INVITE_LINK,
            )
            outcome = "joined"
    signups.record_outcome(session, record, member_id=member.id, outcome=outcome)
    audit_service.record(
        session,
        Actor(portal=portal, role=Role(member.role), user=user, member=member, ip=ip),
        "invite_link.joined",
        target_type="member",
        target_id=member.id,
        target_label=record.email,
        detail={
            "link_id": str(record.link_id),
            "outcome": outcome,
            "user_type": member.user_type,
            "role": member.role,
        },
    )
    session.flush()
    return Confirmed(signup=record, portal=portal, user=user, member=member, outcome=outcome)
