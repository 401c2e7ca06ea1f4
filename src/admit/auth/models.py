from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User

# A browser's User-Agent is kept to this many characters (real ones are under 300).
MAX_USER_AGENT = 400


class WebSession(Base):
    """A signed-in browser (or API client using the cookie). Only the token's hash is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(MAX_USER_AGENT))
    # When a request last came with it, to ``auth.service.SEEN_EVERY`` (not written each time).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When this session proved a second factor (an authenticator code or a recovery code).
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class TotpFactor(Base):
    """A person's authenticator app (TOTP, RFC 6238): its secret sealed (``kit.secretbox``),
    confirmed once a first code was right; ``last_step`` refuses a code used again."""

    __tablename__ = "totp_factors"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret_sealed: Mapped[str] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


# An API key's name (its column's length) and lifetime, at most.
MAX_KEY_NAME = 100
MAX_KEY_DAYS = 3650


class ApiKey(Base):
    """A portal-scoped key for integrators (``Authorization: Bearer``). Acts with ``role``."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_KEY_NAME))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="admin")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: until revoked
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to the minute

    created_by: Mapped[User | None] = relationship()


class LinkRequest(Base):
    """Someone asked for a sign-in or password-reset link by typing an address. The request
    writes this row whoever asked (an account's address or not), so it does the same work
    either way and its time tells nothing; the worker turns it into a link and a message, or
    into nothing (``auth.service.send_requested_links``), and deletes it."""

    __tablename__ = "link_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(32))
    # The address as typed, normalised when it is one (an email, an E.164 number).
    address: Mapped[str] = mapped_column(String(320))
    minutes: Mapped[int] = mapped_column()
    # Where the asker was going (a workspace from an email): the link leads back there.
    next_path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
