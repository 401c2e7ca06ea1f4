"""Bulk invitations: upload a .csv/.txt (multipart ``file``) or JSON ``{text}``; preview with
``dry_run``; otherwise 202 and the worker does it. ``Idempotency-Key`` makes a retry safe."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal, TypedDict

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from admit.api.deps import ActorDep, actor_in
from admit.api.errors import invalid_input_of, problems
from admit.api.idempotency import KEPT_HOURS
from admit.api.openapi import ACTOR_ERRORS
from admit.db import Database
from admit.errors import (
    CsrfFailed,
    HttpError,
    IdempotencyKeyReused,
    ImportNotFound,
    ImportNotPreviewed,
    InvalidInput,
    PermissionDenied,
)
from admit.idempotency import service as idempotency
from admit.imports import service as imports_service
from admit.imports.models import InvitationImport
from admit.imports.schemas import (
    ImportConfirm,
    ImportCreate,
    ImportCreated,
    ImportFields,
    ImportPreview,
    ImportStatus,
    RoleColumnChoice,
)
from admit.kit.routing import Router
from admit.web import SessionDep

router = Router(tags=["invitation imports"])
READ_BYTES = 1024 * 1024


def _status(request: Request, imp: InvitationImport) -> ImportStatus:
    base = f"/api/v1/portals/{request.path_params['portal']}/invitation-imports/{imp.id}"
    return ImportStatus(
        **imports_service.status_of(imp),
        errors_url=f"{base}/report.csv?outcome=skipped",
        report_url=f"{base}/report.csv",
        preview=ImportPreview(**imp.preview) if imp.preview else None,
    )


class _Options(TypedDict):
    """The invitations' options, as the imports service takes them."""

    user_type: str
    role: str | None
    products: list[str] | None
    message: str | None
    role_column: bool


class _Fields(_Options):
    """What an import is asked to do, from the form or the JSON body."""

    dry_run: bool
    draft: bool


def _file_chunks(upload: UploadFile) -> Iterator[bytes]:
    upload.file.seek(0)
    while chunk := upload.file.read(READ_BYTES):
        yield chunk


# The multipart form's fields besides ``file``: ``ImportFields``'s, read as JSON's are; a list
# is its field repeated.
_FORM_LISTS = ("products",)


def _form_fields(form: FormData) -> _Fields:
    """The multipart form's fields, read by the schema the JSON body is (a boolean that is not
    one is refused, never taken for false). Every fault at once, ``file``'s among them; an
    empty field is an unset one; a field the form does not have is refused, as the JSON body's
    are (a misspelt ``dry-run`` would otherwise start a real import)."""
    problems: list[dict[str, Any]] = []
    if not isinstance(form.get("file"), UploadFile):
        problems.append({"field": "file", "message": "Attach the list as the multipart field “file”."})
    taken = {"file", *ImportFields.model_fields}
    problems += [
        {"field": name, "message": f"Not a field of this form (it takes {', '.join(sorted(taken))})."}
        for name in dict.fromkeys(form.keys())
        if name not in taken
    ]
    given: dict[str, Any] = {}
    for name in ImportFields.model_fields:
        values = form.getlist(name)
        if any(isinstance(v, UploadFile) for v in values):
            problems.append({"field": name, "message": f"Send “{name}” as text, not as a file."})
            continue
        texts = [v for v in values if isinstance(v, str) and v]
        if texts:
            given[name] = texts if name in _FORM_LISTS else texts[0]
    try:
        fields = ImportFields.model_validate(given)
    except ValidationError as exc:
        problems += invalid_input_of(exc).field_errors
        raise InvalidInput.of_all(problems) from exc
    if problems:
        raise InvalidInput.of_all(problems)
    return _fields_of(fields)


def _fields_of(body: ImportFields) -> _Fields:
    return {
        "user_type": body.user_type,
        "role": body.role,
        "products": body.products,
        "message": body.message,
        "dry_run": body.dry_run,
        "role_column": body.role_column,
        "draft": body.draft,
    }


