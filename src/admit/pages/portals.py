from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.audit import words as audit_words
from admit.auth import second_factor
from admit.auth import service as auth_service
from admit.errors import Checks, DomainError, InvalidInput, NotFound
from admit.kit.brand import DEFAULT_COLOR
from admit.kit.pagination import every
from admit.kit.routing import Router
from admit.notifications import preferences
from admit.pages.deps import PageActor, allowed, check_csrf, form_faults, person, redirect, render
from admit.people import activity
from admit.people import timeline as people_timeline
from admit.policy import ALL_PRODUCTS, UserType
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service
from admit.portals import sign_in
from admit.portals.models import (
    DEFAULT_SIGN_IN_LINK_MINUTES,
    MAX_SIGN_IN_LINK_MINUTES,
    MIN_SIGN_IN_LINK_MINUTES,
)
from admit.web import SessionDep
from admit.workspaces import messages as workspace_messages
from admit.workspaces import roles as workspace_roles

router = Router()


@router.get("/p/{slug}", name="portals:home")
def home(request: Request, actor: PageActor, session: SessionDep) -> Response:
    """Each lands where they work (``Capabilities.home``): owners and admins on User
    Management, internal members on their Workspaces timeline; clients on their own page, which
    lists only the workspaces they were invited to, newest first."""
    home = policy.capabilities(actor.role).home
    if home != "client":
        return redirect(f"/p/{actor.portal.slug}/{home}")
    rows = [
        (w, m)
        for w, m, _p in every(partial(people_timeline.timeline, session, person(actor), portal=actor.portal))
    ]
    ids = [w.id for w, _m in rows]
    user_id = person(actor).id
    unread = workspace_messages.unread_counts(session, user_id, ids)
    active = workspace_messages.last_activity(session, ids)
    # Newest activity first: the newest message, else when they were added.
    rows.sort(key=lambda wm: max(active.get(wm[0].id, wm[1].created_at), wm[1].created_at), reverse=True)
    names = {w.id: w.name for w, _m in rows}
    actions = [(a, r, names[a.workspace_id]) for a, r in workspace_roles.actions_for(session, user_id, ids)]
    return render(
        request,
        "portals/home.html",
        {"workspaces": rows, "unread": unread, "active": active, "actions": actions},
    )


def _settings_page(
    request: Request, status_code: int = 200, *, error: str | None = None, **extra: Any
) -> HTMLResponse:
    settings = request.app.state.db.context.settings
    session = request.state.db_session
    actor = request.state.actor
    context = {
        "nav": "settings",
        "notification_kinds": preferences.KINDS,
        "mandatory": preferences.mandatory(session, actor.portal.id),
        "all_products": ALL_PRODUCTS,
        "time_zones": portals_service.time_zone_names(),
        "error": error,
        "default_sms_country": settings.default_phone_region.upper(),
        "default_brand_color": DEFAULT_COLOR,
        # A sign-in link's lifetime (minutes), as the service checks it: the fields' range and hint.
        "link_minutes": (MIN_SIGN_IN_LINK_MINUTES, MAX_SIGN_IN_LINK_MINUTES),
        "link_range": f"{portals_service.SIGN_IN_LINK_RANGE.capitalize()} ({MAX_SIGN_IN_LINK_MINUTES:,} "
        f"minutes); {DEFAULT_SIGN_IN_LINK_MINUTES} by default.",
        **extra,
    }
    return render(request, "portals/settings.html", context, status_code=status_code)


# The settings form's fields by the service's names for them, where they differ (the form asks
# for the invitation lifetime in hours).
SETTINGS_FIELDS = {"invitation_ttl_seconds": "invitation_ttl_hours", "products": "enabled_products"}


@router.get(
    "/p/{slug}/settings", name="portals:settings", dependencies=[allowed(policy.Action.PORTAL_SETTINGS)]
)
def settings_form(request: Request) -> HTMLResponse:
    return _settings_page(request)


async def _name_as_sent(request: Request) -> str | None:
    """The name field as the form sent it: "" when emptied, None when left out (an older form:
    unchanged). FastAPI's ``Form(None)`` would take an emptied field for one left out."""
    value = (await request.form()).get("name")
    return value if isinstance(value, str) else None


