"""An optional driver's error class, named without importing the driver.

A module that catches a driver's errors (PostgreSQL's, Redis's) imported the driver to name
them, and so every process paid its import (psycopg ~0.1 s, redis ~0.1 s), those that never use
it too: a process on SQLite, one without Redis. Nothing can raise a class from a module that was
never loaded, so the ``except`` names it only once its module is loaded (an ``except``'s classes
are looked at when something is raised, not before)."""

from __future__ import annotations

import sys

__all__ = ["errors_of"]


def errors_of(module: str, name: str) -> tuple[type[BaseException], ...]:
    """``module``'s exception class ``name`` when ``module`` is loaded, else nothing (for an
    ``except (Mine, *errors_of("redis.exceptions", "RedisError"))``)."""
    loaded = sys.modules.get(module)
    return (getattr(loaded, name),) if loaded is not None else ()
