"""HR systems (owners and admins): the systems offered, connections (the key stored encrypted,
shown masked), a preview of what a sync would do, sync runs (the worker applies them) and
their reports. The rules are ``flows.hr_sync`` and ``directory.hr``."""

from __future__ import annotations

import uuid

from fastapi import Response

from admit.api.deps import ActorDep, Limit
from admit.api.errors import problems
from admit.directory.hr import service as hr
from admit.directory.models import HrConnection
from admit.directory.schemas import (
    HrConnectionCreate,
    HrConnectionPage,
    HrConnectionRead,
    HrConnectionUpdate,
    HrPlanRead,
    HrProviderPage,
    HrProviderRead,
    HrRunPage,
    HrRunRead,
    HrStep,
    HrSyncStart,
)
from admit.errors import Conflict, HrConnectionNotFound, HrSystemFailed, InvalidInput, PermissionDenied
from admit.flows import hr_sync
from admit.kit.routing import Router
from admit.web import SessionDep

router = Router(tags=["directory"])


def _read(conn: HrConnection) -> HrConnectionRead:
    return HrConnectionRead.of(conn)


@router.get(
    "/portals/{portal}/directory/providers",
    response_model=HrProviderPage,
    operation_id="directory_providers_list",
    responses=problems(PermissionDenied),
)
def list_providers(actor: ActorDep) -> HrProviderPage:
    """The HR systems offered, each with the fields it reads and the credentials it needs (a
    fixed set: one page, ``next_cursor`` null)."""
    return HrProviderPage(items=[HrProviderRead(**p) for p in hr_sync.providers_offered(actor)])


