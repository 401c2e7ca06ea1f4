"""Workspaces (the minimal pages the workspaces issue extends): the list, and one workspace with
its members (Joined / Not Joined), its Workspace Link and its join requests."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Form, Request

from admit import policy
from admit.errors import DomainError
from admit.links import service as links_service
from admit.pages.deps import PageActor, check_csrf, redirect, render
from admit.policy import INTERNAL_ROLES, Action, Role
from admit.web import SessionDep
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import KINDS

router = APIRouter()


def _list_page(request: Request, session, actor, *, status_code: int = 200, **extra):
    workspaces, _ = workspaces_service.list_workspaces(session, actor, limit=200)
    context = {
        "nav": "workspaces",
        "workspaces": workspaces,
        "kinds": KINDS,
        "can_create": policy.can(actor.role, Action.WORKSPACE_CREATE),
        "notice": request.query_params.get("notice"),
        "form": {},
    }
    context.update(extra)
    return render(request, "workspaces/list.html", context, status_code=status_code)


@router.get("/p/{slug}/workspaces", name="workspaces:list")
def workspaces_list(request: Request, actor: PageActor, session: SessionDep):
    if actor.role == Role.CLIENT:
        return redirect(f"/p/{actor.portal.slug}")
    return _list_page(request, session, actor)


@router.post("/p/{slug}/workspaces", name="workspaces:create", dependencies=[Depends(check_csrf)])
def workspaces_create(
    request: Request, actor: PageActor, session: SessionDep, name: str = Form(""), kind: str = Form("chat")
):
    try:
        workspace = workspaces_service.create(session, actor, name=name, kind=kind)
    except DomainError as exc:
        if exc.status != 422:
            raise
        session.rollback()
        return _list_page(
            request, session, actor, status_code=422, error=exc.message, form={"name": name, "kind": kind}
        )
    return redirect(f"/p/{actor.portal.slug}/workspaces/{workspace.id}", notice=f"{workspace.name} created.")


@router.get("/p/{slug}/workspaces/{workspace_id}", name="workspaces:show")
def workspace_show(workspace_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep):
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    can_share = policy.can(actor.role, Action.WORKSPACE_LINK_MANAGE)
    can_answer = policy.can(actor.role, Action.JOIN_REQUEST_APPROVE)
    requests = []
    if can_answer:
        rows, _ = links_service.list_join_requests(session, actor, workspace_id=workspace.id, limit=200)
        requests = [(r, links_service.existing_member(session, actor.portal.id, r.email)) for r in rows]
    can_invite_internal = policy.can(actor.role, Action.INVITE_INTERNAL)
    return render(
        request,
        "workspaces/show.html",
        {
            "nav": "workspaces",
            "workspace": workspace,
            "members": workspaces_service.members(session, workspace),
            "view": links_service.workspace_link(session, actor, workspace.id) if can_share else None,
            "requests": requests,
            "can_invite_internal": can_invite_internal,
            "grantable_roles": [
                str(r) for r in INTERNAL_ROLES if policy.check_grant_role(actor.role, r) is None
            ],
            "notice": request.query_params.get("notice"),
        },
    )
