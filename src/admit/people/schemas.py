from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from admit.members.schemas import UserRead
from admit.notifications.schemas import DeliveryRead

if TYPE_CHECKING:
    from collections.abc import Iterable

    from admit.people.roster import RosterRow, RowDelivery


def shown_name(kind: str, name: str | None) -> str:
    """A roster row's name as people are shown it (User Management, ``admit members list``): a
    sign-up's is what the visitor typed about themselves, quoted, never taken as fact."""
    if name and kind == "signup":
        return f"“{name}”"
    return name or ""


class PersonRead(BaseModel):
    """One row of the roster: a member, an open invitation or a sign-up waiting for its
    confirmation (``kind``); ``id`` is that row's own id (a member id, an invitation id…)."""

    kind: Literal["member", "invitation", "signup"]
    id: uuid.UUID
    user_id: uuid.UUID | None
    name: str
    address: str
    user_type: Literal["internal", "client"]
    role: str
    products: list[str]
    status: Literal["pending", "active", "deactivated", "expired", "revoked"]
    invited_by: UserRead | None = Field(description="The person who invited them; null when no person did.")
    invited_by_label: str | None = Field(
        description="Who invited them, as User Management's Invited by says it: the person's name, else "
        'what made the invitation ("SCIM (Okta)", "BambooHR") or "Invite link"; null when none.'
    )
    created_at: datetime
    last_sent_at: datetime | None
    last_reminded_at: datetime | None = Field(
        description="An invitation's latest reminder since its last send; null: none, or not an invitation."
    )
    delivery: DeliveryRead | None

    @classmethod
    def of(cls, row: RosterRow) -> PersonRead:
        return cls(
            kind=row.kind,
            id=row.id,
            user_id=row.user_id,
            name=row.name,
            address=row.address,
            user_type=row.user_type,
            role=row.role,
            products=row.products,
            status=row.status,
            invited_by=UserRead(**row.inviter._asdict()) if row.inviter else None,
            invited_by_label=row.invited_by,
            created_at=row.created_at,
            last_sent_at=row.last_sent_at,
            last_reminded_at=row.last_reminded_at,
            delivery=DeliveryRead(**row.delivery) if row.delivery else None,
        )


class PeoplePage(BaseModel):
    """A page of the roster, newest first; ``total`` counts every row the filters match."""

    items: list[PersonRead]
    next_cursor: str | None
    total: int


class PersonDelivery(BaseModel):
    """One roster row's delivery: an invitation's newest message, a sign-up's newest confirmation
    email (as ``GET …/invitations/{id}`` and ``GET …/link/signups/{id}`` give it)."""

    kind: Literal["invitation", "signup"]
    id: uuid.UUID
    delivery: DeliveryRead


class PeopleDeliveries(BaseModel):
    """The delivery of each row asked for that the caller may see, in the order asked; a row
    unknown, of another portal or not theirs to see is left out (members have none)."""

    items: list[PersonDelivery]

    @classmethod
    def of(cls, rows: Iterable[RowDelivery]) -> PeopleDeliveries:
        return cls(
            items=[PersonDelivery(kind=r.kind, id=r.id, delivery=DeliveryRead(**r.delivery)) for r in rows]
        )
