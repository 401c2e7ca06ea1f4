from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User


class Contact(Base):
    """Someone a person (``owner``) keeps in their contacts: a client or an internal user.

    ``quiet`` contacts were added without any message; ``invitation_id`` is the portal invitation
    sent for them, if any (Add to Contacts, or Invite later). ``owner_id`` is NULL for contacts
    added through an API key with no person behind it. ``name`` is the name given here: a person's
    own name is only shown to portals they are in (users are shared between portals).
    """

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_portal_owner", "portal_id", "owner_id", "created_at"),
        UniqueConstraint("portal_id", "owner_id", "user_id", name="uq_contacts_portal_owner_user"),
        Index(
            "uq_contacts_portal_user_no_owner",
            "portal_id",
            "user_id",
            unique=True,
            sqlite_where=text("owner_id IS NULL"),
            postgresql_where=text("owner_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    quiet: Mapped[bool] = mapped_column(Boolean, default=False)
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
