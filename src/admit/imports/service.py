"""Bulk invitations: preview a list, store it, read its status and its per-row report.

- ``preview``: read a list and say what would happen to every row (counts and first rows per
  outcome). Writes nothing.
- ``create``: store the list (``invitation_import_chunks``) and the options, after checking
  permissions, options and the file itself (size, rows, text). ``start=False`` keeps it as a
  draft with its preview until ``confirm``; otherwise it is queued for the worker.
- the worker's side (claiming an import, running it batch by batch through the invitation
  pipeline, waiting for the portal's sending limit) is ``imports.jobs``.

Rows get the same treatment as single invitations: ``invitations.options.check_options`` and the
pipeline decide, with the same reason codes.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy import Select, and_, delete, func, or_, select, text, true
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import Database, new_id
from admit.errors import ImportNotFound, ImportNotPreviewed, InvalidInput
from admit.idempotency import service as idempotency
from admit.idempotency.models import IdempotencyKey
from admit.imports import evaluate, parsing, storage
from admit.imports.models import (
    DONE,
    INVITED,
    NOT_INVITED,
    PREVIEWED,
    QUEUED,
    RUNNING,
    WAITING,
    InvitationImport,
    InvitationImportRow,
)
from admit.imports.parsing import read_rows
from admit.imports.schemas import OUTCOMES, WILL_INVITE
from admit.invitations import pipeline
from admit.invitations.options import InviteOptions, check_options, role_letting_in
from admit.kit.sheets import csv_chunks, safe_cell
from admit.policy import INTERNAL_ROLES, Role

__all__ = [
    "INVITED",
    "OUTCOMES",
    "WILL_INVITE",
    "check_owners_confirmed",
    "confirm",
    "create",
    "first_skipped",
    "get_or_raise",
    "ImportState",
    "limits",
    "outcome_words",
    "preview",
    "report_csv",
    "role_cells",
    "status_of",
]

REPORT_PAGE_ROWS = 5000  # rows of a report read per query while it streams
PREVIEW_BATCH_ROWS = 5000  # a preview holds no transaction; smaller batches, less memory
SAMPLE_ROWS = 5
SAME_FILE_WINDOW_DAYS = 1
# How the pages and the CLI name an outcome: the pipeline's words for a skip
# (``pipeline.SUMMARY_WORDS``), but for these; a reason without words is named by its code.
_OWN_WORDS = {
    WILL_INVITE: "will invite",
    "duplicate": "duplicates in the list",
    "invalid_recipient": "invalid",
}


# How many of the people a list would make owners its confirmation names ("Yes, make Ann
# (ann@x.org), Bob (bob@x.org), Cy (cy@x.org) and 2 more owners."); the preview keeps them.
OWNERS_NAMED = 3


def outcome_words(code: str) -> str:
    """How a preview's outcome is named (lower case: "already members")."""
    if code in _OWN_WORDS:
        return _OWN_WORDS[code]
    words = pipeline.SUMMARY_WORDS.get(code)  # type: ignore[call-overload]
    return str(words[1]) if words else code.replace("_", " ")


class ImportState(TypedDict):
    """Where an import stands (``status_of``)."""

    id: str
    status: str
    total: int
    processed: int
    invited: int
    skipped: dict[str, int]
    error: str | None
    resume_at: datetime | None


def limits(source: Session | Database) -> tuple[int, int]:
    """``(max bytes, max rows)`` of one list (``ADMIT_IMPORT_MAX_BYTES``, ``…_ROWS``)."""
    if isinstance(source, Database):
        assert source.context is not None, "the database carries its context (admit.context)"
        s = source.context.settings
    else:
        s = context.of(source).settings
    return s.import_max_bytes, s.import_max_rows


def preview(
    session: Session,
    actor: Actor,
    *,
    chunks: Iterable[bytes],
    filename: str = "",
    user_type: str,
    role: str | None = None,
    products: list[str] | None = None,
    message: str | None = None,
    role_column: bool = False,
) -> dict[str, Any]:
    """What importing this list would do: counts per outcome and the first rows of each. Writes nothing."""
    options = check_options(
        actor, user_type=user_type, role=role, products=products, message=message, role_column=role_column
    )
    parsing.check_file_name(filename)
    return _preview(session, actor, options, chunks, filename=filename)


