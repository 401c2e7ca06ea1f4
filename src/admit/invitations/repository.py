"""Named queries on the invitations table (the only module outside ``invitations`` may ask)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from admit import context
from admit.invitations.models import PENDING, Invitation
from admit.kit.bulk import one_of

__all__ = ["get", "live_ids", "names_given", "pending_by_address"]


def get(session: Session, invitation_id) -> Invitation | None:
    return session.get(Invitation, invitation_id)


def names_given(session: Session, portal_id, addresses) -> dict:
    """``{address: name}``: the name a portal's invitations gave each address (the latest one
    that gave a name)."""
    wanted = [a for a in set(addresses) if a]
    if not wanted:
        return {}
    names: dict = {}
    for recipient, given in session.execute(
        select(Invitation.recipient, Invitation.recipient_name)
        .where(Invitation.portal_id == portal_id, Invitation.recipient.in_(wanted))
        .order_by(Invitation.created_at)
    ):
        if given:
            names[recipient] = given
    return names


def pending_by_address(session: Session, portal_id, addresses) -> dict:
    """``{address: Invitation}``: the invitation still marked pending (perhaps past its expiry)
    for each of the normalised ``addresses`` that has one (at most one each: a unique index)."""
    wanted = [a for a in set(addresses) if a]
    if not wanted:
        return {}
    return {
        inv.recipient: inv
        for inv in session.scalars(
            select(Invitation).where(
                Invitation.portal_id == portal_id,
                Invitation.status == PENDING,
                one_of(session, Invitation.recipient, wanted),
            )
        )
    }


def live_ids(session: Session, invitation_ids) -> set:
    """Those of ``invitation_ids`` still pending and unexpired."""
    ids = [i for i in set(invitation_ids) if i is not None]
    if not ids:
        return set()
    now = context.of(session).clock.now()
    return set(
        session.scalars(
            select(Invitation.id).where(
                Invitation.id.in_(ids), Invitation.status == PENDING, Invitation.expires_at > now
            )
        )
    )
