"""The clock. Services read theirs from the request's context (``admit.context``); tests move it
with ``travel`` instead of sleeping.

``SYSTEM`` is the process's clock: the one every context uses unless given another, and the one
column defaults (``created_at``) read when a row is written without a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["SYSTEM", "Clock", "day_bounds", "now", "travel", "zone"]


class Clock:
    """Wall-clock time in UTC, shifted by an offset that ``travel`` moves (tests only)."""

    __slots__ = ("_offset",)

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    @contextmanager
    def travel(self, delta: timedelta) -> Iterator[None]:
        """Move the clock forward by ``delta`` for the duration of the block."""
        previous = self._offset
        self._offset = previous + delta
        try:
            yield
        finally:
            self._offset = previous


SYSTEM = Clock()


def now() -> datetime:
    """The system clock's time (column defaults; services use their context's clock)."""
    return SYSTEM.now()


def travel(delta: timedelta) -> AbstractContextManager[None]:
    """Move the system clock (tests)."""
    return SYSTEM.travel(delta)


def zone(name: str | None) -> tzinfo:
    """The IANA time zone ``name`` (a portal's ``time_zone``): UTC when none, or unknown."""
    try:
        return ZoneInfo(name) if name and name != "UTC" else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def day_bounds(day: date, zone_name: str | None) -> tuple[datetime, datetime]:
    """When ``day`` starts and when the next one starts, in the time zone ``zone_name``, as UTC
    moments (a day there may last 23 or 25 hours: a change of clocks)."""
    tz = zone(zone_name)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)
