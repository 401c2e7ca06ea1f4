"""Where ``admit serve`` answers, kept in the database for the other processes of a development
machine (``admit invite`` in another terminal, ``admit worker``): their links then point at the
server that is running, not at the default port, when ADMIT_PUBLIC_URL is not set.

Production never reads it: there ADMIT_PUBLIC_URL is required (``Settings.problems``), and a
link is never built from anything a request or another process says.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import String, Text, create_engine, delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from admit.db import Base, UTCDateTime, normalize_url
from admit.kit import clock

__all__ = ["InstanceValue", "forget_public_url", "public_url", "record_public_url"]

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


def forget_public_url(session: Session, url: str) -> None:
    """``admit serve`` stopping: its address is no longer where anyone answers (unless another
    server has recorded its own since, which stays)."""
    session.execute(delete(InstanceValue).where(InstanceValue.name == PUBLIC_URL, InstanceValue.value == url))


LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def public_url(database_url: str) -> str | None:
    """Where the last ``admit serve`` on this database answers, if it is this machine's own
    loopback address (a development server; a production process that forgot its settings
    never takes an address from here); None before any did, or when the database cannot be
    read (the command then says what is wrong with it)."""
    try:
        engine = create_engine(normalize_url(database_url))
    except Exception:  # noqa: BLE001 - not a database URL: check-config says so
        return None
    try:
        with engine.connect() as conn:
            url = conn.scalar(select(InstanceValue.value).where(InstanceValue.name == PUBLIC_URL))
    except (DBAPIError, ImportError):  # no such table yet, no server, no driver
        return None
    finally:
        engine.dispose()
    return url if url and urlsplit(url).netloc.rsplit(":", 1)[0] in LOOPBACK else None
