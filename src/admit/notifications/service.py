"""The one place notifications are written.

A notification is a row in the same transaction as the change that causes it (the outbox);
the worker (``notifications.jobs``) delivers it after commit. ``event_key`` names the event,
so writing the same event twice is a no-op rather than a second email. Its secrets (a link's
token, a code) are stored sealed (``notifications.sealed``), on every path here.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    Update,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from admit import context
from admit.context import of as context_of
from admit.db import rowcount
from admit.errors import AddressSuppressed, RecipientRateLimited
from admit.kit.bulk import insert_rows, new_ids, one_of
from admit.kit.pagination import page
from admit.kit.text import is_phone, readable_phone, wait_in_words
from admit.notifications import bounces, preferences, sealed
from admit.notifications.models import CANCELLED, QUEUED, SENDING, SENT, Notification
from admit.notifications.render import SMS_TEMPLATES, TEMPLATES

log = logging.getLogger("admit.notifications")

__all__ = [
    "InvitationMessages",
    "Wait",
    "recipient_waits",
    "require_recipient_free",
    "cancel_for_invitation",
    "cancel_events",
    "count_invitation_messages",
    "count_texts",
    "channel_for",
    "enqueue",
    "enqueue_email",
    "greeting_name",
    "held_back",
    "enqueue_once",
    "enqueue_many",
    "latest_for_invitations",
    "told",
]


def greeting_name(name: str, *, asked: bool) -> str:
    """The name an email greets its recipient by ("" greets no one: "Hello,"). ``asked``: the
    name was typed by whoever asked for the message (a link sign-up, a workspace join request
    and its answers, the invitation an approved request makes). Anyone can ask in anyone's
    name, and the greeting would be their words in an email sent under the portal's name
    ("Hello your account is locked - call …,"), so such a name greets no one. A name the
    inviter gave, or the account's own, is the inviter's or the person's and greets them."""
    return "" if asked else name


def recipient_waits(session: Session, addresses: Iterable[str]) -> dict[str, Wait]:
    """The addresses among ``addresses`` that may not be sent another message yet, each with
    the seconds until it may: the per-recipient caps (``ADMIT_RECIPIENT_MINUTE_LIMIT`` messages
    a minute, ``ADMIT_RECIPIENT_DAY_LIMIT`` a day), counted over every message written to the
    address (email or SMS, any kind, any path; cancelled ones never went out and do not count,
    nor do the messages a person asks for themselves and security notices, which are bounded on
    their own and are never held by the caps: ``UNCAPPED``).
    One query for any number of addresses. Off, like every limit, with ``ADMIT_RATE_LIMITS_ENABLED=false``.
    """
    ctx = context_of(session)
    wanted = list(dict.fromkeys(addresses))
    if not wanted or not ctx.limiter.enabled:
        return {}
    settings = ctx.settings
    now = ctx.clock.now()
    minute_ago, day_ago = now - timedelta(minutes=1), now - timedelta(days=1)
    in_minute = Notification.created_at > minute_ago
    rows = session.execute(
        select(
            Notification.to_address,
            func.count(),
            func.min(Notification.created_at),
            func.count(case((in_minute, 1))),
            func.min(case((in_minute, Notification.created_at))),
        )
        .where(
            one_of(session, Notification.to_address, wanted),
            Notification.created_at > day_ago,
            Notification.status != CANCELLED,
            Notification.template.not_in(UNCAPPED),
        )
        .group_by(Notification.to_address)
    )
    waits: dict[str, Wait] = {}
    for address, day_count, day_first, minute_count, minute_first in rows:
        if day_count >= settings.recipient_day_limit:
            waits[address] = Wait.until(day_first + timedelta(days=1), now, daily=True)
        elif minute_count >= settings.recipient_minute_limit:
            waits[address] = Wait.until(minute_first + timedelta(minutes=1), now, daily=False)
    return waits


@dataclass(frozen=True, slots=True)
class Wait:
    """How long until an address may be sent another message (``recipient_waits``), and which
    cap holds it: the day's, or the minute's."""

    seconds: int
    daily: bool

    @classmethod
    def until(cls, moment: datetime, now: datetime, *, daily: bool) -> Wait:
        return cls(max(1, int((moment - now).total_seconds()) + 1), daily)


