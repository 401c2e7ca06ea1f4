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

from admit import context
from admit.errors import RateLimited
from admit.notifications import service as notifications_service
from admit.portals import service as portals_service

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.portals.models import Portal


__all__ = ["Reservation", "reserve"]

REFUSED = "This portal has sent too many invitations recently. Try again later."


@dataclass(frozen=True, slots=True)
class Reservation:
    granted: int  # messages that may go now
    retry_at: datetime | None  # when more may go, if fewer were granted than asked


def reserve(session: Session, portal: Portal, n: int, *, partial: bool = False) -> Reservation:
    """Take ``n`` messages from the portal's limit. All of them or none (``RateLimited``, with
    ``retry_after``); with ``partial`` as many as fit (an import pauses for the rest).

    The portal row stays locked until the caller's transaction ends, so the messages it queues
    are counted before anyone else looks."""
    ctx = context.of(session)
    if n <= 0 or not ctx.limiter.enabled:
        return Reservation(n, None)
    limit = parse(ctx.settings.invite_rate_limit)
    window = timedelta(seconds=limit.get_expiry())
    now = ctx.clock.now()
    portals_service.lock(session, portal)
    recent = notifications_service.count_invitation_messages(session, portal.id, now - window)
    left = max(0, limit.amount - recent.count)
    if n <= left:
        return Reservation(n, None)
    retry_at = (recent.oldest or now) + window
    if partial:
        return Reservation(left, retry_at)
    raise RateLimited(REFUSED, retry_after=max(1, int((retry_at - now).total_seconds()) + 1))
