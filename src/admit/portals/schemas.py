from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from admit.kit.apart import PartedModel
from admit.kit.json_body import JsonBody
from admit.portals import brand as portals_brand
from admit.portals import models as portal_models

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
    """A portal you are in: your role and type there, the products you may use in it, and what
    this sign-in still owes it before you may enter (an app deciding what to show you reads this:
    ``GET /me``, and every sign-in's answer)."""

    role: Literal["owner", "admin", "member", "client"]
    user_type: Literal["internal", "client"]
    products: list[str] = Field(
        description="The products given to you that the portal still offers, in the portal's order."
    )
    sign_in_steps: list[str] = Field(
        description="What this sign-in must still do before it enters the portal, in order "
        "(`choose_password`, `enrol_second_factor`, `verify_second_factor`); empty: it may enter."
    )


class ClientSignIn(BaseModel):
    require_password: bool = Field(
        description="Clients have a password (magic link only, the default, is the lowest assurance)."
    )
    require_two_factor: bool = Field(description="Clients sign in with an authenticator app's code too.")
    sign_in_link_minutes: int = Field(description="How long a client's emailed sign-in link lives.")
    without_two_factor: int = Field(
        default=0,
        description="Active clients with no authenticator app yet: those two-step verification, while "
        "required, asks to set one up at their next sign-in.",
    )


class InternalSignIn(BaseModel):
    require_two_factor: bool = Field(
        description="Internal users sign in with an authenticator app's code too."
    )
    sign_in_link_minutes: int = Field(description="How long an internal user's sign-in link lives.")
    without_two_factor: int = Field(
        default=0,
        description="Active internal users with no authenticator app yet: those two-step verification, while "
        "required, asks to set one up at their next sign-in.",
    )


def _between(low: int, high: int) -> JsonDict:
    """A number's range, shown in the document: checked by ``portals.service.update_settings``
    with every other setting given, not by the schema (``PortalUpdate``)."""
    return {"minimum": low, "maximum": high}


_LINK_MINUTES = _between(portal_models.MIN_SIGN_IN_LINK_MINUTES, portal_models.MAX_SIGN_IN_LINK_MINUTES)


class ClientSignInUpdate(JsonBody):
    model_config = ConfigDict(extra="forbid")

    require_password: bool | None = None
    require_two_factor: bool | None = None
    sign_in_link_minutes: int | None = Field(
        default=None, description="5 minutes to 7 days.", json_schema_extra=_LINK_MINUTES
    )


class InternalSignInUpdate(JsonBody):
    model_config = ConfigDict(extra="forbid")

    require_two_factor: bool | None = None
    sign_in_link_minutes: int | None = Field(
        default=None, description="5 minutes to 7 days.", json_schema_extra=_LINK_MINUTES
    )


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
        description="The brand colour, `#rrggbb`, of buttons and links in pages and emails; null: none "
        "(Admit's indigo, `#4f46e5`)."
    )
    logo_url: str | None = Field(
        description="The logo's public URL (PNG or JPEG; a new image gets a new URL); null: no logo."
    )
    sms_countries: list[str] = Field(
        description="The setting: ISO 3166 codes of the countries whose numbers may be texted; "
        "empty (the default): none chosen, the deployment's default phone region "
        "(ADMIT_DEFAULT_PHONE_REGION) only (see `sms_countries_allowed`)."
    )
    sms_countries_allowed: list[str] = Field(
        default_factory=list,
        description="The countries whose numbers are texted now (read only): `sms_countries`, or, "
        'when it is empty, the deployment\'s default phone region, e.g. `["US"]`.',
    )
    sms_daily_budget: int = Field(description="Texts (SMS) the portal may send in any 24 hours; 0: none.")
    mandatory_notifications: list[str] = Field(
        default_factory=list,
        description="Kinds of optional messages sent to the portal's people whatever their preference "
        "(`assigned`, `due_reminders`, `mentions`, `activity_digest`, `expired_invitations`).",
    )
    time_zone: str = Field(
        default="UTC", description="The portal's IANA time zone: actions' due dates are days there."
    )
    scim_new_users: str = Field(
        default="invite",
        description="What a SCIM client's new user gets: `invite` (an invitation email) or `quiet` "
        "(made a member without one; they sign in when they come).",
    )
    scim_products: list[str] = Field(
        default_factory=list,
        description="The products a SCIM client's new people get (none unless chosen, as the Invite box).",
    )
    client_sign_in: ClientSignIn = Field(description="The sign-in policy for clients.")
    internal_sign_in: InternalSignIn = Field(description="The sign-in policy for internal users.")
    created_at: datetime

    @classmethod
    def of(
        cls,
        portal: Portal,
        *,
        public_url: str,
        mandatory: list[str] | None = None,
        sms_countries_allowed: list[str] | None = None,
        without_two_factor: dict[str, int] | None = None,
    ) -> PortalRead:
        """``sms_countries_allowed``: ``portals.service.sms_countries``; ``without_two_factor``:
        per user type, ``auth.second_factor.count_without_factor`` (a schema asks no service)."""
        without = without_two_factor or {}
        logo_url = portals_brand.of(portal, base_url=public_url.rstrip("/")).logo_url
        sign_in = {
            "client_sign_in": ClientSignIn(
                require_password=portal.client_require_password,
                require_two_factor=portal.client_require_2fa,
                sign_in_link_minutes=portal.client_sign_in_link_minutes,
                without_two_factor=without.get("client", 0),
            ),
            "internal_sign_in": InternalSignIn(
                require_two_factor=portal.internal_require_2fa,
                sign_in_link_minutes=portal.internal_sign_in_link_minutes,
                without_two_factor=without.get("internal", 0),
            ),
        }
        extra = {
            "mandatory_notifications": mandatory or [],
            "sms_countries_allowed": sms_countries_allowed or [],
        }
        return cls.model_validate({**_columns(portal), "logo_url": logo_url, **sign_in, **extra})


