"""The invitation's message (email, or SMS for a phone number): what its template is given.

One context builder for every path (a single invite, a request of many, an import batch, a
resend), so every invitation says the same things: who invited whom, to which portal (and
workspace), as what, the personal message, the link and when it expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from admit.kit.text import moment_text
from admit.notifications import held_roles
from admit.notifications import service as notifications_service
from admit.notifications.models import shown_delivery
from admit.portals import brand as portals_brand
from admit.portals.sign_in import password_required, second_factor_required

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from sqlalchemy.orm import Session

    from admit.members.service import KnownAccount
    from admit.notifications.held_roles import Held
    from admit.portals.models import Portal


__all__ = ["Delivery", "context_for", "event_key", "history", "invite_url", "kind_of", "reinvite_url"]

TEMPLATE = "invitation"


def reinvite_url(public_url: str, portal: Portal, *, recipient: str | None = None, user_type: str) -> str:
    """User Management where Reinvite is, at the expired invitations of ``user_type``'s tab (of
    ``recipient``'s, when given): the inviters' digest's links and a request for a new one's."""
    query = {"tab": "clients" if user_type == "client" else "internal", "status": "expired"}
    if recipient:
        query["q"] = recipient
    return f"{public_url}/p/{portal.slug}/users?{urlencode(query)}"


def invite_url(public_url: str, token: str) -> str:
    """The invitation link: built from the configured public URL, never a request's Host."""
    return f"{public_url}/invite/{token}"


def event_key(invitation_id: uuid.UUID, send_count: int) -> str:
    """One message per invitation and send (Resend is the next send)."""
    return f"invitation:{invitation_id}:send:{send_count}"


DeliveryKind = Literal["invitation", "resend", "reminder"]


def kind_of(key: str) -> DeliveryKind:
    """What an invitation's message was, read from its event (``event_key``; a reminder's is
    ``reminders.event_key``, that key and ``:reminder:N``): its first send, a later one (Resend,
    Reinvite), or a reminder."""
    send = key.rsplit(":send:", 1)[-1]
    if ":reminder:" in send:
        return "reminder"
    return "invitation" if send == "1" else "resend"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message of an invitation's delivery history: what it was, on which channel, to
    whom, where it stands (``models.shown_delivery``; ``error``: why it failed, bounced, was
    cancelled, or is being retried), when it was queued and sent."""

    kind: DeliveryKind
    channel: str
    to: str
    status: str
    error: str | None
    queued_at: datetime
    sent_at: datetime | None


def history(
    session: Session, invitation_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[Delivery], str | None]:
    """The invitation's delivery history, newest first, a page at a time. Whoever asks has
    been let see the invitation (``service.deliveries``)."""
    rows, next_cursor = notifications_service.messages_of_invitation(
        session, invitation_id, cursor=cursor, limit=limit
    )
    return [
        Delivery(
            kind=kind_of(m.event_key),
            channel=m.channel or "email",
            to=m.to_address,
            status=shown_delivery(m.status),
            error=m.last_error,
            queued_at=m.created_at,
            sent_at=m.sent_at,
        )
        for m in rows
    ], next_cursor


def context_for(
    *,
    public_url: str,
    portal: Portal,
    recipient: str,
    recipient_name: str,
    user_type: str,
    role: str,
    message: str,
    token: str,
    expires_at: datetime,
    inviter_name: str,
    workspace_name: str | None = None,
    flow_roles: Sequence[Held] = (),
    asked: bool = False,
    resent: bool = False,
    account: KnownAccount | None = None,
) -> dict[str, Any]:
    """What the invitation template needs (the link holds the raw token). ``asked``: the person
    asked to join (an approved join request): the email says their request was approved.
    ``flow_roles``: the flow roles they hold (Assign, as they are invited) or will hold in each
    workspace the invitation brings them into (read again for every later send: a Resend, a
    reminder), which the email and the text name (``notifications.held_roles``). ``account``:
    the one the recipient has already
    (``members.service.known_accounts``): it is greeted by its own name when the inviter gave
    none (an asker's typed name is none: ``notifications.service.greeting_name``), and one
    with a password is told to sign
    in with it (``sign_in_words``). ``resent``: a Resend's email, whose new link killed the
    earlier ones (it says so)."""
    return {
        "asked": asked,
        "resent": resent,
        "workspace_name": workspace_name or "",
        "flow_roles": held_roles.context(flow_roles),
        "inviter_name": inviter_name,
        "portal_name": portal.name,
        "brand": portals_brand.email_context(portal, public_url),
        "recipient": recipient,
        "recipient_name": notifications_service.greeting_name(recipient_name, asked=asked)
        or (account.name if account is not None else ""),
        "user_type": str(user_type),
        "role": str(role),
        "message": message,
        "link": invite_url(public_url, token),
        "expires_at": expires_at.isoformat(),
        "expires_at_text": moment_text(expires_at, portal.time_zone),
        "time_zone": portal.time_zone,  # a text message writes the expiry there too
        "sign_in_words": sign_in_words(
            portal, str(user_type), has_password=account is not None and account.has_password
        ),
    }


def sign_in_words(portal: Portal, user_type: str, *, has_password: bool = False) -> str:
    """What accepting will ask of the invitee, as the invitation is sent. Someone whose account
    has a password already signs in with it to accept (``flows.join``: an invitation never sets
    an account's password). Anyone else by the portal's sign-in policy (``portals.sign_in``): a
    client of a portal that asks no password is told the link signs them in; otherwise, that
    accepting asks for a password, and where the portal requires it, two-step verification.
    Empty: nothing to say (an internal user with no second factor required chooses a password
    as every internal user does)."""
    factor = second_factor_required(portal, user_type)
    if has_password:
        then = " The portal also asks for a code from an authenticator app." if factor else ""
        return "You already have an account: sign in with your password to accept." + then
    if not password_required(portal, user_type):
        then = " You will then set up two-step verification with an authenticator app." if factor else ""
        return "No password is needed: the link signs you in." + then
    if factor:
        return (
            "Accepting asks you for a password and sets up two-step verification with an authenticator app."
        )
    return "" if user_type == "internal" else "Accepting asks you for a password."
