"""Invite links: the portal's shareable link and each workspace's link.

Vocabulary:

- **link**: one row per portal and one per workspace (``InviteLink``). Copy shows its URL,
  Refresh gives it a new secret (the previous URL stops working at once), the policy says who
  joins as what (user type, role), until when, from which email domains, and how many times.
- **gone**: unknown, refreshed, expired, disabled and used-up links all answer the public the
  same way (410 ``link_gone``), so a link's history is not revealed. ``link_used_up`` is only
  the answer of a sign-up that lost the race for the last place.

What comes through a link lives elsewhere: sign-ups (portal links) in ``links.signups``, join
requests (workspace links) in ``workspaces.join_requests``; the flows that join them to
workspaces and invitations in ``admit.flows``.

The secret: a link's URL token is ``HMAC-SHA256(secret key, link id + nonce)``, 256 bits. The
database keeps its SHA-256 and the nonce, never the token; with the server's secret key the
page can show the URL again for Copy Link (it must, every time the modal opens), and a stolen
database alone opens nothing. Refresh draws a new nonce. If the secret key is changed, the
stored hash no longer matches and the URL is reported as unavailable until the next Refresh.
(A link is reusable, so it is not one of ``admit.tokens``' single-use secrets.)

Every function here is one unit of change in the caller's transaction: it checks permissions
through ``policy``, writes and records an audit event. Nothing here commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import new_id
from admit.errors import Checks, Gone, InvalidInput, LinkGone, LinkNotFound, LinkUsedUp, at_most_characters
from admit.kit.tokens import hash_token
from admit.links.domains import domains_told, normalize_domains
from admit.links.models import CONFIRMED, PENDING, InviteLink, LinkSignup
from admit.links.views import LinkPreview, LinkView
from admit.members import service as members_service
from admit.members.addresses import company_domain, normalize_email
from admit.policy import Role, UserType
from admit.portals import service as portals_service
from admit.portals.sign_in import password_required

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.portals.models import Portal

__all__ = [
    "MAX_NAME",
    "UNSET",
    "clean_email",
    "clean_person",
    "clean_name",
    "gone",
    "link_url",
    "live_link_or_raise",
    "hold",
    "open_portal_link",
    "open_workspace_link",
    "portal_link",
    "preview",
    "rate_limits",
    "refresh_portal_link",
    "refresh_workspace_link",
    "update_portal_link",
    "update_workspace_link",
    "PortalLinkSettings",
    "WorkspaceLinkSettings",
    "places_taken",
    "require_place",
    "state",
    "waiting",
    "workspace_link",
]

MAX_NAME = 200
MIN_LIFETIME = 3600
MAX_LIFETIME = 365 * 24 * 3600
DEFAULT_LIFETIME = 10 * 24 * 3600  # seed 002: an invitation link is valid 10 days
MAX_USES = 100_000
MAX_DOMAINS = 50
_TOKEN_CONTEXT = b"admit.invite-link.v1|"


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


# --- the secret ------------------------------------------------------------------------


def _derive_token(link: InviteLink, secret_key: str) -> str:
    key = secret_key.encode()
    mac = hmac.new(key, _TOKEN_CONTEXT + link.id.bytes + bytes.fromhex(link.token_nonce), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def _new_secret(session: Session, link: InviteLink) -> None:
    link.token_nonce = secrets.token_hex(32)
    link.token_hash = hash_token(_derive_token(link, context.of(session).settings.secret_key))


def link_url(session: Session, link: InviteLink) -> str | None:
    """The link's URL, or None when it cannot be rebuilt (the secret key changed: Refresh)."""
    settings = context.of(session).settings
    token = _derive_token(link, settings.secret_key)
    if not hmac.compare_digest(hash_token(token), link.token_hash):
        return None
    return f"{settings.public_url}/join/{token}"


# --- reading a link's state ------------------------------------------------------------


# A link, a link's class (a SELECT that joins the sign-up's link) or its secret's hash as a
# named parameter (a statement kept: ``_card_counts``).
Linked = InviteLink | type[InviteLink] | BindParameter[Any]


