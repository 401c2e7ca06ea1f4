"""Rate limits on top of the ``limits`` library: in memory, or in Redis when configured.

Keys are strings such as ``login:1.2.3.4``; limits use the library's notation (``10/minute``).
"""

from __future__ import annotations

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from admit.errors import RateLimited

_limiter: MovingWindowRateLimiter | None = None
_enabled = True


def configure(*, redis_url: str | None, enabled: bool = True) -> None:
    global _limiter, _enabled
    storage = storage_from_string(redis_url) if redis_url else MemoryStorage()
    _limiter = MovingWindowRateLimiter(storage)
    _enabled = enabled


def hit(
    key: str, limit: str, *, message: str = "Too many attempts. Wait a little and try again.", cost: int = 1
) -> None:
    """Count ``cost`` attempts under ``key``; raise ``RateLimited`` (counting none) if they do not fit."""
    global _limiter
    if not _enabled:
        return
    if _limiter is None:
        _limiter = MovingWindowRateLimiter(MemoryStorage())
    item = parse(limit)
    if not _limiter.hit(item, key, cost=cost):
        raise RateLimited(message, retry_after=item.get_expiry())


def reset() -> None:
    if _limiter is not None:
        _limiter.storage.reset()
