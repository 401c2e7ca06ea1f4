"""Where ``admit serve`` answers, kept in the database for the other processes of a development
machine (``admit invite`` in another terminal, ``admit worker``): their links then point at the
server that is running, not at the default port, when ADMIT_PUBLIC_URL is not set.

Production never reads it: there ADMIT_PUBLIC_URL is required (``Settings.problems``), and a
link is never built from anything a request or another process says.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, create_engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from admit.db import Base, UTCDateTime, normalize_url
from admit.kit import clock

__all__ = ["InstanceValue", "public_url", "record_public_url"]

PUBLIC_URL = "served_public_url"


class InstanceValue(Base):
    """A value about this installation as a whole (not a portal's)."""

    __tablename__ = "instance_values"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


def record_public_url(session: Session, url: str) -> None:
    """``admit serve`` says where it answers (the last one started wins)."""
    session.merge(InstanceValue(name=PUBLIC_URL, value=url, updated_at=clock.now()))


def public_url(database_url: str) -> str | None:
    """Where the last ``admit serve`` on this database answers; None before any did (or before
    the database was made)."""
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as conn:
            return conn.scalar(select(InstanceValue.value).where(InstanceValue.name == PUBLIC_URL))
    except DBAPIError:  # no such table yet: nothing was served from this database
        return None
    finally:
        engine.dispose()
