"""Settings → SCIM (owners and admins): the portal's SCIM tokens for Okta, Entra ID or any SCIM
client (a new one shown once; Revoke), and the base URL to give them. Over
``directory.service``, like the API."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.directory import service as directory_service
from admit.errors import DomainError
from admit.kit.pagination import every
from admit.kit.routing import Router
from admit.members import service as members_service
from admit.pages.deps import PageActor, check_csrf, form_error, redirect, render
from admit.portals import service as portals_service
from admit.web import SessionDep

router = Router()


def _page(
    request: Request, session: Session, actor: Actor, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    settings = request.app.state.db.context.settings
    tokens = every(partial(directory_service.list_tokens, session, actor))
    context = {
        "nav": "settings",
        "tokens": tokens,
        "makers": members_service.names_of(session, [t.created_by_id for t in tokens if t.created_by_id]),
        "base_url": f"{settings.public_url.rstrip('/')}/scim/v2",
        "form": {},
        **extra,
    }
    return render(request, "portals/scim.html", context, status_code=status_code)


@router.get("/p/{slug}/settings/scim", name="portals:scim")
def scim_page(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    return _page(request, session, actor)


@router.post("/p/{slug}/settings/scim", dependencies=[Depends(check_csrf)])
def scim_token_create(
    request: Request, actor: PageActor, session: SessionDep, name: str = Form("")
) -> HTMLResponse:
    """The new token is in this answer only (no redirect, cookie or log)."""
    try:
        raw, token = directory_service.issue_token(session, actor, name=name.strip() or "SCIM")
    except DomainError as exc:
        return _page(request, session, actor, exc.status, form={"name": name}, error=form_error(session, exc))
    response = _page(request, session, actor, created={"token": token, "secret": raw})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "/p/{slug}/settings/scim/new-users", name="portals:scim_new_users", dependencies=[Depends(check_csrf)]
)
def scim_new_users(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    scim_new_users: str = Form(""),
    products: list[str] = Form(default_factory=list),
) -> Response:
    """What a new user from the identity provider gets: an invitation, or added quietly; and
    the products they get."""
    try:
        portals_service.update_settings(session, actor, scim_new_users=scim_new_users, scim_products=products)
    except DomainError as exc:
        return _page(request, session, actor, exc.status, error=form_error(session, exc))
    return redirect(f"/p/{actor.portal.slug}/settings/scim", notice="Saved.")


@router.post(
    "/p/{slug}/settings/scim/{token_id}/revoke",
    name="portals:scim_revoke",
    dependencies=[Depends(check_csrf)],
)
def scim_token_revoke(token_id: uuid.UUID, actor: PageActor, session: SessionDep) -> Response:
    token, _changed = directory_service.revoke_token(session, actor, token_id)
    return redirect(
        f"/p/{actor.portal.slug}/settings/scim", notice=f"The SCIM token “{token.name}” was revoked."
    )
