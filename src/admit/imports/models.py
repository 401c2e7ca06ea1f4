from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock


class ImportStatus(StrEnum):
    """previewed (a draft waiting for Send), queued, running (a worker holds its lease), waiting
    (the portal's sending limit: goes on at resume_at), done, failed."""

    PREVIEWED = "previewed"
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"


PREVIEWED, QUEUED, RUNNING, WAITING, DONE, FAILED = tuple(ImportStatus)


class InvitationImport(Base):
    """A bulk invitation: an uploaded or pasted list, previewed, then processed by the worker.

    The list itself is kept in ``invitation_import_chunks``; ``processed_rows`` says how many of
    its records are done, written in the same transaction as their invitations, so a worker that
    dies mid-way is resumed by the next one with nothing lost and nothing doubled. An import that
    reaches the portal's sending limit is ``waiting`` until ``resume_at``, then goes on.
    """

    __tablename__ = "invitation_imports"
    __table_args__ = (
        Index("ix_invitation_imports_sha", "portal_id", "sha256"),
        Index("ix_invitation_imports_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(320))
    actor_role: Mapped[str] = mapped_column(String(16))
    # What made it when no person did (``Actor.named_as``: an HR sync on auto-pilot, "BambooHR"):
    # its invitations name it as their inviter. None otherwise.
    inviter_label: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    user_type: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    # Rows may carry their own role (the list's Role column), at most ``role``: the admin chose so.
    role_column: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    invited_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    preview: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ``waiting``: the portal's sending limit was reached; the import goes on from here.
    resume_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InvitationImportChunk(Base):
    """The uploaded list, stored in pieces so it can be read back as a stream."""

    __tablename__ = "invitation_import_chunks"

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invitation_imports.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


# A report row's code once its recipient was invited; any other code says why not. The rows not
# invited are read through a partial index: its condition and the queries' are this one text.
INVITED = "invited"
NOT_INVITED = f"code != '{INVITED}'"


class InvitationImportRow(Base):
    """What happened to one record of the list: invited, or skipped with a code (the report)."""

    __tablename__ = "invitation_import_rows"
    __table_args__ = (
        # The rows not invited, in the list's order: the finished page's first ones and the
        # report's ``outcome=skipped`` read them without walking the invited ones.
        Index(
            "ix_import_rows_skipped",
            "import_id",
            "row_number",
            "part",
            sqlite_where=text(NOT_INVITED),
            postgresql_where=text(NOT_INVITED),
        ),
    )

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invitation_imports.id", ondelete="CASCADE"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Several addresses on one line are one report row each: 0, 1, 2… along the line.
    part: Mapped[int] = mapped_column(Integer, primary_key=True, default=0, server_default="0")
    recipient: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    code: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    invitation_id: Mapped[uuid.UUID | None] = mapped_column()