def _on_this_secret(link: Linked) -> ColumnElement[bool]:
    """A sign-up made with the link's current secret (a refresh leaves earlier ones behind)."""
    return LinkSignup.link_token_hash == (link if isinstance(link, BindParameter) else link.token_hash)


def waiting(link: Linked, now: datetime | BindParameter[Any]) -> ColumnElement[bool]:
    """A sign-up waiting for its confirmation on the link's current secret (unexpired, not yet
    confirmed): the link card's "pending" and User Management's pending sign-ups alike. With
    the class (``InviteLink``), the condition for a SELECT that joins the sign-up's link."""
    return and_(_on_this_secret(link), LinkSignup.status == PENDING, LinkSignup.expires_at > now)


def _taken(link: Linked, now: datetime | BindParameter[Any]) -> ColumnElement[bool]:
    """A place taken on the link: a confirmed sign-up (by any secret the link has had: Refresh
    Link gives no places back, so places taken are never fewer than joined), or one waiting to
    confirm on the current secret (a refresh frees it: it can no longer confirm)."""
    return or_(waiting(link, now), LinkSignup.status == CONFIRMED)


def places_taken(session: Session, link: InviteLink, now: datetime) -> int:
    """Places taken on the link: every confirmed sign-up, and the current secret's unexpired
    pending ones (``_taken``)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(LinkSignup)
            .where(LinkSignup.link_id == link.id, _taken(link, now))
        )
        or 0
    )


def state(session: Session, link: InviteLink, now: datetime, uses: int | None = None) -> str:
    if not link.enabled:
        return "disabled"
    if link.expires_at is not None and link.expires_at <= now:
        return "expired"
    # A workspace link's places are its join requests, which its caller counts (``uses``).
    if link.max_uses is not None and (uses is not None or link.workspace_id is None):
        if uses is None:
            uses = places_taken(session, link, now)
        if uses >= link.max_uses:
            return "used_up"
    return "active"


@cache
def _card_counts() -> Select[int, int, int]:
    """A link's places taken, joined (by any secret it has had) and pending: built once, asked
    for a link and a time (``b_link``, ``b_hash``, ``b_now``). Made on first use, once the
    columns' types are known (a parameter takes the type of the column it is compared with)."""
    secret: BindParameter[Any] = bindparam("b_hash")
    now: BindParameter[Any] = bindparam("b_now")
    return select(
        func.count().filter(_taken(secret, now)),
        func.count().filter(LinkSignup.status == CONFIRMED),
        func.count().filter(waiting(secret, now)),
    ).where(LinkSignup.link_id == bindparam("b_link"))


@cache
def _portal_card() -> Select[InviteLink, int, int, int]:
    """A portal's link with its card's counts (``_card_counts``: places taken, joined, pending)
    in one read, its sign-ups joined and counted by the link: built once, asked for a portal and
    a time (``b_portal``, ``b_now``). No row: the portal has no link yet."""
    now: BindParameter[Any] = bindparam("b_now")
    counted = LinkSignup.id  # a link with no sign-up joins one row of NULLs: counted as none
    return (
        select(
            InviteLink,
            func.count(counted).filter(_taken(InviteLink, now)),
            func.count(counted).filter(LinkSignup.status == CONFIRMED),
            func.count(counted).filter(waiting(InviteLink, now)),
        )
        .outerjoin(LinkSignup, LinkSignup.link_id == InviteLink.id)
        .where(InviteLink.portal_id == bindparam("b_portal"), InviteLink.workspace_id.is_(None))
        .group_by(InviteLink.id)
    )


def _view(session: Session, link: InviteLink, counts: tuple[int, int, int] | None = None) -> LinkView:
    """``counts`` (uses, joined, pending): read here unless the caller has them (a workspace
    link's come from its join requests, ``workspaces.join_requests.counts``; a portal link's
    with the link, ``_portal_card``)."""
    now = context.of(session).clock.now()
    if counts is None:
        taken, joined, pending = session.execute(
            _card_counts(), {"b_link": link.id, "b_hash": link.token_hash, "b_now": now}
        ).one()
    else:
        taken, joined, pending = counts
    return LinkView(
        link=link,
        url=link_url(session, link),
        state=state(session, link, now, taken),
        uses=taken,
        joined=joined,
        pending=pending,
    )


