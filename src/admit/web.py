"""What the API and the pages share: the request's database session, client IP, signed-in user,
and the actor for a portal (signed-in member or API key). Both faces authorise through the
services; these helpers only find who is asking and 404 anyone who is not in the portal.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import ipaddress
import re
import secrets
import uuid
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, NamedTuple
from urllib.parse import quote, urlsplit

import anyio
from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.auth import gate as auth_gate
from admit.auth import service as auth_service
from admit.auth.models import WebSession
from admit.context import Context
from admit.db import Database
from admit.errors import (
    DomainError,
    InvalidApiKey,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    PortalNotFound,
    SignInIncomplete,
)
from admit.kit.routing import finish_in_thread
from admit.kit.tokens import same
from admit.members import service as members_service
from admit.members.models import Member, User
from admit.notifications.mailbox import MailboxScope
from admit.policy import Action, Role
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service
from admit.portals.models import Portal
from admit.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cross_site(request: Request, public_url: str) -> bool:
    """Whether a browser sent this request from another site (a page elsewhere posting a form
    or a script): refused for every change, so nobody can sign a visitor's browser into an
    account of theirs (login CSRF) or act with their session. Browsers say where a request
    comes from (``Sec-Fetch-Site``, else ``Origin``); a client that says nothing (curl, a
    server, an HR sync) is not a browser that can be tricked, and passes."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")  # "none": typed, a bookmark
    origin = request.headers.get("origin")
    if origin is None:
        return False
    if origin == "null":  # a sandboxed frame, a data: page, a redirect across sites
        return True
    return not ours(request, urlsplit(origin).netloc, public_url)


def ours(request: Request, netloc: str, public_url: str) -> bool:
    """Whether ``netloc`` (a URL's ``host:port``) is this service's: its public URL's, or the
    host the request was sent to."""
    return netloc in {urlsplit(public_url).netloc, request.headers.get("host", "")}


# What a page may load, for the browser to enforce (``Content-Security-Policy``, on every HTML
# answer: ``app.Edge``): scripts, styles, fonts, fetches and form posts only from Admit itself,
# no plugin, no <base>, never in another site's frame. No inline script or ``style="…"``
# attribute runs (admit.js and admit.css do it all); the page's own <style> (a portal's colours)
# is let in by a nonce made for that one answer (``style_nonce``). Images: Admit's and data: ones
# (admit.css draws the select arrow as one).
PAGE_POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
# The dev mailbox's email page: the email is shown in a sandboxed ``<iframe srcdoc>``, which keeps
# its page's policy, and emails are styled inline (``style="…"``, as mail programs need) and show
# the logo from the public URL (another port, another host): those, on this page only.
MAIL_PREVIEW_POLICY = {**PAGE_POLICY, "style-src": "'self' 'unsafe-inline'", "img-src": "* data:"}
_NONCE_KEY = "admit.style_nonce"
# Browsers that once reached Admit over https go on doing so for a year (its subdomains too);
# only when the public URL is https: over plain http (local development) it would lock it out.
STRICT_TRANSPORT = "max-age=31536000; includeSubDomains"


def style_nonce(scope: Any) -> str:
    """The nonce a page's own ``<style>`` carries (``<style nonce="…">``): made on first ask, one
    per answer, and named in that answer's policy (``content_security_policy``)."""
    nonce: str = scope.setdefault(_NONCE_KEY, secrets.token_urlsafe(16))
    return nonce


