"""Secret tokens: 256 bits from ``secrets``; only their SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# What a token looks like in a URL: 43 URL-safe characters (``new_token``). Identifiers (UUIDs,
# slugs) are shorter or have their dashes in fixed places, so they stay readable in logs.
_IN_URL = re.compile(r"(?<=[/=])[A-Za-z0-9_-]{40,}(?=$|[/?&#\s])")
HIDDEN = "[token]"


def hide_tokens(text: str) -> str:
    """``text`` (a path, a URL, a log line) with every token in it replaced by ``[token]``."""
    return _IN_URL.sub(HIDDEN, text)


class HideTokens(logging.Filter):
    """A log filter: tokens in a record's message and arguments (the access log's request line,
    ``GET /invite/<token>``) never reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(hide_tokens(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = hide_tokens(record.msg)
        return True
