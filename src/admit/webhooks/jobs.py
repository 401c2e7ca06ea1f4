"""``webhooks.deliver``: the worker posts due webhook messages to their endpoints.

An endpoint's messages are a line, oldest first (``created_at``, then ``id``): only its head
(the oldest not delivered or given up) is claimed on its own, with the messages behind it, and
they are posted in order up to the first that is not delivered; the rest go back untried. A head
waiting for its retry holds the line back, so a dead endpoint costs one attempt a pass. Given up
(failed), it leaves the line and the next is the head. A line being sent (a live lease) is not
claimed by another pass, even if an older message was Redelivered meanwhile. ``webhook.test``
skips the line: it checks the endpoint now. See ``_claim`` for why this is safe with any number
of workers. No transaction is open while an endpoint is called; up to ``LANES`` endpoints are
called at once, each attempt bounded by ``ADMIT_WEBHOOK_TIMEOUT_SECONDS``, and none starts
(but the first wave's heads) that could end after half the lease, counted from the claim: what a
pass does not try goes back untried. A claim whose lease ran out (a worker died while sending)
is claimed again.

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
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import aliased

from admit.db import Database
from admit.events.catalogue import TEST_EVENT
from admit.events.models import (
    DELIVERED,
    FAILED,
    SENDING,
    UNFINISHED,
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
    attempts: int  # every attempt, this one included
    tried: int  # the attempts since it was queued (Redeliver starts again): the schedule's count
    test: bool = False  # webhook.test: skips the queue


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


def _claimable(message: type[WebhookMessage], now: datetime) -> ColumnElement[bool]:
    """Due (waiting, its time come) or left by a worker that died (its lease ran out)."""
    return or_(
        message.status.in_(WAITING) & (message.next_attempt_at <= now),
        (message.status == SENDING) & (message.lease_until < now),
    )


def due(now: datetime) -> ColumnElement[bool]:
    """Whether ``_claim`` at ``now`` could find a message, as one EXISTS (``jobs.Worker.due``):
    none is claimed that is not claimable (a line's head is, and one behind it only with it)."""
    return select(WebhookMessage.id).where(_claimable(WebhookMessage, now)).exists()


def _claim(db: Database, settings: Settings, *, limit: int) -> tuple[list[Claimed], datetime]:
    """Two statements: each enabled endpoint's head (its oldest message not delivered or given
    up) if it can be sent now, locked (``SKIP LOCKED``: the endpoints another worker holds are
    left to it); then the messages after those heads, oldest first, up to ``limit`` in all.

    The head row is the endpoint's lock: a worker claims an endpoint's messages only with its
    head, and a head that is being sent (or waits for its retry) is not claimable, nor is any
    head of a line with a message being sent (a live lease: an older message Redelivered while
    the line is out is its head, but waits), so no two workers send one endpoint's messages at
    once and none overtakes another. On PostgreSQL a head another worker claimed after this
    statement began is checked again as it now stands (and refused); SQLite runs one
    transaction at a time. ``webhook.test`` messages skip the
    queue: each is its own head, and no head waits for them."""
    assert db.context is not None
    now = db.context.clock.now()
    lease = now + LEASE
    message = WebhookMessage
    # Each line's place, oldest first, over the unfinished messages only (not the delivered
    # history): one sort, where a NOT EXISTS per message was quadratic in a backlog on PostgreSQL.
    ranked = (
        select(
            message.id,
            func.row_number()
            .over(partition_by=message.endpoint_id, order_by=(message.created_at, message.id))
            .label("place"),
        )
        .where(message.status.in_(UNFINISHED), message.event_type != TEST_EVENT)
        .subquery()
    )
    is_head = message.id.in_(select(ranked.c.id).where(ranked.c.place == 1))
    # A line another pass is sending (one of its messages under a live lease) is busy: an older
    # message Redelivered meanwhile is its first now, but waits for that pass to end.
    sending = aliased(WebhookMessage)
    busy = select(sending.endpoint_id).where(
        sending.status == SENDING, sending.lease_until >= now, sending.event_type != TEST_EVENT
    )
    with db.unit_of_work() as session:
        heads = (
            select(message, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == message.endpoint_id)
            .where(
                WebhookEndpoint.enabled.is_(True),
                _claimable(message, now),
                or_(message.event_type == TEST_EVENT, is_head & message.endpoint_id.not_in(busy)),
            )
            .order_by(message.next_attempt_at, message.created_at)
            .limit(limit)
        )
        if not db.is_sqlite:
            heads = heads.with_for_update(of=message, skip_locked=True)
        found = [(m, e) for m, e in session.execute(heads)]
        endpoints = {endpoint.id: endpoint for _, endpoint in found}
        lines = {m.endpoint_id: [m] for m, _ in found if m.event_type != TEST_EVENT}
        room = limit - len(found)
        if lines and room > 0:
            behind = (
                select(message, _claimable(message, now).label("can_go"))
                .where(
                    message.endpoint_id.in_(lines),
                    message.status.in_(UNFINISHED),
                    message.event_type != TEST_EVENT,
                    message.id.not_in([line[0].id for line in lines.values()]),
                )
                .order_by(message.created_at, message.id)
                .limit(room)
            )
            if not db.is_sqlite:
                behind = behind.with_for_update(of=message)
            stopped: set[uuid.UUID] = set()
            for follower, can_go in session.execute(behind):
                # In order, up to the first that may not go now (none, unless from before the
                # line was kept: a message tried on its own).
                if follower.endpoint_id in stopped or not can_go:
                    stopped.add(follower.endpoint_id)
                else:
                    lines[follower.endpoint_id].append(follower)
        chosen = [m for m, _ in found if m.event_type == TEST_EVENT]
        chosen += [m for line in lines.values() for m in line]
        claimed = []
        for item in chosen:
            endpoint = endpoints[item.endpoint_id]
            item.status = SENDING
            item.lease_until = lease
            item.attempts += 1
            try:
                keys = tuple(open_secrets(settings, endpoint, now))
            except secretbox.SealBroken:
                keys = ()
            claimed.append(
                Claimed(
                    item.id,
                    endpoint.id,
                    item.msg_id,
                    item.body,
                    endpoint.url,
                    keys,
                    item.attempts,
                    item.attempts - item.round_from,
                    item.event_type == TEST_EVENT,
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
    """The wait before the next attempt after ``attempts`` since the message was queued, or None
    when this was the last."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait = SCHEDULE[attempts - 1]
    if outcome.retry_after:
        wait = max(wait, min(timedelta(seconds=outcome.retry_after), timedelta(days=1)))
    return wait


def deliver_due(db: Database, settings: Settings, *, limit: int = BATCH) -> dict[str, int]:
    """Deliver what is due; returns counts ``{"delivered", "retry", "failed"}``."""
    started = time.monotonic()  # the pass's time counts from its claim: the lease does
    items, lease = _claim(db, settings, limit=limit)
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    if not items:
        return counts
    lanes: dict[tuple[uuid.UUID, bool], list[Claimed]] = {}
    for item in items:
        lanes.setdefault((item.endpoint_id, item.test), []).append(item)
    # No post starts (after the first wave's heads) that could end after half the lease.
    budget = max(LEASE.total_seconds() / 2 - settings.webhook_timeout_seconds, 0)

    def lane(number: int, part: list[Claimed]) -> list[tuple[Claimed, Outcome | None]]:
        """One endpoint's messages, in order, up to the first that is not delivered: the rest
        wait for the next pass untried (None), behind it. A dead endpoint costs one attempt a
        pass, not one a message. The time is the pass's, not the lane's: a lane that waited for
        one of the ``LANES`` (``number`` past the first wave) may find it spent and try
        nothing, so the pass ends well within the lease; the first wave's heads always go."""
        done: list[tuple[Claimed, Outcome | None]] = []
        for at, item in enumerate(part):
            if (at or number >= LANES) and time.monotonic() - started > budget:
                done += [(rest, None) for rest in part[at:]]
                break
            outcome = _post(item, settings)
            done.append((item, outcome))
            if not outcome.delivered and not item.test:
                done += [(rest, None) for rest in part[at + 1 :]]
                break
        return done

    if len(lanes) == 1:
        results = lane(0, items)
    else:
        with ThreadPoolExecutor(
            max_workers=min(LANES, len(lanes)), thread_name_prefix="admit-webhook"
        ) as pool:
            parts = pool.map(lane, range(len(lanes)), lanes.values())
            results = [pair for part in parts for pair in part]
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
                    .values(status=waiting(item.tried - 1), lease_until=None, attempts=item.attempts - 1)
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
                wait = _next_wait(item.tried, outcome)
                if wait is None:
                    values |= {"status": FAILED, "next_attempt_at": None}
                    kind = "failed"
                else:
                    values |= {"status": waiting(item.tried), "next_attempt_at": now + wait}
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
