"""Reading the dev mailbox (what the dev backend delivered)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from admit.notifications.models import DevMessage


def messages(session: Session, *, to: str | None = None, limit: int = 50) -> list[DevMessage]:
    query = select(DevMessage).order_by(DevMessage.sent_at.desc(), DevMessage.id.desc()).limit(limit)
    if to:
        query = query.where(DevMessage.to_address == to)
    return list(session.scalars(query))


def get(session: Session, message_id) -> DevMessage | None:
    return session.get(DevMessage, message_id)
