from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock
from admit.members.models import User

CHAT, FLOW, LINE = "chat", "flow", "line"
KINDS = (CHAT, FLOW, LINE)
JOINED, NOT_JOINED = "joined", "not_joined"
MEMBER_STATUSES = (JOINED, NOT_JOINED)


class Workspace(Base):
    """Where internal users and clients work together: a ``chat``, a ``flow`` or a ``line``
    (a shared inbox, seed 004). Flows' roles and actions come with the workspaces issue."""

    __tablename__ = "workspaces"
    __table_args__ = (Index("ix_workspaces_portal_created", "portal_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=CHAT)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    created_by: Mapped[User | None] = relationship()


class WorkspaceMember(Base):
    """A user in a workspace: ``joined``, or ``not_joined`` while their portal invitation is
    still pending (seed 001's "Not Joined")."""

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

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
