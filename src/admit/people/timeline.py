"""A person's timeline: the workspaces they have joined, in every portal where they are an
active member (or one of them), the most recently added first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from admit.members import service as members_service
from admit.members.models import User
from admit.portals.models import Portal
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import Workspace, WorkspaceMember

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["timeline"]


def timeline(
    session: Session, user: User, *, portal: Portal | None = None, cursor: str | None = None, limit: int = 100
) -> tuple[list[tuple[Workspace, WorkspaceMember, Portal]], str | None]:
    """A page of ``(workspace, membership, portal)`` rows, newest-added first, and the next
    page's cursor; only ``portal``'s if given."""
    portals = {p.id: p for p, _m in members_service.memberships_of(session, user)}
    if portal is not None:
        portals = {portal.id: portals[portal.id]} if portal.id in portals else {}
    rows, next_cursor = workspaces_service.timeline(
        session, user, portal_ids=list(portals), cursor=cursor, limit=limit
    )
    return [(w, m, portals[w.portal_id]) for w, m in rows], next_cursor
