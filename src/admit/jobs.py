"""The worker: delivers notifications, runs bulk imports and scheduled work (the expiry sweep,
invitation reminders and the inviters' daily digest of expired invitations).

It runs inside ``admit serve`` (a background thread) or alone as ``admit worker``, any number of
times: every step is safe to run concurrently (see ``notifications.jobs`` for how rows are
claimed). Each step opens its own sessions.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from admit import context
from admit.auth import service as auth_service
from admit.auth.models import LinkRequest
from admit.bulk import service as bulk_service
from admit.bulk.models import BulkJob
from admit.db import STATISTICS_EVERY_SECONDS, Database, rows_written
from admit.directory.hr import service as hr_service
from admit.directory.models import HrSyncRun
from admit.events.models import WebhookMessage
from admit.flows import hr_sync, people_bulk
from admit.flows import reminders as reminders_flow
from admit.idempotency import service as idempotency_service
from admit.imports import jobs as imports_jobs
from admit.imports.models import InvitationImport
from admit.invitations import service as invitations_service
from admit.kit import written
from admit.notifications import jobs as notifications_jobs
from admit.notifications.models import Notification
from admit.settings import Settings
from admit.webhooks import jobs as webhooks_jobs
from admit.workspaces import messages as workspace_messages
from admit.workspaces import roles as workspace_roles

log = logging.getLogger("admit.worker")

SWEEP_EVERY_SECONDS = 60.0
WAKE_GAP_SECONDS = 0.1  # the least time between the starts of two passes woken by requests' work

# What a pass takes from the database: a row written to one of these by a request of the web
# process wakes its worker at once (``Database.watch_for_work``, and ``db.rows_written`` for rows
# written past the ORM: ``kit.written``); nothing else needs a wake-up.
QUEUES = tuple(
    model.__tablename__
    for model in (Notification, LinkRequest, InvitationImport, BulkJob, HrSyncRun, WebhookMessage)
)


def busy(counts: Mapping[str, int]) -> bool:
    """Whether a pass found work: anything it counted (a message sent, retried, failed, skipped
    or cancelled; an import, a bulk action, an HR sync run; sign-in links; webhooks; what a
    sweep reminded, digested or expired). More may be waiting, or the pass queued it (a
    reminder's message): the next pass comes at once, in ``run_forever`` and in ``drain``."""
    return any(counts.values())


class Worker:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._last_sweep = 0.0
        self._last_statistics = float("-inf")  # at the first pass (the clock may start near 0)

    def run_once(self, *, sweep: bool = True) -> dict[str, int]:
        """One pass: turn asked-for sign-in and reset links into messages, deliver what is due,
        run a queued import, then (if due) sweep expirations. Only the steps whose queue has
        work now run (``due``). Returns what it did, counted: each count is work done (``busy``)."""
        due = self.due()
        counts: dict[str, int] = {}
        if "links" in due:
            with self.db.unit_of_work() as session:
                if links := auth_service.send_requested_links(session):
                    counts["links"] = links
        if "deliveries" in due or "links" in counts:  # the links' messages go in this pass too
            counts.update(notifications_jobs.deliver_due(self.db, self.settings))
        if "imports" in due and imports_jobs.run_due(self.db) is not None:
            counts["imports"] = 1
            self.db.refresh_statistics()  # SQLite's planner, after many rows may have come in
        if "bulk" in due and people_bulk.run_due(self.db) is not None:
            counts["imports"] = counts.get("imports", 0) + 1  # a bulk action: work was done
        if "hr_syncs" in due and hr_sync.run_due(self.db) is not None:
            counts["hr_syncs"] = 1  # an HR sync run (its invitations are an import: the next passes)
        if "webhooks" in due:
            hooks = webhooks_jobs.deliver_due(
                self.db, self.db.context.settings if self.db.context else self.settings
            )
            if any(hooks.values()):
                counts["webhooks"] = sum(hooks.values())
        if sweep and time.monotonic() - self._last_sweep >= SWEEP_EVERY_SECONDS:
            for key, n in self.run_scheduled().items():  # "expired": messages and invitations alike
                counts[key] = counts.get(key, 0) + n
            self._last_sweep = time.monotonic()
        if sweep and time.monotonic() - self._last_statistics >= STATISTICS_EVERY_SECONDS:
            self.db.refresh_statistics()
            self._last_statistics = time.monotonic()
        return counts

    def due(self) -> set[str]:
        """The steps of a pass whose queue holds work now (``links``, ``deliveries``,
        ``imports``, ``bulk``, ``hr_syncs``, ``webhooks``), in one read: each queue is asked by
        the rule its own claim uses (the ``due`` beside it). A pass that finds nothing is this
        one transaction, not one per step (seven: on SQLite each took the write lock that every
        request of the process waits for). Work that comes after the read waits for the next
        pass, as work written after a claim always has."""
        with self.db.unit_of_work() as session:
            now = context.of(session).clock.now()
            asked = {
                "links": auth_service.links_due(),
                "deliveries": notifications_jobs.due(now),
                "imports": imports_jobs.due(now),
                "bulk": bulk_service.due(now),
                "hr_syncs": hr_service.due(now),
                "webhooks": webhooks_jobs.due(now),
            }
            found = session.execute(select(*(rule.label(step) for step, rule in asked.items()))).one()
        return {step for step, has in zip(asked, found, strict=True) if has}

    def run_scheduled(self) -> dict[str, int]:
        """One pass of scheduled work, whatever the time since the last: reminders that are
        due, yesterday's digests not yet queued, then the expiry sweep (and the API's
        idempotency keys past their 24 hours). Each is its own unit of work and safe in any
        number of workers at once (``flows.reminders``); the messages they queue go out with the
        next delivery."""
        counts: dict[str, int] = {"reminded": 0}
        while True:  # a batch per transaction, until none is due
            with self.db.unit_of_work() as session:
                reminded = reminders_flow.remind_due(session)
            counts["reminded"] += reminded
            if reminded < reminders_flow.BATCH:
                break
        with self.db.unit_of_work() as session:
            counts["digests"] = reminders_flow.send_digests(session)
        with self.db.unit_of_work() as session:
            counts["expired"] = invitations_service.expire_due(session)
        counts["idempotency_keys"] = 0
        while True:  # keys past the day they are kept, a bounded batch per transaction
            with self.db.unit_of_work() as session:
                swept = idempotency_service.sweep(session)
            counts["idempotency_keys"] += swept
            if swept < idempotency_service.SWEEP_BATCH:
                break
        with self.db.unit_of_work() as session:
            counts["actions_reminded"] = workspace_roles.remind_due_actions(session)
        try:
            with self.db.unit_of_work() as session:
                counts["activity_digests"] = workspace_messages.send_activity_digests(session)
        except IntegrityError:  # another worker wrote this hour's digests first (their event keys)
            counts["activity_digests"] = 0
        return counts

    def drain(self, *, max_passes: int = 1000, expired: bool = False) -> dict[str, int]:
        """Deliver until nothing is due (the CLI after an invite, and tests): how many were
        sent, will be retried, failed; with ``expired``, how many were cancelled too, their link
        dead before they could go (``admit worker --once``)."""
        total = {"sent": 0, "retry": 0, "failed": 0} | ({"expired": 0} if expired else {})
        for _ in range(max_passes):
            counts = self.run_once(sweep=False)  # runs a queued import too
            for key in total:
                total[key] += counts.get(key, 0)
            if not busy(counts):
                break
        return total

    def run_forever(self, stop: threading.Event, wake: threading.Event | None = None) -> None:
        """Pass after pass until ``stop`` is set; after a pass that found nothing to do, wait
        ``worker_poll_seconds`` or until ``wake`` is set (work written meanwhile: the in-process
        worker's ``Database.work``; ``stop`` must set it too), whichever comes first."""
        wake = wake or stop
        log.info("worker.started backend=%s", self.settings.email_backend)
        with self.db.working():
            while not stop.is_set():
                if wake is not stop:
                    wake.clear()  # before the pass: what is written during it wakes the next
                began = time.monotonic()
                try:
                    counts = self.run_once()
                    found = busy(counts)
                except Exception:  # noqa: BLE001 - the loop must survive a bad pass
                    log.exception("worker.pass_failed")
                    found = False
                # A stop set after the loop's check was cleared from ``wake`` with it: not waited on.
                if not found and not stop.is_set() and wake.wait(self.settings.worker_poll_seconds):
                    # Woken: under a stream of requests that write work, at most one pass per
                    # WAKE_GAP_SECONDS (what they write meanwhile waits for it), not one each.
                    stop.wait(max(0.0, WAKE_GAP_SECONDS - (time.monotonic() - began)))
        log.info("worker.stopped")


class _Stop(threading.Event):
    """The in-process worker's stop: setting it also wakes the worker from its wait."""

    def __init__(self, wake: threading.Event) -> None:
        super().__init__()
        self._wake = wake

    def set(self) -> None:
        super().set()
        self._wake.set()


def start_in_thread(db: Database, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The worker of the web process, in a thread: woken by the work its requests write
    (``QUEUES``), however they are written, polling for the rest. Returns the thread and the
    event that stops it."""
    written.on_written(rows_written)  # kit.bulk's and kit.insert's rows: kit cannot import db
    wake = db.watch_for_work(QUEUES)
    stop = _Stop(wake)
    thread = threading.Thread(
        target=Worker(db, settings).run_forever, args=(stop, wake), name="admit-worker", daemon=True
    )
    thread.start()
    return thread, stop
