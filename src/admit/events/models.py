from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock

# A message to one endpoint: queued (not tried yet, due at ``next_attempt_at``), sending (claimed
# by a worker), retrying (tried and failed, tried again at ``next_attempt_at``), delivered (the
# endpoint answered 2xx), failed (every attempt failed: Redeliver queues it again). The worker
# (``webhooks.jobs``) sets them; ``waiting`` says which of the two waiting ones a message is.
QUEUED, SENDING, RETRYING, DELIVERED, FAILED = "queued", "sending", "retrying", "delivered", "failed"
MessageStatus = Literal["queued", "sending", "retrying", "delivered", "failed"]
STATUSES: tuple[str, ...] = get_args(MessageStatus)
WAITING = (QUEUED, RETRYING)  # due at ``next_attempt_at``
TRIED_AND_FAILED = (RETRYING, FAILED)  # its latest attempt failed
UNFINISHED = (QUEUED, SENDING, RETRYING)  # in its endpoint's line: the oldest is its head


def waiting(attempts: int) -> str:
    """The status of a message that waits for its next attempt, after ``attempts`` of them since
    it was queued (written, or Redelivered: ``round_from``)."""
    return RETRYING if attempts > 0 else QUEUED


# The longest URL and description an endpoint keeps (webhooks.service checks them).
MAX_WEBHOOK_URL = 2000
MAX_WEBHOOK_DESCRIPTION = 200


class WebhookEndpoint(Base):
    """A URL a portal's events are posted to, with the events it wants and its signing secret
    (sealed: ``kit.secretbox``). After a rotation the previous secret signs too, until
    ``previous_secret_until``, so the receiver can switch without losing a message."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_portal", "portal_id", "enabled"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(MAX_WEBHOOK_URL))
    description: Mapped[str] = mapped_column(String(MAX_WEBHOOK_DESCRIPTION), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_sealed: Mapped[str] = mapped_column(Text)
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class WebhookMessage(Base):
    """One event for one endpoint: the outbox row the worker delivers. ``body`` is the exact JSON
    that is signed and sent, the same on every attempt; ``msg_id`` is its ``webhook-id``."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        Index("ix_webhook_messages_due", "status", "next_attempt_at"),
        Index("ix_webhook_messages_endpoint_created", "endpoint_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # every one, as its log shows them
    # ``attempts`` at the latest Redeliver: the retry schedule counts from there.
    round_from: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=clock.now)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """One try at delivering a message: the delivery log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_message", "message_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_messages.id", ondelete="CASCADE"))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response: Mapped[str] = mapped_column(String(500), default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
