from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.invitations.models import Invitation
from admit.members.schemas import MemberRead, UserRead
from admit.notifications.models import Notification
from admit.notifications.service import delivery_status


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipients: list[str] = Field(min_length=1, max_length=1000)
    user_type: Literal["internal", "client"]
    role: Literal["owner", "admin", "member", "client"] | None = None
    products: list[str] | None = None
    message: str | None = Field(default=None, max_length=2000)


class DeliveryRead(BaseModel):
    status: Literal["none", "queued", "sent", "failed", "cancelled"]
    error: str | None
    at: datetime | None


class InvitationRead(BaseModel):
    id: uuid.UUID
    recipient: str
    recipient_name: str
    user_type: Literal["internal", "client"]
    role: str
    products: list[str]
    message: str
    status: Literal["pending", "accepted", "expired", "revoked"]
    expires_at: datetime
    invited_by: UserRead | None
    created_at: datetime
    last_sent_at: datetime | None
    send_count: int
    accepted_at: datetime | None
    revoked_at: datetime | None
    delivery_status: str
    delivery: DeliveryRead

    @classmethod
    def of(cls, inv: Invitation, notification: Notification | None) -> InvitationRead:
        delivery = delivery_status(notification)
        return cls(
            id=inv.id,
            recipient=inv.recipient,
            recipient_name=inv.recipient_name,
            user_type=inv.user_type,
            role=inv.role,
            products=list(inv.products or []),
            message=inv.message,
            status=inv.effective_status(),
            expires_at=inv.expires_at,
            invited_by=UserRead.model_validate(inv.invited_by) if inv.invited_by else None,
            created_at=inv.created_at,
            last_sent_at=inv.last_sent_at,
            send_count=inv.send_count,
            accepted_at=inv.accepted_at,
            revoked_at=inv.revoked_at,
            delivery_status=delivery["status"],
            delivery=DeliveryRead(**delivery),
        )


class SkippedRead(BaseModel):
    recipient: str
    code: Literal["invalid_recipient", "duplicate", "already_member", "already_invited", "not_allowed"]
    detail: str
    invitation_id: uuid.UUID | None = None


class InviteResultRead(BaseModel):
    invited: list[InvitationRead]
    skipped: list[SkippedRead]


class InvitationPage(BaseModel):
    items: list[InvitationRead]
    next_cursor: str | None


class InvitationPreviewRead(BaseModel):
    portal: dict
    inviter: str
    recipient: str
    recipient_name: str
    user_type: Literal["internal", "client"]
    role: str
    expires_at: datetime
    account_exists: bool
    password_required: bool
    workspace: str | None = None


class AcceptRequest(BaseModel):
    # Unknown fields (a role or user type, say) are ignored: they come from the invitation.
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=256)


class AcceptResponse(BaseModel):
    user: UserRead
    member: MemberRead
    portal: dict
    csrf_token: str
