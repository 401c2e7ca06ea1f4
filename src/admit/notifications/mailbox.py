"""Reading the dev mailbox (what the dev email and SMS backends delivered).

A message's ``to_address`` is an email address or, for an SMS (``channel == "sms"``), an
E.164 phone number; ``to`` is matched exactly, as stored.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from admit.notifications.models import DevMessage


def messages(
    session: Session, *, to: str | None = None, limit: int = 50, channel: str | None = None
) -> list[DevMessage]:
    """The newest messages first, optionally only those to ``to`` and/or on ``channel``."""
    query = select(DevMessage).order_by(DevMessage.sent_at.desc(), DevMessage.id.desc()).limit(limit)
    if to:
        query = query.where(DevMessage.to_address == to)
    if channel:
        query = query.where(DevMessage.channel == channel)
    return list(session.scalars(query))


def get(session: Session, message_id: uuid.UUID) -> DevMessage | None:
    return session.get(DevMessage, message_id)
