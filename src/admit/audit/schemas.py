from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from admit.actor import CONSOLE_IP
from admit.audit.words import CATEGORIES, address

if TYPE_CHECKING:
    AuditCategory = str
else:
    # The log's filter as the API takes it: one of ``words.CATEGORIES`` (an enum in the document).
    AuditCategory = Literal[tuple(CATEGORIES)]


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    actor_label: str
    action: str
    target_type: str
    target_id: str | None
    target_label: str
    detail: dict[str, Any]
    ip: str | None  # the IP address it came from; null for the console's doing and none recorded
    created_at: datetime
    summary: str = ""  # the event in words ("Olivia Owner invited ada@acme.com as Admin")
    console: bool = False  # done at the server's console (the admit CLI)

    @classmethod
    def of(cls, event: Any, summary: str) -> AuditEventRead:
        read = cls.model_validate(event)
        read.summary, read.console, read.ip = summary, read.ip == CONSOLE_IP, address(read.ip)
        return read


class AuditEventPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None
