"""The rules of ``Idempotency-Key``, in one place: what a key may be, which request it names,
what a retry is answered, how long a key is kept.

A request with a key ``claim``\\ s it before its work, in its own transaction: the key's row is
written then, and its answer (``record``) before the commit, so the key and the work stand or
fall together (a refused request, 4xx, leaves no key: its retry runs again). A retry finds the
row and is answered what the first was (``Answer``), whatever has changed since; the same key
with another request is 422 ``idempotency_key_reused``. Two requests with one key at once: the
second's claim waits on the key's unique index for the first to end (PostgreSQL; SQLite runs one
transaction at a time), then finds its answer. Keys are kept ``KEPT`` (24 hours): older ones are
answered as new and swept (``sweep``, the worker's)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import context
from admit.db import new_id, rowcount
from admit.errors import IdempotencyKeyReused, InvalidInput, at_most_characters
from admit.idempotency.models import IdempotencyKey

__all__ = [
    "HEADER",
    "KEPT",
    "MAX_KEY",
    "REPLAYED_HEADER",
    "SWEEP_BATCH",
    "Answer",
    "checked_key",
    "claim",
    "record",
    "release",
    "sweep",
]

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"  # "true" on an answer replayed to a retry
MAX_KEY = 200  # characters (``IdempotencyKey.key``); a UUID is 36
KEPT = timedelta(hours=24)
SWEEP_BATCH = 1000  # rows deleted per statement (``sweep``)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the first request with a key was answered: its status and its JSON body, as sent."""

    status: int
    body: str


def checked_key(raw: str | None) -> str | None:
    """The key a request's ``Idempotency-Key`` header gives; None without the header. Empty, or
    longer than ``MAX_KEY``: 422 naming the header."""
    if raw is None:
        return None
    if not raw:
        raise InvalidInput(
            f"{HEADER}: give a key of 1 to {MAX_KEY} characters (a UUID is a good one), "
            "or leave the header out.",
            field=HEADER,
        )
    if len(raw) > MAX_KEY:
        raise InvalidInput(f"{HEADER}: {at_most_characters(MAX_KEY, raw)}", field=HEADER)
    return raw


def request_hash(method: str, path: str, body: str) -> str:
    """What makes two requests the same one: the method, the path and the body."""
    return hashlib.sha256(f"{method.upper()} {path}\n{body}".encode()).hexdigest()


def _answer_of(row: IdempotencyKey, asked: str) -> Answer:
    if row.request_hash != asked:
        raise IdempotencyKeyReused(
            f"This {HEADER} was used for a different request (another operation or body). "
            "A retry repeats the request exactly; send a new key for a new request.",
            field=HEADER,
        )
    assert row.status is not None and row.body is not None  # answered in the transaction that wrote it
    return Answer(status=row.status, body=row.body)


def claim(
    session: Session,
    *,
    portal_id: uuid.UUID,
    caller_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    body: str,
) -> Answer | IdempotencyKey:
    """Take ``key`` for this request, before its work: the earlier ``Answer`` when the key
    was used already for the same request (the caller replays it and does nothing), else the
    key's new row, to ``record`` the answer on (or ``release`` it). 422 ``idempotency_key_reused``
    when the key was used for another request. One read when the key is known; when it is new,
    that read and the row's insert (which, on PostgreSQL, waits for a request holding the same
    key to end, then finds its answer)."""
    asked = request_hash(method, path, body)
    now = context.of(session).clock.now()
    mine = select(IdempotencyKey).where(
        IdempotencyKey.portal_id == portal_id,
        IdempotencyKey.caller_id == caller_id,
        IdempotencyKey.key == key,
    )
    earlier = session.scalar(mine)
    if earlier is not None and earlier.created_at > now - KEPT:
        return _answer_of(earlier, asked)
    if earlier is not None:  # older than it is kept, not swept yet: a new request
        gone = delete(IdempotencyKey).where(IdempotencyKey.id == earlier.id)
        session.execute(gone.execution_options(synchronize_session=False))
        session.expunge(earlier)
    row = IdempotencyKey(
        id=new_id(),
        portal_id=portal_id,
        caller_id=caller_id,
        key=key,
        request_hash=asked,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # The same key in a request that committed first (a double click): its answer is ours.
        earlier = session.scalar(mine.execution_options(populate_existing=True))
        if earlier is None:
            raise
        return _answer_of(earlier, asked)
    return row


def record(session: Session, row: IdempotencyKey, *, status: int, body: str) -> None:
    """The answer of the request that claimed ``row``, kept for its retries."""
    row.status = status
    row.body = body
    session.flush()


def release(session: Session, row: IdempotencyKey) -> None:
    """Give up a claimed key: the request was refused, and the refusal keeps work
    (``DomainError.keeps_work``) that is not its answer; a retry runs again."""
    session.delete(row)
    session.flush()


def sweep(session: Session, *, limit: int = SWEEP_BATCH) -> int:
    """Delete up to ``limit`` keys older than ``KEPT`` (the worker's sweep); how many."""
    cutoff = context.of(session).clock.now() - KEPT
    old = select(IdempotencyKey.id).where(IdempotencyKey.created_at <= cutoff).limit(limit)
    ids = list(session.scalars(old))
    if not ids:
        return 0
    return rowcount(session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(ids))))
