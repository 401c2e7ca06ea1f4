"""Writing and reading audit events. Every change in every domain calls ``record``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit.models import AuditEvent
from admit.audit.words import ANONYMOUS, CATEGORIES, actions_saying
from admit.db import new_id
from admit.errors import A_DAY, Checks, InvalidInput
from admit.events import outbox as webhooks
from admit.kit import clock
from admit.kit.bulk import insert_rows, new_ids
from admit.kit.insert import insert_later, insert_now, write_held
from admit.kit.pagination import page
from admit.kit.search import contains, searched
from admit.kit.text import as_typed

__all__ = ["ActedBy", "count_events", "day", "list_events", "recent_actors", "record", "record_many"]


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    target_type: str,
    target_id: Any = None,
    target_label: str = "",
    detail: dict[str, Any] | None = None,
    portal_id: uuid.UUID | None = None,
    ip: str | None = None,
    by_account: tuple[uuid.UUID, str] | None = None,
    later: bool = False,
) -> AuditEvent:
    """Write one audit event in the session's transaction (it commits with the change it
    describes; ``kit.insert.insert_now``: the returned row is the session's), and the webhook
    messages it is (``events.catalogue.FROM_AUDIT``). ``by_account`` (with no actor):
    the account (its id and address) that did it, on its own account (``record_account``).
    ``later``: written with the transaction's next event, in the same statement, or as it
    commits (``kit.insert.insert_later``: an accept's event and its sign-in's are one INSERT,
    a round trip fewer); the audit log's reads below write it first."""
    if actor is not None:
        actor_user_id, actor_label = actor.user_id, actor.label
    else:
        actor_user_id, actor_label = by_account or (None, ANONYMOUS)
    event = AuditEvent(
        id=new_id(),
        portal_id=portal_id or (actor.portal.id if actor else None),
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        target_label=target_label,
        detail=detail or {},
        ip=ip or (actor.ip if actor else None),
    )
    (insert_later if later else insert_now)(session, event)
    webhooks.emit_audited(
        session,
        action,
        portal_id=event.portal_id,
        actor=actor,
        target_type=target_type,
        events=[webhooks.Audited(event.id, target_id, target_label, event.detail)],
    )
    return event


