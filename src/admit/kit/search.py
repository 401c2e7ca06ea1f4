"""Text search over columns with LIKE: what someone types, escaped, matched anywhere.

PostgreSQL answers ``LIKE '%…%'`` from its trigram indexes (``pg_trgm``, ``db.trigram_indexes``).
SQLite has no such index on a table; where a ``SearchIndex`` is given, it reads an FTS5 table
with the trigram tokenizer instead (made by migration b4c5d6e70032), for three characters or
more: the same matches, found without reading every row."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Text,
    bindparam,
    cast,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean, Integer

__all__ = [
    "SEARCHED_TABLES",
    "SEARCH_TABLES",
    "SearchIndex",
    "contains",
    "listing",
    "lists",
    "name_order",
    "reads_every_match",
    "searched",
]

# The trigram tokenizer finds substrings of three characters or more; shorter ones are scanned.
TRIGRAM = 3
# The names of the SearchIndex tables the models declare (migrations make them; the models'
# comparison with the database leaves them out: ``migrate.in_models``).
SEARCH_TABLES: set[str] = set()
# The tables those search indexes copy from (kept by triggers: ``kit.bulk.insert_rows`` writes
# many rows into them in one statement, see there).
SEARCHED_TABLES: set[str] = set()


# How much of a search box's text is searched for (more finds nothing more).
MAX_SEARCH = 200


def searched(q: str | None) -> str | None:
    """What a search box's ``q`` searches for: trimmed, its first ``MAX_SEARCH`` characters;
    None: nothing typed, no search (every row)."""
    return (q or "").strip()[:MAX_SEARCH] or None


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """Table ``source``'s SQLite search index: the FTS5 table ``name``, whose column ``text``
    holds the searched text columns (one line each) and ``phone``, when given, the column with a
    phone number's digits; and ``name + '_keys'``, which maps its rows to the table's ids
    (``keys.<key>``) by an INTEGER PRIMARY KEY, which VACUUM never renumbers."""

    name: str
    key: str
    source: str
    phone: str | None = None

    def __post_init__(self) -> None:
        SEARCH_TABLES.add(self.name)
        SEARCHED_TABLES.add(self.source)

    def ids(self, column_name: str, pattern: str) -> Select[Any]:
        """The ids of the rows whose ``column_name`` matches ``LIKE pattern`` (any case)."""
        fts = table(self.name, column("rowid"), column(column_name))
        keys = table(f"{self.name}_keys", column("id"), column(self.key))
        return select(keys.c[self.key]).where(
            keys.c.id.in_(select(fts.c.rowid).where(fts.c[column_name].like(pattern)))
        )


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def escape_like(text: str) -> str:
    """``text`` for a LIKE pattern escaped by backslash: its percent signs, underscores and
    backslashes matched as typed."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(
    q: str,
    *text_columns: QueryableAttribute[Any],
    phone_column: QueryableAttribute[Any] | None = None,
    index: SearchIndex | None = None,
    row_id: QueryableAttribute[Any] | None = None,
) -> ColumnElement[bool]:
    """A condition: ``q`` (case-insensitive) appears in one of ``text_columns``; with
    ``phone_column``, three or more digits of ``q`` appear in it too (a number typed any way).
    ``index`` and ``row_id`` (the table's id column): on SQLite, read the table's search index."""
    typed = (q or "").strip()
    q = typed.lower()
    if not q:
        return false()
    like = f"%{escape_like(q)}%"
    # PostgreSQL's lower() folds every letter: the query lowered finds any case.
    likes = dict.fromkeys((like,))
    # SQLite's lower() and LIKE (its search index's too) fold A–Z only: "Émile" is stored as
    # "Émile", which "émile" never matches there. The query is asked with each letter beyond A–Z
    # in either case ("émile", "Émile"), so a name is found typed in any case.
    sqlite_likes = dict.fromkeys(f"%{escape_like(each)}%" for each in _cases_beyond_ascii(typed))
    digits = "".join(c for c in q if c.isdigit())

    def scan(patterns: dict[str, None]) -> ColumnElement[bool]:
        matches = [func.lower(c).like(each, escape="\\") for each in patterns for c in text_columns]
        if phone_column is not None and len(digits) >= 3:
            matches.append(phone_column.like(f"%{digits}%"))
        return or_(*matches)

    if index is None or row_id is None or not _indexed(q):
        return _Either(scan(likes), scan(sqlite_likes))
    indexed: ColumnElement[bool] = or_(*(row_id.in_(index.ids("text", each)) for each in sqlite_likes))
    if phone_column is not None and len(digits) >= 3 and index.phone is not None:
        indexed = or_(indexed, row_id.in_(index.ids(index.phone, f"%{digits}%")))
    return _Either(scan(likes), indexed)


