"""What a unit of work runs with: the settings, the clock and the rate limiter.

The faces (the app, the CLI) and the worker build one ``Context`` and give it to their
``Database``; every session that database opens carries it in ``session.info``, and services
read it with ``context.of(session)``. Nothing below the faces reads settings, the time or rate
limits from module globals, so two apps (or a test and a benchmark) can run side by side with
different settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from admit.db import CONTEXT_KEY
from admit.kit.clock import SYSTEM, Clock
from admit.kit.ratelimit import Limiter
from admit.settings import Settings

__all__ = ["Context", "of"]


@dataclass(frozen=True, slots=True)
class Context:
    settings: Settings
    clock: Clock = field(default=SYSTEM)
    limiter: Limiter = field(default_factory=lambda: Limiter(enabled=False))

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock = SYSTEM) -> Context:
        """The context a process runs with: rate limits in Redis when configured."""
        return cls(
            settings=settings,
            clock=clock,
            limiter=Limiter(
                redis_url=settings.redis_url,
                enabled=settings.rate_limits_enabled,
                key_prefix=settings.redis_key_prefix,
            ),
        )


def of(session: Session) -> Context:
    """The context of the unit of work ``session`` belongs to."""
    try:
        context: Context = session.info[CONTEXT_KEY]
    except KeyError:
        raise RuntimeError("this session was not opened by a Database with a context") from None
    return context
