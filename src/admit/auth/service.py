"""Sign-in, browser sessions and API keys.

Sign-in links are single-use secrets (``admit.tokens``, purpose ``sign_in``); asking for a new
one kills the earlier ones.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from sqlalchemy import ColumnElement, Select, Update, bindparam, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from admit import context, policy
from admit.actor import Actor, key_words
from admit.audit import service as audit_service
from admit.auth import notices, second_factor
from admit.auth.models import MAX_KEY_DAYS, MAX_KEY_NAME, MAX_USER_AGENT, ApiKey, LinkRequest, WebSession
from admit.db import rowcount, step_out
from admit.errors import (
    ApiKeyNotFound,
    Checks,
    Conflict,
    Gone,
    InvalidCredentials,
    InvalidInput,
    NotAuthenticated,
    PasswordResetGone,
    RateLimited,
    SessionNotFound,
    SignInLinkGone,
    at_most_characters,
)
from admit.kit import ratelimit
from admit.kit.insert import insert_now
from admit.kit.pagination import page
from admit.kit.tokens import hash_token, new_token
from admit.kit.user_agents import browser_named
from admit.members import service as members_service
from admit.members.passwords import check_chosen, hash_chosen, verify_password
from admit.notifications import service as notifications_service
from admit.portals import service as portals_service
from admit.portals import sign_in as portals_sign_in
from admit.tokens import service as tokens

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import Member, User
    from admit.portals.models import Portal


__all__ = [
    "CHALLENGE_MINUTES",
    "AskedAddress",
    "asked_address",
    "Challenge",
    "Via",
    "challenge_user",
    "challenge_via",
    "complete_two_factor",
    "two_factor_due",
    "password_required_by",
    "two_factor_required_by",
    "turn_off_two_factor",
    "api_key_from_token",
    "choose_password",
    "sign_in",
    "issue_api_key",
    "list_api_keys",
    "revoke_api_key",
    "create_api_key",
    "list_sessions",
    "sign_out_browser",
    "sign_out_elsewhere",
    "sign_out_everywhere",
    "end_session",
    "login",
    "count_password_try",
    "request_sign_in_link",
    "links_due",
    "send_requested_links",
    "use_sign_in_code",
    "session_from_token",
    "sign_in_link_user",
    "start_session",
    "use_sign_in_link",
]

API_KEY_PREFIX = "adm_"
SIGN_IN = tokens.Purpose.SIGN_IN
CHALLENGE = tokens.Purpose.TWO_FACTOR_CHALLENGE


def count_password_try(session: Session, address: str, ip: str | None) -> None:
    """Count one try at ``address``'s password (a sign-in, or the current password a change
    takes) from the client ``ip``; ``RateLimited`` (429) when over either limit. The rule:
    tries are counted per client and address (``ADMIT_LOGIN_CLIENT_RATE_LIMIT``, 10 an hour: the
    client guessing is paused for that account, and that account only) and per address from
    every client together, higher (``ADMIT_LOGIN_ADDRESS_RATE_LIMIT``, 100 an hour: only many
    clients guessing, ten at least, pause the password for everyone). A stranger's wrong
    passwords from one client leave the right one from another working; and neither count ever
    refuses a sign-in link or a password reset (``_ask`` counts asks on their own), so the way
    back in stays open. Every client's tries
    over all addresses are limited too, in the faces (``web.limit_sign_in``)."""
    limits = context.of(session).settings
    _count_try(session, "login", address, ip, limits.login_client_rate_limit, limits.login_address_rate_limit)


def _count_try(
    session: Session, kind: str, address: str, ip: str | None, per_client: str, per_address: str
) -> list[tuple[str, str]]:
    """Count one try of ``kind`` at ``address`` from the client ``ip``: per client and address
    (``per_client``, low: the client guessing is paused for that account only) and per address
    from every client together (``per_address``, higher: only many clients pause it for
    everyone, and it bounds their guesses); ``RateLimited`` over either. Returns the counts,
    ``(key, limit)``, for saying how many tries are left."""
    counts = [
        (f"{kind}:client:{ip or '-'}:{address}", per_client),
        (f"{kind}:address:{address}", per_address),
    ]
    limiter = context.of(session).limiter
    for key, limit in counts:
        limiter.hit(key, limit)
    return counts


def login(session: Session, *, email: str, password: str, ip: str | None = None) -> User:
    """Check an email (or, for people invited by phone, a phone number) and password, tried
    from the client ``ip``; the same error whether the address is unknown or not."""
    address = members_service.parse_recipient(session, email or "").address
    # Guessing is limited per address however it is written (``count_password_try``).
    count_password_try(session, address or (email or "").strip().lower(), ip)
    user = members_service.get_user_by_address(session, address) if address else None
    checked = user.password_hash if user else None
    stepped_out = step_out(session)  # the hash is checked with SQLite's write lock free
    ok = verify_password(checked, password or "")
    if ok and user is not None and stepped_out:
        session.refresh(user, ["password_hash"])  # a reset meanwhile: the old password opens nothing
        ok = user.password_hash == checked
    if user is None or not ok:
        raise InvalidCredentials("The email or password is incorrect.")
    return user


class Via(StrEnum):
    """The ways someone proves who they are before the gate."""

    PASSWORD = "password"
    SIGN_IN_LINK = "sign_in_link"
    SIGN_IN_CODE = "sign_in_code"
    PASSWORD_RESET = "password_reset"
    INVITATION = "invitation"
    LINK_SIGNUP = "link_signup"
    SETUP = "setup"
    SECOND_FACTOR = "second_factor"  # the second step of a sign-in begun another way (unknown)


@dataclass(frozen=True, slots=True)
class Challenge:
    """A sign-in whose first step is done (who the person is, proved) and whose second factor is
    due: ``verify`` (the app's code) or ``enrol`` (set up an app first, as a portal of theirs
    requires). ``raw`` is the short-lived, single-use challenge that carries it to the end."""

    kind: Literal["verify", "enrol"]
    raw: str
    user: User


CHALLENGE_MINUTES = 10


def two_factor_due(
    session: Session, user: User, *, made_in: tuple[Portal, Member] | None = None
) -> Literal["verify", "enrol"] | None:
    """What a sign-in of ``user`` owes before it gets a session: the app's code for anyone who
    has one set up; setting one up where any portal of theirs requires it for their type.
    ``made_in``: the account was made in this very request, as this member of this portal (an
    invitation accepted): it has no factor and no other portal, so nothing is asked of the
    database."""
    if made_in is not None:
        portal, member = made_in
        return "enrol" if portals_sign_in.second_factor_required(portal, member.user_type) else None
    if second_factor.has_factor(session, user.id):
        return "verify"
    return "enrol" if two_factor_required_by(session, user) else None


def password_required_by(session: Session, user: User) -> list[str]:
    """The names of ``user``'s portals that require a password of them (their type there:
    ``portals.sign_in.password_required``), for telling someone without one that it is asked."""
    memberships = members_service.memberships_of(session, user)
    return [p.name for p, m in memberships if portals_sign_in.password_required(p, m.user_type)]


def two_factor_required_by(session: Session, user: User) -> bool:
    """Whether any portal of ``user``'s requires a second factor of them (their type there)."""
    memberships = members_service.memberships_of(session, user)
    return any(portals_sign_in.second_factor_required(p, m.user_type) for p, m in memberships)


