"""Workspace links: asking to join a workspace through its link, and approving the request.

Declining needs nothing beyond the workspace (``workspaces.join_requests.decline``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from admit import context, policy
from admit.actor import Actor
from admit.errors import Checks, Conflict, JoinRequestNotInvitable, PortalLink
from admit.flows import workspace_links
from admit.invitations import pipeline
from admit.invitations import service as invitations_service
from admit.invitations.models import Invitation
from admit.invitations.options import check_options
from admit.links import service as links_service
from admit.links.domains import domain_allowed, domain_refused
from admit.members import service as members_service
from admit.members.models import Member
from admit.notifications import service as notifications_service
from admit.policy import UserType
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service
from admit.workspaces import join_requests
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import JOINED, JoinRequest, Workspace

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["MAX_APPROVERS_TOLD", "Approving", "approve", "approving", "existing_member", "request_to_join"]

MAX_APPROVERS_TOLD = 50
# Names go into "Name <address>" for the invitation; these would split or break it.
_NAME_UNSAFE = re.compile(r"[<>,;\"\t\r\n]+")


def request_to_join(
    session: Session,
    *,
    token: str,
    email: str,
    name: str,
    note: str | None = None,
    ip: str | None = None,
) -> JoinRequest:
    """Ask to join a workspace through its link: a pending join request for its internal users,
    who are told of it.

    Asking again while a request is pending changes nothing and answers the same, so nobody can
    learn through the link who has asked already.
    """
    links_service.rate_limits(session, token, ip)
    link = links_service.live_link_or_raise(session, token, taken=workspace_links.taken(session))
    if link.workspace_id is None:
        raise PortalLink("This is the portal's invite link: sign up instead.")
    noted = Checks()
    clean_note = ""
    with noted.of("note"):
        clean_note = join_requests.clean_note(note)
    address, clean_name = links_service.clean_person(email, name, noted)
    if not domain_allowed(address, link.allowed_domains):
        raise domain_refused(address)
    ctx = context.of(session)
    ctx.limiter.hit(
        f"link:address:{address}",
        ctx.settings.link_address_rate_limit,
        message="Several requests came from this address already. Try again later.",
    )
    workspace = workspaces_service.get(session, link.workspace_id)
    if workspace is None:  # the link's workspace is gone: so is the link
        raise links_service.gone()
    # Its places counted again while the link is held, as a portal link's sign-ups are
    # (``links.signups``): with N places, at most N requests however many arrive at once.
    link = links_service.hold(session, link)
    links_service.require_place(link, join_requests.places_taken(session, workspace.id))
    request, new = join_requests.create(
        session, workspace, link_id=link.id, email=address, name=clean_name, note=clean_note, ip=ip
    )
    if new:
        _tell_approvers(session, request, workspace)
    session.flush()
    return request


def _tell_approvers(session: Session, request: JoinRequest, workspace: Workspace) -> None:
    """The workspace's internal users hear of a new join request (or, if it has none, the
    portal's owners and admins), at most ``MAX_APPROVERS_TOLD`` of them."""
    in_workspace = workspaces_service.joined_user_ids(session, workspace.id)
    approvers = members_service.internal_users(
        session, workspace.portal_id, user_ids=in_workspace, limit=MAX_APPROVERS_TOLD
    )
    if not approvers:
        # Nobody internal in the workspace: those who may let anyone in, the owners and admins.
        approvers = members_service.internal_users(
            session,
            workspace.portal_id,
            roles=policy.roles_with(policy.Action.INVITE_INTERNAL),
            limit=MAX_APPROVERS_TOLD,
        )
    portal = portals_service.get_or_raise(session, workspace.portal_id)
    for user in approvers:
        to = user.address
        if to is None or to == request.email:  # never the one asking (someone in it already)
            continue
        notifications_service.enqueue(
            session,
            event_key=f"join_request:{request.id}:new:{user.id}",
            template="join_request_new",
            to=to,
            portal_id=portal.id,
            context={
                "portal_name": portal.name,
                "brand": portals_brand.for_message(session, portal),
                "workspace_name": workspace.name,
                "name": request.name,
                "email": request.email,
                "note": request.note,
                "link": workspaces_service.workspace_url(session, portal, workspace.id),
            },
        )


def existing_member(session: Session, portal_id: uuid.UUID, email: str) -> Member | None:
    """The active portal membership of ``email``, if any (approvers are shown this)."""
    user = members_service.get_user_by_email(session, email)
    if user is None:
        return None
    member = members_service.get_membership(session, portal_id, user.id)
    return member if member is not None and member.status == members_service.ACTIVE else None


@dataclass(frozen=True, slots=True)
class Approving:
    """What approving a join request will do for its person (``approve`` does it; the
    workspace's Join requests say it before): add someone active in the portal at once
    (``member``); put someone whose invitation to the portal still stands (``invitation``,
    pending, its link live) in the workspace on it, nothing made or sent again, its type and role
    kept; or invite them anew (``invites``), with the type and role chosen, which alone can make
    an owner."""

    member: Member | None = None
    invitation: Invitation | None = None

    @property
    def invites(self) -> bool:
        return self.member is None and self.invitation is None

    @property
    def shown(self) -> str:
        """Which of the three it is, as a page shows it and posts it back with Approve
        (``approve(shown=)``): "member:<id>", "invitation:<id>" or "new"."""
        if self.member is not None:
            return f"member:{self.member.id}"
        if self.invitation is not None:
            return f"invitation:{self.invitation.id}"
        return "new"


