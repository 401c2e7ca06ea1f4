"""Page dependencies: rendering with the shared context, the signed-in user, the portal actor,
and CSRF for forms (the session's token when signed in, a double-submit cookie otherwise)."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NamedTuple
from urllib.parse import quote, unquote, urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders

from admit import policy
from admit.actor import Actor
from admit.audit import words as audit_words
from admit.auth import second_factor
from admit.auth import service as auth_service
from admit.db import Database
from admit.errors import CsrfFailed, DomainError, InvalidInput, SignInIncomplete, listed_in
from admit.imports import service as imports_service
from admit.invitations import options as invitation_options
from admit.invitations import pipeline
from admit.invitations.pipeline import RecipientResult
from admit.kit.brand import Brand
from admit.kit.routing import in_endpoint_thread
from admit.kit.templating import write_out
from admit.kit.text import (
    day_text,
    full_stop,
    is_phone,
    lifetime_in_words,
    moment_text,
    readable_phone,
    sentence,
    zone_text,
)
from admit.kit.tokens import same
from admit.members import addresses, passwords
from admit.members import service as members_service
from admit.members.models import User
from admit.notifications import held_roles
from admit.people import schemas as people_schemas
from admit.people.names import names_in_portal
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service
from admit.web import (
    SAFE_METHODS,
    ActivePortals,
    Auth,
    SessionDep,
    dev_mailbox_refusal,
    portal_actor,
    read_auth,
    style_nonce,
)

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
write_out(templates.env)  # values written out as escaped text, fewer pieces, quicker calls


@pass_context
def url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> str:
    """A page's ``url_for``: what Starlette's gives, with each route's path found once. Its own
    walks every route of the app at each call (FastAPI's included routers make that slow):
    ~70% of User Management's time for a page of 50 rows (bench/pages.py under py-spy).

    A page ``render``s is given it bound to its request (``url_for_request``) instead: Jinja
    calls a function that takes the template's context with a context of its own made for each
    call in a loop (~12 µs: 6% of User Management's rows)."""
    return url_for_request(context["request"], name, **path_params)


def url_for_request(request: Request, name: str, /, **path_params: Any) -> str:
    """``url_for`` for ``request``: each route's path is found once per app, as a format string
    (``_url_paths``), and the request's scheme, host and root path joined once per request
    (User Management asks ~120 times: ~6 µs a call had been a tenth of its rows)."""
    scope = request.scope
    made: tuple[str, dict[tuple[str, ...], str | None]] | None = scope.get("admit.urls")
    if made is None:
        base = request.base_url
        made = scope["admit.urls"] = (
            f"{base.scheme}://{base.netloc}{base.path.rstrip('/')}",
            _url_paths(request.app),
        )
    prefix, paths = made
    key = (name, *path_params)
    if key not in paths:
        paths[key] = _url_path(request, name, key[1:])
    path = paths[key]
    values = {}
    for k, v in path_params.items():
        text = str(v)
        # A value Starlette would refuse or change (empty, a "/" in a segment, "/x" for a file)
        # goes its way, and says what it says.
        if not text or ("/" in text and (k != "path" or text.startswith("/"))):
            path = None
            break
        values[k] = text
    if path is None:
        return str(request.url_for(name, **path_params))
    # Text, not a ``URL``: pages only write it out (~170 a User Management page).
    return prefix + path.format_map(values)


def _url_paths(app: Any) -> dict[tuple[str, ...], str | None]:
    """The app's route paths found so far, by route name and parameter names."""
    paths: dict[tuple[str, ...], str | None] | None = getattr(app.state, "url_paths", None)
    if paths is None:
        paths = app.state.url_paths = {}
    return paths


def _url_path(request: Request, name: str, params: tuple[str, ...]) -> str | None:
    """The path of route ``name`` as a format string of ``params`` (None: a parameter of a
    converting type, asked of Starlette each time)."""
    try:
        marked = request.app.url_path_for(name, **{k: f"\x00{k}\x00" for k in params})
    except (ValueError, TypeError, AssertionError):
        return None
    return _as_format(marked)


def _as_format(marked: str) -> str:
    """A URL whose parameters are marked ``\x00name\x00`` as a format string of them."""
    pieces = marked.replace("{", "{{").replace("}", "}}").split("\x00")  # literal, name, literal, …
    return "".join(piece if i % 2 == 0 else "{" + piece + "}" for i, piece in enumerate(pieces))


def url_pattern_request(request: Request, name: str, /, *left: str, **path_params: Any) -> str:
    """``url_for`` with the parameters ``left`` not given yet: a format string that a page's rows
    fill in (``pattern.format(member_id=row.id)``), as ``url_for`` would have written each. A row
    action's ``url_for`` cost ~4 µs, a tenth of a User Management page's rows."""
    return _as_format(url_for_request(request, name, **path_params, **{k: f"\x00{k}\x00" for k in left}))


templates.env.globals["url_for"] = url_for
# A page's own <style> (a portal's colours): ``<style nonce="{{ style_nonce(request) }}">``, which
# the answer's Content-Security-Policy names (web.style_nonce).
templates.env.globals["style_nonce"] = lambda request: style_nonce(request.scope)


def who(user: User) -> str:
    """A person as the pages name them (``User.shown``)."""
    return user.shown


def named(address: str, name: str | None = None) -> str:
    """A person in a sentence the pages say to the one acting on them ("Revoke the invitation to
    …?", "… was deactivated."): "Name (address)" when they have a name, else the address, a
    phone number made readable."""
    shown = readable_phone(address)
    return f"{name} ({shown})" if name else shown


def owners_whom(named: Sequence[str], count: int | None = None) -> str:
    """Whom a "Yes, make …." makes owners (``_owners.html``, on every page that asks it): the
    people ``named`` (each as ``named_for`` says them; the first few,
    ``imports.service.OWNERS_NAMED``) of ``count`` in all: "Dan Dev (dan@acme.com) an owner",
    "ada@acme.com and bob@acme.com owners", "Ann (ann@x.org), Bob (bob@x.org), Cy (cy@x.org) and
    2 more owners"; "3 people owners" when no one is named."""
    count = len(named) if count is None else count
    shown = list(named[: imports_service.OWNERS_NAMED])
    if not shown:
        return "1 person an owner" if count == 1 else f"{count:,} people owners"
    more = count - len(shown)
    if more > 0:
        whom = f"{', '.join(shown)} and {more:,} more"
    else:
        whom = f"{', '.join(shown[:-1])} and {shown[-1]}" if len(shown) > 1 else shown[0]
    return f"{whom} an owner" if count == 1 else f"{whom} owners"


def named_for(
    actor: Actor, address: str | None, name: str | None, *, person_id: uuid.UUID | None = None
) -> str:
    """A person as a notice to ``actor`` names them ("Invitation resent to …", "… was removed
    from this workspace."): by their name when one is known, with their address after it where
    the actor sees addresses (``policy.sees_addresses_of``): "Nora Newby (nora@homebase.net)";
    with no name, by their address (or "this person" to someone who sees no addresses). The one
    way every notice names someone (``user_named_for`` finds a user's name)."""
    viewer_id = actor.user.id if actor.user is not None else None
    if not policy.sees_addresses_of(actor.role, viewer_id=viewer_id, person_id=person_id):
        return name or "this person"
    return named(address or "", name)


def user_named_for(session: Session, actor: Actor, user: User, *, name: str = "") -> str:
    """``named_for`` a user: ``name`` when the record at hand gives one (a contact's), else the
    name this portal shows them by (``people.names.names_in_portal``: their own as a member,
    else the one this portal's invitation gave them)."""
    known = name or names_in_portal(session, actor.portal.id, [user]).get(user.id, "")
    return named_for(actor, user.address, known, person_id=user.id)


def _zone(ctx: Any) -> str | None:
    """The time zone a page writes moments in: its portal's (UTC on a page of no portal)."""
    portal = ctx.get("portal")
    return getattr(portal, "time_zone", None) if portal is not None else None


# Pages write every date one way, as emails do, in the portal's time zone ("6 December 2026",
# "6 December 2026 at 10:05 CET"), inside a <time> whose ``datetime`` is ISO 8601. The texts
# are digits, letters and punctuation with nothing to escape: written straight in, not through
# Markup.format (twice the time, for every row of a list).


@pass_context
def when(ctx: Any, moment: datetime | None) -> Markup | str:
    """A moment something happened, in a list: as ``moment`` writes it, and recent ones said by
    admit.js as "5 min ago" (the ``data-local`` attribute; the exact moment in its tooltip)."""
    if moment is None:
        return "—"
    return Markup(
        f'<time datetime="{moment.isoformat()}" data-local>{moment_text(moment, _zone(ctx))}</time>'
    )


@pass_context
def moment_shown(ctx: Any, moment: datetime | None, zone: str | None = None) -> Markup | str:
    """A moment as its email says it, in ``zone`` (the page's portal's by default): "13 December
    2026 at 10:05 CET"."""
    if moment is None:
        return "—"
    return Markup(f'<time datetime="{moment.isoformat()}">{moment_text(moment, zone or _zone(ctx))}</time>')


@pass_context
def day_shown(ctx: Any, day: date | datetime | None, zone: str | None = None) -> Markup | str:
    """A day, "6 December 2026": a date as it is, a moment's day in ``zone`` (the page's
    portal's by default)."""
    if day is None:
        return "—"
    return Markup(f'<time datetime="{day.isoformat()}">{day_text(day, zone or _zone(ctx))}</time>')


@pass_context
def zone_shown(ctx: Any, zone: str | None) -> str:
    """A portal's time zone as the pages say it: "Honolulu time (HST)" (``kit.text.zone_text``,
    its short name as it is now, by the app's clock)."""
    request: Request | None = ctx.get("request")
    now = request.app.state.db.context.clock.now() if request is not None else datetime.now(UTC)
    return zone_text(zone, now)


def breaks_at_at(value: str) -> Markup:
    """An address that may break before its "@" (a ``<wbr>``) where a narrow column needs it,
    rather than mid-word ("cara.smith@clientco.co / m"); a phone number as it is."""
    local, at, domain = str(value).partition("@")
    return Markup.escape(local) + (Markup("<wbr>@") + Markup.escape(domain) if at else Markup(""))


def products_named(products: list[str] | tuple[str, ...]) -> str:
    """Products as the pages name each one (``|capitalize``: "Messaging, Billing"), in a list."""
    return ", ".join(p.capitalize() for p in products)


templates.env.globals["invite_message_max"] = invitation_options.MAX_MESSAGE  # the personal message's limit
templates.env.globals["password_rules"] = passwords.rules_in_words  # the choosing forms' hint
templates.env.globals["held_roles"] = held_roles.said  # "You will hold the role “Reviewer” there."
templates.env.globals["invited_as"] = (
    policy.invited_as
)  # "a client", "an internal user (Admin)": as its email says
templates.env.globals["app_code_hint"] = second_factor.APP_CODE  # two-step setup's code field title
templates.env.globals["sign_in_code_hint"] = auth_service.CODE_HINT  # the sign-in code field's title
templates.env.globals["shown_name"] = people_schemas.shown_name  # a sign-up's typed name, quoted
# The roles someone is made only once confirmed (``policy.owner_unconfirmed``): the owners'
# confirmation names them (``_owners.html``, data-asked-for) and admit.js hides it for another.
templates.env.globals["roles_confirmed_first"] = " ".join(
    role for role in policy.Role if policy.owner_unconfirmed(role, confirmed=False, was=None) is not None
)
templates.env.filters["when"] = when
templates.env.filters["products"] = products_named
templates.env.filters["phone"] = readable_phone
templates.env.tests["phone"] = is_phone  # ``address is phone``: a number, not an email address
templates.env.filters["breakable"] = breaks_at_at  # {{ address|phone|breakable }}: may break at "@"
templates.env.filters["who"] = who
templates.env.globals["owners_whom"] = owners_whom
templates.env.filters["named"] = named  # {{ row.address|named(row.name) }}
templates.env.filters["as_typed"] = addresses.as_typed  # Invite again: the Invite box's own form
templates.env.filters["sentence"] = sentence  # "in Acme Inc." never "Acme Inc.."
templates.env.filters["lifetime"] = lifetime_in_words  # a link's "15 minutes", "7 days"
templates.env.filters["moment"] = moment_shown  # "13 December 2026 at 10:05 CET", the portal's zone
templates.env.filters["day"] = day_shown  # "6 December 2026"
templates.env.filters["zone"] = zone_shown  # "Honolulu time (HST)"
templates.env.filters["came_from"] = audit_words.came_from  # the Audit Log's From: an address or "Console"
templates.env.filters["full_stop"] = full_stop  # "<strong>Acme Inc.</strong>" and no second one
ANON_CSRF_COOKIE = "admit_csrf"


class LoginRedirect(Exception):
    """Raised by page dependencies when a page needs a signed-in user."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def page_auth(request: Request, session: SessionDep) -> Auth:
    """Who is signed in, read once per request (``page_actor`` reads it too)."""
    auth: Auth | None = getattr(request.state, "auth", None)
    if auth is None:
        auth = request.state.auth = read_auth(request, session)
    return auth


PageAuth = Annotated[Auth, Depends(page_auth)]


def _signed_in(request: Request, auth: Auth) -> Auth:
    if auth.web_session is None:
        raise LoginRedirect(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return auth


async def require_user(request: Request, auth: PageAuth) -> Auth:
    """No I/O: run on the event loop, not in a thread (a hop there and back costs ~80 µs)."""
    return _signed_in(request, auth)


SignedIn = Annotated[Auth, Depends(require_user)]


class Answered(Exception):
    """Raised by a page dependency that answers the request itself (``response``, a redirect):
    the route does not run."""

    def __init__(self, response: Response) -> None:
        self.response = response


class StepsRedirect(Exception):
    """Raised by ``page_actor`` when the portal's sign-in policy asks more of the session first:
    the page of the step to take, then back here."""

    def __init__(self, slug: str, next_path: str) -> None:
        self.url = f"/p/{slug}/sign-in/steps?next={quote(next_path)}"


def page_actor(slug: str, request: Request, session: SessionDep) -> Actor:
    """The signed-in person in the portal ``slug``. Who is signed in is read here, in the same
    thread (``page_auth``, not a dependency of its own), and that thread is the page's own
    (``PageActor``: ``kit.routing.in_endpoint_thread``): no hop to a thread of its own."""
    auth = _signed_in(request, page_auth(request, session))
    try:
        actor = portal_actor(request, session, slug, auth)
    except SignInIncomplete:
        raise StepsRedirect(
            slug, request.url.path + (f"?{request.url.query}" if request.url.query else "")
        ) from None
    if slug != actor.portal.slug and request.method in ("GET", "HEAD"):
        # The portal's address as typed (``/p/ACME``, found in any case: ``get_by_slug``): its
        # own, so the address bar, bookmarks and the links the page builds from it are one.
        parts = request.url.path.split("/", 3)  # "", "p", the slug as typed, the rest
        parts[2] = actor.portal.slug
        moved = "/".join(parts) + (f"?{request.url.query}" if request.url.query else "")
        raise Answered(RedirectResponse(moved, status_code=308))
    request.state.actor = actor
    return actor


PageActor = Annotated[Actor, Depends(in_endpoint_thread(page_actor))]


def allowed(action: policy.Action) -> Any:
    """A route's dependency: its page is only for whom ``policy`` allows ``action``; anyone else
    (a client opening User Management) gets the 403 "Not allowed" page with the reason and a way
    home, before the route runs, whichever page it is."""

    def check(actor: PageActor) -> None:  # after the actor, in the page's thread: no hop of its own
        policy.require(actor.role, action)

    return Depends(in_endpoint_thread(check))


def person(actor: Actor) -> User:
    """The person a page's actor is: pages are for signed-in people (``require_user``), never an
    API key."""
    assert actor.user is not None, "a page's actor is a signed-in person"
    return actor.user


def csrf_token_for(request: Request) -> str:
    auth: Auth | None = getattr(request.state, "auth", None)
    if auth is not None and auth.web_session is not None:
        return auth.web_session.csrf_token
    token = request.cookies.get(ANON_CSRF_COOKIE) or getattr(request.state, "new_anon_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_anon_csrf = token
    return token


async def check_csrf(request: Request, auth: PageAuth) -> None:
    """Every page POST carries ``csrf_token``: the session's when signed in, else the cookie's."""
    form = await request.form()
    presented = str(form.get("csrf_token") or "")
    if auth.web_session is not None:
        expected = auth.web_session.csrf_token
    else:
        expected = request.cookies.get(ANON_CSRF_COOKIE, "")
    if not presented or not expected or not same(presented, expected):
        raise CsrfFailed(
            "The form expired or came from another site. Go back, reload the page and try again."
        )


CsrfChecked = Depends(check_csrf)


# A page's address under a portal: ``/p/<slug>/…``.
_PORTAL_PATH = re.compile(r"^/p/([^/]+)(?:/|$)")


def _fresh_reads(
    request: Request, *, brand: bool, in_portal: bool
) -> tuple[Auth | None, Brand | None, Actor | None]:
    """What an error page shows of the database, read in a session of its own (the request's is
    gone by then): who is signed in and, with ``brand``, the deployment's only portal's look
    (Admit's, None, when there are several); with ``in_portal``, the signed-in person as a
    member of the portal the address is under, if they are one (``web.portal_actor``, as its
    pages ask: the page shows that portal's navigation), else None. Nothing, if the database
    cannot answer."""
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            auth = read_auth(request, session)
            portal = portals_service.only_portal(session) if brand else None
            actor = None
            under = _PORTAL_PATH.match(request.url.path) if in_portal and auth is not None else None
            if auth is not None and auth.web_session is not None and under is not None:
                with contextlib.suppress(DomainError):  # not theirs, not yet, no longer: no navigation
                    actor = portal_actor(request, session, under.group(1), auth)
            return auth, portals_brand.of(portal) if portal is not None else None, actor
    except Exception:  # noqa: BLE001 - an error page must render even if the database is down
        return None, None, None


# Pages opened by a secret link: ``/<prefix>/<token>``.
SECRET_LINK_PREFIXES = ("/invite/", "/login/link/", "/join/", "/confirm/", "/reset-password/")


def secret_path_of(path: str) -> str | None:
    """``/invite`` for ``/invite/<token>`` (and the like for every secret link's page), else None."""
    for prefix in SECRET_LINK_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            return prefix.rstrip("/")
    return None


def _shows_dev_mailbox(request: Request, user: User | None, actor: Actor | None, *, bare: bool) -> bool:
    """Whether the page links to the dev mailbox: with the dev backend, for whom it answers
    (``web.dev_mailbox_refusal``; an owner or admin of the portal shown is, without asking).
    An error page (``bare``) reads nothing more: the request's session is gone, and someone
    signed in is shown no link there."""
    if request.app.state.db.context.settings.email_backend != "dev":
        return False
    if actor is not None and policy.can(actor.role, policy.Action.DEV_MAILBOX_VIEW):
        return True
    session = None if bare else getattr(request.state, "db_session", None)
    host = request.client.host if request.client else ""
    return dev_mailbox_refusal(session, user, host) is None


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    bare: bool = False,
) -> HTMLResponse:
    """Render a page. ``bare`` is for error pages: the request's session is gone by then, so
    what they show of the database is read in a short session of their own (``_fresh_reads``)."""
    ctx = dict(context or {})
    fresh_brand = None
    if bare:
        # The look: the portal the person was in (``web.portal_actor`` kept it), else the only
        # portal's; Admit's when the page says so (``brand_portal=None``: a server error).
        kept = getattr(request.state, "portal_brand", None)
        want = kept is None and "brand_portal" not in ctx
        # Under a portal the person is in, its navigation (not for a server error: the database
        # may be what failed, ``brand_portal=None``).
        in_portal = ctx.get("brand_portal", True) is not None
        request.state.auth, fresh_brand, member_of = _fresh_reads(request, brand=want, in_portal=in_portal)
        fresh_brand = kept or fresh_brand
        request.state.actor = None
        ctx.update(actor=member_of, portal=member_of.portal if member_of else None, other_portals=[])
    auth: Auth | None = getattr(request.state, "auth", None)
    actor: Actor | None = ctx.get("actor") or getattr(request.state, "actor", None)
    user = auth.user if auth else None
    ctx.setdefault("user", user)
    ctx.setdefault("actor", actor)
    ctx.setdefault("caps", policy.capabilities(actor.role if actor else None))
    ctx.setdefault("portal", actor.portal if actor else None)
    # The portal whose name, logo and colour the page wears: the signed-in one, or the one a
    # public page (an invitation, a link, sign-in) is about (``brand_portal``); a page about no
    # portal (Check your email, Forgot password, two-step verification…) wears the deployment's
    # only portal's when it has one, as the sign-in page does. ``brand_portal=None``: Admit's.
    branded = ctx.get("brand_portal") or ctx["portal"]
    if bare and branded is None:
        ctx["brand"] = fresh_brand
    else:
        if branded is None and "brand_portal" not in ctx:
            session = getattr(request.state, "db_session", None)
            branded = portals_service.only_portal(session) if session is not None else None
        ctx["brand"] = portals_brand.of(branded) if branded is not None else None
    # A page opened by a secret link takes the token out of the address bar once it has
    # landed (admit.js: history.replaceState): it is not left on screen, in screenshots or in
    # the tab's history. Its forms name their own action, token included. (A page that holds
    # one elsewhere, the sign-in page's ``next``, says what its address becomes.) The address
    # left names the portal the page wears (``?portal=``), so that the page reloaded, or come
    # back to with Back, wears it too (``pages.errors``: "Open your link again").
    if "secret_path" not in ctx:
        secret = secret_path_of(request.url.path)
        worn = ctx.get("brand_portal")
        ctx["secret_path"] = f"{secret}?portal={worn.slug}" if secret and worn is not None else secret
    ctx["url_for"] = functools.partial(url_for_request, request)
    ctx["url_pattern"] = functools.partial(url_pattern_request, request)
    if "dev_mailbox" not in ctx:
        ctx["dev_mailbox"] = _shows_dev_mailbox(request, user, actor, bare=bare)
    ctx["csrf_token"] = csrf_token_for(request)
    if user is not None and "other_portals" not in ctx:
        session = getattr(request.state, "db_session", None)
        current = ctx["portal"].id if ctx["portal"] else None
        # Read with the actor's membership (``web.portal_actor``), on a request that changed nothing.
        known: ActivePortals | None = getattr(request.state, "active_portals", None)
        active = (
            known.portal_ids
            if known is not None and known.user_id == user.id and request.method in SAFE_METHODS
            else None
        )
        ctx["other_portals"] = (
            members_service.portals_switched_to(session, user, besides=current, active=active)
            if session
            else []
        )
    notice = None if bare else read_notice(request)
    if notice and not ctx.get("notice"):
        # A refusal (``redirect(refused=True)``) reads as one: in red, announced at once.
        ctx["notice_refused"] = notice.text.startswith(REFUSED)
        ctx["notice"] = notice.text.removeprefix(REFUSED)
        ctx["notice_link"] = notice.link
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
    if notice:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    new_token = getattr(request.state, "new_anon_csrf", None)
    if new_token:
        response.set_cookie(
            ANON_CSRF_COOKIE,
            new_token,
            httponly=True,
            samesite="lax",
            path="/",
            secure=request.app.state.db.context.settings.session_cookie_secure,
        )
    return response


# A notice to show on the page a redirect leads to ("Invitation resent to …") travels in a signed
# cookie, never in the URL: text in a link must not be able to speak with the app's voice. The
# redirect names it in this response header; the app's middleware (``carry_notice``) turns it
# into the cookie, and the next page shown reads it once (``render``).
NOTICE_HEADER = "x-admit-notice"
NOTICE_COOKIE = "admit_notice"


# Marks a notice that says what was refused (quote() writes "!" as %21: never the text's own).
REFUSED = "!"
# Comes before a notice's link, its words and its path (quote() writes "|" as %7C, too).
LINK = "|"


class Notice(NamedTuple):
    text: str
    link: tuple[str, str] | None  # (its words, a same-site path): where the notice leads


def redirect(
    url: str, *, notice: str | None = None, refused: bool = False, link: tuple[str, str] | None = None
) -> RedirectResponse:
    """A 303 to ``url``; ``notice``: a line the page there shows on top (``refused``: it says
    what was not done, and why), ending with ``link`` (its words, a same-site path) if given."""
    response = RedirectResponse(url, status_code=303)
    if notice:
        say(response, notice, refused=refused, link=link)
    return response


def say(
    response: Response, notice: str, *, refused: bool = False, link: tuple[str, str] | None = None
) -> None:
    """The line the page a redirect leads to shows on top (``redirect``'s ``notice``), set or
    replaced once the response is made."""
    said = (REFUSED if refused else "") + quote(notice[:500])
    if link is not None:
        said += LINK + quote(link[0]) + LINK + quote(link[1])
    response.headers[NOTICE_HEADER] = said


def _mac(request: Request, payload: str) -> str:
    secret = request.app.state.db.context.settings.secret_key.encode()
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:32]


def _set_signed(request: Request, response: Response, name: str, payload: str) -> None:
    """A short-lived cookie (two minutes: it crosses one redirect) whose value is signed."""
    response.set_cookie(
        name,
        f"{payload}.{_mac(request, payload)}",
        max_age=120,
        httponly=True,
        samesite="lax",
        path="/",
        secure=request.app.state.db.context.settings.session_cookie_secure,
    )


def _read_signed(request: Request, name: str) -> str | None:
    """A cookie written by ``_set_signed``, if its signature holds."""
    value = request.cookies.get(name)
    if not value or "." not in value:
        return None
    payload, mac = value.rsplit(".", 1)
    return payload if hmac.compare_digest(mac, _mac(request, payload)) else None


def carry_notice(request: Request, headers: MutableHeaders) -> None:
    """A redirect's notice (``NOTICE_HEADER``, in the answer's ``headers``) becomes a
    short-lived signed cookie."""
    notice = headers.get(NOTICE_HEADER)
    if notice is None:
        return
    del headers[NOTICE_HEADER]
    cookie = Response()
    _set_signed(request, cookie, NOTICE_COOKIE, notice)
    headers.append("set-cookie", cookie.headers["set-cookie"])


def read_notice(request: Request) -> Notice | None:
    """The notice a redirect left for this page, if its signature holds, with its link."""
    notice = _read_signed(request, NOTICE_COOKIE)
    if not notice:
        return None
    text, *link = notice.split(LINK)
    words, path = (unquote(part) for part in link) if len(link) == 2 else ("", "")
    return Notice(unquote(text), (words, path) if words and safe_next(path, "") else None)


def safe_next(next_path: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after sign-in (no open redirects)."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return default


templates.env.globals["safe_next"] = safe_next  # a page that passes a next on (a dead link's)


# A refused form post whose reason belongs on the page it came from (a conflict, bad input, a
# limit such as Resend within a minute of the last message: "try again in 35 seconds"); any other
# refusal (403, 404) is the error page.
SHOWN_STATUSES = (409, 422, 429)


def form_error(session: Session, exc: DomainError) -> str:
    """The message to show for a refused form post, the transaction rolled back (kept when the
    refusal keeps its work: ``DomainError.keeps_work``); re-raises a refusal that is not a form
    error (``SHOWN_STATUSES``)."""
    if exc.status not in SHOWN_STATUSES:
        raise exc
    if not exc.keeps_work:
        session.rollback()
    return exc.message


def form_faults(session: Session, exc: DomainError, fields: Mapping[str, str]) -> dict[str, Any]:
    """A refused form's faults as ``_fields.html`` says them, the transaction rolled back (a
    refusal that is not a form error re-raises: ``form_error``). ``fields`` maps the service's
    name of each of the form's fields to the page's (``{"name": "rename_name"}``: two forms of a
    page may both have a ``name``). Each field at fault is said under itself, the first taking the
    focus; on top (``error``): what names none of them, or how many there are to fix."""
    form_error(session, exc)
    return faults_of(exc, fields)


def faults_of(exc: DomainError, fields: Mapping[str, str]) -> dict[str, Any]:
    """``form_faults`` for a page that has rolled back already (its own refusals to show)."""
    # A list's entry (``allowed_domains.2``) is said under the list's field.
    problems = [{**p, "field": listed_in(p["field"])} for p in exc.field_errors]
    under: dict[str, str] = {}
    for p in problems:
        if p["field"] in fields:  # two of the service's fields may be one of the page's: both said
            at = fields[p["field"]]
            under[at] = f"{under[at]} {p['message']}" if at in under else p["message"]
    beside = " ".join(p["message"] for p in problems if p["field"] not in fields)
    many = f"{len(under)} things to fix below." if len(under) > 1 else None
    return {
        "error": beside or many,
        "field_errors": under,
        "error_field": next(iter(under), None),
    }


def people_to_fix(results: list[RecipientResult]) -> InvalidInput | None:
    """The refusal of a form whose people must all be right for it to do anything (a new team or
    client group; an Invite that would invite no one): each person skipped for a reason someone
    must fix (``pipeline.needs_fixing``: a typo, someone not in the portal…), the first five,
    under the recipients' field; None when there is none (someone listed twice or already there
    is no fault)."""
    wrong = [r for r in results if pipeline.needs_fixing(r)]
    if not wrong:
        return None
    if len(wrong) == 1:
        return InvalidInput(sentence(f"Fix or remove this first: {who_and_why(wrong)}"), field="recipients")
    # Several: one a line under the field (``.field-error`` keeps the line breaks).
    return InvalidInput(f"Fix or remove these first:\n{who_and_why(wrong, lines=True)}", field="recipients")


def who_and_why(skipped: list[RecipientResult], *, lines: bool = False) -> str:
    """Skipped people as a form's answer names them: "bad@: An email address must have an
    @-sign; x@y: …", the first five (and how many more), without the last full stop; with
    ``lines``, one person a line, each its own sentence."""
    said = [f"{r.recipient or '(blank)'}: {r.detail}" for r in skipped[:5]]
    more = f"(and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
    if lines:
        return "\n".join([*(sentence(row) for row in said), *([more] if more else [])])
    # Each detail is a sentence of its own: its full stop goes where the rows are joined.
    return "; ".join(row.rstrip(".") for row in said) + (f" {more}" if more else "")


def forget_flash(response: Response, flash: dict[str, Any] | None) -> None:
    """Once a page has shown the flash it read, the cookie goes."""
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")


FLASH_COOKIE = "admit_flash"
_FLASH_MAX = 3500  # bytes: cookies are limited to ~4 KB


def _flash_payload(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def fitted_flash(data: dict[str, Any], lists: tuple[str, ...]) -> dict[str, Any]:
    """``data`` made small enough to ride in the flash cookie: the lists named in ``lists`` lose
    their last entries, one from each in turn, until it fits (their counts, kept beside them,
    still say "and N more"). A long report was dropped whole: the page said nothing."""
    fitted = {**data, **{key: list(data[key]) for key in lists}}
    while len(_flash_payload(fitted)) > _FLASH_MAX and any(fitted[key] for key in lists):
        for key in lists:
            if fitted[key] and len(_flash_payload(fitted)) > _FLASH_MAX:
                fitted[key].pop()
    return fitted


def set_flash(request: Request, response: Response, data: dict[str, Any]) -> None:
    """Carry a small result (e.g. the invite report) across the redirect after a form post
    (``fitted_flash`` shortens one that could be long; one that still does not fit is dropped)."""
    payload = _flash_payload(data)
    if len(payload) <= _FLASH_MAX:
        _set_signed(request, response, FLASH_COOKIE, payload)


def read_flash(request: Request) -> dict[str, Any] | None:
    payload = _read_signed(request, FLASH_COOKIE)
    if payload is None:
        return None
    try:
        flash: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))  # set_flash signed it
    except ValueError:
        return None
    return flash


def page_start(request: Request) -> int:
    """Where a paged list's page starts (1 on the first), carried in the URL for "1–50 of N"."""
    try:
        return max(1, int(request.query_params.get("start", "1")))
    except ValueError:
        return 1


MAX_TRAIL = 20  # pages Previous can walk back through (each a cursor, ~110 characters, in the URL)


def pager(
    kept: dict[str, str],
    cursor: str | None,
    next_cursor: str | None,
    start: int,
    back: list[str],
    *,
    size: int,
) -> dict[str, str | None]:
    """A paged list's Next and Previous page links (``size`` rows a page; ``kept``: the filters
    in its URL). The list is paged by a cursor that only goes forward, so each page's URL
    carries the cursors of the pages before it (``back``; "" for the first): Previous is the
    last of them, at the place it started."""
    back = back[-MAX_TRAIL:] if cursor else []
    previous = None
    if back and back[-1]:
        before = {**kept, "cursor": back[-1], "start": max(1, start - size), "back": back[:-1]}
        previous = "?" + urlencode(before, doseq=True)
    elif back:
        previous = "?" + urlencode(kept)  # the page before is the first
    following = None
    if next_cursor:
        following = "?" + urlencode(
            {**kept, "cursor": next_cursor, "start": start + size, "back": [*back, cursor or ""]},
            doseq=True,
        )
    return {"previous_url": previous, "next_url": following}
