"""Resending a portal invitation (User Management's Reinvite, on a row, in the Invite report and the
selection bar): the new message
names the workspace the invitation also brings its recipient into, if any, and the roles they
hold there as it is sent. Revoking one (every
face's Revoke, a bulk revoke, a directory's): its person leaves the workspaces they were Not
Joined in on it (``workspace_people.invitation_revoked``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from admit import policy
from admit.actor import Actor
from admit.errors import DomainError, InvitationNotFound
from admit.flows import workspace_people
from admit.invitations import service as invitations_service
from admit.invitations.models import Invitation
from admit.workspaces import roles as roles_service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["RESEND_ERRORS", "resend", "revoke"]

# What refuses Resend (the API declares these): no such invitation, and what resending one can.
RESEND_ERRORS: tuple[type[DomainError], ...] = (InvitationNotFound, *invitations_service.REISSUE_ERRORS)


def resend(session: Session, actor: Actor, invitation_id: uuid.UUID) -> Invitation:
    """Send a new link (Resend / Reinvite); every earlier link of this invitation dies.

    Allowed while the invitation is pending, and also once it has expired (seed 004: Reinvite
    after the window); refused with ``invitation_not_pending`` once accepted or revoked.
    """
    policy.require(actor.role, policy.Action.INVITATION_RESEND)
    invitation = invitations_service.get_or_raise(session, actor, invitation_id)
    workspace_name, flow_roles = roles_service.invitation_place(session, invitation.id)
    return invitations_service.reissue(
        session, actor, invitation, workspace_name=workspace_name, flow_roles=flow_roles
    )


def revoke(session: Session, actor: Actor, invitation_id: uuid.UUID) -> Invitation:
    """Revoke a pending or expired invitation (``invitations.service.revoke``: its link stops
    working; a revoked one changes nothing; an accepted one is refused), and take its person out
    of the workspaces they were Not Joined in (``workspace_people.invitation_revoked``): one
    meaning of Revoked for User Management, the Members panel, the Invite box, the API and the
    CLI."""
    invitation = invitations_service.revoke(session, actor, invitation_id)
    workspace_people.invitation_revoked(session, actor, invitation)
    return invitation
