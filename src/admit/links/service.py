"""Invite links: the portal's shareable link, each workspace's link, and what comes through them.

Vocabulary:

- **link**: one row per portal and one per workspace (``InviteLink``). Copy shows its URL,
  Refresh gives it a new secret (the previous URL stops working at once), the policy says who
  joins as what (user type, role), until when, from which email domains, and how many times.
- **sign-up** (portal links): email + name (+ password when the policy needs one) makes a
  pending ``LinkSignup`` and a confirmation email to that address. Following the email makes
  the person a member (or completes their pending personal invitation, or signs an existing
  member in); until then they are Pending.
- **join request** (workspace links): email, name, note. An internal user of the workspace
  approves it, choosing the user type, or declines it (the person gets a polite email).
- **gone**: unknown, refreshed, expired, disabled and used-up links all answer the public the
  same way (410 ``link_gone``), so a link's history is not revealed. ``link_used_up`` is only
  the answer of a sign-up that lost the race for the last place.

The secret: a link's URL token is ``HMAC-SHA256(secret key, link id + nonce)``, 256 bits. The
database keeps its SHA-256 and the nonce, never the token; with the server's secret key the
page can show the URL again for Copy Link (it must, every time the modal opens), and a stolen
database alone opens nothing. Refresh draws a new nonce. If the secret key is changed, the
stored hash no longer matches and the URL is reported as unavailable until the next Refresh.

Every function here is one unit of change in the caller's transaction: it checks permissions
through ``policy``, writes, queues its emails through ``notifications.service`` and records an
audit event. Nothing here commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import new_id
from admit.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied
from admit.invitations import service as invitations_service
from admit.kit.pagination import page
from admit.kit.tokens import hash_token, new_token
from admit.links.models import (
    APPROVED,
    CONFIRMED,
    DECLINED,
    PENDING,
    REQUEST_STATUSES,
    SUPERSEDED,
    InviteLink,
    JoinRequest,
    LinkSignup,
)
from admit.members import service as members_service
from admit.members.addresses import normalize_email
from admit.members.models import Member, User
from admit.members.passwords import check_strength, hash_password
from admit.notifications import service as notifications_service
from admit.policy import Role, UserType
from admit.portals.models import Portal
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import JOINED, Workspace, WorkspaceMember

__all__ = [
    "UNSET",
    "Confirmation",
    "ConfirmResult",
    "LinkView",
    "Preview",
    "approve",
    "confirm",
    "confirmation",
    "decline",
    "display_domain",
    "domain_allowed",
    "list_join_requests",
    "list_signups",
    "normalize_domain",
    "pending_signups",
    "portal_link",
    "preview",
    "refresh_portal_link",
    "refresh_workspace_link",
    "request_to_join",
    "signup",
    "update_portal_link",
    "workspace_link",
]

CONFIRM_TTL = timedelta(hours=24)
MIN_LIFETIME = 3600
MAX_LIFETIME = 365 * 24 * 3600
MAX_USES = 100_000
MAX_DOMAINS = 50
MAX_NAME = 200
MAX_NOTE = 1000
_TOKEN_CONTEXT = b"admit.invite-link.v1|"
# Names go into "Name <address>" for the invitation; these would split or break it.
_NAME_UNSAFE = re.compile(r"[<>,;\"\t\r\n]+")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(slots=True)
class LinkView:
    """A link as its managers see it."""

    link: InviteLink
    url: str | None
    state: str  # active | expired | disabled | used_up
    uses: int
    joined: int
    pending: int


@dataclass(slots=True)
class Preview:
    """What anyone holding a live link sees before signing up or asking to join."""

    link: InviteLink
    portal: Portal
    workspace: Workspace | None
    password_required: bool


@dataclass(slots=True)
class Confirmation:
    signup: LinkSignup
    portal: Portal
    password_required: bool


@dataclass(slots=True)
class ConfirmResult:
    signup: LinkSignup
    portal: Portal
    user: User
    member: Member
    outcome: str  # joined | invitation_completed | already_member


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


# --- domains ---------------------------------------------------------------------------


def normalize_domain(raw: str) -> str:
    """``ACME.com`` → ``acme.com``; ``Bücher.de`` → ``xn--bcher-kva.de``; refuses wildcards."""
    value = (raw or "").strip().lstrip("@").strip().lower()
    if not value:
        raise InvalidInput("A domain is empty.", field="allowed_domains")
    if "*" in value or "@" in value or " " in value:
        raise InvalidInput(
            f"{raw!r} is not a domain. List each domain exactly (acme.com); subdomains are "
            "only allowed when listed (eu.acme.com).",
            field="allowed_domains",
        )
    address, error = normalize_email(f"a@{value}")
    if address is None:
        raise InvalidInput(f"{raw!r} is not a valid email domain: {error}", field="allowed_domains")
    return address.rpartition("@")[2]


def domain_allowed(email: str, allowed: list[str] | None) -> bool:
    """Exact match of the normalised (IDNA, lowercase) domain; no list means any domain."""
    if not allowed:
        return True
    return email.rpartition("@")[2] in set(allowed)


def _domain_refused(allowed: list[str]) -> InvalidInput:
    names = ", ".join(display_domain(d) for d in allowed)
    where = names if len(allowed) == 1 else f"one of {names}"
    return InvalidInput(
        f"This invite link only accepts email addresses at {where} (subdomains only when listed).",
        field="email",
        code="domain_not_allowed",
    )


def display_domain(domain: str) -> str:
    """``xn--bcher-kva.de`` → ``bücher.de``, for people to read (matching uses the ASCII form)."""
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain


# --- reading a link's state ------------------------------------------------------------


def _uses(session: Session, link: InviteLink, now: datetime) -> int:
    """Places taken on the current link: confirmed sign-ups and unexpired pending ones."""
    return session.scalar(
        select(func.count())
        .select_from(LinkSignup)
        .where(
            LinkSignup.link_id == link.id,
            LinkSignup.link_token_hash == link.token_hash,
            or_(
                LinkSignup.status == CONFIRMED,
                and_(LinkSignup.status == PENDING, LinkSignup.expires_at > now),
            ),
        )
    )


def _state(session: Session, link: InviteLink, now: datetime, uses: int | None = None) -> str:
    if not link.enabled:
        return "disabled"
    if link.expires_at is not None and link.expires_at <= now:
        return "expired"
    if link.max_uses is not None and link.workspace_id is None:
        if uses is None:
            uses = _uses(session, link, now)
        if uses >= link.max_uses:
            return "used_up"
    return "active"


def _view(session: Session, link: InviteLink) -> LinkView:
    now = context.of(session).clock.now()
    if link.workspace_id is None:
        uses = _uses(session, link, now)
        joined = session.scalar(
            select(func.count())
            .select_from(LinkSignup)
            .where(LinkSignup.link_id == link.id, LinkSignup.status == CONFIRMED)
        )
        pending = uses - session.scalar(
            select(func.count())
            .select_from(LinkSignup)
            .where(
                LinkSignup.link_id == link.id,
                LinkSignup.link_token_hash == link.token_hash,
                LinkSignup.status == CONFIRMED,
            )
        )
    else:
        counts = dict(
            session.execute(
                select(JoinRequest.status, func.count())
                .where(JoinRequest.workspace_id == link.workspace_id)
                .group_by(JoinRequest.status)
            ).all()
        )
        uses = sum(counts.values())
        joined = counts.get(APPROVED, 0)
        pending = counts.get(PENDING, 0)
    return LinkView(
        link=link,
        url=link_url(session, link),
        state=_state(session, link, now, uses),
        uses=uses,
        joined=joined,
        pending=pending,
    )


def _gone() -> Gone:
    return Gone(
        "This invite link no longer works. It may have expired, reached its limit or been replaced "
        "by a newer one. Ask the person who shared it for the current link.",
        code="link_gone",
    )


# --- managing links --------------------------------------------------------------------


def _find(session: Session, portal_id, workspace_id) -> InviteLink | None:
    query = select(InviteLink).where(InviteLink.portal_id == portal_id)
    if workspace_id is None:
        query = query.where(InviteLink.workspace_id.is_(None))
    else:
        query = query.where(InviteLink.workspace_id == workspace_id)
    return session.scalar(query)


def _get_or_create(session: Session, actor: Actor, workspace: Workspace | None) -> InviteLink:
    """The portal's (or workspace's) link, made on first use. Two first uses at once make one."""
    workspace_id = workspace.id if workspace is not None else None
    link = _find(session, actor.portal.id, workspace_id)
    if link is not None:
        return link
    now = context.of(session).clock.now()
    link = InviteLink(
        id=new_id(),
        portal_id=actor.portal.id,
        workspace_id=workspace_id,
        user_type=UserType.INTERNAL,
        role=Role.MEMBER,
        allowed_domains=[],
        enabled=True,
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
        return existing
    audit_service.record(
        session,
        actor,
        "invite_link.created",
        target_type="invite_link",
        target_id=link.id,
        target_label=workspace.name if workspace is not None else actor.portal.name,
        detail={"kind": link.kind},
    )
    session.flush()
    return link


def portal_link(session: Session, actor: Actor) -> LinkView:
    """The portal's invite link (made on first use), with its URL and counts."""
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    return _view(session, _get_or_create(session, actor, None))