def sign_in(
    session: Session,
    user: User,
    *,
    via: Via,
    ip: str | None = None,
    user_agent: str | None = None,
    second_factor_done: bool = False,
    made_in: tuple[Portal, Member] | None = None,
) -> tuple[str, WebSession] | Challenge:
    """The one gate every sign-in ends in, whatever proved who the person is (a password, a
    sign-in link or code, accepting an invitation, confirming a link sign-up, a password reset,
    setting Admit up). When a second factor is due (``two_factor_due``) it answers a
    ``Challenge`` and starts no session; otherwise (or with ``second_factor_done``) it starts
    the browser session and records it: the raw cookie value (never stored) and the row. What a
    portal asks of a session beyond (a password to choose) is ``auth.gate``'s, at the portal.
    ``made_in``: see ``two_factor_due``."""
    if not second_factor_done:
        due = two_factor_due(session, user, made_in=made_in)
        if due is not None:
            # The challenge carries the first step's way (``challenge_via``): the secret's hash
            # covers it, so it cannot be changed on its way back.
            raw_challenge = tokens.issue(
                session,
                CHALLENGE,
                user.id,
                ttl=timedelta(minutes=CHALLENGE_MINUTES),
                supersede=False,
                secret=f"{via}.{new_token()}",
            )
            return Challenge(due, raw_challenge, user)
    raw, web_session = start_session(
        session,
        user,
        lifetime_hours=context.of(session).settings.session_lifetime_hours,
        ip=ip,
        user_agent=user_agent,
    )
    if second_factor_done:
        second_factor.proved(session, web_session)
    members_service.audit_own(
        session,
        user,
        "user.signed_in",
        detail={"via": str(via), **({"second_factor": True} if second_factor_done else {})},
        ip=ip,
        portal_ids=[made_in[0].id] if made_in is not None else None,  # a new account: its one portal
    )
    return raw, web_session


