"""Ids as people type them at a console: a whole id, or a piece of one (the first characters
copied from a list), which is neither an id nor an address."""

from __future__ import annotations

import re
import uuid

__all__ = ["looks_partial", "whole_id"]

# Hex digits, with dashes where an id has them; at least a letter a–f or a dash, as digits alone
# read as a phone number ("12345678" is one, badly typed, more likely than a piece of an id).
_PIECE = re.compile(r"(?=.*[a-f-])[0-9a-f]{4,}(?:-[0-9a-f]*){0,4}", re.IGNORECASE)


def whole_id(text: str) -> uuid.UUID | None:
    """The id ``text`` is (spaces around it ignored), or None when it is not a whole one."""
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def looks_partial(text: str) -> bool:
    """Whether ``text`` reads as a piece of an id (``3f2a9c1b``, ``3f2a9c1b-7d``) rather than as
    an address or a name: what to refuse as "not a whole id" when it names nothing."""
    return whole_id(text) is None and _PIECE.fullmatch(text.strip()) is not None
