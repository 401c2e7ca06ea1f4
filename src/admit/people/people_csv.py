"""The roster as CSV: the columns User Management's export writes, one person a row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from admit.people.roster import Listed

__all__ = ["HEADER", "lines"]

HEADER = (
    "name",
    "address",
    "user_type",
    "role",
    "products",
    "status",
    "kind",
    "invited_by",
    "invited_at",
    "last_sent_at",
    "delivery",
)


def _cells(row: Listed) -> tuple[str, ...]:
    return (
        _safe(row.name),
        row.address,
        row.user_type,
        row.role,
        " ".join(row.products),
        row.status,
        row.kind,
        _safe(row.invited_by),
        row.invited_at,
        row.last_sent_at,
        row.delivery,
    )


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (a name such as ``=HYPERLINK(…)``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def lines(rows: Iterable[Listed]) -> Iterator[str]:
    """The header, then every row, a few hundred rows per chunk."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for count, row in enumerate(rows, start=1):
        writer.writerow(_cells(row))
        if count % 500 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
