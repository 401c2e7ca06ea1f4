"""Logs an operator can search: every line of a request carries its request id (the caller's
``X-Request-ID`` when it is a sane one, else a new one, echoed back in the response), and with
``ADMIT_LOG_FORMAT=json`` every line is one JSON object. Tokens never appear (``tokens.HideTokens``
runs first)."""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import re
import secrets
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "REQUEST_ID",
    "JsonFormatter",
    "RequestIdFilter",
    "RequestIds",
    "config",
    "configure",
    "request_id_for",
]

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("admit_request_id", default="-")
_SANE = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_for(header: str | None) -> str:
    """The id of a request: the caller's, when it looks like an id, else a new one."""
    return header if header and _SANE.fullmatch(header) else secrets.token_hex(8)


class RequestIds:
    """ASGI middleware: the request's id is set for everything that runs while it is answered
    (the web server's access line included) and sent back as ``X-Request-ID``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = request_id_for(given)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        token = REQUEST_ID.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, request id, message, and the error."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def config(fmt: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the web server and Admit: ``text`` or ``json``, with
    tokens hidden and the request id on every line."""
    text = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "hide_tokens": {"()": "admit.kit.tokens.HideTokens"},
            "request_id": {"()": "admit.kit.logs.RequestIdFilter"},
        },
        "formatters": {
            "text": {"format": text},
            "json": {"()": "admit.kit.logs.JsonFormatter"},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json" if fmt == "json" else "text",
                "filters": ["hide_tokens", "request_id"],
            }
        },
        "loggers": {
            "": {"handlers": ["default"], "level": level},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
            # Alembic's info lines ("Context impl SQLiteImpl.", one per migration) say nothing an
            # operator acts on; what a command migrated, it says itself. Its warnings still show.
            "alembic": {"level": "WARNING"},
        },
    }


def configure(fmt: str, level: str = "INFO") -> None:
    """Logging for a long-running process (``admit serve``, ``admit worker``): ``config``, set
    as the process starts, so every line from then on (a migration's, the worker's) is in it."""
    logging.config.dictConfig(config(fmt, level))
