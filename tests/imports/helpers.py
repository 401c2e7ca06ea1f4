"""Shared by the import tests: drive imports.service as one actor, and count what got written."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from admit.audit.models import AuditEvent
from admit.imports import service as imports_service
from admit.imports.models import InvitationImport, InvitationImportChunk, InvitationImportRow
from admit.invitations.models import Invitation
from admit.notifications.models import Notification
from tests.factories import PortalFixture, actor_for

WRITTEN = {
    "invitations": Invitation,
    "notifications": Notification,
    "invitation_imports": InvitationImport,
    "invitation_import_chunks": InvitationImportChunk,
    "invitation_import_rows": InvitationImportRow,
    "audit_events": AuditEvent,
}


def table_counts(db) -> dict[str, int]:
    """Rows in every table an import may write."""
    with db.unit_of_work() as session:
        return {
            name: session.scalar(select(func.count()).select_from(model)) for name, model in WRITTEN.items()
        }


def csv_bytes(rows: list[str], end: str = "\r\n") -> bytes:
    return "".join(row + end for row in rows).encode("utf-8")


# A list with a bit of everything; each comment gives the row's number and what becomes of it.
FILES_ROWS = [
    "Email Address,First Name,Last Name",
    "ada@example.com,Ada,Lovelace",  # 2 invited
    "grace@example.com,Grace,Hopper",  # 3 invited
    "owner@acme.com,Olive,Owner",  # 4 already a member
    "ADA@example.com,Ada,Again",  # 5 duplicate
    "bob@gmial.com,Bob,=cmd|' /C calc'!A0",  # 6 invalid (typo), formula in the name
    "carol@example.con,Carol,+1",  # 7 invalid (typo)
]
FILE = csv_bytes(FILES_ROWS)


def preview(db, pf: PortalFixture, data: bytes, *, by: str | None = None, user_type="internal", **options):
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, by or pf.owner_email)
        return imports_service.preview(session, actor, chunks=[data], user_type=user_type, **options)


def create(
    db,
    pf: PortalFixture,
    data: bytes,
    *,
    by: str | None = None,
    user_type="internal",
    key: str | None = None,
    filename="people.csv",
    **options,
):
    """Store an import; returns ``(id, created)``."""
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, by or pf.owner_email)
        imp, created = imports_service.create(
            session,
            actor,
            chunks=[data],
            filename=filename,
            user_type=user_type,
            idempotency_key=key,
            **options,
        )
        return imp.id, created


def get(db, import_id) -> InvitationImport:
    with db.unit_of_work() as session:
        return session.get(InvitationImport, import_id)


def report_rows(db, import_id) -> list[tuple[int, str, str | None]]:
    """The stored per-row report as ``(row, code, email)``, in row order."""
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(InvitationImportRow)
            .where(InvitationImportRow.import_id == import_id)
            .order_by(InvitationImportRow.row_number, InvitationImportRow.part)
        ).all()
        return [(r.row_number, r.code, r.email) for r in rows]


def report_csv(db, pf: PortalFixture, import_id, *, by: str | None = None) -> list[list[str]]:
    """The downloadable report, parsed back into rows of cells."""
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, by or pf.owner_email)
        text = "".join(imports_service.report_csv(session, actor, import_id))
    return list(csv.reader(io.StringIO(text)))


def pending_recipients(db) -> list[str]:
    with db.unit_of_work() as session:
        return sorted(
            session.scalars(select(Invitation.recipient).where(Invitation.status == "pending")).all()
        )
