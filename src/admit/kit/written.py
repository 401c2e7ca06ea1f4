"""Who hears of rows written past the session's events.

A session's events (its flushes, ``session.execute``) show what a unit of work writes through
the ORM. ``kit.bulk.insert_rows`` (COPY, the driver's executemany) and ``kit.insert.insert_now``
(a Core INSERT on the session's connection) write past them, so each tells here which table it
wrote, after writing, and the hooks that the layers above register hear of it: kit imports none
of them. (``jobs`` registers ``db.rows_written``: rows put in a queue wake the web process's
worker, whoever wrote them.)
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Table
from sqlalchemy.orm import Session

__all__ = ["on_written", "written"]

Hook = Callable[[Session, Table], None]

_hooks: list[Hook] = []


def on_written(hook: Hook) -> None:
    """Call ``hook(session, table)`` after each write into ``table`` past ``session``'s events
    (once, however often it is registered)."""
    if hook not in _hooks:
        _hooks.append(hook)


def written(session: Session, table: Table) -> None:
    """Rows went into ``table`` in ``session``'s transaction where its events do not look."""
    for hook in _hooks:
        hook(session, table)
