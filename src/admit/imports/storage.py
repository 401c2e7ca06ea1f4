"""An import's list, stored in 1 MB pieces as uploaded and read back as a stream (never whole)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Row, Select, insert, select
from sqlalchemy.orm import Session

from admit.db import Database
from admit.imports.models import InvitationImportChunk
from admit.imports.parsing import too_large

__all__ = ["CHUNK_BYTES", "read", "store", "stored_chunks"]

CHUNK_BYTES = 1024 * 1024

T = TypeVar("T")


def read(source: Session | Database, fetch: Callable[[Session], T]) -> T:
    """Run ``fetch(session)`` in the given session, or, given a ``Database``, in a short
    transaction of its own (long reads must not hold one open: on SQLite it holds the write lock)."""
    if isinstance(source, Database):
        with source.unit_of_work() as session:
            return fetch(session)
    return fetch(source)


def stored_chunks(source: Session | Database, import_id: uuid.UUID) -> Iterator[bytes]:
    """The stored list, chunk by chunk, a few chunks at a time (never whole).

    Given a ``Database`` each fetch is its own short transaction, so a long import never holds
    a read transaction (on SQLite, any transaction holds the write lock) while it writes.
    """
    seq = 0
    while True:
        query = (
            select(InvitationImportChunk.seq, InvitationImportChunk.data)
            .where(InvitationImportChunk.import_id == import_id, InvitationImportChunk.seq >= seq)
            .order_by(InvitationImportChunk.seq)
            .limit(8)
        )

        def fetch(session: Session, q: Select[int, bytes] = query) -> Sequence[Row[int, bytes]]:
            return session.execute(q).all()

        rows = read(source, fetch)
        if not rows:
            return
        for number, data in rows:
            yield data
            seq = number + 1


def store(session: Session, import_id: uuid.UUID, chunks: Iterable[bytes], max_bytes: int) -> tuple[int, str]:
    """Store the upload in 1 MB pieces while hashing it; refuse it once over ``max_bytes``.
    Returns ``(size, sha256)``."""
    digest = hashlib.sha256()
    size = 0
    seq = 0
    pending = b""

    def flush(data: bytes) -> None:
        nonlocal seq
        session.execute(insert(InvitationImportChunk), [{"import_id": import_id, "seq": seq, "data": data}])
        seq += 1

    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        digest.update(chunk)
        pending += chunk
        while len(pending) >= CHUNK_BYTES:
            flush(pending[:CHUNK_BYTES])
            pending = pending[CHUNK_BYTES:]
    if pending:
        flush(pending)
    return size, digest.hexdigest()
