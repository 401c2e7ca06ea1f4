"""The dev mailbox as JSON. Mounted only with ``ADMIT_EMAIL_BACKEND=dev``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from admit import context
from admit.api.deps import Limit
from admit.api.errors import problems
from admit.errors import InvalidInput, NotFound
from admit.kit.routing import Router
from admit.members.addresses import normalize_email, normalize_phone
from admit.notifications import mailbox
from admit.web import MailboxReader, SessionDep

router = Router(prefix="/dev", tags=["dev"])


class DevMessageRead(BaseModel):
    id: uuid.UUID
    channel: Literal["email", "sms"]
    to: str
    subject: str
    text: str
    html: str
    sent_at: datetime


class DevMessagePage(BaseModel):
    items: list[DevMessageRead]
    next_cursor: str | None


def _address(to: str, region: str) -> str:
    """An email address normalised like a recipient's; a phone number as E.164.

    An unencoded ``?to=+1202…`` arrives as `` 1202…`` (``+`` is a space in a query string):
    digits alone are read as an international number.
    """
    text = to.strip()
    if "@" in text:
        return normalize_email(text)[0] or text.lower()
    phone = normalize_phone(text, region=region)[0]
    if phone is None and text.isdigit():
        phone = normalize_phone("+" + text, region=region)[0]
    return phone or text


@router.get(
    "/messages",
    response_model=DevMessagePage,
    operation_id="dev_messages_list",
    # Served to this machine and to a portal's owners and admins only; others get 404.
    responses=problems(NotFound, InvalidInput),
)
def list_messages(
    session: SessionDep,
    scope: MailboxReader,
    to: str | None = None,
    channel: Literal["email", "sms"] | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> DevMessagePage:
    """Messages the dev backends delivered (a portal's owners and admins: their portals' and
    their own; whoever runs Admit on this machine, not signed in: all), newest first
    (optionally to one address or number), a page at a time (``?cursor=&limit=``).

    ``channel`` is ``email`` or ``sms``; an SMS has ``to`` as an E.164 number, its body in
    ``text``, and an empty ``subject`` and ``html``.
    """
    address = _address(to, context.of(session).settings.default_phone_region) if to else None
    rows, next_cursor = mailbox.messages_page(
        session, to=address, channel=channel, cursor=cursor, limit=limit, scope=scope
    )
    return DevMessagePage(
        items=[
            DevMessageRead(
                id=m.id,
                channel=m.channel,
                to=m.to_address,
                subject=m.subject,
                text=m.text,
                html=m.html,
                sent_at=m.sent_at,
            )
            for m in rows
        ],
        next_cursor=next_cursor,
    )
