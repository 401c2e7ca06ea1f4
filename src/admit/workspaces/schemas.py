from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from admit import policy
from admit.actor import Actor
from admit.members.schemas import UserRead
from admit.portals.schemas import PortalRef
from admit.workspaces.models import (
    JoinRequest,
    RoleAssignment,
    Workspace,
    WorkspaceAction,
    WorkspaceMember,
    WorkspaceMessage,
    WorkspaceRole,
)

Kind = Literal["chat", "flow", "line"]


class Via(Protocol):
    """The team or client group someone came into the workspace with (a ``teams.models.Team``)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...


class RoleHolders(Protocol):
    """A role with its holders as a viewer sees them (``people.workspace.RoleView``)."""

    @property
    def role(self) -> WorkspaceRole: ...
    @property
    def current(self) -> RoleAssignment | None: ...
    @property
    def history(self) -> Sequence[RoleAssignment]: ...
    @property
    def names(self) -> Mapping[uuid.UUID, str]: ...
    def shows_address(self, user_id: uuid.UUID) -> bool: ...


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Kind = "chat"
    roles: list[str] | None = Field(default=None, description="Role names, for a flow workspace.")


class WorkspaceUpdate(BaseModel):
    """Rename a workspace (the name rules of creation: the service checks them)."""

    model_config = ConfigDict(extra="forbid")

    name: str


class TeamRef(BaseModel):
    id: uuid.UUID
    name: str
    kind: Literal["team", "client_group"]


class WorkspaceMemberRead(BaseModel):
    user: UserRead
    status: Literal["joined", "not_joined"]
    created_at: datetime
    joined_at: datetime | None
    roles: list[str] = []
    via_team: TeamRef | None = None
    via_group: TeamRef | None = None
    access_ended: bool = Field(
        default=False,
        description="Deactivated in the portal: still listed, but they cannot open the workspace, "
        "are not given work in it and are told nothing of it until reactivated (told to internal "
        "users only; always false for a client asking).",
    )
    state: Literal["joined", "invited", "expired", "deactivated"] = Field(
        default="joined",
        description="As the Members panel tells them apart (its filter's `state`): `expired` is not "
        "joined with an invitation that lapsed, `deactivated` has `access_ended`. A client is told "
        "`joined` and `invited` only.",
    )

    @classmethod
    def of(
        cls,
        m: WorkspaceMember,
        roles: list[str] | None = None,
        via: Via | None = None,
        name: str | None = None,
        show_address: bool = True,
        access_ended: bool = False,
        state: str = "joined",
    ) -> WorkspaceMemberRead:
        ref = TeamRef(id=via.id, name=via.name, kind=via.kind) if via is not None else None
        user = UserRead.of(m.user, name)
        if not show_address:
            user = user.model_copy(update={"email": None, "phone": None})
        return cls(
            user=user,
            status=m.status,
            created_at=m.created_at,
            joined_at=m.joined_at,
            roles=roles or [],
            via_team=ref if ref is not None and ref.kind == "team" else None,
            via_group=ref if ref is not None and ref.kind == "client_group" else None,
            access_ended=access_ended,
            state=state,
        )


class TeamRowRead(BaseModel):
    """A team's or client group's row in the Members panel."""

    team: TeamRef
    joined: int
    not_joined: int
    deactivated: int = 0  # their access to the portal ended (counted in neither of the others)
    status: Literal["joined", "not_joined"]


class WorkspaceMembersRead(BaseModel):
    items: list[WorkspaceMemberRead]
    next_cursor: str | None
    teams: list[TeamRowRead]
    counts: dict[str, int] | None = Field(
        default=None,
        description="On the first page: how many of the people `q` matches are in each state the "
        "asker tells apart (`all`: whatever their state).",
    )


class WorkspaceRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: Kind
    created_by: UserRead | None
    created_at: datetime

    @classmethod
    def of(cls, w: Workspace, viewer: Actor) -> WorkspaceRead:
        """``viewer``: who is looking; a client sees who made it by name only
        (``policy.sees_addresses_of``)."""
        by = w.created_by
        hide = by is not None and not policy.sees_addresses_of(
            viewer.role, viewer_id=viewer.user_id, person_id=by.id
        )
        return cls(
            id=w.id,
            name=w.name,
            kind=w.kind,
            created_by=UserRead.of(by, hide_address=hide) if by else None,
            created_at=w.created_at,
        )


class WorkspacePage(BaseModel):
    items: list[WorkspaceRead]
    next_cursor: str | None


class AddMembers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipients: list[str] | None = Field(
        default=None,
        description="Emails or phone numbers, new or not (a blank element is skipped as "
        "`invalid_recipient`).",
    )
    user_ids: list[uuid.UUID] | None = None
    team_ids: list[uuid.UUID] | None = None
    group_ids: list[uuid.UUID] | None = None
    user_type: Literal["client", "internal"] = "client"


class WorkspaceResend(BaseModel):
    """Whom ``POST …/invitations/resend`` reaches: the people ``user_ids`` names, everyone in
    ``state``, or those of ``user_ids`` in ``state``."""

    model_config = ConfigDict(extra="forbid")

    user_ids: list[uuid.UUID] | None = Field(
        default=None, description="People of the workspace (Resend to selected)."
    )
    state: Literal["expired", "invited"] | None = Field(
        default=None,
        description="`expired`: everyone whose invitation lapsed (Resend all expired); `invited`: "
        "everyone not joined whose invitation still stands (not expired).",
    )


class RoleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str


class RoleUpdate(BaseModel):
    """Rename a flow's role (the name rules of adding one: the service checks them)."""

    model_config = ConfigDict(extra="forbid")

    name: str


class RoleAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID | None = None
    recipient: str | None = None
    user_type: Literal["client", "internal"] = "client"


class AssignmentRead(BaseModel):
    user: UserRead
    assigned_at: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, a: RoleAssignment, view: RoleHolders) -> AssignmentRead:
        """``view``: the role's ``RoleView`` (the names shown, and whose addresses the viewer sees)."""
        hide = not view.shows_address(a.user_id)
        user = UserRead.of(a.user, view.names.get(a.user_id, ""), hide_address=hide)
        return cls(user=user, assigned_at=a.assigned_at, ended_at=a.ended_at)


class RoleRead(BaseModel):
    id: uuid.UUID
    name: str
    position: int
    assignee: UserRead | None
    assigned_at: datetime | None = Field(description="When the assignee got the role (null when unassigned).")

    @classmethod
    def of(cls, view: RoleHolders) -> RoleRead:
        """The role and its holder now; who held it before pages under ``…/roles/{role_id}/history``."""
        current = AssignmentRead.of(view.current, view) if view.current is not None else None
        return cls(
            id=view.role.id,
            name=view.role.name,
            position=view.role.position,
            assignee=current.user if current is not None else None,
            assigned_at=current.assigned_at if current is not None else None,
        )


class AssignmentList(BaseModel):
    items: list[AssignmentRead]
    next_cursor: str | None


class RoleList(BaseModel):
    items: list[RoleRead]


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    description: str = ""
    role_id: uuid.UUID | None = Field(default=None, description="For whoever holds this role (now or later).")
    assignee_id: uuid.UUID | None = Field(
        default=None, description="For this person of the workspace (a user id); not with role_id."
    )
    due_on: date | None = Field(default=None, description="A day in the portal's time zone.")


class ActionUpdate(BaseModel):
    """What to change (only the fields given); ``due_on: null`` clears the date."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    description: str | None = None
    due_on: date | None = Field(default=None, description="A day in the portal's time zone; null: none.")


class ActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str = ""
    role_id: uuid.UUID | None
    assignee_id: uuid.UUID | None = None
    due_on: date | None
    created_at: datetime
    done_at: datetime | None = None

    @classmethod
    def of(cls, a: WorkspaceAction) -> ActionRead:
        return cls.model_validate(a)


class ActionList(BaseModel):
    items: list[ActionRead]
    next_cursor: str | None


class TimelineItem(BaseModel):
    id: uuid.UUID
    name: str
    kind: Kind
    portal: PortalRef
    added_at: datetime


class Timeline(BaseModel):
    items: list[TimelineItem]
    next_cursor: str | None = None


class JoinRequestCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str
    name: str
    note: str | None = None


class JoinRequestReceived(BaseModel):
    status: Literal["received"] = "received"
    detail: str


class JoinRequestApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_type: Literal["internal", "client"]
    role: Literal["owner", "admin", "member", "client"] | None = None


class WorkspaceRef(BaseModel):
    id: uuid.UUID
    name: str


class JoinRequestRead(BaseModel):
    id: uuid.UUID
    workspace: WorkspaceRef
    email: str
    name: str
    note: str
    status: Literal["pending", "approved", "declined"]
    user_type: str | None
    role: str | None
    outcome: str | None
    invitation_id: uuid.UUID | None
    decided_by: UserRead | None
    decided_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, r: JoinRequest) -> JoinRequestRead:
        return cls(
            id=r.id,
            workspace=WorkspaceRef(id=r.workspace_id, name=r.workspace.name),
            email=r.email,
            name=r.name,
            note=r.note,
            status=r.status,
            user_type=r.user_type,
            role=r.role,
            outcome=r.outcome,
            invitation_id=r.invitation_id,
            decided_by=UserRead.model_validate(r.decided_by) if r.decided_by else None,
            decided_at=r.decided_at,
            created_at=r.created_at,
        )


class JoinRequestPage(BaseModel):
    items: list[JoinRequestRead]
    next_cursor: str | None


class MessageCreate(BaseModel):
    text: str = Field(description="Plain text; `@Their Name` mentions a member.")


class MessageAuthor(BaseModel):
    id: uuid.UUID
    name: str


class MessageRead(BaseModel):
    """A message of the interaction panel: its text as written (plain, never HTML) and the ids
    of the members it mentions."""

    id: uuid.UUID
    author: MessageAuthor | None
    text: str
    mentions: list[uuid.UUID]
    created_at: datetime

    @classmethod
    def of(cls, message: WorkspaceMessage) -> MessageRead:
        author = message.author
        return cls(
            id=message.id,
            author=MessageAuthor(id=author.id, name=author.shown) if author is not None else None,
            text=message.text,
            mentions=[uuid.UUID(m) for m in message.mentions],
            created_at=message.created_at,
        )


class ReadMark(BaseModel):
    user_id: uuid.UUID
    read_at: datetime


class MessagePage(BaseModel):
    items: list[MessageRead] = Field(description="Newest first.")
    next_cursor: str | None
    reads: list[ReadMark] = Field(description="How far each person has read the panel.")
