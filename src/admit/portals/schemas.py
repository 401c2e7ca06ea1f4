from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.portals import brand as portals_brand

if TYPE_CHECKING:
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
    invitation_reminders: int = Field(
        description="Reminders of a pending invitation, evenly spread over its lifetime (2: at one third "
        "and two thirds; 1: half way); 0: none."
    )
    brand_color: str | None = Field(
        description="The brand colour, `#rrggbb`, of buttons and links in pages and emails; null: none."
    )
    logo_url: str | None = Field(
        description="The logo's public URL (PNG or JPEG; a new image gets a new URL); null: no logo."
    )
    sms_countries: list[str] = Field(
        description="ISO 3166 codes of the countries whose numbers may be texted; empty: the "
        "deployment's default phone region (ADMIT_DEFAULT_PHONE_REGION) only."
    )
    sms_daily_budget: int = Field(description="Texts (SMS) the portal may send in any 24 hours; 0: none.")
    client_require_2fa: bool = Field(
        description="Clients sign in with a second factor (an authenticator app)."
    )
    internal_require_2fa: bool = Field(description="Internal users sign in with a second factor.")
    client_sign_in_link_minutes: int = Field(description="How long a client's emailed sign-in link lives.")
    internal_sign_in_link_minutes: int = Field(description="How long an internal user's sign-in link lives.")
    created_at: datetime

    @classmethod
    def of(cls, portal: Portal, *, public_url: str) -> PortalRead:
        logo_url = portals_brand.of(portal, base_url=public_url.rstrip("/")).logo_url
        return cls.model_validate({**_columns(portal), "logo_url": logo_url})


def _columns(portal: Portal) -> dict[str, object]:
    return {name: getattr(portal, name) for name in PortalRead.model_fields if name != "logo_url"}


class PortalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invitation_ttl_seconds: int | None = Field(default=None, ge=3600, le=30 * 24 * 3600)
    enabled_products: list[str] | None = None
    client_require_password: bool | None = None
    invitation_reminders: int | None = Field(
        default=None,
        ge=0,
        le=2,
        description="Reminders of a pending invitation: 0 (off), 1 (half way) or 2 (one third and two "
        "thirds of its lifetime, the default). Fewer (or 0) also holds for invitations already pending; "
        "turned on from 0, it applies to invitations sent or resent from then on.",
    )
    brand_color: str | None = Field(
        default=None,
        description='`#rrggbb` (e.g. `#1d4ed8`); null or "" removes it. Button text is white or '
        "near-black, whichever reads better on it.",
    )
    client_require_2fa: bool | None = Field(
        default=None,
        description="Clients must sign in with an authenticator app (they set it up at their next "
        "sign-in). Every policy change applies from each person's next sign-in, and is audited.",
    )
    internal_require_2fa: bool | None = Field(default=None, description="The same, for internal users.")
    client_sign_in_link_minutes: int | None = Field(
        default=None,
        ge=5,
        le=7 * 24 * 60,
        description="Lifetime of a client's sign-in link: 5 minutes to 7 days.",
    )
    internal_sign_in_link_minutes: int | None = Field(
        default=None, ge=5, le=7 * 24 * 60, description="Lifetime of an internal user's sign-in link."
    )
    sms_countries: list[str] | None = Field(
        default=None,
        max_length=50,
        description="ISO 3166 country codes (`US`, `GB`…) whose numbers may be texted; [] means the "
        "deployment's default phone region only. A number from elsewhere is skipped with "
        "`sms_country_not_allowed`.",
    )
    sms_daily_budget: int | None = Field(
        default=None,
        ge=0,
        le=100_000,
        description="Texts the portal may send in any 24 hours (0: none); beyond it numbers are "
        "skipped with `sms_budget_reached`.",
    )