def start_session(
    session: Session,
    user: User,
    *,
    lifetime_hours: int,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, WebSession]:
    """Create a browser session (``sign_in`` is the gate that calls this), with where it signed
    in from (its address, its browser's User-Agent, cut to ``MAX_USER_AGENT``); returns the raw
    cookie value (never stored) and the row."""
    raw = new_token()
    now = context.of(session).clock.now()
    web_session = WebSession(
        token_hash=hash_token(raw),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=lifetime_hours),
        ip=ip,
        user_agent=user_agent[:MAX_USER_AGENT] if user_agent else None,
        last_seen_at=now,
    )
    return raw, insert_now(session, web_session)


@cache
def _session_by_hash() -> Select[WebSession]:
    """Every signed-in request asks it: built once, on first use (``tokens.service``)."""
    return select(WebSession).where(WebSession.token_hash == bindparam("b_hash"))


# "Last seen" is kept to 10 minutes: a signed-in request writes it only when it is older.
SEEN_EVERY = timedelta(minutes=10)


@cache
def _session_seen() -> Update:
    return (
        update(WebSession)
        .where(WebSession.id == bindparam("b_id"))
        .values(last_seen_at=bindparam("b_now"))
        .execution_options(synchronize_session=False)
    )


def session_from_token(session: Session, raw: str | None) -> WebSession | None:
    """The live session whose cookie is ``raw``; its ``last_seen_at`` moved to now when older
    than ``SEEN_EVERY`` (one statement then; none on most requests). Written by a plain UPDATE:
    a session ended meanwhile (signed out from elsewhere) updates nothing and fails nothing."""
    if not raw:
        return None
    row = session.scalar(_session_by_hash(), {"b_hash": hash_token(raw)})
    now = context.of(session).clock.now()
    if row is None or row.expires_at <= now:
        return None
    if row.last_seen_at is None or now - row.last_seen_at >= SEEN_EVERY:
        session.execute(_session_seen(), {"b_id": row.id, "b_now": now})
        set_committed_value(row, "last_seen_at", now)
    return row


def end_session(session: Session, raw: str | None) -> None:
    if raw:
        session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(raw)))


def sign_out_everywhere(session: Session, user_id: uuid.UUID, *, keep: WebSession | None = None) -> int:
    """End every way into the account but ``keep`` (the browser asking, which stays in): its
    other sessions, and every live sign-in secret (sign-in links and codes, reset links, the
    second step of a sign-in begun), so that nothing the old password began can finish. A new
    password (a change, a reset) does this. Deactivation does not: it ends one portal's access,
    which every request checks (``web.portal_actor``). Returns the sessions ended."""
    others = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        others = others.where(WebSession.id != keep.id)
    ended = rowcount(session.execute(others))
    for purpose in (SIGN_IN, SIGN_IN_CODE, PASSWORD_RESET, CHALLENGE):
        tokens.end(session, purpose, user_id, tokens.Reason.REVOKED)
    return ended


def sign_out_elsewhere(session: Session, web_session: WebSession) -> int:
    """ "Sign out of every other browser", asked by the browser ``web_session``: it stays in, and
    every other way in ends (``sign_out_everywhere``). Audited; returns the sessions ended."""
    ended = sign_out_everywhere(session, web_session.user_id, keep=web_session)
    user = web_session.user
    members_service.audit_own(
        session,
        user,
        "user.signed_out_elsewhere",
        detail={"sessions": ended},
    )
    return ended


def list_sessions(
    session: Session, web_session: WebSession, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[WebSession], str | None]:
    """Where the person of ``web_session`` is signed in: their live browser sessions, newest
    first (``web_session`` among them)."""
    live = select(WebSession).where(
        WebSession.user_id == web_session.user_id,
        WebSession.expires_at > context.of(session).clock.now(),
    )
    return page(session, live, WebSession, cursor=cursor, limit=limit)


def sign_out_browser(session: Session, web_session: WebSession, session_id: uuid.UUID) -> WebSession:
    """End one session of the person of ``web_session`` (another browser of theirs): its cookie
    stops working. Someone else's, or one already ended: ``SessionNotFound``. Audited, naming the
    browser; returns the session ended."""
    ended = session.get(WebSession, session_id)
    if ended is None or ended.user_id != web_session.user_id:
        raise SessionNotFound("No such session of yours: it may have been signed out already.")
    session.execute(delete(WebSession).where(WebSession.id == ended.id))
    members_service.audit_own(
        session,
        web_session.user,
        "user.signed_out_browser",
        detail={"browser": browser_named(ended.user_agent), "ip": ended.ip},
    )
    return ended


