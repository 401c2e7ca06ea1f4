from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.kit.json_body import JsonBody
from admit.members.schemas import UserRead

if TYPE_CHECKING:
    from admit.teams.models import Team, TeamMember


class TeamCreate(JsonBody):
    model_config = ConfigDict(extra="forbid")

    name: str
    user_ids: list[uuid.UUID] | None = None
    recipients: list[str] | None = Field(
        default=None, description="Addresses: existing people; for client groups also new clients to invite."
    )
    invite: bool = Field(
        default=True,
        description="Client groups: invite new addresses now. False: they join the group uninvited, and "
        "adding the group to a workspace invites them (the invitation names the workspace).",
    )


class TeamUpdate(BaseModel):
    """Rename a team or client group (the name rules of creation: the service checks them)."""

    model_config = ConfigDict(extra="forbid")

    name: str


class TeamMembersAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_ids: list[uuid.UUID] | None = None
    recipients: list[str] | None = None


class TeamMemberRead(UserRead):
    """A person in a team or client group, and where they stand in the portal."""

    status: Literal["joined", "invited", "expired", "not_invited", "deactivated"] = Field(
        description="joined: in the portal; invited: an invitation to it that still stands (they are in "
        "the team when they join); expired: their invitation lapsed unaccepted; not_invited: a client "
        "group's person not invited yet (adding the group to a workspace invites them) or whose "
        "invitation was revoked; deactivated: their access ended."
    )


class TeamRead(BaseModel):
    id: uuid.UUID
    kind: Literal["team", "client_group"]
    name: str
    created_at: datetime
    members: list[TeamMemberRead]

    @classmethod
    def of(
        cls,
        team: Team,
        members: Iterable[TeamMember],
        names: Mapping[uuid.UUID, str],
        statuses: Mapping[uuid.UUID, str],
    ) -> TeamRead:
        return cls(
            id=team.id,
            kind=team.kind,
            name=team.name,
            created_at=team.created_at,
            members=[
                TeamMemberRead(
                    **UserRead.of(tm.user, names.get(tm.user_id, "")).model_dump(),
                    status=statuses.get(tm.user_id, "not_invited"),
                )
                for tm in members
            ],
        )


class TeamList(BaseModel):
    items: list[TeamRead]
    next_cursor: str | None
