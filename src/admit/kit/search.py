"""Text search over columns with LIKE: what someone types, escaped, matched anywhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, func, or_
from sqlalchemy.orm import QueryableAttribute

__all__ = ["contains", "lists"]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(
    q: str, *text_columns: QueryableAttribute[Any], phone_column: QueryableAttribute[Any] | None = None
) -> ColumnElement[bool]:
    """A condition: ``q`` (case-insensitive) appears in one of ``text_columns``; with
    ``phone_column``, three or more digits of ``q`` appear in it too (a number typed any way)."""
    q = (q or "").strip().lower()
    if not q:
        return false()
    like = f"%{_escape(q)}%"
    matches = [func.lower(column).like(like, escape="\\") for column in text_columns]
    digits = "".join(c for c in q if c.isdigit())
    if phone_column is not None and len(digits) >= 3:
        matches.append(phone_column.like(f"%{digits}%"))
    return or_(*matches)


def lists(column: ColumnElement[Any] | QueryableAttribute[Any], item: str) -> ColumnElement[bool]:
    """A condition: the JSON list of short words in ``column`` (e.g. a member's products) holds
    ``item``. Matched on the list's text (``"item"`` with its quotes), which both databases
    store as written; fit for a fixed vocabulary without quotes or backslashes."""
    return cast(column, String).like(f'%"{_escape(item)}"%', escape="\\")