def _preview(
    session: Session, actor: Actor, options: InviteOptions, chunks: Iterable[bytes], *, filename: str = ""
) -> dict[str, Any]:
    max_bytes, max_rows = limits(session)
    counts: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    owners: list[dict[str, str]] = []  # the first few it makes owners, named by its confirmation
    role_cells = 0
    # Rows refused for asking more than the list's role that a higher list role would let in,
    # and the highest such role: the preview offers it in one click ("Up to Admin").
    raisable = 0
    raise_to: Role | None = None
    samples: dict[str, list[dict[str, Any]]] = {code: [] for code in OUTCOMES}
    seen = evaluate.SeenAddresses()
    total = 0
    rows = read_rows(chunks, max_bytes=max_bytes, max_rows=max_rows, filename=filename)
    for batch in evaluate.batched(rows, PREVIEW_BATCH_ROWS):
        total += len(batch)
        for d in evaluate.decide(session, actor, options, batch, seen):
            code = WILL_INVITE if d.result is None else str(d.result.code)
            counts[code] += 1
            role_cells += _has_own_role(d.row)
            if d.result is None:
                role = str(d.recipient.role or options.role)
                roles[role] += 1
                if role == Role.OWNER and len(owners) < OWNERS_NAMED:
                    owners.append({"name": d.recipient.name or "", "address": d.recipient.address or ""})
            elif d.result.code == pipeline.SkipCode.NOT_ALLOWED and d.recipient.refusal is not None:
                letting_in = role_letting_in(actor.role, options, d.row.role)
                if letting_in is not None:
                    raisable += 1
                    if raise_to is None or INTERNAL_ROLES.index(letting_in) < INTERNAL_ROLES.index(raise_to):
                        raise_to = letting_in
            sampled = samples.setdefault(code, [])  # a code the pipeline gives beside SkipCode's
            if len(sampled) < SAMPLE_ROWS:
                refused = d.recipient.refusal is not None  # its role, which the address is not
                sampled.append(
                    {
                        "row": d.row.number,
                        "recipient": d.row.raw or d.row.address,
                        # The cell at fault: its role when that is what was refused.
                        "cell": d.row.role if refused else d.row.address or d.row.phone,
                        "email": d.recipient.address or ((d.row.address or d.row.phone) if refused else None),
                        "refused_role": d.row.role if refused else "",
                        "name": d.recipient.name,
                        "role": str(d.recipient.role or options.role) if d.result is None else "",
                        "detail": d.result.detail if d.result else "",
                    }
                )
    return {
        "total": total,
        "counts": {code: counts.get(code, 0) for code in (*OUTCOMES, *counts)},
        "samples": samples,
        # The roles the invitations would carry (a ``role`` column, when used, can give several).
        "roles": dict(roles),
        "owners": owners,
        # Rows with a role of their own: the preview offers "Use the Role column" when there are.
        "role_cells": role_cells,
        "role_column": options.role_column,
        "raisable": raisable,
        "raise_to": str(raise_to) if raise_to is not None else None,
    }


def _has_own_role(row: parsing.Row) -> bool:
    """Whether a row has something in the list's Role column (used only when the admin chose to)."""
    return bool(row.role and row.role.strip())


def role_cells(session: Session, actor: Actor, import_id: uuid.UUID) -> int:
    """How many rows of a stored list have something in its Role column, as a preview counts
    them (its ``role_cells``): for an import started without a preview (``admit invite --file``
    says when the column was there and not used)."""
    imp = get_or_raise(session, actor, import_id)
    return sum(_has_own_role(row) for row in read_rows(storage.stored_chunks(session, imp.id)))


