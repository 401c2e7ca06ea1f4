"""SCIM 2.0 provisioning (issue 12 item 5): the tokens a directory (Okta, Entra ID…) uses, and
what it provisioned.

A ``ScimUser`` is what the directory says about one person: its ``userName``, ``externalId``
and the whole resource it sent (``resource``, kept to answer it back). It is *not* a member: the
person is invited through the one invitation pipeline and becomes a member when they accept
(``flows.scim``). Deleting one keeps the row (``deleted_at``), as deleting never removes data.

A ``ScimGroup`` is an internal team (``teams``) seen through SCIM; its members are the SCIM users
the directory put in it (``ScimGroupMember``), mirrored onto the team.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from admit.db import Base, UTCDateTime, new_id
from admit.kit import clock


class ScimToken(Base):
    """A portal's SCIM bearer token: only its hash is stored; revoked, it stops at once."""

    __tablename__ = "scim_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScimUser(Base):
    __tablename__ = "scim_users"
    __table_args__ = (
        # One live userName per portal, compared without case (RFC 7643 §4.1.1: caseExact false).
        Index(
            "uq_scim_users_portal_user_name",
            "portal_id",
            "user_name_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_scim_users_portal_external_id", "portal_id", "external_id"),
        Index("ix_scim_users_portal_address", "portal_id", "address"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    user_name: Mapped[str] = mapped_column(String(320))
    user_name_key: Mapped[str] = mapped_column(String(320))
    external_id: Mapped[str | None] = mapped_column(String(320))
    # The normalised email the person is invited at (their work email, else the userName).
    address: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The connection that provisioned or took over the person, as words name it ("SCIM (Okta)",
    # ``actor.scim_words``): what a refused reactivation names. "" before migration f6a7b8c90057.
    directory: Mapped[str] = mapped_column(String(120), default="", server_default="")
    resource: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScimGroup(Base):
    __tablename__ = "scim_groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(320))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScimGroupMember(Base):
    __tablename__ = "scim_group_members"
    __table_args__ = (UniqueConstraint("group_id", "scim_user_id", name="uq_scim_group_members"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scim_groups.id", ondelete="CASCADE"), index=True)
    scim_user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scim_users.id", ondelete="CASCADE"), index=True
    )
    # How the directory named the member in the group (``members[].display``), answered back.
    display: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


# ---- HR systems (issue 12 items 1–4) ---------------------------------------------------------


class HrConnection(Base):
    """A portal's link to an HR system: which system, its key (sealed, ``kit.secretbox``; only
    its last four characters are ever shown), what new hires get, and auto-pilot's schedule.

    ``status``: ``ok``; ``failing`` (the last run could not read the list: ``last_error``);
    ``waiting`` (a run would deactivate more than ``deactivate_limit_pct`` of the portal and
    waits for an admin)."""

    __tablename__ = "hr_connections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(200), default="")
    base_url: Mapped[str] = mapped_column(String(500), default="")
    api_key_sealed: Mapped[str] = mapped_column(Text)
    api_key_hint: Mapped[str] = mapped_column(String(8))
    fields_granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    schedule: Mapped[str] = mapped_column(String(16), default="off")  # off | hourly | daily
    new_hires: Mapped[str] = mapped_column(String(16), default="invite")  # invite | quiet
    user_type: Mapped[str] = mapped_column(String(16), default="internal")
    role: Mapped[str] = mapped_column(String(16), default="member")
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    map_departments: Mapped[bool] = mapped_column(Boolean, default=False)
    # Link people a sync finds already in the portal (a member, an invitee) to this connection,
    # so it deactivates them when they leave the list; off, it only deactivates whom it brought.
    manage_existing: Mapped[bool] = mapped_column(Boolean, default=False)
    allowed_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    deactivate_limit_pct: Mapped[int] = mapped_column(Integer, default=10)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class HrEmployee(Base):
    """The list as the last applied sync saw it, one row per employee (by the system's own id):
    what the next sync compares with. Written only when something about the person changed.

    ``managed``: the connection manages this person — a sync of it invited them (or added them
    quietly), or linked them when it found them already in the portal (``manage_existing``).
    Only a managed person is deactivated (or their invitation revoked) when they leave the
    list: someone who joined another way is never, whatever the list says."""

    __tablename__ = "hr_employees"
    __table_args__ = (UniqueConstraint("connection_id", "external_id", name="uq_hr_employees_external_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hr_connections.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(320), default="")  # the normalised work email
    name: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # The department last mapped to an internal team (map_departments): mapped again only when
    # it changes, so a person an admin took out of a team stays out.
    team: Mapped[str] = mapped_column(String(200), default="")
    managed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class HrSyncRun(Base):
    """One preview-and-apply of a connection: queued (by an admin, or by auto-pilot's schedule),
    running (a worker holds it until ``lease_until``), then ``done``, ``failed`` (the list could not
    be read after its attempts: nothing was applied), or ``waiting`` (too many deactivations:
    an admin confirms). The invitations it makes are an import (``import_id``): its progress
    and report are the import's."""

    __tablename__ = "hr_sync_runs"
    __table_args__ = (Index("ix_hr_sync_runs_due", "status", "not_before"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hr_connections.id", ondelete="CASCADE"), index=True
    )
    portal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))  # manual | schedule
    started_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The external ids an admin ticked in the preview (None: apply the whole plan).
    selection: Mapped[list[str] | None] = mapped_column(JSON)
    # Deactivate even past the connection's limit (an admin confirmed).
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the selection's new people get, chosen with it (user_type, role, products); None:
    # the connection's.
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # What changed and what was skipped, employee by employee (unchanged people are counted only).
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitation_imports.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
