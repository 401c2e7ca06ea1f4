"""Workspaces (the minimal core the workspaces issue extends): create, list, read."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from admit.api.deps import ActorDep
from admit.web import SessionDep
from admit.workspaces import service as workspaces_service
from admit.workspaces.schemas import WorkspaceCreate, WorkspacePage, WorkspaceRead

router = APIRouter(tags=["workspaces"])


@router.post("/portals/{portal}/workspaces", response_model=WorkspaceRead, status_code=201)
def create_workspace(body: WorkspaceCreate, actor: ActorDep, session: SessionDep):
    """Create a workspace (internal users); its creator joins it."""
    workspace = workspaces_service.create(session, actor, name=body.name, kind=body.kind)
    return WorkspaceRead.of(workspace, workspaces_service.members(session, workspace))


@router.get("/portals/{portal}/workspaces", response_model=WorkspacePage)
def list_workspaces(actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: int = 100):
    """The workspaces you are in (owners and admins: all of the portal's), newest first."""
    rows, next_cursor = workspaces_service.list_workspaces(session, actor, cursor=cursor, limit=limit)
    return WorkspacePage(items=[WorkspaceRead.of(w) for w in rows], next_cursor=next_cursor)


@router.get("/portals/{portal}/workspaces/{workspace_id}", response_model=WorkspaceRead)
def get_workspace(workspace_id: uuid.UUID, actor: ActorDep, session: SessionDep):
    """A workspace with its members (Joined / Not Joined); 404 when you cannot reach it."""
    workspace = workspaces_service.get_or_raise(session, actor, workspace_id)
    return WorkspaceRead.of(workspace, workspaces_service.members(session, workspace))
