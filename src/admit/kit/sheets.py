"""CSV as Admit's exports write it: cells a spreadsheet will not run as formulas, streamed in
chunks (the roster, an import's report, the audit log)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence

__all__ = ["csv_chunks", "safe_cell"]

# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"); a tab or carriage
# return before one hides it from a check of the first character alone.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number as Admit writes it (E.164: "+" and digits only) runs nothing: it is kept as it is,
# where an apostrophe would make it another number for whoever reads the file back.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def safe_cell(value: object) -> str:
    """``value`` as a cell's text that a spreadsheet shows rather than runs: one starting like a
    formula (``=HYPERLINK(…)``, ``@SUM(…)``) gets a leading apostrophe, unless it is a phone
    number written ``+12025550173``; None is empty."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _E164.fullmatch(text):
        return "'" + text
    return text


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]], *, every: int = 500) -> Iterator[str]:
    """The header, then every row, ``every`` rows per chunk: CRLF line ends, as RFC 4180 and
    spreadsheets expect. Cells are written as given: pass what someone typed through
    ``safe_cell`` (an E.164 number, "+1202…", is data the caller may keep as it is)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % every == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
