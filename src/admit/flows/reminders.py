"""Scheduled invitation work the worker runs (``jobs.Worker.run_scheduled``): reminders of
pending invitations, and each inviter's daily digest of their invitations that expired.

Both are safe to run in any number of workers at once. A reminder is claimed by a conditional
update (``invitations.reminders.claim_due``); a digest by its outbox row, whose ``event_key``
names the portal, the inviter and the day (``notifications.service.enqueue_once``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from admit import context, policy
from admit.invitations import messages, reminders
from admit.invitations.models import Invitation
from admit.kit import text as kit_text
from admit.members import service as members_service
from admit.notifications import service as notifications_service
from admit.policy import Role, UserType
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service
from admit.workspaces import roles as roles_service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.portals.models import Portal

__all__ = ["remind_due", "send_digests"]

BATCH = 200


def remind_due(session: Session, *, limit: int = BATCH) -> int:
    """Claim the reminders that are due and queue their messages; returns how many."""
    claimed = reminders.claim_due(session, limit=limit)
    for due in claimed:
        workspace_name, flow_roles = roles_service.invitation_place(session, due.invitation.id)
        reminders.queue(session, due, workspace_name=workspace_name, flow_roles=flow_roles)
    return len(claimed)


def digest_key(portal_id: uuid.UUID, user_id: uuid.UUID, day: str) -> str:
    """At most one digest per inviter, portal and (UTC) day."""
    return f"invitation_digest:{portal_id}:{user_id}:{day}"


def send_digests(session: Session) -> int:
    """Queue yesterday's (UTC) digest for each inviter whose invitations expired unaccepted
    then, unless it is queued already; returns how many this call queued.

    An inviter who is no longer an active member of the portal, or who has no email address,
    gets none. Each person listed has a Reinvite link to their row in User Management (filtered
    to expired) when the inviter may reinvite; otherwise the digest says whom to ask."""
    ctx = context.of(session)
    start, end = reminders.day_of(ctx.clock.now())
    day = start.date().isoformat()
    groups: dict[tuple[uuid.UUID, uuid.UUID], list[Invitation]] = defaultdict(list)
    for invitation in reminders.expired_between(session, start, end):
        if invitation.invited_by_id is not None:
            groups[(invitation.portal_id, invitation.invited_by_id)].append(invitation)
    if not groups:
        return 0
    portals = portals_service.by_ids(session, {portal_id for portal_id, _ in groups})
    users = members_service.users_by_id(session, list({user_id for _, user_id in groups}))
    queued = 0
    for (portal_id, user_id), invitations in groups.items():
        user = users.get(user_id)
        member = members_service.get_membership(session, portal_id, user_id)
        if user is None or not user.email or member is None or member.status != members_service.ACTIVE:
            continue
        portal = portals[portal_id]
        queued += notifications_service.enqueue_once(
            session,
            event_key=digest_key(portal_id, user_id, day),
            template=reminders.DIGEST_TEMPLATE,
            to=user.email,
            portal_id=portal_id,
            user_id=user_id,  # the digest is a kind they may turn off (``notifications.preferences``)
            context=_digest_context(
                ctx.settings.public_url,
                portal,
                inviter_name=user.label,
                can_reinvite=policy.can(Role(member.role), policy.Action.INVITATION_RESEND),
                day_text=kit_text.day_text(start),  # the UTC day it is about
                invitations=invitations,
            ),
        )
    return queued


def _digest_context(
    public_url: str,
    portal: Portal,
    *,
    inviter_name: str,
    can_reinvite: bool,
    day_text: str,
    invitations: list[Invitation],
) -> dict[str, Any]:
    people = [
        {
            "name": invitation.recipient_name,
            # A number as the pages write it; the moment as the invitation's page says it, in the
            # portal's time zone ("5 December 2026 at 10:00 EST"), where it was "15:00 UTC".
            "address": kit_text.readable_phone(invitation.recipient),
            "expired_at_text": kit_text.moment_text(invitation.expires_at, portal.time_zone),
            "link": messages.reinvite_url(
                public_url, portal, recipient=invitation.recipient, user_type=invitation.user_type
            ),
        }
        for invitation in invitations
    ]
    tabs = {invitation.user_type for invitation in invitations}
    return {
        "portal_name": portal.name,
        "brand": portals_brand.email_context(portal, public_url),
        "inviter_name": inviter_name,
        "day_text": day_text,
        "people": people,
        "can_reinvite": can_reinvite,
        "list_link": messages.reinvite_url(
            public_url, portal, user_type=tabs.pop() if len(tabs) == 1 else UserType.INTERNAL
        ),
    }
