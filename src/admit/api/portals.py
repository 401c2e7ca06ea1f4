from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from admit.api.deps import ActorDep
from admit.api.errors import problems
from admit.audit.schemas import AuditEventPage, AuditEventRead
from admit.errors import InvalidInput, PermissionDenied
from admit.people import activity
from admit.portals import service as portals_service
from admit.portals.schemas import PortalRead, PortalUpdate
from admit.web import SessionDep

router = APIRouter(tags=["portals"])


@router.get("/portals/{portal}", response_model=PortalRead, operation_id="portals_get")
def get_portal(actor: ActorDep) -> PortalRead:
    return PortalRead.model_validate(actor.portal)


@router.patch(
    "/portals/{portal}",
    response_model=PortalRead,
    operation_id="portals_update",
    responses=problems(PermissionDenied),
)
def update_portal(body: PortalUpdate, actor: ActorDep, session: SessionDep) -> PortalRead:
    """Change settings: invitation lifetime (1 hour to 30 days), products, client password rule."""
    portal = portals_service.update_settings(session, actor, **body.model_dump(exclude_unset=True))
    return PortalRead.model_validate(portal)


@router.get(
    "/portals/{portal}/audit-events",
    response_model=AuditEventPage,
    operation_id="audit_events_list",
    responses=problems(PermissionDenied, InvalidInput),
)
def list_audit_events(
    actor: ActorDep,
    session: SessionDep,
    category: Literal["invitations", "members", "sign-ins", "links", "workspaces", "settings"] | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> AuditEventPage:
    """The portal's audit log, newest first, each event with its ``summary`` in words; filter by
    ``category`` or by ``q`` (who or what, in part)."""
    entries, next_cursor = activity.log(session, actor, category=category, q=q, cursor=cursor, limit=limit)
    return AuditEventPage(
        items=[AuditEventRead.of(e.event, e.summary) for e in entries], next_cursor=next_cursor
    )