def _columns(portal: Portal) -> dict[str, object]:
    computed = {
        "logo_url",
        "client_sign_in",
        "internal_sign_in",
        "mandatory_notifications",
        "sms_countries_allowed",
    }
    return {name: getattr(portal, name) for name in PortalRead.model_fields if name not in computed}


class PortalUpdate(PartedModel):
    """Settings to change. Types only: every rule on the values is
    ``portals.service.update_settings``'s, which says every fault at once (a limit here would
    refuse the request before it, naming only its own field); the document shows the ranges. A
    value of the wrong type is left out and kept (``unparsed``, ``kit.apart``) for the service to
    say with its own."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None,
        description="A new name for the portal, as its pages and emails say it; its address (`slug`) "
        "stays as it is, so links already sent keep working.",
    )
    invitation_ttl_seconds: int | None = Field(
        default=None,
        description="1 hour to 30 days.",
        json_schema_extra=_between(portal_models.MIN_INVITATION_TTL, portal_models.MAX_INVITATION_TTL),
    )
    enabled_products: list[str] | None = None
    client_require_password: bool | None = None
    invitation_reminders: int | None = Field(
        default=None,
        json_schema_extra=_between(0, portal_models.MAX_INVITATION_REMINDERS),
        description="Reminders of a pending invitation: 0 (off), 1 (half way) or 2 (one third and two "
        "thirds of its lifetime, the default). Fewer (or 0) also holds for invitations already pending; "
        "turned on from 0, it applies to invitations sent or resent from then on.",
    )
    brand_color: str | None = Field(
        default=None,
        description="`#rrggbb` (e.g. `#4338ca`; `#rgb` and the six digits without `#` are taken and "
        'stored as `#rrggbb`); null or "" removes it. Button text is white or near-black, whichever '
        "reads better on it.",
    )
    client_sign_in: ClientSignInUpdate | None = Field(
        default=None,
        description="The sign-in policy for clients (what is given changes). Every change applies "
        "from each person's next sign-in, and is audited.",
    )
    internal_sign_in: InternalSignInUpdate | None = Field(
        default=None, description="The sign-in policy for internal users (always a password)."
    )
    mandatory_notifications: list[str] | None = Field(
        default=None, description="Exactly these kinds become mandatory (see the read)."
    )
    time_zone: str | None = Field(default=None, description="An IANA time zone name, e.g. `Europe/Paris`.")
    scim_new_users: Literal["invite", "quiet"] | None = Field(
        default=None, description="`invite` or `quiet` (see the read)."
    )
    scim_products: list[str] | None = Field(
        default=None, max_length=20, description="Products enabled in the portal (see the read)."
    )
    sms_countries: list[str] | None = Field(
        default=None,
        description="ISO 3166 country codes (`US`, `GB`…) whose numbers may be texted; [] means the "
        "deployment's default phone region only. A number from elsewhere is skipped with "
        "`sms_country_not_allowed`.",
    )
    sms_daily_budget: int | None = Field(
        default=None,
        json_schema_extra=_between(0, portal_models.MAX_SMS_DAILY_BUDGET),
        description="Texts the portal may send in any 24 hours (0: none); beyond it numbers are "
        "skipped with `sms_budget_reached`.",
    )

    def settings(self) -> dict[str, object]:
        """The changes as ``portals.service.update_settings`` takes them."""
        flat = self.model_dump(exclude_unset=True, exclude=set(_SIGN_IN))
        for group, names in _SIGN_IN.items():
            given = getattr(self, group)
            if given is not None:
                for key, value in given.model_dump(exclude_unset=True).items():
                    if value is not None:
                        flat[names[key]] = value
        return flat


# The sign-in policies' inputs, as update_settings names them: {group: {input: setting}}.
_SIGN_IN = {
    "client_sign_in": {
        "require_password": "client_require_password",
        "require_two_factor": "client_require_2fa",
        "sign_in_link_minutes": "client_sign_in_link_minutes",
    },
    "internal_sign_in": {
        "require_two_factor": "internal_require_2fa",
        "sign_in_link_minutes": "internal_sign_in_link_minutes",
    },
}
# A setting refused by update_settings, named as PortalUpdate names its input.
FIELDS_OF_SETTINGS = {
    setting: f"{group}.{key}" for group, names in _SIGN_IN.items() for key, setting in names.items()
}