def gone() -> Gone:
    return LinkGone(
        "This invite link no longer works. It may have expired, reached its limit or been replaced "
        "by a newer one. Ask the person who shared it for the current link."
    )


# --- managing links --------------------------------------------------------------------


def _find(session: Session, portal_id: uuid.UUID, workspace_id: uuid.UUID | None) -> InviteLink | None:
    if workspace_id is None:
        return session.scalar(_finds()[0], {"b_portal": portal_id})
    return session.scalar(_finds()[1], {"b_portal": portal_id, "b_workspace": workspace_id})


@cache
def _finds() -> tuple[Select[InviteLink], Select[InviteLink]]:
    """A portal's link and a workspace's, built once (every User Management page asks)."""
    query = select(InviteLink).where(InviteLink.portal_id == bindparam("b_portal"))
    return (
        query.where(InviteLink.workspace_id.is_(None)),
        query.where(InviteLink.workspace_id == bindparam("b_workspace")),
    )


def _company_domains(actor: Actor) -> list[str]:
    """A new portal link's allowed domains: the company's (seed 002: the link "can only be used
    with email addresses with your company's domain"), read off whoever made it (an API key: its
    maker); none, so any address, when that is a personal mail service's (gmail.com)."""
    person = actor.user or (actor.api_key.created_by if actor.api_key is not None else None)
    domain = company_domain(person.email if person is not None else None)
    return [domain] if domain else []


def _existing(session: Session, actor: Actor, workspace_id: uuid.UUID | None = None) -> InviteLink:
    """The portal's (or a workspace's) link; ``LinkNotFound`` before it is made: reading one
    never makes it."""
    link = _find(session, actor.portal.id, workspace_id)
    if link is None:
        where = "this workspace" if workspace_id else "this portal"
        raise LinkNotFound(f"There is no invite link for {where} yet. Make one (POST this path).")
    return link


def _get_or_create(
    session: Session, actor: Actor, workspace_id: uuid.UUID | None = None, label: str | None = None
) -> InviteLink:
    """``_made``'s link."""
    return _made(session, actor, workspace_id, label)[0]


def _made(
    session: Session, actor: Actor, workspace_id: uuid.UUID | None = None, label: str | None = None
) -> tuple[InviteLink, bool]:
    """The portal's (or a workspace's) link, made if there is none (and whether this call made
    it). Two first uses at once make one.

    A portal's link starts turned off, with the default lifetime (10 days) that starts when an
    owner or admin turns it on: showing User Management must not open the portal to anyone
    holding a URL nobody chose to share. (A workspace's link only lets people ask to join, which
    someone must approve, so it starts on.)"""
    link = _find(session, actor.portal.id, workspace_id)
    if link is not None:
        return link, False
    now = context.of(session).clock.now()
    is_portal = workspace_id is None
    link = InviteLink(
        id=new_id(),
        portal_id=actor.portal.id,
        workspace_id=workspace_id,
        user_type=UserType.INTERNAL,
        role=Role.MEMBER,
        allowed_domains=_company_domains(actor) if is_portal else [],
        lifetime_seconds=DEFAULT_LIFETIME if is_portal else None,
        enabled=not is_portal,
        created_by_id=actor.user_id,
        created_at=now,
        refreshed_at=now,
    )
    _new_secret(session, link)
    try:
        with session.begin_nested():
            session.add(link)
            session.flush()
    except IntegrityError:
        existing = _find(session, actor.portal.id, workspace_id)
        if existing is None:
            raise
        return existing, False
    audit_service.record(
        session,
        actor,
        "invite_link.created",
        target_type="invite_link",
        target_id=link.id,
        target_label=label or actor.portal.name,
        detail={"kind": link.kind},
    )
    session.flush()
    return link, True


def portal_link(session: Session, actor: Actor) -> LinkView:
    """The portal's invite link, with its URL and counts; ``LinkNotFound`` before it is made
    (``open_portal_link``)."""
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    return _view(session, _existing(session, actor))