def _refresh(session: Session, actor: Actor, link: InviteLink, label: str) -> None:
    """A new secret: the previous URL matches nothing from now on, and its unconfirmed sign-ups
    can no longer be confirmed (they were made with the old secret)."""
    now = context.of(session).clock.now()
    _new_secret(session, link)
    link.refreshed_at = now
    if link.lifetime_seconds:
        link.expires_at = now + timedelta(seconds=link.lifetime_seconds)
    elif link.expires_at is not None and link.expires_at <= now:
        link.expires_at = None
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
    link = _get_or_create(session, actor, None)
    _refresh(session, actor, link, actor.portal.name)
    return _view(session, link)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def update_portal_link(
    session: Session,
    actor: Actor,
    *,
    user_type: str = UNSET,
    role: str | None = UNSET,
    lifetime_seconds: int | None = UNSET,
    expires_at: datetime | None = UNSET,
    allowed_domains: list[str] | None = UNSET,
    max_uses: int | None = UNSET,
    enabled: bool = UNSET,
) -> LinkView:
    """Change the link's policy; only the fields given change, each audited old → new.

    ``lifetime_seconds`` (None: never expires) restarts the expiry from now; ``expires_at`` sets
    the current link's expiry directly (not both at once). A client link always grants the
    client role; an internal link grants member or admin, never owner.
    """
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    link = _get_or_create(session, actor, None)
    now = context.of(session).clock.now()
    new: dict[str, Any] = {}

    if user_type is not UNSET:
        if user_type not in tuple(UserType):
            raise InvalidInput("user_type must be internal or client.", field="user_type")
        new["user_type"] = str(user_type)
    final_type = new.get("user_type", link.user_type)
    if role is not UNSET and role not in (None, ""):
        if final_type == UserType.CLIENT and role != Role.CLIENT:
            raise InvalidInput("Clients always have the client role.", field="role")
        if final_type == UserType.INTERNAL and role not in (Role.ADMIN, Role.MEMBER, Role.OWNER):
            raise InvalidInput("role must be admin or member for internal users.", field="role")
        policy.require_rule(policy.check_link_role(actor.role, role))
        new["role"] = str(role)
    elif final_type == UserType.CLIENT:
        new["role"] = str(Role.CLIENT)
    elif link.role == Role.CLIENT:
        new["role"] = str(Role.MEMBER)
    if new.get("role", link.role) != link.role:
        policy.require_rule(policy.check_link_role(actor.role, new["role"]))

    if lifetime_seconds is not UNSET and expires_at is not UNSET:
        raise InvalidInput("Give lifetime_seconds or expires_at, not both.", field="expires_at")
    if lifetime_seconds is not UNSET:
        if lifetime_seconds is not None and not MIN_LIFETIME <= lifetime_seconds <= MAX_LIFETIME:
            raise InvalidInput(
                "The link's lifetime must be between 1 hour and 365 days (or none).", field="lifetime_seconds"
            )
        new["lifetime_seconds"] = lifetime_seconds
        # The lifetime the link already has is no change: saving it again (a form sends every
        # field) must not restart the expiry; only a new lifetime (or Refresh) does.
        if lifetime_seconds != link.lifetime_seconds:
            new["expires_at"] = now + timedelta(seconds=lifetime_seconds) if lifetime_seconds else None
    if expires_at is not UNSET:
        if expires_at is not None:
            expires_at = _as_utc(expires_at)
            if expires_at <= now:
                raise InvalidInput("expires_at must be in the future (or null: never).", field="expires_at")
        new["expires_at"] = expires_at

    if allowed_domains is not UNSET:
        domains: list[str] = []
        for raw in allowed_domains or []:
            domain = normalize_domain(raw)
            if domain not in domains:
                domains.append(domain)
        if len(domains) > MAX_DOMAINS:
            raise InvalidInput(f"At most {MAX_DOMAINS} domains.", field="allowed_domains")
        new["allowed_domains"] = domains
    if max_uses is not UNSET:
        if max_uses is not None and not 1 <= max_uses <= MAX_USES:
            raise InvalidInput(f"max_uses must be between 1 and {MAX_USES} (or null).", field="max_uses")
        new["max_uses"] = max_uses
    if enabled is not UNSET:
        if not isinstance(enabled, bool):
            raise InvalidInput("enabled must be true or false.", field="enabled")
        new["enabled"] = enabled

    changes = {
        key: [_jsonable(getattr(link, key)), _jsonable(value)]
        for key, value in new.items()
        if getattr(link, key) != value
    }
    for key, value in new.items():
        setattr(link, key, value)
    if changes:
        audit_service.record(
            session,
            actor,
            "invite_link.policy_changed",
            target_type="invite_link",
            target_id=link.id,
            target_label=actor.portal.name,
            detail=changes,
        )
    session.flush()
    return _view(session, link)


