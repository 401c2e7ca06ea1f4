"""Bounces and complaints: what the email provider (or the SMTP server, at send time) says
became of a message, and the per-portal suppression list every path honours.

A hard bounce or a spam complaint marks the message ``bounced`` (User Management shows it),
puts the address on the suppression list of the portal that wrote to it, and is audited with
its source. Provider events arrive at ``POST /api/v1/email-events/{provider}`` in their own
formats (``parse``): Postmark's bounce and spam-complaint webhooks, Amazon SES notifications by
SNS, and a generic one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.errors import InvalidInput
from admit.events import outbox as webhooks
from admit.kit.bulk import one_of
from admit.kit.pagination import page
from admit.notifications import sealed
from admit.notifications.models import BOUNCED, CANCELLED, Notification, Suppression

__all__ = ["Event", "PROVIDERS", "lift", "listed", "parse", "record", "suppressed"]

PROVIDERS = ("generic", "postmark", "ses")
BOUNCE, COMPLAINT = "bounce", "complaint"
OUR_MESSAGE_ID = re.compile(r"<?([0-9a-fA-F-]{36})@admit>?")


@dataclass(frozen=True, slots=True)
class Event:
    """A hard bounce or a complaint for one address; ``message_id`` is ours when known."""

    kind: str  # bounce | complaint
    address: str
    detail: str = ""
    message_id: str | None = None


def suppressed(session: Session, portal_id: uuid.UUID, addresses: Iterable[str]) -> set[str]:
    """The addresses among ``addresses`` the portal no longer writes to (one query)."""
    wanted = list(dict.fromkeys(addresses))
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(Suppression.address).where(
                Suppression.portal_id == portal_id, one_of(session, Suppression.address, wanted)
            )
        )
    )


def listed(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[Suppression], str | None]:
    """The actor's portal's suppression list, newest first: ``(suppressions, next_cursor)``.
    Who may see it: ``PORTAL_SETTINGS`` (owners and admins)."""
    policy.require(actor.role, policy.Action.PORTAL_SETTINGS)
    query = select(Suppression).where(Suppression.portal_id == actor.portal.id)
    return page(session, query, Suppression, cursor=cursor, limit=limit)


def record(session: Session, event: Event, *, source: str) -> int:
    """Apply one event: the message it is about (ours by Message-ID, else the newest one sent to
    the address) is marked bounced, and its portal suppresses the address. Returns how many
    portals suppressed it (0: Admit never wrote to that address)."""
    address = event.address.strip().lower()
    found: Notification | None = None
    ours = OUR_MESSAGE_ID.search(event.message_id or "")
    if ours:
        found = session.get(Notification, uuid.UUID(ours.group(1)))
    if found is None:
        found = session.scalar(
            select(Notification)
            .where(Notification.to_address == address, Notification.status != CANCELLED)
            .order_by(Notification.created_at.desc())
            .limit(1)
        )
    if found is None or found.portal_id is None:
        return 0
    mark_bounced(
        session,
        found,
        kind=event.kind,
        detail=event.detail or ("marked as spam" if event.kind == COMPLAINT else "bounced"),
        source=source,
    )
    return 1


def mark_bounced(
    session: Session, notification: Notification, *, kind: str, detail: str, source: str
) -> None:
    """``notification`` bounced (or was marked as spam): it says so (and keeps no link), its
    portal suppresses the address, and an invitation's webhook ``invitation.bounced`` is written."""
    notification.status = BOUNCED
    notification.last_error = detail[:1000]
    notification.lease_until = None
    notification.context = sealed.spent(notification.context or {})
    if notification.portal_id is None:
        return
    suppress(
        session,
        portal_id=notification.portal_id,
        address=notification.to_address,
        kind=kind,
        detail=notification.last_error,
        source=source,
    )
    if notification.invitation_id is not None:
        webhooks.emit(
            session,
            notification.portal_id,
            "invitation.bounced",
            [
                webhooks.about(
                    "invitation",
                    notification.invitation_id,
                    notification.to_address,
                    channel=notification.channel or "email",
                    reason=kind,
                    source=source,
                )
            ],
        )


