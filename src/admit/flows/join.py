"""Joining a portal: accepting an invitation by its link, or completing a pending invitation for
someone who proved their address another way (a confirmed link sign-up).

``join`` is the one step every accepted invitation ends in: the person becomes an active member
with the invitation's type, role and products, the workspaces they were added to count them as
joined, and it is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from admit.actor import Actor
from admit.audit import service as audit_service
from admit.auth import gate
from admit.errors import DomainError, InvalidInput, WrongAccount
from admit.invitations import service as invitations_service
from admit.invitations.models import Invitation
from admit.kit.text import is_phone, readable_phone
from admit.members import service as members_service
from admit.members.models import VIA_INVITATION, Member, User
from admit.members.passwords import hash_chosen
from admit.notifications import held_roles
from admit.policy import Role
from admit.portals import service as portals_service
from admit.portals.models import Portal
from admit.portals.sign_in import password_required
from admit.workspaces import roles as workspace_roles
from admit.workspaces import service as workspaces_service

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session


__all__ = [
    "Accepted",
    "InvitationPreview",
    "accept",
    "already_joined",
    "complete_pending",
    "join",
    "joined_with",
    "portal_of_invitation",
    "preview",
]


@dataclass(slots=True)
class InvitationPreview:
    """What an invitation link shows before anyone clicks Join."""

    invitation: Invitation
    portal: Portal
    inviter_name: str
    account_exists: bool  # the address has an account (with a password or not)
    # The account has a password: its owner signs in to accept (an invitation never sets or
    # resets a password; an account without one chooses its first here, ``accept``).
    sign_in_required: bool
    password_required: bool
    workspace_name: str | None  # the workspace the invitation also brings them into
    # The flow roles they will hold in each workspace it brings them into (the page says them as
    # its messages do: ``notifications.held_roles``), as a message's context keeps them.
    flow_roles: list[list[Any]]
    for_viewer: bool  # the one signed in is the recipient
    # What the "Your name" field starts with: the account's own name if it has one, else the
    # name the inviter gave (a label the person may keep or change: ``accept``).
    suggested_name: str
    # The portal's sign-in policy changed after the newest message of the invitation went (sent,
    # resent or a reminder): what that message said of a password may no longer hold.
    policy_changed_since_sent: bool = False
    # What the invitation's message was to its recipient: "text message" or "email".
    sent_as: str = "email"


@dataclass(slots=True)
class Accepted:
    invitation: Invitation
    portal: Portal
    user: User
    member: Member
    new_user: bool = False  # the account was made by this accept

    @property
    def made_in(self) -> tuple[Portal, Member] | None:
        """For the sign-in gate (``auth.service.two_factor_due``): where a new account was made."""
        return (self.portal, self.member) if self.new_user else None


def _chooses_password(user: User | None, invitation: Invitation, portal: Portal) -> bool:
    """Whether accepting chooses a password: for an address with no account, or one without a
    password (a client who signs in by links), when the invitation needs one (an internal
    user's; a client's where the portal asks its clients for one). Nowhere else is a password
    taken (``accept``)."""
    no_password = user is None or user.password_hash is None
    return no_password and password_required(portal, invitation.user_type)


def _password_not_taken(user: User | None, address: str) -> InvalidInput:
    """The refusal of a password sent where accepting chooses none (``_chooses_password``): the
    page offers no field for it, and setting it would change, unasked, how the account signs in
    (one with a password gets no sign-in links). Its sign-in link is said as the invitee's
    ``address`` gets it: by email, or by text message to a phone number."""
    if user is not None and user.password_hash is not None:
        words = "Your account has a password already; accepting an invitation never changes it."
    else:
        link = "a link sent by text message" if is_phone(address) else "email link"
        words = f"This portal signs clients in by {link}; no password is needed."
    return InvalidInput(words, field="password")


def preview(session: Session, token: str, *, viewer: User | None = None) -> InvitationPreview:
    """What an invitation link shows. Never uses the link up (mail scanners open links)."""
    invitation = invitations_service.open_by_token(session, token)
    portal = portals_service.get_or_raise(session, invitation.portal_id)
    user = members_service.get_user_by_address(session, invitation.recipient)
    workspace_name, held = workspace_roles.invitation_place(session, invitation.id)
    return InvitationPreview(
        invitation=invitation,
        portal=portal,
        inviter_name=invitation.inviter_name(portal.name),
        account_exists=user is not None,
        sign_in_required=bool(user and user.password_hash),
        password_required=_chooses_password(user, invitation, portal),
        workspace_name=workspace_name,
        flow_roles=held_roles.context(held),
        for_viewer=viewer is not None and viewer.has_address(invitation.recipient),
        suggested_name=(user.name if user else "") or invitation.recipient_name,
        policy_changed_since_sent=_policy_changed_since_sent(invitation, portal),
        sent_as=invitations_service.sent_as(invitation.recipient),
    )


def _policy_changed_since_sent(invitation: Invitation, portal: Portal) -> bool:
    changed = portal.sign_in_policy_changed_at
    sent = [invitation.created_at, invitation.last_sent_at, invitation.last_reminded_at]
    return changed is not None and changed > max(t for t in sent if t is not None)


def portal_of_invitation(session: Session, token: str) -> Portal | None:
    """The portal a live invitation link leads into (the look of the sign-in page its "Sign in
    to accept" opens); None for a link that no longer works (that page then says nothing of it)."""
    try:
        invitation = invitations_service.open_by_token(session, token)
    except DomainError:
        return None
    return portals_service.get(session, invitation.portal_id)


def already_joined(session: Session, token: str, viewer: User) -> Portal | None:
    """The portal ``viewer`` joined with this invitation link, when it is used and was sent to
    them and they are an active member there: what its page tells them instead of "no longer
    valid" (the link's fate is theirs to know; anyone else learns nothing)."""
    invitation = invitations_service.used_by_link(session, token)
    if invitation is None:
        return None
    return joined_with(session, viewer, address=invitation.recipient, portal_id=invitation.portal_id)


def joined_with(session: Session, viewer: User, *, address: str, portal_id: uuid.UUID) -> Portal | None:
    """The portal a used link (sent to ``address``, for ``portal_id``) let ``viewer`` join: when
    the address is theirs and they are an active member there; else None (anyone else learns
    nothing). An invitation's link and a sign-up's confirmation link alike."""
    if not viewer.has_address(address) or members_service.active_role(session, portal_id, viewer.id) is None:
        return None
    return portals_service.get(session, portal_id)


def accept(
    session: Session,
    *,
    token: str,
    name: str | None = None,
    password: str | None = None,
    current_user: User | None = None,
    ip: str | None = None,
) -> Accepted:
    """Use an invitation: exactly once, even when two requests race.

    The role, user type and products come from the invitation, never from the request. An
    address whose account has a password must be signed in to it; an invitation never changes
    or resets a password. Internal users choose a password here; clients need none unless the
    portal requires one. An account without a password (a client who signs in by links) chooses
    its first one here when the invitation needs one: the link went to the address, so whoever
    holds it proves the address as a sign-in link would (a confirmed link sign-up does the same).
    A password sent where accepting chooses none is refused (``InvalidInput`` on ``password``),
    never set or dropped unsaid: a client may choose one later, on their account page.

    ``name`` is the person's own, given as they accept: it is the account's name from now on,
    over any name it had (an account nobody has claimed may carry one given by others). Names
    given by third parties (the inviter's recipient name, a join requester's, a contact's) are
    labels on the invitation, request or contact, never the account's: accepting without a name
    leaves the account's name as it was (none, for a new account: it is shown by its address).
    """
    invitation = invitations_service.open_by_token(session, token)
    portal = portals_service.get_or_raise(session, invitation.portal_id)
    if current_user is not None and not current_user.has_address(invitation.recipient):
        raise WrongAccount(
            f"This invitation is for {readable_phone(invitation.recipient)}. "
            "Sign out and continue as that address."
        )
    user = _account(session, invitation, current_user)
    new_password_hash = None
    stepped_out = False  # out of the transaction that opened the link (to hash a password)
    if password and not _chooses_password(user, invitation, portal):
        raise _password_not_taken(user, invitation.recipient)
    if _chooses_password(user, invitation, portal):
        new_password_hash, stepped_out = hash_chosen(session, password, address=invitation.recipient)
        if stepped_out:  # another accept for this address may have made the account meanwhile
            if user is not None:
                session.expire(user)
            user = _account(session, invitation, current_user)
    own_name = members_service.own_name(name)

    # Whether its inviter can still grant it was asked as the link was opened, in this same
    # transaction, unless it was left to hash a password: then it is asked again.
    invitation = invitations_service.claim(session, token, grantable_checked=not stepped_out)
    new_user = user is None
    if user is None:
        user = members_service.add_user(
            session, invitation.recipient, name=own_name, password_hash=new_password_hash
        )
    else:
        if new_password_hash and user.password_hash is None:
            user.password_hash = new_password_hash  # a passwordless (client) account's first password
        if own_name:
            user.name = own_name  # their own name wins
    member = join(session, invitation, portal, user, ip=ip, new_user=new_user)
    return Accepted(invitation=invitation, portal=portal, user=user, member=member, new_user=new_user)


def _account(session: Session, invitation: Invitation, current_user: User | None) -> User | None:
    """The account of the invitation's address, if there is one. One with a password must be
    the one signed in (``auth.gate.owes_sign_in``; an invitation never sets or resets an
    account's password)."""
    user = members_service.get_user_by_address(session, invitation.recipient)
    if gate.owes_sign_in(user, current_user):
        invitations_service.reopen(session, invitation)  # the account may be a racer's accept
        shown = readable_phone(invitation.recipient)
        raise gate.sign_in_first(shown, "accept")
    return user


def join(
    session: Session,
    invitation: Invitation,
    portal: Portal,
    user: User,
    *,
    ip: str | None,
    via: str | None = None,
    new_user: bool = False,
) -> Member:
    """An invitation just claimed: the user becomes an active member with its type, role and
    products (those the portal still has enabled: ``portals.service.still_enabled``), the
    workspaces they were added to count them as joined, and it is audited. ``new_user``: the
    user was made in this transaction (``members.service.activate``)."""
    member = members_service.activate(
        session,
        portal_id=portal.id,
        user_id=user.id,
        user_type=invitation.user_type,
        role=invitation.role,
        products=portals_service.still_enabled(portal, invitation.products),
        via=VIA_INVITATION,
        invited_by_id=invitation.invited_by_id,
        inviter_label=invitation.inviter_label,
        new_user=new_user,
    )
    invitations_service.joined_as(session, invitation, member.id)
    # A user made by this very accept was in no workspace yet (adding someone new to a workspace
    # makes their user first): nothing to mark joined.
    if not new_user and workspaces_service.mark_joined(session, portal.id, user.id):
        # Actions assigned to their roles before they joined are announced now.
        workspace_roles.announce_open_actions(session, portal, user.id)
    detail = {"role": member.role, "user_type": member.user_type}
    if via is not None:
        detail["via"] = via
    audit_service.record(
        session,
        Actor(portal=portal, role=Role(member.role), user=user, member=member, ip=ip),
        "invitation.accepted",
        target_type="invitation",
        target_id=invitation.id,
        target_label=invitation.recipient,
        detail=detail,
        later=True,  # in one INSERT with the sign-in's event that follows an accept
    )
    session.flush()
    return member


def complete_pending(session: Session, *, portal: Portal, user: User, ip: str | None = None) -> Member | None:
    """Complete ``user``'s pending invitation to ``portal`` without its link (they have just
    proved they own the address: a confirmed invite-link sign-up). The invitation's type, role
    and products apply. None when no live invitation is pending."""
    if user.address is None:
        return None
    invitation = invitations_service.claim_pending_for(session, portal_id=portal.id, address=user.address)
    if invitation is None:
        return None
    return join(session, invitation, portal, user, ip=ip, via="invite_link")
