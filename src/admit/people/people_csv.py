"""The roster as CSV: the columns User Management's export writes, one person a row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from admit.kit.sheets import csv_chunks, safe_cell
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
    "created_at",
    "last_sent_at",
    "delivery",
)


def _cells(row: Listed) -> tuple[str, ...]:
    return (
        safe_cell(row.name),
        safe_cell(row.address),  # an email's local part may start with = + - and hold | ' ! (a formula)
        row.user_type,
        row.role,
        " ".join(row.products),
        row.status,
        row.kind,
        safe_cell(row.invited_by),
        row.created_at,
        row.last_sent_at,
        row.delivery,
    )


def lines(rows: Iterable[Listed]) -> Iterator[str]:
    """The header, then every row, a few hundred rows per chunk (cells that look like formulas
    escaped: a name such as ``=HYPERLINK(…)``)."""
    return csv_chunks(HEADER, (_cells(row) for row in rows))
