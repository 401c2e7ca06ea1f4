from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal, Protocol, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from admit.invitations.codes import AddSkipCode, ResendSkipCode, SkipCode
from admit.invitations.models import MAX_MESSAGE, Invitation
from admit.kit.apart import PartedModel
from admit.kit.json_body import JsonBody
from admit.members.schemas import MemberRead, UserRead
from admit.notifications.models import Delivered, delivery_status
from admit.notifications.schemas import DeliveryRead
from admit.portals.schemas import PortalRef


class InvitationCreate(PartedModel):
    """``POST …/invitations``: parsed apart (``kit.apart``), so that a value of the wrong type is
    said with the options' own faults (``options.check_options``)."""

    model_config = ConfigDict(extra="forbid")

    recipients: list[str] = Field(
        min_length=1,
        max_length=1000,
        description="Email addresses, phone numbers or `Name <address>`, usually one per element; an "
        "element may also hold several (split at commas, semicolons and new lines, as the Invite box "
        "splits a paste) or rows pasted from a spreadsheet (Name ⇥ Email). Every result says the "
        "element it came from (`index`); a blank element is a result of its own (`invalid_recipient`).",
    )
    user_type: Literal["internal", "client"] = Field(
        description="`internal`: a member of the company's own team (chooses a password); `client`: "
        "an outside person, who joins by the link (a password only if the portal asks for one)."
    )
    role: Literal["owner", "admin", "member", "client"] | None = Field(
        default=None,
        description="An internal user's role: `member` when left out; only an owner may invite an "
        "`owner`. A client's is always `client` (left out, or `client`).",
    )
    products: list[str] | None = Field(
        default=None,
        description="Products they are given on joining, each one the portal has enabled (Settings); "
        "none when left out.",
    )
    message: str | None = Field(
        default=None,
        max_length=MAX_MESSAGE,
        description="A personal note, shown in the invitation email and on the page its link opens.",
    )