def check_owners_confirmed(
    made: InviteOptions | str | None, *, confirmed: bool, was: str | None = None
) -> None:
    """Owners are made only once confirmed (owners can do everything, including removing you):
    ``confirmed`` says they were. ``made``: a list's options, which can make owners when its own
    role is owner (every row, or a Role column's rows, may be one), previewed first (a draft that
    waits for ``confirm``; the CLI's ``--confirm-owners``, for addresses given on its command line
    as for a file); or the role one invitation gives, from ``was``, by ``policy.owner_unconfirmed``,
    which Change role and products (its page, ``members change`` and ``invitations change``) and
    the Invite box's Send ask themselves: one who already was an owner is made nobody.
    Raises ``InvalidInput`` naming ``role`` (or a list's ``role_column``)."""
    if not isinstance(made, InviteOptions):
        if (fault := policy.owner_unconfirmed(made, confirmed=confirmed, was=was)) is not None:
            raise InvalidInput(fault, field="role")
        return
    # A list's top role is owner: it can make owners (every row, or a Role column's rows).
    if policy.owner_unconfirmed(made.role, confirmed=confirmed, was=None) is not None:
        raise InvalidInput(
            "A list that can make owners is previewed first, and its owners confirmed.",
            field="role_column" if made.role_column else "role",
        )


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
    role_column: bool = False,
    same_file_check: bool = True,
) -> tuple[InvitationImport, bool]:
    """Store a list for import; returns ``(import, created)``.

    The same ``idempotency_key`` (the caller's own, kept 24 hours: ``idempotency.service``, as
    every operation's), or the same file with the same options within a day, returns the
    earlier import (``created`` is False) instead of inviting anyone twice (an HR sync,
    whose run is its own guard, turns the same-file check off: ``same_file_check``). With
    ``start=False`` the import waits, with its preview, for ``confirm``. ``role_column``: rows
    may carry their own role (``invitations.options.row_role``); a list that can make owners
    (its own role is owner: every row, or a Role column's rows, may be one) must be previewed
    and confirmed with ``owners_confirmed``.
    """
    options = check_options(
        actor, user_type=user_type, role=role, products=products, message=message, role_column=role_column
    )
    parsing.check_file_name(filename)
    check_owners_confirmed(options, confirmed=not start)  # a draft waits for ``confirm``
    portal = actor.portal
    max_bytes, max_rows = limits(session)
    imp = InvitationImport(
        id=new_id(),
        portal_id=portal.id,
        created_by_id=actor.user_id,
        actor_label=actor.label,
        actor_role=str(actor.role),
        inviter_label=actor.inviter_label,
        status=PREVIEWED if not start else QUEUED,
        user_type=str(options.user_type),
        role=str(options.role),
        role_column=options.role_column,
        products=list(options.products),
        message=options.message,
        filename=(filename or "")[:255],
        sha256="",
        skipped={},
    )
    session.add(imp)
    session.flush()
    imp.size_bytes, imp.sha256 = storage.store(session, imp.id, chunks, max_bytes)
    claimed = _claim(session, actor, idempotency_key, imp, options) if idempotency_key else None
    if isinstance(claimed, InvitationImport):  # a retry: the import it first made, as it is now
        _drop(session, imp)
        return claimed, False
    # The same list asking for the same: its type, role, products and message too (another
    # message was dropped as "already imported", the earlier one's words sent).
    earlier = next(
        (
            e
            for e in session.scalars(
                select(InvitationImport)
                .where(
                    InvitationImport.portal_id == portal.id,
                    InvitationImport.sha256 == imp.sha256,
                    InvitationImport.id != imp.id,
                    InvitationImport.status.in_((QUEUED, RUNNING, WAITING, DONE)),
                    InvitationImport.created_at
                    > context.of(session).clock.now() - timedelta(days=SAME_FILE_WINDOW_DAYS),
                    InvitationImport.user_type == imp.user_type,
                    InvitationImport.role == imp.role,
                    InvitationImport.role_column == imp.role_column,
                )
                .order_by(InvitationImport.created_at.desc())
                .limit(20)
            )
            if sorted(e.products or []) == sorted(imp.products or [])
            and (e.message or "") == (imp.message or "")
        ),
        None,
    )
    if earlier is not None and start and same_file_check:
        _drop(session, imp)
        if claimed is not None:
            _answered(session, claimed, earlier)
        return earlier, False
    if start:
        # Reading it through once refuses a bad file (not text, too many rows) before any work.
        stored = storage.stored_chunks(session, imp.id)
        imp.total_rows = sum(1 for _ in read_rows(stored, max_rows=max_rows, filename=imp.filename))
    else:
        imp.preview = _preview(
            session, actor, options, storage.stored_chunks(session, imp.id), filename=filename
        )
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
    if claimed is not None:
        _answered(session, claimed, imp)
    session.flush()
    return imp, True


