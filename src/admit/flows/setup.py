"""Setting a portal up: the portal, its owner and an admin API key (first run, ``admit init``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from admit import context
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.auth import service as auth_service
from admit.errors import AlreadySetUp, Checks, InvalidInput, PortalExists
from admit.members import service as members_service
from admit.members.addresses import normalize_email
from admit.members.models import VIA_SETUP, User
from admit.members.passwords import check_strength, hash_password, verify_password
from admit.policy import ALL_PRODUCTS, Role, UserType
from admit.portals import service as portals_service
from admit.portals.models import Portal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["create_portal"]


def create_portal(
    session: Session,
    *,
    name: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    first_run: bool = False,
    another: bool = True,
    ip: str | None = None,
    api_key: bool = True,
) -> tuple[Portal, User, str | None]:
    """Create a portal, its owner and an admin API key; returns (portal, owner, raw api key).

    ``first_run`` refuses when any portal exists (the setup page must not be reusable);
    ``another=False`` when the account already owns a portal of this name (a headless setup run a
    second time, which would otherwise make ``acme-inc-2``). An
    existing account's password is never changed: the owner must already know it. ``api_key``
    False (the setup page, where nobody would see it): no key; one is made in Settings → API
    keys when wanted.
    """
    if first_run and portals_service.any_portal(session):
        raise AlreadySetUp("Admit is already set up. Sign in instead.")
    checks = Checks()  # every field checked before any is refused: the form says all that is wrong
    with checks.of("portal_name"):
        name = portals_service.check_name(name)
    email = ""
    with checks.of("owner_email"):
        email = _owner_email(owner_email)
    user = members_service.get_user_by_email(session, email) if email else None
    if user is None:
        min_length = context.of(session).settings.password_min_length
        with checks.of("owner_password", renamed=True):
            check_strength(owner_password, min_length=min_length, address=email or None)
    elif user.password_hash is None or not verify_password(user.password_hash, owner_password):
        with checks.of("owner_password"):
            raise InvalidInput("This email already has an account; give its current password.")
    checks.done()
    if user is not None and not another:
        for owned, member in members_service.memberships_of(session, user):
            if member.role == Role.OWNER and owned.name.casefold() == name.casefold():
                raise PortalExists(f"{email} already owns the portal “{owned.name}” ({owned.slug}).")
    if user is None:
        user = members_service.add_user(
            session, email, name=(owner_name or "").strip()[:200], password_hash=hash_password(owner_password)
        )
    portal = portals_service.new_portal(session, name)
    owner = members_service.activate(
        session,
        portal_id=portal.id,
        user_id=user.id,
        user_type=UserType.INTERNAL,
        role=Role.OWNER,
        products=list(ALL_PRODUCTS),
        via=VIA_SETUP,
    )
    actor = Actor(portal=portal, role=Role.OWNER, user=user, member=owner, ip=ip)
    audit_service.record(
        session, actor, "portal.created", target_type="portal", target_id=portal.id, target_label=name
    )
    raw_key = None
    if api_key:
        raw_key, _key = auth_service.issue_api_key(session, actor, name="default")  # audited as any key
    session.flush()
    return portal, user, raw_key


def _owner_email(raw: str | None) -> str:
    """The owner's address, normalised; refused (``owner_email``) when it is not one."""
    email, error = normalize_email(raw or "")
    if email is None:
        raise InvalidInput(error or "This email address is not valid.", field="owner_email")
    return email
