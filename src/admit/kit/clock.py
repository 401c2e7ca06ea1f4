"""The clock. Services read theirs from the request's context (``admit.context``); tests move it
with ``travel`` instead of sleeping.

``SYSTEM`` is the process's clock: the one every context uses unless given another, and the one
column defaults (``created_at``) read when a row is written without a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta

__all__ = ["SYSTEM", "Clock", "now", "travel"]


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
