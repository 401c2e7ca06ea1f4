"""Portals: the tenants. Looking one up by slug, making one, changing its settings.

Setting a portal up with its owner (first run, ``admit init``) is ``flows.setup``.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.errors import InvalidInput, PortalNotFound
from admit.portals.models import (
    ALL_PRODUCTS,
    MAX_INVITATION_TTL,
    MIN_INVITATION_TTL,
    Portal,
)

__all__ = [
    "ALL_PRODUCTS",
    "any_portal",
    "check_name",
    "by_ids",
    "get",
    "get_by_slug",
    "get_by_slug_or_raise",
    "get_or_raise",
    "lock",
    "new_portal",
    "still_enabled",
    "update_settings",
]

MAX_NAME = 200


def any_portal(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Portal.id.is_not(None)))))


def get_by_slug(session: Session, slug: str) -> Portal | None:
    return session.scalar(select(Portal).where(Portal.slug == slug))


def get_by_slug_or_raise(session: Session, slug: str) -> Portal:
    portal = get_by_slug(session, slug)
    if portal is None:
        raise PortalNotFound("No such portal.")
    return portal


def get(session: Session, portal_id: uuid.UUID) -> Portal | None:
    return session.get(Portal, portal_id)


def get_or_raise(session: Session, portal_id: uuid.UUID) -> Portal:
    """The portal a row belongs to (its foreign key says there is one; ``PortalNotFound`` if not)."""
    portal = get(session, portal_id)
    if portal is None:
        raise PortalNotFound("No such portal.")
    return portal


def by_ids(session: Session, portal_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Portal]:
    """``{portal_id: Portal}`` for the given ids (one query)."""
    ids = list(set(portal_ids))
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Portal).where(Portal.id.in_(ids)))}


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:50]
    return slug or "portal"


def _unique_slug(session: Session, name: str) -> str:
    base = _slugify(name)
    slug, n = base, 1
    while get_by_slug(session, slug) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def lock(session: Session, portal: Portal) -> Portal:
    """Re-read the portal under a row lock (PostgreSQL; SQLite's write lock already serialises
    writers): take it before counting something the portal limits, and keep it to the end."""
    session.refresh(portal, with_for_update=True)
    return portal


def check_name(name: str | None) -> str:
    """A portal's name, trimmed; refused (naming the field) when empty or too long."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("The portal needs a name.", field="portal_name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"The portal name is at most {MAX_NAME} characters.", field="portal_name")
    return name


def new_portal(session: Session, name: str) -> Portal:
    """Make a portal named ``name`` (checked with ``check_name``), every product enabled, with a
    slug of its own; flushed."""
    portal = Portal(slug=_unique_slug(session, name), name=name, enabled_products=list(ALL_PRODUCTS))
    session.add(portal)
    session.flush()
    return portal


def still_enabled(portal: Portal, products: Iterable[str]) -> list[str]:
    """Those of ``products`` the portal still has enabled, in the portal's order: what joining
    grants (a product turned off after an invitation was sent is not given with it)."""
    wanted = set(products)
    return [p for p in portal.enabled_products if p in wanted]


def update_settings(
    session: Session,
    actor: Actor,
    *,
    invitation_ttl_seconds: int | None = None,
    enabled_products: list[str] | None = None,
    client_require_password: bool | None = None,
) -> Portal:
    """Change portal settings; each change is audited with its old and new value."""
    policy.require(actor.role, policy.Action.PORTAL_SETTINGS)
    portal = actor.portal
    changes: dict[str, list[Any]] = {}
    if invitation_ttl_seconds is not None:
        if not MIN_INVITATION_TTL <= invitation_ttl_seconds <= MAX_INVITATION_TTL:
            raise InvalidInput(
                "The invitation lifetime must be between 1 hour and 30 days.",
                field="invitation_ttl_seconds",
            )
        changes["invitation_ttl_seconds"] = [portal.invitation_ttl_seconds, invitation_ttl_seconds]
        portal.invitation_ttl_seconds = invitation_ttl_seconds
    if enabled_products is not None:
        unknown = sorted(set(enabled_products) - set(ALL_PRODUCTS))
        if unknown:
            raise InvalidInput(
                f"Unknown product(s): {', '.join(unknown)}. Known: {', '.join(ALL_PRODUCTS)}.",
                field="enabled_products",
            )
        products = [p for p in ALL_PRODUCTS if p in enabled_products]
        changes["enabled_products"] = [portal.enabled_products, products]
        portal.enabled_products = products
    if client_require_password is not None:
        changes["client_require_password"] = [portal.client_require_password, client_require_password]
        portal.client_require_password = client_require_password
    if changes:
        audit_service.record(
            session,
            actor,
            "portal.settings_changed",
            target_type="portal",
            target_id=portal.id,
            target_label=portal.name,
            detail=changes,
        )
    session.flush()
    return portal
