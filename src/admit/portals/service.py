"""Portals: first-run setup, lookup by slug, settings."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.auth import service as auth_service
from admit.errors import Conflict, InvalidInput, NotFound
from admit.kit import clock
from admit.members.addresses import normalize_email
from admit.members.models import Member, User
from admit.members.passwords import check_strength, hash_password, verify_password
from admit.members.service import ACTIVE, get_user_by_email
from admit.policy import Role, UserType
from admit.portals.models import (
    ALL_PRODUCTS,
    MAX_INVITATION_TTL,
    MIN_INVITATION_TTL,
    Portal,
)

__all__ = [
    "any_portal",
    "create_portal",
    "get_by_slug",
    "get_by_slug_or_raise",
    "memberships_of",
    "operator_actor",
    "update_settings",
]


def any_portal(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Portal.id.is_not(None)))))


def get_by_slug(session: Session, slug: str) -> Portal | None:
    return session.scalar(select(Portal).where(Portal.slug == slug))


def get_by_slug_or_raise(session: Session, slug: str) -> Portal:
    portal = get_by_slug(session, slug)
    if portal is None:
        raise NotFound("No such portal.", code="portal_not_found")
    return portal


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


def create_portal(
    session: Session,
    *,
    name: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    password_min_length: int = 10,
    first_run: bool = False,
    ip: str | None = None,
) -> tuple[Portal, User, str]:
    """Create a portal, its owner and an admin API key; returns (portal, owner, raw api key).

    ``first_run`` refuses when any portal exists (the setup page must not be reusable). An
    existing account's password is never changed: the owner must already know it.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput("The portal needs a name.", field="portal_name")
    if len(name) > 200:
        raise InvalidInput("The portal name is at most 200 characters.", field="portal_name")
    email, error = normalize_email(owner_email or "")
    if email is None:
        raise InvalidInput(f"The owner's email is not valid: {error}", field="owner_email")
    if first_run and any_portal(session):
        raise Conflict("Admit is already set up. Sign in instead.", code="already_set_up")
    user = get_user_by_email(session, email)
    if user is None:
        check_strength(owner_password, min_length=password_min_length, email=email)
        user = User(
            email=email, name=(owner_name or "").strip()[:200], password_hash=hash_password(owner_password)
        )
        session.add(user)
    elif user.password_hash is None or not verify_password(user.password_hash, owner_password):
        raise InvalidInput(
            "This email already has an account; give its current password.", field="owner_password"
        )
    portal = Portal(slug=_unique_slug(session, name), name=name, enabled_products=list(ALL_PRODUCTS))
    session.add(portal)
    session.flush()
    owner = Member(
        portal_id=portal.id,
        user_id=user.id,
        user_type=UserType.INTERNAL,
        role=Role.OWNER,
        status=ACTIVE,
        products=list(ALL_PRODUCTS),
        activated_at=clock.now(),
    )
    session.add(owner)
    raw_key, key = auth_service.create_api_key(
        session, portal_id=portal.id, name="default", role=Role.ADMIN, created_by_id=user.id
    )
    actor = Actor(portal=portal, role=Role.OWNER, user=user, member=owner, ip=ip)
    audit_service.record(
        session, actor, "portal.created", target_type="portal", target_id=portal.id, target_label=name
    )
    audit_service.record(
        session, actor, "api_key.created", target_type="api_key", target_id=key.id, target_label=key.prefix
    )
    session.flush()
    return portal, user, raw_key


def operator_actor(session: Session, slug: str, *, ip: str = "cli") -> Actor:
    """The actor for an operator at the console (the CLI): the portal's first active owner."""
    portal = get_by_slug_or_raise(session, slug)
    owner = session.scalar(
        select(Member)
        .where(Member.portal_id == portal.id, Member.role == Role.OWNER, Member.status == ACTIVE)
        .order_by(Member.created_at)
        .limit(1)
    )
    return Actor(portal=portal, role=Role.OWNER, user=owner.user if owner else None, member=owner, ip=ip)


def memberships_of(session: Session, user: User) -> list[tuple[Portal, Member]]:
    """The portals where ``user`` is an active member."""
    rows = session.execute(
        select(Portal, Member)
        .join(Member, Member.portal_id == Portal.id)
        .where(Member.user_id == user.id, Member.status == ACTIVE)
        .order_by(Portal.name)
    )
    return [(p, m) for p, m in rows]


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
    changes: dict[str, list] = {}
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
