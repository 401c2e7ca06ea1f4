from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock


class Token(Base):
    """One single-use secret: what it opens (``purpose`` + ``subject_id``), until when, and
    whether it was used or ended (revoked, superseded). Only the SHA-256 of the secret is kept.

    ``subject_id`` names a row of the domain that issued it (an invitation, a link sign-up, a
    user); it is not a foreign key, so one table serves every purpose.
    """

    __tablename__ = "tokens"
    __table_args__ = (Index("ix_tokens_subject", "subject_id", "purpose"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[uuid.UUID] = mapped_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))
