"""Invitations after they are made: read, list, resend, revoke, expire, and open or claim one
by its link.

Making invitations is ``invitations.pipeline.invite`` (every way in). Joining the portal with an
accepted invitation (membership, workspaces) is ``flows.join``; this module only opens and
claims the invitation itself.

Each public function is one unit of change in the caller's transaction: it checks permissions
through ``policy``, writes, queues its messages through ``notifications.service`` and records an
audit event. Nothing here commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Update, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import rowcount
from admit.errors import (
    AddressSuppressed,
    Checks,
    Conflict,
    DomainError,
    InvalidInput,
    InvitationGone,
    InvitationNotFound,
    InvitationNotGrantable,
    InvitationNotPending,
    MemberDeactivated,
    PermissionDenied,
    RateLimited,
    RecipientRateLimited,
)
from admit.invitations import messages, pipeline, repository, sending
from admit.invitations.models import ACCEPTED, EXPIRED, PENDING, REVOKED, STATUSES, UNANSWERED, Invitation
from admit.invitations.options import check_options
from admit.invitations.schedule import reminder_at
from admit.kit import search
from admit.kit.bulk import one_of
from admit.kit.ids import looks_partial, whole_id
from admit.kit.pagination import count_all, page
from admit.kit.text import moment_text, readable_phone
from admit.members import service as members_service
from admit.members.addresses import MAX_NAME, recipients_by_element, split_recipients, typo_suggestion
from admit.notifications import service as notifications_service
from admit.notifications.held_roles import Held
from admit.policy import UserType
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service
from admit.tokens import service as tokens

if TYPE_CHECKING:  # a row of a shared domain, named in annotations only
    from admit.portals.models import Portal

log = logging.getLogger("admit.invitations")

__all__ = [
    "MAX_RECIPIENTS_PER_REQUEST",
    "REISSUE_ERRORS",
    "by_id_or_address",
    "claim",
    "claim_pending_for",
    "joined_as",
    "pending_addresses",
    "pending_for",
    "live_pending_for",
    "count_invitations",
    "expire_due",
    "get_or_raise",
    "invite",
    "is_open",
    "list_invitations",
    "meant",
    "open_by_token",
    "require_grantable",
    "used_by_link",
    "DeadLink",
    "dead_link",
    "refused",
    "reissue",
    "resend_waits",
    "NewRequested",
    "request_new",
    "change_offer",
    "rename",
    "revoke",
    "would_invite",
]

INVITATION = tokens.Purpose.INVITATION
MAX_RECIPIENTS_PER_REQUEST = pipeline.MAX_RECIPIENTS_PER_REQUEST


def meant(typed: str) -> str | None:
    """The address one recipient as typed ("cat@gmial.com", "Cat <cat@gmial.com>") was meant to
    be, when its domain is a known typo ("cat@gmail.com": ``typo_suggestion``), else None: the
    Invite box's chip offers it, and the Invite report's "Invite cat@gmail.com" after Send."""
    bare = typed.rsplit("<", 1)[-1].rstrip(">").strip()
    suggestion = typo_suggestion(bare) if "@" in bare else None
    return suggestion.lower() if suggestion else None


@dataclass(frozen=True, slots=True)
class CheckedRecipient:
    """One recipient of the Invite box as it will be read: the address, or why it is not one
    (and, for a mistyped domain, the address meant); ``duplicate`` when listed before; ``skip``
    and ``detail`` when Send would skip this address (already a member, already invited…:
    ``pipeline.classify``, the same decision); ``colleague`` when the address looks like a
    colleague's of whoever asks (``members.service.colleagues_among``)."""

    text: str
    name: str
    address: str | None
    error: str | None
    suggestion: str | None
    duplicate: bool
    skip: str | None = None
    detail: str | None = None
    colleague: bool = False

    @property
    def state(self) -> str:
        """Where the Invite box counts this recipient: ``to_fix`` (no
        address, or something to fix), ``listed_twice``, ``skipped`` (Send would skip it) or
        ``to_invite``. The one rule of the box's counts (``recipients/check``); the page counts
        these, deciding nothing."""
        if self.address is None or self.error is not None:
            return "to_fix"
        if self.duplicate:
            return "listed_twice"
        return "skipped" if self.skip is not None else "to_invite"

    @property
    def sendable(self) -> bool:
        """Send would invite this recipient: an address, nothing to fix, not listed before, not
        skipped (``state``). What the Invite box counts on its Send (``recipients/check``)."""
        return self.state == "to_invite"


def check_recipients(
    session: Session, actor: Actor, text: str, *, one: bool = False
) -> list[CheckedRecipient]:
    """What the Invite box would make of ``text`` (typed or pasted), recipient by recipient,
    before anything is sent: the same splitting and address rules as ``invite``. ``one``: the
    text is one person's (a Contacts dialog's address), so an empty one is their address, empty,
    refused as ``invite`` refuses it. Writes nothing."""
    if not policy.can(actor.role, policy.Action.INVITE_CLIENT):
        policy.require(actor.role, policy.Action.INVITE_INTERNAL)
    texts = split_recipients(text or "") or ([text or ""] if one else [])
    if len(texts) > MAX_RECIPIENTS_PER_REQUEST:
        raise InvalidInput(
            f"At most {MAX_RECIPIENTS_PER_REQUEST} recipients are checked at once; "
            "a longer list becomes an import.",
            field="text",
        )
    seen: set[str] = set()
    parsed = [members_service.parse_recipient(session, typed) for typed in texts]
    # What Send would skip, decided as Send decides it, once per address (a second listing is
    # ``duplicate`` below).
    # Each address with the name first typed with it: Send refuses a name too long too.
    names: dict[str, str] = {}
    for p in parsed:
        if p.address is not None:
            names.setdefault(p.address, p.name)
    addresses = list(names)
    decided = pipeline.classify(
        session, actor, [pipeline.Recipient(raw=a, address=a, name=names[a]) for a in addresses]
    )
    skips = {
        address: result for address, result in zip(addresses, decided, strict=True) if result is not None
    }
    colleagues = members_service.colleagues_among(session, actor, addresses)
    out = []
    for typed, recipient in zip(texts, parsed, strict=True):
        address = recipient.address
        suggestion = meant(typed) if recipient.error else None
        duplicate = address is not None and address in seen
        skipped = skips.get(address) if address is not None and not duplicate else None
        error = recipient.error
        if skipped is not None and skipped.code == pipeline.SkipCode.INVALID_RECIPIENT:
            error, skipped = skipped.detail, None  # not sent as typed (a name too long): fix it first
        out.append(
            CheckedRecipient(
                text=typed,
                name=recipient.name,
                address=address,
                error=error,
                suggestion=suggestion,
                duplicate=duplicate,
                skip=str(skipped.code) if skipped is not None else None,
                detail=skipped.detail if skipped is not None else None,
                colleague=address in colleagues,
            )
        )
        if address is not None:
            seen.add(address)
    return out


