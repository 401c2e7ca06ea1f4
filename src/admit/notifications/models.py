from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol, TypedDict

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock

# What an outbox row keeps of its link once the message is gone (sent, failed, bounced).
REDACTED = "[link removed after delivery]"


class NotificationStatus(StrEnum):
    """An outbox row: queued (due at ``next_attempt_at``), sending (claimed by a worker), sent,
    failed (gave up), cancelled (its link died before delivery), bounced (the recipient's server
    refused the address for good, or its owner marked it as spam: ``notifications.bounces``)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    BOUNCED = "bounced"


QUEUED, SENDING, SENT, FAILED, CANCELLED, BOUNCED = (
    NotificationStatus.QUEUED,
    NotificationStatus.SENDING,
    NotificationStatus.SENT,
    NotificationStatus.FAILED,
    NotificationStatus.CANCELLED,
    NotificationStatus.BOUNCED,
)


class Notification(Base):
    """One email (or SMS) to deliver: the outbox row, written with the change that causes it.

    ``event_key`` is unique: one event yields at most one notification. The worker claims a row
    (``sending`` with a lease), delivers it, and marks it ``sent``; a failure goes back to
    ``queued`` with ``next_attempt_at`` pushed out (backoff) until ``failed``.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        # The portal's sending limit counts its recent invitation messages.
        Index("ix_notifications_portal_created", "portal_id", "created_at"),
        # What one recipient was sent lately (``notifications.service.recipient_waits``).
        Index("ix_notifications_to_created", "to_address", "created_at"),
        # The roster's delivery filter: the portal's messages in one state, by invitation.
        Index("ix_notifications_portal_status", "portal_id", "status", "invitation_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(8), default="email")
    template: Mapped[str] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(String(320))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DevMessage(Base):
    """A message delivered by the dev backend: the dev mailbox (``/dev/mailbox``)."""

    __tablename__ = "dev_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    notification_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    channel: Mapped[str] = mapped_column(String(8), default="email", server_default="email")
    subject: Mapped[str] = mapped_column(String(400))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


# What a list can filter invitations by: their newest message's delivery (``delivery_status``).
DeliveryFilter = Literal["none", "queued", "sent", "failed", "bounced"]
# How each delivery reads, wherever it is shown (a row's badge, the filter, the badge's live update).
DELIVERY_WORDS = {
    "none": "Not sent",
    "queued": "Queued",
    "sent": "Sent",
    "failed": "Failed",
    "bounced": "Bounced",
    "cancelled": "Cancelled",
}
# A queued message whose last try failed (``delivery_status`` gives its error): said before the
# reason on the row, "Retrying — Connection refused", until it is sent or given up.
RETRYING_WORD = "Retrying"


class Delivered(Protocol):
    """A ``Notification``, or a row of its ``status``, ``last_error`` and ``sent_at``."""

    @property
    def status(self) -> str: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def sent_at(self) -> datetime | None: ...


class DeliveryStatus(TypedDict):
    status: str
    error: str | None
    at: datetime | None


def shown_delivery(status: str | None) -> str:
    """How a message's status reads as a delivery: none, queued (waiting or being sent), sent,
    failed or cancelled."""
    if status is None:
        return "none"
    return QUEUED if status == SENDING else status


def delivery_status(notification: Delivered | None) -> DeliveryStatus:
    """What the invitation shows: queued, sent or failed (with the reason). ``notification`` is
    a ``Notification`` or a row with its ``status``, ``last_error`` and ``sent_at``."""
    if notification is None:
        return {"status": "none", "error": None, "at": None}
    status = shown_delivery(notification.status)
    return {
        "status": status,
        "error": notification.last_error if status in (FAILED, QUEUED, BOUNCED) else None,
        "at": notification.sent_at,
    }


class Suppression(Base):
    """An address a portal no longer writes to: a hard bounce or a spam complaint (from the
    email provider's events, or an SMTP 5xx refusal at send time). Every path honours it
    (``notifications.service``); an owner or admin can lift it."""

    __tablename__ = "suppressions"
    __table_args__ = (Index("uq_suppressions_portal_address", "portal_id", "address", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(16))  # bounce | complaint
    detail: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(32))  # smtp | generic | postmark | ses
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class NotificationPreference(Base):
    """A person's choice about one kind of message (``notifications.preferences.KINDS``); no
    row: they get it."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class MandatoryKind(Base):
    """A kind of optional message a portal makes mandatory for its people: sent whatever their
    preference, and without an unsubscribe link."""

    __tablename__ = "mandatory_notification_kinds"
    __table_args__ = (
        UniqueConstraint("portal_id", "kind", name="uq_mandatory_notification_kinds_portal_kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