def record_account(
    session: Session,
    portal_ids: Sequence[uuid.UUID],
    action: str,
    *,
    target_id: Any,
    target_label: str,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """An event of a person's own account (their sign-in, password, two-step verification,
    name), by themselves (the account ``target_id``, its address ``target_label``, is who did
    it): one in each portal they are an active member of (``portal_ids``), so that each one's
    audit log shows what its people did to their way in; in none, one of no portal."""
    where: Sequence[uuid.UUID | None] = portal_ids or [None]
    for portal_id in where:
        record(
            session,
            None,
            action,
            target_type="user",
            target_id=target_id,
            target_label=target_label,
            detail=detail,
            portal_id=portal_id,
            ip=ip,
            by_account=(target_id, target_label),
        )


def record_many(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target_type: str,
    targets: list[tuple[Any, str, dict[str, Any]]],
) -> None:
    """One audit event per ``(target_id, target_label, detail)``, written in one statement (the
    bulk paths: an import batch, a request of many recipients)."""
    if not targets:
        return
    now = context.of(session).clock.now()
    ids = new_ids(len(targets), listed_in_order=True)
    insert_rows(
        session,
        AuditEvent.__table__,
        [
            {
                "id": event_id,
                "portal_id": actor.portal.id,
                "actor_user_id": actor.user_id,
                "actor_label": actor.label,
                "action": action,
                "target_type": target_type,
                "target_id": str(target_id) if target_id is not None else None,
                "target_label": label,
                "detail": detail,
                "ip": actor.ip,
                "created_at": now,
            }
            for event_id, (target_id, label, detail) in zip(ids, targets, strict=True)
        ],
    )
    webhooks.emit_audited(
        session,
        action,
        portal_id=actor.portal.id,
        actor=actor,
        target_type=target_type,
        events=[
            webhooks.Audited(event_id, target_id, label, detail)
            for event_id, (target_id, label, detail) in zip(ids, targets, strict=True)
        ],
    )


def search_text(q: str | None) -> str:
    """What an audit search looks for: the words typed, as every search box takes them
    (``kit.search.searched``: trimmed, at most ``MAX_SEARCH`` characters)."""
    return searched(q) or ""


@dataclass(frozen=True, slots=True)
class ActedBy:
    """Who did it, as the log's actor filter names them: a person (``user_id``: what they did
    themselves, or by an API key they made) and/or the label events carry (``label``: an
    address, an API key's or the HR system's, ``hr:bamboohr``). An event matches either."""

    user_id: uuid.UUID | None = None
    label: str | None = None


_A_DAY_WRITTEN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day(text: str | None, *, field: str) -> date | None:
    """A day as the log's filters take it, from the API, a page or a command line: written
    ``2026-12-06`` and nothing else (not ``20261206``, a week's day, a moment or a count of
    seconds, which other readers take); none for blank text. Refused, naming ``field``."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if not _A_DAY_WRITTEN.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"“{as_typed(text)}” is not a day. {A_DAY}", field=field) from None


def days(
    since: str | None, until: str | None, *, named: tuple[str, str] = ("since", "until")
) -> dict[str, date | None]:
    """The log's ``since`` and ``until`` (``day``), both refused at once when both are wrong;
    ``until`` before ``since`` is refused too, in words that call them as the caller's form
    does (``named``: the API's ``since`` and ``until``, the page's “From” and “to” days, the
    CLI's options)."""
    checks = Checks()
    read: dict[str, date | None] = {"since": None, "until": None}
    for field, text in (("since", since), ("until", until)):
        with checks.of(field):
            read[field] = day(text, field=field)
    checks.done()
    in_order(read["since"], read["until"], named=named)
    return read


def in_order(since: date | None, until: date | None, *, named: tuple[str, str] = ("since", "until")) -> None:
    """Refuse ``until`` before ``since`` (``days``'s ``named``)."""
    if since is not None and until is not None and until < since:
        raise InvalidInput(f"{named[1]} must be the same day as {named[0]} or after it.", field="until")


def category_named(text: str | None, *, named: str = "category") -> str | None:
    """The log's ``category`` filter (one of ``words.CATEGORIES``; none for blank text), refused
    in words that call it as the caller's form does (``named``: the API's ``category``, the
    page's “Category”, the CLI's ``--category``)."""
    text = (text or "").strip()
    if text and text not in CATEGORIES:
        raise InvalidInput.not_one_of("category", CATEGORIES, named=named)
    return text or None


def _matching(
    actor: Actor,
    *,
    category: str | None = None,
    q: str | None = None,
    actors_named: Select[uuid.UUID] | None = None,
    since: date | None = None,
    until: date | None = None,
    acted_by: ActedBy | None = None,
) -> Select[AuditEvent]:
    """The portal's events the filters match (every filter of the log is here, once)."""
    policy.require(actor.role, policy.Action.AUDIT_VIEW)
    query = select(AuditEvent).where(AuditEvent.portal_id == actor.portal.id)
    if category := category_named(category):
        query = query.where(
            or_(*(AuditEvent.action.startswith(p, autoescape=True) for p in CATEGORIES[category]))
        )
    # The days are the portal's: "since 6 December" starts at midnight where it works, and
    # "until" takes in the whole of its day.
    zone = actor.portal.time_zone
    in_order(since, until)
    if since is not None:
        query = query.where(AuditEvent.created_at >= clock.day_bounds(since, zone)[0])
    if until is not None:
        query = query.where(AuditEvent.created_at < clock.day_bounds(until, zone)[1])
    if acted_by is not None:
        who = [AuditEvent.actor_user_id == acted_by.user_id] if acted_by.user_id else []
        who += [AuditEvent.actor_label == acted_by.label] if acted_by.label else []
        query = query.where(or_(*who) if who else false())
    if q := search_text(q):
        # Who (the actor), what (the target), and the person's name the sentence shows with it.
        name = AuditEvent.detail["name"].as_string()
        found = contains(
            q,
            AuditEvent.actor_label,
            AuditEvent.target_label,
            name,
            phone_column=AuditEvent.target_label,  # a number typed any way: "(202) 555-0173"
        )
        if actors_named is not None:
            found = or_(found, AuditEvent.actor_user_id.in_(actors_named))
        if said := actions_saying(q):  # what the lines say was done ("revoked")
            found = or_(found, AuditEvent.action.in_(said))
        query = query.where(found)
    return query


def list_events(
    session: Session,
    actor: Actor,
    *,
    cursor: str | None = None,
    limit: int = 100,
    **filters: Any,
) -> tuple[list[AuditEvent], str | None]:
    """The portal's audit events, newest first, narrowed by ``filters``: ``category``
    (``words.CATEGORIES``), ``q`` (who or what, in part; ``actors_named``: the users its words
    name, by a name the log shows them by, whose events match too), ``since`` and ``until``
    (days in the portal's time zone, both included) and ``acted_by`` (``ActedBy``)."""
    write_held(session)  # events recorded ``later`` in this transaction
    return page(session, _matching(actor, **filters), AuditEvent, cursor=cursor, limit=limit)


def count_events(session: Session, actor: Actor, **filters: Any) -> int:
    """How many of the portal's events ``filters`` (``list_events``'s) match."""
    query = _matching(actor, **filters).with_only_columns(func.count()).order_by(None)
    write_held(session)
    return int(session.scalar(query) or 0)


# The actors offered by the log's filter are those of its latest events, so that the list costs
# the same in a log of millions (a person who acted only long ago can still be typed).
RECENT_EVENTS = 5000


def recent_actors(session: Session, actor: Actor) -> list[tuple[uuid.UUID | None, str]]:
    """Who acted in the portal's latest ``RECENT_EVENTS`` events: ``(user_id, label)`` each once
    (a person by their id, with a label they acted under; others, an API key's maker aside, by
    their label: ``hr:bamboohr``), most recent first."""
    policy.require(actor.role, policy.Action.AUDIT_VIEW)
    write_held(session)
    latest = (
        select(AuditEvent.actor_user_id, AuditEvent.actor_label, AuditEvent.created_at)
        .where(AuditEvent.portal_id == actor.portal.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(RECENT_EVENTS)
        .subquery()
    )
    rows = session.execute(
        select(latest.c.actor_user_id, latest.c.actor_label, func.max(latest.c.created_at).label("last"))
        .group_by(latest.c.actor_user_id, latest.c.actor_label)
        .order_by(func.max(latest.c.created_at).desc())
    )
    seen: dict[uuid.UUID | str, tuple[uuid.UUID | None, str]] = {}
    for user_id, label, _last in rows:
        seen.setdefault(user_id or label, (user_id, label))
    return list(seen.values())
