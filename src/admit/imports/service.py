"""Bulk invitations: preview a list, store it, process it in the background, report per row.

The steps, each its own function:

- ``preview``: read a list and say what would happen to every row (counts and first rows per
  outcome). Writes nothing.
- ``create``: store the list (``invitation_import_chunks``) and the options, after checking
  permissions, options and the file itself (size, rows, text). ``start=False`` keeps it as a
  draft with its preview until ``confirm``; otherwise it is queued for the worker.
- ``run``: the worker's job. Reads the stored list again, skips rows already done, and for each
  batch of rows writes invitations, their emails (notification rows) and the per-row report in
  one transaction together with the new ``processed_rows``. A crash loses at most the batch in
  flight, which the next run does again; the partial unique index on pending invitations makes a
  repeat impossible.

Rows get the same treatment as single invitations: ``invitations.service.check_options`` and
``classify`` decide, with the same reason codes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from sqlalchemy import and_, delete, insert, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import Database, new_id
from admit.errors import Conflict, NotFound
from admit.imports.models import (
    DONE,
    FAILED,
    PREVIEWED,
    QUEUED,
    RUNNING,
    InvitationImport,
    InvitationImportChunk,
    InvitationImportRow,
)
from admit.imports.parsing import Row, read_rows, size_text
from admit.invitations import service as invitations_service
from admit.invitations.models import PENDING, Invitation
from admit.invitations.service import InviteOptions, Skipped
from admit.kit import clock
from admit.kit.bulk import insert_rows, new_ids, new_tokens
from admit.kit.tokens import hash_token
from admit.members.addresses import ParsedRecipient, looks_like_phone, normalize_email, normalize_phone
from admit.members.models import User
from admit.notifications import service as notifications_service
from admit.policy import INTERNAL_ROLES, Role, UserType
from admit.portals.models import Portal

__all__ = ["confirm", "create", "get_or_raise", "preview", "report_csv", "run", "run_due"]

log = logging.getLogger("admit.imports")

CHUNK_BYTES = 1024 * 1024
BATCH_ROWS = 10000  # rows per transaction of an import
PREVIEW_BATCH_ROWS = 5000  # a preview holds no transaction; smaller batches, less memory
SAMPLE_ROWS = 5
LEASE = timedelta(minutes=2)
SAME_FILE_WINDOW = timedelta(days=1)
# kit.bulk writes through the driver itself, whose errors SQLAlchemy does not wrap.
_INTEGRITY_ERRORS = (IntegrityError, sqlite3.IntegrityError, psycopg.IntegrityError)
WILL_INVITE = "will_invite"
INVITED = "invited"
OUTCOMES = (WILL_INVITE, "already_member", "already_invited", "duplicate", "invalid_recipient", "not_allowed")


class SeenAddresses:
    """The addresses met so far in one list, kept as 8-byte digests instead of strings.

    A million-row list remembers every address to report later duplicates; digests take about
    half the memory. Two different addresses sharing a 64-bit digest is a ~1e-8 chance in a
    million-row file, and would only report one of them as a duplicate.
    """

    __slots__ = ("_digests",)

    def __init__(self, addresses=()) -> None:
        self._digests: set[int] = {self._key(a) for a in addresses}

    @staticmethod
    def _key(address: str) -> int:
        return int.from_bytes(hashlib.blake2b(address.encode(), digest_size=8).digest(), "big")

    def __contains__(self, address: str) -> bool:
        return self._key(address) in self._digests

    def add(self, address: str) -> None:
        self._digests.add(self._key(address))

    def forget(self, addresses) -> None:
        self._digests.difference_update(self._key(a) for a in addresses)

    def __len__(self) -> int:
        return len(self._digests)


@dataclass(slots=True)
class Outcome:
    row: Row
    email: str | None
    role: Role
    skip: Skipped | None


def _row_role(actor_role, options: InviteOptions, row: Row) -> tuple[Role, Skipped | None]:
    """A ``role`` column may give a row its own role, within what the actor may grant."""
    raw_role = row.role.strip().lower()
    if not raw_role or raw_role == options.role:
        return options.role, None
    if options.user_type == UserType.CLIENT:
        return options.role, Skipped(row.raw, "not_allowed", "Clients always have the client role.")
    if raw_role not in tuple(INTERNAL_ROLES):
        return options.role, Skipped(
            row.raw, "invalid_recipient", f"“{row.role}” is not a role: use owner, admin or member."
        )
    reason = policy.check_grant_role(actor_role, raw_role)
    if reason:
        return options.role, Skipped(row.raw, "not_allowed", reason)
    return Role(raw_role), None


def _evaluate(
    session: Session,
    actor_role,
    portal: Portal,
    options: InviteOptions,
    rows: list[Row],
    seen: SeenAddresses,
    *,
    now,
    replace_expired: bool,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    parsed: list[ParsedRecipient] = []
    waiting: list[int] = []
    for row in rows:
        role, skip = _row_role(actor_role, options, row)
        # A phone number: in the phone column when there is no email, or alone on its line.
        phone_text = row.phone if not row.address else row.address if looks_like_phone(row.address) else ""
        if skip is None and phone_text:
            phone, error = normalize_phone(phone_text)
            parsed.append(
                ParsedRecipient(
                    raw=row.raw or phone_text, email=None, name=row.name, error=error, phone=phone
                )
            )
            waiting.append(len(outcomes))
            outcomes.append(Outcome(row=row, email=phone, role=role, skip=None))
            continue
        if skip is None and not row.address:
            skip = Skipped(row.raw, "invalid_recipient", "The row has no email address or phone number.")
        email = None
        if skip is None:
            email, error = normalize_email(row.address)
            parsed.append(
                ParsedRecipient(raw=row.raw or row.address, email=email, name=row.name, error=error)
            )
            waiting.append(len(outcomes))
        outcomes.append(Outcome(row=row, email=email, role=role, skip=skip))
    decided = invitations_service.classify(
        session, portal, parsed, seen, now=now, replace_expired=replace_expired
    )
    for index, skip in zip(waiting, decided, strict=True):
        outcomes[index].skip = skip
    return outcomes


def _batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _limits(source: Session | Database) -> tuple[int, int]:
    s = source.context.settings if isinstance(source, Database) else context.of(source).settings
    return s.import_max_bytes, s.import_max_rows


def preview(
    session: Session,
    actor: Actor,
    *,
    chunks: Iterable[bytes],
    user_type: str,
    role: str | None = None,
    products: list[str] | None = None,
    message: str | None = None,
) -> dict:
    """What importing this list would do: counts per outcome and the first rows of each. Writes nothing."""
    options = invitations_service.check_options(
        actor, user_type=user_type, role=role, products=products, message=message
    )
    return _preview(session, actor.role, actor.portal, options, chunks)


def _preview(session: Session, actor_role, portal: Portal, options: InviteOptions, chunks) -> dict:
    max_bytes, max_rows = _limits(session)
    counts: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    samples: dict[str, list[dict]] = {code: [] for code in OUTCOMES}
    seen = SeenAddresses()
    now = clock.now()
    total = 0
    for batch in _batched(read_rows(chunks, max_bytes=max_bytes, max_rows=max_rows), PREVIEW_BATCH_ROWS):
        total += len(batch)
        for o in _evaluate(session, actor_role, portal, options, batch, seen, now=now, replace_expired=False):
            code = WILL_INVITE if o.skip is None else o.skip.code
            counts[code] += 1
            if o.skip is None:
                roles[str(o.role)] += 1
            if len(samples[code]) < SAMPLE_ROWS:
                samples[code].append(
                    {
                        "row": o.row.number,
                        "recipient": o.row.raw or o.row.address,
                        "email": o.email,
                        "detail": o.skip.detail if o.skip else "",
                    }
                )
    return {
        "total": total,
        "counts": {code: counts.get(code, 0) for code in OUTCOMES},
        "samples": samples,
        # A ``role`` column can give rows other roles than the one chosen: say so before sending.
        "roles": dict(roles),
    }


def _read(source: Session | Database, fetch):
    """Run ``fetch(session)`` in the given session, or, given a ``Database``, in a short
    transaction of its own (long reads must not hold one open: on SQLite it holds the write lock)."""
    if isinstance(source, Database):
        with source.unit_of_work() as session:
            return fetch(session)
    return fetch(source)


def _stored_chunks(source: Session | Database, import_id) -> Iterator[bytes]:
    """The stored list, chunk by chunk, a few chunks at a time (never whole).

    Given a ``Database`` each fetch is its own short transaction, so a long import never holds
    a read transaction (on SQLite, any transaction holds the write lock) while it writes.
    """
    seq = 0
    while True:
        query = (
            select(InvitationImportChunk.seq, InvitationImportChunk.data)
            .where(InvitationImportChunk.import_id == import_id, InvitationImportChunk.seq >= seq)
            .order_by(InvitationImportChunk.seq)
            .limit(8)
        )
        rows = _read(source, lambda session, q=query: session.execute(q).all())
        if not rows:
            return
        for number, data in rows:
            yield data
            seq = number + 1


def _store(session: Session, import_id, chunks: Iterable[bytes], max_bytes: int) -> tuple[int, str]:
    """Store the upload in 1 MB pieces while hashing it; refuse it once over ``max_bytes``."""
    from admit.errors import InvalidInput

    digest = hashlib.sha256()
    size = 0
    seq = 0
    pending = b""

    def flush(data: bytes) -> None:
        nonlocal seq
        session.execute(insert(InvitationImportChunk), [{"import_id": import_id, "seq": seq, "data": data}])
        seq += 1

    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise InvalidInput(f"The file is larger than the limit of {size_text(max_bytes)}.", field="file")
        digest.update(chunk)
        pending += chunk
        while len(pending) >= CHUNK_BYTES:
            flush(pending[:CHUNK_BYTES])
            pending = pending[CHUNK_BYTES:]
    if pending:
        flush(pending)
    return size, digest.hexdigest()


def create(
    session: Session,
    actor: Actor,
    *,
    chunks: Iterable[bytes],
    filename: str = "",
    user_type: str,
    role: str | None = None,
    products: list[str] | None = None,
    message: str | None = None,
    idempotency_key: str | None = None,
    start: bool = True,
) -> tuple[InvitationImport, bool]:
    """Store a list for import; returns ``(import, created)``.

    The same ``idempotency_key``, or the same file with the same options within a day, returns
    the earlier import (``created`` is False) instead of inviting anyone twice. With
    ``start=False`` the import waits, with its preview, for ``confirm``.
    """
    options = invitations_service.check_options(
        actor, user_type=user_type, role=role, products=products, message=message
    )
    portal = actor.portal
    by_key = select(InvitationImport).where(
        InvitationImport.portal_id == portal.id, InvitationImport.idempotency_key == idempotency_key
    )
    if idempotency_key:
        existing = session.scalar(by_key)
        if existing is not None:
            return existing, False
    max_bytes, max_rows = _limits(session)
    imp = InvitationImport(
        id=new_id(),
        portal_id=portal.id,
        created_by_id=actor.user_id,
        actor_label=actor.label,
        actor_role=str(actor.role),
        status=PREVIEWED if not start else QUEUED,
        user_type=options.user_type,
        role=str(options.role),
        products=options.products,
        message=options.message,
        filename=(filename or "")[:255],
        sha256="",
        idempotency_key=idempotency_key,
        skipped={},
    )
    try:
        with session.begin_nested():
            session.add(imp)
            session.flush()
    except IntegrityError:
        # The same key in a request that committed first (a double click): that one is ours.
        existing = session.scalar(by_key) if idempotency_key else None
        if existing is None:
            raise
        return existing, False
    imp.size_bytes, imp.sha256 = _store(session, imp.id, chunks, max_bytes)
    earlier = session.scalar(
        select(InvitationImport)
        .where(
            InvitationImport.portal_id == portal.id,
            InvitationImport.sha256 == imp.sha256,
            InvitationImport.id != imp.id,
            InvitationImport.status.in_((QUEUED, RUNNING, DONE)),
            InvitationImport.created_at > clock.now() - SAME_FILE_WINDOW,
            InvitationImport.user_type == imp.user_type,
            InvitationImport.role == imp.role,
        )
        .order_by(InvitationImport.created_at.desc())
        .limit(1)
    )
    if earlier is not None and start:
        session.execute(delete(InvitationImport).where(InvitationImport.id == imp.id))
        session.expunge(imp)
        return earlier, False
    if start:
        # Reading it through once refuses a bad file (not text, too many rows) before any work.
        imp.total_rows = sum(1 for _ in read_rows(_stored_chunks(session, imp.id), max_rows=max_rows))
    else:
        imp.preview = _preview(session, actor.role, portal, options, _stored_chunks(session, imp.id))
        imp.total_rows = imp.preview["total"]
    audit_service.record(
        session,
        actor,
        "invitation_import.created",
        target_type="invitation_import",
        target_id=imp.id,
        target_label=imp.filename or "pasted list",
        detail={"rows": imp.total_rows, "user_type": imp.user_type, "role": imp.role, "started": start},
    )
    session.flush()
    return imp, True


def get_or_raise(session: Session, actor: Actor, import_id) -> InvitationImport:
    policy.require(actor.role, policy.Action.INVITATION_VIEW)
    imp = session.get(InvitationImport, import_id)
    if imp is None or imp.portal_id != actor.portal.id:
        raise NotFound("No such import in this portal.", code="import_not_found")
    if actor.role == Role.MEMBER and imp.user_type != UserType.CLIENT:
        raise NotFound("No such import in this portal.", code="import_not_found")
    return imp


def confirm(session: Session, actor: Actor, import_id) -> InvitationImport:
    """Start a previewed import (the admin's "Send invitations")."""
    imp = get_or_raise(session, actor, import_id)
    policy.require(actor.role, policy.invite_action(imp.user_type))
    if imp.status != PREVIEWED:
        if imp.status in (QUEUED, RUNNING, DONE):
            return imp  # a double click: already on its way
        raise Conflict(f"This import is {imp.status}.", code="import_not_previewed")
    imp.status = QUEUED
    audit_service.record(
        session,
        actor,
        "invitation_import.confirmed",
        target_type="invitation_import",
        target_id=imp.id,
        target_label=imp.filename or "pasted list",
        detail={"rows": imp.total_rows},
    )
    session.flush()
    return imp


def claim(db: Database, import_id=None):
    """Take a queued import (or one whose worker died) for this process; ``(id, lease)`` or None."""
    now = clock.now()
    with db.unit_of_work() as session:
        query = select(InvitationImport).where(
            or_(
                InvitationImport.status == QUEUED,
                and_(InvitationImport.status == RUNNING, InvitationImport.lease_until < now),
            )
        )
        if import_id is not None:
            query = query.where(InvitationImport.id == import_id)
        query = query.order_by(InvitationImport.created_at).limit(1)
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        imp = session.scalar(query)
        if imp is None:
            return None
        imp.status = RUNNING
        imp.lease_until = now + LEASE
        imp.started_at = imp.started_at or now
        return imp.id, imp.lease_until


class LeaseLost(Exception):
    """Another worker took over this import (ours ran out)."""


def run(
    db: Database, import_id, lease, *, on_progress: Callable[[InvitationImport], None] | None = None
) -> dict:
    """Process a claimed import to the end; returns its final counts. Safe to run again after a crash."""
    _max_bytes, max_rows = _limits(db)
    with db.unit_of_work() as session:
        imp = session.get(InvitationImport, import_id)
        portal = session.get(Portal, imp.portal_id)
        inviter = session.get(User, imp.created_by_id) if imp.created_by_id else None
        options = InviteOptions(
            user_type=imp.user_type, role=Role(imp.role), products=list(imp.products), message=imp.message
        )
        actor_role = imp.actor_role
        done_rows = imp.processed_rows
        # Addresses met in rows already done (a resumed run must still see their duplicates).
        seen = SeenAddresses(
            session.scalars(
                select(InvitationImportRow.email).where(
                    InvitationImportRow.import_id == import_id, InvitationImportRow.email.is_not(None)
                )
            )
        )
        session.expunge_all()
    sender = (inviter.name or inviter.email) if inviter else portal.name
    inviter_id = inviter.id if inviter else None
    rows = itertools.islice(read_rows(_stored_chunks(db, import_id), max_rows=max_rows), done_rows, None)
    for batch in _batched(rows, BATCH_ROWS):
        for attempt in range(3):
            added: list[str] = []
            try:
                lease = _write_batch(
                    db, import_id, lease, portal, options, actor_role, batch, seen, added, sender, inviter_id
                )
                break
            except _INTEGRITY_ERRORS:
                # An address was invited elsewhere between our check and our insert: do the
                # batch again, with fresh answers.
                seen.forget(added)
                if attempt == 2:
                    raise
        if on_progress is not None:
            with db.unit_of_work() as session:
                on_progress(session.get(InvitationImport, import_id))
    return _finish(db, import_id, lease)


def _write_batch(db, import_id, lease, portal, options, actor_role, batch, seen, added, sender, inviter_id):
    now = clock.now()
    with db.unit_of_work() as session:
        imp = session.get(InvitationImport, import_id)
        if imp.lease_until != lease or imp.status != RUNNING:
            raise LeaseLost(str(import_id))
        outcomes = _evaluate(session, actor_role, portal, options, batch, seen, now=now, replace_expired=True)
        # What this batch added to ``seen`` (taken back if the batch has to be done again).
        added.extend(o.email for o in outcomes if o.email and not (o.skip and o.skip.code == "duplicate"))
        session.flush()
        expires_at = now + timedelta(seconds=portal.invitation_ttl_seconds)
        invitations, emails, report = [], [], []
        skipped: Counter[str] = Counter(imp.skipped or {})
        fresh = sum(1 for o in outcomes if o.skip is None)
        ids, tokens = iter(new_ids(fresh)), iter(new_tokens(fresh))
        for o in outcomes:
            row = o.row
            if o.skip is None:
                token = next(tokens)
                invitation_id = next(ids)
                invitations.append(
                    {
                        "id": invitation_id,
                        "portal_id": portal.id,
                        "recipient": o.email,
                        "recipient_name": row.name,
                        "user_type": options.user_type,
                        "role": str(o.role),
                        "products": options.products,
                        "message": options.message,
                        "status": PENDING,
                        "token_hash": hash_token(token),
                        "expires_at": expires_at,
                        "invited_by_id": inviter_id,
                        "created_at": now,
                        "last_sent_at": now,
                        "send_count": 1,
                    }
                )
                emails.append(
                    {
                        "event_key": f"invitation:{invitation_id}:send:1",
                        "template": "invitation",
                        "to": o.email,
                        "portal_id": portal.id,
                        "invitation_id": invitation_id,
                        "context": invitations_service.email_context(
                            public_url=context.of(session).settings.public_url,
                            portal=portal,
                            recipient=o.email,
                            recipient_name=row.name,
                            options=options,
                            role=str(o.role),
                            token=token,
                            expires_at=expires_at,
                            inviter_name=sender,
                        ),
                    }
                )
                report.append(
                    {
                        "import_id": import_id,
                        "row_number": row.number,
                        "recipient": row.raw or row.address,
                        "email": o.email,
                        "name": row.name,
                        "code": INVITED,
                        "detail": "",
                        "invitation_id": invitation_id,
                    }
                )
            else:
                skipped[o.skip.code] += 1
                report.append(
                    {
                        "import_id": import_id,
                        "row_number": row.number,
                        "recipient": row.raw or row.address,
                        "email": o.email,
                        "name": row.name,
                        "code": o.skip.code,
                        "detail": o.skip.detail,
                        "invitation_id": o.skip.invitation_id,
                    }
                )
        if invitations:
            insert_rows(session, Invitation.__table__, invitations)
            notifications_service.enqueue_emails(session, emails)
        insert_rows(session, InvitationImportRow.__table__, report)
        imp.processed_rows += len(batch)
        imp.invited_count += len(invitations)
        imp.skipped = dict(skipped)
        imp.lease_until = clock.now() + LEASE
        return imp.lease_until


def _finish(db: Database, import_id, lease) -> dict:
    with db.unit_of_work() as session:
        imp = session.get(InvitationImport, import_id)
        if imp.lease_until != lease:
            raise LeaseLost(str(import_id))
        imp.status = DONE
        imp.finished_at = clock.now()
        imp.lease_until = None
        portal = session.get(Portal, imp.portal_id)
        actor = Actor(portal=portal, role=Role(imp.actor_role), ip=None)
        audit_service.record(
            session,
            actor,
            "invitation_import.completed",
            target_type="invitation_import",
            target_id=imp.id,
            target_label=imp.filename or "pasted list",
            detail={"rows": imp.processed_rows, "invited": imp.invited_count, "skipped": imp.skipped},
        )
        return status_of(imp)


def run_due(db: Database) -> dict | None:
    """The worker's step: process the oldest queued import (or resume one whose worker died)."""
    claimed = claim(db)
    if claimed is None:
        return None
    import_id, lease = claimed
    try:
        return run(db, import_id, lease)
    except LeaseLost:
        log.warning("imports.lease_lost id=%s", import_id)
        return None
    except Exception as exc:  # noqa: BLE001 - recorded on the import, visible to the admin
        log.exception("imports.failed id=%s", import_id)
        with db.unit_of_work() as session:
            imp = session.get(InvitationImport, import_id)
            imp.status = FAILED
            imp.error = f"{type(exc).__name__}: {exc}"[:1000]
            imp.lease_until = None
        return None


def status_of(imp: InvitationImport) -> dict:
    return {
        "id": str(imp.id),
        "status": imp.status,
        "total": imp.total_rows,
        "processed": imp.processed_rows,
        "invited": imp.invited_count,
        "skipped": dict(imp.skipped or {}),
        "error": imp.error,
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """Spreadsheet-safe text: a cell that starts like a formula is prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def report_csv(
    source: Session | Database, actor: Actor, import_id, *, only_skipped: bool = False
) -> Iterator[str]:
    """The per-row report as CSV lines: row, recipient, email, name, outcome, detail.

    Given a ``Database`` each page of 5,000 rows is read in a transaction of its own, so a slow
    download never holds one open (on SQLite that would hold the write lock)."""
    if isinstance(source, Database):
        with source.unit_of_work() as session:
            get_or_raise(session, actor, import_id)
    else:
        get_or_raise(source, actor, import_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "recipient", "email", "name", "outcome", "detail"])
    yield buffer.getvalue()
    last = 0
    while True:
        query = (
            select(InvitationImportRow)
            .where(
                InvitationImportRow.import_id == import_id,
                InvitationImportRow.row_number > last,
                InvitationImportRow.code != INVITED if only_skipped else true(),
            )
            .order_by(InvitationImportRow.row_number)
            .limit(5000)
        )
        rows = _read(source, lambda session, q=query: session.scalars(q).all())
        if not rows:
            return
        buffer.seek(0)
        buffer.truncate()
        for r in rows:
            writer.writerow(
                [r.row_number, _cell(r.recipient), _cell(r.email), _cell(r.name), r.code, _cell(r.detail)]
            )
        last = rows[-1].row_number
        yield buffer.getvalue()