def limit_reached(wait: Wait, *, who: str = "This person") -> str:
    """What the per-person limit says (``recipient_waits``): why, and when to try again."""
    if wait.daily:
        why = f"{who} has had as many messages today as Admit sends one person in a day."
    else:
        why = f"{who} was sent a message less than a minute ago."
    return f"{why} Try again in {wait_in_words(wait.seconds)}."


def require_recipient_free(session: Session, to: str, portal_id: uuid.UUID | None = None) -> None:
    """Raise ``address_suppressed`` (409) if the portal no longer writes to ``to`` (it bounced,
    or was marked as spam), or ``recipient_rate_limited`` (429, ``retry_after``) if ``to`` may
    not be sent another message yet (``recipient_waits``): for a message a person asks for again
    (Resend)."""
    if portal_id is not None and bounces.suppressed(session, portal_id, [to]):
        raise AddressSuppressed(
            f"Mail to {readable_phone(to)} bounced or was marked as spam, so this portal no longer writes "
            "to it. Lift it from the suppression list once the address works."
        )
    wait = recipient_waits(session, [to]).get(to)
    if wait is None:
        return
    why = limit_reached(wait, who=readable_phone(to))
    refused = RecipientRateLimited(f"Nothing was sent: {why}", retry_after=wait.seconds)
    refused.why = why
    raise refused


def count_texts(session: Session, portal_id: uuid.UUID, since: datetime) -> int:
    """Texts (SMS) the portal has queued or sent since ``since`` (cancelled ones never went):
    what its daily SMS budget counts."""
    return (
        session.scalar(
            select(func.count()).where(
                Notification.portal_id == portal_id,
                Notification.channel == "sms",
                Notification.status != CANCELLED,
                Notification.created_at > since,
            )
        )
        or 0
    )


def channel_for(address: str) -> str:
    """``sms`` for a phone number (stored as E.164, ``+…``: ``kit.text.is_phone``),
    ``email`` for anything else."""
    return "sms" if is_phone(address) else "email"


# Messages outside the per-recipient caps, neither held by them nor counted in them: what the
# person asks for themselves, and what tells them of a change to their own account. The caps are
# for what others send a person (invitations, sign-up confirmations, actions…): sign-ups anyone
# can send through a public link had used up an address's day, and the sign-in link its owner then
# asked for was never sent. Each is bounded on its own:
# - ``sign_in`` (with its 6-digit code) and ``password_reset``: asked for by typing the address;
#   ``auth.service._ask`` limits the asks per client and address, and ``_send_link`` makes one
#   link of a purpose a minute at most;
# - ``security_notice`` (a password changed, two-step verification reset, an email changed…):
#   follows an action on the account itself, one of a kind per account and 10 minutes
#   (``auth.notices``); the reset email a minute before must not hide it;
# - ``access_ended``: one per deactivation, which only the portal's owners and admins do.
UNCAPPED = frozenset({"sign_in", "password_reset", "security_notice", "access_ended"})


