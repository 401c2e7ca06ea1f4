from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock
from admit.policy import ALL_PRODUCTS

DEFAULT_INVITATION_TTL = 7 * 24 * 3600
MIN_INVITATION_TTL = 3600
MAX_INVITATION_TTL = 30 * 24 * 3600
# Reminders of a pending invitation (Settings): how many, evenly spread over its lifetime (one
# third and two thirds for two, half way for one); 0 turns them off.
DEFAULT_INVITATION_REMINDERS = 2
# Texts a portal may send a day (SMS cost money and attract pumping fraud): Settings → SMS.
DEFAULT_SMS_DAILY_BUDGET = 100
MAX_SMS_DAILY_BUDGET = 100_000
MAX_INVITATION_REMINDERS = 2
DEFAULT_SIGN_IN_LINK_MINUTES = 15
MIN_SIGN_IN_LINK_MINUTES, MAX_SIGN_IN_LINK_MINUTES = 5, 7 * 24 * 60


class Portal(Base):
    """One company's space (a tenant)."""

    __tablename__ = "portals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    invitation_ttl_seconds: Mapped[int] = mapped_column(Integer, default=DEFAULT_INVITATION_TTL)
    enabled_products: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(ALL_PRODUCTS))
    client_require_password: Mapped[bool] = mapped_column(Boolean, default=False)
    invitation_reminders: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_INVITATION_REMINDERS, server_default=str(DEFAULT_INVITATION_REMINDERS)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Brand (Settings): a ``#rrggbb`` accent, and the logo's file name in its public URL
    # (``logo-<hash>.png``: a new logo is a new URL, so the old one may be cached for good).
    brand_color: Mapped[str | None] = mapped_column(String(7))
    logo_key: Mapped[str | None] = mapped_column(String(40))
    # Texts (Settings → SMS): the countries whose numbers may be texted (ISO 3166 codes; empty:
    # the deployment's ADMIT_DEFAULT_PHONE_REGION only), and how many texts a day at most.
    sms_countries: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    sms_daily_budget: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_SMS_DAILY_BUDGET, server_default=str(DEFAULT_SMS_DAILY_BUDGET)
    )
    # Sign-in policy (Settings; applied by ``auth.gate``), for clients and internal users apart.
    # Internal users always have a password; clients only when ``client_require_password``.
    client_require_2fa: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    internal_require_2fa: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    client_sign_in_link_minutes: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_SIGN_IN_LINK_MINUTES, server_default=str(DEFAULT_SIGN_IN_LINK_MINUTES)
    )
    internal_sign_in_link_minutes: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_SIGN_IN_LINK_MINUTES, server_default=str(DEFAULT_SIGN_IN_LINK_MINUTES)
    )
    # When the policy last changed: it applies to sessions begun after (each person's next
    # sign-in); a session begun before goes on as it was until it ends.
    sign_in_policy_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What a SCIM client's new (active) user gets: an invitation, or "quiet" (made a member
    # without an email; they sign in when they come).
    scim_new_users: Mapped[str] = mapped_column(String(16), default="invite", server_default="invite")
    # What a SCIM client's new people get (Settings → SCIM); none, as the Invite box, unless chosen.
    scim_products: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # An IANA zone (``Europe/Paris``): actions' due dates are days here, and reminders go out then.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")


class PortalLogo(Base):
    """A portal's logo image (PNG or JPEG), apart from ``portals`` so that reading a portal, as
    every request does, never loads the image."""

    __tablename__ = "portal_logos"

    portal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("portals.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
