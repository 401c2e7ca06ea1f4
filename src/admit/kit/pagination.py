"""Keyset pagination over (created_at, id), with an opaque cursor: for one query (``page``) or
for rows merged from several (``union_page_statement``: a read model across tables)."""

from __future__ import annotations

import base64
import json
import operator
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from sqlalchemy import (
    JSON,
    BindParameter,
    ColumnElement,
    DateTime,
    Row,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.types import TypeDecorator

from admit.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped, Session
    from sqlalchemy.sql.base import ReadOnlyColumnCollection

MAX_LIMIT = 500


class Keyed(Protocol):
    """A model pages walk: mapped ``created_at`` and ``id`` (ClassVar: the model's attributes,
    columns on the class and values on its rows)."""

    id: ClassVar[Mapped[uuid.UUID]]
    created_at: ClassVar[Mapped[datetime]]


M = TypeVar("M", bound=Keyed)
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Fetch(Protocol[T_co]):
    """One page of a list: ``(rows, next_cursor)``."""

    def __call__(self, *, cursor: str | None, limit: int) -> tuple[Sequence[T_co], str | None]: ...


class _OtherList(ValueError):
    """A cursor made by another list (or another sort of this one)."""


ANOTHER_LIST = (
    "This cursor belongs to another list (or another sort of this one): use the next_cursor this list gave."
)


def encode_cursor(listing: str, value: datetime | str, row_id: uuid.UUID) -> str:
    """A cursor to the rows after ``(value, row_id)`` of the list named ``listing`` (its model's
    name and order for ``page``, its ``Order``'s for merged rows): another list refuses it."""
    written = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([listing, written, str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(listing: str, cursor: str, *, kind: str = "time") -> tuple[Any, uuid.UUID]:
    """``(value, row_id)`` of a cursor of the list ``listing``; 422 naming ``cursor`` for one
    that is not valid, or that another list made."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        made_by, written, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if made_by != listing:
            raise _OtherList
        value: Any = str(written)
        if kind == "time":
            value = datetime.fromisoformat(written)
            if value.tzinfo is None:
                raise ValueError("cursor time without a time zone")
        return value, uuid.UUID(row_id)
    except _OtherList as exc:
        raise InvalidInput(ANOTHER_LIST, field="cursor") from exc
    except (ValueError, TypeError) as exc:
        raise InvalidInput("The cursor is not valid.", field="cursor") from exc


def page(
    session: Session,
    query: Select[M],
    model: type[M],
    *,
    cursor: str | None,
    limit: int,
    oldest_first: bool = False,
) -> tuple[list[M], str | None]:
    """Return (rows, next_cursor), newest first (or oldest first: a flow's steps, the order
    people were added in)."""
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    listing = f"{model.__name__}:{'oldest' if oldest_first else 'newest'}"  # its rows and their order
    if oldest_first:
        query = query.order_by(model.created_at.asc(), model.id.asc())
    else:
        query = query.order_by(model.created_at.desc(), model.id.desc())
    if cursor:
        created_at, row_id = decode_cursor(listing, cursor)
        later, after = (model.created_at > created_at, model.id > row_id)
        earlier, before = (model.created_at < created_at, model.id < row_id)
        query = query.where(
            or_(later, and_(model.created_at == created_at, after))
            if oldest_first
            else or_(earlier, and_(model.created_at == created_at, before))
        )
    rows = list(session.scalars(query.limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(listing, last.created_at, last.id)
    return rows, next_cursor


@dataclass(frozen=True, slots=True)
class Order:
    """How rows merged from several SELECTs are ordered: by a key made of the columns labelled
    ``keys`` (the first that is set), then ``id``, descending or not. Each SELECT labels the
    key its own way (a text key already folded to lower case), so that its own index serves it.
    ``name`` travels in the cursor, so a cursor made under another order is refused rather than
    misread; ``kind`` is the key's type (``time`` or ``text``)."""

    name: str = "-created_at"
    keys: tuple[str, ...] = ("created_at",)
    descending: bool = True
    kind: str = "time"

    def key(self, columns: Any) -> ColumnElement[Any]:
        """The key over a SELECT's labelled ``columns``, never NULL when its last column is set."""
        parts = [columns[k] for k in self.keys]
        return func.coalesce(*parts) if len(parts) > 1 else parts[0]


NEWEST = Order()


def _encode(order: Order, value: Any, row_id: uuid.UUID) -> str:
    return encode_cursor(order.name, value if order.kind == "time" else str(value), row_id)


def _decode(order: Order, cursor: str) -> tuple[Any, uuid.UUID]:
    return decode_cursor(order.name, cursor, kind=order.kind)


def _keyset(
    query: Select[*tuple[Any, ...]],
    key: ColumnElement[Any],
    row_id: ColumnElement[Any],
    cursor: str | None,
    order: Order,
) -> Select[*tuple[Any, ...]]:
    if cursor:
        at, last_id = _decode(order, cursor)
        if order.descending:
            query = query.where(or_(key < at, and_(key == at, row_id < last_id)))
        else:
            query = query.where(or_(key > at, and_(key == at, row_id > last_id)))
    return query


def _ordered(key: ColumnElement[Any], row_id: ColumnElement[Any], order: Order) -> tuple[Any, Any]:
    return (key.desc(), row_id.desc()) if order.descending else (key.asc(), row_id.asc())


@dataclass(slots=True)
class UnionPage:
    """A page of ``union_page_statement``: its rows, the cursor to the next page, and (``counted``)
    how many rows the SELECTs match in all."""

    rows: list[Row[*tuple[Any, ...]]]
    next_cursor: str | None
    total: int | None = None


def union_page_statement(
    selects: Sequence[Select[*tuple[Any, ...]]],
    *,
    cursor: str | None,
    limit: int,
    order: Order = NEWEST,
    counted: bool = False,
    few: Sequence[bool] = (),
) -> Select[*tuple[Any, ...]]:
    """The statement of one page of rows from several SELECTs that each label ``id`` and the
    columns the order needs (newest ``created_at`` first unless told; they share their other
    columns), each row with its ``sort_key`` too.

    Each SELECT is cut to the page first (its own keyset and limit, so each can use its
    index), then the pieces are merged: a page costs ``limit`` rows per SELECT, however many
    rows match.

    ``counted`` (a first page): the total comes from the same statement, each SELECT counting
    its matches before its cut (a window). Only for SELECTs the database reads every match of
    anyway (a search, a filter on another table), where a count of its own would read them all
    a second time; a SELECT that walks an index in order and stops would read them all for it.

    Each SELECT is cut as it is (its keyset, order and limit added to it, not around it), so it
    must be a plain SELECT of distinct, plain labels: no ORDER BY, LIMIT, DISTINCT or GROUP BY of
    its own (the roster's are such).

    ``few`` (per SELECT, when its count is known and small: ``FEW``): read its matches first,
    then order them, whatever the planner guesses. Given a filter it cannot tell is rare (a
    search for "m4242"), a planner may walk the order's index for a page of matches that are not
    there, reading every row (PostgreSQL: the page's statement took 174 ms for 31 matches among
    200,000; ~20 ms this way, most of it joining the members found to their users).

    The statement is built apart from being read (``read_union_page``, with values for the
    SELECTs' named parameters: ``parameter``), so that it can be kept and asked again with other
    values: building it is most of a page's Python. It reads one row more than ``limit``: whether
    a page follows."""
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    if counted and cursor:
        raise ValueError("counted is for a first page: a later one counts only what follows it")
    pieces: list[Select[*tuple[Any, ...]]] = []
    shown: list[ColumnElement[Any]] = []
    for branch, query in enumerate(selects):
        if branch < len(few) and few[branch]:
            # OFFSET 0: a subquery no database merges into the query around it (planned alone).
            alias = f"few_{branch}"
            columns: Any = {
                name: literal_column(f"{alias}.{name}", column.type).label(name)
                for name, column in query.selected_columns.items()
            }
            query = select(*columns.values()).select_from(query.offset(0).subquery(alias))
        else:  # the SELECT itself, cut: nothing to wrap (each wrapping costs Python, per column)
            columns = query.selected_columns
        key = order.key(columns)
        added: list[ColumnElement[Any]] = [key.label("sort_key")]
        if counted:
            added += [literal(branch).label("branch"), func.count().over().label("branch_total")]
        keyed = _keyset(query.add_columns(*added), key, columns["id"], cursor, order)
        piece = keyed.order_by(*_ordered(key, columns["id"], order)).limit(limit + 1)
        if not shown:  # the merged rows' columns, named and typed as the first SELECT has them
            shown = [literal_column(name, column.type) for name, column in piece.selected_columns.items()]
        # Each piece read from a subquery: a compound SELECT's parts take no ORDER BY of their own.
        pieces.append(select(literal_column("*")).select_from(piece.subquery()))
    merged = (union_all(*pieces) if len(pieces) > 1 else pieces[0]).subquery("merged")
    merged_columns = [*shown]
    named = {column.name: column for column in shown}
    if counted:  # each SELECT's count, read off its rows (a SELECT with none adds nothing)
        each = [
            func.coalesce(func.max(case((named["branch"] == branch, named["branch_total"]))).over(), 0)
            for branch in range(len(pieces))
        ]
        merged_columns.append(reduce(operator.add, each).label("total"))
    return (
        select(*merged_columns)
        .select_from(merged)
        .order_by(*_ordered(named["sort_key"], named["id"], order))
        .limit(limit + 1)
    )


def read_union_page(
    session: Session,
    statement: Select[*tuple[Any, ...]],
    *,
    limit: int,
    order: Order,
    counted: bool,
    params: dict[str, Any] | None = None,
) -> UnionPage:
    """The page a ``union_page_statement`` reads, with ``params`` for its named parameters."""
    rows = list(session.execute(statement, params or {}))
    # Counted, a first page with no row is a count of none: each SELECT with a match gives one.
    total = (int(rows[0].total) if rows else 0) if counted else None
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(order, last.sort_key, last.id)
    return UnionPage(rows, next_cursor, total)


def ordered_page(
    session: Session,
    model: type[T],
    query: Select[*tuple[Any, ...]],
    *,
    cursor: str | None,
    limit: int,
    order: Order,
) -> tuple[list[T], str | None]:
    """One page of ``model`` rows in an ``order`` other than ``created_at``'s (``page``'s):
    ``query`` selects their ``id`` and the order's keys, labelled; the rows are then read by id
    (one query), in the page's order. ``(rows, next_cursor)``."""
    statement = union_page_statement([query], cursor=cursor, limit=limit, order=order)
    found = read_union_page(session, statement, limit=limit, order=order, counted=False)
    ids = [row.id for row in found.rows]
    if not ids:
        return [], found.next_cursor
    id_column: Any = model.id  # type: ignore[attr-defined]
    by_id = {row.id: row for row in session.scalars(select(model).where(id_column.in_(ids)))}  # type: ignore[attr-defined]
    return [by_id[i] for i in ids], found.next_cursor


# A SELECT of at most this many matches is read whole and then ordered (``union_page_statement``'s
# ``few``): a few milliseconds at most, where a walk of its order's index may read every row.
FEW = 1000


def stream_union(
    session: Session,
    selects: Sequence[Select[*tuple[Any, ...]]],
    *,
    order: Order = NEWEST,
    batch: int = 1000,
    columns: Sequence[str] | None = None,
    extra: Callable[[ReadOnlyColumnCollection[str, Any]], Sequence[ColumnElement[Any]]] | None = None,
    raw: bool = False,
    params: dict[str, Any] | None = None,
) -> Iterator[Sequence[Row[*tuple[Any, ...]]]]:
    """Every row of several SELECTs merged in ``order`` (as ``union_page_statement`` pages them), read
    by one query as it streams, ``batch`` rows at a time (an export: flat memory).

    ``columns``: only these of the merged columns, in this order; ``extra(merged_columns)``:
    more columns computed per merged row (a correlated subquery). ``raw``: values as the
    database driver gives them, with no conversion by their types, and JSON and timestamps as
    their text (an export that formats hundreds of thousands of rows itself: ``db.raw_iso``,
    ``raw_list`` and ``raw_uuid`` read them). ``params``: values for the SELECTs' named
    parameters."""
    pieces = []
    for query in selects:
        inner = query.subquery()
        pieces.append(select(*inner.c, order.key(inner.c).label("sort_key")))
    merged = (union_all(*pieces) if len(pieces) > 1 else pieces[0]).subquery()
    chosen: list[ColumnElement[Any]] = [merged.c[name] for name in columns] if columns else list(merged.c)
    chosen += extra(merged.c) if extra else []
    if raw:  # JSON and times come as text: the driver would convert every row's value
        chosen = [_as_text(c) if _textual(c) else type_coerce(c, NullType()).label(c.name) for c in chosen]
    ordered = select(*chosen).order_by(*_ordered(merged.c.sort_key, merged.c.id, order))
    result = session.execute(ordered.execution_options(yield_per=batch), params or {})
    yield from result.partitions()


def _textual(column: ColumnElement[Any]) -> bool:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    return isinstance(kind, JSON | DateTime)


def _as_text(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return cast(column, Text).label(column.name)


def seekable(*leading: tuple[Any, bool, Sequence[str]]) -> list[ColumnElement[bool]]:
    """Conditions that let a count seek in an index instead of reading all its entries.

    ``leading``: the index's columns after the portal, in order, each as (column, whether the
    filters bind it, every value it may hold). A filter on a later column (a role) can seek only
    when the columns before it are bound too, so each unbound one before the last bound one is
    bound to every value it may hold: the same rows, read as a few ranges (a role among 100,000
    members: 0.2 ms instead of 7). Every value: the columns hold only those (nothing writes
    others); a row with another would be listed and not counted."""
    before = max((i for i, (_column, bound, _every) in enumerate(leading) if bound), default=0)
    return [column.in_(every) for column, bound, every in leading[:before] if not bound]


def parameter(name: str) -> BindParameter[Any]:
    """A value a statement names rather than holds, given as it is asked (``params``): a
    statement kept and asked again for another portal or time."""
    return bindparam(name)


def any_each(
    session: Session, selects: Sequence[Select[*tuple[Any, ...]]], params: dict[str, Any] | None = None
) -> list[bool]:
    """Whether each SELECT matches any row, asked in one statement (each stops at its first)."""
    return [
        bool(held) for held in session.execute(select(*(q.exists() for q in selects)), params or {}).one()
    ]


def count_all(session: Session, selects: Sequence[Select[*tuple[Any, ...]]]) -> int:
    """How many rows the SELECTs match in all (no page)."""
    return sum(count_each(session, selects))


def count_each(
    session: Session, selects: Sequence[Select[*tuple[Any, ...]]], params: dict[str, Any] | None = None
) -> list[int]:
    """How many rows each SELECT matches (no page), asked in one statement."""
    if not selects:
        return []
    return read_counts(session, counts_statement(selects), params)


def counts_by(
    session: Session,
    selects: Sequence[Select[*tuple[Any, ...]]],
    keys: Sequence[str],
    params: dict[str, Any] | None = None,
    *,
    equals: tuple[str, Any] | None = None,
    looked_up: tuple[str, Select[Any, Any]] | None = None,
) -> dict[tuple[Any, ...], int]:
    """How many rows the SELECTs match in all (no page), by the values of their columns ``keys``
    (their labels), in one grouped statement: ``{("member", "active"): 40}``. ``equals``:
    ``(label, value)``, the key then ends with whether that column is ``value`` (None: never);
    ``looked_up``: ``(label, SELECT of two columns, one row a value of its first)``, the key then
    ends with the second column of the row whose first is that column's value (None: no row)."""
    if not selects:
        return {}
    merged = (union_all(*selects) if len(selects) > 1 else selects[0]).subquery()
    by: list[ColumnElement[Any]] = [merged.c[key] for key in keys]
    source: Any = merged
    if equals is not None:
        label, value = equals
        by.append(literal(False) if value is None else case((merged.c[label] == value, True), else_=False))
    if looked_up is not None:
        label, lookup = looked_up
        table = lookup.subquery()
        first, second = table.c
        source = merged.outerjoin(table, first == merged.c[label])
        by.append(second)
    # Grouped outside: a key with a parameter (``equals``) would be a new parameter in GROUP BY.
    keyed = select(*(column.label(f"k{i}") for i, column in enumerate(by))).select_from(source).subquery()
    counted = select(*keyed.c, func.count()).group_by(*keyed.c)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(counted, params or {})}


def counts_statement(selects: Sequence[Select[*tuple[Any, ...]]]) -> Select[*tuple[Any, ...]]:
    """``count_each``'s statement: one row, a count per SELECT."""
    return select(*(select(func.count()).select_from(q.subquery()).scalar_subquery() for q in selects))


def read_counts(
    session: Session, statement: Select[*tuple[Any, ...]], params: dict[str, Any] | None = None
) -> list[int]:
    return [int(n or 0) for n in session.execute(statement, params or {}).one()]


def every(fetch: Fetch[T], *, limit: int = MAX_LIMIT) -> list[T]:
    """Every row of a paged list: ``fetch(cursor=…, limit=…)`` returns ``(rows, next_cursor)``
    and is called until there is no next page (a face that shows a whole list, a select box)."""
    out: list[T] = []
    cursor: str | None = None
    while True:
        rows, cursor = fetch(cursor=cursor, limit=limit)
        out.extend(rows)
        if cursor is None:
            return out