def workspace_link(session: Session, actor: Actor, workspace_id) -> LinkView:
    """A workspace's link (made on first use). Internal users of the workspace share it."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    return _view(session, _get_or_create(session, actor, workspace))


def refresh_workspace_link(session: Session, actor: Actor, workspace_id) -> LinkView:
    """Refresh a workspace's link; the previous one stops working for everyone at once."""
    policy.require(actor.role, policy.Action.WORKSPACE_LINK_MANAGE)
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    link = _get_or_create(session, actor, workspace)
    _refresh(session, actor, link, workspace.name)
    return _view(session, link)


# --- the public side: preview, sign up, confirm, ask to join -----------------------------


def _live_link_or_raise(session: Session, token: str) -> InviteLink:
    link = session.scalar(select(InviteLink).where(InviteLink.token_hash == hash_token(token or "")))
    if link is None or _state(session, link, context.of(session).clock.now()) != "active":
        raise _gone()
    return link


def _password_required(link: InviteLink, portal: Portal) -> bool:
    return link.workspace_id is None and (
        link.user_type == UserType.INTERNAL or portal.client_require_password
    )


def preview(session: Session, token: str) -> Preview:
    """What a live link shows; 410 ``link_gone`` for anything else. Never uses the link up."""
    link = _live_link_or_raise(session, token)
    portal = session.get(Portal, link.portal_id)
    return Preview(
        link=link,
        portal=portal,
        workspace=link.workspace,
        password_required=_password_required(link, portal),
    )


