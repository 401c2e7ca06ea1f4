"""Reading address lists: pasted text, .txt, .csv, .tsv and .xlsx files, streamed (never read
whole).

What people upload: one address per line; CSV with or without a header; header names matched
loosely (``email``, ``E-mail``, ``Email Address``, ``name``, ``first name`` + ``last name``,
``phone``, ``role``); ``,`` ``;`` or tab as separator (detected); quoted fields; UTF-8 with or
without BOM, UTF-16 (what Excel's "Unicode text" makes), Windows-1252 and Mac Roman (Excel's
"CSV (Comma delimited)"; detected with charset-normalizer); .xlsx (the first sheet); Windows,
Unix and old Mac line endings; ``Name <email>``; several addresses on one line (one record
each); blank lines and trailing separators. An empty list, or a header alone, is an error.

``read_rows`` yields one ``Row`` per record with its spreadsheet row number (the header is row 1),
skipping blank records. Everything is incremental: memory stays flat whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import charset_normalizer

from admit.errors import InvalidInput
from admit.imports.file_types import FILE_TYPES, FILE_TYPES_IN_WORDS
from admit.members.addresses import (
    ADDRESS_HEADINGS_IN_WORDS,
    address_and_name,
    heading_columns,
    looks_like_phone,
    name_and_address,
    read_by_columns,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

SNIFF_BYTES = 64 * 1024
# What a list that is not UTF-8 may be in (charset-normalizer chooses among them).
LEGACY_ENCODINGS = ["cp1252", "mac_roman", "latin_1"]
XLSX_MAGIC = b"PK\x03\x04"  # a zip: .xlsx
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class Row:
    number: int
    raw: str
    address: str
    name: str
    phone: str
    role: str
    part: int = 0  # which address of its line (several on one line: 0, 1, 2…)


class _ChunkStream(io.RawIOBase):
    """A readable raw stream over an iterable of byte chunks."""

    def __init__(self, chunks: Iterable[bytes], max_bytes: int | None) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""
        self._max = max_bytes
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        # Fill ``buffer`` from as many chunks as it takes: ``read_rows`` sniffs the encoding and
        # the separator from one peek, which must see the file's head whatever the chunk sizes.
        target = memoryview(buffer).cast("B")
        n = 0
        while n < len(target):
            if not self._buffer:
                try:
                    self._buffer = next(self._chunks)
                except StopIteration:
                    break
                self.size += len(self._buffer)
                if self._max is not None and self.size > self._max:
                    raise too_large(self._max)
                continue
            k = min(len(target) - n, len(self._buffer))
            target[n : n + k] = self._buffer[:k]
            self._buffer = self._buffer[k:]
            n += k
        return n


def size_text(size: int) -> str:
    """A byte count as people read it: ``50 MB``, ``10 KB``, ``1.5 MB``, ``900 bytes``."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def too_large(max_bytes: int) -> InvalidInput:
    """The refusal of a file over ``max_bytes``, read (``read_rows``) or stored
    (``imports.storage.store``): the one wording of the limit, naming ``file``."""
    return InvalidInput(f"The file is larger than the limit of {size_text(max_bytes)}.", field="file")


def named(filename: str) -> str:
    """A list as a refusal names it: its file's name in quotes, or "The list" (pasted text, an
    upload without a name)."""
    return f"“{filename}”" if filename else "The list"


def not_text(filename: str) -> InvalidInput:
    """The refusal of a file that holds bytes no list of addresses has (an image, a binary
    named ``.csv``), naming it: read as text it would be rows of nonsense."""
    return InvalidInput(
        f"{named(filename)} is not a text file: it holds characters no list of addresses has. Upload a "
        f"{FILE_TYPES_IN_WORDS} list of addresses.",
        field="file",
    )


# Characters no list of addresses holds: control characters but the line and page breaks and
# tabs a text file has. More than one in a hundred (one in a short file), the file is not text,
# in whatever encoding it was read.
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")
_NOT_DECODED = "\ufffd"


def _binary(sample: str) -> bool:
    odd = sum(1 for c in sample if (c < " " and c not in _TEXT_CONTROLS) or c == _NOT_DECODED)
    return odd * 100 > len(sample)


