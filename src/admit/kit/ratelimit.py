"""Rate limits on top of the ``limits`` library: in memory, or in Redis when configured.

Keys are strings such as ``login:1.2.3.4``; limits use the library's notation (``10/minute``).
One ``Limiter`` per process (the app, the worker, the CLI) travels in the request's context
(``admit.context``); with ``ADMIT_REDIS_URL`` every process shares the counts.
"""

from __future__ import annotations

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from admit.errors import RateLimited

__all__ = ["Limiter"]

DEFAULT_MESSAGE = "Too many attempts. Wait a little and try again."


class Limiter:
    """Counts attempts per key in a moving window; ``enabled=False`` counts nothing."""

    def __init__(self, *, redis_url: str | None = None, enabled: bool = True) -> None:
        storage = storage_from_string(redis_url) if redis_url else MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)
        self.enabled = enabled

    def hit(self, key: str, limit: str, *, message: str = DEFAULT_MESSAGE, cost: int = 1) -> None:
        """Count ``cost`` attempts under ``key``; raise ``RateLimited`` (counting none) if they
        do not fit."""
        if not self.enabled:
            return
        item = parse(limit)
        if not self._limiter.hit(item, key, cost=cost):
            raise RateLimited(message, retry_after=item.get_expiry())

    def reset(self) -> None:
        self._limiter.storage.reset()
