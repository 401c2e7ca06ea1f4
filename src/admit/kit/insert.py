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

from sqlalchemy import ColumnDefault, Insert, Table, event, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapper, Session, SessionTransaction, make_transient_to_detached

from admit.kit.written import written

__all__ = ["insert_later", "insert_now", "write_held"]

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


def _row(obj: Any) -> dict[str, Any]:
    """``obj``'s columns as its INSERT takes them, its defaults (``default=``) applied to it as
    the ORM applies them (a column the database fills in, ``server_default``, is left to it and
    read when first asked for)."""
    _statement, columns, related = _plan(cast("type", type(obj)))
    values: dict[str, Any] = obj.__dict__
    assert not related & values.keys(), f"{type(obj).__name__}: set the related rows' ids, not the rows"
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
    return row


def insert_now(session: Session, obj: T) -> T:
    """Write ``obj`` (new, not yet added; its foreign keys set as ids, not as related objects)
    with one INSERT of its columns, defaults applied as the ORM applies them (``_row``), and
    attach it to ``session`` as persistent. What the session has pending is flushed first (the
    rows ``obj`` refers to may be among it), as a flush of ``obj`` would have. Rows of its class
    held by ``insert_later`` go in the same statement."""
    row = _row(obj)
    session.flush()
    # Inside a savepoint the held rows stay held: its rollback would drop them with it.
    held = [] if session.in_nested_transaction() else _held(session).pop(type(obj), [])
    _write(session, type(obj), [*held, (obj, row)])
    return obj


def insert_later(session: Session, obj: T) -> T:
    """Hold ``obj`` (as ``insert_now`` takes it; its defaults applied now) to be written in the
    same statement as the next ``insert_now`` of its class in this transaction (a round trip
    fewer), or else just before the transaction commits (``write_held``). Until then it is not
    in the session, and its table does not have it: whoever reads that table in the same
    transaction calls ``write_held`` first. For rows nothing in the transaction refers to (an
    audit event); the transaction's rollback drops them with the rest, and so does the session's
    close. None may be held inside a savepoint, whose rollback would not drop them: refused."""
    if session.in_nested_transaction():
        raise RuntimeError("insert_later inside a savepoint: its rollback would not drop the row")
    if not session.in_transaction():
        session.begin()  # the session's own (no statement): its rollback is heard, and drops them
    _held(session).setdefault(type(obj), []).append((obj, _row(obj)))
    return obj


def write_held(session: Session) -> None:
    """Write what ``insert_later`` holds in ``session``: one statement a class. Done before every
    commit."""
    held = session.info.pop(_HELD, None)
    if not held:
        return
    session.flush()
    for cls, rows in held.items():
        _write(session, cls, rows)


_HELD = "admit.kit.insert.held"  # a session's info: {class: [(object, row), …]} held by insert_later
_Held = dict[type, list[tuple[Any, dict[str, Any]]]]


def _held(session: Session) -> _Held:
    held: _Held = session.info.setdefault(_HELD, {})
    return held


def _write(session: Session, cls: type, rows: list[tuple[Any, dict[str, Any]]]) -> None:
    """One INSERT of ``rows`` (several: the driver's executemany, one round trip), their objects
    then attached to ``session`` as loaded."""
    statement = _plan(cls)[0]
    session.connection().execute(statement, rows[0][1] if len(rows) == 1 else [row for _obj, row in rows])
    written(session, cast("Table", statement.table))  # no session event sees a Core INSERT
    for obj, _row_written in rows:
        make_transient_to_detached(obj)  # every attribute as loaded, no history
        session.add(obj)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_HELD):
        write_held(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:  # the transaction's rollback (begun on the database or not) drops them
        session.info.pop(_HELD, None)


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: SessionTransaction) -> None:
    # The session's own transaction ended without them written (``close`` rolls back without
    # ``after_soft_rollback``): they must not wait for the next one's commit.
    if transaction.parent is None and session.info.get(_HELD):
        session.info.pop(_HELD, None)