def _detect_encoding(head: bytes) -> str | None:
    """The encoding the file's ``head`` is written in; None when it holds NULs no text has."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a BOM: every other byte of ASCII text is NUL, and only those (binary
        # files have NULs everywhere).
        even, odd = sample[0::2].count(b"\x00"), sample[1::2].count(b"\x00")
        if odd > len(sample) // 4 and even <= odd // 20:
            return "utf-16-le"
        if even > len(sample) // 4 and odd <= even // 20:
            return "utf-16-be"
    if b"\x00" in sample:
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8: Excel's "CSV (Comma delimited)" writes Windows-1252 (Mac Roman on old Macs).
    best = charset_normalizer.from_bytes(head, cp_isolation=LEGACY_ENCODINGS).best()
    return best.encoding if best is not None else "cp1252"


def _detect_delimiter(sample: str) -> str | None:
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if not lines:
        return None
    best, best_score = None, 0
    for delim in DELIMITERS:
        counts = [line.count(delim) for line in lines]
        present = sum(1 for c in counts if c)
        if present >= max(1, len(lines) // 2) and present > best_score:
            best, best_score = delim, present
    return best


_FILE_TYPE = re.compile(r"[a-z][a-z0-9]{1,7}")  # what ends a file's name as its type: pdf, docx


def check_file_name(name: str) -> None:
    """Refuse a file whose name says it is not a list (a .pdf, an image): what it holds would
    otherwise be read as lines of text and previewed as nonsense. A name without a type (an
    API upload, a pasted list, "Clients v1.2") is read for what it is."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name.rstrip(".") else ""
    if _FILE_TYPE.fullmatch(suffix) and f".{suffix}" not in FILE_TYPES:
        raise InvalidInput(f"Upload a {FILE_TYPES_IN_WORDS} file: this one is a .{suffix}.", field="file")


def read_rows(
    chunks: Iterable[bytes],
    *,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    filename: str = "",
) -> Iterator[Row]:
    """Yield the records of an uploaded list, one ``Row`` each. Raises ``InvalidInput`` (field
    ``file``) for a file that is too large, has too many rows, or is not text, or a
    ``filename`` ending ``.xlsx`` that is not a workbook: refusals that name it (``named``)."""
    buffered = io.BufferedReader(_ChunkStream(chunks, max_bytes), buffer_size=SNIFF_BYTES)
    head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    if not head.strip():
        raise InvalidInput("The file is empty: it has no addresses.", field="file")
    if head.startswith(XLSX_MAGIC):
        yield from _rows(_xlsx_cells(buffered), ",", max_rows)
        return
    if filename.lower().endswith(".xlsx"):  # a workbook is a zip: this is none, whatever it is
        raise InvalidInput(
            f"{named(filename)} is not a spreadsheet: an .xlsx file is a workbook as Excel saves it, and "
            "this one is not. Save it again from Excel, or as CSV.",
            field="file",
        )
    encoding = _detect_encoding(head)
    sample = codecs.getincrementaldecoder(encoding or "latin_1")(errors="replace").decode(head)
    if encoding is None or _binary(sample):
        raise not_text(filename)
    delimiter = _detect_delimiter(sample)
    # csv wants newline="" (it knows \r, \n and \r\n); plain lists use universal newlines.
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="strict", newline="" if delimiter else None)
    reader: Iterable[list[str]]
    if delimiter is None:
        reader = ([line.rstrip("\n")] for line in text)
    else:
        reader = csv.reader(text, delimiter=delimiter, quotechar='"', skipinitialspace=True)
    try:
        yield from _rows(reader, delimiter, max_rows)
    except csv.Error as exc:  # a cell over csv's field limit (131,072 characters), a stray NUL
        raise InvalidInput(
            f"Row {getattr(reader, 'line_num', '?')} cannot be read as CSV ({exc}): a cell is too long or"
            " the file is not a list. Fix that row and upload it again.",
            field="file",
        ) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "The file is not UTF-8 or UTF-16 text. Save it as “CSV UTF-8” and upload it again.", field="file"
        ) from exc


def read_text_rows(text: str, *, max_rows: int | None = None) -> Iterator[Row]:
    """Rows of pasted text (same rules as a file)."""
    yield from read_rows([text.encode("utf-8")], max_rows=max_rows)


