"""``imports.run``: the worker's side of a bulk invitation.

A worker claims an import (a lease), reads the stored list again, skips the rows already done,
and sends each batch of rows through the invitation pipeline in one transaction together with
the per-row report and the new ``processed_rows``. A crash loses at most the batch in flight,
which the next run does again; the partial unique index on pending invitations makes a repeat
impossible.

The portal's sending limit applies as to any invitation: when a batch reaches it, the rows that
fit are done and the import is ``waiting`` until more may go (``resume_at``); any worker then
goes on from there.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from admit import context
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import Database
from admit.errors import DomainError
from admit.imports import evaluate, service, storage
from admit.imports.models import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    WAITING,
    InvitationImport,
    InvitationImportRow,
)
from admit.imports.parsing import Row, read_rows
from admit.imports.service import ImportState
from admit.invitations import pipeline
from admit.invitations.options import InviteOptions
from admit.kit.bulk import insert_rows
from admit.members import service as members_service
from admit.policy import Role, UserType
from admit.portals import service as portals_service

__all__ = ["BATCH_ROWS", "LeaseLost", "claim", "due", "run", "run_due"]

log = logging.getLogger("admit.imports")

BATCH_ROWS = 10000  # rows per transaction of an import
LEASE = timedelta(minutes=2)


class LeaseLost(Exception):
    """Another worker took over this import (ours ran out)."""


def _import(session: Session, import_id: uuid.UUID) -> InvitationImport:
    """The import being worked on; if its row is gone (its portal deleted), the work is over."""
    imp = session.get(InvitationImport, import_id)
    if imp is None:
        raise LeaseLost(str(import_id))
    return imp


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Queued, waiting no longer, or left by a worker that died (its lease ran out)."""
    return or_(
        InvitationImport.status == QUEUED,
        and_(InvitationImport.status == WAITING, InvitationImport.resume_at <= now),
        and_(InvitationImport.status == RUNNING, InvitationImport.lease_until < now),
    )


def due(now: datetime) -> ColumnElement[bool]:
    """Whether ``claim`` at ``now`` would find an import, as one EXISTS (``jobs.Worker.due``)."""
    return select(InvitationImport.id).where(_claimable(now)).exists()


def claim(db: Database, import_id: uuid.UUID | None = None) -> tuple[uuid.UUID, datetime] | None:
    """Take a queued import (one whose wait is over, or one whose worker died) for this process;
    ``(id, lease)`` or None."""
    assert db.context is not None, "the worker's database carries its context (admit.context)"
    now = db.context.clock.now()
    with db.unit_of_work() as session:
        query = select(InvitationImport).where(_claimable(now))
        if import_id is not None:
            query = query.where(InvitationImport.id == import_id)
        query = query.order_by(InvitationImport.created_at).limit(1)
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        imp = session.scalar(query)
        if imp is None:
            return None
        lease = now + LEASE
        imp.status = RUNNING
        imp.lease_until = lease
        imp.resume_at = None
        imp.started_at = imp.started_at or now
        return imp.id, lease


def run(
    db: Database,
    import_id: uuid.UUID,
    lease: datetime | None,
    *,
    on_progress: Callable[[InvitationImport], None] | None = None,
    held: list[datetime | None] | None = None,
) -> ImportState:
    """Process a claimed import to the end (or until it must wait for the sending limit); returns
    its status. Safe to run again after a crash."""
    _max_bytes, max_rows = service.limits(db)
    with db.unit_of_work() as session:
        imp = _import(session, import_id)
        actor = _importer(session, imp)
        options = InviteOptions(
            user_type=UserType(imp.user_type),
            role=Role(imp.role),
            products=tuple(imp.products),
            message=imp.message,
            role_column=imp.role_column,
        )
        done_rows = imp.processed_rows
        # Addresses met in rows already done (a resumed run must still see their duplicates).
        seen = evaluate.SeenAddresses(
            session.scalars(
                select(InvitationImportRow.email).where(
                    InvitationImportRow.import_id == import_id, InvitationImportRow.email.is_not(None)
                )
            )
        )
        session.expunge_all()
    rows = itertools.islice(
        read_rows(storage.stored_chunks(db, import_id), max_rows=max_rows), done_rows, None
    )
    for batch in evaluate.batched(rows, BATCH_ROWS):
        lease, waiting = _write_batch(db, import_id, lease, actor, options, batch, seen)
        if held is not None:  # the lease as it is now (each batch extends it)
            held[0] = lease
        if on_progress is not None:
            with db.unit_of_work() as session:
                on_progress(_import(session, import_id))
        if waiting:
            with db.unit_of_work() as session:
                return service.status_of(_import(session, import_id))
    return _finish(db, import_id, lease)


