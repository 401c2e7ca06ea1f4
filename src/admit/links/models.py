from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock
from admit.notifications.models import Notification


# Sign-up statuses. A pending sign-up whose expires_at has passed is expired (computed).
class SignupStatus(StrEnum):
    """A link sign-up: pending (waiting for its confirmation; past ``expires_at`` it is
    expired), confirmed, superseded by a newer sign-up of the same address, or removed by the
    portal's owners or admins before it was confirmed."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    SUPERSEDED = "superseded"
    REMOVED = "removed"


PENDING, CONFIRMED, SUPERSEDED, REMOVED = (
    SignupStatus.PENDING,
    SignupStatus.CONFIRMED,
    SignupStatus.SUPERSEDED,
    SignupStatus.REMOVED,
)
SIGNUP_STATUSES = (PENDING, CONFIRMED, SUPERSEDED, REMOVED)


class InviteLink(Base):
    """The shareable link of a portal (``workspace_id`` NULL) or of one workspace.

    One row per portal and per workspace, for good: Refresh replaces the secret (``token_nonce``
    and ``token_hash``), so the previous URL matches nothing from that moment. The URL's token
    is never stored; see ``links.service`` for how it is derived and why.
    """

    __tablename__ = "invite_links"
    __table_args__ = (
        Index(
            "uq_invite_links_portal",
            "portal_id",
            unique=True,
            sqlite_where=text("workspace_id IS NULL"),
            postgresql_where=text("workspace_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_nonce: Mapped[str] = mapped_column(String(64))
    user_type: Mapped[str] = mapped_column(String(16), default="internal")
    role: Mapped[str] = mapped_column(String(16), default="member")
    lifetime_seconds: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    allowed_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What joining through it gives (a portal link's): products enabled in the portal, as an
    # invitation's are; those turned off in the portal since are not given.
    products: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    max_uses: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def kind(self) -> str:
        return "portal" if self.workspace_id is None else "workspace"


class LinkSignup(Base):
    """Someone signed up through a portal link and was sent a confirmation email.

    It holds one of the link's ``max_uses`` slots while pending (until ``expires_at``) and for
    good once confirmed (a Refresh gives it back only while it is pending).
    ``link_token_hash`` is the link's secret at sign-up: after a Refresh it no longer matches,
    so a pending sign-up neither counts nor can be confirmed. The password
    (when one was asked for) is kept hashed only until confirmation. Its confirmation link is a
    single-use token (``admit.tokens``, purpose ``link_signup``).
    """

    __tablename__ = "link_signups"
    __table_args__ = (
        Index("ix_link_signups_link", "link_id", "link_token_hash", "status"),
        Index("ix_link_signups_portal_created", "portal_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invite_links.id", ondelete="CASCADE"))
    link_token_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    user_type: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    outcome: Mapped[str | None] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # When its newest confirmation email was asked for: at sign-up, then at each Resend.
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # That email (its delivery shows in User Management); None when none was written (the
    # per-person limit held it back).
    confirmation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL")
    )
    confirmation: Mapped[Notification | None] = relationship()
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    ip: Mapped[str | None] = mapped_column(String(64))

    # The link it was made through (read for ``shown_status``; lists load it with the rows).
    link: Mapped[InviteLink] = relationship(viewonly=True)

    def effective_status(self, now: datetime | None = None) -> str:
        if self.status == PENDING and self.expires_at <= (now or clock.now()):
            return "expired"
        return self.status

    def shown_status(self, now: datetime | None = None) -> str:
        """The status a list shows: a pending sign-up the link's Refresh left behind can no
        longer be confirmed, and reads as expired (``links.service.waiting`` is the rule that
        counts and lists the ones still waiting)."""
        status = self.effective_status(now)
        if status == PENDING and self.link.token_hash != self.link_token_hash:
            return "expired"
        return status
