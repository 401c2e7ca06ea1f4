from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock


class BulkAction(StrEnum):
    RESEND = "resend"
    REVOKE = "revoke"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"


class BulkStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class BulkJob(Base):
    """One bulk action over a selection of the roster, done by the worker a batch at a time.

    ``targets`` are the roster row ids it covers (fixed when it is made: people who match the
    filter later are not touched); ``done`` says how many are processed, written in the same
    transaction as their changes, so a worker that dies is resumed by the next with nothing
    done twice. ``counts``: ``{"done": n, <error code>: n…}``; ``skips``: the first rows not done
    (``SKIPS_KEPT``), each ``{"id", "code", "why"}`` in the refusing service's words, so the page
    can name who was skipped and why.
    """

    __tablename__ = "bulk_jobs"
    __table_args__ = (Index("ix_bulk_jobs_status_created", "status", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(320))
    actor_role: Mapped[str] = mapped_column(String(16))
    # Where whoever started it acted from: each person's audit event says so, as one by one.
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=BulkStatus.QUEUED)
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    skips: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=list)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
