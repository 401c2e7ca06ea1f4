"""``notifications.deliver``: the worker's delivery of queued notifications.

Claiming takes rows that are due (``queued`` and ``next_attempt_at`` passed) or whose lease ran
out (a worker died while ``sending``). On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED``
so any number of workers share the queue; on SQLite the write lock serialises claims.

Each claimed row goes out on its channel: emails through the email backend (``dev`` or
``smtp``, ``smtp_connections`` lanes), SMS through the SMS backend (``dev`` or ``twilio``, one
lane). Both kinds share the claim, the lease, the retries and the redaction of the link.
A row's secrets stay sealed (``notifications.sealed``) until its message is rendered here.

Delivery guarantees: a dev backend records the message in the same transaction that marks
it sent, so it is delivered exactly once. SMTP and SMS providers are at least once: a crash
after the server accepted a message and before the row is marked sent delivers it again after
the lease (over SMTP with the same Message-ID).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter as PrometheusCounter
from sqlalchemy import ColumnElement, bindparam, or_, select, update
from sqlalchemy.orm import Session

from admit import context
from admit.db import Database
from admit.events import outbox as webhooks
from admit.notifications import bounces, sealed
from admit.notifications.backends import Backend, PermanentDeliveryError, RecipientRefused, make_backend
from admit.notifications.models import CANCELLED, FAILED, QUEUED, SENDING, SENT, Notification
from admit.notifications.render import RenderedEmail, render
from admit.notifications.sms import make_sms_backend
from admit.settings import Settings

log = logging.getLogger("admit.notifications")


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


def claim_due(db: Database, *, limit: int) -> list[uuid.UUID]:
    """Claim due rows; returns their ids (see ``claim_batch``)."""
    return claim_batch(db, limit=limit)[0]


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a worker needs to deliver one claimed row, read once at claim time."""

    id: uuid.UUID
    template: str
    to_address: str
    context: dict[str, Any]
    channel: str = "email"
    portal_id: uuid.UUID | None = None
    invitation_id: uuid.UUID | None = None


