from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from admit import policy
from admit.audit import service as audit_service
from admit.audit import words as audit_words
from admit.errors import DomainError
from admit.kit.pagination import every
from admit.pages.deps import PageActor, check_csrf, person, redirect, render
from admit.people import timeline as people_timeline
from admit.portals import service as portals_service
from admit.portals.models import ALL_PRODUCTS
from admit.web import SessionDep

router = APIRouter()


@router.get("/p/{slug}", name="portals:home")
def home(request: Request, actor: PageActor, session: SessionDep) -> Response:
    """Each lands where they work (``Capabilities.home``): owners and admins on User
    Management, internal members on their Workspaces timeline; clients on their own page, which
    lists only the workspaces they were invited to, newest first."""
    home = policy.capabilities(actor.role).home
    if home != "client":
        return redirect(f"/p/{actor.portal.slug}/{home}")
    workspaces = [
        (w, m)
        for w, m, _p in every(partial(people_timeline.timeline, session, person(actor), portal=actor.portal))
    ]
    return render(request, "portals/home.html", {"workspaces": workspaces})


@router.get("/p/{slug}/settings", name="portals:settings")
def settings_form(request: Request, actor: PageActor) -> HTMLResponse:
    policy.require(actor.role, policy.Action.PORTAL_SETTINGS)
    return render(
        request,
        "portals/settings.html",
        {"nav": "settings", "all_products": ALL_PRODUCTS},
    )


@router.post("/p/{slug}/settings", dependencies=[Depends(check_csrf)])
def settings_submit(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    invitation_ttl_hours: int = Form(168),
    enabled_products: list[str] = Form(default=[]),
    client_require_password: str = Form(""),
) -> Response:
    try:
        portals_service.update_settings(
            session,
            actor,
            invitation_ttl_seconds=invitation_ttl_hours * 3600,
            enabled_products=enabled_products,
            client_require_password=bool(client_require_password),
        )
    except DomainError as exc:
        if exc.status != 422:
            raise
        session.rollback()
        return render(
            request,
            "portals/settings.html",
            {"nav": "settings", "all_products": ALL_PRODUCTS, "error": exc.message},
            status_code=422,
        )
    return redirect(f"/p/{actor.portal.slug}/settings", notice="Settings saved.")


@router.get("/p/{slug}/audit", name="audit:list")
def audit_list(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    cursor: str | None = None,
    category: str = "",
    q: str = "",
) -> HTMLResponse:
    """The audit log in words, newest first, with a category filter and a search."""
    events, next_cursor = audit_service.list_events(
        session, actor, category=category or None, q=q or None, cursor=cursor, limit=100
    )
    return render(
        request,
        "audit/list.html",
        {
            "nav": "audit",
            "events": [(e, audit_words.sentence(e)) for e in events],
            "next_cursor": next_cursor,
            "categories": list(audit_words.CATEGORIES),
            "filters": {"category": category, "q": q},
        },
    )