# The form's number fields, by the service's names for them, and what each counts.
_NUMBER_FIELDS = {
    "invitation_ttl_hours": ("invitation_ttl_seconds", "hours"),
    "invitation_reminders": ("invitation_reminders", "reminders"),
    "sms_daily_budget": ("sms_daily_budget", "texts"),
    "client_sign_in_link_minutes": ("client_sign_in_link_minutes", "minutes"),
    "internal_sign_in_link_minutes": ("internal_sign_in_link_minutes", "minutes"),
}


class _Numbers:
    """The form's number fields as sent (``typed``, by the page's names), read as the service
    takes them (``values``, by its names: None when left out, kept), with what it could not:
    ``emptied`` (sent empty, refused as a number out of range is; ``Form(None)`` takes an
    emptied field for one left out, kept) and ``faults`` (not a whole number, "1.5": said under
    its field with the service's faults, where it was the error page)."""

    def __init__(self, form: Mapping[str, Any]) -> None:
        self.typed: dict[str, str] = {}
        self.values: dict[str, int | None] = {}
        self.emptied: set[str] = set()
        self.faults = Checks()
        for field, (service_name, unit) in _NUMBER_FIELDS.items():
            value = form.get(field)
            self.values[service_name] = None
            if not isinstance(value, str):
                continue
            self.typed[field] = value
            if not value.strip():
                self.emptied.add(service_name)
                continue
            try:
                self.values[service_name] = int(value)
            except ValueError:
                with self.faults.of(service_name):
                    raise InvalidInput(f"Give a whole number of {unit}.") from None


async def _numbers_as_sent(request: Request) -> _Numbers:
    return _Numbers(await request.form())


@router.post("/p/{slug}/settings", dependencies=[Depends(check_csrf)])
def settings_submit(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    name: str | None = Depends(_name_as_sent),  # empty: refused
    # The number fields (a number left out, by a script, keeps its setting): ``_Numbers``.
    numbers: _Numbers = Depends(_numbers_as_sent),
    enabled_products: list[str] = Form(default=[]),
    client_require_password: str = Form(""),
    brand_color: str = Form(""),
    sms_countries: str = Form(""),
    client_require_2fa: str = Form(""),
    internal_require_2fa: str = Form(""),
    mandatory_notifications: list[str] = Form(default_factory=list),
    time_zone: str = Form(""),
) -> Response:
    required_before = {t: sign_in.second_factor_required(actor.portal, t) for t in UserType}
    number = numbers.values
    ttl_hours = number["invitation_ttl_seconds"]
    try:
        portals_service.update_settings(
            session,
            actor,
            name=name,
            invitation_ttl_seconds=None if ttl_hours is None else ttl_hours * 3600,
            enabled_products=enabled_products,
            client_require_password=bool(client_require_password),
            brand_color=brand_color,
            sms_countries=sms_countries.replace(",", " ").split(),
            client_require_2fa=bool(client_require_2fa),
            internal_require_2fa=bool(internal_require_2fa),
            mandatory_notifications=mandatory_notifications,
            time_zone=time_zone or None,
            invitation_reminders=number["invitation_reminders"],
            sms_daily_budget=number["sms_daily_budget"],
            client_sign_in_link_minutes=number["client_sign_in_link_minutes"],
            internal_sign_in_link_minutes=number["internal_sign_in_link_minutes"],
            faults=numbers.faults,
            blank=numbers.emptied,
        )
    except DomainError as exc:
        # Every field at fault is said under it (the service checks them all before it sets any),
        # with what was typed kept; on top, what belongs to no field or how many there are to fix.
        sent = {
            "name": name if name is not None else actor.portal.name,
            "time_zone": time_zone,
            "enabled_products": enabled_products,
            "client_require_password": bool(client_require_password),
            "client_require_2fa": bool(client_require_2fa),
            "internal_require_2fa": bool(internal_require_2fa),
            "mandatory_notifications": mandatory_notifications,
            "brand_color": brand_color,
            "sms_countries": sms_countries,
        }
        # The numbers as typed ("1.5", "" included); one left out: as saved.
        typed: dict[str, Any] = sent | numbers.typed
        faults = form_faults(session, exc, {**{name: name for name in typed}, **SETTINGS_FIELDS})
        return _settings_page(request, exc.status, typed=typed, **faults)
    told = {
        user_type: _yet_to_set_up(session, actor, user_type)
        for user_type, before in required_before.items()
        if not before and sign_in.second_factor_required(actor.portal, user_type)
    }
    said = " ".join(sentence for sentence, _shown in told.values())
    # The notice leads to those it counts, in User Management (the first kind of them, when both
    # were just required): the active ones without two-step verification, as counted.
    shown = [user_type for user_type, (_sentence, show) in told.items() if show]
    link = None
    if shown:
        tab = "internal" if shown[0] is UserType.INTERNAL else "clients"
        words = "Show them" if len(told) == 1 else f"Show the {_PEOPLE[shown[0]]}"
        link = (
            f"{words} in User Management",
            f"/p/{actor.portal.slug}/users?"
            + urlencode({"tab": tab, "status": "active", "two_step": "not_set_up"}),
        )
    return redirect(f"/p/{actor.portal.slug}/settings", notice=f"Settings saved. {said}".strip(), link=link)