def revoke_api_keys(session: Session, *, portal_id: uuid.UUID, created_by_id: uuid.UUID) -> int:
    """Revoke the live API keys ``created_by_id`` made in a portal (on deactivation)."""
    return rowcount(
        session.execute(
            update(ApiKey)
            .where(
                ApiKey.portal_id == portal_id,
                ApiKey.created_by_id == created_by_id,
                ApiKey.revoked_at.is_(None),
            )
            .values(revoked_at=context.of(session).clock.now())
            .execution_options(synchronize_session=False)
        )
    )


def create_api_key(
    session: Session,
    *,
    portal_id: uuid.UUID,
    name: str,
    role: str = "admin",
    created_by_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, ApiKey]:
    """Create an API key; the raw key is returned once and only its hash is kept."""
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}{prefix}_{new_token()}"
    key = ApiKey(
        portal_id=portal_id,
        name=name,
        prefix=prefix,
        key_hash=hash_token(raw),
        role=role,
        created_by_id=created_by_id,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return raw, key


LAST_USED_EVERY = timedelta(minutes=1)  # "last used" is kept to the minute: no write per request


def issue_api_key(
    session: Session,
    actor: Actor,
    *,
    name: str,
    expires_in_days: int | None = None,
    faults: Checks | None = None,
) -> tuple[str, ApiKey]:
    """A new admin API key for the actor's portal (owners and admins); the secret is returned
    once. The key acts for whoever made it: it stops working if they are deactivated, when it
    is revoked, or after ``expires_in_days``. ``faults``: the caller's, found in the same request
    (a lifetime that is no number), said with these; then no key is made."""
    policy.require(actor.role, policy.Action.API_KEY_MANAGE)
    name = (name or "").strip()
    checks = Checks()  # every fault at once
    with checks.of("name"):
        if not name:
            raise InvalidInput("Give the key a name (what uses it).")
        if len(name) > MAX_KEY_NAME:
            raise InvalidInput(at_most_characters(MAX_KEY_NAME, name))
    with checks.of("expires_in_days"):
        if expires_in_days is not None and not 1 <= expires_in_days <= MAX_KEY_DAYS:
            raise InvalidInput(f"A key lasts between 1 and {MAX_KEY_DAYS} days.")
    checks.extend(faults)
    checks.done()
    now = context.of(session).clock.now()
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days else None
    raw, key = create_api_key(
        session,
        portal_id=actor.portal.id,
        name=name,
        role="admin",
        created_by_id=actor.user_id,
        expires_at=expires_at,
    )
    audit_service.record(
        session,
        actor,
        "api_key.created",
        target_type="api_key",
        target_id=key.id,
        target_label=key_words(key.name, key.prefix),
    )
    return raw, key


def list_api_keys(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[ApiKey], str | None]:
    """The portal's API keys, newest first (never their secrets)."""
    policy.require(actor.role, policy.Action.API_KEY_MANAGE)
    return page(
        session, select(ApiKey).where(ApiKey.portal_id == actor.portal.id), ApiKey, cursor=cursor, limit=limit
    )


def revoke_api_key(session: Session, actor: Actor, key_id: uuid.UUID) -> ApiKey:
    """Revoke one of the portal's API keys: it stops working at once. Revoking it again is a no-op."""
    policy.require(actor.role, policy.Action.API_KEY_MANAGE)
    key = session.get(ApiKey, key_id)
    if key is None or key.portal_id != actor.portal.id:
        raise ApiKeyNotFound("No such API key in this portal.")
    if key.revoked_at is None:
        key.revoked_at = context.of(session).clock.now()
        audit_service.record(
            session,
            actor,
            "api_key.revoked",
            target_type="api_key",
            target_id=key.id,
            target_label=key_words(key.name, key.prefix),
        )
        session.flush()
    return key


def api_key_from_token(session: Session, raw: str) -> ApiKey | None:
    if not raw.startswith(API_KEY_PREFIX):
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(raw)))
    if key is None or key.revoked_at is not None:
        return None
    now = context.of(session).clock.now()
    if key.expires_at is not None and key.expires_at <= now:
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        key.last_used_at = now
    return key