def claim_batch(db: Database, *, limit: int) -> tuple[list[uuid.UUID], datetime]:
    """Claim up to ``limit`` due rows for this worker; returns ``(ids, lease_until)``."""
    items, lease = _claim(db, limit=limit)
    return [item.id for item in items], lease


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Due (queued, its time come) or left by a worker that died (its lease ran out)."""
    return or_(
        (Notification.status == QUEUED) & (Notification.next_attempt_at <= now),
        (Notification.status == SENDING) & (Notification.lease_until < now),
    )


def due(now: datetime) -> ColumnElement[bool]:
    """Whether a claim at ``now`` would find a message, as one EXISTS (``jobs.Worker.due``)."""
    return select(Notification.id).where(_claimable(now)).exists()


def _claim(db: Database, *, limit: int) -> tuple[list[Claimed], datetime]:
    """Claim up to ``limit`` due rows; returns what delivering them needs and the lease.

    The lease value identifies the claim: a row re-claimed by another worker after our lease ran
    out carries a different one, and we then leave it alone.
    """
    assert db.context is not None, "the worker's database carries its context (admit.context)"
    now = db.context.clock.now()
    lease = now + timedelta(seconds=db.context.settings.delivery_lease_seconds)
    with db.unit_of_work() as session:
        query = (
            select(Notification).where(_claimable(now)).order_by(Notification.next_attempt_at).limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        for row in rows:
            row.status = SENDING
            row.lease_until = lease
            row.attempts += 1
        claimed = [
            Claimed(
                row.id,
                row.template,
                row.to_address,
                dict(row.context),
                row.channel or "email",
                row.portal_id,
                row.invitation_id,
            )
            for row in rows
        ]
        return claimed, lease


def deliver_due(db: Database, settings: Settings, *, limit: int | None = None) -> dict[str, int]:
    """Deliver what is due; returns counts ``{"sent", "retry", "failed", "skipped", "expired"}``
    (expired: cancelled, their link dead before they could go).

    Over SMTP the emails are shared by ``smtp_connections`` threads, each with a connection of
    its own: a message costs several round trips to the server, and the waiting overlaps. SMS go
    through the SMS backend in one lane of their own (beside the SMTP lanes when there are any).
    """
    items, lease = _claim(db, limit=limit or settings.delivery_batch_size)
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "expired": 0}
    if not items:
        return counts
    emails = [item for item in items if item.channel != "sms"]
    texts = [item for item in items if item.channel == "sms"]

    tasks: list[
        tuple[Callable[[Settings], Backend], list[Claimed]]
    ] = []  # (backend factory, items of one lane)
    if emails:
        lanes = settings.smtp_connections if settings.email_backend == "smtp" else 1
        lanes = max(1, min(lanes, len(emails)))
        tasks += [(make_backend, emails[i::lanes]) for i in range(lanes)]
    if texts:
        tasks.append((make_sms_backend, texts))

    def lane(task: tuple[Callable[[Settings], Backend], list[Claimed]]) -> Counter[str]:
        factory, part = task
        done: Counter[str] = Counter()
        backend = factory(settings)
        try:
            for start in range(0, len(part), GROUP):
                outcomes = _deliver_group(db, settings, backend, part[start : start + GROUP], lease)
                for outcome in ATTEMPT_OUTCOMES:
                    ATTEMPTS.labels(outcome).inc(outcomes[outcome])
                done.update(outcomes)
        finally:
            backend.close()
        return done

    external = settings.email_backend != "dev" or settings.sms_backend != "dev"
    if len(tasks) == 1 or not external:
        # Dev backends only write to the database: threads would just queue for its write lock.
        results = [lane(task) for task in tasks]
    else:
        with ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="admit-deliver") as pool:
            results = list(pool.map(lane, tasks))
    for result in results:
        for key, value in result.items():
            counts[key] += value
    return counts


# Rows are checked and marked sent a group at a time: two short transactions per group, and no
# transaction open while talking to the SMTP server or the SMS provider (on SQLite any open
# transaction holds the write lock). A crash between a send and its group's mark re-sends at
# most that group (emails with the same Message-ID) after the lease: one per lane (each SMTP
# connection, and the texts'), as the lanes send at once.
GROUP = 50

# Every try the worker records, by its outcome (``/metrics``: an SMTP outage shows as retries
# and failures while ``admit_messages`` only holds them queued). Per process: the worker's own
# process, or every process's with PROMETHEUS_MULTIPROC_DIR (``observability``).
ATTEMPT_OUTCOMES = ("sent", "retry", "failed")
ATTEMPTS = PrometheusCounter(
    "admit_delivery_attempts_total", "Delivery attempts (email and SMS) by outcome", ["outcome"]
)


def _still_ours(session: Session, group: list[Claimed], lease: datetime) -> list[Claimed]:
    """The rows of ``group`` still claimed by us: not cancelled (revoked, resent), not re-claimed."""
    if context.of(session).clock.now() >= lease:
        return []
    mine = set(
        session.scalars(
            select(Notification.id).where(
                Notification.id.in_([item.id for item in group]),
                Notification.status == SENDING,
                Notification.lease_until == lease,
            )
        )
    )
    return [item for item in group if item.id in mine]


def _mark_sent(session: Session, sent: list[Claimed], lease: datetime) -> None:
    if not sent:
        return
    table = Notification.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.status == SENDING, table.c.lease_until == lease)
        .values(
            status=SENT,
            sent_at=context.of(session).clock.now(),
            lease_until=None,
            last_error=None,
            context=bindparam("b_context"),
        ),
        # The link is a live secret; once delivered the outbox need not keep it, even sealed.
        [{"b_id": item.id, "b_context": sealed.spent(item.context)} for item in sent],
    )
    by_portal: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for item in sent:
        if item.invitation_id is not None and item.portal_id is not None:
            by_portal.setdefault(item.portal_id, []).append(_about(item))
    for portal_id, items in by_portal.items():
        webhooks.emit(session, portal_id, "invitation.sent", items)


def _about(item: Claimed | Notification, **detail: Any) -> dict[str, Any]:
    """A webhook event's data about the invitation a message carried."""
    return webhooks.about(
        "invitation", item.invitation_id, item.to_address, channel=item.channel or "email", **detail
    )