def open_portal_link(session: Session, actor: Actor) -> tuple[LinkView, bool]:
    """The portal's invite link, made (turned off, audited) if there is none, and whether this
    call made it: what the pages that show it and ``POST …/link`` do."""
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    now = context.of(session).clock.now()
    found = session.execute(_portal_card(), {"b_portal": actor.portal.id, "b_now": now}).one_or_none()
    if found is not None:  # (every User Management page: the link and its counts in one read)
        link, taken, joined, pending = found
        return _view(session, link, (taken, joined, pending)), False
    link, made = _made(session, actor)
    return _view(session, link), made


def _refresh(session: Session, actor: Actor, link: InviteLink, label: str) -> None:
    """A new secret: the previous URL matches nothing from now on, and its unconfirmed sign-ups
    can no longer be confirmed (they were made with the old secret)."""
    now = context.of(session).clock.now()
    _new_secret(session, link)
    link.refreshed_at = now
    if link.lifetime_seconds:
        link.expires_at = now + timedelta(seconds=link.lifetime_seconds)
    elif link.expires_at is not None and link.expires_at <= now:
        # A fixed expiry that has passed: the new link gets the default lifetime (never "no
        # expiry", which only ``never_expires`` chooses).
        link.expires_at = now + timedelta(seconds=DEFAULT_LIFETIME)
    audit_service.record(
        session,
        actor,
        "invite_link.refreshed",
        target_type="invite_link",
        target_id=link.id,
        target_label=label,
        detail={"kind": link.kind, "expires_at": link.expires_at.isoformat() if link.expires_at else None},
    )
    session.flush()


def refresh_portal_link(session: Session, actor: Actor) -> LinkView:
    """Refresh Link: a new URL at once; the previous one stops working for everyone.

    The new link starts with the policy's lifetime (or keeps a fixed expiry still ahead).
    """
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    link = _get_or_create(session, actor)
    _refresh(session, actor, link, actor.portal.name)
    return _view(session, link)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def check_lifetime(seconds: int, *, in_days: bool = False) -> None:
    """A link's lifetime is 1 hour to 365 days (``MIN_LIFETIME``, ``MAX_LIFETIME``), else
    ``InvalidInput`` naming ``lifetime_seconds``. ``in_days``: said for a form that asks in whole
    days (1 to 365: no whole day is under an hour)."""
    if MIN_LIFETIME <= seconds <= MAX_LIFETIME:
        return
    least = "1" if in_days else "1 hour"
    raise InvalidInput(
        f"The link's lifetime must be between {least} and {MAX_LIFETIME // (24 * 3600)} days.",
        field="lifetime_seconds",
    )


def _lifetime(
    new: dict[str, Any],
    link: InviteLink,
    now: datetime,
    *,
    lifetime_seconds: int | None | Any,
    expires_at: datetime | None | Any,
    never_expires: bool | Any,
    was_never: bool,
) -> None:
    """``update_portal_link``'s lifetime, expiry and never-expires, checked and noted in ``new``."""
    if lifetime_seconds is not UNSET and expires_at is not UNSET:
        raise InvalidInput("Give lifetime_seconds or expires_at, not both.", field="expires_at")
    if never_expires is not UNSET and not isinstance(never_expires, bool):
        raise InvalidInput("never_expires must be true or false.", field="never_expires")
    if never_expires is True and (lifetime_seconds not in (UNSET, None) or expires_at not in (UNSET, None)):
        raise InvalidInput(
            "A link that never expires has no lifetime or expiry: give never_expires alone.",
            field="never_expires",
        )
    if never_expires is True:
        new.update(lifetime_seconds=None, expires_at=None)
    if lifetime_seconds is not UNSET and never_expires is not True:
        if lifetime_seconds is None:
            raise InvalidInput(
                "Give the link's lifetime (1 hour to 365 days); a link without expiry is chosen with "
                "never_expires: true.",
                field="lifetime_seconds",
            )
        check_lifetime(lifetime_seconds)
        new["lifetime_seconds"] = lifetime_seconds
        # The lifetime the link already has is no change: saving it again (a form sends every
        # field) must not restart the expiry; only a new lifetime (or Refresh) does.
        if lifetime_seconds != link.lifetime_seconds or link.expires_at is None:
            new["expires_at"] = now + timedelta(seconds=lifetime_seconds)
    if expires_at is not UNSET and never_expires is not True:
        if expires_at is None:
            raise InvalidInput(
                "Give the link's expiry; a link without expiry is chosen with never_expires: true.",
                field="expires_at",
            )
        expires_at = _as_utc(expires_at)
        if expires_at <= now:
            raise InvalidInput("expires_at must be in the future.", field="expires_at")
        if expires_at > now + timedelta(seconds=MAX_LIFETIME):
            raise InvalidInput("expires_at must be at most 365 days from now.", field="expires_at")
        new["expires_at"] = expires_at
    if never_expires is False and was_never and "lifetime_seconds" not in new and "expires_at" not in new:
        new.update(lifetime_seconds=DEFAULT_LIFETIME, expires_at=now + timedelta(seconds=DEFAULT_LIFETIME))


