from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User


class TeamKind(StrEnum):
    """A team holds internal users; a client group holds clients."""

    TEAM = "team"
    CLIENT_GROUP = "client_group"


TEAM, CLIENT_GROUP = (TeamKind.TEAM, TeamKind.CLIENT_GROUP)
KINDS = (TEAM, CLIENT_GROUP)
NAME_INDEX = "uq_teams_portal_kind_name"


class Team(Base):
    """A named set of people in a portal: an internal ``team`` or a ``client_group``.

    Adding one to a workspace adds each of its people; Resend on its row reaches those of them
    who have not joined. A deleted one keeps its row (``deleted_at``): the workspace memberships
    that came through it and the audit log still name it, and its name is free again.
    Names are unique per portal and kind whatever their case and spacing (``kit.names``).
    """

    __tablename__ = "teams"
    __table_args__ = (
        # No two live teams (or groups) of a portal share a name whatever its case: the backstop
        # of ``teams.service``'s rule (``kit.names``) when two requests ask at once.
        Index(
            NAME_INDEX,
            "portal_id",
            "kind",
            text("lower(name)"),
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_team_members_team_user"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The name typed for someone put in a client group uninvited ("Ann Lee <ann@…>"): the name
    # their invitation gets when the group goes into a workspace, however much later.
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
