"""Invite Users → Select from your HR system (owners and admins): choose the system, grant the
fields it reads, enter its key; then a connection's page (masked key, options, auto-pilot),
its preview (what a sync would do to each employee, with selection) and its runs. Over
``flows.hr_sync`` and ``directory.hr.service``, like the API."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.directory.hr import service as hr
from admit.directory.hr.plan import DEACTIVATE, INVITE, ON_START, OUTCOMES, UPDATE
from admit.directory.hr.words import (
    APPLIED_WORDS,
    COUNT_WORDS,
    OUTCOME_WORDS,
    RESULT_WORDS,
    linking_said,
    outcome_said,
    results_said,
    unlinked_said,
)
from admit.directory.models import HrConnection
from admit.directory.schemas import mask
from admit.errors import DomainError, HrSystemFailed
from admit.flows import hr_sync
from admit.kit.pagination import every
from admit.kit.routing import Router
from admit.kit.text import listed
from admit.members import service as members_service
from admit.pages.deps import PageActor, check_csrf, form_error, form_faults, redirect, render
from admit.web import SessionDep

router = Router()

PREVIEW_ROWS = 1000  # rows shown in the page's preview table; "Select all" covers every one
RUNS_SHOWN = 20  # runs on a connection's page; "Older runs" pages on
ACTIONABLE = (INVITE, ON_START, UPDATE, DEACTIVATE)


def _ctx(**extra: Any) -> dict[str, Any]:
    return {
        "nav": "users",
        "outcome_words": OUTCOME_WORDS,
        "count_words": COUNT_WORDS,
        "result_words": RESULT_WORDS,
        "applied_words": APPLIED_WORDS,
        "results_said": results_said,
        "outcome_said": outcome_said,
        "mask": mask,
        "hr": hr,
        **extra,
    }


def _options(form: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: (form.get(k) or None)
        for k in ("schedule", "new_hires", "user_type", "role", "api_key", "account", "base_url")
    }
    out["map_departments"] = form.get("map_departments") == "on"
    out["manage_existing"] = form.get("manage_existing") == "on"
    if form.get("products_shown"):
        out["products"] = [str(v) for v in form.getlist("products")]
    if form.get("allowed_domains") is not None:
        # Commas separate domains; a text without one is one entry ("not a domain" is refused
        # once, not as three).
        out["allowed_domains"] = listed(str(form.get("allowed_domains")))
    if form.get("deactivate_limit_pct"):
        try:
            out["deactivate_limit_pct"] = int(str(form.get("deactivate_limit_pct")))
        except ValueError:
            out["deactivate_limit_pct"] = -1  # refused with its field's message
    return out


@router.get("/p/{slug}/hr", name="hr:home")
def hr_home(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "hr/home.html",
        _ctx(
            providers=hr_sync.providers_offered(actor),
            connections=every(partial(hr.list_connections, session, actor)),
        ),
    )


def _connect_page(
    request: Request, session: Session, actor: Actor, provider: str, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    offered = {p["key"]: p for p in hr_sync.providers_offered(actor)}
    if provider not in offered:
        return redirect(f"/p/{actor.portal.slug}/hr")  # type: ignore[return-value]
    return render(
        request,
        "hr/connect.html",
        _ctx(**{"p": offered[provider], "form": {}, **extra}),
        status_code=status_code,
    )


@router.get("/p/{slug}/hr/connect/{provider}", name="hr:connect")
def hr_connect_page(provider: str, request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    return _connect_page(request, session, actor, provider)


# The connect form's fields, by the service's names (said under each when refused).
_CONNECT_FIELDS = ("fields_granted", "account", "base_url", "api_key", "user_type", "role")


# A connection's settings form, by the service's names (said under each when refused).
_SETTINGS_FIELDS = (
    "account",
    "base_url",
    "api_key",
    "user_type",
    "role",
    "schedule",
    "new_hires",
    "products",
    "allowed_domains",
    "deactivate_limit_pct",
)


@router.post("/p/{slug}/hr/connect/{provider}", dependencies=[Depends(check_csrf)])
async def hr_connect(provider: str, request: Request, actor: PageActor, session: SessionDep) -> Response:
    form = await request.form()
    body = {**_options(form), "provider": provider, "fields_granted": form.get("fields_granted") == "on"}
    kept = {k: v for k, v in form.items() if k not in ("api_key", "csrf_token")}
    try:
        conn = hr_sync.connect(session, actor, body)
    except HrSystemFailed as exc:  # the system said no: nothing was kept; try another key
        session.rollback()
        return _connect_page(request, session, actor, provider, exc.status, form=kept, error=exc.message)
    except DomainError as exc:
        faults = form_faults(session, exc, {f: f for f in _CONNECT_FIELDS})
        return _connect_page(request, session, actor, provider, exc.status, form=kept, **faults)
    return redirect(
        f"/p/{actor.portal.slug}/hr/{conn.id}",
        notice=f"{hr.heading_of(conn)} is connected. Preview the list to see what a sync would do.",
    )


def _conn_page(
    request: Request,
    session: Session,
    actor: Actor,
    conn: HrConnection,
    status_code: int = 200,
    cursor: str | None = None,
    **extra: Any,
) -> HTMLResponse:
    runs, next_cursor = hr.list_runs(session, actor, conn, cursor=cursor, limit=RUNS_SHOWN)
    newest = runs if not cursor else hr.list_runs(session, actor, conn, limit=1)[0]
    return render(
        request,
        "hr/connection.html",
        _ctx(
            conn=conn,
            p=hr.provider_of(conn.provider),
            runs=runs,
            latest=newest[0] if newest else None,
            older_url="?" + urlencode({"cursor": next_cursor}) if next_cursor else None,
            starters=members_service.names_of(session, [r.started_by_id for r in runs if r.started_by_id]),
            **extra,
        ),
        status_code=status_code,
    )


@router.get("/p/{slug}/hr/{connection_id}", name="hr:connection")
def hr_connection(
    connection_id: uuid.UUID,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    cursor: str | None = None,
) -> HTMLResponse:
    return _conn_page(request, session, actor, hr.get_or_raise(session, actor, connection_id), cursor=cursor)


@router.post("/p/{slug}/hr/{connection_id}", dependencies=[Depends(check_csrf)])
async def hr_connection_save(
    connection_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> Response:
    conn = hr.get_or_raise(session, actor, connection_id)
    form = await request.form()
    try:
        hr_sync.update(session, actor, conn, _options(form))
    except DomainError as exc:
        faults = form_faults(session, exc, {f: f for f in _SETTINGS_FIELDS})
        typed: dict[str, Any] = {k: v for k, v in form.items() if k not in ("api_key", "csrf_token")}
        typed["map_departments"] = form.get("map_departments") == "on"
        typed["manage_existing"] = form.get("manage_existing") == "on"
        typed["products"] = [str(v) for v in form.getlist("products")]
        conn = hr.get_or_raise(session, actor, connection_id)
        return _conn_page(request, session, actor, conn, exc.status, typed=typed, **faults)
    return redirect(f"/p/{actor.portal.slug}/hr/{conn.id}", notice="Saved.")


@router.post(
    "/p/{slug}/hr/{connection_id}/disconnect", name="hr:disconnect", dependencies=[Depends(check_csrf)]
)
def hr_disconnect(connection_id: uuid.UUID, actor: PageActor, session: SessionDep) -> Response:
    conn = hr.get_or_raise(session, actor, connection_id)
    title = hr.heading_of(conn)
    hr.disconnect(session, actor, conn)
    return redirect(
        f"/p/{actor.portal.slug}/hr", notice=f"{title} is disconnected. The people it brought stay."
    )


@router.get("/p/{slug}/hr/{connection_id}/preview", name="hr:preview")
def hr_preview(
    connection_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> HTMLResponse:
    """Reads the system now (no cache: what you see is what it holds)."""
    conn = hr.get_or_raise(session, actor, connection_id)
    try:
        plan = hr_sync.preview(session, actor, conn)
    except HrSystemFailed as exc:  # said on the connection's page, where the key can be fixed
        return _conn_page(request, session, actor, conn, exc.status, error=exc.message)
    order = {o: i for i, o in enumerate(ACTIONABLE + tuple(o for o in OUTCOMES if o not in ACTIONABLE))}
    # Those it does not manage who left or changed are said once (``unlinked``), not a row each.
    rows = sorted(plan.rows, key=lambda s: order[s.outcome])
    listed = sum(1 for s in plan.steps if s.employee is not None)
    return render(
        request,
        "hr/preview.html",
        _ctx(
            conn=conn,
            p=hr.provider_of(conn.provider),
            counts=plan.counts,
            total=listed,
            actionable=sum(plan.counts[o] for o in ACTIONABLE if o != ON_START),
            apply_label=_apply_label(plan.counts, quiet=conn.new_hires == "quiet"),
            rows=rows[:PREVIEW_ROWS],
            more=max(0, len(rows) - PREVIEW_ROWS),
            ACTIONABLE=ACTIONABLE,
            unlinked=unlinked_said(plan.unlinked, hr.name_of(conn)),
        ),
    )


@router.post("/p/{slug}/hr/{connection_id}/link", name="hr:link", dependencies=[Depends(check_csrf)])
def hr_link(connection_id: uuid.UUID, actor: PageActor, session: SessionDep) -> Response:
    """The preview's Link them: the Settings' "Link people already in the portal" turned on
    (``flows.hr_sync.update``, as the API's ``manage_existing``); back to the preview, which
    shows what the next sync does to them."""
    conn = hr.get_or_raise(session, actor, connection_id)
    hr_sync.update(session, actor, conn, {"manage_existing": True})
    return redirect(
        f"/p/{actor.portal.slug}/hr/{conn.id}/preview",
        notice=linking_said(hr.name_of(conn)),
    )


def _apply_label(counts: dict[str, int], *, quiet: bool) -> str:
    """The preview's button, named for what it does: invitations, changes (updates, leavers), or
    both (it said "Send Invites" when it also deactivated people)."""
    invites, changes = counts[INVITE], counts[UPDATE] + counts[DEACTIVATE]
    new_people = "Add quietly" if quiet else "Send invitations"
    if invites and changes:
        return f"{'Add' if quiet else 'Invite'} and apply changes"
    return new_people if invites or not changes else "Apply changes"


@router.post("/p/{slug}/hr/{connection_id}/sync", name="hr:sync", dependencies=[Depends(check_csrf)])
async def hr_sync_start(
    connection_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> Response:
    """The preview's button (invite, apply changes): with "Select all", the whole plan but the
    rows unticked on the page (rows past the page's first ones included); without it, only the
    ticked rows. Of those who start later, only the ticked ones are invited now."""
    conn = hr.get_or_raise(session, actor, connection_id)
    form = await request.form()
    ticked = {str(v) for v in form.getlist("selected")}
    shown = [str(v) for v in form.getlist("shown")]
    later = {str(v) for v in form.getlist("later")}
    # Leavers the admin saw and left ticked are confirmed: no second question about them.
    leaving = sorted(ticked & {str(v) for v in form.getlist("leaving")})
    user_type = str(form.get("user_type") or conn.user_type)
    role = form.get("role")
    options = {
        "user_type": user_type,
        "role": policy.role_asked(user_type, role if isinstance(role, str) else None),
    }
    try:
        if form.get("all") == "on":
            excluded = [x for x in shown if x not in ticked]
            hr_sync.start_sync(
                session,
                actor,
                conn,
                excluded=excluded,
                start_now=sorted(ticked & later),
                confirmed_leavers=leaving or None,
                options=options,
            )
        else:
            hr_sync.start_sync(
                session,
                actor,
                conn,
                selection=sorted(ticked),
                confirmed_leavers=leaving or None,
                options=options,
            )
    except DomainError as exc:
        return _conn_page(request, session, actor, conn, exc.status, error=form_error(session, exc))
    return redirect(
        f"/p/{actor.portal.slug}/hr/{conn.id}",
        notice="The sync is on its way: its progress and report are below.",
    )


@router.post(
    "/p/{slug}/hr/{connection_id}/runs/{run_id}/confirm",
    name="hr:confirm",
    dependencies=[Depends(check_csrf)],
)
def hr_confirm(
    connection_id: uuid.UUID, run_id: uuid.UUID, actor: PageActor, session: SessionDep
) -> Response:
    conn, run = hr.get_run_or_raise(session, actor, connection_id, run_id)
    hr_sync.confirm_run(session, actor, conn, run)
    return redirect(f"/p/{actor.portal.slug}/hr/{conn.id}", notice="Confirmed: the sync applies it now.")


@router.post(
    "/p/{slug}/hr/{connection_id}/runs/{run_id}/dismiss",
    name="hr:dismiss",
    dependencies=[Depends(check_csrf)],
)
def hr_dismiss(
    connection_id: uuid.UUID, run_id: uuid.UUID, actor: PageActor, session: SessionDep
) -> Response:
    conn, run = hr.get_run_or_raise(session, actor, connection_id, run_id)
    hr.dismiss_run(session, actor, conn, run)
    return redirect(
        f"/p/{actor.portal.slug}/hr/{conn.id}", notice="Dismissed: nothing of that sync was applied."
    )


@router.get("/p/{slug}/hr/{connection_id}/runs/{run_id}", name="hr:run")
def hr_run(
    connection_id: uuid.UUID, run_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> HTMLResponse:
    conn, run = hr.get_run_or_raise(session, actor, connection_id, run_id)
    return render(request, "hr/run.html", _ctx(conn=conn, p=hr.provider_of(conn.provider), run=run))