def _write_batch(
    db: Database,
    import_id: uuid.UUID,
    lease: datetime | None,
    actor: Actor,
    options: InviteOptions,
    batch: list[Row],
    seen: evaluate.SeenAddresses,
) -> tuple[datetime | None, bool]:
    """One batch in one transaction; returns the new lease and whether the import now waits."""
    with db.unit_of_work() as session:
        imp = _import(session, import_id)
        if imp.lease_until != lease or imp.status != RUNNING:
            raise LeaseLost(str(import_id))
        # The portal in this transaction: the sending limit locks its row.
        actor = dataclasses.replace(actor, portal=portals_service.get_or_raise(session, actor.portal.id))
        items = evaluate.recipients(session, actor.role, options, batch)
        result = pipeline.invite(
            session, actor, items, options, seen=seen, partial=True, load=False, via="import"
        )
        skipped: Counter[str] = Counter(imp.skipped or {})
        report: list[dict[str, Any]] = []
        for row, outcome in zip(batch[: result.processed], result.results, strict=True):
            invited = outcome.outcome is pipeline.Outcome.INVITED
            if not invited:
                skipped[str(outcome.code)] += 1
            report.append(
                {
                    "import_id": import_id,
                    "row_number": row.number,
                    "part": row.part,
                    "recipient": row.raw or row.address,
                    "email": outcome.address,
                    "name": row.name,
                    "code": service.INVITED if invited else str(outcome.code),
                    "detail": outcome.detail,
                    "invitation_id": outcome.invitation_id,
                }
            )
        insert_rows(session, InvitationImportRow.__table__, report)
        imp.processed_rows += result.processed
        imp.invited_count += len(result.invited)
        imp.skipped = dict(skipped)
        if result.processed < len(batch):
            imp.status = WAITING
            imp.resume_at = result.retry_at
            imp.lease_until = None
            log.info("imports.waiting id=%s resume_at=%s", import_id, result.retry_at)
            return None, True
        new_lease = context.of(session).clock.now() + LEASE
        imp.lease_until = new_lease
        return new_lease, False


def _importer(session: Session, imp: InvitationImport) -> Actor:
    """Who the worker acts as for ``imp``: whoever started it, with the role they had then. The
    person (``user``) is who the invitations and the audit log name, by their name in the
    portal; the label (``shown_as``: their address, or an API key's) is how the events were
    written when they started it; what made it when no person did (``named_as``: "BambooHR") is
    how its invitations name their inviter."""
    portal = portals_service.get_or_raise(session, imp.portal_id)
    inviter = members_service.get_user(session, imp.created_by_id) if imp.created_by_id else None
    return Actor(
        portal=portal,
        role=Role(imp.actor_role),
        user=inviter,
        shown_as=imp.actor_label,
        named_as=imp.inviter_label,
    )


def _finish(db: Database, import_id: uuid.UUID, lease: datetime | None) -> ImportState:
    with db.unit_of_work() as session:
        imp = _import(session, import_id)
        if imp.lease_until != lease:
            raise LeaseLost(str(import_id))
        imp.status = DONE
        imp.finished_at = context.of(session).clock.now()
        imp.lease_until = None
        audit_service.record(
            session,
            _importer(session, imp),
            "invitation_import.completed",
            target_type="invitation_import",
            target_id=imp.id,
            target_label=imp.filename or "pasted list",
            detail={"rows": imp.processed_rows, "invited": imp.invited_count, "skipped": imp.skipped},
        )
        return service.status_of(imp)


def _hand_back(db: Database, import_id: uuid.UUID, lease: datetime | None, *, seconds: float = 30.0) -> bool:
    """Make a claimed import claimable again at once (its lease ended now), trying for up to
    ``seconds`` while the database is unreachable; if it stays so, the lease runs out instead."""
    deadline = time.monotonic() + seconds
    wait = 0.25
    while True:
        try:
            with db.unit_of_work() as session:
                imp = session.get(InvitationImport, import_id)
                if imp is not None and imp.status == RUNNING and imp.lease_until == lease:
                    imp.lease_until = context.of(session).clock.now()
            return True
        except (OperationalError, InterfaceError):
            if time.monotonic() + wait > deadline:
                log.warning("imports.hand_back_failed id=%s: its lease runs out instead", import_id)
                return False
            time.sleep(wait)
            wait = min(wait * 2, 4.0)


def run_due(db: Database) -> ImportState | None:
    """The worker's step: process the oldest queued import (or resume one that waited, or one
    whose worker died)."""
    claimed = claim(db)
    if claimed is None:
        return None
    import_id, lease = claimed
    held: list[datetime | None] = [lease]
    try:
        return run(db, import_id, lease, held=held)
    except LeaseLost:
        log.warning("imports.lease_lost id=%s", import_id)
        return None
    except (OperationalError, InterfaceError) as exc:
        if not _went_away(db, exc):
            _failed(db, import_id, exc)
            return None
        # The database went away (restarted, failed over, the connection cut): nothing of the
        # batch in flight was written. The import is not failed: it is handed back as soon as
        # the database answers again, and any worker goes on from the last batch written.
        log.warning("imports.interrupted id=%s error=%s", import_id, type(exc).__name__)
        _hand_back(db, import_id, held[0])
        return None
    except Exception as exc:  # noqa: BLE001 - the import is marked failed, the admin is told
        _failed(db, import_id, exc)
        return None


def _went_away(db: Database, exc: DBAPIError) -> bool:
    """Whether ``exc`` is the database out of reach (a cut connection, a server restarting)
    rather than a fault that would happen again: on PostgreSQL every operational or interface
    error (connection failures, admin shutdown: SQLSTATE classes 08, 57); on SQLite only a
    connection SQLAlchemy saw die ("no such table" is operational there, and permanent)."""
    return bool(exc.connection_invalidated) or not db.is_sqlite


def _failed(db: Database, import_id: uuid.UUID, exc: Exception) -> None:
    """Mark the import failed. What the admin reads never carries the fault's text (SQL, other
    people's addresses): a reference to the log line that does."""
    reference = secrets.token_hex(4)
    log.exception("imports.failed id=%s reference=%s", import_id, reference)
    with db.unit_of_work() as session:
        imp = session.get(InvitationImport, import_id)
        if imp is not None:
            imp.status = FAILED
            imp.error = (
                str(exc)[:1000]
                if isinstance(exc, DomainError)
                else f"The import stopped on an internal error (reference {reference}): the rows"
                " before it were invited; your operator can find the reference in the server's log."
            )
            imp.lease_until = None
