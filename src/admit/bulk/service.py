"""Bulk jobs: made, claimed by one worker at a time (a lease), advanced a batch at a time."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.bulk.models import BulkAction, BulkJob, BulkStatus
from admit.errors import BulkJobNotFound, InvalidInput

__all__ = [
    "BATCH",
    "LEASE",
    "MAX_TARGETS",
    "SKIPS_KEPT",
    "LeaseLost",
    "advance",
    "claim",
    "create",
    "due",
    "get",
    "get_or_raise",
    "next_batch",
]

BATCH = 200  # people per transaction
SKIPS_KEPT = 50  # the rows not done a job names (the rest are counted)
LEASE = timedelta(minutes=2)
MAX_TARGETS = 200_000


def create(session: Session, actor: Actor, action: str, targets: list[uuid.UUID]) -> BulkJob:
    """A queued job of ``action`` over ``targets`` (roster row ids, deduplicated in order)."""
    check_action(action)
    unique = list(dict.fromkeys(str(t) for t in targets))
    if not unique:
        raise InvalidInput("Select at least one person.", field="ids")
    if len(unique) > MAX_TARGETS:
        raise InvalidInput(f"At most {MAX_TARGETS:,} people at once.", field="ids")
    job = BulkJob(
        portal_id=actor.portal.id,
        created_by_id=actor.user_id,
        actor_label=actor.label,
        actor_role=str(actor.role),
        ip=actor.ip,
        action=action,
        targets=unique,
        total=len(unique),
        counts={},
    )
    session.add(job)
    session.flush()
    audit_service.record(
        session, actor, f"people.bulk_{action}", target_type="bulk_job", target_id=job.id,
        target_label=_selected(len(unique)), detail={"action": action, "total": len(unique)},
    )  # fmt: skip
    return job


def check_action(action: str) -> None:
    """Refused, naming the field, unless ``action`` is a bulk action (``BulkAction``)."""
    if action not in tuple(BulkAction):
        raise InvalidInput.not_one_of("action", BulkAction)


def _selected(n: int) -> str:
    return f"{n:,} selected {'person' if n == 1 else 'people'}"


def record_finished(session: Session, actor: Actor, job: BulkJob) -> None:
    """The job's end in the audit log, with what it did and skipped (each person it did is in
    the log too, as if done one by one); its start says only what was selected."""
    audit_service.record(
        session, actor, f"people.bulk_{job.action}_finished", target_type="bulk_job", target_id=job.id,
        target_label=_selected(job.total), detail={"action": job.action, "counts": dict(job.counts)},
    )  # fmt: skip


def get_or_raise(session: Session, actor: Actor, job_id: uuid.UUID) -> BulkJob:
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    job = session.get(BulkJob, job_id)
    if job is None or job.portal_id != actor.portal.id:
        raise BulkJobNotFound("No such bulk action in this portal.")
    return job


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Queued, or left by a worker that died (its lease ran out)."""
    return or_(
        BulkJob.status == BulkStatus.QUEUED,
        and_(BulkJob.status == BulkStatus.RUNNING, BulkJob.lease_until < now),
    )


def due(now: datetime) -> ColumnElement[bool]:
    """Whether ``claim`` at ``now`` would find a job, as one EXISTS (``jobs.Worker.due``)."""
    return select(BulkJob.id).where(_claimable(now)).exists()


def claim(session: Session) -> BulkJob | None:
    """Take the oldest queued job (or one whose worker died) for this process, leased."""
    now = context.of(session).clock.now()
    query = select(BulkJob).where(_claimable(now)).order_by(BulkJob.created_at).limit(1)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    job = session.scalar(query)
    if job is not None:
        job.status = BulkStatus.RUNNING
        job.lease_until = now + LEASE
    return job


def next_batch(job: BulkJob) -> list[uuid.UUID]:
    return [uuid.UUID(t) for t in job.targets[job.done : job.done + BATCH]]


def advance(
    session: Session,
    job_id: uuid.UUID,
    lease: datetime | None,
    outcomes: Counter[str],
    skips: list[dict[str, str]] | None = None,
) -> BulkJob:
    """Record a processed batch (in the transaction that made its changes): ``done`` moves on,
    the outcome counts add up, the rows skipped are kept (the first ``SKIPS_KEPT``: who and
    why), the lease is renewed; the job is done after its last batch."""
    job = session.get(BulkJob, job_id, with_for_update=session.get_bind().dialect.name != "sqlite")
    if job is None or job.status != BulkStatus.RUNNING or (lease is not None and job.lease_until != lease):
        raise LeaseLost(str(job_id))
    now = context.of(session).clock.now()
    job.done = min(job.total, job.done + sum(outcomes.values()))
    job.counts = dict(Counter(job.counts) + outcomes)
    if skips:
        job.skips = [*(job.skips or []), *skips][:SKIPS_KEPT]
    job.lease_until = now + LEASE
    if job.done >= job.total:
        job.status = BulkStatus.DONE
        job.finished_at = now
    return job


class LeaseLost(Exception):
    """Another worker took over this job (ours ran out)."""


def get(session: Session, job_id: uuid.UUID) -> BulkJob | None:
    return session.get(BulkJob, job_id)