class WorkspaceLinkSettings(TypedDict, total=False):
    """What a link's settings change (``update_workspace_link``, ``update_portal_link``): those
    given."""

    lifetime_seconds: int | None
    expires_at: datetime | None
    never_expires: bool
    allowed_domains: list[str] | None
    max_uses: int | None
    enabled: bool


class PortalLinkSettings(WorkspaceLinkSettings, total=False):
    """A portal link's settings: a workspace link's, and who joins as what."""

    user_type: str
    role: str | None
    products: list[str] | None


def update_portal_link(
    session: Session, actor: Actor, *, faults: Checks | None = None, **settings: Unpack[PortalLinkSettings]
) -> LinkView:
    """Change the link's policy; only the fields given change, each audited old → new.

    ``lifetime_seconds`` (1 hour to 365 days) restarts the expiry from now; ``expires_at`` sets
    the current link's expiry directly, at most 365 days ahead (not both at once). A link
    without expiry is an explicit choice, ``never_expires=True`` (audited as such); a null
    lifetime or expiry is refused. ``never_expires=False`` on a link that never expires gives it
    the default lifetime (10 days) from now, unless a lifetime or expiry comes with it. Turning
    the link on starts its lifetime from now. A client link always grants the client role; an
    internal link grants member or admin, never owner. ``products``: what joining gives, each
    enabled in the portal (``portals.service.check_products``, the rule an invitation's follow).
    ``faults``: what the caller found wrong reading the request itself (a form's lifetime in
    days, a number that is none), refused with these, said after the lifetime's faults (where
    the form asks the lifetime).
    """
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    link = _get_or_create(session, actor)
    _update(session, actor, link, actor.portal.name, faults=faults, **settings)
    return _view(session, link)


