from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.portals.models import Portal


class PortalRef(BaseModel):
    """A portal named in another answer: its slug (the one in every path) and its name."""

    slug: str
    name: str

    @classmethod
    def of(cls, portal: Portal) -> PortalRef:
        return cls(slug=portal.slug, name=portal.name)


class PortalMembershipRef(PortalRef):
    """A portal you are in, with your role there."""

    role: Literal["owner", "admin", "member", "client"]


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