def would_invite(
    session: Session,
    actor: Actor,
    *,
    recipients: str,
    user_type: str,
    role: str | None = None,
    products: list[str] | None = None,
    message: str | None = None,
) -> list[CheckedRecipient]:
    """Whom ``invite`` would invite of the typed ``recipients``, writing nothing: its options
    checked first as it checks them (``check_options``: what it refuses, it refuses here), then
    each recipient decided as it decides them (``check_recipients``): the sendable ones, those
    to fix left out as Send leaves them out."""
    check_options(actor, user_type=user_type, role=role, products=products, message=message)
    return [c for c in check_recipients(session, actor, recipients) if c.sendable]


def invite(
    session: Session,
    actor: Actor,
    *,
    recipients: list[str] | str,
    user_type: str,
    role: str | None = None,
    products: list[str] | None = None,
    message: str | None = None,
    faults: Checks | None = None,
) -> pipeline.Batch:
    """Invite the recipients typed or pasted (emails or phone numbers; ``Name <address>``),
    each with its own result: the Invite modal, ``POST …/invitations`` and ``admit invite``.
    A list's results each say the element they came from (``index``), a blank element's too
    (``members.addresses.recipients_by_element``).

    The whole request is checked first (type, role, products, message, at most
    ``MAX_RECIPIENTS_PER_REQUEST``: errors name the field and nothing is written; ``faults``:
    the caller's, said with them); then the
    recipients go through the pipeline together.
    """
    options = check_options(
        actor, user_type=user_type, role=role, products=products, message=message, faults=faults
    )
    listed: list[tuple[int | None, str]] = (
        [(None, text) for text in split_recipients(recipients)]
        if isinstance(recipients, str)
        else list(recipients_by_element(recipients))
    )
    texts = [text for _, text in listed]
    if not texts:
        raise InvalidInput("Give at least one recipient.", field="recipients")
    if len(texts) > MAX_RECIPIENTS_PER_REQUEST:
        raise InvalidInput(
            f"At most {MAX_RECIPIENTS_PER_REQUEST} recipients per request; upload a file for more.",
            field="recipients",
        )
    batch = pipeline.invite(session, actor, texts, options)
    # One result per text, in order (``pipeline.Batch``): each says the element it came from.
    for result, (index, _) in zip(batch.results, listed, strict=True):
        result.index = index
    pipeline.hide_unseen(actor, batch.results)
    return batch


def get_or_raise(session: Session, actor: Actor, invitation_id: uuid.UUID) -> Invitation:
    """An invitation of the actor's portal that the actor may see; 404 otherwise."""
    policy.require(actor.role, policy.Action.INVITATION_VIEW)
    invitation = session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.portal_id != actor.portal.id
        or not policy.sees_invitation(actor.role, invitation.user_type)
    ):
        raise InvitationNotFound("No such invitation in this portal.")
    return invitation


def deliveries(
    session: Session, actor: Actor, invitation_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[messages.Delivery], str | None]:
    """The invitation's delivery history (``messages.history``), newest first, for whoever may
    see the invitation (``get_or_raise``: else ``invitation_not_found``)."""
    invitation = get_or_raise(session, actor, invitation_id)
    return messages.history(session, invitation.id, cursor=cursor, limit=limit)


def visible_by_id(
    session: Session, actor: Actor, invitation_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Invitation]:
    """``{id: Invitation}`` of those ``invitation_ids`` the actor may see in its portal (as the
    list shows them), in one query; an id that is not one is left out."""
    ids = list(set(invitation_ids))
    if not ids:
        return {}
    query = _visible(session, actor, status=None, user_type=None, open_only=False)
    return {i.id: i for i in session.scalars(query.where(one_of(session, Invitation.id, ids)))}


def by_id_or_address(session: Session, actor: Actor, text: str) -> Invitation:
    """The invitation ``text`` names, as typed at the console: its id, or its recipient's email
    address or phone number (as ``members.service.member_by_address`` reads one). By address:
    the one that stands (pending, not lapsed), else the one that lapsed, else (none open) the
    latest to that address, accepted or revoked, so a command answers as it does given that
    one's id (revoking twice: nothing changed); 404 when the address has none, and
    ``InvalidInput`` naming each when several lapsed (give the id), or when ``text`` is a piece
    of an id (``kit.ids.looks_partial``: the first characters of one), not an address."""
    invitation_id = whole_id(text)
    if invitation_id is not None:
        return get_or_raise(session, actor, invitation_id)
    parsed = members_service.parse_recipient(session, text)
    if parsed.address is None and looks_partial(text):
        raise InvalidInput(
            f"“{text.strip()}” is not a whole id: give the invitation's full id, or its recipient's "
            "email address or phone number."
        )
    if parsed.address is None:
        raise InvalidInput(parsed.error or "An invitation's id, or its recipient's email or phone number.")
    query = _visible(session, actor, status=None, user_type=None, open_only=True).where(
        Invitation.recipient == parsed.address, Invitation.status.in_(UNANSWERED)
    )
    found = list(session.scalars(query.order_by(Invitation.created_at)))
    now = context.of(session).clock.now()
    standing = [i for i in found if i.effective_status(now) == PENDING]
    if standing or len(found) == 1:
        return (standing or found)[0]
    if not found:
        latest = session.scalars(
            _visible(session, actor, status=None, user_type=None, open_only=False)
            .where(Invitation.recipient == parsed.address)
            .order_by(Invitation.created_at.desc())
            .limit(1)
        ).first()
        if latest is None:
            raise InvitationNotFound(f"No invitation to {readable_phone(parsed.address)} in this portal.")
        return latest
    ids = ", ".join(str(i.id) for i in found)
    raise InvalidInput(
        f"{readable_phone(parsed.address)} has {len(found)} expired invitations: "
        f"give the id of the one you mean ({ids})."
    )