@dataclass(frozen=True, slots=True)
class AskedAddress:
    """An address typed to sign in without a password (or to reset one), as Admit reads it."""

    # The normalised email or the E.164 number; text that is neither, trimmed and lowercased.
    # Whoever asks is counted, and answered, by it.
    key: str
    # Typed as a phone number: the message goes by SMS (``members.addresses.parse_recipient``).
    by_phone: bool
    # Typed as a phone number that cannot be one: why, in the members' words; None otherwise.
    number_fault: str | None = None


def asked_address(session: Session, typed: str) -> AskedAddress:
    """What someone typed to be sent a link or to use a code, read as the one address it means
    ("Carl@Client.com" is carl@client.com, "(202) 555-0173" is +12025550173). Tells nothing
    about whether it has an account."""
    parsed = members_service.parse_recipient(session, typed or "")
    return AskedAddress(
        key=parsed.address or (typed or "").strip().lower(),
        by_phone=parsed.by_phone,
        number_fault=parsed.error if parsed.by_phone else None,
    )


def _ask(
    session: Session,
    purpose: tokens.Purpose,
    asked: AskedAddress,
    minutes: int,
    next_path: str | None = None,
    ip: str | None = None,
) -> AskedAddress:
    """Someone typed an address (an email or a phone number, ``asked``) from the client ``ip``
    to get a link of ``purpose``. Every ask is counted against what that client may ask for the
    address (``ADMIT_SIGN_IN_REQUEST_RATE_LIMIT``), however it is written ("(202) 555-0173",
    "+1 202 555 0173"): never against the password's tries (``count_password_try``), nor may a
    stranger's asks use up the person's own; and written down as a ``LinkRequest``: the same
    work whoever asks, so neither the answer nor its time tells who has an account. The worker
    does the rest (``send_requested_links``)."""
    ctx = context.of(session)
    ctx.limiter.hit(
        f"login:ask:{ip or '-'}:{asked.key}",
        ctx.settings.sign_in_request_rate_limit,
        message="Several links were asked for this address already. Look for them, or try again in {wait}.",
    )
    session.add(
        LinkRequest(
            purpose=str(purpose), address=asked.key[:320], minutes=minutes, next_path=(next_path or None)
        )
    )
    return asked


def _member_asking(session: Session, address: str) -> tuple[str, User] | None:
    """``(address, user)`` when ``address`` (as ``_ask`` wrote it) is someone with an active
    membership, else None."""
    parsed = members_service.parse_recipient(session, address)
    if parsed.address is None:
        return None
    user = members_service.get_user_by_address(session, parsed.address)
    if user is None or not members_service.memberships_of(session, user):
        return None
    return parsed.address, user


def links_due() -> ColumnElement[bool]:
    """Whether ``send_requested_links`` has work: any link asked for (each is due at once), as
    one EXISTS, for the worker's one read of what is due (``jobs.Worker.due``)."""
    return select(LinkRequest.id).exists()