def _claim(
    session: Session, actor: Actor, key: str, imp: InvitationImport, options: InviteOptions
) -> InvitationImport | IdempotencyKey:
    """Take ``key`` for the import just stored (``imp``), as every operation takes one
    (``idempotency.service``: the caller's own, kept 24 hours, 422 ``idempotency_key_reused``
    with another request): the import it was first used for, when this is a retry of the same
    list (byte for byte) with the same options; else the key's row, to answer with the import."""
    caller_id = actor.caller_id
    assert caller_id is not None  # a key comes with an API call: an API key, or a signed-in user
    asked = {
        "sha256": imp.sha256,
        "user_type": str(options.user_type),
        "role": str(options.role),
        "role_column": options.role_column,
        "products": sorted(options.products),
        "message": options.message,
    }
    claimed = idempotency.claim(
        session,
        portal_id=actor.portal.id,
        caller_id=caller_id,
        key=key,
        method="POST",
        path="invitation-imports",  # the operation's name, apart from every API path
        body=json.dumps(asked, sort_keys=True),
    )
    if isinstance(claimed, IdempotencyKey):
        return claimed
    first = session.get(InvitationImport, uuid.UUID(json.loads(claimed.body)["import_id"]))
    assert first is not None  # an import goes only with its portal, and its keys with it
    return first


def _answered(session: Session, claimed: IdempotencyKey, imp: InvitationImport) -> None:
    """Keep with the key the import it answered (a retry is answered it as it is then)."""
    idempotency.record(session, claimed, status=202, body=json.dumps({"import_id": str(imp.id)}))


def _drop(session: Session, imp: InvitationImport) -> None:
    """Delete the import just stored (and its list), as it is not this request's answer."""
    session.execute(delete(InvitationImport).where(InvitationImport.id == imp.id))
    session.expunge(imp)


def get_or_raise(session: Session, actor: Actor, import_id: uuid.UUID) -> InvitationImport:
    """An import of the actor's portal whose invitations the actor may see; 404 otherwise."""
    policy.require(actor.role, policy.Action.INVITATION_VIEW)
    imp = session.get(InvitationImport, import_id)
    if (
        imp is None
        or imp.portal_id != actor.portal.id
        or not policy.sees_invitation(actor.role, imp.user_type)
    ):
        raise ImportNotFound("No such import in this portal.")
    return imp


def use_role_column(
    session: Session, actor: Actor, import_id: uuid.UUID, use: bool, *, role: str | None = None
) -> InvitationImport:
    """Use (or stop using) the list's Role column in a previewed import, and (``role``) change
    the list's role: the role of every row when the column is not used, the most a row may
    ask for when it is. The preview is redone."""
    imp = get_or_raise(session, actor, import_id)
    policy.require(actor.role, policy.invite_action(imp.user_type))
    if imp.status != PREVIEWED:
        raise ImportNotPreviewed(f"This import is {imp.status}.")
    options = check_options(
        actor,
        user_type=imp.user_type,
        role=role or imp.role,
        products=list(imp.products),
        message=imp.message,
        role_column=use,
    )
    imp.role_column = options.role_column
    imp.role = options.role
    imp.preview = _preview(session, actor, options, storage.stored_chunks(session, imp.id))
    session.flush()
    return imp


def confirm(
    session: Session, actor: Actor, import_id: uuid.UUID, *, owners_confirmed: bool = False
) -> InvitationImport:
    """Start a previewed import (the admin's "Send invitations"). A list whose preview makes
    owners needs ``owners_confirmed``: owners can do everything, including removing the admin."""
    imp = get_or_raise(session, actor, import_id)
    policy.require(actor.role, policy.invite_action(imp.user_type))
    if imp.status != PREVIEWED:
        if imp.status in (QUEUED, RUNNING, WAITING, DONE):
            return imp  # a double click: already on its way
        raise ImportNotPreviewed(f"This import is {imp.status}.")
    owners = (imp.preview or {}).get("roles", {}).get(str(Role.OWNER), 0)
    if owners and not owners_confirmed:
        raise InvalidInput(
            f"This list makes {owners} {'person an owner' if owners == 1 else 'people owners'}: "
            "confirm it to send.",
            field="owners_confirmed",
        )
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


