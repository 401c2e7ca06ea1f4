from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, column, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admit.db import Base, UTCDateTime, new_id, trigram_indexes
from admit.kit import clock
from admit.kit.search import SearchIndex, listing, name_order
from admit.policy import ALL_PRODUCTS

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User
    from admit.portals.models import Portal


# Search on SQLite (``kit.search``): an FTS5 trigram copy of recipient_name and recipient
# (a phone number's digits are searched in the recipient too).
INVITATIONS_SEARCH = SearchIndex("invitations_search", "invitation_id", "invitations", phone="text")


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


PENDING, ACCEPTED, EXPIRED, REVOKED = (
    InvitationStatus.PENDING,
    InvitationStatus.ACCEPTED,
    InvitationStatus.EXPIRED,
    InvitationStatus.REVOKED,
)
# Open invitations: not accepted (an accepted one is a member now), as the statuses they may
# hold (a count that seeks in an index lists them: ``kit.pagination.seekable``).
OPEN = (PENDING, EXPIRED, REVOKED)
# Not answered and not revoked: what Resend (Reinvite), Revoke and a change of what it offers may
# still touch; an expired one too, as Reinvite brings it back (seed 004).
UNANSWERED = (PENDING, EXPIRED)
STATUSES = tuple(InvitationStatus)
MAX_MESSAGE = 2000  # an invitation's personal note, in characters


class Invitation(Base):
    """An offer to one recipient to join a portal.

    ``status`` in the table is pending/accepted/revoked/expired; a pending row whose
    ``expires_at`` has passed *is* expired (see ``effective_status``) even before the worker's
    sweep writes it down. At most one pending invitation per (portal, recipient): a partial
    unique index makes a double click or a retried request unable to invite twice.

    Its link's secret is a single-use token (``admit.tokens``, purpose ``invitation``); Resend
    issues a new one and every earlier one dies. A reminder issues one more beside the live one
    (both die together: accepted, revoked, resent, expired).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        Index(
            "uq_invitations_pending_recipient",
            "portal_id",
            "recipient",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_invitations_portal_created", "portal_id", "created_at"),
        Index("ix_invitations_portal_kind", "portal_id", "user_type", "status", "role", "expires_at"),
        # The product filter: per product, the invitations that give it, newest first, with
        # their status (an owner's or an admin's count of the open ones reads it alone).
        *(
            Index(
                f"ix_invitations_product_{product}",
                "portal_id",
                "created_at",
                "status",
                **listing(column("products"), product),
            )
            for product in ALL_PRODUCTS
        ),
        # The roster's orders and filters (``invitations.repository.roster_select``): each
        # order's index ends on id, so a first page reads a page of rows, however many match.
        # (the status order's, with the kind: a search on SQLite, which finds invitations by id
        # first, checks each one from the index alone)
        Index("ix_invitations_portal_status", "portal_id", "status", "id", "user_type", "expires_at"),
        Index("ix_invitations_portal_sent", "portal_id", text("coalesce(last_sent_at, created_at)")),
        Index("ix_invitations_portal_inviter", "portal_id", "invited_by_id", "status"),  # counted from it
        # The worker's reminder step: rows whose next reminder is due (``invitations.reminders``).
        Index(
            "ix_invitations_next_reminder",
            "next_reminder_at",
            sqlite_where=text("next_reminder_at IS NOT NULL"),
            postgresql_where=text("next_reminder_at IS NOT NULL"),
        ),
        # The inviters' daily digest reads a day of expiries; the expiry sweep, what has passed.
        Index("ix_invitations_expires", "expires_at"),
        *trigram_indexes(
            "invitations", name="lower(recipient_name)", recipient="lower(recipient)", digits="recipient"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    user_type: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    # Made by approving the recipient's request to join a workspace: every email of it says the
    # request was approved (``invitations.messages``), its page too.
    asked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who made it when no person did (``Actor.named_as``: "SCIM (Okta)"); None otherwise.
    inviter_label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # Reminders (``invitations.reminders``): when the next one is due (None: no more), how many
    # went out since the last send (Resend starts again at 0), and when the latest did.
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invited_by: Mapped[User | None] = relationship(lazy="joined")
    # Read with the invitation only where asked (a link opened: ``service.open_by_token``), and
    # then held by it, so that the session keeps it and ``portals.service.get`` asks nothing.
    # Never read on its own: ``portals.service`` is the way to a portal.
    portal: Mapped[Portal] = relationship(viewonly=True, lazy="raise_on_sql")

    @property
    def invited_by_label(self) -> str | None:
        """Who invited them, in words: the person, else what made it ("SCIM (Okta)",
        "BambooHR"); None when neither (the portal itself)."""
        if self.invited_by is not None:
            return self.invited_by.label
        return self.inviter_label

    def inviter_name(self, portal_name: str) -> str:
        """How messages name who invited them: ``invited_by_label``, else the portal."""
        return self.invited_by_label or portal_name

    def effective_status(self, now: datetime | None = None) -> InvitationStatus:
        if self.status == PENDING and self.expires_at <= (now or clock.now()):
            return InvitationStatus.EXPIRED
        return InvitationStatus(self.status)


# The roster's name order (``kit.search.name_order``, the expression its query sorts by, so that
# this index serves it), ending on id like the other orders' indexes.
Index(
    "ix_invitations_sort_name",
    Invitation.portal_id,
    name_order(Invitation.recipient_name, Invitation.recipient),
    Invitation.id,
)