_PEOPLE = {UserType.INTERNAL: "internal users", UserType.CLIENT: "clients"}


def _yet_to_set_up(session: Session, actor: Actor, user_type: UserType) -> tuple[str, bool]:
    """Who a second factor just required will ask to set one up at their next sign-in: how
    many of ``user_type`` have no authenticator app yet, you among them or not; and whether
    there is anyone to show besides you (the notice's link to them)."""
    count = second_factor.count_without_factor(session, actor.portal.id, user_type)
    people = _PEOPLE[user_type]
    if count == 0:
        return f"Every one of the {people} has set up two-step verification already.", False
    you = (
        actor.member is not None
        and actor.member.user_type == user_type
        and actor.user is not None
        and not second_factor.has_factor(session, actor.user.id)
    )
    if count == 1:
        if you:
            return (
                "You have not set up two-step verification: you will be asked to at your next sign-in.",
                False,
            )
        return (
            f"1 of the {people} has not set up two-step verification: they are asked to at their "
            "next sign-in.",
            True,
        )
    among = ", you among them," if you else ""
    return (
        f"{count} {people}{among} have not set up two-step verification: "
        "each is asked to at their next sign-in.",
        True,
    )


@router.post("/p/{slug}/settings/logo", name="portals:logo", dependencies=[Depends(check_csrf)])
def logo_submit(
    request: Request, actor: PageActor, session: SessionDep, logo: UploadFile | None = File(None)
) -> Response:
    """Settings → Logo: upload a PNG or JPEG (refused on the page, naming the field, otherwise)."""
    data = logo.file.read(portals_service.LOGO_MAX_BYTES + 1) if logo is not None else b""
    try:
        portals_service.set_logo(session, actor, data=data)
    except DomainError as exc:
        return _settings_page(request, exc.status, **form_faults(session, exc, {"logo": "logo"}))
    return redirect(f"/p/{actor.portal.slug}/settings", notice="Logo saved.")


@router.post("/p/{slug}/settings/logo/remove", name="portals:logo_remove", dependencies=[Depends(check_csrf)])
def logo_remove(actor: PageActor, session: SessionDep) -> Response:
    portals_service.remove_logo(session, actor)
    return redirect(
        f"/p/{actor.portal.slug}/settings", notice="Logo removed: pages and emails show the name."
    )


# A logo's path names its image (``logo-<hash>.png``): the same path always means the same bytes.
_FOREVER = "public, max-age=31536000, immutable"


@router.get("/brand/{slug}/logo-{key}", name="portals:logo_image")
def logo_image(slug: str, key: str, session: SessionDep) -> Response:
    """A portal's logo, for anyone (its public pages and its emails show it). An older logo's
    path leads to the current one, so an email sent before a change still shows a logo."""
    logo = portals_service.get_logo(session, slug)
    if logo is None:
        raise NotFound("This portal has no logo.")
    if logo.key != key:
        return RedirectResponse(
            portals_brand.logo_path(slug, logo.key), status_code=307, headers={"Cache-Control": "no-cache"}
        )
    return Response(
        content=logo.data,
        media_type=logo.content_type,
        headers={
            "Cache-Control": _FOREVER,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
            "Content-Disposition": f'inline; filename="logo.{key.rsplit(".", 1)[-1]}"',
        },
    )


# The Audit Log's filters, as its address keeps them (``?category=…&actor=…&since=…``).
AUDIT_FILTERS = ("q", "category", "actor", "since", "until")


