from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ImportCreate(BaseModel):
    """The JSON form of an import: pasted text instead of a file."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    user_type: Literal["internal", "client"]
    role: Literal["owner", "admin", "member", "client"] | None = None
    products: list[str] | None = None
    message: str | None = Field(default=None, max_length=2000)
    dry_run: bool = False


class ImportPreview(BaseModel):
    total: int
    counts: dict[str, int]
    samples: dict[str, list[dict[str, Any]]]
    roles: dict[str, int] = {}


class ImportStatus(BaseModel):
    id: str
    status: Literal["previewed", "queued", "running", "done", "failed"]
    total: int
    processed: int
    invited: int
    skipped: dict[str, int]
    error: str | None
    errors_url: str
    report_url: str
    preview: ImportPreview | None = None
