from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from admit.members.schemas import UserRead

if TYPE_CHECKING:
    from admit.contacts.models import Contact


class ContactResultOutcome(StrEnum):
    """What adding a contact (or inviting one kept quietly) did. Those of a skip's name say what
    the invitation pipeline or the workspace would have skipped them for."""

    ADDED_QUIETLY = "added_quietly"  # kept in contacts, nothing sent
    ALREADY_IN_CONTACTS = "already_in_contacts"  # quietly, and kept already
    INVITED = "invited"  # a portal invitation sent
    ALREADY_MEMBER = "already_member"
    ALREADY_INVITED = "already_invited"  # the invitation that stands is the contact's
    ADDED_TO_WORKSPACE = "added_to_workspace"
    INVITED_TO_WORKSPACE = "invited_to_workspace"
    ALREADY_IN_WORKSPACE = "already_in_workspace"


class _Identified(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


class ContactOutcome(Protocol):
    """What adding a contact did (``flows.contacts.ContactResult``)."""

    @property
    def contact(self) -> Contact: ...
    @property
    def outcome(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def workspace(self) -> _Identified | None: ...
    @property
    def invitation_id(self) -> uuid.UUID | None: ...


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient: str = Field(description="An email address or a phone number.")
    user_type: Literal["client", "internal"] = "client"
    name: str | None = None
    then: Literal["workspace", "contacts", "quietly"] = "contacts"
    workspace_id: uuid.UUID | None = None
    workspace_name: str | None = Field(default=None, description="then=workspace: create this workspace.")
    workspace_kind: Literal["chat", "flow", "line"] = "chat"


class ContactUpdate(BaseModel):
    """Rename a contact (the name rules of adding one: the service checks them)."""

    model_config = ConfigDict(extra="forbid")

    name: str


class ContactRead(BaseModel):
    id: uuid.UUID
    user: UserRead
    user_type: Literal["client", "internal"]
    quiet: bool
    status: Literal["joined", "invited", "not_invited", "deactivated"] | None = None
    created_at: datetime

    @classmethod
    def of(cls, contact: Contact, status: str | None = None, name: str | None = None) -> ContactRead:
        """``name``: as the portal may show it; by default the name given with the contact."""
        return cls(
            id=contact.id,
            user=UserRead.of(contact.user, contact.name if name is None else name),
            user_type=contact.user_type,
            quiet=contact.quiet,
            status=status,
            created_at=contact.created_at,
        )


class ContactResultRead(BaseModel):
    contact: ContactRead
    outcome: ContactResultOutcome
    detail: str
    workspace_id: uuid.UUID | None
    invitation_id: uuid.UUID | None

    @classmethod
    def of(cls, result: ContactOutcome) -> ContactResultRead:
        return cls(
            contact=ContactRead.of(result.contact),
            outcome=result.outcome,
            detail=result.detail,
            workspace_id=result.workspace.id if result.workspace is not None else None,
            invitation_id=result.invitation_id,
        )


class ContactList(BaseModel):
    items: list[ContactRead]
    next_cursor: str | None
