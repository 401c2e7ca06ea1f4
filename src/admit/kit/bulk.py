"""Inserting many rows fast: COPY on PostgreSQL, the driver's executemany on SQLite.

Values go through each column type's own bind processor first (UUIDs, UTC timestamps, JSON),
so the rows read back exactly as if the ORM had written them. The rows are written on the
session's own connection, inside its transaction. Measured on this machine (PERFORMANCE-NOTES):
COPY 220k rows/s and stdlib sqlite3 executemany 286k rows/s, against 83k and 124k through
SQLAlchemy Core.
"""

from __future__ import annotations

from sqlalchemy import Table, Uuid
from sqlalchemy.orm import Session

from admit.db import UTCDateTime


def _uuid_hex(value):
    return None if value is None else value.hex


def _processor(column_type, dialect):
    """The column type's bind processor, made cheap where values repeat or are simple."""
    if isinstance(column_type, Uuid) and dialect.name == "sqlite":
        return _uuid_hex  # what SQLAlchemy stores for a UUID on SQLite
    process = column_type._cached_bind_processor(dialect)
    if process is None or not isinstance(column_type, UTCDateTime):
        return process
    # A batch shares a handful of timestamps (now, expires_at): convert each once.
    memo: dict = {}

    def memoized(value):
        try:
            return memo[value]
        except KeyError:
            memo[value] = result = process(value)
            return result

    return memoized


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``. No defaults are applied."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0].keys())
    pairs = [(name, _processor(table.c[name].type, dialect)) for name in columns]

    def values(row: dict) -> tuple:
        return tuple(p(row[c]) if p is not None else row[c] for c, p in pairs)

    raw = connection.connection.dbapi_connection
    names = ", ".join(f'"{c}"' for c in columns)
    if dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(values(row))
    else:
        marks = ", ".join("?" for _ in columns)
        cursor = raw.cursor()
        try:
            cursor.executemany(
                f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', [values(r) for r in rows]
            )
        finally:
            cursor.close()
