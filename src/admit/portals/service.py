"""Portals: the tenants. Looking one up by slug, making one, changing its settings.

Setting a portal up with its owner (first run, ``admit init``) is ``flows.setup``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
import zoneinfo
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from functools import cache, lru_cache, partial
from typing import Any, Final

import phonenumbers
from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.errors import Checks, InvalidInput, PortalNotFound, at_most_characters
from admit.kit import colour
from admit.kit.text import and_list, as_typed, country_name, lifetime_in_words
from admit.notifications import preferences
from admit.policy import ALL_PRODUCTS
from admit.portals import brand as portals_brand
from admit.portals.models import (
    MAX_INVITATION_REMINDERS,
    MAX_INVITATION_TTL,
    MAX_SIGN_IN_LINK_MINUTES,
    MAX_SMS_DAILY_BUDGET,
    MIN_INVITATION_TTL,
    MIN_SIGN_IN_LINK_MINUTES,
    Portal,
    PortalLogo,
)

__all__ = [
    "check_time_zone",
    "names_line",
    "account_brand",
    "account_portal",
    "time_zone_names",
    "today",
    "ALL_PRODUCTS",
    "LOGO_MAX_BYTES",
    "UNSET",
    "any_portal",
    "check_brand_color",
    "check_logo",
    "check_name",
    "get_logo",
    "by_ids",
    "get",
    "get_by_slug",
    "get_by_slug_or_raise",
    "typed_slug",
    "get_or_raise",
    "lock",
    "new_portal",
    "only_portal",
    "remove_logo",
    "set_logo",
    "still_enabled",
    "update_settings",
]

MAX_NAME = 200

# Where an owner or admin sets which countries a portal texts and how many texts a day it sends.
TEXTS_SETTINGS = "Settings → Portal, under Texts (SMS)"


def any_portal(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Portal.id.is_not(None)))))


def only_portal(session: Session) -> Portal | None:
    """The deployment's portal when it has exactly one (pages with no portal of their own, such
    as sign-in, then wear its brand), else None."""
    portals = list(session.scalars(select(Portal).limit(2)))
    return portals[0] if len(portals) == 1 else None


def get_by_slug(session: Session, slug: str) -> Portal | None:
    """The portal whose address is ``slug``, in any case (``typed_slug``: ``/p/ACME`` and the
    API's ``/portals/ACME`` are ``acme``, as the console's ``--portal ACME`` is), or None."""
    return session.scalar(_by_slug(), {"b_slug": typed_slug(slug)})


@cache
def _by_slug() -> Select[Portal]:
    """Asked on every page and API call: built once, on first use."""
    return select(Portal).where(Portal.slug == bindparam("b_slug"))


def get_by_slug_or_raise(session: Session, slug: str) -> Portal:
    """The portal whose address is ``slug`` (the console's ``--portal``), as typed
    (``get_by_slug``: ``ACME`` is ``acme``): its refusal names it."""
    portal = get_by_slug(session, slug)
    if portal is None:
        raise PortalNotFound(f"No such portal: {slug}.")
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
    """``{portal_id: Portal}`` for the given ids: those this session holds already, and one
    query for the rest (none when it holds them all: a sign-in right after joining)."""
    found: dict[uuid.UUID, Portal] = {}
    missing = []
    for portal_id in set(portal_ids):
        held = session.identity_map.get(identity_key(Portal, portal_id))
        if isinstance(held, Portal):
            found[portal_id] = held
        else:
            missing.append(portal_id)
    if missing:
        found.update((p.id, p) for p in session.scalars(select(Portal).where(Portal.id.in_(missing))))
    return found


# Letters that are not an ASCII letter with an accent (which NFKD takes apart), as they are
# usually written in ASCII; lower case, as slugs are.
_SPELLED = str.maketrans(
    {"æ": "ae", "ø": "o", "ß": "ss", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"}
)


def typed_slug(text: str) -> str:
    """A slug as someone types it: slugs are lower case (``_slugify`` makes every one), so a
    slug typed in capitals is the same slug; spaces around it are dropped."""
    return text.strip().lower()


def _slugify(name: str) -> str:
    spelled = name.lower().translate(_SPELLED)
    ascii_name = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
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
        raise InvalidInput(at_most_characters(MAX_NAME, name), field="portal_name")
    return name


def new_portal(session: Session, name: str) -> Portal:
    """Make a portal named ``name`` (checked with ``check_name``), every product enabled, with a
    slug of its own; flushed."""
    portal = Portal(slug=_unique_slug(session, name), name=name, enabled_products=list(ALL_PRODUCTS))
    session.add(portal)
    session.flush()
    return portal


def check_products(portal: Portal, products: Iterable[str] | None) -> list[str]:
    """``products`` as something may grant them in ``portal`` (an invitation, the invite link):
    each enabled here, in the portal's order; one that is not is refused, naming the field."""
    wanted = set(products or ())
    unknown = sorted(wanted - set(portal.enabled_products))
    if unknown:
        raise InvalidInput(f"Product(s) not enabled in this portal: {', '.join(unknown)}.", field="products")
    return still_enabled(portal, wanted)


def still_enabled(portal: Portal, products: Iterable[str]) -> list[str]:
    """Those of ``products`` the portal still has enabled, in the portal's order: what joining
    grants (a product turned off after an invitation was sent is not given with it)."""
    wanted = set(products)
    return [p for p in portal.enabled_products if p in wanted]


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET  # "not given", where None means "clear it"


def check_brand_color(value: str | None) -> str | None:
    """A brand colour as stored: ``#rrggbb`` in lower case (``#abc`` and ``1d4ed8`` read as
    people mean them), or None for "no colour" (empty); refused, naming the field, in any
    other form."""
    value = colour.expand(value or "")
    if not value:
        return None
    if not colour.is_hex(value):
        raise InvalidInput(
            "The brand colour must be a hex colour like #4338ca or #43c (# and six or three "
            "digits 0-9 or a-f).",
            field="brand_color",
        )
    return value


LOGO_MAX_BYTES = 256 * 1024
# What a logo may be, told by its first bytes (never by its name or declared type). No SVG: an
# SVG is a document that can carry script.
_LOGO_KINDS = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def check_logo(data: bytes) -> tuple[str, str]:
    """``(content_type, extension)`` of a logo image, told by its magic bytes; refused, naming
    the field ``logo``, when empty, over ``LOGO_MAX_BYTES`` or not a PNG or JPEG."""
    if not data:
        raise InvalidInput("Choose a logo image (PNG or JPEG).", field="logo")
    if len(data) > LOGO_MAX_BYTES:
        raise InvalidInput(
            f"The logo is at most {LOGO_MAX_BYTES // 1024} KB; this file is larger.", field="logo"
        )
    for magic, content_type, extension in _LOGO_KINDS:
        if data.startswith(magic):
            return content_type, extension
    raise InvalidInput(
        "The logo must be a PNG or JPEG image (other formats, SVG too, are not accepted).", field="logo"
    )


def _audit_settings(session: Session, actor: Actor, changes: dict[str, list[Any]]) -> None:
    audit_service.record(
        session,
        actor,
        "portal.settings_changed",
        target_type="portal",
        target_id=actor.portal.id,
        target_label=actor.portal.name,
        detail=changes,
    )


def set_logo(session: Session, actor: Actor, *, data: bytes) -> Portal:
    """Make ``data`` (checked with ``check_logo``) the portal's logo; audited. Its URL names the
    image's hash, so it changes with the image."""
    policy.require(actor.role, policy.Action.PORTAL_SETTINGS)
    content_type, extension = check_logo(data)
    portal = actor.portal
    key = f"{hashlib.sha256(data).hexdigest()[:16]}.{extension}"
    row = session.get(PortalLogo, portal.id)
    if row is None:
        session.add(PortalLogo(portal_id=portal.id, key=key, content_type=content_type, data=data))
    else:
        row.key, row.content_type, row.data = key, content_type, data
    if portal.logo_key != key:
        _audit_settings(session, actor, {"logo": [portal.logo_key, key]})
        portal.logo_key = key
    session.flush()
    return portal


def remove_logo(session: Session, actor: Actor) -> Portal:
    """Remove the portal's logo (its name shows instead); audited when there was one."""
    policy.require(actor.role, policy.Action.PORTAL_SETTINGS)
    portal = actor.portal
    row = session.get(PortalLogo, portal.id)
    if row is not None:
        session.delete(row)
    if portal.logo_key is not None:
        _audit_settings(session, actor, {"logo": [portal.logo_key, None]})
        portal.logo_key = None
    session.flush()
    return portal


def get_logo(session: Session, slug: str) -> PortalLogo | None:
    """The logo of the portal ``slug`` (anyone may see it: it is on the portal's public pages
    and in its emails), or None."""
    return session.scalar(
        select(PortalLogo)
        .join(Portal, Portal.id == PortalLogo.portal_id)
        .where(Portal.slug == typed_slug(slug))
    )


# How long a sign-in link may live, as the settings' refusal and the Settings page's hint say it.
SIGN_IN_LINK_RANGE = (
    f"from {lifetime_in_words(MIN_SIGN_IN_LINK_MINUTES)} to {lifetime_in_words(MAX_SIGN_IN_LINK_MINUTES)}"
)


def update_settings(
    session: Session,
    actor: Actor,
    *,
    name: str | None = None,
    invitation_ttl_seconds: int | None = None,
    enabled_products: list[str] | None = None,
    client_require_password: bool | None = None,
    invitation_reminders: int | None = None,
    brand_color: str | None | _Unset = UNSET,
    sms_countries: list[str] | None = None,
    sms_daily_budget: int | None = None,
    client_require_2fa: bool | None = None,
    internal_require_2fa: bool | None = None,
    client_sign_in_link_minutes: int | None = None,
    internal_sign_in_link_minutes: int | None = None,
    mandatory_notifications: list[str] | None = None,
    scim_new_users: str | None = None,
    scim_products: list[str] | None = None,
    time_zone: str | None = None,
    faults: Checks | None = None,
    blank: Collection[str] = (),
) -> Portal:
    """Change portal settings; each change is audited with its old and new value.

    ``brand_color`` None (or "") removes the colour; leaving it out keeps it. Every value given
    is checked before any is set: what is wrong is refused all at once (``InvalidInput`` with
    ``errors``, one per field), and nothing changes. ``faults``: the caller's, found in the same
    request (a value of the wrong type), said after these. ``blank``: the number settings a form
    sent emptied (a page's field cleared), each refused in the words of its range, as a number
    out of it is (one left out is kept as it is)."""
    policy.require(actor.role, policy.Action.PORTAL_SETTINGS)
    portal = actor.portal
    checks = Checks()  # every fault at once, before anything changes
    wanted: dict[str, Any] = {}

    def check(name: str, value: Any, rule: Callable[[Any], Any] | None = None) -> None:
        """``value`` for the setting ``name``, as ``rule`` returns it; or the problem noted.
        None: left as it is, unless ``blank`` names it (a number rule refuses None)."""
        if value is None and name not in blank:
            return
        with checks.of(name):
            wanted[name] = rule(value) if rule is not None else value

    def within(low: int, high: int, message: str) -> Callable[[int | None], int]:
        def rule(value: int | None) -> int:
            if value is None or not low <= value <= high:  # None: the field emptied (``blank``)
                raise InvalidInput(message)
            return value

        return rule

    # In the order the Settings page asks (the first one wrong is where it puts the cursor).
    if name is not None:  # renamed: its pages and emails say the new name; its address stays
        with checks.of("name", renamed=True):
            wanted["name"] = check_name(name)
    check(
        "invitation_ttl_seconds",
        invitation_ttl_seconds,
        within(
            MIN_INVITATION_TTL,
            MAX_INVITATION_TTL,
            "The invitation lifetime must be between 1 hour and 30 days.",
        ),
    )
    check(
        "invitation_reminders",
        invitation_reminders,
        within(0, MAX_INVITATION_REMINDERS, f"Reminders: 0 (off), or 1 to {MAX_INVITATION_REMINDERS}."),
    )
    check("time_zone", time_zone, check_time_zone)
    check("enabled_products", enabled_products, _known_products)
    check("client_require_password", client_require_password)
    check("client_require_2fa", client_require_2fa)
    link_minutes = within(
        MIN_SIGN_IN_LINK_MINUTES, MAX_SIGN_IN_LINK_MINUTES, f"A sign-in link lives {SIGN_IN_LINK_RANGE}."
    )
    check("client_sign_in_link_minutes", client_sign_in_link_minutes, link_minutes)
    check("internal_require_2fa", internal_require_2fa)
    check("internal_sign_in_link_minutes", internal_sign_in_link_minutes, link_minutes)
    if mandatory_notifications is not None:
        with checks.of("mandatory_notifications"):
            preferences.check_kinds(mandatory_notifications)
    if brand_color is not UNSET:  # None or "": no colour
        check("brand_color", brand_color or "", check_brand_color)
    check("sms_countries", sms_countries, check_sms_countries)
    check(
        "sms_daily_budget",
        sms_daily_budget,
        within(0, MAX_SMS_DAILY_BUDGET, f"Texts a day: 0 (none) to {MAX_SMS_DAILY_BUDGET:,}."),
    )
    check("scim_new_users", scim_new_users, _scim_new_users)
    check("scim_products", scim_products, partial(check_products, portal))
    checks.extend(faults)
    checks.done()
    changes: dict[str, list[Any]] = {}
    for name, value in wanted.items():
        _set_if_changed(portal, changes, name, value)
    if mandatory_notifications is not None:
        before = sorted(preferences.mandatory(session, portal.id))
        after = sorted(preferences.set_mandatory(session, portal.id, mandatory_notifications))
        if before != after:
            changes["mandatory_notifications"] = [before, after]
    if changes.keys() & SIGN_IN_POLICY:
        # It applies from each person's next sign-in (auth.gate).
        portal.sign_in_policy_changed_at = context.of(session).clock.now()
    if changes:
        _audit_settings(session, actor, changes)
    session.flush()
    return portal


def check_time_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Paris``), as the portal's: refused with the field when
    this machine's zone database does not know it."""
    name = (name or "").strip()
    known = {z.casefold(): z for z in _time_zones()}.get(name.casefold())  # europe/paris: Europe/Paris
    if known is None:
        raise InvalidInput(
            f"“{as_typed(name)}” is not a time zone (for example Europe/Paris or America/New_York).",
            field="time_zone",
        )
    return known


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def names_line(names: Iterable[str], *, limit: int = 60) -> str:
    """Several portals named in one line ("Acme Inc · Beta Co"), for what belongs to all of a
    person's portals (their authenticator app's entry, a sign-in email): never a product name
    they have never seen. Cut at ``limit`` characters with "…"."""
    text = " · ".join(sorted(set(names)))
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ·") + "…"