def enqueue(
    session: Session,
    *,
    event_key: str,
    template: str,
    to: str,
    context: dict[str, Any],
    portal_id: uuid.UUID | None = None,
    invitation_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> Notification | None:
    """Queue one message to ``to``: an SMS to a phone number, an email to an address. None: not
    written, ``to`` has had as many messages as it may for now (``recipient_waits``), or the
    person (``user_id``) turned its kind off (``preferences``); a message of an optional kind
    carries the link that turns it off."""
    wanted = _as_wanted(session, template, context, portal_id, user_id, to)
    if wanted is None:
        return None
    context = wanted
    if channel_for(to) == "sms":
        if template not in SMS_TEMPLATES:
            raise ValueError(f"no SMS form of template {template!r}")
        return _enqueue(session, "sms", event_key, template, to, context, portal_id, invitation_id)
    return enqueue_email(
        session,
        event_key=event_key,
        template=template,
        to=to,
        context=context,
        portal_id=portal_id,
        invitation_id=invitation_id,
    )


def _as_wanted(
    session: Session,
    template: str,
    context: dict[str, Any],
    portal_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    to: str,
) -> dict[str, Any] | None:
    """``context`` as a message of ``template`` to the person ``user_id`` is written: None when
    they turned its kind off (``preferences``), unless the portal makes it mandatory; a message
    of an optional kind carries the link that turns it off (naming the portal and ``to``, for
    its page to say)."""
    kind = preferences.TEMPLATE_KIND.get(template)
    if kind is not None and preferences.sent_anyway(session, portal_id, kind):
        kind = None  # the portal makes it mandatory: sent whatever the preference, no unsubscribe link
    if kind is None or user_id is None:
        return context
    if not preferences.wanted(session, user_id, kind):
        log.info("notification.not_wanted template=%s", template)
        return None
    settings = context_of(session).settings
    token = preferences.unsubscribe_token(settings.secret_key, user_id, kind, portal_id=portal_id, address=to)
    return {**context, "unsubscribe_url": f"{settings.public_url}/unsubscribe/{token}"}


def _held(
    session: Session, to: str, portal_id: uuid.UUID | None, *, capped: bool = True
) -> tuple[str | None, Wait | None]:
    """Whether a message to ``to`` may be written, and when it may go: ``(reason, None)`` when
    not at all: ``recipient_capped`` (the day's per-person limit, for a ``capped`` kind) or
    ``suppressed`` (the portal no longer writes to it); ``(None, wait)`` when it is written to
    wait its turn (the minute's limit: ``_turn``); ``(None, None)``: now."""
    wait = recipient_waits(session, [to]).get(to) if capped else None
    if wait is not None and wait.daily:
        return "recipient_capped", None
    if portal_id is not None and bounces.suppressed(session, portal_id, [to]):
        return "suppressed", None
    return None, wait


def _turn(session: Session, to: str, wait: Wait) -> datetime:
    """When a message held by the minute's per-person limit goes: once the limit lets the
    address have another, and after every message already waiting for it, one each
    1/``ADMIT_RECIPIENT_MINUTE_LIMIT`` of a minute (three new actions at once: a minute apart)."""
    ctx = context_of(session)
    spacing = timedelta(seconds=60 / ctx.settings.recipient_minute_limit)
    at = ctx.clock.now() + timedelta(seconds=wait.seconds)
    waiting = session.scalar(
        select(func.max(Notification.next_attempt_at)).where(
            Notification.to_address == to, Notification.status == QUEUED
        )
    )
    return max(at, waiting + spacing) if waiting is not None else at


def held_back(session: Session, to: str, portal_id: uuid.UUID | None = None) -> bool:
    """Whether a message to ``to`` would not be written at all now (``enqueue_email``'s own
    checks: the day's per-person limit, or it bounced), for a caller that must know before it
    writes anything else. One the minute's limit holds is written, to go a little later."""
    return _held(session, to, portal_id)[0] is not None


def enqueue_email(
    session: Session,
    *,
    event_key: str,
    template: str,
    to: str,
    context: dict[str, Any],
    portal_id: uuid.UUID | None = None,
    invitation_id: uuid.UUID | None = None,
) -> Notification | None:
    """Queue one email. ``context`` is what the template needs (JSON-serialisable). None: not
    written (``recipient_waits``)."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown email template {template!r}")
    return _enqueue(session, "email", event_key, template, to, context, portal_id, invitation_id)


def _enqueue(
    session: Session,
    channel: str,
    event_key: str,
    template: str,
    to: str,
    context: dict[str, Any],
    portal_id: uuid.UUID | None,
    invitation_id: uuid.UUID | None,
) -> Notification | None:
    existing = session.scalar(select(Notification).where(Notification.event_key == event_key))
    if existing is not None:
        return existing
    held, wait = _held(session, to, portal_id, capped=template not in UNCAPPED)
    if held is not None:
        # Whatever asked for it, the recipient has had as many messages as a day allows (a
        # Resend says so first: ``require_recipient_free``), or it bounced or was marked as
        # spam: not sent.
        log.info("notification.%s template=%s", held, template)
        return None
    notification = Notification(
        event_key=event_key,
        channel=channel,
        template=template,
        to_address=to,
        context=sealed.at_rest(context, context_of(session).settings),
        portal_id=portal_id,
        invitation_id=invitation_id,
    )
    if wait is not None:
        # The minute's limit: written, to go in its turn, never dropped (a new action's email
        # right after the person was added to the workspace had been lost).
        notification.next_attempt_at = _turn(session, to, wait)
        log.info("notification.waits_its_turn template=%s", template)
    session.add(notification)
    return notification


def enqueue_once(
    session: Session,
    *,
    event_key: str,
    template: str,
    to: str,
    context: dict[str, Any],
    portal_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> bool:
    """Queue one message unless its event has one already, or the person (``user_id``) turned
    its kind off (as ``enqueue``); True when this call queued it.

    Scheduled work run by several workers at once (the inviters' daily digest) claims its event
    with the insert itself (``ON CONFLICT DO NOTHING`` on ``event_key``): on PostgreSQL the
    second insert waits for the first's transaction and then does nothing."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown email template {template!r}")
    wanted = _as_wanted(session, template, context, portal_id, user_id, to)
    if wanted is None:
        return False
    ctx = context_of(session)
    now = ctx.clock.now()
    values = {
        "id": uuid.uuid4(),
        "event_key": event_key,
        "channel": channel_for(to),
        "template": template,
        "to_address": to,
        "context": sealed.at_rest(wanted, ctx.settings),
        "portal_id": portal_id,
        "status": QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(Notification.id)
    ).first()
    return inserted is not None


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Queue many emails (or SMS, for phone numbers) in one statement (the bulk paths).

    Each row has ``event_key``, ``template``, ``to``, ``context``, ``portal_id`` and optionally
    ``invitation_id`` and ``wait`` (the minute's per-person limit holds ``to``:
    ``recipient_waits``; the message goes in its turn, as ``enqueue``'s do). Unlike
    ``enqueue_email`` this does not look for an existing row per event: callers pass events that
    are new by construction (fresh invitation ids), and the unique ``event_key`` still refuses a
    repeat.
    """
    if not rows:
        return
    ctx = context.of(session)
    now = ctx.clock.now()
    ids = iter(new_ids(len(rows)))
    stored = iter(sealed.at_rest_many([row["context"] for row in rows], ctx.settings))
    insert_rows(
        session,
        Notification.__table__,
        [
            {
                "id": next(ids),
                "event_key": row["event_key"],
                "channel": channel_for(row["to"]),
                "template": row["template"],
                "to_address": row["to"],
                "context": next(stored),
                "portal_id": row.get("portal_id"),
                "invitation_id": row.get("invitation_id"),
                "status": QUEUED,
                "attempts": 0,
                "next_attempt_at": _turn(session, row["to"], row["wait"]) if row.get("wait") else now,
                "created_at": now,
            }
            for row in rows
        ],
    )


def told(session: Session, event_keys: Iterable[str]) -> set[str]:
    """The events among ``event_keys`` whose message went, or is on its way (queued, being
    sent, sent): what its recipient has been told by that message. One not written (turned off,
    held back), cancelled, failed or bounced told no one. One query."""
    keys = list(dict.fromkeys(event_keys))
    went = Notification.status.in_((QUEUED, SENDING, SENT))
    query = select(Notification.event_key).where(one_of(session, Notification.event_key, keys), went)
    return set(session.scalars(query)) if keys else set()


def latest_event_at(
    session: Session, prefix: str, *, portal_id: uuid.UUID, since: datetime
) -> datetime | None:
    """When the newest of ``portal_id``'s messages made after ``since`` whose ``event_key`` begins
    with ``prefix`` was made (whatever became of it: a message once asked for was asked for);
    None when there is none. On the portal's messages by time (``ix_notifications_portal_created``)."""
    query = select(func.max(Notification.created_at)).where(
        Notification.portal_id == portal_id,
        Notification.created_at > since,
        Notification.event_key.startswith(prefix, autoescape=True),
    )
    return session.scalar(query)


SUPERSEDED = "superseded before delivery"  # why a cancelled message never went


def cancel_for_invitation(session: Session, invitation_id: uuid.UUID) -> int:
    """Stop undelivered emails of an invitation (revoked or resent: their links are dead).

    Rows a worker has claimed (``sending``) are cancelled too: the worker re-reads the row
    before sending and leaves a cancelled one alone.
    """
    return rowcount(session.execute(_cancel_statement(), {"b_invitation": invitation_id}))


def cancel_events(session: Session, *prefixes: str) -> int:
    """Stop undelivered messages whose ``event_key`` begins with one of ``prefixes`` (what they
    were about is gone or changed: an action deleted, done or given a new date), in one
    statement, as ``cancel_for_invitation`` does for an invitation's; returns how many."""
    table = Notification.__table__
    about = or_(*(table.c.event_key.startswith(prefix, autoescape=True) for prefix in prefixes))
    undelivered = table.c.status.in_((QUEUED, SENDING))
    cancel = update(table).where(about, undelivered).values(status=CANCELLED, last_error=SUPERSEDED)
    return rowcount(session.execute(cancel))


@cache
def _cancel_statement() -> Update:
    """Built once (``tokens.service``), on the table: messages are not loaded where an invitation
    ends (its accept, revoke or resend), so the ORM need not look for them in the session."""
    table = Notification.__table__
    return (
        update(table)
        .where(table.c.invitation_id == bindparam("b_invitation"), table.c.status.in_((QUEUED, SENDING)))
        .values(status=CANCELLED, last_error=SUPERSEDED)
    )


def latest_for_invitations(
    session: Session, invitation_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID | None, Row[uuid.UUID | None, str, str | None, datetime | None]]:
    """``{invitation_id: delivery}``: the newest message of each invitation, as much of it as
    its delivery shows (``status``, ``last_error``, ``sent_at``; ``models.delivery_status``)."""
    ids = list(invitation_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Notification.invitation_id, Notification.status, Notification.last_error, Notification.sent_at)
        .where(one_of(session, Notification.invitation_id, ids))
        .order_by(*_by_age(Notification))
    )
    return {row.invitation_id: row for row in rows}  # the last of each: its newest


def messages_of_invitation(
    session: Session, invitation_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[Notification], str | None]:
    """Every message written for the invitation (its sends, Resends and reminders, whatever
    became of them), newest first (``_by_age``'s order), a page at a time; on its index."""
    query = select(Notification).where(Notification.invitation_id == invitation_id)
    return page(session, query, Notification, cursor=cursor, limit=limit)


def _by_age(messages: Any, *, newest_first: bool = False) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The one order in which an invitation's messages are told apart: when they were made,
    then their id (two made at the same instant are never both "the newest")."""
    if newest_first:
        return messages.created_at.desc(), messages.id.desc()
    return messages.created_at.asc(), messages.id.asc()


def latest_status(
    invitation_id: ColumnElement[Any], when: ColumnElement[bool], otherwise: ColumnElement[Any] | None = None
) -> ColumnElement[str | None]:
    """A column: the status of the newest message of the invitation ``invitation_id`` names
    (None when it has none, or when the row is not an invitation: ``when`` is false; then
    ``otherwise``), for a list that shows each row's delivery without a second query
    (``models.shown_delivery`` says how it reads)."""
    newest = (
        select(Notification.status)
        .where(Notification.invitation_id == invitation_id)
        .order_by(*_by_age(Notification, newest_first=True))
        .limit(1)
        .scalar_subquery()
    )
    return case((when, newest), else_=otherwise)


def delivery_is(
    invitation_id: ColumnElement[Any] | QueryableAttribute[Any],
    delivery: str,
    portal_id: uuid.UUID | BindParameter[Any],
) -> ColumnElement[bool]:
    """A condition: the newest message of the invitation ``invitation_id`` names was delivered
    as ``delivery`` (``models.delivery_status``: none, queued, sent or failed) — for a list to
    filter on. Read from the messages' side (their status index), not row by row."""
    if delivery == "none":
        return ~exists().where(Notification.invitation_id == invitation_id)
    statuses = _statuses_shown_as(delivery)
    other = aliased(Notification)
    # The newest of its invitation's, asked per message in that state (an index lookup each; as
    # "no newer one exists", PostgreSQL hashed every message of every invitation to answer it).
    newest = (
        select(other.id)
        .where(other.invitation_id == Notification.invitation_id)
        .order_by(*_by_age(other, newest_first=True))
        .limit(1)
        .scalar_subquery()
    )
    newest_in_state = select(Notification.invitation_id).where(
        Notification.status.in_(statuses),
        Notification.portal_id == portal_id,
        Notification.invitation_id.is_not(None),
        Notification.id == newest,
    )
    return invitation_id.in_(newest_in_state)


def _statuses_shown_as(delivery: str) -> tuple[str, ...]:
    """The message statuses a delivery filter matches (``models.shown_delivery`` read back)."""
    return (QUEUED, SENDING) if delivery == QUEUED else (delivery,)


def message_delivery_is(
    message_id: ColumnElement[Any] | QueryableAttribute[Any], delivery: str
) -> ColumnElement[bool]:
    """A condition: the one message ``message_id`` names (a link sign-up's confirmation) was
    delivered as ``delivery``; ``none``: there is no message."""
    if delivery == "none":
        return message_id.is_(None)
    # Asked of each row by the message's key (a list's few sign-ups), never as "every message
    # in that state" (nearly all of them are sent).
    return exists().where(
        Notification.id == message_id, Notification.status.in_(_statuses_shown_as(delivery))
    )


def message_status(message_id: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[str | None]:
    """A column: the status of the message ``message_id`` names (None: no message)."""
    return select(Notification.status).where(Notification.id == message_id).scalar_subquery()


def deliveries_of(
    session: Session, message_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[uuid.UUID, str, str | None, datetime | None]]:
    """``{message_id: delivery}``: as much of each message as its delivery shows (``status``,
    ``last_error``, ``sent_at``; ``models.delivery_status``)."""
    ids = list(message_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Notification.id, Notification.status, Notification.last_error, Notification.sent_at).where(
            one_of(session, Notification.id, ids)
        )
    )
    return {row.id: row for row in rows}


# Messages of an invitation that its sending limit does not count: reminders are the system's,
# at most two per send, and the sends themselves were counted.
UNCOUNTED = ("invitation_reminder",)


@dataclass(frozen=True, slots=True)
class InvitationMessages:
    count: int
    oldest: datetime | None


def count_invitation_messages(
    session: Session, portal_id: uuid.UUID, since: datetime, *, among: Select[Any] | None = None
) -> InvitationMessages:
    """How many invitation messages (first sends and resends, email or SMS) the portal has queued
    since ``since`` — of the invitations ``among`` selects (their ids), when given — and when the
    oldest of them was: what its sending limit (or one inviter's quota) counts."""
    query = select(func.count(), func.min(Notification.created_at)).where(
        Notification.portal_id == portal_id,
        Notification.invitation_id.is_not(None),
        Notification.template.not_in(UNCOUNTED),
        Notification.created_at > since,
    )
    if among is not None:
        query = query.where(Notification.invitation_id.in_(among))
    count, oldest = session.execute(query).one()
    return InvitationMessages(count or 0, oldest)


@dataclass(frozen=True, slots=True)
class OutboxStats:
    by_status: dict[str, int]  # every message ever queued, by where it stands
    oldest_waiting: datetime | None  # the oldest message still queued or being sent


def outbox_stats(session: Session) -> OutboxStats:
    """The outbox as an operator watches it (``/metrics``): messages by status, and how long the
    oldest waiting one has waited. Both read the status index."""
    counts = dict(
        session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
    )
    oldest = session.scalar(
        select(func.min(Notification.created_at)).where(Notification.status.in_((QUEUED, SENDING)))
    )
    return OutboxStats({str(k): int(v) for k, v in counts.items()}, oldest)
