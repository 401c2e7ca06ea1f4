"""The SCIM tokens as the API shows them (never their secret, except once at creation)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from admit.directory.models import ScimToken


class ScimTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        default="SCIM", min_length=1, max_length=100, description="What uses the token, e.g. “Okta”."
    )


class ScimTokenRead(BaseModel):
    """A SCIM token as the portal's owners and admins see it: never its secret."""

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = None

    @classmethod
    def of(cls, token: ScimToken) -> ScimTokenRead:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )


class ScimTokenCreated(BaseModel):
    id: uuid.UUID
    token: str = Field(description="The token itself (Authorization: Bearer …), shown this once.")
    scim_token: ScimTokenRead


class ScimTokenPage(BaseModel):
    items: list[ScimTokenRead]
    next_cursor: str | None
