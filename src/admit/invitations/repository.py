"""Named queries on the invitations table (the only module outside ``invitations`` may ask)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from admit.invitations.models import Invitation

__all__ = ["names_given"]


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