class InvitationOfferChange(PartedModel):
    """``PATCH …/invitations/{id}``: what an open invitation offers, changed (left out:
    unchanged). Parsed apart (``kit.apart``), as ``MemberAccessChange``."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["owner", "admin", "member"] | None = Field(
        default=None,
        description="An internal user's invitation only: to or from `owner` only by an owner.",
    )
    products: list[str] | None = Field(
        default=None, description="Those the portal has enabled; `[]` gives none."
    )


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
    invited_by: UserRead | None = Field(description="The person who invited them; null when no person did.")
    invited_by_label: str | None = Field(
        description="Who invited them, as User Management's Invited by says it: the person's name, else "
        'what made the invitation ("SCIM (Okta)", "BambooHR"); null when neither.'
    )
    created_at: datetime
    last_sent_at: datetime | None
    send_count: int
    reminders_sent: int = Field(
        description="Reminders sent since the latest send (Resend starts again at 0)."
    )
    last_reminded_at: datetime | None
    next_reminder_at: datetime | None = Field(
        description="When the next reminder falls due; null: none to come (the portal's setting, or ended)."
    )
    accepted_at: datetime | None
    revoked_at: datetime | None
    delivery_status: str
    delivery: DeliveryRead

    @classmethod
    def of(cls, inv: Invitation, notification: Delivered | None = None) -> InvitationRead:
        """``notification``: its newest message (``notifications.service.latest_for_invitations``)."""
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
            invited_by_label=inv.invited_by_label,
            created_at=inv.created_at,
            last_sent_at=inv.last_sent_at,
            send_count=inv.send_count,
            reminders_sent=inv.reminders_sent,
            last_reminded_at=inv.last_reminded_at if inv.reminders_sent else None,
            next_reminder_at=inv.next_reminder_at,
            accepted_at=inv.accepted_at,
            revoked_at=inv.revoked_at,
            delivery_status=delivery["status"],
            delivery=DeliveryRead(**delivery),
        )


class RecipientResult(Protocol):
    """What happened to one recipient (``invitations.pipeline.RecipientResult``)."""

    @property
    def recipient(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def code(self) -> str | None: ...
    @property
    def detail(self) -> str: ...
    @property
    def invitation(self) -> Invitation | None: ...
    @property
    def index(self) -> int | None: ...
    @property
    def user_id(self) -> uuid.UUID | None: ...


class RecipientResultRead(BaseModel):
    """What happened to one recipient, the same on every endpoint that takes recipients.

    ``outcome``: ``invited`` (a new invitation; or, for a workspace or group, someone already
    invited to the portal who will land there), ``added`` (already in the portal: put in the
    workspace or group at once), ``resent`` (a workspace's Resend Invitation: their invitation
    sent again with a new link) or ``skipped`` (``code`` says why). ``invitation`` is the full
    invitation whenever one was made or already stands (and the caller may see it)."""

    recipient: str
    outcome: Literal["invited", "added", "resent", "skipped"]
    code: SkipCode | AddSkipCode | ResendSkipCode | None = Field(
        default=None,
        description="Why a `skipped` recipient was skipped (null otherwise): the invitation "
        "pipeline's reasons (`SkipCode`, on every endpoint) or, adding people to a workspace, team or "
        "client group, that flow's (`AddSkipCode`), or, resending on a workspace's team or group row, "
        "that flow's (`ResendSkipCode`).",
    )
    detail: str = ""
    invitation: InvitationRead | None = None
    user_id: uuid.UUID | None = None
    index: int | None = Field(
        default=None,
        description="`POST …/invitations`, `admit invite`: the position in `recipients` of the element "
        "this result came from (an element may hold several, split at commas, semicolons and new "
        "lines, or rows pasted from a spreadsheet; a blank one has a result of its own); the same for "
        "`recipients` given when adding people to a workspace, team or client group. Null for a "
        "person named by user id and for a team's or group's people.",
    )


class RecipientsCheck(JsonBody):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=512 * 1024)
    workspace_id: uuid.UUID | None = Field(
        default=None,
        description="The workspace the text invites to (its Invite panel): someone already in it is "
        "marked skip ``already_in_workspace``. Without it, the portal is what is checked.",
    )
    one: bool = Field(
        default=False,
        description="The text is one person's (a Contacts dialog's address): left empty, it is that "
        "person's address, refused as Send refuses it (\"Enter an email address or phone "
        'number."), where otherwise an empty text lists nobody.',
    )


class CheckedRecipientRead(BaseModel):
    text: str  # as typed
    name: str
    address: str | None  # the normalised email or E.164 number; null when it is not one
    shown: str | None = Field(
        default=None,
        description='``address`` as the pages show it (a number spaced: "+1 202-555-0173"; an '
        "internationalised domain in its own letters); null when it is not one.",
    )
    error: str | None
    suggestion: str | None  # a mistyped domain: the address meant ("ada@gmail.com")
    duplicate: bool  # listed before in the same text
    skip: SkipCode | AddSkipCode | None = Field(
        default=None,
        description="Send would skip this address, and why; null when it would not "
        "(``already_in_workspace`` only when ``workspace_id`` was given).",
    )
    detail: str | None = Field(
        default=None,
        description="Why Send would skip it, in words; with ``workspace_id``, for a text that is no "
        "address, what the workspace's Invite says of it left typed in its search box.",
    )
    sendable: bool = Field(
        default=False,
        description="Send would invite this recipient: an address, with no ``error``, not a "
        "``duplicate``, not skipped. What the Invite box counts on its Send Invitation.",
    )
    state: Literal["to_fix", "listed_twice", "skipped", "to_invite"] = Field(
        default="to_fix",
        description="Where the Invite box counts this recipient: ``to_fix`` (no address, or an "
        "``error``), ``listed_twice`` (a ``duplicate``), ``skipped`` (Send would skip it: ``skip``) "
        "or ``to_invite`` (``sendable``).",
    )
    colleague: bool = Field(
        default=False,
        description="The address looks like a colleague's of whoever asks: an email at the company domain "
        "of their own address, or of one of the portal's internal users' (never a personal mail "
        "service's, gmail.com). The workspace Invite panel offers Invite New Internal User for it.",
    )


class RecipientsChecked(BaseModel):
    items: list[CheckedRecipientRead]


OutcomeName: TypeAlias = Literal["invited", "added", "resent", "skipped"]
# The outcomes an answer counts: those of the invitation pipeline and the flows that add people;
# a resend counts its own (``RESENDING``).
ASKING: tuple[OutcomeName, ...] = ("invited", "added", "skipped")
RESENDING: tuple[OutcomeName, ...] = ("resent", "skipped")


class RecipientResults(BaseModel):
    """``results`` in the order asked (for ``POST …/invitations``, each with the ``index`` of its
    element of ``recipients``), and how many of each ``outcome`` (every one the endpoint can
    answer: ``invited``, ``added`` and ``skipped``; a resend's ``resent`` and ``skipped``)."""

    results: list[RecipientResultRead]
    counts: dict[OutcomeName, int]

    @classmethod
    def of(
        cls,
        results: Iterable[RecipientResult],
        deliveries: Mapping[uuid.UUID | None, Delivered],
        *,
        outcomes: tuple[OutcomeName, ...] = ASKING,
    ) -> RecipientResults:
        """``deliveries``: ``{invitation_id: Notification}`` (the newest message of each)."""
        items = [
            RecipientResultRead(
                recipient=r.recipient,
                outcome=str(r.outcome),
                code=r.code,
                detail=r.detail,
                invitation=InvitationRead.of(r.invitation, deliveries.get(r.invitation.id))
                if r.invitation is not None
                else None,
                user_id=r.user_id,
                index=r.index,
            )
            for r in results
        ]
        counts = {o: sum(1 for i in items if i.outcome == o) for o in outcomes}
        return cls(results=items, counts=counts)


class InvitationDeliveryRead(BaseModel):
    """One message of an invitation (``GET …/invitations/{id}/deliveries``)."""

    model_config = ConfigDict(from_attributes=True)

    kind: Literal["invitation", "resend", "reminder"] = Field(
        description="`invitation`: its first send; `resend`: a later one (Resend, Reinvite: a new link); "
        "`reminder`: a reminder the portal sent while it waited."
    )
    channel: Literal["email", "sms"]
    to: str = Field(description="The address or phone number it was written to.")
    status: Literal["queued", "sent", "failed", "cancelled", "bounced"] = Field(
        description="`queued`: waiting, or being sent; `cancelled`: never sent (a newer send, a revoke, "
        "or its link expired first)."
    )
    error: str | None = Field(
        description="Why it failed, bounced or was cancelled, or why its last try did not go (queued: "
        "being retried); null otherwise."
    )
    queued_at: datetime
    sent_at: datetime | None


class InvitationDeliveryPage(BaseModel):
    items: list[InvitationDeliveryRead]
    next_cursor: str | None


class InvitationPage(BaseModel):
    items: list[InvitationRead]
    next_cursor: str | None


class NewInvitationRequested(BaseModel):
    """A request for a new invitation, heard (``POST /invitations/{token}/request-new``)."""

    inviter: str = Field(description="Who was asked: whoever invited them (the portal when no person did).")
    sent: bool = Field(
        description="False: asked already in the last 24 hours, nothing sent again (once per invitation "
        "in 24 hours, from the last request's time)."
    )
    detail: str = Field(
        description='What the page says: "We\'ve asked Olive Owner to send you a new invitation."'
    )


class InvitationPreviewRead(BaseModel):
    portal: PortalRef
    inviter: str
    recipient: str
    recipient_name: str
    user_type: Literal["internal", "client"]
    role: str
    expires_at: datetime
    account_exists: bool = Field(
        description="The recipient's address has an account, with a password or not (a client who "
        "signs in by links has none)."
    )
    sign_in_required: bool = Field(
        description="The account has a password: sign in to it, then accept. An account without "
        "one accepts without signing in, choosing its first password when `password_required`."
    )
    password_required: bool
    workspace: str | None = None


class AcceptRequest(BaseModel):
    # Unknown fields (a role or user type, say) are ignored: they come from the invitation.
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(
        default=None,
        max_length=256,
        description="The account's first password, only when the preview says `password_required`; "
        "sent otherwise (a client of a portal that asks its clients for none, an account that has "
        "one) it is refused, 422 on `password`.",
    )


class AcceptResponse(BaseModel):
    user: UserRead
    member: MemberRead
    portal: PortalRef
    csrf_token: str
