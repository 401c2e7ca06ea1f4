"""Bulk invitation pages: the preview of an uploaded list, its progress, and its report."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from admit.actor import Actor
from admit.errors import DomainError
from admit.imports import service as imports_service
from admit.imports.models import DONE, FAILED
from admit.kit.routing import Router
from admit.pages.deps import (
    PageActor,
    check_csrf,
    forget_flash,
    form_faults,
    named_for,
    owners_whom,
    read_flash,
    redirect,
    render,
    set_flash,
)
from admit.web import SessionDep

router = Router()

# Every outcome a preview can give, in its order (imports.service.OUTCOMES), as the page names it.
LABELS = {code: imports_service.outcome_words(code).capitalize() for code in imports_service.OUTCOMES}
SKIPPED_SHOWN = 20  # the finished import's page lists this many skipped rows; the report has all


@router.get("/p/{slug}/imports/{import_id}", name="imports:show")
def show(import_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep) -> Response:
    """Preview (before anything is sent), then progress, then the summary and the report."""
    return _show(request, session, actor, import_id)


def _show(request: Request, session: Session, actor: Actor, import_id: uuid.UUID, **extra: Any) -> Response:
    imp = imports_service.get_or_raise(session, actor, import_id)
    # Send refused (its owners not confirmed) comes back here, said under the box.
    flash = read_flash(request) or {}
    extra = {**flash.get("faults", {}), **extra}
    preview = imp.preview or {}
    context = {
        "nav": "users",
        "imp": imp,
        # Whom the preview's "Yes, make …." makes owners: the first few by name, and how many.
        "owners_whom": owners_whom(
            [named_for(actor, o["address"], o["name"]) for o in preview.get("owners", [])],
            preview.get("roles", {}).get("owner", 0),
        ),
        "status": imports_service.status_of(imp),
        "labels": LABELS,
        # The outcomes a preview met are listed, and how many will be invited even when none.
        "always_shown": imports_service.WILL_INVITE,
    }
    if imp.status in (DONE, FAILED):
        context["skipped_rows"] = imports_service.first_skipped(
            session, actor, import_id, limit=SKIPPED_SHOWN
        )
    response = render(request, "imports/show.html", {**context, **extra}, status_code=200)
    forget_flash(response, flash)
    return response


@router.post(
    "/p/{slug}/imports/{import_id}/confirm", name="imports:confirm", dependencies=[Depends(check_csrf)]
)
def confirm(
    import_id: uuid.UUID,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    owners_confirmed: str = Form(""),
) -> Response:
    try:
        imports_service.confirm(session, actor, import_id, owners_confirmed=bool(owners_confirmed))
    except DomainError as exc:
        # Said under the box (``owners_confirmed``), as every form says its fault.
        # back on the preview's own address (a reload shows the preview, not a refusal again).
        faults = form_faults(session, exc, {"owners_confirmed": "owners_confirmed"})
        response = redirect(f"/p/{actor.portal.slug}/imports/{import_id}")
        set_flash(request, response, {"faults": faults})
        return response
    return redirect(f"/p/{actor.portal.slug}/imports/{import_id}")


@router.post(
    "/p/{slug}/imports/{import_id}/role-column",
    name="imports:role_column",
    dependencies=[Depends(check_csrf)],
)
def role_column(
    import_id: uuid.UUID, actor: PageActor, session: SessionDep, use: str = Form(""), role: str = Form("")
) -> Response:
    """The preview's "Use the Role column" box and its "up to" role: the preview is redone."""
    imports_service.use_role_column(session, actor, import_id, bool(use), role=role or None)
    return redirect(f"/p/{actor.portal.slug}/imports/{import_id}")