def list_invitations(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    user_type: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
    open_only: bool = False,
) -> tuple[list[Invitation], str | None]:
    """Invitations of the portal that the actor may see, newest first. ``open_only`` leaves out
    accepted ones (they are members now). ``q``: those a search for it finds, as User Management
    finds them (``repository.matching``)."""
    query = _visible(session, actor, status=status, user_type=user_type, q=q, open_only=open_only)
    return page(session, query, Invitation, cursor=cursor, limit=limit)


def count_invitations(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    user_type: str | None = None,
    q: str | None = None,
    open_only: bool = False,
) -> int:
    """How many invitations ``list_invitations`` gives with these filters, over all its pages."""
    query = _visible(session, actor, status=status, user_type=user_type, q=q, open_only=open_only)
    return count_all(session, [query])


def _visible(
    session: Session,
    actor: Actor,
    *,
    status: str | None,
    user_type: str | None,
    open_only: bool,
    q: str | None = None,
) -> Select[Invitation]:
    policy.require(actor.role, policy.Action.INVITATION_VIEW)
    now = context.of(session).clock.now()
    query = select(Invitation).where(
        Invitation.portal_id == actor.portal.id,
        Invitation.user_type.in_([str(t) for t in policy.visible_invitation_types(actor.role)]),
    )
    if (searched := search.searched(q)) is not None:
        query = query.where(repository.matching(searched))
    if open_only:
        query = query.where(Invitation.status != ACCEPTED)
    if user_type:
        policy.user_type_of(user_type)
        query = query.where(Invitation.user_type == user_type)
    if status:
        if status not in STATUSES:
            raise InvalidInput.not_one_of("status", STATUSES)
        if status == PENDING:
            query = query.where(Invitation.status == PENDING, Invitation.expires_at > now)
        elif status == EXPIRED:
            query = query.where(
                or_(
                    Invitation.status == EXPIRED,
                    and_(Invitation.status == PENDING, Invitation.expires_at <= now),
                )
            )
        else:
            query = query.where(Invitation.status == status)
    return query


def _locked(session: Session, invitation: Invitation) -> Invitation:
    """Re-read the row under a lock before changing it, so a concurrent accept cannot be undone
    (on PostgreSQL; SQLite's write lock already serialises the two)."""
    session.execute(select(Invitation.id).where(Invitation.id == invitation.id).with_for_update())
    session.refresh(invitation)
    return invitation


def is_open(status: str) -> bool:
    """Whether an invitation in ``status`` is still open: not answered yet (pending or expired),
    so it may be resent, revoked or its offer changed (``change_offer``); a page offers those on
    such a row only."""
    return status in UNANSWERED


def _require_open(invitation: Invitation, verb: str) -> None:
    if not is_open(invitation.status):
        raise InvitationNotPending(
            f"This invitation is {invitation.status}; only pending or expired invitations can be {verb}."
        )


# What sending an invitation again can refuse (``reissue``): every face's Resend of one
# invitation declares these (the API's ``responses``), and a Resend of many says each as a
# recipient's code. ``RateLimited``: the portal's sending limit, unless the caller charged it.
REISSUE_ERRORS: tuple[type[DomainError], ...] = (
    InvitationNotPending,
    MemberDeactivated,
    PermissionDenied,
    AddressSuppressed,
    RecipientRateLimited,
    RateLimited,
)


