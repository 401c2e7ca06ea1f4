"""``webhooks.deliver``: the worker posts due webhook messages to their endpoints.

Claiming works as for notifications: due rows (``queued`` and ``next_attempt_at`` passed) or
rows whose lease ran out (a worker died while sending), ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL. No transaction is open while an endpoint is called; up to ``LANES`` endpoints are
called at once, each attempt bounded by ``ADMIT_WEBHOOK_TIMEOUT_SECONDS``.

A 2xx answer delivers the message. Anything else — another status (a redirect is not
followed), a timeout, a refused address — is an attempt that failed: it is logged and the
message is retrying, tried again after ``SCHEDULE`` (about three days in all), then failed. A
``Retry-After`` longer than the next wait is honoured (up to a day). At least once: a worker
killed after the endpoint answered and before the row was marked sends it again, with the same
``webhook-id`` for the receiver to drop.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select, update

from admit.db import Database
from admit.events.models import (
    DELIVERED,
    FAILED,
    SENDING,
    WAITING,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
    waiting,
)
from admit.kit import netguard, secretbox
from admit.settings import Settings
from admit.webhooks import signing
from admit.webhooks.service import open_secrets

log = logging.getLogger("admit.webhooks")

# Waits after the 1st, 2nd, ... failed attempt: 10 attempts over about 75 hours.
SCHEDULE = tuple(
    timedelta(seconds=s)
    for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
)
MAX_ATTEMPTS = len(SCHEDULE) + 1
BATCH = 32
LANES = 8
LEASE = timedelta(minutes=2)
USER_AGENT = "Admit-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    msg_id: str
    body: str
    url: str
    secrets: tuple[str, ...]
    attempts: int


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    response: str
    duration_ms: int
    retry_after: int | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _claim(db: Database, settings: Settings, *, limit: int) -> tuple[list[Claimed], datetime]:
    assert db.context is not None
    now = db.context.clock.now()
    lease = now + LEASE
    with db.unit_of_work() as session:
        query = (
            select(WebhookMessage, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookMessage.endpoint_id)
            .where(
                WebhookEndpoint.enabled.is_(True),
                or_(
                    WebhookMessage.status.in_(WAITING) & (WebhookMessage.next_attempt_at <= now),
                    (WebhookMessage.status == SENDING) & (WebhookMessage.lease_until < now),
                ),
            )
            .order_by(WebhookMessage.next_attempt_at, WebhookMessage.created_at)
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(of=WebhookMessage, skip_locked=True)
        claimed = []
        for message, endpoint in session.execute(query):
            message.status = SENDING
            message.lease_until = lease
            message.attempts += 1
            try:
                keys = tuple(open_secrets(settings, endpoint, now))
            except secretbox.SealBroken:
                keys = ()
            claimed.append(
                Claimed(
                    message.id,
                    endpoint.id,
                    message.msg_id,
                    message.body,
                    endpoint.url,
                    keys,
                    message.attempts,
                )
            )
        return claimed, lease


def _post(item: Claimed, settings: Settings) -> Outcome:
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    if not item.secrets:
        return Outcome(
            None, "The signing secret cannot be read (ADMIT_ENCRYPTION_KEY changed?): rotate it.", "", 0
        )
    try:
        target = netguard.resolve(item.url, allow_private=settings.webhooks_allow_private)
    except netguard.Refused as exc:
        return Outcome(None, f"Not sent: {exc}", "", took())
    headers = signing.headers(list(item.secrets), item.msg_id, int(time.time()), item.body)
    headers["host"] = target.host_header
    headers["user-agent"] = USER_AGENT
    extensions = {"sni_hostname": target.server_name} if target.url.startswith("https:") else None
    timeout = httpx.Timeout(
        settings.webhook_timeout_seconds, connect=min(5.0, settings.webhook_timeout_seconds)
    )
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            answer = client.post(
                target.url, content=item.body.encode(), headers=headers, extensions=extensions
            )
            text = answer.text[:500]
    except httpx.TimeoutException:
        return Outcome(None, f"No answer within {settings.webhook_timeout_seconds:g} s.", "", took())
    except httpx.HTTPError as exc:
        return Outcome(None, f"Could not connect: {type(exc).__name__}: {exc}"[:500], "", took())
    retry_after = answer.headers.get("retry-after", "")
    return Outcome(
        answer.status_code,
        None if 200 <= answer.status_code < 300 else f"The endpoint answered {answer.status_code}.",
        text,
        took(),
        int(retry_after) if retry_after.isdigit() else None,
    )


def _next_wait(attempts: int, outcome: Outcome) -> timedelta | None:
    """The wait before the next attempt, or None when this was the last."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait = SCHEDULE[attempts - 1]
    if outcome.retry_after:
        wait = max(wait, min(timedelta(seconds=outcome.retry_after), timedelta(days=1)))
    return wait


