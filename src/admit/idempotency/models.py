from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from admit.db import Base, UTCDateTime, new_id


class IdempotencyKey(Base):
    """A request sent with an ``Idempotency-Key``, and what it was answered: written in the
    transaction of the request's work, so a key stands exactly when its work does.

    A key is its caller's own (``caller_id``: the API key, or the signed-in user, that sent it;
    not a foreign key, as it names either), in one portal. ``request_hash`` is the SHA-256 of the
    request (method, path, body): the same key with another request is refused. ``status`` and
    ``body`` are the answer, replayed to a retry; None only inside the first request's own
    transaction, between its claim of the key and its answer. Kept 24 hours
    (``service.KEPT``), then swept by the worker."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        Index("uq_idempotency_keys_caller_key", "portal_id", "caller_id", "key", unique=True),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    caller_id: Mapped[uuid.UUID] = mapped_column()
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