def reissue(
    session: Session,
    actor: Actor,
    invitation: Invitation,
    *,
    counted: bool = False,
    workspace_name: str | None = None,
    flow_roles: Sequence[Held] = (),
) -> Invitation:
    """Send ``invitation`` again with a new link (Resend / Reinvite); every earlier link dies.

    Allowed while pending, and once expired (seed 004: Reinvite after the window); refused with
    ``invitation_not_pending`` once accepted or revoked. The caller has decided the actor may
    (``flows.invitations.resend`` for the portal's invitations, a workspace's Resend Invitation
    for its members). ``counted``: the caller already charged the portal's sending limit (a
    whole group, all or none). ``workspace_name``: the workspace the message names;
    ``flow_roles``: the roles its person holds now in each workspace the invitation brings them
    into, which it names too. Audited here, once, whoever asks it (``invitation.resent``, naming
    the workspace its message names).
    """
    invitation = _locked(session, invitation)
    _require_open(invitation, "resent")
    inviter_role, deactivated = _standing(session, invitation)
    if deactivated:
        # Its link could not be used (``require_grantable``): the pipeline's word for it.
        raise MemberDeactivated(pipeline.DEACTIVATED_MEMBER)
    if policy.check_invitation_stands(
        inviter_role, invitation.user_type, invitation.role, by_someone=invitation.invited_by_id is not None
    ):
        # Its inviter can no longer grant it: resent, it is the resender's (its link then works).
        policy.require_rule(policy.check_resend_as_own(actor.role, invitation.user_type, invitation.role))
        taken_over_from = invitation.invited_by_label
        invitation.invited_by_id, invitation.inviter_label = actor.user_id, actor.inviter_label
    else:
        taken_over_from = None
    notifications_service.require_recipient_free(session, invitation.recipient, actor.portal.id)
    if not counted:
        sending.reserve(session, actor.portal, 1, by=actor)
    ctx = context.of(session)
    now = ctx.clock.now()
    was = invitation.effective_status(now)
    invitation.status = PENDING
    invitation.expires_at = now + timedelta(seconds=actor.portal.invitation_ttl_seconds)
    invitation.last_sent_at = now
    invitation.send_count += 1
    # A new send starts the reminders over (``invitations.reminders``).
    invitation.reminders_sent = 0
    invitation.next_reminder_at = reminder_at(
        now, invitation.expires_at, 1, actor.portal.invitation_reminders
    )
    session.flush()
    token = tokens.issue(session, INVITATION, invitation.id, expires_at=invitation.expires_at)
    notifications_service.cancel_for_invitation(session, invitation.id)
    notifications_service.enqueue(
        session,
        event_key=messages.event_key(invitation.id, invitation.send_count),
        template=messages.TEMPLATE,
        to=invitation.recipient,
        portal_id=actor.portal.id,
        invitation_id=invitation.id,
        context=messages.context_for(
            public_url=ctx.settings.public_url,
            portal=actor.portal,
            recipient=invitation.recipient,
            recipient_name=invitation.recipient_name,
            user_type=invitation.user_type,
            role=invitation.role,
            message=invitation.message,
            token=token,
            expires_at=invitation.expires_at,
            inviter_name=actor.display_name,
            workspace_name=workspace_name,
            flow_roles=flow_roles,
            asked=invitation.asked,
            resent=True,
            account=members_service.known_accounts(session, [invitation.recipient]).get(invitation.recipient),
        ),
    )
    audit_service.record(
        session,
        actor,
        "invitation.resent",
        target_type="invitation",
        target_id=invitation.id,
        target_label=invitation.recipient,
        detail={
            "send_count": invitation.send_count,
            "was": str(was),
            "name": invitation.recipient_name,
            # The workspace its message names: the one line of a workspace's Resend Invitation.
            **({"workspace": workspace_name} if workspace_name else {}),
            **({"taken_over_from": taken_over_from} if taken_over_from else {}),
        },
    )
    session.flush()
    return invitation


def resend_waits(session: Session, addresses: Iterable[str]) -> dict[str, int]:
    """The seconds until Resend (``reissue``) may send to each of ``addresses`` again, for
    those it would refuse now as ``recipient_rate_limited``: the per-person caps
    (``notifications.service.recipient_waits``, one query), the number its 429 says. What a
    page's Reinvite and Resend Invite show greyed out, counting down, before they are offered;
    a workspace's Resend Invitation (``reissue`` too), and a sign-up's Resend confirmation,
    which the same limit refuses (``links.signups.resend``: ``require_recipient_free``)."""
    return {
        address: wait.seconds
        for address, wait in notifications_service.recipient_waits(session, addresses).items()
    }


def revoke(session: Session, actor: Actor, invitation_id: uuid.UUID) -> Invitation:
    """Kill an invitation: its link stops working and unsent messages are cancelled. Revoking a
    revoked invitation changes nothing (as deactivating a deactivated member: it is already so);
    an accepted one is refused (``invitation_not_pending``)."""
    policy.require(actor.role, policy.Action.INVITATION_REVOKE)
    invitation = _locked(session, get_or_raise(session, actor, invitation_id))
    if invitation.status == REVOKED:
        return invitation
    _require_open(invitation, "revoked")
    invitation.status = REVOKED
    invitation.revoked_at = context.of(session).clock.now()
    invitation.next_reminder_at = None
    tokens.end(session, INVITATION, invitation.id, tokens.Reason.REVOKED)
    notifications_service.cancel_for_invitation(session, invitation.id)
    audit_service.record(
        session,
        actor,
        "invitation.revoked",
        target_type="invitation",
        target_id=invitation.id,
        target_label=invitation.recipient,
        detail={"name": invitation.recipient_name},
    )
    session.flush()
    return invitation


def rename(session: Session, actor: Actor, invitation_id: uuid.UUID, name: str) -> Invitation:
    """The name a pending invitation calls its person by (what whoever invited them said it is,
    such as a directory's name change before they join: ``flows.scim``). Whoever may invite
    their kind may; an invitation no longer open keeps its name."""
    invitation = _locked(session, get_or_raise(session, actor, invitation_id))
    policy.require(actor.role, policy.invite_action(UserType(invitation.user_type)))
    name = name.strip()[:MAX_NAME]
    if invitation.status != PENDING or name == invitation.recipient_name:
        return invitation
    before, invitation.recipient_name = invitation.recipient_name, name
    audit_service.record(
        session,
        actor,
        "invitation.renamed",
        target_type="invitation",
        target_id=invitation.id,
        target_label=invitation.recipient,
        detail={"name": name, "from": before, "to": name},
    )
    session.flush()
    return invitation