def _rate_limits(session: Session, token: str, ip: str | None) -> None:
    """Per client address and per link, counted before anything else (a leaked link must not
    become a way to mail-bomb: every accepted attempt sends one email)."""
    ctx = context.of(session)
    message = "Too many sign-ups from here or through this link. Wait a little and try again."
    ctx.limiter.hit(f"link:ip:{ip}", ctx.settings.link_ip_rate_limit, message=message)
    ctx.limiter.hit(
        f"link:token:{hash_token(token or '')[:32]}", ctx.settings.link_rate_limit, message=message
    )


def _clean_email(email: str | None) -> str:
    address, error = normalize_email(email or "")
    if address is None:
        raise InvalidInput(f"The email address is not valid: {error}", field="email")
    return address


def _clean_name(name: str | None) -> str:
    clean = " ".join((name or "").split())
    if not clean:
        raise InvalidInput("Tell us your name.", field="name")
    if len(clean) > MAX_NAME:
        raise InvalidInput(f"The name is at most {MAX_NAME} characters.", field="name")
    return clean


def _lock(session: Session, link_id) -> InviteLink | None:
    """Re-read the link under a row lock (PostgreSQL); SQLite's write lock is already held."""
    return session.scalar(
        select(InviteLink)
        .where(InviteLink.id == link_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def signup(
    session: Session,
    *,
    token: str,
    email: str,
    name: str,
    password: str | None = None,
    ip: str | None = None,
) -> LinkSignup:
    """Sign up through a portal link: a pending sign-up and a confirmation email, nothing more.

    Refused before anything is written: a gone link (``link_gone``), a bad address or name, an
    address outside the allowed domains (``domain_not_allowed``). The answer
    is the same whether or not the address already has an account or a membership (no user
    enumeration); the confirmation decides what happens. The place it takes among
    ``max_uses`` is counted under a lock on the link row, so with N places at most N sign-ups
    succeed however many arrive at once; a loser gets ``link_used_up``.
    """
    _rate_limits(session, token, ip)
    link = _live_link_or_raise(session, token)
    if link.workspace_id is not None:
        raise Conflict("This is a workspace link: ask to join the workspace instead.", code="workspace_link")
    address = _clean_email(email)
    if not domain_allowed(address, link.allowed_domains):
        raise _domain_refused(link.allowed_domains)
    context.of(session).limiter.hit(
        f"link:address:{address}",
        context.of(session).settings.link_address_rate_limit,
        message="Several confirmation emails were sent to this address already. Look for them, "
        "or try again later.",
    )
    clean_name = _clean_name(name)
    portal = session.get(Portal, link.portal_id)
    # A password is never taken here: whoever signs up may not own the address, and a password
    # they chose must not land on the account when the real owner clicks Confirm. It is chosen
    # on the confirmation page instead, by whoever holds the email. (``password`` is accepted
    # for compatibility and ignored.)
    del password
    password_hash = None

    token_hash = link.token_hash
    link = _lock(session, link.id)
    now = context.of(session).clock.now()
    # uses=0: the used-up check is the count below, after one's own earlier sign-up is replaced.
    if link is None or link.token_hash != token_hash or _state(session, link, now, uses=0) != "active":
        raise _gone()
    # Signing up again replaces one's own earlier unconfirmed sign-up (and frees its place).
    session.execute(
        update(LinkSignup)
        .where(
            LinkSignup.link_id == link.id,
            LinkSignup.link_token_hash == link.token_hash,
            LinkSignup.email == address,
            LinkSignup.status == PENDING,
        )
        .values(status=SUPERSEDED)
        .execution_options(synchronize_session=False)
    )
    if link.max_uses is not None and _uses(session, link, now) >= link.max_uses:
        raise Gone(
            "This invite link has just reached its limit of sign-ups. Ask the person who shared it.",
            code="link_used_up",
        )
    raw = new_token()
    record = LinkSignup(
        id=new_id(),
        portal_id=link.portal_id,
        link_id=link.id,
        link_token_hash=link.token_hash,
        email=address,
        name=clean_name,
        user_type=link.user_type,
        role=link.role,
        password_hash=password_hash,
        token_hash=hash_token(raw),
        status=PENDING,
        expires_at=now + CONFIRM_TTL,
        created_at=now,
        ip=ip,
    )
    session.add(record)
    session.flush()
    notifications_service.enqueue_email(
        session,
        event_key=f"link_signup:{record.id}:confirm",
        template="link_confirm",
        to=address,
        portal_id=portal.id,
        context={
            "portal_name": portal.name,
            "name": clean_name,
            "email": address,
            "user_type": record.user_type,
            "link": f"{context.of(session).settings.public_url}/confirm/{raw}",
            "expires_at_text": record.expires_at.strftime("%d %B %Y at %H:%M UTC"),
        },
    )
    audit_service.record(
        session,
        None,
        "invite_link.signup_requested",
        portal_id=portal.id,
        ip=ip,
        target_type="link_signup",
        target_id=record.id,
        target_label=address,
        detail={"link_id": str(link.id), "user_type": record.user_type, "role": record.role},
    )
    session.flush()
    return record


def _signup_by_token_or_raise(session: Session, token: str) -> tuple[LinkSignup, InviteLink | None]:
    record = session.scalar(select(LinkSignup).where(LinkSignup.token_hash == hash_token(token or "")))
    if record is None:
        raise NotFound(
            "This confirmation link is not valid. Use the link in the newest email, or sign up again.",
            code="confirmation_not_found",
        )
    status = record.effective_status()
    if status == CONFIRMED:
        raise Gone("This address is already confirmed. Sign in instead.", code="confirmation_used")
    if status == SUPERSEDED:
        raise Gone(
            "A newer confirmation email was sent to this address; use the link in that one.",
            code="confirmation_replaced",
        )
    if status == "expired":
        raise Gone(
            "This confirmation link has expired. Sign up again through the invite link.",
            code="confirmation_expired",
        )
    link = session.get(InviteLink, record.link_id)
    if link is None or not link.enabled or link.token_hash != record.link_token_hash:
        raise Gone(
            "The invite link you signed up through has been replaced or turned off. Ask the person "
            "who shared it for the current link.",
            code="link_gone",
        )
    if not domain_allowed(record.email, link.allowed_domains):
        raise _domain_refused(link.allowed_domains)
    return record, link


def confirmation(session: Session, token: str) -> Confirmation:
    """What a confirmation link shows before the person clicks Confirm (never uses it up)."""
    record, _link = _signup_by_token_or_raise(session, token)
    portal = session.get(Portal, record.portal_id)
    user = members_service.get_user_by_email(session, record.email)
    return Confirmation(
        signup=record, portal=portal, password_required=_confirm_needs_password(record, portal, user)
    )


def _confirm_needs_password(record: LinkSignup, portal: Portal, user: User | None) -> bool:
    """A password is chosen at confirmation only for an account that has none yet, and only
    when the joiner is internal or the portal requires client passwords."""
    has_password = user is not None and user.password_hash is not None
    return not has_password and (record.user_type == UserType.INTERNAL or portal.client_require_password)


def confirm(
    session: Session, *, token: str, password: str | None = None, ip: str | None = None
) -> ConfirmResult:
    """Follow the confirmation email: the address is proved, so the person gets in. Once.

    - already an active member: signs in to that membership (nothing duplicated);
    - a pending personal invitation: completes it (its type and role win) instead of a second;
    - a deactivated member: refused (an admin ended their access; a link does not undo that);
    - otherwise: a new member with the type and role the link had at sign-up.

    The password is chosen here, by whoever holds the email, and only for an account that has
    none: a sign-up never sets or changes an existing account's password.
    """
    record, _link = _signup_by_token_or_raise(session, token)
    portal = session.get(Portal, record.portal_id)
    user = members_service.get_user_by_email(session, record.email)
    member = members_service.get_membership(session, portal.id, user.id) if user else None
    new_password_hash = None
    if (user is None or user.password_hash is None) and (
        password or _confirm_needs_password(record, portal, user)
    ):
        check_strength(
            password, min_length=context.of(session).settings.password_min_length, email=record.email
        )
        new_password_hash = hash_password(password)

    now = context.of(session).clock.now()
    claimed = session.execute(
        update(LinkSignup)
        .where(LinkSignup.id == record.id, LinkSignup.status == PENDING, LinkSignup.expires_at > now)
        .values(status=CONFIRMED, confirmed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.expire(record)
        _signup_by_token_or_raise(session, token)  # raises the precise reason
        raise Gone("This address is already confirmed. Sign in instead.", code="confirmation_used")
    session.refresh(record)

    if user is None:
        user = User(email=record.email, name=record.name, password_hash=new_password_hash)
        session.add(user)
        session.flush()
    else:
        if user.password_hash is None and new_password_hash:
            user.password_hash = new_password_hash
        if not user.name:
            user.name = record.name

    if member is not None and member.status == members_service.ACTIVE:
        outcome = "already_member"
    else:
        completed = invitations_service.accept_for_address(session, portal=portal, user=user, ip=ip)
        if completed is not None:
            member, outcome = completed, "invitation_completed"
        elif member is not None and member.status == members_service.DEACTIVATED:
            raise PermissionDenied(
                "Your access to this portal was ended by an administrator. Ask them to invite you again.",
                code="member_deactivated",
            )
        else:
            member = members_service.activate(
                session,
                portal_id=portal.id,
                user_id=user.id,
                user_type=record.user_type,
                role=record.role,
                products=[],
            )
            outcome = "joined"
    session.flush()
    record.member_id = member.id
    record.outcome = outcome
    record.password_hash = None  # no longer needed
    actor = Actor(portal=portal, role=Role(member.role), user=user, member=member, ip=ip)
    audit_service.record(
        session,
        actor,
        "invite_link.joined",
        target_type="member",
        target_id=member.id,
        target_label=record.email,
        detail={
            "link_id": str(record.link_id),
            "outcome": outcome,
            "user_type": member.user_type,
            "role": member.role,
        },
    )
    session.flush()
    return ConfirmResult(signup=record, portal=portal, user=user, member=member, outcome=outcome)


def request_to_join(
    session: Session,
    *,
    token: str,
    email: str,
    name: str,
    note: str | None = None,
    ip: str | None = None,
) -> JoinRequest:
    """Ask to join a workspace through its link: a pending join request for its internal users.

    Asking again while a request is pending changes nothing and answers the same, so nobody can
    learn through the link who has asked already.
    """
    _rate_limits(session, token, ip)
    link = _live_link_or_raise(session, token)
    if link.workspace_id is None:
        raise Conflict("This is the portal's invite link: sign up instead.", code="portal_link")
    address = _clean_email(email)
    if not domain_allowed(address, link.allowed_domains):
        raise _domain_refused(link.allowed_domains)
    context.of(session).limiter.hit(
        f"link:address:{address}",
        context.of(session).settings.link_address_rate_limit,
        message="Several requests came from this address already. Try again later.",
    )
    clean_name = _clean_name(name)
    clean_note = (note or "").strip()
    if len(clean_note) > MAX_NOTE:
        raise InvalidInput(f"The note is at most {MAX_NOTE} characters.", field="note")

    def pending() -> JoinRequest | None:
        return session.scalar(
            select(JoinRequest).where(
                JoinRequest.workspace_id == link.workspace_id,
                JoinRequest.email == address,
                JoinRequest.status == PENDING,
            )
        )

    existing = pending()
    if existing is not None:
        return existing
    request = JoinRequest(
        portal_id=link.portal_id,
        workspace_id=link.workspace_id,
        link_id=link.id,
        email=address,
        name=clean_name,
        note=clean_note,
        status=PENDING,
        created_at=context.of(session).clock.now(),
        ip=ip,
    )
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:
        existing = pending()  # the same request, submitted twice at once
        if existing is None:
            raise
        return existing
    audit_service.record(
        session,
        None,
        "join_request.created",
        portal_id=link.portal_id,
        ip=ip,
        target_type="join_request",
        target_id=request.id,
        target_label=address,
        detail={"workspace_id": str(link.workspace_id), "workspace": link.workspace.name},
    )
    _tell_approvers(session, request, link.workspace)
    session.flush()
    return request


MAX_APPROVERS_TOLD = 50


def _tell_approvers(session: Session, request: JoinRequest, workspace: Workspace) -> None:
    """The workspace's internal users hear of a new join request (or, if it has none, the
    portal's owners and admins), at most ``MAX_APPROVERS_TOLD`` of them."""
    active_internal = (Member.portal_id == workspace.portal_id) & (Member.status == members_service.ACTIVE)
    in_workspace = (
        select(User)
        .join(WorkspaceMember, WorkspaceMember.user_id == User.id)
        .join(Member, Member.user_id == User.id)
        .where(
            WorkspaceMember.workspace_id == workspace.id,
            WorkspaceMember.status == JOINED,
            active_internal,
            Member.user_type == UserType.INTERNAL,
        )
        .limit(MAX_APPROVERS_TOLD)
    )
    approvers = list(session.scalars(in_workspace))
    if not approvers:
        approvers = list(
            session.scalars(
                select(User)
                .join(Member, Member.user_id == User.id)
                .where(active_internal, Member.role.in_((Role.OWNER, Role.ADMIN)))
                .limit(MAX_APPROVERS_TOLD)
            )
        )
    portal = session.get(Portal, workspace.portal_id)
    for user in approvers:
        to = user.address
        if to is None:
            continue
        notifications_service.enqueue(
            session,
            event_key=f"join_request:{request.id}:new:{user.id}",
            template="join_request_new",
            to=to,
            portal_id=portal.id,
            context={
                "portal_name": portal.name,
                "workspace_name": workspace.name,
                "name": request.name,
                "email": request.email,
                "note": request.note,
                "link": workspaces_service.workspace_url(session, portal, workspace.id),
            },
        )


# --- join requests: the internal users' side -------------------------------------------


def list_join_requests(
    session: Session,
    actor: Actor,
    *,
    status: str | None = PENDING,
    workspace_id=None,
    cursor: str | None = None,
    limit: int = 100,
):
    """Join requests of the workspaces ``actor`` may reach, newest first."""
    policy.require(actor.role, policy.Action.JOIN_REQUEST_APPROVE)
    query = select(JoinRequest).where(
        JoinRequest.portal_id == actor.portal.id,
        JoinRequest.workspace_id.in_(workspaces_service.accessible_workspace_ids(actor)),
    )
    if status:
        if status not in REQUEST_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(REQUEST_STATUSES)}.", field="status")
        query = query.where(JoinRequest.status == status)
    if workspace_id is not None:
        query = query.where(JoinRequest.workspace_id == workspace_id)
    return page(session, query, JoinRequest, cursor=cursor, limit=limit)


def _request_or_raise(session: Session, actor: Actor, request_id) -> JoinRequest:
    request = session.scalar(
        select(JoinRequest).where(
            JoinRequest.id == request_id,
            JoinRequest.portal_id == actor.portal.id,
            JoinRequest.workspace_id.in_(workspaces_service.accessible_workspace_ids(actor)),
        )
    )
    if request is None:
        raise NotFound("No such join request.", code="join_request_not_found")
    return request


def _require_pending(request: JoinRequest) -> None:
    if request.status != PENDING:
        raise Conflict(f"This request was already {request.status}.", code="join_request_not_pending")


def existing_member(session: Session, portal_id, email: str) -> Member | None:
    """The active portal membership of ``email``, if any (approvers are shown this)."""
    user = members_service.get_user_by_email(session, email)
    if user is None:
        return None
    member = members_service.get_membership(session, portal_id, user.id)
    return member if member is not None and member.status == members_service.ACTIVE else None


def approve(
    session: Session, actor: Actor, request_id, *, user_type: str, role: str | None = None
) -> JoinRequest:
    """Approve a join request, choosing the user type (internal only for those allowed to invite
    internal users).

    Someone already active in the portal is added to the workspace at once (no new portal
    invitation; their membership is unchanged) and told by email. Anyone else is invited into
    the portal with the chosen type and role and is in the workspace as Not Joined until they
    accept; if they already have a pending invitation, that one stands.
    """
    policy.require(actor.role, policy.Action.JOIN_REQUEST_APPROVE)
    request = _request_or_raise(session, actor, request_id)
    _require_pending(request)
    if user_type not in tuple(UserType):
        raise InvalidInput("user_type must be internal or client.", field="user_type")
    workspace = request.workspace
    portal = actor.portal
    member = existing_member(session, portal.id, request.email)

    if member is not None:
        user = member.user
        workspaces_service.add_member(session, actor, workspace, user, joined=True)
        request.user_type, request.role, outcome = member.user_type, member.role, "added_to_workspace"
    else:
        policy.require_rule(policy.check_approve_join_request(actor.role, user_type))
        safe_name = _NAME_UNSAFE.sub(" ", request.name).strip()
        recipient = f"{safe_name} <{request.email}>" if safe_name else request.email
        result = invitations_service.invite(
            session,
            actor,
            recipients=[recipient],
            user_type=user_type,
            role=role if user_type == UserType.INTERNAL else None,
            message=f"You asked to join the workspace “{workspace.name}”. Your request was approved.",
        )
        if result.invited:
            invitation = result.invited[0]
            request.invitation_id = invitation.id
            request.user_type, request.role, outcome = invitation.user_type, invitation.role, "invited"
        elif result.skipped and result.skipped[0].code == "already_invited":
            request.invitation_id = result.skipped[0].invitation_id
            final_role = (role or Role.MEMBER) if user_type == UserType.INTERNAL else Role.CLIENT
            request.user_type, request.role, outcome = user_type, str(final_role), "invitation_pending"
        else:
            detail = result.skipped[0].detail if result.skipped else "The invitation could not be made."
            raise Conflict(detail, code="join_request_not_invitable")
        user = members_service.get_user_by_email(session, request.email)
        if user is None:
            # The workspace membership needs a user row; it has no password and no portal
            # membership until the invitation is accepted (which sets both).
            user = User(email=request.email, name=request.name)
            session.add(user)
            session.flush()
        workspaces_service.add_member(
            session, actor, workspace, user, joined=False, invitation_id=request.invitation_id
        )

    request.status = APPROVED
    request.outcome = outcome
    request.decided_by_id = actor.user_id
    request.decided_at = context.of(session).clock.now()
    if outcome != "invited":  # the invitation email already says so
        notifications_service.enqueue_email(
            session,
            event_key=f"join_request:{request.id}:approved",
            template="join_request_approved",
            to=request.email,
            portal_id=portal.id,
            context={
                "portal_name": portal.name,
                "workspace_name": workspace.name,
                "name": request.name,
                "outcome": outcome,
                "link": f"{context.of(session).settings.public_url}/p/{portal.slug}",
            },
        )
    audit_service.record(
        session,
        actor,
        "join_request.approved",
        target_type="join_request",
        target_id=request.id,
        target_label=request.email,
        detail={
            "workspace": workspace.name,
            "outcome": outcome,
            "user_type": request.user_type,
            "role": request.role,
        },
    )
    session.flush()
    return request


def decline(session: Session, actor: Actor, request_id) -> JoinRequest:
    """Decline a join request; the person gets a polite email saying so."""
    policy.require(actor.role, policy.Action.JOIN_REQUEST_APPROVE)
    request = _request_or_raise(session, actor, request_id)
    _require_pending(request)
    request.status = DECLINED
    request.decided_by_id = actor.user_id
    request.decided_at = context.of(session).clock.now()
    notifications_service.enqueue_email(
        session,
        event_key=f"join_request:{request.id}:declined",
        template="join_request_declined",
        to=request.email,
        portal_id=actor.portal.id,
        context={
            "portal_name": actor.portal.name,
            "workspace_name": request.workspace.name,
            "name": request.name,
        },
    )
    audit_service.record(
        session,
        actor,
        "join_request.declined",
        target_type="join_request",
        target_id=request.id,
        target_label=request.email,
        detail={"workspace": request.workspace.name},
    )
    session.flush()
    return request


# --- sign-ups, as the portal's managers see them ----------------------------------------


def list_signups(
    session: Session, actor: Actor, *, status: str | None = None, cursor: str | None = None, limit: int = 100
):
    """Sign-ups through the portal's link, newest first; ``status`` pending/confirmed/expired."""
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    now = context.of(session).clock.now()
    query = select(LinkSignup).where(LinkSignup.portal_id == actor.portal.id)
    if status == PENDING:
        query = query.where(LinkSignup.status == PENDING, LinkSignup.expires_at > now)
    elif status == "expired":
        query = query.where(LinkSignup.status == PENDING, LinkSignup.expires_at <= now)
    elif status == CONFIRMED:
        query = query.where(LinkSignup.status == CONFIRMED)
    elif status:
        raise InvalidInput("status must be pending, confirmed or expired.", field="status")
    else:
        query = query.where(LinkSignup.status != SUPERSEDED)
    return page(session, query, LinkSignup, cursor=cursor, limit=limit)


def pending_signups(
    session: Session, actor: Actor, *, user_type: str | None = None, limit: int = 500
) -> list[LinkSignup]:
    """Sign-ups still waiting for their confirmation (User Management shows them as Pending).

    Only those that can still be confirmed: unexpired, made on the link's current secret.
    """
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    query = (
        select(LinkSignup)
        .join(InviteLink, InviteLink.id == LinkSignup.link_id)
        .where(
            LinkSignup.portal_id == actor.portal.id,
            LinkSignup.status == PENDING,
            LinkSignup.expires_at > context.of(session).clock.now(),
            LinkSignup.link_token_hash == InviteLink.token_hash,
            InviteLink.enabled.is_(True),
        )
        .order_by(LinkSignup.created_at.desc())
        .limit(limit)
    )
    if user_type:
        query = query.where(LinkSignup.user_type == user_type)
    return list(session.scalars(query))
