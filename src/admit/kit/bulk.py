"""Inserting many rows fast: COPY on PostgreSQL, the driver's executemany on SQLite.

Values go through each column type's own bind processor first (UUIDs, UTC timestamps, JSON),
so the rows read back exactly as if the ORM had written them. The rows are written on the
session's own connection, inside its transaction. Measured on this machine (PERFORMANCE-NOTES):
COPY 220k rows/s and stdlib sqlite3 executemany 286k rows/s, against 83k and 124k through
SQLAlchemy Core.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Collection, Iterable
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnDefault, ColumnElement, Table, Uuid
from sqlalchemy.orm import QueryableAttribute, Session

from admit.kit.search import SEARCHED_TABLES
from admit.kit.written import written as told

if TYPE_CHECKING:
    import psycopg
    from sqlalchemy.engine import Dialect
    from sqlalchemy.types import TypeEngine

__all__ = ["insert_rows", "new_ids", "new_tokens"]


# From this many rows, a table with a search index is written through a temporary copy (below).
STAGED_FROM = 20

_VERSION_4_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_VERSION_4_BITS = (0x4000 << 64) | (0x8000 << 48)


def new_ids(n: int, *, listed_in_order: bool = False) -> list[uuid.UUID]:
    """``n`` random (version 4, RFC 4122 variant) UUIDs from one read of the random source.

    ``listed_in_order``: for rows written together (one ``created_at``), the ids fall as the rows
    are given, so that a list newest first (``created_at``, then ``id``, descending) shows them in
    the order they were pasted or read, and oldest first in reverse.

    ``uuid.UUID(...)`` validates its arguments on every call, which was 13% of a bulk import;
    the values here are made right by construction, so the objects are filled in directly.
    """
    raw = os.urandom(16 * n)
    make = uuid.UUID.__new__
    fill = object.__setattr__
    out = []
    for i in range(0, 16 * n, 16):
        value = (int.from_bytes(raw[i : i + 16], "big") & _VERSION_4_MASK) | _VERSION_4_BITS
        u = make(uuid.UUID)
        fill(u, "int", value)
        fill(u, "is_safe", uuid.SafeUUID.unknown)
        out.append(u)
    if listed_in_order:
        out.sort(reverse=True)
    return out


def new_tokens(n: int) -> list[str]:
    """``n`` secret tokens like ``kit.tokens.new_token`` (256 bits each), from one read."""
    raw = os.urandom(32 * n)
    encode = base64.urlsafe_b64encode
    return [encode(raw[i : i + 32]).rstrip(b"=").decode("ascii") for i in range(0, 32 * n, 32)]


def _uuid_hex(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def _processor(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's bind processor, made cheap for the values bulk rows repeat."""
    if isinstance(column_type, Uuid) and dialect.name == "sqlite":
        process: Callable[[Any], Any] | None = _uuid_hex  # what SQLAlchemy stores for a UUID on SQLite
    else:
        process = column_type._cached_bind_processor(dialect)
    if process is None:
        return None
    # Rows of one batch share many values (the portal id, the timestamps, the products list):
    # remember the last value converted and reuse its result when the same object comes again.
    last: list[Any] = [object(), None]

    def convert(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        result = process(value)
        last[0], last[1] = value, result
        return result

    return convert


def _pg_type_name(column_type: TypeEngine[Any], dialect: Dialect) -> str:
    """``VARCHAR(320)`` -> ``varchar``, ``TIMESTAMP WITHOUT TIME ZONE`` -> ``timestamp``."""
    name = column_type.compile(dialect=dialect).lower().split("(")[0].strip()
    return {"timestamp without time zone": "timestamp"}.get(name, name)


def _defaults(table: Table, given: Collection[str]) -> dict[str, Any]:
    """The Python-side defaults (``default=`` on the column) of the columns not ``given``, as the
    ORM would apply them: a scalar as is, a callable called once for the batch."""
    out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or not isinstance(default, ColumnDefault):
            continue
        if default.is_scalar:
            out[column.name] = default.arg
        elif default.is_callable:
            out[column.name] = default.arg(None)  # SQLAlchemy wraps it to take a context
    return out


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``. Columns the rows leave out get
    their column default (``default=``), as through the ORM; a column with neither is NULL.
    No session event sees these rows: ``kit.written`` tells who needs to know."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    defaults = _defaults(table, rows[0].keys())
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    columns = list(rows[0].keys())
    getter = itemgetter(*columns)
    conversions = [
        (index, process)
        for index, name in enumerate(columns)
        if (process := _processor(table.c[name].type, dialect)) is not None
    ]

    def values(row: dict[str, Any]) -> list[Any]:
        out = list(getter(row)) if len(columns) > 1 else [getter(row)]
        for index, process in conversions:
            out[index] = process(out[index])
        return out

    raw = connection.connection.dbapi_connection
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(table.c[c].name) for c in columns)
    table_name = quote(table.name)
    if dialect.name == "postgresql":
        # Binary COPY: psycopg's C dumpers do the formatting (text COPY formats in Python).
        types = [_pg_type_name(table.c[c].type, dialect) for c in columns]
        statement = f"COPY {table_name} ({names}) FROM STDIN (FORMAT BINARY)"
        pg = cast("psycopg.Connection[Any]", raw)
        with pg.cursor() as pg_cursor, pg_cursor.copy(statement) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(values(row))
    else:
        marks = ", ".join("?" for _ in columns)
        assert raw is not None  # a checked-out connection always has its DBAPI connection
        cursor = raw.cursor()
        try:
            written = [values(r) for r in rows]
            into = f"INSERT INTO {table_name} ({names})"
            if table.name in SEARCHED_TABLES and len(rows) >= STAGED_FROM:
                # A search index's trigger runs once per statement of executemany, and FTS5
                # writes its pending rows out at each one: 10,000 invitations took 0.77 s, 0.30 s
                # when they reach the table in one INSERT … SELECT from a temporary copy.
                # (Its columns have no type, so no value is converted twice.) The copy is kept
                # for the connection, one per set of columns, and emptied before and after use:
                # SQLite refuses to drop a table while another read on the connection is open.
                shape = hashlib.sha1(names.encode()).hexdigest()[:8]
                stage = f"temp.{quote(f'{table.name}_staged_{shape}')}"
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {stage} ({names})")  # temp: a temporary table
                cursor.execute(f"DELETE FROM {stage}")
                try:
                    cursor.executemany(f"INSERT INTO {stage} VALUES ({marks})", written)
                    cursor.execute(f"{into} SELECT {names} FROM {stage}")
                finally:
                    cursor.execute(f"DELETE FROM {stage}")
            else:
                cursor.executemany(f"{into} VALUES ({marks})", written)
        finally:
            cursor.close()
    told(session, table)


def one_of(session: Session, column: QueryableAttribute[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values``, written with one parameter whatever the number of values.

    - PostgreSQL: ``= ANY(:array)``: the driver spends real time on 5,000 placeholders, and the
      array's values are found by an index scan whatever the table's statistics say.
      (``IN (SELECT unnest(...))`` let the planner pick a nested loop over a sequential scan on
      a freshly filled table: 300 s for one import.)
    - SQLite: ``IN (SELECT value FROM json_each(:list))``, found by the column's index as
      ``IN (?, ?, …)`` is. Each count of values would be another statement, and the driver
      keeps its last 128 statements prepared, each the size of its placeholders: previewing a
      list of 1,000,000 rows held ~80 MB of them (bench/bulk.py --million).
    The values go through the column type's bind processor first (a UUID as its stored text).
    """
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    from sqlalchemy import String, bindparam, func, select

    process = column.type.bind_processor(dialect)
    listed = [process(v) for v in values] if process else list(values)
    each = func.json_each(bindparam(None, json.dumps(listed), type_=String)).table_valued("value")
    return column.in_(select(each.c.value))