def change_offer(
    session: Session,
    actor: Actor,
    invitation_id: uuid.UUID,
    *,
    role: str | None = None,
    products: list[str] | None = None,
    faults: Checks | None = None,
    owners_confirmed: bool = True,
) -> Invitation:
    """Change what an open (pending or expired) invitation offers: the role (an internal
    user's) and the products, so a wrong one is put right without revoking it and inviting again.
    The same rules as a member's (MEMBER_CHANGE_ACCESS, ``policy.check_change_role``: to or
    from owner only by an owner; ``owners_confirmed``, as ``flows.members.change_access`` takes
    it) and as inviting (``portals.service.check_products``). Its link
    and its expiry stand: whoever opens it, or accepts it, is offered what it says now. Each
    change is audited with what it was; faults of input are said together, ``faults`` (the
    caller's: a value of the wrong type) after these."""
    policy.require(actor.role, policy.Action.MEMBER_CHANGE_ACCESS)
    invitation = _locked(session, get_or_raise(session, actor, invitation_id))
    _require_open(invitation, "changed")
    checks, new_role, granted = Checks(), None, None
    if role is not None:
        with checks.of("role"):
            new_role = policy.internal_role_of(role).value
            if (fault := policy.role_kind_fault(invitation.role, new_role)) is not None:
                raise InvalidInput(fault)
    if products is not None:
        with checks.of("products"):
            granted = portals_service.check_products(actor.portal, products)
    checks.extend(faults)
    checks.done()
    if new_role is not None:
        policy.require_rule(
            policy.check_change_role(
                actor.role, invitation.role, new_role, is_self=False, owners_left=0, active=False
            ),
            field="role",
        )
        fault = policy.owner_unconfirmed(new_role, confirmed=owners_confirmed, was=invitation.role)
        if fault is not None:
            raise InvalidInput(fault, field="owners_confirmed")
    changes = {
        name: (before, after)
        for name, before, after in (
            ("role", invitation.role, new_role),
            ("products", list(invitation.products or ()), granted),
        )
        if after is not None and after != before
    }
    for name, (before, after) in changes.items():
        setattr(invitation, name, after)
        audit_service.record(
            session,
            actor,
            f"invitation.{name}_changed",
            target_type="invitation",
            target_id=invitation.id,
            target_label=invitation.recipient,
            detail={"name": invitation.recipient_name, "from": before, "to": after},
        )
    session.flush()
    return invitation


