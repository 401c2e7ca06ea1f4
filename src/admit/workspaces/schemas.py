from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.members.schemas import UserRead
from admit.workspaces.models import Workspace, WorkspaceMember


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["chat", "flow", "line"] = "chat"


class WorkspaceMemberRead(BaseModel):
    user: UserRead
    status: Literal["joined", "not_joined"]
    created_at: datetime
    joined_at: datetime | None

    @classmethod
    def of(cls, m: WorkspaceMember) -> WorkspaceMemberRead:
        return cls(
            user=UserRead.model_validate(m.user),
            status=m.status,
            created_at=m.created_at,
            joined_at=m.joined_at,
        )


class WorkspaceRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: Literal["chat", "flow", "line"]
    created_by: UserRead | None
    created_at: datetime
    members: list[WorkspaceMemberRead] | None = None

    @classmethod
    def of(cls, w: Workspace, members: list[WorkspaceMember] | None = None) -> WorkspaceRead:
        return cls(
            id=w.id,
            name=w.name,
            kind=w.kind,
            created_by=UserRead.model_validate(w.created_by) if w.created_by else None,
            created_at=w.created_at,
            members=[WorkspaceMemberRead.of(m) for m in members] if members is not None else None,
        )


class WorkspacePage(BaseModel):
    items: list[WorkspaceRead]
    next_cursor: str | None
