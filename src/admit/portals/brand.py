"""A portal's brand as pages and emails show it: its name, its logo and its colour.

Pages and emails name the portal, never the product (issue 11): the logo when there is one (its
alt text the portal's name), else the name as a wordmark; buttons in the brand colour with text
that reads on it (``kit.brand``). Without a colour the default accent is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from admit import context
from admit.kit.brand import Brand

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.portals.models import Portal

__all__ = ["Brand", "email_context", "for_message", "logo_path", "of"]


def logo_path(slug: str, key: str) -> str:
    """The logo's public path (``pages.portals`` serves it): a new image is a new path."""
    return f"/brand/{slug}/logo-{key}"


def logo_url(portal: Portal, base_url: str = "") -> str | None:
    """``base_url`` + the portal's logo path (absolute for emails, a bare path for pages), or
    None without a logo."""
    return f"{base_url}{logo_path(portal.slug, portal.logo_key)}" if portal.logo_key else None


def of(portal: Portal, *, base_url: str = "") -> Brand:
    """The portal's brand, its logo at ``logo_url``."""
    return Brand.build(name=portal.name, logo_url=logo_url(portal, base_url), color=portal.brand_color)


def email_context(portal: Portal, public_url: str) -> dict[str, Any]:
    """What a message's context carries of the brand (JSON, kept on the outbox row); the
    renderer works out the rest (``notifications.render``). Cheap: an import asks it per row."""
    return {
        "name": portal.name,
        "logo_url": logo_url(portal, public_url.rstrip("/")),
        "color": portal.brand_color,
    }


def for_message(session: Session, portal: Portal) -> dict[str, Any]:
    """``email_context`` with the public URL of the unit of work ``session`` belongs to."""
    return email_context(portal, context.of(session).settings.public_url)