def expire_due(session: Session, *, limit: int = 1000) -> int:
    """Write down ``expired`` for pending invitations past their expiry (the worker's sweep), and
    for each (once: only the sweep that wrote it) an audit event by the system, one statement of
    them per portal (the webhook event ``invitation.expired`` is that audit event seen from
    outside)."""
    now = context.of(session).clock.now()
    rows = session.execute(
        select(Invitation.id, Invitation.portal_id, Invitation.recipient, Invitation.recipient_name)
        .where(Invitation.status == PENDING, Invitation.expires_at <= now)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    ids = [row.id for row in rows]
    expired = session.execute(
        update(Invitation)
        .where(Invitation.id.in_(ids), Invitation.status == PENDING, Invitation.expires_at <= now)
        .values(status=EXPIRED, next_reminder_at=None)
        .returning(Invitation.id)
        .execution_options(synchronize_session="fetch")
    )
    written = set(expired.scalars())
    by_portal: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        if row.id in written:
            by_portal.setdefault(row.portal_id, []).append(row)
    portals = portals_service.by_ids(session, by_portal)
    for portal_id, lapsed in by_portal.items():
        audit_service.record_many(
            session,
            Actor(portal=portals[portal_id], role=None),
            "invitation.expired",
            target_type="invitation",
            targets=[(r.id, r.recipient, {"name": r.recipient_name}) for r in lapsed],
        )
    return len(written)


# --- by its link --------------------------------------------------------------------------


DEAD_LINK = (
    "This invitation link can no longer be used. If you have joined already, sign in; "
    "otherwise look for a newer email or text message, or ask the person who invited you for a new "
    "invitation."
)


def refused(reason: tokens.Reason) -> DomainError:
    """What the holder of a link that opens no invitation at all (an unknown token) is told: the
    one answer that says nothing of any invitation (no enumeration). The reason is logged for
    the operator. A link of a known invitation says its case (``dead_link``)."""
    log.info("invitation.link_refused reason=%s", reason)
    return InvitationGone(DEAD_LINK)


@dataclass(frozen=True, slots=True)
class DeadLink:
    """Why the link of a known invitation no longer opens it, for the link's holder: they have
    the secret, so its fate is theirs to know (a token that opens nothing is ``refused``).
    ``case`` is the token's word for it: ``used`` (the invitation was accepted), ``expired``,
    ``revoked`` (an admin revoked it: "cancelled" to its holder) or ``superseded`` (a Resend
    sent a newer link)."""

    case: tokens.Reason
    invitation_id: uuid.UUID
    portal: Portal
    inviter: str  # who invited them (``Invitation.inviter_name``: the portal when nobody did)
    expired_at: datetime
    sent_as: str  # what its message is to its holder: "text message" or "email" (``sent_as``)

    @property
    def title(self) -> str:
        return _DEAD_TITLES[self.case]

    @property
    def reason(self) -> str:
        """The case for programs (the API problem's ``reason``), in the invitation's words:
        ``accepted``, ``expired``, ``revoked`` or ``replaced``."""
        return _DEAD_REASONS[self.case]

    @property
    def message(self) -> str:
        """What its holder reads: which case, who invited them to which portal, and the next step."""
        return self.said_to(signed_in=False)

    @property
    def to_programs(self) -> str | None:
        """What the API says instead of ``message``, or None for the same: an expired link's next
        step is its request endpoint, as its page's is its **Request a new invitation** (the API
        said only whom to ask)."""
        if self.case is not tokens.Reason.EXPIRED:
            return None
        return (
            f"{self.said_to(signed_in=False, requestable=True)} Request a new invitation: "
            f"POST /api/v1/invitations/{{token}}/request-new asks {self.inviter} to send you a new one."
        )

    def said_to(self, *, signed_in: bool, requestable: bool = False) -> str:
        """``message`` for a holder who is ``signed_in`` or not: someone signed in (not whoever
        joined with it, who is taken to the portal) is not asked to sign in. ``requestable``: an
        expired link's page, whose next step is its **Request a new invitation** (or, asked
        already, what it says then: ``NewRequested``), not whom to ask."""
        portal, inviter = self.portal.name, self.inviter
        this = "This invitation" + ("" if inviter == portal else f" from {inviter}") + f" to join {portal}"
        ask = f"Ask {inviter} for a new invitation"
        if self.case is tokens.Reason.USED:
            if signed_in:
                return f"{this} was already used. {ask} if you still mean to join."
            return f"{this} was already used. If you joined, sign in; if not, {ask[0].lower()}{ask[1:]}."
        if self.case is tokens.Reason.REVOKED:
            # "Cancelled": the invitee's word for what admins call Revoke.
            return f"{this} was cancelled. {ask} if you still mean to join."
        if self.case is tokens.Reason.SUPERSEDED:
            return (
                f"{inviter} sent you a newer invitation to join {portal}, which replaced this link. "
                f"Use the link in the newest {self.sent_as}."
            )
        expired = f"{this} expired on {moment_text(self.expired_at, self.portal.time_zone)}."
        return expired if requestable else f"{expired} {ask}."


_DEAD_REASONS = {
    tokens.Reason.USED: ACCEPTED,
    tokens.Reason.EXPIRED: EXPIRED,
    tokens.Reason.REVOKED: REVOKED,
    tokens.Reason.SUPERSEDED: "replaced",
}

_DEAD_TITLES = {
    tokens.Reason.USED: "Invitation already used",
    tokens.Reason.EXPIRED: "Invitation expired",
    tokens.Reason.REVOKED: "Invitation cancelled",
    tokens.Reason.SUPERSEDED: "Invitation replaced",
}


def sent_as(recipient: str) -> str:
    """What an invitation's message to ``recipient`` is, in its holder's words: "text message"
    to a phone number, "email" to an email address (``notifications.service.channel_for``)."""
    return "text message" if notifications_service.channel_for(recipient) == "sms" else "email"


def dead_link(session: Session, token: str) -> DeadLink | None:
    """Why ``token``, a link of a known invitation, no longer opens it; None when it still does,
    or when it is no invitation's link (then nothing is said: ``refused``)."""
    subject_id: uuid.UUID | None
    reason: tokens.Reason | None = None
    try:
        subject_id = tokens.peek(session, INVITATION, token).subject_id
    except tokens.TokenRefused as exc:
        subject_id, reason = exc.subject_id, exc.reason
    invitation = session.get(Invitation, subject_id) if subject_id is not None else None
    return _dead(session, invitation, reason) if invitation is not None else None


def _dead(session: Session, invitation: Invitation, reason: tokens.Reason | None) -> DeadLink | None:
    """The invitation's state decides (an accepted one's every link is used, a withdrawn one's
    revoked); a pending one whose link is dead has a newer link (a Resend: the token says
    ``superseded``, or ``expired`` when it was resent after it lapsed). ``reason``: the token's,
    None when it is live (then a pending invitation's link works: None)."""
    status = invitation.effective_status(context.of(session).clock.now())
    case = {
        ACCEPTED: tokens.Reason.USED,
        REVOKED: tokens.Reason.REVOKED,
        EXPIRED: tokens.Reason.EXPIRED,
    }.get(status)
    if case is None:
        if reason is None or reason is tokens.Reason.UNKNOWN:
            return None
        case = tokens.Reason.SUPERSEDED
    portal = portals_service.get_or_raise(session, invitation.portal_id)
    return DeadLink(
        case=case,
        invitation_id=invitation.id,
        portal=portal,
        inviter=invitation.inviter_name(portal.name),
        expired_at=invitation.expires_at,
        sent_as=sent_as(invitation.recipient),
    )


def _gone(session: Session, invitation: Invitation | None, reason: tokens.Reason | None) -> DomainError:
    """What the holder of ``invitation``'s dead link reads (``DeadLink``); the one answer of an
    unknown link when there is no invitation (or nothing to say of it)."""
    dead = _dead(session, invitation, reason) if invitation is not None else None
    if dead is None:
        return refused(reason or tokens.Reason.UNKNOWN)
    log.info("invitation.link_refused reason=%s case=%s", reason, dead.case)
    return InvitationGone(dead.message, to_programs=dead.to_programs, reason=dead.reason)


def _refusal(session: Session, exc: tokens.TokenRefused) -> DomainError:
    invitation = session.get(Invitation, exc.subject_id) if exc.subject_id is not None else None
    return _gone(session, invitation, exc.reason)


def open_by_token(session: Session, token: str) -> Invitation:
    """The live invitation a link opens, without using it (a page shows it first); otherwise the
    error its holder reads (``DeadLink``, or ``refused`` for a link of no invitation)."""
    # The invitation comes in the link's own read, and with it its portal, which whoever opens
    # a link shows or uses too: held by the invitation, so ``portals.service.get`` asks nothing
    # (two round trips fewer: issue 13).
    try:
        _opened, invitation = tokens.peek_with(session, INVITATION, token, Invitation, options=_WITH_PORTAL)
    except tokens.TokenRefused as exc:
        raise _refusal(session, exc) from None
    if invitation is None:
        raise refused(tokens.Reason.UNKNOWN)
    _require_pending(session, invitation)
    require_grantable(session, invitation)
    return invitation


# An outer join: an inner one would end the token's own outer join to its invitation (a link whose
# invitation is gone would read as unknown, not as used or expired).
_WITH_PORTAL = (joinedload(Invitation.portal),)


NEW_REQUEST_EVERY = timedelta(hours=24)  # an invitation's holder asks for a new one at most this often


@dataclass(frozen=True, slots=True)
class NewRequested:
    """A request for a new invitation, heard: whom it was sent to (``inviter``, as its page names
    them), whether this request sent it (False: asked already in the last 24 hours, nothing sent
    again), and when the request that told them was made (``asked_at``)."""

    inviter: str
    sent: bool
    asked_at: datetime

    @property
    def again_at(self) -> datetime:
        """When its holder may ask again (``NEW_REQUEST_EVERY`` after ``asked_at``)."""
        return self.asked_at + NEW_REQUEST_EVERY

    @property
    def said(self) -> str:
        """What its asker reads (the page, the API's ``detail``), whether or not this ask sent it."""
        return f"We've asked {self.inviter} to send you a new invitation."


NEW_REQUESTED = "invitation_new_requested"  # the message's template


def _new_request_key(invitation_id: uuid.UUID) -> str:
    return f"invitation:{invitation_id}:new_requested:"


def new_requested_lately(session: Session, dead: DeadLink) -> NewRequested | None:
    """The request for a new invitation its expired link's holder made in the last 24 hours
    (``NEW_REQUEST_EVERY``), as a second ask reads it (not ``sent``); None when they may ask."""
    now = context.of(session).clock.now()
    asked_at = notifications_service.latest_event_at(
        session, _new_request_key(dead.invitation_id), portal_id=dead.portal.id, since=now - NEW_REQUEST_EVERY
    )
    if asked_at is None:
        return None
    return NewRequested(inviter=dead.inviter, sent=False, asked_at=asked_at)


def request_new(session: Session, token: str, *, ip: str | None = None) -> NewRequested:
    """The holder of an expired invitation's link asks for a new one (its page's **Request a new
    invitation**, ``POST /invitations/{token}/request-new``): whoever invited them hears of it
    (the person, while an active member with an address; else the portal's owners and admins),
    with a link to Reinvite in User Management. Once per invitation in 24 hours, from the last
    request's time (``new_requested_lately``: a second ask sooner sends nothing and is told the
    same); each request that sends is audited once.

    Only an expired invitation's: a revoked one was revoked on purpose (its page names whom to
    ask), a used or replaced link has nothing to ask for (410 ``invitation_gone``, as its page
    says: ``DeadLink``); a link that still works is 409 ``conflict`` (accept it instead); a
    token of no invitation, the one answer that says nothing (``refused``)."""
    dead = dead_link(session, token)
    if dead is None:
        try:
            tokens.peek(session, INVITATION, token)
        except tokens.TokenRefused as exc:
            raise refused(exc.reason) from None
        raise Conflict("This invitation still works: accept it instead.")
    invitation = session.get(Invitation, dead.invitation_id)
    if invitation is None or dead.case is not tokens.Reason.EXPIRED:
        raise _gone(session, invitation, None)
    lately = new_requested_lately(session, dead)
    if lately is not None:
        return lately
    ctx = context.of(session)
    now = ctx.clock.now()
    portal = dead.portal
    inviter_role, _deactivated = _standing(session, invitation)
    inviter = invitation.invited_by if inviter_role is not None else None
    told = (
        [inviter]
        if inviter is not None and inviter.address
        else members_service.internal_users(
            session, portal.id, roles=policy.roles_with(policy.Action.INVITATION_RESEND), limit=MAX_TOLD
        )
    )
    # Two asks at once both find no request in the last 24 hours: they make the same keys (this
    # round's, after the last request ever made for the invitation), and the second sends nothing.
    last = notifications_service.latest_event_at(
        session, _new_request_key(invitation.id), portal_id=portal.id, since=invitation.created_at
    )
    round_ = last.isoformat() if last is not None else "first"
    context_ = {
        "portal_name": portal.name,
        "brand": portals_brand.for_message(session, portal),
        "recipient": readable_phone(invitation.recipient),
        "recipient_name": invitation.recipient_name,
        "expired_at_text": moment_text(invitation.expires_at, portal.time_zone),
        "link": messages.reinvite_url(
            ctx.settings.public_url, portal, recipient=invitation.recipient, user_type=invitation.user_type
        ),
    }
    sent = False
    for user in told:
        if user.address and notifications_service.enqueue_once(
            session,
            event_key=f"{_new_request_key(invitation.id)}{round_}:{user.id}",
            template=NEW_REQUESTED,
            to=user.address,
            portal_id=portal.id,
            context={**context_, "inviter_name": user.label},
        ):
            sent = True
    if sent:
        audit_service.record(
            session,
            None,
            "invitation.new_requested",
            portal_id=portal.id,
            ip=ip,
            target_type="invitation",
            target_id=invitation.id,
            target_label=invitation.recipient,
            # Told by their address alone: a name here would read as one they gave.
            detail={"told": [u.label for u in told if u.address]},
        )
    session.flush()
    return NewRequested(inviter=dead.inviter, sent=sent, asked_at=now)


MAX_TOLD = 20  # owners and admins told of a request when no inviter can be


def used_by_link(session: Session, token: str) -> Invitation | None:
    """The accepted invitation a used link opened, if ``token`` is one (for telling the person
    it was sent to, signed in, that they have joined: never anyone else)."""
    try:
        tokens.peek(session, INVITATION, token)
    except tokens.TokenRefused as exc:
        if exc.reason is not tokens.Reason.USED or exc.subject_id is None:
            return None
        invitation = session.get(Invitation, exc.subject_id)
        return invitation if invitation is not None and invitation.status == ACCEPTED else None
    return None


def reopen(session: Session, invitation: Invitation) -> None:
    """Read ``invitation``'s status again from the database and raise what its holder reads if
    it is no longer pending. For a request about to refuse for another reason that a racing
    request may have caused (its accept made the account): the loser learns the link is used."""
    session.refresh(invitation, ["status", "expires_at"])
    _require_pending(session, invitation)


def _require_pending(session: Session, invitation: Invitation) -> None:
    if invitation.effective_status(context.of(session).clock.now()) != PENDING:
        raise _gone(session, invitation, None)


def require_grantable(session: Session, invitation: Invitation) -> None:
    """Raise unless ``invitation`` may still be accepted as it was made: 410
    ``invitation_not_grantable`` unless whoever made it could still make it
    (``policy.check_invitation_stands``: their role now, as an active member of the portal); 403
    ``member_deactivated`` when its recipient is a deactivated member of the portal (deactivated
    after it was sent: Reactivate is the one way back, ``flows.members.reactivate``)."""
    inviter_role, deactivated = _standing(session, invitation)
    if deactivated:
        raise members_service.access_ended(portals_service.get_or_raise(session, invitation.portal_id))
    reason = policy.check_invitation_stands(
        inviter_role, invitation.user_type, invitation.role, by_someone=invitation.invited_by_id is not None
    )
    if reason is not None:
        raise InvitationNotGrantable(reason)


def _standing(session: Session, invitation: Invitation) -> tuple[str | None, bool]:
    """The role of whoever made ``invitation`` if they are still an active member of its portal
    (else None), and whether the person it is for is a deactivated member there: one query."""
    role, status = members_service.role_and_status(
        session, invitation.portal_id, user_id=invitation.invited_by_id, address=invitation.recipient
    )
    return role, status == members_service.DEACTIVATED


def claim(session: Session, token: str, *, grantable_checked: bool = False) -> Invitation:
    """Use an invitation's link: exactly once, even when two requests race. The token's claim
    is the guarantee (``tokens.claim``); the invitation then moves from pending to accepted, if
    its inviter can still grant it (``require_grantable``; ``grantable_checked``: the caller
    asked it in this same transaction, when it opened the link)."""
    try:
        # A reminder's link lives beside the first one (``invitations.reminders``): using one
        # uses them all.
        invitation_id = tokens.claim_all(session, INVITATION, token).subject_id
    except tokens.TokenRefused as exc:
        raise _refusal(session, exc) from None
    found = session.get(Invitation, invitation_id)
    if found is not None and not grantable_checked:
        require_grantable(session, found)
    invitation = _accepted(session, invitation_id)
    if invitation is None:
        if found is not None:
            session.refresh(found, ["status", "expires_at"])  # accepted or expired meanwhile
        raise _gone(session, found, None)
    # What has not gone out yet (a reminder) need not.
    notifications_service.cancel_for_invitation(session, invitation.id)
    return invitation


@cache
def _accept_statement() -> Update:
    """The move from pending to accepted, built once (``tokens.service``), on the table itself:
    the ORM's UPDATE, which also finds the loaded row to change, made a third of an accept's
    work in SQLAlchemy; the loaded invitation is given the new values below instead."""
    table = Invitation.__table__
    now = bindparam("b_now", type_=table.c.accepted_at.type)
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.status == PENDING, table.c.expires_at > now)
        .values(status=ACCEPTED, accepted_at=now, next_reminder_at=None)
    )


