"""The roster: everyone in a portal or on their way in, one row per person, as User Management,
``GET …/people`` and ``admit members list`` show it.

Rows come from three places, merged newest first: members (active, pending, deactivated), open
invitations (pending, expired, revoked: accepted ones are members now) and sign-ups through the
invite link waiting for their confirmation. Who sees which rows is policy's: internal members
see client invitations only (``policy.visible_invitation_types``) and only the link's managers
see its sign-ups. Every list pages with a cursor; nothing is capped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from admit import context, policy
from admit.actor import Actor
from admit.errors import InvalidInput
from admit.invitations import repository as invitations_repository
from admit.kit.pagination import count_all, page_of_union
from admit.links import signups
from admit.members import service as members_service
from admit.notifications import service as notifications_service
from admit.notifications.models import DeliveryStatus, delivery_status
from admit.policy import INTERNAL_ROLES, Action, Role, UserType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.members.models import User

__all__ = ["KINDS", "STATUSES", "RosterPage", "RosterRow", "roster"]

KINDS = ("member", "invitation", "signup")
STATUSES = ("pending", "active", "deactivated", "expired", "revoked")
ROLES = (*INTERNAL_ROLES, Role.CLIENT)


@dataclass(slots=True)
class RosterRow:
    kind: str  # member | invitation | signup
    id: uuid.UUID  # the member's, the invitation's or the sign-up's
    user_id: uuid.UUID | None
    name: str
    address: str
    user_type: str
    role: str
    products: list[str]
    status: str  # pending | active | deactivated | expired | revoked
    created_at: datetime
    last_sent_at: datetime | None
    invited_by: str | None  # how the portal names who invited them ("Invite link" for a sign-up)
    delivery: DeliveryStatus | None = None  # the last message's delivery (invitations)


@dataclass(slots=True)
class RosterPage:
    items: list[RosterRow]
    next_cursor: str | None
    total: int
    filters: dict[str, str | None] = field(default_factory=dict)


def _check(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    if value in (None, ""):
        return None
    if value not in tuple(str(a) for a in allowed):
        raise InvalidInput(f"{name} must be one of {', '.join(str(a) for a in allowed)}.", field=name)
    return value


def roster(
    session: Session,
    actor: Actor,
    *,
    user_type: str | None = None,
    status: str | None = None,
    role: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> RosterPage:
    """One page of the roster, newest first, with the total that matches the filters."""
    policy.require(actor.role, Action.MEMBER_VIEW)
    user_type = _check("user_type", user_type, UserType)
    status = _check("status", status, STATUSES)
    role = _check("role", role, ROLES)
    q = (q or "").strip()[:200] or None
    now = context.of(session).clock.now()
    portal_id = actor.portal.id
    selects = []
    if status in (None, "active", "pending", "deactivated"):
        selects.append(
            members_service.roster_select(portal_id, user_type=user_type, status=status, role=role, q=q)
        )
    if policy.can(actor.role, Action.INVITATION_VIEW) and status in (None, "pending", "expired", "revoked"):
        selects.append(
            invitations_repository.roster_select(
                portal_id,
                now=now,
                user_types=policy.visible_invitation_types(actor.role),
                user_type=user_type,
                status=status,
                role=role,
                q=q,
            )
        )
    if policy.can(actor.role, Action.LINK_MANAGE):
        query = signups.roster_select(portal_id, now=now, user_type=user_type, status=status, role=role, q=q)
        if query is not None:
            selects.append(query)
    rows, next_cursor = page_of_union(session, selects, cursor=cursor, limit=limit)
    total = count_all(session, selects)
    inviters = members_service.users_by_id(session, [r.invited_by_id for r in rows if r.invited_by_id])
    latest = notifications_service.latest_for_invitations(
        session, [r.id for r in rows if r.kind == "invitation"]
    )
    items = [
        RosterRow(
            kind=r.kind,
            id=r.id,
            user_id=r.user_id,
            name=r.name or "",
            address=r.address or "",
            user_type=r.user_type,
            role=r.role,
            products=list(r.products or []),
            status=r.status,
            created_at=r.created_at,
            last_sent_at=r.last_sent_at,
            invited_by="Invite link" if r.kind == "signup" else _label(inviters.get(r.invited_by_id)),
            delivery=delivery_status(latest.get(r.id)) if r.kind == "invitation" else None,
        )
        for r in rows
    ]
    filters = {"user_type": user_type, "status": status, "role": role, "q": q}
    return RosterPage(items=items, next_cursor=next_cursor, total=total, filters=filters)


def _label(user: User | None) -> str | None:
    return user.label if user is not None else None