def send_requested_links(session: Session, *, limit: int = 100) -> int:
    """The worker's step: turn up to ``limit`` asked-for links (``_ask``) into messages — a
    sign-in link for a passwordless active member, a password reset for one with a password —
    or into nothing, and delete the requests. Each goes to the address asked with: by email, or
    by text message to a phone number. Any number of workers may run it at once."""
    query = select(LinkRequest).order_by(LinkRequest.created_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    asked = list(session.scalars(query))
    public_url = context.of(session).settings.public_url
    for request in asked:
        asking = _member_asking(session, request.address)
        if asking is not None:
            address, user = asking
            if request.purpose == SIGN_IN and user.password_hash is None:
                # Accounts with a password sign in with it: an emailed link would bypass the
                # portal's "require a password" rule and make every password as weak as the mailbox.
                _send_link(
                    session,
                    SIGN_IN,
                    user,
                    address,
                    path="/login/link/",
                    public_url=public_url,
                    minutes=request.minutes,
                    next_path=request.next_path,
                )
            elif user.password_hash is not None:
                # A password reset asked for; or a sign-in link asked for an account that signs in
                # with its password: no link, but a message that says so and offers a new password
                # (the page said a link was on its way, whoever asked: it tells nobody else).
                asked_for_link = request.purpose == SIGN_IN
                _send_link(
                    session,
                    PASSWORD_RESET,
                    user,
                    address,
                    path="/reset-password/",
                    public_url=public_url,
                    minutes=context.of(session).settings.password_reset_minutes
                    if asked_for_link
                    else request.minutes,
                    extra={"asked_for_link": True} if asked_for_link else None,
                )
        session.delete(request)
    session.flush()
    return len(asked)


def _send_link(
    session: Session,
    purpose: tokens.Purpose,
    user: User,
    address: str,
    *,
    path: str,
    public_url: str,
    minutes: int,
    next_path: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """A single-use link of ``purpose`` for ``user``, by email or SMS to ``address`` (the
    template is the purpose's; ``extra``: more for it to say). The newest link wins: asking again
    kills the ones sent before.
    A message the person asked for is outside the per-person caps (``notifications.service.UNCAPPED``:
    sign-ups anyone can send to an address had used up its day, and the link asked for was never
    sent): it goes at once. Nothing new (the caller's answer is the same either way) when a link
    of this purpose was made within the minute: asked again, the one just sent still works, where
    a new one would kill it (a stranger asking over and over sends one a minute at most, and only
    as many as ``_ask`` lets their client ask)."""
    ctx = context.of(session)
    a_minute_ago = ctx.clock.now() - timedelta(minutes=1)
    if ctx.limiter.enabled and tokens.live(session, purpose, user.id, issued_after=a_minute_ago):
        return
    # However many clients ask (each within ``_ask``'s limit), an account is sent so many links
    # of a purpose (``ADMIT_SIGN_IN_LINK_ACCOUNT_RATE_LIMIT``): past that, nothing new, and the newest
    # sent still works. Many clients asking cannot flood a person's inbox or phone.
    try:
        ctx.limiter.hit(f"login:sent:{purpose}:{user.id}", ctx.settings.sign_in_link_account_rate_limit)
    except RateLimited:
        return
    portals = members_service.memberships_of(session, user)
    if purpose == SIGN_IN:
        # As long as the strictest of the person's portals allows (their sign-in policy).
        minutes = portals_sign_in.link_minutes(((p, m.user_type) for p, m in portals), default=minutes)
    raw = tokens.issue(session, purpose, user.id, ttl=timedelta(minutes=minutes))
    message: dict[str, Any] = {
        "name": user.name,
        "email": address,
        "link": f"{public_url}{path}{raw}" + (f"?next={quote(next_path, safe='/')}" if next_path else ""),
        "minutes": minutes,
        **(extra or {}),
    }
    if purpose == SIGN_IN:
        # The same message carries a 6-digit code, for someone who reads it on another device.
        code = f"{secrets.randbelow(10**6):06d}"
        tokens.issue(
            session, SIGN_IN_CODE, user.id, ttl=timedelta(minutes=minutes), secret=_code_secret(user.id, code)
        )
        message["code"] = f"{code[:3]} {code[3:]}"
    # The link signs in to all of them: in several, the message names them all.
    message.update(portals_service.account_brand([p for p, _member in portals], public_url))
    notifications_service.enqueue(
        session,
        event_key=f"{purpose}:{hash_token(raw)[:32]}",
        template=str(purpose),
        to=address,
        context=message,
    )


def request_sign_in_link(
    session: Session, *, email: str, minutes: int, next_path: str | None = None, ip: str | None = None
) -> AskedAddress:
    """Send a one-time sign-in link (``minutes`` long) to ``email`` (an email address, or a
    phone number: then by SMS) if it is a passwordless active member. Says nothing either way
    (the address it returns is only ``email`` as Admit reads it); the worker sends it
    (``send_requested_links``). ``next_path``: a path on this site (already checked by the
    caller) the link leads to once used — where they were going. ``ip``: the client asking."""
    return _ask(session, SIGN_IN, asked_address(session, email), minutes, next_path, ip)


PASSWORD_RESET = tokens.Purpose.PASSWORD_RESET


def request_password_reset(
    session: Session, *, email: str, minutes: int, ip: str | None = None
) -> AskedAddress:
    """Send a single-use link to choose a new password, if ``email`` (an email address, or a
    phone number: then by text message) is an active member's with a password (people without
    one sign in by link). Says nothing either way (the address it returns is only ``email`` as
    Admit reads it); the worker sends it (``send_requested_links``). A number that cannot be one
    is refused on ``email``: that tells nothing about accounts. ``ip``: the client asking."""
    asked = asked_address(session, email)
    if asked.number_fault is not None:
        raise InvalidInput(asked.number_fault, field="email")
    return _ask(session, PASSWORD_RESET, asked, minutes, ip=ip)


def _reset_gone(_reason: tokens.Reason) -> Gone:
    return PasswordResetGone("This password reset link has expired or was already used. Ask for a new one.")


def password_reset_user(session: Session, raw: str) -> User:
    """The user a reset link is for, without using it (opening the page never uses it)."""
    user_id = tokens.subject_of(session, PASSWORD_RESET, raw, use=False, refused=_reset_gone)
    user = members_service.get_user(session, user_id)
    if user is None:
        raise _reset_gone(tokens.Reason.UNKNOWN)
    return user


def reset_password(session: Session, raw: str, password: str) -> User:
    """Choose a new password with a reset link (once): every session of the account ends and
    every other reset or sign-in link it had dies; the caller signs the person in afresh."""
    user = password_reset_user(session, raw)
    # The link is used after the hash: one used meanwhile refuses this request.
    password_hash, _stepped_out = hash_chosen(session, password, address=user.address)
    tokens.subject_of(session, PASSWORD_RESET, raw, use=True, refused=_reset_gone)
    members_service.set_password(session, user, password_hash)
    sign_out_everywhere(session, user.id)
    notices.tell(session, user, "password_changed")
    members_service.audit_own(
        session,
        user,
        "user.password_reset",
    )
    return user


def _link_gone(session: Session, raw: str) -> Callable[[tokens.Reason], Gone]:
    """The refusal of the sign-in link ``raw``, with ``address``: the address it was sent to
    (none for a link of no one's). Its holder has the link, so asking for a new one needs not
    retype it (the page's "Get a new sign-in link" carries it; the API's problem says it)."""

    def gone(_reason: tokens.Reason) -> Gone:
        subject = tokens.issued_for(session, SIGN_IN, raw)
        user = members_service.get_user(session, subject) if subject is not None else None
        address = user.address if user is not None else None
        return SignInLinkGone(
            "This sign-in link has expired or was already used. Ask for a new one.", address=address
        )

    return gone


def sign_in_link_user(session: Session, raw: str) -> User:
    """The user a sign-in link is for, without using it (GET never uses a link up)."""
    refused = _link_gone(session, raw)
    return _link_user(session, tokens.subject_of(session, SIGN_IN, raw, use=False, refused=refused), refused)


def use_sign_in_link(session: Session, raw: str) -> User:
    """Use a sign-in link: exactly once, before it expires (and before a newer one is sent).
    Its code dies with it."""
    refused = _link_gone(session, raw)
    user = _link_user(session, tokens.subject_of(session, SIGN_IN, raw, use=True, refused=refused), refused)
    tokens.end(session, SIGN_IN_CODE, user.id, tokens.Reason.USED)
    return user


SIGN_IN_CODE = tokens.Purpose.SIGN_IN_CODE
WRONG_CODE = (
    "That code is wrong or has expired. Check the latest email or text message, or ask for a new one."
)
# The code field's own advice, said before the browser refuses letters in it ("12ab").
CODE_HINT = "Use the 6-digit code from the latest email or text message."


def _code_secret(user_id: uuid.UUID, code: str) -> str:
    # Scoped by its user: a 6-digit code means something only with the address it was sent to.
    return f"{user_id}:{code}"


def use_sign_in_code(session: Session, *, email: str, code: str, ip: str | None = None) -> User:
    """Sign in with the 6-digit code of the newest sign-in email, typed with the address it
    went to from the client ``ip``: once, before it expires; its link dies with it. What is not
    6 digits (spaces aside) is refused on ``code`` with ``CODE_HINT``. Tries are counted before
    any code is looked at, as a password's are (``_count_try``), by account: per client and account
    (``ADMIT_SIGN_IN_CODE_CLIENT_RATE_LIMIT``: a stranger's wrong codes pause the stranger, not
    the person) and per account from every client (``ADMIT_SIGN_IN_CODE_ADDRESS_RATE_LIMIT``:
    what bounds guessing, a million codes). Every wrong answer — unknown address, wrong or old
    code — reads the same."""
    digits = re.sub(r"\s", "", code or "")
    if re.fullmatch(r"[0-9]{6}", digits) is None:
        # No code could be this ("abc12"): said under the field, and no try at anyone's code.
        raise InvalidInput(CODE_HINT, field="code")
    key = asked_address(session, email).key
    asking = _member_asking(session, key)
    # Counted per account, whichever of its addresses is typed (its email address and its phone
    # number are one count); an address of no account, as typed, is counted and answered alike.
    account = str(asking[1].id) if asking is not None else key
    ctx = context.of(session)
    settings = ctx.settings
    counts = _count_try(
        session,
        "login:code",
        account,
        ip,
        settings.sign_in_code_client_rate_limit,
        settings.sign_in_code_address_rate_limit,
    )
    # Every wrong answer says how many tries are left, by the count nearer its end (none: limits off).
    lefts = [(ctx.limiter.remaining(counted, limit), limit) for counted, limit in counts]
    fewest = min(((n, limit) for n, limit in lefts if n is not None), key=lambda x: x[0], default=None)
    wrong = WRONG_CODE if fewest is None else f"{WRONG_CODE} {ratelimit.tries_left(*fewest)}"
    if asking is None:
        raise InvalidCredentials(wrong)
    _address, user = asking
    try:
        tokens.claim(session, SIGN_IN_CODE, _code_secret(user.id, digits))
    except tokens.TokenRefused:
        raise InvalidCredentials(wrong) from None
    tokens.end(session, SIGN_IN, user.id, tokens.Reason.USED)
    return user


def _link_user(session: Session, user_id: uuid.UUID, refused: Callable[[tokens.Reason], Gone]) -> User:
    user = members_service.get_user(session, user_id)
    if user is None:  # users are never deleted; a link to nobody opens nothing
        raise refused(tokens.Reason.UNKNOWN)
    return user


def choose_password(
    session: Session,
    user: User,
    password: str,
    *,
    current: str | None = None,
    keep: WebSession | None = None,
    ip: str | None = None,
) -> None:
    """The signed-in person's password: a first one for an account that has none (the gate's
    ``choose_password``, or a client who wants one), or a new one for an account that has one,
    which takes the ``current`` one (tries from the client ``ip`` count as sign-in tries:
    ``count_password_try``) and signs every other browser out, as a reset does (``keep``: the
    session asking, which stays in)."""
    had = user.password_hash
    if had is not None:
        _check_current(session, user, current, password, ip)
    password_hash, _stepped_out = hash_chosen(session, password, address=user.address)
    # Only over the password checked: a reset (or another change) meanwhile wins.
    if not members_service.replace_password(session, user, had, password_hash):
        raise Conflict("Your password was changed meanwhile. Reload the page and try again.")
    if had is not None:
        sign_out_everywhere(session, user.id, keep=keep)
    notices.tell(session, user, "password_changed" if had is not None else "password_chosen")
    members_service.audit_own(
        session,
        user,
        "user.password_changed" if had is not None else "user.password_set",
    )


def _check_current(session: Session, user: User, current: str | None, new: str, ip: str | None) -> None:
    """A password change's proof, the account's current password, and a new one that passes
    the rule (``check_chosen``) and differs from it: every fault at once, each under its field.
    The new one is compared with the current one only once that was right (a wrong current
    password tells nothing of the new one). Checked with SQLite's write lock free
    (``db.step_out``), as a sign-in's is."""
    checks, proven = Checks(), False
    with checks.of("current_password"):
        if not current:
            raise InvalidInput("Type your current password.")
        count_password_try(session, user.address or "", ip)
        had = user.password_hash
        step_out(session)
        if not verify_password(had, current):
            raise InvalidInput("That is not your current password.")
        proven = True
    with checks.of("password"):
        check_chosen(session, new, address=user.address)
        if proven and verify_password(had, new):
            raise InvalidInput("That is your current password: choose a new one.")
    checks.done()


def turn_off_two_factor(session: Session, user: User, code: str) -> None:
    """Turn two-step verification off: it takes a right code (the app's or a recovery code), and
    is refused while a portal of theirs requires it."""
    if two_factor_required_by(session, user):
        raise Conflict("A portal of yours requires two-step verification: it cannot be turned off.")
    second_factor.remove(session, user, code)


def challenge_user(session: Session, raw: str | None, *, use: bool) -> User:
    """The person a sign-in challenge is for; ``use`` spends it (the sign-in is complete)."""
    try:
        opened = (
            tokens.claim(session, CHALLENGE, raw or "") if use else tokens.peek(session, CHALLENGE, raw or "")
        )
    except tokens.TokenRefused:
        raise NotAuthenticated(
            "This sign-in took too long or was already completed: sign in again."
        ) from None
    user = members_service.get_user(session, opened.subject_id)
    if user is None:
        raise NotAuthenticated("Sign in again.")
    return user


def challenge_via(raw_challenge: str | None) -> Via:
    """How the sign-in a challenge finishes was begun (its first step: a password, a sign-in
    link…), read from the challenge once it was accepted (``challenge_user``);
    ``Via.SECOND_FACTOR`` for a challenge that does not say."""
    first, _, _ = (raw_challenge or "").partition(".")
    return Via(first) if first in set(Via) else Via.SECOND_FACTOR


def complete_two_factor(session: Session, raw_challenge: str, code: str) -> User:
    """The second step of a sign-in: the app's code (or a recovery code) for the challenge's
    person; the challenge is spent. The caller then starts the session (``second_factor_done``)."""
    user = challenge_user(session, raw_challenge, use=False)
    second_factor.check(session, user, code)
    return challenge_user(session, raw_challenge, use=True)