def _accepted(session: Session, invitation_id: uuid.UUID) -> Invitation | None:
    now = context.of(session).clock.now()
    if rowcount(session.execute(_accept_statement(), {"b_id": invitation_id, "b_now": now})) != 1:
        return None
    invitation = session.get(Invitation, invitation_id)  # loaded already: no second SELECT
    if invitation is not None:
        for name, value in (("status", ACCEPTED), ("accepted_at", now), ("next_reminder_at", None)):
            set_committed_value(invitation, name, value)
    return invitation


@cache
def _joined_statement() -> Update:
    """Which member an accepted invitation made, built once, on the table (``_accept_statement``)."""
    table = Invitation.__table__
    return update(table).where(table.c.id == bindparam("b_id")).values(member_id=bindparam("b_member"))


def joined_as(session: Session, invitation: Invitation, member_id: uuid.UUID) -> None:
    """The member ``invitation`` (just claimed) made (``flows.join``): one UPDATE, the loaded
    invitation given the value, where the ORM's flush of the change took ~300 Python calls."""
    session.execute(_joined_statement(), {"b_id": invitation.id, "b_member": member_id})
    set_committed_value(invitation, "member_id", member_id)


def pending_addresses(session: Session, actor: Actor, addresses: Iterable[str]) -> set[str]:
    """Those of the normalised ``addresses`` with a pending invitation to the actor's portal
    (addresses only: a directory's 50,000 employees are compared without loading 50,000 rows)."""
    policy.require(actor.role, policy.Action.INVITATION_VIEW)
    return repository.pending_addresses(session, actor.portal.id, addresses)


