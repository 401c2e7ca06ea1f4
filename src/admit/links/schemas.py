from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.kit.apart import PartedModel
from admit.links.models import LinkSignup
from admit.links.views import LinkPreview, LinkView
from admit.members.schemas import MemberRead, UserRead
from admit.notifications.models import Delivered, delivery_status
from admit.notifications.schemas import DeliveryRead
from admit.portals.schemas import PortalRef


class InviteLinkRead(BaseModel):
    """A link as its managers see it. ``url`` is null only when the server's secret key changed
    since the link was made: Refresh gives a new one. ``uses`` counts places taken on the link
    (every confirmed sign-up, a refresh gives none back, and the current URL's unexpired pending
    ones; for a workspace link, join requests);
    ``joined`` counts everyone who joined through it since it was made (a workspace link: the
    join requests approved)."""

    kind: Literal["portal", "workspace"]
    workspace_id: uuid.UUID | None
    url: str | None
    status: Literal["active", "expired", "disabled", "used_up"]
    user_type: Literal["internal", "client"]
    role: str
    lifetime_seconds: int | None
    expires_at: datetime | None
    never_expires: bool
    allowed_domains: list[str]
    products: list[str]
    max_uses: int | None
    uses: int
    joined: int
    pending: int
    enabled: bool
    created_at: datetime
    refreshed_at: datetime

    @classmethod
    def of(cls, view: LinkView) -> InviteLinkRead:
        link = view.link
        return cls(
            kind=link.kind,
            workspace_id=link.workspace_id,
            url=view.url,
            status=view.state,
            user_type=link.user_type,
            role=link.role,
            lifetime_seconds=link.lifetime_seconds,
            expires_at=link.expires_at,
            never_expires=link.lifetime_seconds is None and link.expires_at is None,
            allowed_domains=list(link.allowed_domains or []),
            products=list(link.products or []),
            max_uses=link.max_uses,
            uses=view.uses,
            joined=view.joined,
            pending=view.pending,
            enabled=link.enabled,
            created_at=link.created_at,
            refreshed_at=link.refreshed_at,
        )


class InviteLinkUpdate(PartedModel):
    """Only the fields sent change. ``null`` means none for the domain rule and the limit. A link
    always expires (``lifetime_seconds``: 3600 to 31536000; or ``expires_at``, at most 365 days
    ahead) unless ``never_expires: true`` is sent, on its own: a null lifetime or expiry is
    refused (422, naming the field). ``products``: what joining through a portal's link gives,
    each enabled in the portal (``[]``: none). A value of the wrong type is said with the rest
    (parsed apart: ``kit.apart``)."""

    model_config = ConfigDict(extra="forbid")

    user_type: Literal["internal", "client"] | None = None
    role: Literal["admin", "member", "client", "owner"] | None = None
    lifetime_seconds: int | None = None
    expires_at: datetime | None = None
    allowed_domains: list[str] | None = Field(default=None, max_length=50)
    products: list[str] | None = Field(default=None, max_length=20)
    max_uses: int | None = None
    enabled: bool | None = None
    never_expires: bool | None = None


class WorkspaceLinkUpdate(PartedModel):
    """A workspace link's settings, by the portal link's rules (``InviteLinkUpdate``): only the
    fields sent change; ``null`` is no domain rule, no limit. Who joins as what is chosen on
    approval, so user type, role and products are refused (422 naming the field). Its places
    (``max_uses``) are join requests pending or approved."""

    model_config = ConfigDict(extra="forbid")

    lifetime_seconds: int | None = None
    expires_at: datetime | None = None
    allowed_domains: list[str] | None = Field(default=None, max_length=50)
    max_uses: int | None = None
    enabled: bool | None = None
    never_expires: bool | None = None


class LinkWorkspace(BaseModel):
    """The workspace a link leads to, by name only (its id is not for strangers)."""

    name: str


class LinkPreviewRead(BaseModel):
    kind: Literal["portal", "workspace"]
    portal: PortalRef
    workspace: LinkWorkspace | None
    user_type: Literal["internal", "client"] | None
    password_required: bool
    # Whether only some email domains may use the link; which ones is not told to whoever holds
    # the link (a partner's domain, say).
    domain_restricted: bool
    expires_at: datetime | None

    @classmethod
    def of(cls, p: LinkPreview) -> LinkPreviewRead:
        link = p.link
        return cls(
            kind=link.kind,
            portal=PortalRef.of(p.portal),
            workspace=LinkWorkspace(name=p.workspace_name) if p.workspace_name else None,
            user_type=link.user_type if link.kind == "portal" else None,
            password_required=p.password_required,
            domain_restricted=bool(link.allowed_domains),
            expires_at=link.expires_at,
        )


class LinkSignupCreate(BaseModel):
    # Unknown fields (a role or user type, say) are ignored: they come from the link.
    model_config = ConfigDict(extra="ignore")

    email: str
    name: str
    password: str | None = Field(
        default=None, max_length=256, description="Ignored: a password is chosen on confirming."
    )


class LinkSignupAccepted(BaseModel):
    status: Literal["confirmation_sent"] = "confirmation_sent"
    email: str
    detail: str


class LinkSignupRead(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    user_type: str
    role: str
    status: Literal["pending", "confirmed", "expired", "superseded", "removed"]
    outcome: str | None
    created_at: datetime
    sent_at: datetime = Field(
        description="When its newest confirmation email was asked for: at sign-up, or a resend."
    )
    expires_at: datetime
    confirmed_at: datetime | None
    delivery: DeliveryRead = Field(description="Its newest confirmation email's delivery.")

    @classmethod
    def of(cls, s: LinkSignup, confirmation: Delivered | None) -> LinkSignupRead:
        """``confirmation``: its newest confirmation email (``people.results.signup_reads``)."""
        return cls(
            id=s.id,
            email=s.email,
            name=s.name,
            user_type=s.user_type,
            role=s.role,
            status=s.shown_status(),
            outcome=s.outcome,
            created_at=s.created_at,
            sent_at=s.sent_at,
            expires_at=s.expires_at,
            confirmed_at=s.confirmed_at,
            delivery=DeliveryRead(**delivery_status(confirmation)),
        )


class LinkSignupPage(BaseModel):
    items: list[LinkSignupRead]
    next_cursor: str | None


class ConfirmationPreview(BaseModel):
    """What a sign-up confirmation link is for; opening it never uses it up."""

    portal: PortalRef
    email: str
    name: str
    password_required: bool
    already_member: bool = Field(
        False,
        description="The address is an active member already: confirming signs them in, nothing changes.",
    )
    sign_in_required: bool = Field(
        False,
        description="The address has an account with a password, not the one signed in: sign in to confirm.",
    )


class ConfirmResponse(BaseModel):
    outcome: Literal["joined", "invitation_completed", "already_member"]
    user: UserRead
    member: MemberRead
    portal: PortalRef
    csrf_token: str
