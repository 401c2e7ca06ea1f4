"""Bulk invitation pages: the preview of an uploaded list, its progress, and its report."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from admit.imports import service as imports_service
from admit.pages.deps import PageActor, check_csrf, redirect, render
from admit.web import SessionDep

router = APIRouter()

LABELS = {
    "will_invite": "Will invite",
    "already_member": "Already members",
    "already_invited": "Already invited",
    "duplicate": "Duplicates in the list",
    "invalid_recipient": "Invalid",
    "not_allowed": "Not allowed",
}


@router.get("/p/{slug}/imports/{import_id}", name="imports:show")
def show(import_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """Preview (before anything is sent), then progress, then the summary and the report."""
    imp = imports_service.get_or_raise(session, actor, import_id)
    return render(
        request,
        "imports/show.html",
        {"nav": "users", "imp": imp, "status": imports_service.status_of(imp), "labels": LABELS},
    )


@router.post(
    "/p/{slug}/imports/{import_id}/confirm", name="imports:confirm", dependencies=[Depends(check_csrf)]
)
def confirm(import_id: uuid.UUID, actor: PageActor, session: SessionDep) -> RedirectResponse:
    imports_service.confirm(session, actor, import_id)
    return redirect(f"/p/{actor.portal.slug}/imports/{import_id}")