@router.get("/p/{slug}/audit", name="audit:list")
def audit_list(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    cursor: str | None = None,
    category: str = "",
    q: str = "",
    since: str = "",
    until: str = "",
    actor_filter: Annotated[str, Query(alias="actor")] = "",
) -> HTMLResponse:
    """The audit log in words, newest first, with its filters (category, a search, who did it,
    from and to days in the portal's time zone) kept in the address, and an Export CSV link
    that carries them. A filter refused is said beside the form, with nothing listed."""
    filters = {"q": q, "category": category, "actor": actor_filter, "since": since, "until": until}
    filters = {k: v.strip() for k, v in filters.items()}
    kept = {k: v for k, v in filters.items() if v}
    entries: list[activity.Entry] = []
    next_cursor = error = None
    try:
        # Every filter at fault said at once (the category's hid the days'), in the page's
        # words: its fields are "Category", "From" and "to".
        checks = Checks()
        read: dict[str, Any] = {}
        with checks.of("category"):
            read["category"] = audit_service.category_named(filters["category"], named="Category")
        with checks.of("since"):
            read |= audit_service.days(
                filters["since"], filters["until"], named=("the “From” day", "The “to” day")
            )
        with checks.of("actor"):
            activity.acted_by(session, filters["actor"] or None)
        checks.done()
        entries, next_cursor = activity.log(
            session,
            actor,
            q=filters["q"] or None,
            by=filters["actor"] or None,
            cursor=cursor,
            limit=100,
            **read,
        )
    except InvalidInput as exc:
        error = exc
    people = activity.actor_choices(session, actor)
    if filters["actor"] and filters["actor"] not in dict(people):  # typed, or acted long ago
        people.insert(0, (filters["actor"], filters["actor"]))
    return render(
        request,
        "audit/list.html",
        {
            "nav": "audit",
            "events": [(e.event, e.summary) for e in entries],
            "next_cursor": next_cursor,
            "older_url": "?" + urlencode({**kept, "cursor": next_cursor}) if next_cursor else None,
            "export_url": f"/api/v1/portals/{actor.portal.slug}/audit-events.csv"
            + ("?" + urlencode(kept) if kept else ""),
            "categories": list(audit_words.CATEGORIES),
            "people": people,
            "filters": filters,
            "filtered": bool(kept),
            "error": error,
            "bad_filters": {p["field"] for p in error.field_errors} if error else set(),
        },
        status_code=422 if error else 200,
    )


def _keys_page(
    request: Request, session: Session, actor: Actor, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    keys = every(partial(auth_service.list_api_keys, session, actor))
    context = {
        "nav": "settings",
        "keys": keys,
        "key_prefix": auth_service.API_KEY_PREFIX,
        "form": {},
        **extra,
    }
    return render(request, "portals/api_keys.html", context, status_code=status_code)


@router.get("/p/{slug}/settings/api-keys", name="portals:api_keys")
def api_keys_page(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """Settings → API keys: the portal's keys (never their secrets), a new one, Revoke."""
    return _keys_page(request, session, actor)


@router.post("/p/{slug}/settings/api-keys", dependencies=[Depends(check_csrf)])
def api_key_create(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    name: str = Form(""),
    expires_in_days: str = Form(""),
) -> HTMLResponse:
    """The new key's secret is in this answer only (not in a redirect, a cookie or a log)."""
    form = {"name": name, "expires_in_days": expires_in_days}
    try:
        try:
            days = int(expires_in_days) if expires_in_days.strip() else None
        except ValueError as exc:
            raise InvalidInput("The expiry is a number of days.", field="expires_in_days") from exc
        raw, key = auth_service.issue_api_key(session, actor, name=name, expires_in_days=days)
    except DomainError as exc:
        faults = form_faults(session, exc, {"name": "key-name", "expires_in_days": "key-days"})
        return _keys_page(request, session, actor, exc.status, form=form, **faults)
    response = _keys_page(request, session, actor, created={"key": key, "secret": raw})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "/p/{slug}/settings/api-keys/{key_id}/revoke",
    name="portals:api_key_revoke",
    dependencies=[Depends(check_csrf)],
)
def api_key_revoke(key_id: uuid.UUID, actor: PageActor, session: SessionDep) -> Response:
    key = auth_service.revoke_api_key(session, actor, key_id)
    return redirect(f"/p/{actor.portal.slug}/settings/api-keys", notice=f"The key “{key.name}” was revoked.")
