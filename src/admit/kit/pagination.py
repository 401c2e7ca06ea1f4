"""Keyset pagination over (created_at, id), with an opaque cursor."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime

from sqlalchemy import Select, and_, or_

from admit.errors import InvalidInput

MAX_LIMIT = 500


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = json.loads(base64.urlsafe_b64decode(padded))
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError("cursor time without a time zone")
        return when, uuid.UUID(row_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("The cursor is not valid.", field="cursor") from exc


def page(session, query: Select, model, *, cursor: str | None, limit: int):
    """Return (rows, next_cursor), newest first."""
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    query = query.order_by(model.created_at.desc(), model.id.desc())
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        query = query.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < row_id),
            )
        )
    rows = list(session.scalars(query.limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last.created_at, last.id)
    return rows, next_cursor
