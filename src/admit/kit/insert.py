"""One new ORM object written at once by a Core INSERT, then kept in the session as a loaded row.

The unit of work's ``session.add(obj); session.flush()`` costs ~580 Python calls for one row
(it works out what changed, in what order, and reads back what it wrote); the same row by a
built-once INSERT ~70, and attaching the object to the session after it ~80 more
(``bench/calls.py``: an accept writes four such rows). The object is then what a flush would
have left: persistent, in the identity map, every column loaded, and later changes to it are
flushed as usual. For the few rows every request of a hot path writes (an accept's user, its
member, its audit event, its browser session); the bulk paths have ``kit.bulk.insert_rows``.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnDefault, Insert, Table, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached

from admit.kit.written import written

__all__ = ["insert_now"]

T = TypeVar("T")

# The INSERT; (attribute key, column key, Python-side default or None) for each column of the
# class's table; the keys of its relationships.
_Plan = tuple[Insert, tuple[tuple[str, str, ColumnDefault | None], ...], frozenset[str]]


@cache
def _plan(cls: type) -> _Plan:
    mapper: Mapper[Any] = sa_inspect(cls)
    table = cast("Table", mapper.local_table)
    columns = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.table is not table:
            continue
        if column.server_default is not None or column.computed is not None:
            continue  # the database's to fill in: left unloaded, read when asked for (as a flush does)
        default = column.default if isinstance(column.default, ColumnDefault) else None
        columns.append((prop.key, column.key, default))
    return insert(table), tuple(columns), frozenset(mapper.relationships.keys())


def insert_now(session: Session, obj: T) -> T:
    """Write ``obj`` (new, not yet added; its foreign keys set as ids, not as related objects)
    with one INSERT of its columns, defaults (``default=``) applied as the ORM applies them (a
    column the database fills in, ``server_default``, is left to it and read when first asked
    for), and attach it to ``session`` as persistent. What the session has pending is flushed
    first (the rows ``obj`` refers to may be among it), as a flush of ``obj`` would have."""
    statement, columns, related = _plan(cast("type", type(obj)))
    values: dict[str, Any] = obj.__dict__
    assert not related & values.keys(), f"{type(obj).__name__}: set the related rows' ids, not the rows"
    session.flush()
    row: dict[str, Any] = {}
    for key, column_key, default in columns:
        if key in values:
            row[column_key] = values[key]
            continue
        if default is None:
            value = None
        elif default.is_callable:
            value = default.arg(None)  # SQLAlchemy wraps it to take a context
        else:
            value = default.arg
        setattr(obj, key, value)
        row[column_key] = value
    session.connection().execute(statement, row)
    written(session, cast("Table", statement.table))  # no session event sees a Core INSERT
    make_transient_to_detached(obj)  # every attribute as loaded, no history
    session.add(obj)
    return obj
