"""The one per-recipient answer every face gives (API, CLI): each result with its invitation and
that invitation's delivery, and the counts per outcome; and invitations as every face shows them
(``invitation_reads``: each with its newest message's delivery), and sign-ups through the invite
link likewise (``signup_reads``: each with its newest confirmation email's delivery)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from admit.invitations.codes import SkipCode
from admit.invitations.pipeline import reactivate_said, resend_said
from admit.invitations.schemas import ASKING, InvitationRead, OutcomeName, RecipientResults
from admit.links import signups
from admit.links.schemas import LinkSignupRead
from admit.notifications import service as notifications_service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.invitations.models import Invitation
    from admit.invitations.pipeline import RecipientResult
    from admit.links.models import LinkSignup


__all__ = ["invitation_reads", "recipient_results", "signup_reads"]


def recipient_results(
    session: Session,
    results: Sequence[RecipientResult],
    *,
    outcomes: tuple[OutcomeName, ...] = ASKING,
    resend_how: Callable[[Invitation], str] = lambda invitation: f"POST …/invitations/{invitation.id}/resend",
    reactivate_how: Callable[[str], str] | None = None,
) -> RecipientResults:
    """``RecipientResults`` for pipeline results (one query for the deliveries), counting
    ``outcomes`` (a resend's: ``RESENDING``). Someone already invited is told how to send their
    invitation again as the face does it (``resend_how``: the API's operation, by default; the
    CLI's command), not by the pages' Reinvite button; a deactivated member, given
    ``reactivate_how`` (the CLI's command, given their address), how to reactivate them."""
    ids = [r.invitation.id for r in results if r.invitation is not None]
    latest = notifications_service.latest_for_invitations(session, ids)
    told = [
        replace(r, detail=resend_said(r.detail, resend_how(r.invitation)))
        if r.code == SkipCode.ALREADY_INVITED and r.invitation is not None
        else replace(r, detail=reactivate_said(r.detail, reactivate_how(r.address)))
        if r.code == SkipCode.MEMBER_DEACTIVATED and r.address and reactivate_how is not None
        else r
        for r in results
    ]
    return RecipientResults.of(told, latest, outcomes=outcomes)


def invitation_reads(session: Session, invitations: Sequence[Invitation]) -> list[InvitationRead]:
    """``InvitationRead`` for each invitation, with its newest message's delivery (one query)."""
    latest = notifications_service.latest_for_invitations(session, [i.id for i in invitations])
    return [InvitationRead.of(i, latest.get(i.id)) for i in invitations]


def signup_reads(session: Session, records: Sequence[LinkSignup]) -> list[LinkSignupRead]:
    """``LinkSignupRead`` for each sign-up, with its newest confirmation email's delivery (one
    query for all)."""
    found = signups.confirmation_deliveries(session, [s.id for s in records])
    return [LinkSignupRead.of(s, found.get(s.id)) for s in records]