def _update(
    session: Session,
    actor: Actor,
    link: InviteLink,
    label: str,
    *,
    user_type: str = UNSET,
    role: str | None = UNSET,
    lifetime_seconds: int | None = UNSET,
    expires_at: datetime | None = UNSET,
    allowed_domains: list[str] | None = UNSET,
    max_uses: int | None = UNSET,
    enabled: bool = UNSET,
    never_expires: bool = UNSET,
    products: list[str] | None = UNSET,
    faults: Checks | None = None,
) -> None:
    """A link's policy changed (``update_portal_link`` says how), checked all at once, audited."""
    now = context.of(session).clock.now()
    new: dict[str, Any] = {}

    checks = Checks()  # every fault at once, before anything changes
    with checks.of("user_type"):
        if user_type is not UNSET:
            policy.user_type_of(user_type)
            new["user_type"] = str(user_type)
    final_type = new.get("user_type", link.user_type)
    with checks.of("role"):
        if role is not UNSET and role not in (None, ""):
            if (fault := policy.client_role_fault(final_type, role)) is not None:
                raise InvalidInput(fault, field="role")
            if final_type == UserType.INTERNAL:
                policy.internal_role_of(role)
            policy.require_rule(policy.check_link_role(actor.role, role))
            new["role"] = str(role)
        elif final_type == UserType.CLIENT:
            new["role"] = str(Role.CLIENT)
        elif link.role == Role.CLIENT:
            new["role"] = str(Role.MEMBER)
        if new.get("role", link.role) != link.role:
            policy.require_rule(policy.check_link_role(actor.role, new["role"]))

    was_never = link.lifetime_seconds is None and link.expires_at is None
    with checks.of("lifetime_seconds"):
        _lifetime(
            new,
            link,
            now,
            lifetime_seconds=lifetime_seconds,
            expires_at=expires_at,
            never_expires=never_expires,
            was_never=was_never,
        )
    checks.extend(faults)

    if allowed_domains is not UNSET:
        domains = normalize_domains(allowed_domains or [], checks)  # each one wrong said
        with checks.of("allowed_domains"):
            if len(domains) > MAX_DOMAINS:
                raise InvalidInput(f"At most {MAX_DOMAINS} domains.", field="allowed_domains")
        new["allowed_domains"] = domains
    with checks.of("products"):
        if products is not UNSET:
            new["products"] = portals_service.check_products(actor.portal, products)
    with checks.of("max_uses"):
        if max_uses is not UNSET:
            if max_uses is not None and not 1 <= max_uses <= MAX_USES:
                raise InvalidInput(
                    f"The maximum number of sign-ups must be between 1 and {MAX_USES:,} (or none).",
                    field="max_uses",
                )
            new["max_uses"] = max_uses
    with checks.of("enabled"):
        if enabled is not UNSET:
            if not isinstance(enabled, bool):
                raise InvalidInput("enabled must be true or false.", field="enabled")
            new["enabled"] = enabled
            lifetime = new.get("lifetime_seconds", link.lifetime_seconds)
            if enabled and not link.enabled and lifetime and expires_at is UNSET:
                # Turned on: its lifetime runs from now (it may have waited, off, since it was made).
                new["expires_at"] = now + timedelta(seconds=lifetime)
    checks.done()

    changes = {
        key: [_jsonable(getattr(link, key)), _jsonable(value)]
        for key, value in new.items()
        if getattr(link, key) != value
    }
    if never_expires is not UNSET:
        now_never = new.get("lifetime_seconds", link.lifetime_seconds) is None and (
            new.get("expires_at", link.expires_at) is None
        )
        if now_never != was_never:
            changes["never_expires"] = [was_never, now_never]
    for key, value in new.items():
        setattr(link, key, value)
    if changes:
        audit_service.record(
            session,
            actor,
            "invite_link.policy_changed",
            target_type="invite_link",
            target_id=link.id,
            target_label=label,
            detail=changes,
        )
    session.flush()


def workspace_link(
    session: Session, actor: Actor, workspace_id: uuid.UUID, *, counts: tuple[int, int, int]
) -> LinkView:
    """A workspace's link; ``LinkNotFound`` before it is made (``open_workspace_link``). The
    caller has found the workspace (reachable by the actor) and counted its join requests
    (``flows.workspace_links``)."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)
    return _view(session, _existing(session, actor, workspace_id), counts)


def open_workspace_link(
    session: Session, actor: Actor, workspace_id: uuid.UUID, *, label: str, counts: tuple[int, int, int]
) -> tuple[LinkView, bool]:
    """A workspace's link, made (audited) if there is none, and whether this call made it."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)
    link, made = _made(session, actor, workspace_id, label)
    return _view(session, link, counts), made


def update_workspace_link(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    *,
    label: str,
    counts: tuple[int, int, int],
    faults: Checks | None = None,
    **settings: Unpack[WorkspaceLinkSettings],
) -> LinkView:
    """Change a workspace link's policy, by the portal link's rules (``update_portal_link``):
    on or off, lifetime or expiry, allowed domains, maximum (its places: join requests pending
    or approved, ``counts``). Who joins as what is chosen on approval, so it has no user type,
    role or products. The caller has found the workspace (``flows.workspace_links``)."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)
    link = _get_or_create(session, actor, workspace_id, label)
    _update(session, actor, link, label, faults=faults, **settings)
    return _view(session, link, counts)


def refresh_workspace_link(
    session: Session, actor: Actor, workspace_id: uuid.UUID, *, label: str, counts: tuple[int, int, int]
) -> LinkView:
    """Refresh a workspace's link; the previous one stops working for everyone at once."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)
    link = _get_or_create(session, actor, workspace_id, label)
    _refresh(session, actor, link, label)
    return _view(session, link, counts)


# --- the public side ------------------------------------------------------------------------


