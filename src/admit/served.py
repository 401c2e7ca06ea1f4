"""Where each running ``admit serve`` answers, kept in the database for the other processes of a
development machine (``admit invite`` or ``admit links show`` in another terminal, ``admit
worker``): their links then point at a server that is running, not at the default port, when
ADMIT_PUBLIC_URL is not set.

Each serving process keeps its own row (``served:<host>:<pid>``), written as it starts and
removed as it stops; a row is taken only while that process lives on this machine (one killed
with SIGKILL leaves its row behind, and it is ignored, then cleared when the next server starts
here). When several servers run on one database, the one started first is chosen, and
``running`` lists them all so that a command can say which it took.

Production never reads it: there ADMIT_PUBLIC_URL is required (``Settings.problems``), and a
link is never built from anything a request or another process says.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import String, Text, create_engine, delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from admit.db import Base, UTCDateTime, normalize_url, sqlite_file
from admit.kit import clock

__all__ = ["InstanceValue", "Server", "forget_public_url", "public_url", "record_public_url", "running"]

# A serving process's row: ``served:<host>:<pid>`` (the name column holds 64 characters).
PREFIX = "served:"
# The one row of every server before each had its own: cleared by the next server to start.
OLD_NAME = "served_public_url"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


class InstanceValue(Base):
    """A value about this installation as a whole (not a portal's)."""

    __tablename__ = "instance_values"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


@dataclass(frozen=True, slots=True)
class Server:
    """A running ``admit serve``: where it answers, its process id, when it started."""

    url: str
    pid: int
    started_at: datetime


def _host() -> str:
    return socket.gethostname()[:40]


def _name(pid: int) -> str:
    return f"{PREFIX}{_host()}:{pid}"


def _pid_of(name: str) -> int | None:
    """The process id of a row written on this machine, else None."""
    host, _, pid = name.removeprefix(PREFIX).rpartition(":")
    return int(pid) if host == _host() and pid.isdigit() else None


def _alive(pid: int, recorded_at: datetime) -> bool:
    """Whether the server that wrote its row at ``recorded_at`` still runs as ``pid``: the
    process lives and, where the system says when it started (Linux), started before the row
    was written (a dead server's pid taken by a later process is not that server). Elsewhere
    than POSIX no process is asked (a signal 0 is not a question there): the row is taken."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    except OSError:
        return False
    started = _started_at(pid)
    return started is None or started <= recorded_at.replace(tzinfo=UTC) + timedelta(seconds=2)


def _started_at(pid: int) -> datetime | None:
    """When process ``pid`` started, from Linux's /proc (its start in clock ticks after the
    boot, and the boot's time); None where there is no /proc to ask."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            ticks = int(handle.read().rpartition(")")[2].split()[19])
        with open("/proc/stat", encoding="ascii") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)


def record_public_url(session: Session, url: str, *, pid: int | None = None) -> None:
    """``admit serve`` (process ``pid``, this one by default) says where it answers; the rows
    of this machine's servers that died without saying so are cleared."""
    pid = os.getpid() if pid is None else pid
    rows = session.execute(
        select(InstanceValue.name, InstanceValue.updated_at).where(InstanceValue.name.startswith(PREFIX))
    )
    dead = [n for n, at in rows if (p := _pid_of(n)) is not None and p != pid and not _alive(p, at)]
    session.execute(delete(InstanceValue).where(InstanceValue.name.in_([*dead, OLD_NAME])))
    session.merge(InstanceValue(name=_name(pid), value=url, updated_at=clock.now()))


def forget_public_url(session: Session, *, pid: int | None = None) -> None:
    """``admit serve`` (process ``pid``, this one by default) stopping: its address is no longer
    where it answers; the other servers' rows stay."""
    pid = os.getpid() if pid is None else pid
    session.execute(delete(InstanceValue).where(InstanceValue.name == _name(pid)))


def running(database_url: str) -> list[Server]:
    """The ``admit serve`` processes on this database that run on this machine and answer on
    its loopback address (a development server; a production process that forgot its settings
    never takes an address from here), the first started first; none when the database cannot
    be read (the command then says what is wrong with it), and a SQLite file that is not there
    is not made by asking."""
    try:
        path = sqlite_file(database_url)
        if path is not None and not path.exists():
            return []
        engine = create_engine(normalize_url(database_url))
    except Exception:  # noqa: BLE001 - not a database URL: check-config says so
        return []
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(InstanceValue.name, InstanceValue.value, InstanceValue.updated_at)
                .where(InstanceValue.name.startswith(PREFIX))
                .order_by(InstanceValue.updated_at, InstanceValue.name)
            ).all()
    except (DBAPIError, ImportError):  # no such table yet, no server, no driver
        return []
    finally:
        engine.dispose()
    found = []
    for name, url, started_at in rows:
        pid = _pid_of(name)
        if pid is not None and _alive(pid, started_at) and urlsplit(url).netloc.rsplit(":", 1)[0] in LOOPBACK:
            found.append(Server(url, pid, started_at))
    return found


def public_url(database_url: str) -> str | None:
    """Where the first started of the ``running`` servers answers; None when none runs."""
    servers = running(database_url)
    return servers[0].url if servers else None