def pending_for(session: Session, actor: Actor, addresses: Iterable[str]) -> dict[str, Invitation]:
    """``{address: invitation}``: the pending invitation to the actor's portal of each of the
    normalised ``addresses`` that has one."""
    policy.require(actor.role, policy.Action.INVITATION_VIEW)
    return repository.pending_by_address(session, actor.portal.id, addresses)


def live_pending_for(session: Session, actor: Actor, address: str) -> Invitation | None:
    """The pending invitation to the actor's portal at ``address`` that has not lapsed yet (its
    link still works), or None."""
    policy.require(actor.role, policy.Action.INVITATION_VIEW)
    return _live_pending(session, actor.portal.id, address)


def _live_pending(session: Session, portal_id: uuid.UUID, address: str) -> Invitation | None:
    invitation = repository.pending_by_address(session, portal_id, [address]).get(address)
    if invitation is None or invitation.expires_at <= context.of(session).clock.now():
        return None
    return invitation


def claim_pending_for(session: Session, *, portal_id: uuid.UUID, address: str) -> Invitation | None:
    """Accept the live pending invitation to ``portal_id`` for ``address`` without its link, for
    someone who has just proved they own the address another way (a confirmed link sign-up).
    Its link dies (used) and its unsent messages are cancelled. None when there is none; 410
    ``invitation_not_grantable`` when its inviter can no longer grant it (``require_grantable``)."""
    invitation = _live_pending(session, portal_id, address)
    if invitation is None:
        return None
    require_grantable(session, invitation)
    claimed = _accepted(session, invitation.id)
    if claimed is None:
        return None
    tokens.end(session, INVITATION, claimed.id, tokens.Reason.USED)
    notifications_service.cancel_for_invitation(session, claimed.id)  # its link is of no use now
    return claimed
