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
import math
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from admit.errors import Busy, RateLimited
from admit.kit.loaded import errors_of
from admit.kit.text import wait_in_words

log = logging.getLogger("admit.ratelimit")

__all__ = ["Limiter", "in_words", "tries_left"]

_T = TypeVar("_T")

DEFAULT_MESSAGE = "Too many attempts. Try again in {wait}."


def in_words(limit: str) -> tuple[int, str]:
    """A limit as people say it: how many, and in how long ("5/15minutes": 5, "15 minutes")."""
    item = parse(limit)
    return item.amount, wait_in_words(item.get_expiry())


def tries_left(left: int, limit: str) -> str:
    """What a refusal of a wrong code adds, ``left`` tries being left under ``limit`` (counted
    by ``Limiter``): "2 tries left before a pause of 15 minutes.", or, none left, "That was the
    last try: codes are paused for 15 minutes." (sign-in codes and two-step verification's)."""
    _tries, pause = in_words(limit)
    if left > 0:
        return f"{left} {'try' if left == 1 else 'tries'} left before a pause of {pause}."
    return f"That was the last try: codes are paused for {pause}."


def _store_errors() -> tuple[type[BaseException], ...]:
    """What a store that cannot count raises: the library's error, and Redis's own once Redis's
    client is loaded (``kit.loaded``: a process without ``ADMIT_REDIS_URL`` never loads it)."""
    return (StorageError, *errors_of("redis.exceptions", "RedisError"))


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

    @property
    def shared(self) -> bool:
        """Whether attempts are counted in a shared store (``ADMIT_REDIS_URL``) that can fail to
        answer: False when they are kept in memory or nothing is counted, and then there is
        nothing for ``unreachable`` to ask."""
        return self.enabled and not isinstance(self._limiter.storage, MemoryStorage)

    def unreachable(self) -> Exception | None:
        """What stopped the shared store from answering a PING within the one-second timeout
        (its client's exception: its type says what, its words say where); None when it answers
        or is not ``shared``. ``/readyz`` (the type only: it is unauthenticated) and ``admit
        check-config`` (the words) ask."""
        if not self.shared:
            return None
        try:
            self._limiter.storage.get_connection().ping()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - whatever stops a PING is the answer
            return exc
        return None

    def hit(self, key: str, limit: str, *, message: str = DEFAULT_MESSAGE, cost: int = 1) -> None:
        """Count ``cost`` attempts under ``key``; raise ``RateLimited`` (counting none) if they
        do not fit. ``message`` may say when to come back (``{wait}``: "40 seconds")."""
        if not self.enabled:
            return
        item = parse(limit)
        if not self._store(lambda: self._limiter.hit(item, key, cost=cost)):
            raise self._refusal(item, key, message)

    def forget(self, key: str, limit: str) -> None:
        """Clear what ``key`` has counted under ``limit``: a limit on failures, once the caller
        succeeds, gives its tries back (``auth.second_factor``)."""
        if not self.enabled:
            return
        item = parse(limit)

        def clear() -> bool:
            self._limiter.clear(item, key)
            return True

        self._store(clear)

    def remaining(self, key: str, limit: str) -> int | None:
        """How many more attempts ``key`` may make under ``limit`` now (a refusal can say how
        many tries are left); None when nothing is counted."""
        if not self.enabled:
            return None
        item = parse(limit)
        return self._store(lambda: int(self._limiter.get_window_stats(item, key).remaining))

    def _store(self, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except _store_errors() as exc:
            log.error("ratelimit.store_unreachable error=%s", exc)
            raise Busy(
                "This is paused for a moment (attempts cannot be counted right now). Try again shortly.",
                retry_after=10,
            ) from exc

    def _refusal(self, item: RateLimitItem, key: str, message: str) -> RateLimited:
        """The refusal, with when the oldest attempt counted leaves the window."""
        try:
            reset_at = self._limiter.get_window_stats(item, key).reset_time
            wait = max(1, math.ceil(reset_at - time.time()))
        except _store_errors():
            wait = item.get_expiry()
        return RateLimited(message.format(wait=wait_in_words(wait)), retry_after=wait)

    def reset(self) -> None:
        self._limiter.storage.reset()