def _deliver_group(
    db: Database, settings: Settings, backend: Backend, group: list[Claimed], lease: datetime
) -> Counter[str]:
    """Deliver one group through ``backend`` (an email or an SMS backend: same interface).

    A backend named ``dev`` writes the dev mailbox in the transaction that marks the rows sent;
    any other sends with no transaction open, then marks what went out.
    """
    done: Counter[str] = Counter()
    group = _drop_expired(db, group, lease, done)
    rendered: list[tuple[Claimed, RenderedEmail]] = []
    for item in group:
        try:
            # Opened only here, for the message (and its backend's headers): never written back.
            item = replace(item, context=sealed.opened(item.context, settings))
            rendered.append((item, render(item.template, item.context, item.channel)))
        except Exception as exc:  # noqa: BLE001 - a template error (or a lost key) fails this row, not the batch
            done[_record_failure(db, settings, item, lease, exc)] += 1
    if backend.name == "dev":
        # The dev mailbox is written in the same transaction that marks the rows sent: exactly once.
        with db.unit_of_work() as session:
            ours = {item.id for item in _still_ours(session, [i for i, _ in rendered], lease)}
            sent = []
            for item, email in rendered:
                if item.id in ours:
                    backend.send(session, item, email)
                    sent.append(item)
            _mark_sent(session, sent, lease)
        done["sent"] += len(sent)
        done["skipped"] += len(rendered) - len(sent)
        return done
    with db.unit_of_work() as session:
        ours = {item.id for item in _still_ours(session, [i for i, _ in rendered], lease)}
    sent = []
    for item, email in rendered:
        if item.id not in ours:
            log.info("notifications.deliver.skipped id=%s", item.id)
            done["skipped"] += 1
            continue
        try:
            backend.send(None, item, email)
        except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
            done[_record_failure(db, settings, item, lease, exc)] += 1
            continue
        sent.append(item)
    with db.unit_of_work() as session:
        _mark_sent(session, sent, lease)
    done["sent"] += len(sent)
    return done


def _drop_expired(db: Database, group: list[Claimed], lease: datetime, done: Counter[str]) -> list[Claimed]:
    """The messages of ``group`` still worth sending. One whose link expired while it waited
    (the worker was down, the relay refused for hours) is cancelled instead: it would invite
    someone to a dead link. Its ``expires_at`` (ISO 8601, in its context) says when."""
    assert db.context is not None
    now = db.context.clock.now()
    expired = [item for item in group if _expired(item.context.get("expires_at"), now)]
    if not expired:
        return group
    with db.unit_of_work() as session:
        table = Notification.__table__
        session.execute(
            update(table)
            .where(
                table.c.id.in_([item.id for item in expired]),
                table.c.status == SENDING,
                table.c.lease_until == lease,
            )
            .values(status=CANCELLED, lease_until=None, last_error="its link expired before it could be sent")
        )
    for item in expired:
        log.info("notifications.deliver.expired id=%s", item.id)
    done["expired"] += len(expired)
    gone = {item.id for item in expired}
    return [item for item in group if item.id not in gone]


def _expired(expires_at: object, now: datetime) -> bool:
    if not isinstance(expires_at, str):
        return False
    try:
        moment = datetime.fromisoformat(expires_at)
    except ValueError:
        return False
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) <= now


def _record_failure(db: Database, settings: Settings, item: Claimed, lease: datetime, exc: Exception) -> str:
    permanent = isinstance(exc, PermanentDeliveryError)
    log.warning("notifications.deliver.failed id=%s error=%r", item.id, exc)
    with db.unit_of_work() as session:
        notification = session.get(Notification, item.id)
        if notification is None or notification.status != SENDING or notification.lease_until != lease:
            return "skipped"  # cancelled or re-claimed while we were sending
        notification.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        notification.lease_until = None
        if isinstance(exc, RecipientRefused) and notification.portal_id is not None:
            # A hard bounce at send time: as if the provider had reported it.
            bounces.mark_bounced(
                session, notification, kind=bounces.BOUNCE, detail=notification.last_error, source="smtp"
            )
            return "failed"
        if permanent or notification.attempts >= settings.delivery_max_attempts:
            notification.status = FAILED
            # A failed message is not retried: the link it carried need not be kept either.
            notification.context = sealed.spent(notification.context)
            if notification.invitation_id is not None:
                webhooks.emit(
                    session,
                    notification.portal_id,
                    "invitation.delivery_failed",
                    [_about(notification, error=notification.last_error)],
                )
            return "failed"
        notification.status = QUEUED
        notification.next_attempt_at = context.of(session).clock.now() + backoff(notification.attempts)
    return "retry"