def deliver_due(db: Database, settings: Settings, *, limit: int = BATCH) -> dict[str, int]:
    """Deliver what is due; returns counts ``{"delivered", "retry", "failed"}``."""
    items, lease = _claim(db, settings, limit=limit)
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    if not items:
        return counts
    lanes: dict[uuid.UUID, list[Claimed]] = {}
    for item in items:
        lanes.setdefault(item.endpoint_id, []).append(item)

    def lane(part: list[Claimed]) -> list[tuple[Claimed, Outcome | None]]:
        """One endpoint's messages, in order. When it cannot be reached the rest wait for the
        next pass untried (None): a dead endpoint costs one timeout a pass, not one a message."""
        done: list[tuple[Claimed, Outcome | None]] = []
        for at, item in enumerate(part):
            outcome = _post(item, settings)
            done.append((item, outcome))
            if outcome.status_code is None:
                done += [(rest, None) for rest in part[at + 1 :]]
                break
        return done

    if len(lanes) == 1:
        results = lane(items)
    else:
        with ThreadPoolExecutor(
            max_workers=min(LANES, len(lanes)), thread_name_prefix="admit-webhook"
        ) as pool:
            results = [pair for part in pool.map(lane, lanes.values()) for pair in part]
    assert db.context is not None
    now = db.context.clock.now()
    with db.unit_of_work() as session:
        for item, outcome in results:
            if outcome is None:  # not tried: back in the queue as it was
                session.execute(
                    update(WebhookMessage)
                    .where(
                        WebhookMessage.id == item.id,
                        WebhookMessage.status == SENDING,
                        WebhookMessage.lease_until == lease,
                    )
                    .values(status=waiting(item.attempts - 1), lease_until=None, attempts=item.attempts - 1)
                )
                continue
            session.add(
                WebhookAttempt(
                    message_id=item.id,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    response=outcome.response,
                    duration_ms=outcome.duration_ms,
                    created_at=now,
                )
            )
            values: dict[str, object] = {
                "lease_until": None,
                "last_status_code": outcome.status_code,
                "last_error": outcome.error,
            }
            if outcome.delivered:
                values |= {"status": DELIVERED, "delivered_at": now, "next_attempt_at": None}
                kind = "delivered"
            else:
                wait = _next_wait(item.attempts, outcome)
                if wait is None:
                    values |= {"status": FAILED, "next_attempt_at": None}
                    kind = "failed"
                else:
                    values |= {"status": waiting(item.attempts), "next_attempt_at": now + wait}
                    kind = "retry"
                log.info("webhooks.deliver.%s msg=%s error=%s", kind, item.msg_id, outcome.error)
            done = session.execute(
                update(WebhookMessage)
                .where(
                    WebhookMessage.id == item.id,
                    WebhookMessage.status == SENDING,
                    WebhookMessage.lease_until == lease,
                )
                .values(**values)
            )
            if done.rowcount:  # type: ignore[attr-defined]
                counts[kind] += 1
    return counts