@router.post(
    "/portals/{portal}/invitation-imports",
    responses={
        200: {
            "model": ImportPreview | ImportCreated,
            "description": (
                "dry_run: the preview. A retry with the same Idempotency-Key (yours, with the same"
                " list and options): the earlier import."
            ),
        },
        202: {"model": ImportCreated, "description": "The import is queued (or waits for Send)."},
        **problems(*ACTOR_ERRORS, CsrfFailed, PermissionDenied, HttpError, IdempotencyKeyReused),
    },
    openapi_extra={
        "parameters": [
            {
                "name": idempotency.HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY},
                "description": (
                    f"A key of yours, 1 to {idempotency.MAX_KEY} characters (a UUID), that makes a"
                    " retry safe: the same list and options again with the same key, within"
                    f" {KEPT_HOURS} hours, is answered the earlier import as it is now"
                    " (200, `created: false`), nobody invited twice; the same key with"
                    " another list or options is 422 `idempotency_key_reused`. A key is"
                    " its caller's own (the API key, or the signed-in user)."
                ),
            }
        ],
        "requestBody": {
            "content": {
                "application/json": {"schema": ImportCreate.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "user_type"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "user_type": {"type": "string", "enum": ["internal", "client"]},
                            "role": {"type": "string"},
                            "products": {"type": "array", "items": {"type": "string"}},
                            "message": {"type": "string"},
                            "dry_run": {"type": "boolean"},
                            "role_column": {"type": "boolean"},
                            "draft": {"type": "boolean"},
                        },
                    }
                },
            }
        },
    },
    operation_id="invitation_imports_create",
)
async def create_import(portal: str, request: Request) -> JSONResponse:
    """Preview (``dry_run``) or start a bulk invitation from a file or pasted text."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        fields = _form_fields(form)
        upload = form["file"]
        assert isinstance(upload, UploadFile)  # _form_fields refused the form otherwise
        filename = upload.filename or ""
        chunks_factory: Callable[[], Iterable[bytes]] = lambda: _file_chunks(upload)  # noqa: E731
    else:
        try:
            body = ImportCreate.model_validate_json(await request.body())
        except ValidationError as exc:
            raise invalid_input_of(exc) from exc
        fields = _fields_of(body)
        filename = ""
        data = body.text.encode("utf-8")
        chunks_factory = lambda: iter([data])  # noqa: E731
    key = request.headers.get(idempotency.HEADER)
    return await run_in_threadpool(_create, request, portal, fields, filename, chunks_factory, key)


def _create(
    request: Request,
    portal: str,
    fields: _Fields,
    filename: str,
    chunks_factory: Callable[[], Iterable[bytes]],
    key: str | None,
) -> JSONResponse:
    db: Database = request.app.state.db
    with db.unit_of_work() as session:
        actor = actor_in(session, request, portal)
        key = idempotency.checked_key(key)  # the one rule of what a key may be (401 before it)
        options: _Options = {
            "user_type": fields["user_type"],
            "role": fields["role"],
            "products": fields["products"],
            "message": fields["message"],
            "role_column": fields["role_column"],
        }
        if fields["dry_run"]:
            preview = imports_service.preview(
                session, actor, chunks=chunks_factory(), filename=filename, **options
            )
            return JSONResponse(ImportPreview(**preview).model_dump(mode="json"), status_code=200)
        imp, created = imports_service.create(
            session,
            actor,
            chunks=chunks_factory(),
            filename=filename,
            idempotency_key=key,
            start=not fields["draft"],
            **options,
        )
        body = ImportCreated(**dict(_status(request, imp)), created=created)
    return JSONResponse(body.model_dump(mode="json"), status_code=202 if created else 200)


@router.get(
    "/portals/{portal}/invitation-imports/{import_id}",
    response_model=ImportStatus,
    operation_id="invitation_imports_get",
    responses=problems(PermissionDenied, ImportNotFound),
)
def get_import(import_id: uuid.UUID, request: Request, actor: ActorDep, session: SessionDep) -> ImportStatus:
    """Progress: ``{status, total, processed, invited, skipped: {code: count}, errors_url}``."""
    return _status(request, imports_service.get_or_raise(session, actor, import_id))


@router.post(
    "/portals/{portal}/invitation-imports/{import_id}/confirm",
    response_model=ImportStatus,
    operation_id="invitation_imports_confirm",
    responses=problems(PermissionDenied, ImportNotFound, ImportNotPreviewed, InvalidInput),
)
def confirm_import(
    import_id: uuid.UUID,
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    body: ImportConfirm | None = None,
) -> ImportStatus:
    """Start an import created as a draft (``draft``; the pages' preview step). A list whose
    preview makes owners needs ``{"owners_confirmed": true}``."""
    owners_confirmed = body.owners_confirmed if body else False
    return _status(
        request, imports_service.confirm(session, actor, import_id, owners_confirmed=owners_confirmed)
    )


@router.post(
    "/portals/{portal}/invitation-imports/{import_id}/role-column",
    response_model=ImportStatus,
    operation_id="invitation_imports_role_column",
    responses=problems(PermissionDenied, ImportNotFound, ImportNotPreviewed, InvalidInput),
)
def choose_role_column(
    import_id: uuid.UUID, choice: RoleColumnChoice, request: Request, actor: ActorDep, session: SessionDep
) -> ImportStatus:
    """Use (or stop using) the list's Role column in a draft import, and (``role``) change the
    list's role; answers the new preview. The list's role is the ceiling: no row gets more."""
    return _status(
        request, imports_service.use_role_column(session, actor, import_id, choice.use, role=choice.role)
    )


@router.get(
    "/portals/{portal}/invitation-imports/{import_id}/report.csv",
    operation_id="invitation_imports_report",
    response_class=StreamingResponse,
    responses={
        200: {"description": "One row per line of the list: row, recipient, email, name, outcome, detail.",
              "content": {"text/csv": {"schema": {"type": "string"}}}},
        **problems(*ACTOR_ERRORS, PermissionDenied, ImportNotFound),
    },
)  # fmt: skip
def import_report(
    portal: str, import_id: uuid.UUID, request: Request, outcome: Literal["skipped"] | None = None
) -> StreamingResponse:
    """The per-row report as CSV (cells that look like formulas are escaped)."""
    db: Database = request.app.state.db
    # Authorise in a transaction of its own and end it before streaming: on SQLite any open
    # transaction holds the write lock, and the stream reads in transactions of its own.
    with db.unit_of_work() as session:
        actor = actor_in(session, request, portal)
        imports_service.get_or_raise(session, actor, import_id)

    def stream() -> Iterator[str]:
        yield from imports_service.report_csv(db, actor, import_id, only_skipped=outcome == "skipped")

    return StreamingResponse(
        stream(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="invitations-{import_id}.csv"'},
    )
