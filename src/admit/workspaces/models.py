from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User


class WorkspaceKind(StrEnum):
    """A chat; a flow (with roles and actions); a line (a shared inbox, seed 004)."""

    CHAT = "chat"
    FLOW = "flow"
    LINE = "line"


CHAT, FLOW, LINE = (WorkspaceKind.CHAT, WorkspaceKind.FLOW, WorkspaceKind.LINE)
KINDS = (CHAT, FLOW, LINE)
NAME_INDEX = "uq_workspaces_portal_name"


class WorkspaceMemberStatus(StrEnum):
    """Joined, or Not Joined while the person's portal invitation is still pending."""

    JOINED = "joined"
    NOT_JOINED = "not_joined"


JOINED, NOT_JOINED = (WorkspaceMemberStatus.JOINED, WorkspaceMemberStatus.NOT_JOINED)
MEMBER_STATUSES = (JOINED, NOT_JOINED)


class Workspace(Base):
    """Where internal users and clients work together: a ``chat``, a ``flow`` or a ``line``
    (a shared inbox, seed 004). A flow has roles (``WorkspaceRole``). Its name is the portal's
    only one of that name, whatever its case and spacing (``kit.names``), so a name picks one."""

    __tablename__ = "workspaces"
    __table_args__ = (
        Index("ix_workspaces_portal_created", "portal_id", "created_at"),
        # No two workspaces of a portal share a name whatever its case: the backstop of
        # ``workspaces.service``'s rule (``kit.names``) when two requests ask at once.
        Index(NAME_INDEX, "portal_id", text("lower(name)"), unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=CHAT)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    created_by: Mapped[User | None] = relationship()


class WorkspaceMember(Base):
    """A user in a workspace: ``joined``, or ``not_joined`` while their portal invitation is
    still pending (seed 001's "Not Joined").

    ``invitation_id`` is the portal invitation that brings a not-joined person in (Resend
    Invitation reissues it); ``via_team_id`` is the team or client group they came with."""

    __tablename__ = "workspace_members"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", name="uq_workspace_members_workspace_user"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=JOINED)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    via_team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class WorkspaceTeam(Base):
    """A team or client group added to a workspace as a whole (its row in the Members panel),
    recorded even when every one of its people was in the workspace already, so none came
    "via" it. Deleting the workspace takes it; a deleted team's row is kept and shown no more."""

    __tablename__ = "workspace_teams"
    __table_args__ = (Index("ix_workspace_teams_team_id", "team_id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class WorkspaceRole(Base):
    """A role in a flow workspace ("Reviewer", "Client signer"), assigned to one member or none.
    A deleted one keeps its row (``deleted_at``) so that who held it stays in the history."""

    __tablename__ = "workspace_roles"
    __table_args__ = (
        Index(
            "uq_workspace_roles_workspace_name",
            "workspace_id",
            "name",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoleAssignment(Base):
    """Who holds a role, from when to when: reassigning ends the current row and adds one, so the
    history stays. At most one current (``ended_at`` NULL) assignment per role."""

    __tablename__ = "workspace_role_assignments"
    __table_args__ = (
        Index(
            "uq_role_assignments_current",
            "role_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace_roles.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class WorkspaceAction(Base):
    """A step in a flow workspace, optionally assigned to a role and due on a date. Internal
    users add them; clients cannot (seed 003)."""

    __tablename__ = "workspace_actions"
    __table_args__ = (Index("ix_workspace_actions_workspace", "workspace_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Assigned to a role (whoever holds it) or to one person of the workspace, or to no one.
    role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workspace_roles.id", ondelete="SET NULL"))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A date in the portal's time zone (``portals.time_zone``): reminders go out on that day there.
    due_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Marked done (by its assignee or an internal user): its reminders stop.
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[uuid.UUID | None] = mapped_column()  # a user's id (no reference: a label)
    # When the reminder on its due date, and the one after it, went out (each once).
    due_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Join request statuses.
class JoinRequestStatus(StrEnum):
    """A join request: pending until an internal user of the workspace approves or declines it."""

    REQUEST_PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


REQUEST_PENDING, APPROVED, DECLINED = (
    JoinRequestStatus.REQUEST_PENDING,
    JoinRequestStatus.APPROVED,
    JoinRequestStatus.DECLINED,
)
REQUEST_STATUSES = (REQUEST_PENDING, APPROVED, DECLINED)


class JoinRequest(Base):
    """Someone asked, through a workspace link, to join that workspace.

    An internal user of the workspace approves it (choosing the user type) or declines it. At
    most one pending request per (workspace, address): asking again changes nothing.
    """

    __tablename__ = "join_requests"
    __table_args__ = (
        Index(
            "uq_join_requests_pending",
            "workspace_id",
            "email",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_join_requests_portal_created", "portal_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    link_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invite_links.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=REQUEST_PENDING)
    user_type: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ip: Mapped[str | None] = mapped_column(String(64))

    workspace: Mapped[Workspace] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship()


class WorkspaceMessage(Base):
    """A message in a workspace's interaction panel. ``mentions`` are the user ids of the
    workspace's members it names (``@Their Name``), never names; the text is kept as typed and
    never rendered as HTML."""

    __tablename__ = "workspace_messages"
    __table_args__ = (Index("ix_workspace_messages_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")


class WorkspaceRead(Base):
    """How far a person has read a workspace's panel (their unread count is what came after)."""

    __tablename__ = "workspace_reads"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_workspace_reads_workspace_user"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class WorkspaceDigest(Base):
    """When a person was last sent a summary of a workspace's new activity (at most one an hour)."""

    __tablename__ = "workspace_digests"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", name="uq_workspace_digests_workspace_user"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