@router.get(
    "/portals/{portal}/directory/connections",
    response_model=HrConnectionPage,
    operation_id="directory_connections_list",
    responses=problems(PermissionDenied, InvalidInput),
)
def list_connections(
    actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> HrConnectionPage:
    """The portal's connections, in the order they were made."""
    rows, next_cursor = hr.list_connections(session, actor, cursor=cursor, limit=limit)
    return HrConnectionPage(items=[_read(c) for c in rows], next_cursor=next_cursor)


@router.post(
    "/portals/{portal}/directory/connections",
    response_model=HrConnectionRead,
    status_code=201,
    operation_id="directory_connections_create",
    responses=problems(PermissionDenied, InvalidInput),
)
def create_connection(body: HrConnectionCreate, actor: ActorDep, session: SessionDep) -> HrConnectionRead:
    """Connect an HR system. The key is stored encrypted and never returned (only masked)."""
    return _read(hr_sync.connect(session, actor, body.model_dump()))


@router.get(
    "/portals/{portal}/directory/connections/{connection_id}",
    response_model=HrConnectionRead,
    operation_id="directory_connections_get",
    responses=problems(PermissionDenied, HrConnectionNotFound),
)
def get_connection(connection_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> HrConnectionRead:
    return _read(hr.get_or_raise(session, actor, connection_id))


@router.patch(
    "/portals/{portal}/directory/connections/{connection_id}",
    response_model=HrConnectionRead,
    operation_id="directory_connections_update",
    responses=problems(PermissionDenied, HrConnectionNotFound, InvalidInput),
)
def update_connection(
    connection_id: uuid.UUID, body: HrConnectionUpdate, actor: ActorDep, session: SessionDep
) -> HrConnectionRead:
    """Schedule, new-hire handling, role/products/user type, team mapping; a new key replaces the old."""
    conn = hr.get_or_raise(session, actor, connection_id)
    return _read(hr_sync.update(session, actor, conn, body.model_dump(exclude_unset=True)))


@router.delete(
    "/portals/{portal}/directory/connections/{connection_id}",
    status_code=204,
    operation_id="directory_connections_delete",
    responses=problems(PermissionDenied, HrConnectionNotFound),
)
def delete_connection(connection_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> Response:
    """Disconnect: the key and the runs are forgotten; the people it brought stay."""
    hr.disconnect(session, actor, hr.get_or_raise(session, actor, connection_id))
    return Response(status_code=204)


@router.post(
    "/portals/{portal}/directory/connections/{connection_id}/preview",
    response_model=HrPlanRead,
    operation_id="directory_connections_preview",
    responses=problems(PermissionDenied, HrConnectionNotFound, HrSystemFailed),
)
def preview(connection_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> HrPlanRead:
    """Read the system's list now and say what a sync would do to each employee. Writes nothing;
    a system that fails answers 502 ``hr_system_failed`` naming it and what it said."""
    plan = hr_sync.preview(session, actor, hr.get_or_raise(session, actor, connection_id))
    return HrPlanRead(
        total=len(plan.steps),
        counts=plan.counts,
        rows=[
            HrStep(
                external_id=s.external_id,
                name=s.name,
                email=s.address,
                outcome=s.outcome,
                reason=s.reason,
                detail=s.detail,
                department=s.department,
                start_date=s.employee.start_date if s.employee else None,
                managed=s.managed_after,
            )
            for s in plan.steps
        ],
    )


@router.post(
    "/portals/{portal}/directory/connections/{connection_id}/sync",
    response_model=HrRunRead,
    status_code=202,
    operation_id="directory_connections_sync",
    responses=problems(PermissionDenied, HrConnectionNotFound, InvalidInput),
)
def sync(
    connection_id: uuid.UUID, actor: ActorDep, session: SessionDep, body: HrSyncStart | None = None
) -> HrRunRead:
    """Queue a sync run: the worker reads the list and applies the plan (or the ``selection``)."""
    conn = hr.get_or_raise(session, actor, connection_id)
    options = body.model_dump(include={"user_type", "role", "products"}, exclude_none=True) if body else None
    return HrRunRead.of(
        hr_sync.start_sync(session, actor, conn, selection=body.selection if body else None, options=options)
    )


@router.get(
    "/portals/{portal}/directory/connections/{connection_id}/runs",
    response_model=HrRunPage,
    operation_id="directory_runs_list",
    responses=problems(PermissionDenied, HrConnectionNotFound, InvalidInput),
)
def list_runs(
    connection_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    cursor: str | None = None,
    limit: Limit = 100,
) -> HrRunPage:
    """The connection's runs, newest first (their reports: ``GET …/runs/{run_id}``)."""
    conn = hr.get_or_raise(session, actor, connection_id)
    rows, next_cursor = hr.list_runs(session, actor, conn, cursor=cursor, limit=limit)
    return HrRunPage(items=[HrRunRead.of(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/portals/{portal}/directory/connections/{connection_id}/runs/{run_id}",
    response_model=HrRunRead,
    operation_id="directory_runs_get",
    responses=problems(PermissionDenied, HrConnectionNotFound),
)
def get_run(connection_id: uuid.UUID, run_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> HrRunRead:
    """A run with its report: each employee who changed or was skipped, and what was done."""
    _conn, run = hr.get_run_or_raise(session, actor, connection_id, run_id)
    return HrRunRead.of(run, with_report=True)


@router.post(
    "/portals/{portal}/directory/connections/{connection_id}/runs/{run_id}/confirm",
    response_model=HrRunRead,
    status_code=202,
    operation_id="directory_runs_confirm",
    responses=problems(PermissionDenied, HrConnectionNotFound, Conflict),
)
def confirm_run(
    connection_id: uuid.UUID, run_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> HrRunRead:
    """Confirm a run that waits because it would deactivate many people: a new run applies it."""
    conn, run = hr.get_run_or_raise(session, actor, connection_id, run_id)
    return HrRunRead.of(hr_sync.confirm_run(session, actor, conn, run))


@router.post(
    "/portals/{portal}/directory/connections/{connection_id}/runs/{run_id}/dismiss",
    response_model=HrRunRead,
    operation_id="directory_runs_dismiss",
    responses=problems(PermissionDenied, HrConnectionNotFound, Conflict),
)
def dismiss_run(
    connection_id: uuid.UUID, run_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> HrRunRead:
    """Turn down a run that waits for confirmation: nothing of it is applied."""
    conn, run = hr.get_run_or_raise(session, actor, connection_id, run_id)
    return HrRunRead.of(hr.dismiss_run(session, actor, conn, run))
