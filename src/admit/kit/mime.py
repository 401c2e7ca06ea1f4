"""An email as the bytes an SMTP server receives, written directly: headers, then a text part
and an HTML part (``multipart/alternative``), UTF-8, each part in base64 lines of 76.

It is what ``email.mime`` builds and its generator writes, at a small fraction of the cost:
building and flattening with the standard library was over half of a worker's time per email
(bench/bulk.py's delivery under py-spy). Header values that are not ASCII are written as
RFC 2047 encoded words; a line break inside a value is written as a space, so no value can add
a header of its own.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from email.utils import formataddr

__all__ = ["address", "compose", "header"]

CRLF = "\r\n"
# An encoded word is at most 75 characters: "=?utf-8?b?" (10) + base64 + "?=" (2) leaves 63, so
# at most 45 bytes of text per word (60 characters of base64).
_WORD_BYTES = 45
_LINE = 78  # where an ASCII header value is folded (at a space), as RFC 5322 recommends


def _one_line(value: str) -> str:
    return " ".join(value.splitlines()) if ("\n" in value or "\r" in value) else value


def _encoded_words(value: str, first: int) -> list[str]:
    """``value`` as encoded words of at most ``_WORD_BYTES`` bytes each, the first of ``first``
    (it shares its line with the header's name); split between characters, never inside one."""
    words: list[str] = []
    chunk: list[bytes] = []
    size, budget = 0, first
    for char in value:
        raw = char.encode()
        if size + len(raw) > budget and chunk:
            budget = _WORD_BYTES
            words.append(b"".join(chunk).decode())
            chunk, size = [], 0
        chunk.append(raw)
        size += len(raw)
    if chunk:
        words.append(b"".join(chunk).decode())
    return [f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words]


def _fold(line: str) -> str:
    """An ASCII header line, folded at spaces so that each line stays near 78 characters."""
    if len(line) <= _LINE:
        return line
    out: list[str] = []
    current = ""
    for part in line.split(" "):
        if current and len(current) + 1 + len(part) > _LINE:
            out.append(current)
            current = " " + part  # a continuation line starts with white space
        else:
            current = f"{current} {part}" if current else part
    out.append(current)
    return CRLF.join(out)


def header(name: str, value: str, *, raw_utf8: bool = False) -> str:
    """One header as written (without its line end). ``raw_utf8``: the value's UTF-8 as is
    (for a message sent with SMTPUTF8, RFC 6532), else encoded words where it is not ASCII."""
    value = _one_line(value)
    if value.isascii() or raw_utf8:
        return _fold(f"{name}: {value}")
    # The first word shares its line with "Name: ": fewer bytes, so that line stays within 76.
    first = max(3, (76 - len(name) - 2 - 12) // 4 * 3)
    return f"{name}: " + f"{CRLF} ".join(_encoded_words(value, first))


def address(name: str, email: str) -> str:
    """A mailbox for an address header: ``Name <email>``, the name quoted where it needs to be,
    or as encoded words (each within RFC 2047's 75 characters) where it is not ASCII."""
    name = _one_line(name)
    if name.isascii():
        return formataddr((name, email))
    # The first word shares its line with "From: " or "Reply-To: ": 42 bytes keeps it within 76.
    return " ".join(_encoded_words(name, 42)) + f" <{email}>"


def _base64_lines(text: str) -> str:
    return base64.encodebytes(text.encode()).decode().replace("\n", CRLF)


def compose(headers: Sequence[str], text: str, html: str) -> bytes:
    """The message: ``headers`` (each from ``header``), then the two parts."""
    boundary = f"=_{secrets.token_hex(12)}"
    parts = [
        *headers,
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "",
    ]
    for subtype, body in (("plain", text), ("html", html)):
        parts += [
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: base64",
            "",
            _base64_lines(body),  # ends with its own line end
        ]
    return (CRLF.join(parts) + f"--{boundary}--{CRLF}").encode()
