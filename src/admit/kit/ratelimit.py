"""Rate limits on top of the ``limits`` library: in memory, or in Redis when configured.

Keys are strings such as ``login:1.2.3.4``; limits use the library's notation (``10/minute``).
One ``Limiter`` per process (the app, the worker, the CLI) travels in the request's context
(``admit.context``); with ``ADMIT_REDIS_URL`` every process shares the counts.

The limits guard signing in, secret links and sign-ups. When the shared store cannot be
reached they fail closed: the attempt is refused with 503 ``busy`` and ``Retry-After``, never
let through uncounted and never left hanging (Redis is given one second).
"""

from __future__ import annotations

import logging

from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from admit.errors import Busy, RateLimited

log = logging.getLogger("admit.ratelimit")

__all__ = ["Limiter"]

DEFAULT_MESSAGE = "Too many attempts. Wait a little and try again."


class Limiter:
    """Counts attempts per key in a moving window; ``enabled=False`` counts nothing."""

    def __init__(
        self, *, redis_url: str | None = None, enabled: bool = True, key_prefix: str = "admit"
    ) -> None:
        storage = (
            storage_from_string(
                redis_url,
                key_prefix=key_prefix,  # deployments sharing one Redis keep their counts apart
                wrap_exceptions=True,
                socket_connect_timeout=1,
                socket_timeout=1,
            )
            if redis_url
            else MemoryStorage()
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self.enabled = enabled

    def hit(self, key: str, limit: str, *, message: str = DEFAULT_MESSAGE, cost: int = 1) -> None:
        """Count ``cost`` attempts under ``key``; raise ``RateLimited`` (counting none) if they
        do not fit."""
        if not self.enabled:
            return
        item = parse(limit)
        try:
            allowed = self._limiter.hit(item, key, cost=cost)
        except (StorageError, RedisError) as exc:
            log.error("ratelimit.store_unreachable key=%s error=%s", key.split(":")[0], exc)
            raise Busy(
                "This is paused for a moment (attempts cannot be counted right now). Try again shortly.",
                retry_after=10,
            ) from exc
        if not allowed:
            raise RateLimited(message, retry_after=item.get_expiry())

    def reset(self) -> None:
        self._limiter.storage.reset()