def suppress(
    session: Session, *, portal_id: uuid.UUID, address: str, kind: str, detail: str, source: str
) -> None:
    """Put ``address`` on the portal's suppression list (once), audited with its source."""
    if suppressed(session, portal_id, [address]):
        return
    session.add(
        Suppression(portal_id=portal_id, address=address, reason=kind, detail=detail[:1000], source=source)
    )
    audit_service.record(
        session,
        None,
        "address.suppressed",
        target_type="address",
        target_label=address,
        detail={"reason": kind, "source": source, "detail": detail[:200]},
        portal_id=portal_id,
    )
    session.flush()


def lift(session: Session, actor: Actor, address: str) -> bool:
    """Take ``address`` off the actor's portal's list (someone fixed their mailbox), audited as
    theirs (``address.unsuppressed``, with what it was there for); False if absent. Who may:
    ``PORTAL_SETTINGS`` (owners and admins)."""
    policy.require(actor.role, policy.Action.PORTAL_SETTINGS)
    row = session.scalar(
        select(Suppression).where(
            Suppression.portal_id == actor.portal.id, Suppression.address == address.lower()
        )
    )
    if row is None:
        return False
    session.delete(row)
    audit_service.record(
        session,
        actor,
        "address.unsuppressed",
        target_type="address",
        target_label=row.address,
        detail={"reason": row.reason, "source": row.source},
    )
    session.flush()
    return True


def parse(provider: str, body: bytes) -> list[Event]:
    """The hard bounces and complaints in one provider callback (soft bounces, deliveries and
    the rest are not events here: []). A body that is not the provider's format is refused."""
    try:
        data: Any = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidInput("The body is not JSON.", field="body") from exc
    if not isinstance(data, dict):
        raise InvalidInput("The body is not a JSON object.", field="body")
    if provider == "postmark":
        return _postmark(data)
    if provider == "ses":
        return _ses(data)
    return _generic(data)


def _generic(data: dict[str, Any]) -> list[Event]:
    kind = data.get("event")
    if kind not in (BOUNCE, COMPLAINT) or not isinstance(data.get("email"), str):
        raise InvalidInput('Send {"event": "bounce" | "complaint", "email": …}.', field="event")
    return [Event(kind, data["email"], str(data.get("detail") or ""), data.get("message_id"))]


def _postmark(data: dict[str, Any]) -> list[Event]:
    record_type = data.get("RecordType")
    email = data.get("Email")
    if not isinstance(email, str):
        raise InvalidInput("A Postmark event has an Email.", field="Email")
    if record_type == "SpamComplaint":
        return [Event(COMPLAINT, email, "marked as spam (Postmark)")]
    # Hard bounces only: a full mailbox or a greylisting is not a reason to stop writing.
    if record_type == "Bounce" and data.get("Type") in ("HardBounce", "BadEmailAddress", "SpamNotification"):
        return [Event(BOUNCE, email, str(data.get("Description") or data.get("Details") or "hard bounce"))]
    return []


def _ses(data: dict[str, Any]) -> list[Event]:
    # Amazon SES publishes to SNS, which posts {"Type": "Notification", "Message": "<json>"}.
    if data.get("Type") == "SubscriptionConfirmation":
        return []  # confirmed by the operator (README), never fetched from here
    message = data.get("Message", data)
    if isinstance(message, str):
        try:
            message = json.loads(message)
        except ValueError as exc:
            raise InvalidInput("The SNS Message is not JSON.", field="Message") from exc
    if not isinstance(message, dict):
        raise InvalidInput("The SNS Message is not a JSON object.", field="Message")
    kind = message.get("notificationType") or message.get("eventType")
    mail = message.get("mail") or {}
    ours = next(
        (h.get("value") for h in mail.get("headers", []) if str(h.get("name", "")).lower() == "message-id"),
        None,
    )
    if kind == "Bounce" and (message.get("bounce") or {}).get("bounceType") == "Permanent":
        bounce = message["bounce"]
        return [
            Event(
                BOUNCE,
                r["emailAddress"],
                str(r.get("diagnosticCode") or bounce.get("bounceSubType") or "hard bounce"),
                ours,
            )
            for r in bounce.get("bouncedRecipients", [])
            if isinstance(r, dict) and isinstance(r.get("emailAddress"), str)
        ]
    if kind == "Complaint":
        return [
            Event(COMPLAINT, r["emailAddress"], "marked as spam (SES)", ours)
            for r in (message.get("complaint") or {}).get("complainedRecipients", [])
            if isinstance(r, dict) and isinstance(r.get("emailAddress"), str)
        ]
    return []
