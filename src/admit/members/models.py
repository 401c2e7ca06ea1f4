from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admit.db import Base, UTCDateTime, new_id, trigram_indexes
from admit.kit import clock
from admit.kit.search import SearchIndex, listing
from admit.kit.text import readable_phone
from admit.policy import ALL_PRODUCTS

# Search on SQLite (``kit.search``): an FTS5 trigram copy of users' name and email, and phone.
USERS_SEARCH = SearchIndex("users_search", "user_id", "users", phone="phone")


class User(Base):
    """A person, identified by a normalised email. May belong to several portals."""

    __tablename__ = "users"
    __table_args__ = (
        # Search by any part of a name, email or phone (``kit.search.contains``), PostgreSQL only.
        *trigram_indexes("users", name="lower(name)", email="lower(email)", phone="phone"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def address(self) -> str | None:
        """What reaches them: their email, or their phone number (E.164) if they have no email."""
        return self.email or self.phone

    @property
    def label(self) -> str:
        """How a person is named on screen: their name, else their address."""
        return User.label_of(self.name, self.email, self.phone, self.id)

    @property
    def shown(self) -> str:
        """How a person is named on every face that shows people (pages, the panel's messages):
        their name, else their address, a phone number made readable ("+1 202-555-0173")."""
        return self.name or readable_phone(self.label)

    @staticmethod
    def label_of(name: str | None, email: str | None, phone: str | None, user_id: uuid.UUID) -> str:
        """``label`` from a user's columns (a list that reads them as plain rows)."""
        return name or email or phone or str(user_id)

    def has_address(self, address: str | None) -> bool:
        """Whether ``address`` (a normalised email or E.164 number) is one of this person's: the
        one rule for "is this invitation (or link, or contact) for the one signed in"."""
        return address is not None and address in (self.email, self.phone)


# How a member came in (``Member.joined_via``, set by ``members.service.activate``): an invitation
# accepted, a sign-up through the portal's invite link confirmed, added quietly by a directory
# (an HR system, SCIM), or the owner who set the portal up. User Management names the link as
# who invited those who came in through it.
VIA_INVITATION = "invitation"
VIA_INVITE_LINK = "invite_link"
VIA_ADDED = "added"
VIA_SETUP = "setup"
JOINED_VIA = (VIA_INVITATION, VIA_INVITE_LINK, VIA_ADDED, VIA_SETUP)


class Member(Base):
    """A user in a portal: internal (owner/admin/member) or client."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("portal_id", "user_id", name="uq_members_portal_user"),
        # The roster: its newest-first page, a tab's (one type: User Management's internal tab
        # among many more clients read a page of rows, not ten), and its counts by type, status
        # and role.
        Index("ix_members_portal_created", "portal_id", "created_at"),
        Index("ix_members_portal_type_created", "portal_id", "user_type", "created_at", "id"),
        Index("ix_members_portal_kind", "portal_id", "user_type", "status", "role"),
        # The product filter: per product, the members who have it, newest first (its count and
        # first page read no other row; ``kit.search.lists`` is the condition).
        *(
            Index(
                f"ix_members_product_{product}",
                "portal_id",
                "created_at",
                **listing(column("products"), product),
            )
            for product in ALL_PRODUCTS
        ),
        # Its orders (each ending on id, so a first page reads a page of rows) and inviter filter.
        Index("ix_members_portal_sort_name", "portal_id", "sort_name", "id"),
        Index("ix_members_portal_status", "portal_id", "status", "id"),
        Index("ix_members_portal_inviter", "portal_id", "invited_by_id"),
        # A user's memberships; with the kind, so that a search on SQLite, which finds users
        # first, checks each one's membership from the index alone.
        Index("ix_members_user_id", "user_id", "portal_id", "user_type", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_type: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What made the invitation they joined by when no person did ("SCIM (Okta)", "BambooHR": the
    # invitation's ``inviter_label``); None otherwise.
    inviter_label: Mapped[str | None] = mapped_column(String(120))
    # One of JOINED_VIA: how they came in last (None: before it was kept, migration f4a5b6c70039).
    joined_via: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The roster's name order: the user's name, else their email, else their phone, lowercased.
    # Kept by the database (triggers of migration b4c5d6e70032: on adding a member and on any
    # change to their user's name, email or phone); never written here, and not loaded with a
    # member (deferred: on SQLite the trigger runs after the insert, so a session's copy is stale).
    sort_name: Mapped[str] = mapped_column(String(520), server_default="", deferred=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