def live_link_or_raise(
    session: Session, token: str, *, taken: Callable[[InviteLink], int] | None = None
) -> InviteLink:
    """The live link of ``token``, else 410 ``link_gone``. ``taken``: a workspace link's places
    taken (its join requests, counted by the caller), for its maximum."""
    link = session.scalar(select(InviteLink).where(InviteLink.token_hash == hash_token(token or "")))
    if link is None:
        raise gone()
    uses = taken(link) if taken is not None and link.workspace_id is not None else None
    if state(session, link, context.of(session).clock.now(), uses) != "active":
        raise gone()
    return link


def _password_required(link: InviteLink, portal: Portal) -> bool:
    return link.workspace_id is None and password_required(portal, link.user_type)


def preview(
    session: Session,
    token: str,
    *,
    workspace_name: str | None = None,
    taken: Callable[[InviteLink], int] | None = None,
) -> LinkPreview:
    """What a live link shows; 410 ``link_gone`` for anything else. Never uses the link up.
    ``workspace_name``, ``taken``: a workspace link's workspace and places taken
    (``flows.workspace_links.preview``)."""
    link = live_link_or_raise(session, token, taken=taken)
    portal = portals_service.get_or_raise(session, link.portal_id)
    allowed = list(link.allowed_domains or [])
    return LinkPreview(
        link=link,
        portal=portal,
        workspace_name=workspace_name,
        password_required=_password_required(link, portal),
        domains_told=domains_told(
            allowed, members_service.internal_domains_among(session, portal.id, allowed)
        ),
    )


def rate_limits(session: Session, token: str, ip: str | None) -> None:
    """Per client address and per link, counted before anything else (a leaked link must not
    become a way to mail-bomb: every accepted attempt sends one email)."""
    ctx = context.of(session)
    message = "Too many sign-ups from here or through this link. Try again in {wait}."
    ctx.limiter.hit(f"link:ip:{ip}", ctx.settings.link_ip_rate_limit, message=message)
    ctx.limiter.hit(
        f"link:token:{hash_token(token or '')[:32]}", ctx.settings.link_rate_limit, message=message
    )


def clean_email(email: str | None) -> str:
    address, error = normalize_email(email or "")
    if address is None:
        # The reason is a sentence of its own ("The domain looks mistyped. Did you mean …?"),
        # shown under the field it names.
        raise InvalidInput(error or "The email address is not valid.", field="email")
    return address


def clean_name(name: str | None) -> str:
    clean = " ".join((name or "").split())
    if not clean:
        raise InvalidInput("Tell us your name.", field="name")
    if len(clean) > MAX_NAME:
        raise InvalidInput(at_most_characters(MAX_NAME, clean), field="name")
    return clean


def clean_person(email: str | None, name: str | None, faults: Checks | None = None) -> tuple[str, str]:
    """The address and name a link's form gives, checked together: what is wrong in either is
    refused at once, each under its field (``faults``: the caller's, said after them)."""
    checks = Checks()
    address = clean = ""
    with checks.of("email"):
        address = clean_email(email)
    with checks.of("name"):
        clean = clean_name(name)
    checks.extend(faults)
    checks.done()
    return address, clean


def hold(session: Session, link: InviteLink) -> InviteLink:
    """The link re-read under its row lock (PostgreSQL; SQLite's write lock is already held),
    ``gone`` if since it was read it was turned off, expired or refreshed. What comes through a
    link and takes a place on it (a portal link's sign-up, a workspace link's join request)
    holds it, then counts its places (``require_place``): with N places, at most N succeed
    however many arrive at once."""
    token_hash = link.token_hash
    locked = session.scalar(
        select(InviteLink)
        .where(InviteLink.id == link.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    now = context.of(session).clock.now()
    # uses=0: the places are the caller's to count, under the lock (``require_place``).
    if locked is None or locked.token_hash != token_hash or state(session, locked, now, uses=0) != "active":
        raise gone()
    return locked


def require_place(link: InviteLink, taken: int) -> None:
    """Refuse (``link_used_up``) one more on a link whose ``taken`` places, counted while it is
    held (``hold``), are its maximum: those who lost the race for the last place are told so."""
    if link.max_uses is not None and taken >= link.max_uses:
        raise LinkUsedUp("This invite link has just reached its limit. Ask the person who shared it.")
