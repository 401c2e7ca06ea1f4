"""Bounces and complaints in, from the email provider (``notifications.bounces``), and each
portal's suppression list for its owners and admins."""

from __future__ import annotations

import base64
import hmac

from fastapi import Request
from pydantic import BaseModel

from admit.api.deps import ActorDep, Limit
from admit.api.errors import problems
from admit.api.openapi import ACTOR_ERRORS
from admit.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from admit.kit.routing import Router
from admit.notifications import bounces
from admit.web import SessionDep, SettingsDep

router = Router(tags=["email events"])


class EventsRecorded(BaseModel):
    events: int  # hard bounces and complaints in the callback
    suppressed: int  # of them, addresses a portal had written to (now on its list)


def _secret_given(request: Request) -> str:
    """The shared secret, as the provider can send it: ``?secret=``, an ``X-Admit-Secret``
    header, or HTTP Basic auth's password (Postmark's webhook URL ``https://user:secret@…``)."""
    given = request.query_params.get("secret") or request.headers.get("x-admit-secret") or ""
    authorization = request.headers.get("authorization", "")
    if not given and authorization.lower().startswith("basic "):
        try:
            given = base64.b64decode(authorization[6:]).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            given = ""
    return given


@router.post(
    "/email-events/{provider}",
    response_model=EventsRecorded,
    operation_id="email_events_record",
    responses=problems(NotAuthenticated, NotFound, InvalidInput),
)
async def record_email_events(
    provider: str, request: Request, session: SessionDep, settings: SettingsDep
) -> EventsRecorded:
    """The provider's bounce and complaint callback (``generic``, ``postmark``, ``ses`` by
    SNS), authenticated by ``ADMIT_EMAIL_EVENTS_SECRET``. A hard bounce or a complaint marks the
    message bounced and suppresses the address for the portal that wrote to it."""
    if not settings.email_events_secret or provider not in bounces.PROVIDERS:
        raise NotFound("There is nothing here.")
    if not hmac.compare_digest(_secret_given(request).encode(), settings.email_events_secret.encode()):
        raise NotAuthenticated("The email events secret is missing or wrong.")
    events = bounces.parse(provider, await request.body())
    suppressed = sum(bounces.record(session, event, source=provider) for event in events)
    return EventsRecorded(events=len(events), suppressed=suppressed)


class SuppressionRead(BaseModel):
    address: str
    reason: str
    detail: str
    source: str


class SuppressionPage(BaseModel):
    items: list[SuppressionRead]
    next_cursor: str | None


@router.get(
    "/portals/{portal}/suppressions",
    response_model=SuppressionPage,
    operation_id="suppressions_list",
    responses=problems(*ACTOR_ERRORS, PermissionDenied, InvalidInput),
)
def list_suppressions(
    actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> SuppressionPage:
    """Addresses the portal no longer writes to, newest first, a page at a time."""
    rows, next_cursor = bounces.listed(session, actor, cursor=cursor, limit=limit)
    return SuppressionPage(
        items=[
            SuppressionRead(address=r.address, reason=r.reason, detail=r.detail, source=r.source)
            for r in rows
        ],
        next_cursor=next_cursor,
    )


@router.delete(
    "/portals/{portal}/suppressions/{address}",
    status_code=204,
    operation_id="suppressions_lift",
    responses=problems(*ACTOR_ERRORS, PermissionDenied, NotFound),
)
def lift_suppression(address: str, actor: ActorDep, session: SessionDep) -> None:
    """Write to ``address`` again (its owner fixed it); Resend then works."""
    if not bounces.lift(session, actor, address):
        raise NotFound(f"{address} is not on the suppression list.")
