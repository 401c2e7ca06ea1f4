"""Reading the dev mailbox (what the dev email and SMS backends delivered).

A message's ``to_address`` is an email address or, for an SMS (``channel == "sms"``), an
E.164 phone number; ``to`` is matched exactly, as stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from admit.kit.pagination import Order, ordered_page
from admit.notifications.models import DevMessage, Notification

NEWEST_SENT = Order("-sent_at", ("sent_at",))


@dataclass(frozen=True)
class MailboxScope:
    """The messages one reader may see: those of ``portal_ids`` (their notification's portal)
    and those to ``addresses`` (their own), less those to ``withheld`` (a query of addresses:
    people who belong to a portal the reader does not run, whose messages' links would sign the
    reader in as them). ``web.mailbox_scope`` decides it."""

    portal_ids: frozenset[uuid.UUID]
    addresses: frozenset[str]
    withheld: Select[Any] | None = field(default=None, compare=False)


_Q = TypeVar("_Q", bound=Select)  # type: ignore[type-arg]


def _within(query: _Q, scope: MailboxScope | None, *, withheld: bool = False) -> _Q:
    """``query`` kept to what ``scope`` shows (``withheld``: to what it would show but holds back)."""
    if scope is None:
        return query
    own = DevMessage.to_address.in_(scope.addresses or [""])
    held: ColumnElement[bool] = (
        and_(~own, DevMessage.to_address.in_(scope.withheld)) if scope.withheld is not None else false()
    )
    return query.outerjoin(Notification, Notification.id == DevMessage.notification_id).where(
        or_(Notification.portal_id.in_(scope.portal_ids or [None]), own),
        held if withheld else ~held,
    )


def messages_page(
    session: Session,
    *,
    to: str | None = None,
    channel: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    scope: MailboxScope | None = None,
) -> tuple[list[DevMessage], str | None]:
    """The newest messages first, optionally only those to ``to`` and/or on ``channel``, a page
    at a time: ``(messages, next_cursor)``; only those ``scope`` holds (None: every one)."""
    query = _within(select(DevMessage.id.label("id"), DevMessage.sent_at.label("sent_at")), scope)
    if to:
        query = query.where(DevMessage.to_address == to)
    if channel:
        query = query.where(DevMessage.channel == channel)
    return ordered_page(session, DevMessage, query, cursor=cursor, limit=limit, order=NEWEST_SENT)


def withheld_count(session: Session, scope: MailboxScope | None) -> int:
    """How many messages ``scope`` holds back from its reader (``MailboxScope.withheld``)."""
    if scope is None or scope.withheld is None:
        return 0
    return session.scalar(_within(select(func.count(DevMessage.id)), scope, withheld=True)) or 0


def messages(
    session: Session, *, to: str | None = None, limit: int = 50, channel: str | None = None
) -> list[DevMessage]:
    """The newest ``limit`` messages (``messages_page``'s first page)."""
    return messages_page(session, to=to, channel=channel, limit=limit)[0]


def get(session: Session, message_id: uuid.UUID, scope: MailboxScope | None = None) -> DevMessage | None:
    """The message, if ``scope`` holds it."""
    found: DevMessage | None = session.scalar(
        _within(select(DevMessage).where(DevMessage.id == message_id), scope)
    )
    return found
