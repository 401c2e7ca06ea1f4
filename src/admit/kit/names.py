"""When two names people give are one name: the rule for teams, client groups and workspaces.

A name is kept **tidy**: trimmed, every run of spaces, tabs or line breaks made one space
(``"  Product   design "`` is kept as ``"Product design"``). Two names are **the same** when
their tidy forms are equal ignoring case and width (Unicode case folding after NFKC: ``"Design"``,
``"design "``, ``"DESIGN"`` and the full-width ``"Ｄesign"`` are one name; so are ``"Straße"``
and ``"STRASSE"``). ``key`` is that rule; the
services that own the names (``teams.service``, ``workspaces.service``) refuse a name whose key
another live one of the portal has, naming the one that exists.

The database holds the same line as a backstop for two requests at once: a unique index on
``lower(name)`` (names are stored tidy, so only case is left to fold there). SQLite's
``lower()`` folds ASCII letters only, and neither database folds width, so for those the
services' check is what holds;
``save_unique`` writes a named row under both: the check first, the index's refusal of two
requests at once told the same way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

__all__ = ["key", "same", "save_unique", "tidy", "violates"]

_T = TypeVar("_T")


def tidy(name: str | None) -> str:
    """``name`` as it is kept: trimmed, each run of whitespace inside it one space."""
    return " ".join((name or "").split())


def key(name: str | None) -> str:
    """What makes two names the same: their tidy forms, in NFKC, case-folded (see the module)."""
    return unicodedata.normalize("NFKC", tidy(name)).casefold()


def same(
    name: str, existing: Iterable[tuple[_T, str]], *, other_than: _T | None = None
) -> tuple[_T, str] | None:
    """The first of ``existing`` (``(id, name)`` pairs) whose name is the same as ``name``,
    leaving out ``other_than`` (the row being renamed); None when the name is free."""
    wanted = key(name)
    for row_id, row_name in existing:
        if row_id != other_than and key(row_name) == wanted:
            return row_id, row_name
    return None


def violates(exc: IntegrityError, index: str) -> bool:
    """Whether ``exc`` is the refusal of the unique index named ``index`` (SQLite: ``UNIQUE
    constraint failed: index 'uq_…'``; PostgreSQL: ``… violates unique constraint "uq_…"``)."""
    return index in str(exc.orig)


def save_unique(
    session: Session,
    write: Callable[[], None],
    *,
    name: str,
    index: str,
    taken_by: Callable[[], str | None],
    refusal: Callable[[str], Exception],
) -> None:
    """``write()`` a row named ``name`` and flush it, unless ``taken_by()`` finds a live row of the
    same name (``same``): then ``refusal(its name)`` is raised. Two requests past the check at
    once: the unique ``index`` refuses the later (in a savepoint, the transaction kept), which is
    refused the same way, naming the row the other made."""
    existing = taken_by()
    if existing is not None:
        raise refusal(existing)
    try:
        with session.begin_nested():
            write()
            session.flush()
    except IntegrityError as exc:
        if not violates(exc, index):
            raise
        raise refusal(taken_by() or name) from exc
