"""Recipient addresses: splitting what people type or paste, and normalising emails.

A normalised email is lowercase with an ASCII (IDNA) domain, so ``Ada@Bücher.example`` and
``ada@xn--bcher-kva.example`` are the same person. Display names (``Ada <ada@x.org>``) and
surrounding spaces or quotes are taken off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

__all__ = ["ParsedRecipient", "normalize_email", "parse_recipient", "split_recipients"]

# Enter, comma, semicolon, tab or newline separate recipients (a spreadsheet column pastes as lines).
_SEPARATORS = re.compile(r"[\n\r\t,;]+")
_NAME_ADDR = re.compile(r"^\s*(?P<name>.*?)\s*<\s*(?P<addr>[^<>]*?)\s*>\s*$")
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class ParsedRecipient:
    raw: str
    email: str | None
    name: str
    error: str | None


def normalize_email(address: str) -> tuple[str | None, str | None]:
    """Return ``(normalised, None)`` or ``(None, what is wrong)``."""
    address = address.strip().strip("'\"").strip()
    if not address:
        return None, "The address is empty."
    try:
        info = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    local, _, _domain = info.normalized.rpartition("@")
    domain = info.ascii_domain or info.domain
    return f"{local}@{domain}".lower(), None


def parse_recipient(raw: str) -> ParsedRecipient:
    text = raw.strip()
    name = ""
    match = _NAME_ADDR.match(text)
    if match:
        name = match.group("name").strip().strip("'\"").strip()[:MAX_NAME]
        text = match.group("addr")
    email, error = normalize_email(text)
    return ParsedRecipient(raw=raw.strip(), email=email, name=name, error=error)


def split_recipients(values: list[str] | str) -> list[str]:
    """Split typed or pasted text (or a list of such texts) into one string per recipient."""
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        out.extend(part.strip() for part in _SEPARATORS.split(value or "") if part.strip())
    return out
