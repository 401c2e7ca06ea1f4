"""The one per-recipient answer every face gives (API, CLI): each result with its invitation and
that invitation's delivery, and the counts per outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

from admit.invitations.schemas import RecipientResults
from admit.notifications import service as notifications_service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["recipient_results"]


def recipient_results(session: Session, results) -> RecipientResults:
    """``RecipientResults`` for pipeline results (one query for the deliveries)."""
    ids = [r.invitation.id for r in results if r.invitation is not None]
    return RecipientResults.of(results, notifications_service.latest_for_invitations(session, ids))
