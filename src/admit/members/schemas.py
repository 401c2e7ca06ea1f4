from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.kit.apart import PartedModel
from admit.members.models import Member, User


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    phone: str | None = None
    name: str

    @classmethod
    def of(cls, user: User, name: str | None = None, *, hide_address: bool = False) -> UserRead:
        """``name``: as the portal may show it (``members.service.names_in_portal``);
        ``hide_address``: for clients looking at the other people in their workspaces."""
        return cls(
            id=user.id,
            email=None if hide_address else user.email,
            phone=None if hide_address else user.phone,
            name=user.name if name is None else name,
        )


class MemberRead(BaseModel):
    id: uuid.UUID
    user: UserRead
    user_type: Literal["internal", "client"]
    role: str
    status: Literal["pending", "active", "deactivated"]
    products: list[str]
    invited_by: UserRead | None
    created_at: datetime
    activated_at: datetime | None
    deactivated_at: datetime | None

    @classmethod
    def of(cls, member: Member) -> MemberRead:
        return cls(
            id=member.id,
            user=UserRead.model_validate(member.user),
            user_type=member.user_type,
            role=member.role,
            status=member.status,
            products=list(member.products or []),
            invited_by=UserRead.model_validate(member.invited_by) if member.invited_by else None,
            created_at=member.created_at,
            activated_at=member.activated_at,
            deactivated_at=member.deactivated_at,
        )


class MemberAccessChange(PartedModel):
    """``PATCH …/members/{id}``: what to change (left out: unchanged). Parsed apart
    (``kit.apart``): a value of the wrong type is said with the change's own faults."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["owner", "admin", "member"] | None = None  # an internal user's
    products: list[str] | None = None  # those the portal offers


class MemberPage(BaseModel):
    items: list[MemberRead]
    next_cursor: str | None


class PersonSuggested(MemberRead):
    in_workspace: bool | None = Field(
        default=None,
        description="Asked with ``workspace_id``: whether they are in that workspace already (its "
        "Invite panel marks them); null when no workspace was asked about.",
    )


class PeopleMatches(BaseModel):
    items: list[PersonSuggested]
    next_cursor: str | None


def user_read(user: User) -> UserRead:
    return UserRead.model_validate(user)
