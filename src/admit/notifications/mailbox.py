"""Reading the dev mailbox (what the dev email and SMS backends delivered).

A message's ``to_address`` is an email address or, for an SMS (``channel == "sms"``), an
E.164 phone number; ``to`` is matched exactly, as stored.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from admit.kit.pagination import Order, ordered_page
from admit.notifications.models import DevMessage

NEWEST_SENT = Order("-sent_at", ("sent_at",))


def messages_page(
    session: Session,
    *,
    to: str | None = None,
    channel: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[DevMessage], str | None]:
    """The newest messages first, optionally only those to ``to`` and/or on ``channel``, a page
    at a time: ``(messages, next_cursor)``."""
    query = select(DevMessage.id.label("id"), DevMessage.sent_at.label("sent_at"))
    if to:
        query = query.where(DevMessage.to_address == to)
    if channel:
        query = query.where(DevMessage.channel == channel)
    return ordered_page(session, DevMessage, query, cursor=cursor, limit=limit, order=NEWEST_SENT)


def messages(
    session: Session, *, to: str | None = None, limit: int = 50, channel: str | None = None
) -> list[DevMessage]:
    """The newest ``limit`` messages (``messages_page``'s first page)."""
    return messages_page(session, to=to, channel=channel, limit=limit)[0]


def get(session: Session, message_id: uuid.UUID) -> DevMessage | None:
    return session.get(DevMessage, message_id)
