"""A portal's webhook endpoints (owners and admins): add, change, rotate the secret, delete,
send a test event; the delivery log and Redeliver. Messages are written by ``events.outbox``
and delivered by ``webhooks.jobs``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import let_go
from admit.errors import Checks, InvalidInput, WebhookNotFound, at_most_characters
from admit.events import outbox
from admit.events.catalogue import EVENT_TYPES, TEST_EVENT
from admit.events.models import (
    DELIVERED,
    FAILED,
    MAX_WEBHOOK_DESCRIPTION,
    MAX_WEBHOOK_URL,
    QUEUED,
    RETRYING,
    TRIED_AND_FAILED,
    UNFINISHED,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)
from admit.kit import netguard, secretbox
from admit.kit.pagination import page
from admit.settings import Settings
from admit.webhooks import signing

__all__ = [
    "ROTATION_OVERLAP",
    "create",
    "Health",
    "delete_endpoint",
    "get",
    "health",
    "list_endpoints",
    "list_messages",
    "message_with_attempts",
    "redeliver",
    "rotate_secret",
    "send_test",
    "update",
    "url_hint",
]

ROTATION_OVERLAP = timedelta(hours=24)  # the previous secret signs too, this long after a rotation
MAX_ENDPOINTS = 20  # per portal

_CACHE = "admit.webhooks.endpoints"  # session.info: portal id -> [(endpoint id, events)]


# --- managing endpoints -----------------------------------------------------------------------


def _settings(session: Session) -> Settings:
    return context.of(session).settings


def _seal(session: Session, secret: str) -> str:
    return secretbox.seal_with(_settings(session), secret)


def open_secrets(settings: Settings, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a message now: the current one (``SealBroken`` when it was sealed
    under another encryption key: rotate it), and the previous one during the overlap after a
    rotation, unless it cannot be read (a rotation after the key changed signs at once)."""

    def opened(sealed: str) -> str:
        return secretbox.open_with(settings, sealed)

    secrets = [opened(endpoint.secret_sealed)]
    if (
        endpoint.previous_secret_sealed
        and endpoint.previous_secret_until
        and endpoint.previous_secret_until > now
    ):
        with suppress(secretbox.SealBroken):
            secrets.append(opened(endpoint.previous_secret_sealed))
    return secrets


def _url_terms(settings: Settings) -> dict[str, bool]:
    """The addresses an endpoint may have here (``ADMIT_WEBHOOKS_ALLOW_PRIVATE``; https:// in
    production): ``netguard``'s arguments."""
    return {
        "allow_private": settings.webhooks_allow_private,
        "require_https": settings.environment == "production",
    }


def url_hint(session: Session) -> str:
    """What an endpoint's URL may be on this server, for the form."""
    return netguard.accepted(**_url_terms(_settings(session)))


def _check_url(session: Session, url: str) -> str:
    """The URL, trimmed, once its host is looked up (DNS: perhaps seconds). The lookup is waited
    for with no transaction open (``db.let_go``): the caller reads again what it changes."""
    url = (url or "").strip()
    if len(url) > MAX_WEBHOOK_URL:
        raise InvalidInput(at_most_characters(MAX_WEBHOOK_URL, url), field="url")
    let_go(session)
    try:
        netguard.resolve(url, **_url_terms(_settings(session)))
    except netguard.Refused as exc:
        raise InvalidInput(str(exc), field="url") from exc
    return url


def _check_events(events: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(e.strip() for e in events if e and e.strip()))
    if not chosen:
        raise InvalidInput("Choose at least one event to send.", field="events")
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not an event Admit sends (GET /api/v1/webhooks/event-types lists them).",
            field="events",
        )
    return chosen


def _check_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > MAX_WEBHOOK_DESCRIPTION:
        raise InvalidInput(
            at_most_characters(MAX_WEBHOOK_DESCRIPTION, description),
            field="description",
        )
    return description


def _audit(session: Session, actor: Actor, action: str, endpoint: WebhookEndpoint, **detail: Any) -> None:
    audit_service.record(
        session,
        actor,
        action,
        target_type="webhook",
        target_id=endpoint.id,
        target_label=endpoint.url,
        detail=detail,
    )