def account_portal(portals: Sequence[Portal]) -> Portal | None:
    """The portal whose look a message or page about a person's account, not one portal's (a
    sign-in link, a security notice), wears: their one portal; in several or none, no one's."""
    return portals[0] if len(portals) == 1 else None


def account_brand(portals: Sequence[Portal], public_url: str) -> dict[str, Any]:
    """What a message about a person's account wears: their one portal's brand
    (``account_portal``); in several, all their names and no one's logo or colour
    (``names_line``); in none, the messages' fallback."""
    one = account_portal(portals)
    if one is not None:
        return {"brand": portals_brand.email_context(one, public_url)}
    if portals:
        return {"portal_name": names_line(p.name for p in portals)}
    return {}


def time_zone_names() -> list[str]:
    """Every zone name this machine knows, sorted (the Settings page's list)."""
    return sorted(_time_zones())


def today(portal: Portal, now: datetime) -> date:
    """The date it is now where the portal works (its time zone): the day a due date means."""
    return now.astimezone(zoneinfo.ZoneInfo(portal.time_zone or "UTC")).date()


SIGN_IN_POLICY = frozenset(
    {
        "client_require_password",
        "client_require_2fa",
        "internal_require_2fa",
        "client_sign_in_link_minutes",
        "internal_sign_in_link_minutes",
    }
)