# Past this many cased letters beyond A–Z, a search asks only each in lower and in upper case.
_MOST_CASED = 4


def _cases_beyond_ascii(typed: str) -> list[str]:
    """``typed`` with A–Z in lower case and every other cased letter in either case: each
    combination for up to ``_MOST_CASED`` such letters ("álvaro lópez": 4), else two."""
    text = typed.translate(_ASCII_LOWER)
    at = [i for i, c in enumerate(text) if not c.isascii() and c.lower() != c.upper()]
    if len(at) > _MOST_CASED:
        return [text.lower(), "".join(c.upper() if i in at else c for i, c in enumerate(text))]
    found = []
    for mask in range(2 ** len(at)):
        letters = list(text)
        for bit, i in enumerate(at):
            letters[i] = letters[i].upper() if mask >> bit & 1 else letters[i].lower()
        found.append("".join(letters))
    return found


def _indexed(q: str) -> bool:
    """Whether SQLite's search index finds ``q`` (lower case): three characters or more for
    trigrams, none of LIKE's own (those are scanned)."""
    return len(q) >= TRIGRAM and escape_like(q) == q


def reads_every_match(session: Session, q: str | None) -> bool:
    """Whether a search for ``q`` (where a ``SearchIndex`` is given) reads all of its matches
    before any order or limit: on SQLite, from the search index (a list of ids, then each row).
    Elsewhere, and for what SQLite scans, a first page walks an index in order and stops."""
    q = (q or "").strip().lower()
    return session.get_bind().dialect.name == "sqlite" and _indexed(q)


class _Either(ColumnElement[bool]):
    """``scanned`` on most databases, ``indexed`` on SQLite (the same rows, read by index)."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition itself, never compared to 1 (that hides indexes)
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's visitor protocol
        ("scanned", InternalTraversal.dp_clauseelement),
        ("indexed", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, scanned: ColumnElement[bool], indexed: ColumnElement[bool]) -> None:
        # Each in parentheses: an OR inside the query's ANDs.
        self.scanned = scanned.self_group()
        self.indexed = indexed.self_group()


@compiles(_Either)
def _compile_scanned(element: _Either, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.scanned, **kw)


@compiles(_Either, "sqlite")
def _compile_indexed(element: _Either, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.indexed, **kw)


def lists(column: ColumnElement[Any] | QueryableAttribute[Any], item: str) -> ColumnElement[bool]:
    """A condition: the JSON list of short words in ``column`` (e.g. a member's products) holds
    ``item``. Found in the list's text (``"item"`` with its quotes), which both databases store
    as written, by position; fit for a fixed vocabulary without quotes or backslashes.

    ``item`` is written into the SQL as a literal, so that a partial index made with this same
    condition (``listing``) serves it: a database matches an index's condition only against
    the query's own text, not a parameter's value."""
    found = _position(cast(column, Text), bindparam(None, f'"{item}"', String(), literal_execute=True))
    return found > literal_column("0")


def listing(column: ColumnElement[Any] | QueryableAttribute[Any], item: str) -> dict[str, Any]:
    """The options of an ``Index`` on the rows whose list in ``column`` holds ``item``: a
    partial index for the ``lists`` condition, on either database."""
    return {"sqlite_where": lists(column, item), "postgresql_where": lists(column, item)}


class _position(FunctionElement[int]):  # noqa: N801 - a SQL function, named as one
    """``_position(text, part)``: where ``part`` first appears in ``text``, from 1 (0: nowhere):
    ``strpos`` on PostgreSQL, ``instr`` on SQLite."""

    type = Integer()
    inherit_cache = True


@compiles(_position)
def _compile_strpos(element: _position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


@compiles(_position, "sqlite")
def _compile_instr(element: _position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


def name_order(name: QueryableAttribute[Any], address: QueryableAttribute[Any]) -> ColumnElement[str]:
    """The key a list sorts people by name: the name, else the address, lowercased. ('' written
    in the SQL, not a parameter, so that an index on the same expression serves it.)"""
    return func.lower(func.coalesce(func.nullif(name, literal_column("''")), address))
