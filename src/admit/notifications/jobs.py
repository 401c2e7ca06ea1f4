"""``notifications.deliver``: the worker's delivery of queued notifications.

Claiming takes rows that are due (``queued`` and ``next_attempt_at`` passed) or whose lease ran
out (a worker died while ``sending``). On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED``
so any number of workers share the queue; on SQLite the write lock serialises claims.

Delivery guarantees: the dev backend records the message in the same transaction that marks
it sent, so it is delivered exactly once. SMTP is at least once: a crash after the server
accepted a message and before the row is marked sent delivers it again after the lease, with
the same Message-ID.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import or_, select

from admit.db import Database
from admit.kit import clock
from admit.notifications.backends import PermanentDeliveryError, make_backend
from admit.notifications.models import FAILED, QUEUED, SENDING, SENT, Notification
from admit.notifications.render import render
from admit.settings import Settings

log = logging.getLogger("admit.notifications")

LEASE = timedelta(minutes=5)
REDACTED = "[link removed after delivery]"


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


def claim_due(db: Database, *, limit: int) -> list:
    """Claim due rows; returns their ids (see ``claim_batch``)."""
    return claim_batch(db, limit=limit)[0]


def claim_batch(db: Database, *, limit: int):
    """Claim up to ``limit`` due rows for this worker; returns ``(ids, lease_until)``.

    The lease value identifies the claim: a row re-claimed by another worker after our lease ran
    out carries a different one, and we then leave it alone.
    """
    now = clock.now()
    lease = now + LEASE
    with db.unit_of_work() as session:
        query = (
            select(Notification)
            .where(
                or_(
                    (Notification.status == QUEUED) & (Notification.next_attempt_at <= now),
                    (Notification.status == SENDING) & (Notification.lease_until < now),
                )
            )
            .order_by(Notification.next_attempt_at)
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        for row in rows:
            row.status = SENDING
            row.lease_until = lease
            row.attempts += 1
        return [row.id for row in rows], lease


def deliver_due(db: Database, settings: Settings, *, limit: int | None = None) -> dict:
    """Deliver what is due; returns counts ``{"sent", "retry", "failed", "skipped"}``.

    Over SMTP the batch is shared by ``smtp_connections`` threads, each with a connection of its
    own: a message costs several round trips to the server, and the waiting overlaps.
    """
    ids, lease = claim_batch(db, limit=limit or settings.delivery_batch_size)
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    if not ids:
        return counts
    lanes = settings.smtp_connections if settings.email_backend == "smtp" else 1
    lanes = max(1, min(lanes, len(ids)))

    def lane(part: list) -> Counter:
        done: Counter = Counter()
        backend = make_backend(settings)
        try:
            for notification_id in part:
                done[_deliver_one(db, settings, backend, notification_id, lease)] += 1
        finally:
            backend.close()
        return done

    if lanes == 1:
        results = [lane(ids)]
    else:
        with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="admit-smtp") as pool:
            results = list(pool.map(lane, [ids[i::lanes] for i in range(lanes)]))
    for result in results:
        for key, value in result.items():
            counts[key] += value
    return counts


def _deliver_one(db: Database, settings: Settings, backend, notification_id, lease) -> str:
    try:
        with db.unit_of_work() as session:
            notification = session.get(Notification, notification_id)
            if (
                notification is None
                or notification.status != SENDING
                or notification.lease_until != lease  # re-claimed by another worker
                or clock.now() >= lease  # our claim ran out: leave it to whoever takes it
            ):
                # Cancelled meanwhile (revoked or resent: its link is dead), or no longer ours.
                log.info("notifications.deliver.skipped id=%s", notification_id)
                return "skipped"
            email = render(notification.template, notification.context)
            backend.send(session, notification, email)
            notification.status = SENT
            notification.sent_at = clock.now()
            notification.lease_until = None
            notification.last_error = None
            # The link is a live secret; once delivered the outbox need not keep it.
            notification.context = {**notification.context, "link": REDACTED}
        return "sent"
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        permanent = isinstance(exc, PermanentDeliveryError)
        log.warning("notifications.deliver.failed id=%s error=%r", notification_id, exc)
        with db.unit_of_work() as session:
            notification = session.get(Notification, notification_id)
            if notification is None or notification.status != SENDING or notification.lease_until != lease:
                return "skipped"  # cancelled or re-claimed while we were sending
            notification.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            notification.lease_until = None
            if permanent or notification.attempts >= settings.delivery_max_attempts:
                notification.status = FAILED
                return "failed"
            notification.status = QUEUED
            notification.next_attempt_at = clock.now() + backoff(notification.attempts)
        return "retry"