def create(
    session: Session,
    actor: Actor,
    *,
    url: str,
    events: Sequence[str],
    description: str = "",
    enabled: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint; returns it and its signing secret (shown this once)."""
    policy.require(actor.role, policy.Action.WEBHOOK_MANAGE)
    checks = Checks()  # every fault at once
    with checks.of("events"):
        chosen = _check_events(events)
    with checks.of("description"):
        description = _check_description(description)
    with checks.of("url"):  # last: it may look the address up
        url = _check_url(session, url)
    checks.done()
    count = len(
        list(session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.portal_id == actor.portal.id)))
    )
    if count >= MAX_ENDPOINTS:
        raise InvalidInput(f"A portal can have at most {MAX_ENDPOINTS} webhook endpoints.", field="url")
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        portal_id=actor.portal.id,
        url=url,
        description=description,
        events=chosen,
        enabled=enabled,
        secret_sealed=_seal(session, secret),
        created_by_id=actor.user_id,
        created_at=context.of(session).clock.now(),
    )
    session.add(endpoint)
    outbox.forget(session)
    _audit(session, actor, "webhook.created", endpoint, events=chosen)
    session.flush()
    return endpoint, secret


def get(session: Session, actor: Actor, endpoint_id: uuid.UUID, *, again: bool = False) -> WebhookEndpoint:
    """The portal's endpoint; ``again``: read afresh (it may have changed since it was loaded)."""
    policy.require(actor.role, policy.Action.WEBHOOK_MANAGE)
    endpoint = session.get(WebhookEndpoint, endpoint_id, populate_existing=again)
    if endpoint is None or endpoint.portal_id != actor.portal.id:
        raise WebhookNotFound("There is no such webhook endpoint in this portal.")
    return endpoint


def list_endpoints(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[WebhookEndpoint], str | None]:
    policy.require(actor.role, policy.Action.WEBHOOK_MANAGE)
    query = select(WebhookEndpoint).where(WebhookEndpoint.portal_id == actor.portal.id)
    return page(session, query, WebhookEndpoint, cursor=cursor, limit=limit)


HEALTH_WINDOW = 10  # the newest tried messages an endpoint's health is read from


@dataclass(frozen=True, slots=True)
class Health:
    """How an endpoint's newest tried messages went: ``failed`` of them in a row, newest first,
    are not delivered (0: healthy); ``at_least`` when all ``HEALTH_WINDOW`` looked at were;
    ``status`` is the newest one's (retrying or failed) when failing."""

    failed: int = 0
    at_least: bool = False
    status: str | None = None
    retry_at: datetime | None = None  # when its head (the oldest message in line) is tried again
    waiting: int = 0  # messages in its line, the head's included (webhook.test's are not)


def health(session: Session, actor: Actor, endpoints: Iterable[WebhookEndpoint]) -> dict[uuid.UUID, Health]:
    """Each endpoint's ``Health``, from its newest messages that were tried (their status, as the
    worker set it): a failing endpoint is one whose latest deliveries failed."""
    policy.require(actor.role, policy.Action.WEBHOOK_MANAGE)
    endpoints = list(endpoints)
    lines = {
        endpoint_id: (waiting, retry_at)
        for endpoint_id, waiting, retry_at in session.execute(
            select(
                WebhookMessage.endpoint_id,
                func.count(),
                # Only a head is ever retrying (webhooks.jobs keeps the line).
                func.min(case((WebhookMessage.status == RETRYING, WebhookMessage.next_attempt_at))),
            )
            .where(
                WebhookMessage.endpoint_id.in_([e.id for e in endpoints]),
                WebhookMessage.status.in_(UNFINISHED),
                WebhookMessage.event_type != TEST_EVENT,
            )
            .group_by(WebhookMessage.endpoint_id)
        )
    }
    found = {}
    for endpoint in endpoints:
        statuses = list(
            session.scalars(
                select(WebhookMessage.status)
                .where(
                    WebhookMessage.endpoint_id == endpoint.id,
                    WebhookMessage.status.in_((DELIVERED, *TRIED_AND_FAILED)),
                )
                .order_by(WebhookMessage.created_at.desc(), WebhookMessage.id.desc())
                .limit(HEALTH_WINDOW)
            )
        )
        failed = next((at for at, status in enumerate(statuses) if status == DELIVERED), len(statuses))
        waiting, retry_at = lines.get(endpoint.id, (0, None))
        found[endpoint.id] = Health(
            failed, failed == HEALTH_WINDOW, statuses[0] if failed else None, retry_at, waiting
        )
    return found


def update(
    session: Session,
    actor: Actor,
    endpoint_id: uuid.UUID,
    *,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    faults: Checks | None = None,
) -> WebhookEndpoint:
    """Change what is given; the rest stays. ``faults``: the caller's, found in the same request
    (a value of the wrong type), said after these; then nothing changes."""
    endpoint = get(session, actor, endpoint_id)
    changed: dict[str, Any] = {}
    checks = Checks()  # every fault at once, before anything changes
    with checks.of("url"):
        if url is not None and url.strip() != endpoint.url:
            changed["url"] = _check_url(session, url)
    with checks.of("events"):
        if events is not None and (chosen := _check_events(events)) != list(endpoint.events):
            changed["events"] = chosen
    with checks.of("description"):
        if description is not None and description.strip() != endpoint.description:
            changed["description"] = _check_description(description)
    checks.extend(faults)
    checks.done()
    if "url" in changed:  # looked up with no transaction open: what is changed is read again
        endpoint = get(session, actor, endpoint_id, again=True)
    for key in ("url", "events", "description"):
        if key in changed:
            setattr(endpoint, key, changed[key])
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = changed["enabled"] = enabled
    if changed:
        outbox.forget(session)
        _audit(session, actor, "webhook.updated", endpoint, changed=sorted(changed))
        session.flush()
    return endpoint


def delete_endpoint(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """Delete the endpoint, with its messages and their log."""
    endpoint = get(session, actor, endpoint_id)
    _audit(session, actor, "webhook.deleted", endpoint)
    message_ids = select(WebhookMessage.id).where(WebhookMessage.endpoint_id == endpoint.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.message_id.in_(message_ids)))
    session.execute(delete(WebhookMessage).where(WebhookMessage.endpoint_id == endpoint.id))
    session.delete(endpoint)
    outbox.forget(session)
    session.flush()
    return endpoint


def rotate_secret(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> tuple[WebhookEndpoint, str]:
    """A new signing secret (returned this once); the previous one still signs for
    ``ROTATION_OVERLAP`` so the receiver can switch without losing a message."""
    endpoint = get(session, actor, endpoint_id)
    secret = signing.new_secret()
    endpoint.previous_secret_sealed = endpoint.secret_sealed
    endpoint.previous_secret_until = context.of(session).clock.now() + ROTATION_OVERLAP
    endpoint.secret_sealed = _seal(session, secret)
    _audit(session, actor, "webhook.secret_rotated", endpoint)
    session.flush()
    return endpoint, secret


def send_test(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> WebhookMessage:
    """Queue a ``webhook.test`` message to the endpoint, whatever it subscribes to."""
    endpoint = get(session, actor, endpoint_id)
    data = outbox.about("webhook", endpoint.id, endpoint.url)
    data["actor"] = {"type": "user", "user_id": str(actor.user_id), "label": actor.label}
    outbox.emit(session, actor.portal.id, TEST_EVENT, [data], endpoint_ids=[endpoint.id])
    message = session.scalars(
        select(WebhookMessage)
        .where(WebhookMessage.endpoint_id == endpoint.id, WebhookMessage.event_type == TEST_EVENT)
        .order_by(WebhookMessage.created_at.desc(), WebhookMessage.id.desc())
        .limit(1)
    ).one()
    return message


# --- the delivery log -------------------------------------------------------------------------


def list_messages(
    session: Session,
    actor: Actor,
    endpoint_id: uuid.UUID,
    *,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[WebhookMessage], str | None]:
    """The endpoint's messages, newest first; ``status`` narrows them."""
    endpoint = get(session, actor, endpoint_id)
    query = select(WebhookMessage).where(WebhookMessage.endpoint_id == endpoint.id)
    if status:
        query = query.where(WebhookMessage.status == status)
    return page(session, query, WebhookMessage, cursor=cursor, limit=limit)


def message_with_attempts(
    session: Session, actor: Actor, endpoint_id: uuid.UUID, message_id: uuid.UUID
) -> tuple[WebhookMessage, list[WebhookAttempt]]:
    endpoint = get(session, actor, endpoint_id)
    message = session.get(WebhookMessage, message_id)
    if message is None or message.endpoint_id != endpoint.id:
        raise WebhookNotFound("There is no such message for this webhook endpoint.")
    attempts = list(
        session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.message_id == message.id)
            .order_by(WebhookAttempt.created_at.desc(), WebhookAttempt.id.desc())
        )
    )
    return message, attempts


def redeliver(
    session: Session, actor: Actor, endpoint_id: uuid.UUID, message_id: uuid.UUID
) -> WebhookMessage:
    """Queue the message again now (the same ``webhook-id`` and body, signed afresh), with the
    whole retry schedule ahead of it (counted from ``round_from``; ``attempts`` goes on counting,
    as its log does). A message being sent right now is left to finish."""
    message, _ = message_with_attempts(session, actor, endpoint_id, message_id)
    if message.status in (DELIVERED, FAILED, QUEUED, RETRYING):
        message.status = QUEUED
        message.round_from = message.attempts
        message.next_attempt_at = context.of(session).clock.now()
        message.lease_until = None
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        _audit(
            session, actor, "webhook.redelivered", endpoint, message=message.msg_id, event=message.event_type
        )
        session.flush()
    return message
