"""Reminders of pending invitations, and what the inviters' daily digest of expired ones lists.

**Schedule.** A portal's ``invitation_reminders`` (Settings: 0, 1 or 2; 0 turns them off)
spreads that many reminders evenly over an invitation's lifetime, counted from its latest send:
with two, at one third and two thirds; with one, half way. ``next_reminder_at`` holds the next
one (None: no more). It is set when the invitation is sent (``pipeline``) and again by Resend,
which starts the schedule over from the new send; accepting, revoking and expiry clear it. The
portal's setting is read again when a reminder falls due, so turning reminders down or off
stops them for invitations already pending too.

**Once per due moment.** ``claim_due`` is the worker's step (``flows.reminders``): it takes
rows whose ``next_reminder_at`` has passed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any
number of workers share them; SQLite's write lock serialises the rest) and moves each one on
with a conditional update that matches only the values it read (``next_reminder_at`` and
``reminders_sent``). The reminder's token, message and audit event are written in that same
transaction, so a claim that does not commit sends nothing and the next pass claims it again.
Its message's ``event_key`` names the send and the reminder: the outbox refuses a second one.
A worker that was away long enough for two moments to pass sends one reminder, the latest.

**The link.** Only a secret's hash is kept, so a reminder cannot carry the link already sent.
It carries a new token of the same invitation, issued *beside* the live one (``supersede`` off):
the link the person may already have keeps working, and so does the reminder's, until the
invitation ends. Accepting by either uses them all (``service.claim``); revoking, Resend and
expiry end them all, as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from admit import context
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import rowcount
from admit.errors import InvitationNotGrantable, MemberDeactivated
from admit.invitations import messages
from admit.invitations import service as invitations_service
from admit.invitations.models import PENDING, UNANSWERED, Invitation
from admit.invitations.schedule import reminder_at
from admit.kit.text import day_text
from admit.members import service as members_service
from admit.notifications import service as notifications_service
from admit.notifications.held_roles import Held
from admit.portals import service as portals_service
from admit.tokens import service as tokens

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.portals.models import Portal

__all__ = [
    "DIGEST_TEMPLATE",
    "TEMPLATE",
    "Due",
    "claim_due",
    "expired_between",
    "day_of",
    "queue",
]

TEMPLATE = "invitation_reminder"
DIGEST_TEMPLATE = "invitation_digest"


def event_key(invitation_id: uuid.UUID, send_count: int, number: int) -> str:
    """One message per invitation, send and reminder."""
    return f"{messages.event_key(invitation_id, send_count)}:reminder:{number}"


@dataclass(frozen=True, slots=True)
class Due:
    """A reminder this worker claimed: the invitation, which reminder, of how many."""

    invitation: Invitation
    portal: Portal
    number: int
    planned: int


def _grantable(session: Session, invitation: Invitation) -> bool:
    try:
        invitations_service.require_grantable(session, invitation)
    except (InvitationNotGrantable, MemberDeactivated):
        return False
    return True


def claim_due(session: Session, *, limit: int = 200) -> list[Due]:
    """Claim up to ``limit`` reminders that are due (see the module); rows that need none any
    more (accepted, revoked, expired, the portal's setting lowered, an inviter who can no
    longer grant it) have their schedule cleared instead."""
    now = context.of(session).clock.now()
    query = (
        select(Invitation.id)
        .where(Invitation.next_reminder_at <= now)
        .order_by(Invitation.next_reminder_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    rows = list(
        session.scalars(
            select(Invitation).where(Invitation.id.in_(ids)).execution_options(populate_existing=True)
        )
    )
    portals = portals_service.by_ids(session, {row.portal_id for row in rows})
    claimed: list[Due] = []
    done: list[uuid.UUID] = []
    for row in rows:
        portal = portals[row.portal_id]
        planned = portal.invitation_reminders
        number = row.reminders_sent + 1
        sent_at = row.last_sent_at or row.created_at
        live = row.status == PENDING and row.expires_at > now and number <= planned
        if not live or not _grantable(session, row):
            done.append(row.id)
            continue
        # A worker away long enough for two moments to pass sends one reminder, the latest.
        while (
            later := reminder_at(sent_at, row.expires_at, number + 1, planned)
        ) is not None and later <= now:
            number += 1
        moved = rowcount(
            session.execute(
                update(Invitation)
                .where(
                    Invitation.id == row.id,
                    Invitation.next_reminder_at == row.next_reminder_at,
                    Invitation.reminders_sent == row.reminders_sent,
                    Invitation.status == PENDING,
                    Invitation.expires_at > now,
                )
                .values(
                    next_reminder_at=reminder_at(sent_at, row.expires_at, number + 1, planned),
                    reminders_sent=number,
                    last_reminded_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        )
        if moved == 1:
            session.refresh(row)
            claimed.append(Due(row, portal, number, planned))
    if done:
        session.execute(
            update(Invitation)
            .where(Invitation.id.in_(done), Invitation.next_reminder_at <= now)
            .values(next_reminder_at=None)
            .execution_options(synchronize_session=False)
        )
    return claimed


def queue(
    session: Session, due: Due, *, workspace_name: str | None = None, flow_roles: Sequence[Held] = ()
) -> None:
    """Write one claimed reminder: a new link beside the live one, its message in the outbox
    and an ``invitation.reminded`` audit event (by the system). ``workspace_name``: the
    workspace the message names; ``flow_roles``: the roles its person holds now in each workspace
    the invitation brings them into."""
    ctx = context.of(session)
    invitation, portal = due.invitation, due.portal
    token = tokens.issue(
        session, tokens.Purpose.INVITATION, invitation.id, expires_at=invitation.expires_at, supersede=False
    )
    inviter = invitation.inviter_name(portal.name)
    notifications_service.enqueue(
        session,
        event_key=event_key(invitation.id, invitation.send_count, due.number),
        template=TEMPLATE,
        to=invitation.recipient,
        portal_id=portal.id,
        invitation_id=invitation.id,
        context={
            **messages.context_for(
                public_url=ctx.settings.public_url,
                portal=portal,
                recipient=invitation.recipient,
                recipient_name=invitation.recipient_name,
                user_type=invitation.user_type,
                role=invitation.role,
                message=invitation.message,
                token=token,
                expires_at=invitation.expires_at,
                inviter_name=inviter,
                workspace_name=workspace_name,
                flow_roles=flow_roles,
                asked=invitation.asked,
                account=members_service.known_accounts(session, [invitation.recipient]).get(
                    invitation.recipient
                ),
            ),
            "sent_at_text": day_text(invitation.last_sent_at or invitation.created_at, portal.time_zone),
        },
    )
    audit_service.record(
        session,
        Actor(portal=portal, role=None),
        "invitation.reminded",
        target_type="invitation",
        target_id=invitation.id,
        target_label=invitation.recipient,
        detail={
            "reminder": due.number,
            "of": due.planned,
            "send_count": invitation.send_count,
            "name": invitation.recipient_name,
        },
    )


def expired_between(session: Session, start: datetime, end: datetime) -> list[Invitation]:
    """Invitations that expired unaccepted in ``[start, end)`` and that someone made (the
    inviters' digest): not revoked, not sent again since (Resend moves the expiry), and not
    followed by a newer invitation of the same address to the same portal. Ordered by portal,
    inviter and expiry."""
    newer = aliased(Invitation)
    return list(
        session.scalars(
            select(Invitation)
            .where(
                Invitation.expires_at >= start,
                Invitation.expires_at < end,
                Invitation.status.in_(UNANSWERED),
                Invitation.invited_by_id.is_not(None),
                ~exists().where(
                    newer.portal_id == Invitation.portal_id,
                    newer.recipient == Invitation.recipient,
                    newer.created_at > Invitation.created_at,
                ),
            )
            .order_by(Invitation.portal_id, Invitation.invited_by_id, Invitation.expires_at)
        )
    )


def day_of(moment: datetime) -> tuple[datetime, datetime]:
    """The UTC day before the one ``moment`` is in: ``[start, end)`` (what a digest covers)."""
    end = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return end - timedelta(days=1), end