def content_security_policy(scope: Any, policy: dict[str, str] = PAGE_POLICY) -> str:
    """``policy`` as the header says it, with the answer's style nonce if its page used one."""
    nonce = scope.get(_NONCE_KEY)
    if nonce is not None and "'unsafe-inline'" not in policy["style-src"]:
        policy = {**policy, "style-src": f"{policy['style-src']} 'nonce-{nonce}'"}
    return "; ".join(f"{name} {sources}" for name, sources in policy.items())


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def inline_scripts_allowed(html: str, policy: dict[str, str] = PAGE_POLICY) -> str:
    """The policy of a page made by others' code whose own start-up script is inline (the API
    reference, Swagger UI): ``policy`` letting in exactly the inline scripts ``html`` holds, by
    their SHA-256, and nothing else inline."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    ]
    if hashes:
        policy = {**policy, "script-src": " ".join([policy["script-src"], *hashes])}
    return content_security_policy({}, policy)


def strict_transport(public_url: str) -> str | None:
    """``Strict-Transport-Security`` for a service at ``public_url``: None over plain http."""
    return STRICT_TRANSPORT if public_url.startswith("https://") else None


def dev_mailbox_refusal(session: Session | None, user: User | None, host: str) -> DomainError | None:
    """Why the dev mailbox is not this reader's, or None: it holds every email and its links
    (sign-in, invitations), so it answers signed-in owners and admins of a portal, and on this
    machine (``host``, a loopback client) someone not signed in (whoever runs Admit, trying it
    out). Anyone else signed in is refused (403), on this machine too (a client must not read
    others' emails); for a visitor from elsewhere it is not there (404). The pages show its link
    only to whom it answers."""
    scope = mailbox_scope(session, user) if session is not None else None
    return _mailbox_refused(user, host, scope)


def _mailbox_refused(user: User | None, host: str, scope: MailboxScope | None) -> DomainError | None:
    """``dev_mailbox_refusal``, given what ``user`` may read (``mailbox_scope``, asked once)."""
    if user is None:
        try:
            if ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            pass
        return NotFound("There is nothing here.")
    # Someone signed in: theirs only if they may read it for some portal.
    if scope is None or not scope.portal_ids:
        return PermissionDenied(policy.DENIED_MESSAGE[Action.DEV_MAILBOX_VIEW])
    return None


def dev_mailbox_reader(request: Request, session: SessionDep) -> MailboxScope | None:
    """The dev mailbox's pages and API: ``dev_mailbox_refusal`` of whoever asks, then what they
    may read (``mailbox_scope``): their memberships read once."""
    host = request.client.host if request.client else ""
    user = read_auth(request, session).user
    scope = mailbox_scope(session, user)
    if (refusal := _mailbox_refused(user, host, scope)) is not None:
        raise refusal
    return scope


def mailbox_scope(session: Session, user: User | None) -> MailboxScope | None:
    """What a dev mailbox reader may read: someone signed in, the messages of the portals they
    may read it for (an owner's, an admin's) and those to themselves; another portal's (its
    invitations and sign-in links) are not theirs, even here. Nor, of those, any to someone
    who belongs to a portal the reader does not run (any membership, any status): an invitation
    the reader sent them (or a link sign-up's confirmation) would sign the reader in as them,
    into that portal. None: everything, for whoever runs Admit on this machine, not signed in."""
    if user is None:
        return None
    portals = frozenset(
        portal.id
        for portal, member in members_service.memberships_of(session, user)
        if policy.can(member.role, Action.DEV_MAILBOX_VIEW)
    )
    own = frozenset(a for a in (user.email, user.phone) if a)
    return MailboxScope(portals, own, withheld=members_service.addresses_held_outside(portals))


MailboxReader = Annotated[MailboxScope | None, Depends(dev_mailbox_reader)]


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings_dep(request: Request) -> Settings:
    ctx: Context = request.app.state.db.context
    return ctx.settings


# A request holds a pooled connection from its session's first statement to its end (commit,
# close), and meanwhile takes threads from the pool that endpoints share: for the endpoint (and,
# for an answer its model refuses, FastAPI's check of it). Were more requests to hold sessions than
# the pool has connections, endpoints would hold every thread waiting for a connection while the
# sessions that have them wait for a thread to finish: a stall until the pool's timeout, then
# 500s (bench/load.py showed it at 32 connections with two threads; with the default 40 it takes
# about 70 requests at once). So at most ``Database.request_sessions`` requests have a session;
# the others wait here on the event loop, holding neither a thread nor a connection.
_SLOTS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakKeyDictionary[Database, asyncio.Semaphore]
]
_SLOTS = weakref.WeakKeyDictionary()


def _session_slots(db: Database) -> asyncio.Semaphore:
    # One per event loop (each test client runs its own) and database.
    by_db = _SLOTS.setdefault(asyncio.get_running_loop(), weakref.WeakKeyDictionary())
    slots = by_db.get(db)
    if slots is None:
        slots = by_db[db] = asyncio.Semaphore(db.request_sessions)
    return slots


async def _end(db: Database, session: Session, *, commit: bool) -> None:
    # In a thread of its own, as FastAPI ends a sync dependency: an end never queues behind
    # endpoints for the threads they share (it gives a connection back).
    await anyio.to_thread.run_sync(
        functools.partial(db.end, session, commit=commit), limiter=anyio.CapacityLimiter(1)
    )


async def db_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; committed before the response is sent, rolled back on error.
    Opening one does no I/O, so it is done on the event loop (once a slot is free:
    ``_session_slots``). A plain endpoint that answers with a response (a page), or with an answer
    its route's model checks and writes out there (an API's), commits it in its own thread
    (``kit.routing.finish_in_thread``), and it is closed here, which then does no I/O; otherwise
    (an async endpoint, an answer the model refuses) the end runs in a thread here. Each hop to a
    thread and back costs a request ~120 µs of CPU."""
    db: Database = request.app.state.db
    async with _session_slots(db):
        session = db.session()
        request.state.db_session = session
        committed = False

        def commit_in_thread() -> None:
            nonlocal committed
            session.commit()
            committed = True

        finishing = finish_in_thread.set(commit_in_thread)
        try:
            yield session
        except DomainError as exc:
            await _end(db, session, commit=exc.keeps_work)
            raise
        except BaseException:
            await _end(db, session, commit=False)
            raise
        finally:
            finish_in_thread.reset(finishing)
        if committed and not session.in_transaction():
            session.close()  # its connection went back at the commit: nothing left to end
        else:  # an async endpoint, an API's answer, or a read begun since
            await _end(db, session, commit=True)


SessionDep = Annotated[Session, Depends(db_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.db.context
    return ctx


ContextDep = Annotated[Context, Depends(get_context)]


def limit_token_guessing(request: Request) -> None:
    """Opening or using a secret link is limited per client address (guessing tokens)."""
    ctx: Context = request.app.state.db.context
    ctx.limiter.hit(f"token:{client_ip(request)}", ctx.settings.token_rate_limit)


def limit_sign_in(request: Request) -> None:
    """Sign-in attempts (password, sign-in link requests) are limited per client address; the
    per-address limit is the auth service's."""
    ctx: Context = request.app.state.db.context
    ctx.limiter.hit(f"login:ip:{client_ip(request)}", ctx.settings.login_rate_limit)


TokenGuessingLimited = Depends(limit_token_guessing)


CHALLENGE_COOKIE = "admit_challenge"


def sign_in_browser(
    session: Session,
    request: Request,
    response: Response,
    user: User,
    *,
    via: auth_service.Via,
    second_factor_done: bool = False,
    made_in: tuple[Portal, Member] | None = None,
) -> WebSession | auth_service.Challenge:
    """Pass the sign-in gate (``auth.service.sign_in``) and give the browser its session cookie:
    how both faces sign someone in. The session keeps where it came from (the client's address
    and User-Agent: the person's list of where they are signed in shows them). When the gate
    answers a challenge (a second factor is due) there is no session: the browser keeps the
    challenge in a short cookie, and a page's
    redirect goes to the code first (``/login/two-factor``), then where it was going; the API
    answers it (``challenge_problem``). ``made_in``: the account was made in this request
    (``auth.service.two_factor_due``)."""
    outcome = auth_service.sign_in(
        session,
        user,
        via=via,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        second_factor_done=second_factor_done,
        made_in=made_in,
    )
    settings = context.of(session).settings
    if isinstance(outcome, auth_service.Challenge):
        response.set_cookie(
            CHALLENGE_COOKIE,
            outcome.raw,
            max_age=auth_service.CHALLENGE_MINUTES * 60,
            httponly=True,
            samesite="lax",
            secure=settings.session_cookie_secure,
            path="/",
        )
        going = response.headers.get("location")
        if going is not None:
            response.headers["location"] = f"/login/two-factor?next={quote(going)}"
        return outcome
    raw, web_session = outcome
    response.set_cookie(
        settings.session_cookie_name,
        raw,
        max_age=settings.session_lifetime_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
        path="/",
    )
    return web_session


@dataclass
class Auth:
    """Who is asking: a browser session, an API key, or nobody."""

    web_session: WebSession | None = None
    raw_session: str | None = None
    api_key_raw: str | None = None

    @property
    def user(self) -> User | None:
        return self.web_session.user if self.web_session else None


def read_auth(request: Request, session: Session) -> Auth:
    known = auth_from_headers(request)
    if known is not None:
        return known
    raw = request.cookies.get(request.app.state.db.context.settings.session_cookie_name)
    web_session = auth_service.session_from_token(session, raw)
    return Auth(web_session=web_session, raw_session=raw if web_session else None)


def auth_from_headers(request: Request) -> Auth | None:
    """``read_auth``'s answer when the headers alone give it (an API key, checked later by
    ``portal_actor``; nobody: no session cookie); None when a session must be looked up."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return Auth(api_key_raw=header[7:].strip())
    if not request.cookies.get(request.app.state.db.context.settings.session_cookie_name):
        return Auth()
    return None


class ActivePortals(NamedTuple):
    """The portals a user (``user_id``) is an active member of, read by ``portal_actor`` with the
    membership it checks: a page's portal switcher lists them (``pages.deps.render``) without a
    read of its own, on a request that changes nothing (a GET)."""

    user_id: uuid.UUID
    portal_ids: list[uuid.UUID]


def portal_actor(request: Request, session: Session, slug: str, auth: Auth, *, gate: bool = True) -> Actor:
    """The actor for ``slug``: 401 when nobody is signed in, 404 when not in this portal, 403
    ``member_deactivated`` for a member whose access was ended, 403 ``sign_in_incomplete``
    when a browser session still owes the portal's sign-in policy a step (``auth.gate``; not
    with ``gate=False``: the pages and routes that take those steps).

    Credentials are checked before the portal is looked up, so an anonymous caller cannot tell
    which portal names exist."""
    if auth.api_key_raw is None and auth.web_session is None:
        # Said to the API's clients (a page goes to the sign-in page instead: pages.errors).
        raise NotAuthenticated(
            "No credentials: send your API key as `Authorization: Bearer <API key>`, or sign in "
            "(POST /api/v1/auth/login) and send the session cookie it sets."
        )
    key = None
    if auth.api_key_raw is not None:
        key = auth_service.api_key_from_token(session, auth.api_key_raw)
        if key is None:
            raise InvalidApiKey("The API key is not valid.")
    portal = portals_service.get_by_slug(session, slug)
    if portal is None or (key is not None and key.portal_id != portal.id):
        raise PortalNotFound("No such portal.")
    ip = client_ip(request)
    if key is not None:
        # Kept for the API's refusals: what a key may do is its role's (``api.errors.said_to``).
        request.state.actor = by_key = Actor(portal=portal, role=Role(key.role), api_key=key, ip=ip)
        return by_key
    web_session = auth.web_session
    assert web_session is not None, "no API key: the browser session checked above"
    # With the portals they are an active member of: the pages' portal switcher's (``ActivePortals``).
    member, active = members_service.membership_and_active(session, portal.id, web_session.user_id)
    request.state.active_portals = ActivePortals(web_session.user_id, active)
    if member is not None and member.status in (members_service.ACTIVE, members_service.DEACTIVATED):
        # Someone let in (their access may have ended since): an error page drawn after this
        # request's session is gone still wears the portal's look (``pages.deps.render``).
        request.state.portal_brand = portals_brand.of(portal)
    if member is not None and member.status == members_service.DEACTIVATED:
        # They were in: say what happened (they know the portal), not "no such portal"; and
        # whether they have another portal to go to (the page offers it, else Sign out).
        ended = members_service.access_ended(portal)
        request.state.other_portals = bool(
            members_service.portals_switched_to(session, web_session.user, besides=portal.id, active=active)
        )
        raise ended
    if member is None or member.status != members_service.ACTIVE:
        # Never a member (or still pending): the portal does not exist for them.
        raise PortalNotFound("No such portal.")
    if gate:
        owed = auth_gate.steps(session, web_session, web_session.user, portal, member.user_type)
        if owed:
            raise SignInIncomplete(
                f"{portal.name} asks for more before you go on: {', '.join(owed)}.", steps=owed, portal=slug
            )
    return Actor(portal=portal, role=Role(member.role), user=web_session.user, member=member, ip=ip)


def csrf_ok(auth: Auth, presented: str | None) -> bool:
    return bool(auth.web_session and presented and same(presented, auth.web_session.csrf_token))