def approving(session: Session, actor: Actor, email: str) -> Approving:
    """What approving a join request from ``email`` into the actor's portal will do, now."""
    member = existing_member(session, actor.portal.id, email)
    if member is not None:
        return Approving(member=member)
    return Approving(invitation=invitations_service.live_pending_for(session, actor, email))


def approve(
    session: Session,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    user_type: str,
    role: str | None = None,
    shown: str | None = None,
) -> JoinRequest:
    """Approve a join request, choosing the user type (internal only for those allowed to invite
    internal users).

    Someone already active in the portal is added to the workspace at once (no new portal
    invitation; their membership is unchanged) and told by email. Anyone else is invited into
    the portal with the chosen type and role, through the invitation pipeline, and is in the
    workspace as Not Joined until they accept; if they already have a live pending invitation,
    that one stands, not sent again, and the type and role chosen now are neither checked nor
    used (the request records the invitation's): ``approving`` says which, before.

    ``shown``: what a page said approving would do (``Approving.shown``); if that is no longer
    what it does (the invitation was revoked or the member deactivated since), nothing is done
    and ``Conflict`` says to look again, rather than doing what the person was not told.
    """
    policy.require(actor.role, policy.Action.JOIN_REQUEST_APPROVE)
    request = join_requests.get_or_raise(session, actor, request_id)
    join_requests.require_pending(request)
    policy.user_type_of(user_type)
    workspace = request.workspace
    portal = actor.portal
    found = approving(session, actor, request.email)
    if shown is not None and shown != found.shown:
        raise Conflict(
            f"What approving does for {request.email} changed since the page was shown (their "
            "invitation or membership changed): look at the request again."
        )
    member = found.member

    if member is not None:
        before = workspaces_service.get_membership(session, workspace.id, member.user_id)
        workspaces_service.add_member(session, actor, workspace, member.user, joined=True)
        outcome, kept_type, kept_role, invitation_id = (
            # Someone who was in it already (joined) is told so, not that they were added.
            "already_in_workspace"
            if before is not None and before.status == JOINED
            else "added_to_workspace",
            member.user_type,
            member.role,
            None,
        )
    else:
        invitation, outcome = found.invitation, "invitation_pending"
        if invitation is None:
            invitation, outcome = _invite(session, actor, request, user_type, role)
        kept_type, kept_role, invitation_id = invitation.user_type, invitation.role, invitation.id
        # The workspace membership needs a user row; it has no password, no name (the name the
        # requester gave is the invitation's, not the account's) and no portal membership until
        # the invitation is accepted.
        user = members_service.get_or_create_user(session, request.email)
        workspaces_service.add_member(
            session, actor, workspace, user, joined=False, invitation_id=invitation_id
        )

    join_requests.record_approval(
        session,
        actor,
        request,
        outcome=outcome,
        user_type=kept_type,
        role=kept_role,
        invitation_id=invitation_id,
    )
    if outcome != "invited":  # the invitation email already says so
        notifications_service.enqueue_email(
            session,
            event_key=f"join_request:{request.id}:approved",
            template="join_request_approved",
            to=request.email,
            portal_id=portal.id,
            context={
                "portal_name": portal.name,
                "brand": portals_brand.for_message(session, portal),
                "workspace_name": workspace.name,
                "name": notifications_service.greeting_name(request.name, asked=True),
                "outcome": outcome,
                "link": f"{context.of(session).settings.public_url}/p/{portal.slug}",
            },
        )
    session.flush()
    return request


def _invite(
    session: Session, actor: Actor, request: JoinRequest, user_type: str, role: str | None
) -> tuple[Invitation, str]:
    """Invite a join request's person anew, as ``user_type`` (and ``role``), into the portal and
    its workspace: the invitation and the outcome ("invited", or "invitation_pending" for one
    made a moment ago by someone else)."""
    policy.require_rule(policy.check_approve_join_request(actor.role, user_type))
    options = check_options(
        actor,
        user_type=user_type,
        role=role if user_type == UserType.INTERNAL else None,
    )
    safe_name = _NAME_UNSAFE.sub(" ", request.name).strip()
    recipient = f"{safe_name} <{request.email}>" if safe_name else request.email
    result = pipeline.invite(
        session, actor, [recipient], options, workspace_name=request.workspace.name, via="join_request"
    ).results[0]
    if result.outcome is pipeline.Outcome.INVITED:
        outcome = "invited"
    elif result.code is pipeline.SkipCode.ALREADY_INVITED:
        outcome = "invitation_pending"
    else:
        raise JoinRequestNotInvitable(result.detail or "The invitation could not be made.")
    assert result.invitation is not None  # the one just made (loaded), or the one that stands
    return result.invitation, outcome