def _known_products(products: list[str]) -> list[str]:
    """Products as stored: known ones only (an unknown one is refused by name), in their order."""
    unknown = sorted(set(products) - set(ALL_PRODUCTS))
    if unknown:
        raise InvalidInput(f"Unknown product(s): {', '.join(unknown)}. Known: {', '.join(ALL_PRODUCTS)}.")
    return [p for p in ALL_PRODUCTS if p in products]


def _scim_new_users(value: str) -> str:
    if value not in ("invite", "quiet"):
        raise InvalidInput("New SCIM users are invited (invite) or added quietly (quiet).")
    return value


def _set_if_changed(portal: Portal, changes: dict[str, list[Any]], name: str, value: object) -> None:
    """Set a setting that differs from the portal's, noting [old, new] for the audit event."""
    old = getattr(portal, name)
    if value != old:
        changes[name] = [old, value]
        setattr(portal, name, value)


def check_sms_countries(codes: list[str]) -> list[str]:
    """ISO 3166 country codes (``US``, ``gb``…) as stored: upper case, known to the phone
    metadata, each once, in the order given; an unknown one is refused by name."""
    countries: list[str] = []
    unknown: list[str] = []  # every one that is not a code, named
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if code not in phonenumbers.SUPPORTED_REGIONS:
            unknown.append(f"“{as_typed(raw)}”")
        elif code not in countries:
            countries.append(code)
    if len(unknown) == 1:
        raise InvalidInput(f"{unknown[0]} is not a country code (such as US, GB, DE).", field="sms_countries")
    if unknown:
        raise InvalidInput(
            f"{and_list(unknown)} are not country codes (such as US, GB, DE).", field="sms_countries"
        )
    return countries


