"""The portal's sending limit (``ADMIT_INVITE_RATE_LIMIT``, e.g. ``2000/hour``).

Every invitation message counts, first sends and resends alike, whatever the path: a request,
a workspace or group add, a contact, an approved join request, an import. The count is read
from the outbox (``notifications``) under a lock on the portal row, so web processes and
workers share it without Redis, and two requests cannot both take the last places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from limits import parse
from sqlalchemy.orm import Session

from admit import context, policy
from admit.errors import RateLimited
from admit.invitations import repository
from admit.notifications import service as notifications_service
from admit.portals import service as portals_service

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.actor import Actor
    from admit.portals.models import Portal


__all__ = ["Reservation", "reserve"]

REFUSED = "This portal has sent too many invitations recently. Try again later."


@dataclass(frozen=True, slots=True)
class Reservation:
    granted: int  # messages that may go now
    retry_at: datetime | None  # when more may go, if fewer were granted than asked


def reserve(
    session: Session, portal: Portal, n: int, *, partial: bool = False, by: Actor | None = None
) -> Reservation:
    """Take ``n`` messages from the portal's limit, and from ``by``'s own quota when they are
    a member (``ADMIT_MEMBER_INVITE_RATE_LIMIT``; owners and admins answer to the portal's limit
    only: ``policy.has_invite_quota``). All of them or none (``RateLimited``, with
    ``retry_after``); with ``partial`` as many as fit (an import pauses for the rest).

    The portal row stays locked until the caller's transaction ends, so the messages it queues
    are counted before anyone else looks."""
    ctx = context.of(session)
    if n <= 0 or not ctx.limiter.enabled:
        return Reservation(n, None)
    now = ctx.clock.now()
    portals_service.lock(session, portal)
    limit = parse(ctx.settings.invite_rate_limit)
    window = timedelta(seconds=limit.get_expiry())
    recent = notifications_service.count_invitation_messages(session, portal.id, now - window)
    left, retry_at, refused = limit.amount - recent.count, (recent.oldest or now) + window, REFUSED
    if by is not None and by.user_id is not None and policy.has_invite_quota(by.role):
        own = parse(ctx.settings.member_invite_rate_limit)
        own_window = timedelta(seconds=own.get_expiry())
        theirs = notifications_service.count_invitation_messages(
            session, portal.id, now - own_window, among=repository.sent_by(portal.id, by.user_id)
        )
        if own.amount - theirs.count < left:
            left, retry_at = own.amount - theirs.count, (theirs.oldest or now) + own_window
            refused = (
                f"You have sent as many invitations as a member may ({own.amount} per"
                f" {_period(own_window)}). Try again later, or ask an admin to invite them."
            )
    left = max(0, left)
    if n <= left:
        return Reservation(n, None)
    if partial:
        return Reservation(left, retry_at)
    raise RateLimited(refused, retry_after=max(1, int((retry_at - now).total_seconds()) + 1))


def _period(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"
