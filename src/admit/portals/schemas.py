from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PortalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    invitation_ttl_seconds: int
    enabled_products: list[str]
    client_require_password: bool
    created_at: datetime


class PortalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invitation_ttl_seconds: int | None = Field(default=None, ge=3600, le=30 * 24 * 3600)
    enabled_products: list[str] | None = None
    client_require_password: bool | None = None