def sms_countries(portal: Portal, default_region: str) -> list[str]:
    """The countries whose numbers ``portal`` may text (its Settings, or the deployment's
    default phone region when it names none)."""
    return list(portal.sms_countries) or [default_region.upper()]


def sms_refusal(portal: Portal, number: str, default_region: str) -> str | None:
    """Why ``portal`` may not text ``number`` (E.164), or None: numbers of countries outside its
    list are refused, so a list of premium or far-away numbers cannot run up its bill. Said with
    the countries' names and calling codes ("numbers in the United Kingdom (+44)"), and the code
    Settings takes to add one."""
    parsed = phonenumbers.parse(number, None)
    region = phonenumbers.region_code_for_number(parsed)
    allowed = sms_countries(portal, default_region)
    if region in allowed:
        return None
    texted = [f"{country_name(code)} (+{phonenumbers.country_code_for_region(code)})" for code in allowed]
    listed = and_list(texted)
    if region is None or region not in phonenumbers.SUPPORTED_REGIONS:  # +800 and the like
        return (
            f"This portal does not send texts to international numbers (+{parsed.country_code}). "
            f"It texts numbers in {listed} only."
        )
    country = country_name(region)
    return (
        f"This portal does not send texts to numbers in {country} (+{parsed.country_code}). It texts "
        f"numbers in {listed} only; to text {country} too, add {region} in {TEXTS_SETTINGS}."
    )
