"""Writing webhook messages: the one place they are written, in the caller's transaction, so
an event goes out if and only if the change it describes is committed. The worker delivers them
(``webhooks.jobs``). Payloads are the event's facts (what, who, to whom), never a token.

This sits below ``audit`` (which hands it every event it writes) and ``notifications`` (which
says when a message went out, failed or bounced); managing endpoints is ``webhooks.service``.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from admit import context
from admit.actor import Actor
from admit.events.catalogue import FROM_AUDIT, HIDDEN_DETAIL
from admit.events.models import QUEUED, WebhookEndpoint, WebhookMessage
from admit.kit.bulk import insert_rows, new_ids

__all__ = ["Audited", "about", "emit", "emit_audited", "forget"]

_CACHE = "admit.webhooks.endpoints"  # session.info: portal id -> [(endpoint id, events)]


@cache
def _endpoints() -> Select[uuid.UUID, list[str]]:
    """Every audited change asks it, once per transaction: built once, on first use
    (``tokens.service``)."""
    return select(WebhookEndpoint.id, WebhookEndpoint.events).where(
        WebhookEndpoint.portal_id == bindparam("b_portal"), WebhookEndpoint.enabled.is_(True)
    )


def _subscribed(session: Session, portal_id: uuid.UUID, event_type: str) -> list[uuid.UUID]:
    """The portal's enabled endpoints that want ``event_type``: read once per session."""
    cache: dict[uuid.UUID, list[tuple[uuid.UUID, frozenset[str]]]] = session.info.setdefault(_CACHE, {})
    if portal_id not in cache:
        cache[portal_id] = [
            (endpoint_id, frozenset(events or ()))
            for endpoint_id, events in session.execute(_endpoints(), {"b_portal": portal_id})
        ]
    return [endpoint_id for endpoint_id, events in cache[portal_id] if event_type in events]


def forget(session: Session) -> None:
    session.info.pop(_CACHE, None)


def _msg_id() -> str:
    return "msg_" + secrets.token_hex(16)


def _moment(at: datetime) -> str:
    """A payload's ``timestamp``: ISO 8601 in UTC, always to the microsecond (``isoformat``
    alone leaves the fraction out at a whole second)."""
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _body(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    return json.dumps(
        {"type": event_type, "timestamp": _moment(at), "data": data},
        separators=(",", ":"),
        default=str,
    )


def emit(
    session: Session,
    portal_id: uuid.UUID | None,
    event_type: str,
    items: Sequence[dict[str, Any]],
    *,
    endpoint_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """Write one message per item for each of the portal's endpoints that subscribe to
    ``event_type`` (or for ``endpoint_ids``). Returns how many were written."""
    if portal_id is None or not items:
        return 0
    targets = list(endpoint_ids) if endpoint_ids is not None else _subscribed(session, portal_id, event_type)
    if not targets:
        return 0
    now = context.of(session).clock.now()
    rows = [
        {
            "msg_id": _msg_id(),
            "endpoint_id": endpoint_id,
            "portal_id": portal_id,
            "event_type": event_type,
            # Every payload has the same keys: event_id is null unless an audit event is told of.
            "body": _body(event_type, now, {"portal_id": str(portal_id), "event_id": None, **item}),
            "status": QUEUED,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for item in items
        for endpoint_id in targets
    ]
    # Rows written together share ``created_at``: their ids rise as they are listed, so that an
    # endpoint's line (oldest first: ``created_at``, then ``id``) keeps the items' order.
    for row, row_id in zip(rows, reversed(new_ids(len(rows), listed_in_order=True)), strict=True):
        row["id"] = row_id
    insert_rows(session, WebhookMessage.__table__, rows)
    return len(rows)


def about(object_type: str, object_id: Any, label: str = "", **detail: Any) -> dict[str, Any]:
    """An event's data: the thing it is about (``object``), and what else is worth saying."""
    return {
        "object": {
            "type": object_type,
            "id": str(object_id) if object_id is not None else None,
            "label": label,
        },
        "actor": None,
        "detail": {k: v for k, v in detail.items() if k not in HIDDEN_DETAIL},
    }


@dataclass(frozen=True, slots=True)
class Audited:
    """One audit event, as ``audit.service`` wrote it."""

    event_id: uuid.UUID
    target_id: Any
    target_label: str
    detail: dict[str, Any]


def emit_audited(
    session: Session,
    action: str,
    *,
    portal_id: uuid.UUID | None,
    actor: Actor | None,
    target_type: str,
    events: Iterable[Audited],
) -> None:
    """The webhook events that audit events of ``action`` are (``events.FROM_AUDIT``)."""
    kinds = FROM_AUDIT.get(action)
    if not kinds or portal_id is None:
        return
    events = list(events)
    who = (
        {"type": "user", "user_id": str(actor.user_id), "label": actor.label}
        if actor is not None and actor.user_id is not None
        else {"type": "system", "user_id": None, "label": actor.label if actor is not None else "Admit"}
    )
    for kind in kinds:
        if not _subscribed(session, portal_id, kind):
            continue
        items = []
        for event in events:
            if kind == "member.joined":
                member_id = (
                    actor.member.id if actor is not None and actor.member is not None else event.target_id
                )
                data = about("member", member_id, event.target_label, **event.detail)
                if target_type == "invitation":
                    data["detail"]["invitation_id"] = str(event.target_id)
            else:
                data = about(target_type, event.target_id, event.target_label, **event.detail)
            items.append({"event_id": str(event.event_id), **data, "actor": who})
        emit(session, portal_id, kind, items)