def _xlsx_cells(stream: io.BufferedIOBase) -> Iterator[list[str]]:
    """The first sheet of an .xlsx workbook, a row of cells at a time (openpyxl's read-only
    mode: rows stream from the file; the file itself is spooled, as a zip must be seekable).
    openpyxl is imported here, on the first workbook: ~0.14 s that a web process's start no
    longer pays."""
    import openpyxl

    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spooled:
        shutil.copyfileobj(stream, spooled)
        spooled.seek(0)
        try:
            book = openpyxl.load_workbook(spooled, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise InvalidInput(
                "This .xlsx file could not be read. Save it again from Excel, or as CSV.", field="file"
            ) from exc
        try:
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield [_xlsx_text(v) for v in values]
        finally:
            book.close()


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed as a number
    return str(value)


def _rows(reader: Iterable[list[str]], delimiter: str | None, max_rows: int | None) -> Iterator[Row]:
    header: dict[str, int] | None = None
    count = 0
    for number, cells in enumerate(reader, start=1):
        written = list(cells)  # the row as the file had it, trailing separators too (``raw``)
        while cells and not cells[-1].strip():
            cells.pop()  # trailing separators
        if not cells:
            continue
        if count == 0 and header is None:
            header = heading_columns(cells)
            if header is not None:
                continue
            _check_columns(cells)
        count += 1
        if max_rows is not None and count > max_rows:
            raise InvalidInput(f"The file has more than {max_rows:,} rows, the limit.", field="file")
        addresses = [i for i, c in enumerate(cells) if "@" in c] if header is None else []
        if len(addresses) > 1:
            # Several addresses on one line (a pasted row "a@x, b@x"): one record each, same row
            # number; a name can only come with its address ("Ada <ada@x>").
            for part, index in enumerate(addresses):
                yield _row(number, [cells[index]], None, None, part=part)
        else:
            yield _row(number, cells, header, delimiter, written=written)
    if count == 0:
        raise InvalidInput("There are no addresses in this list: it has a header row only.", field="file")


def _check_columns(cells: list[str]) -> None:
    """Refuse a list whose first row has columns but neither an address nor a heading that
    names an address column ("Foo,Bar"): every row would be an invalid address. One column
    without a heading is a list of addresses, its first row too (a typo there is that row's)."""
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) < 2 or any("@" in c or looks_like_phone(c) for c in filled):
        return
    shown = ", ".join(c[:40] for c in filled[:6]) + (", …" if len(filled) > 6 else "")
    raise InvalidInput(
        f"No Email or Phone column: the first row has {shown}. Head the column of addresses"
        f" {ADDRESS_HEADINGS_IN_WORDS} in the first row, or upload one address per line.",
        field="file",
    )


def _as_written(cells: list[str], delimiter: str) -> str:
    """A row's cells as a file writes them: joined by ``delimiter``, a cell holding it (or a
    line break, or starting with a quote) in quotes ("Smith, John"), as the reader took them
    apart; a quote inside a cell stays as it is (``=HYPERLINK("…")``)."""
    return delimiter.join(
        f'"{c.replace(chr(34), chr(34) * 2)}"' if delimiter in c or "\n" in c or c.startswith('"') else c
        for c in cells
    )


def _row(
    number: int,
    cells: list[str],
    header: dict[str, int] | None,
    delimiter: str | None,
    *,
    part: int = 0,
    written: list[str] | None = None,
) -> Row:
    raw = _as_written(written or cells, delimiter) if delimiter else cells[0]
    if header is not None:
        by_column = read_by_columns(cells, header)
        address, name, phone = by_column["email"], by_column["name"], by_column["phone"]
        role = by_column["role"].lower()
    else:
        # One address and a name beside it: the same rule as a pasted row in the Invite box.
        address, name = address_and_name(cells) or (cells[0].strip(), "")
        phone = role = ""
    if (named := name_and_address(address)) is not None:
        name, address = name or named[0], named[1]
    return Row(
        number=number,
        raw=raw.strip(),
        address=address.strip(),
        name=name,
        phone=phone,
        role=role,
        part=part,
    )
