"""Writing and reading audit events. Every change in every domain calls ``record``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit.models import AuditEvent
from admit.audit.words import ANONYMOUS, CATEGORIES, actions_saying
from admit.db import new_id
from admit.errors import InvalidInput
from admit.events import outbox as webhooks
from admit.kit.bulk import insert_rows, new_ids
from admit.kit.pagination import page
from admit.kit.search import contains

__all__ = ["list_events", "record", "record_many"]


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
) -> AuditEvent:
    """Add one audit event to the session (it commits with the change it describes), and the
    webhook messages it is (``events.catalogue.FROM_AUDIT``). ``by_account`` (with no actor):
    the account (its id and address) that did it, on its own account (``record_account``)."""
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
    session.add(event)
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
    """What an audit search looks for: the words typed, trimmed, at most 200 characters."""
    return (q or "").strip()[:200]


def list_events(
    session: Session,
    actor: Actor,
    *,
    category: str | None = None,
    q: str | None = None,
    actors_named: Select[uuid.UUID] | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[AuditEvent], str | None]:
    """The portal's audit events, newest first; ``category`` (``words.CATEGORIES``) and ``q``
    (who or what, in part) narrow them. ``actors_named``: the users the search's words name (by
    a name the log shows them by); their events match too."""
    policy.require(actor.role, policy.Action.AUDIT_VIEW)
    query = select(AuditEvent).where(AuditEvent.portal_id == actor.portal.id)
    if category:
        if category not in CATEGORIES:
            raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}.", field="category")
        query = query.where(
            or_(*(AuditEvent.action.startswith(p, autoescape=True) for p in CATEGORIES[category]))
        )
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
    return page(session, query, AuditEvent, cursor=cursor, limit=limit)