def status_of(imp: InvitationImport) -> ImportState:
    return {
        "id": str(imp.id),
        "status": imp.status,
        "total": imp.total_rows,
        "processed": imp.processed_rows,
        "invited": imp.invited_count,
        "skipped": dict(imp.skipped or {}),
        "error": imp.error,
        "resume_at": imp.resume_at,
    }


def report_csv(
    source: Session | Database, actor: Actor, import_id: uuid.UUID, *, only_skipped: bool = False
) -> Iterator[str]:
    """The per-row report as CSV lines: row, recipient, email, name, outcome, detail.

    Given a ``Database`` each page of 5,000 rows is read in a transaction of its own, so a slow
    download never holds one open (on SQLite that would hold the write lock)."""
    storage.read(source, lambda session: get_or_raise(session, actor, import_id))

    def rows() -> Iterator[list[object]]:
        last = (0, 0)  # (row_number, part) of the last report row written
        while True:
            query = _report_rows(import_id, after=last, only_skipped=only_skipped, limit=REPORT_PAGE_ROWS)

            def fetch(
                session: Session, q: Select[InvitationImportRow] = query
            ) -> Sequence[InvitationImportRow]:
                return session.scalars(q).all()

            page = storage.read(source, fetch)
            if not page:
                return
            for r in page:
                yield [
                    r.row_number,
                    safe_cell(r.recipient),
                    safe_cell(r.email),
                    safe_cell(r.name),
                    r.code,
                    safe_cell(r.detail),
                ]
            last = (page[-1].row_number, page[-1].part)

    header = ["row", "recipient", "email", "name", "outcome", "detail"]
    yield from csv_chunks(header, rows(), every=REPORT_PAGE_ROWS)


def _report_rows(
    import_id: uuid.UUID, *, after: tuple[int, int], only_skipped: bool, limit: int
) -> Select[InvitationImportRow]:
    """The report's rows after ``after`` (row number, part), in the list's order."""
    later = or_(
        InvitationImportRow.row_number > after[0],
        and_(InvitationImportRow.row_number == after[0], InvitationImportRow.part > after[1]),
    )
    return (
        select(InvitationImportRow)
        .where(
            InvitationImportRow.import_id == import_id,
            later,
            text(NOT_INVITED) if only_skipped else true(),
        )
        .order_by(InvitationImportRow.row_number, InvitationImportRow.part)
        .limit(limit)
    )


def first_skipped(
    session: Session, actor: Actor, import_id: uuid.UUID, *, limit: int
) -> list[InvitationImportRow]:
    """The first ``limit`` rows of the report that were not invited, in the list's order: what
    the finished import's page shows (the whole of them is the report's ``outcome=skipped``)."""
    imp = get_or_raise(session, actor, import_id)
    if not imp.skipped:
        return []
    return list(session.scalars(_report_rows(import_id, after=(0, 0), only_skipped=True, limit=limit)))


class ImportProgress(TypedDict):
    imports: int
    rows: int
    processed: int


def progress_stats(session: Session) -> dict[str, ImportProgress]:
    """Imports not finished, by status (queued, running, waiting): how many, with their rows and
    how many of those are done (``/metrics``)."""
    rows = session.execute(
        select(
            InvitationImport.status,
            func.count(),
            func.coalesce(func.sum(InvitationImport.total_rows), 0),
            func.coalesce(func.sum(InvitationImport.processed_rows), 0),
        )
        .where(InvitationImport.status.in_((QUEUED, RUNNING, WAITING)))
        .group_by(InvitationImport.status)
    ).all()
    return {
        str(status): {"imports": n, "rows": int(total), "processed": int(done)}
        for status, n, total, done in rows
    }
