"""Sign-ups through a portal's invite link, and their confirmation emails.

Whoever opens a portal link signs up with email and name: a pending ``LinkSignup`` and a
confirmation email to that address, nothing more. Following the email proves the address;
what happens then (a new member, a completed invitation, a signed-in member) is
``flows.signups.confirm``. The confirmation link is a single-use token (``admit.tokens``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, ColumnElement, Select, String, Uuid, case, literal, not_, select, update
from sqlalchemy.orm import Session, contains_eager

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import new_id, rowcount
from admit.errors import (
    ConfirmationExpired,
    ConfirmationNotFound,
    ConfirmationRemoved,
    ConfirmationReplaced,
    ConfirmationUsed,
    DomainError,
    InvalidInput,
    LinkGone,
    SignupNotFound,
    WorkspaceLink,
)
from admit.kit.pagination import page
from admit.kit.search import contains, lists, name_order
from admit.kit.text import moment_text
from admit.links import service as links_service
from admit.links.domains import domain_allowed, domain_refused
from admit.links.models import CONFIRMED, PENDING, REMOVED, SUPERSEDED, InviteLink, LinkSignup
from admit.links.views import Confirmation
from admit.members import service as members_service
from admit.notifications import service as notifications_service
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service
from admit.portals.sign_in import password_required
from admit.tokens import service as tokens

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User
    from admit.portals.models import Portal


__all__ = [
    "CONFIRM_TTL",
    "confirm_needs_password",
    "confirmation",
    "confirmed_by_link",
    "signup_of_link",
    "current_grant",
    "granted_products",
    "list_signups",
    "mark_confirmed",
    "open_for_confirmation",
    "roster_select",
    "record_outcome",
    "remove",
    "resend",
    "signup",
]

CONFIRM_TTL = timedelta(hours=24)
CONFIRMATION = tokens.Purpose.LINK_SIGNUP


def signup(
    session: Session,
    *,
    token: str,
    email: str,
    name: str,
    password: str | None = None,
    ip: str | None = None,
) -> LinkSignup:
    """Sign up through a portal link: a pending sign-up and a confirmation email, nothing more.

    Refused before anything is written: a gone link (``link_gone``), a bad address or name, an
    address outside the allowed domains (``domain_not_allowed``). The answer
    is the same whether or not the address already has an account or a membership (no user
    enumeration); the confirmation decides what happens. The place it takes among
    ``max_uses`` is counted under a lock on the link row, so with N places at most N sign-ups
    succeed however many arrive at once; a loser gets ``link_used_up``. While no email may go to
    the address (``notifications.service.held_back``), nothing is written and the answer is the
    same: an earlier pending sign-up, unchanged, or one that is not stored.
    """
    links_service.rate_limits(session, token, ip)
    link = links_service.live_link_or_raise(session, token)
    if link.workspace_id is not None:
        raise WorkspaceLink("This is a workspace link: ask to join the workspace instead.")
    address, clean_name = links_service.clean_person(email, name)
    if not domain_allowed(address, link.allowed_domains):
        raise domain_refused(address)
    context.of(session).limiter.hit(
        f"link:address:{address}",
        context.of(session).settings.link_address_rate_limit,
        message="Several confirmation emails were sent to this address already. Look for them, "
        "or try again later.",
    )
    portal = portals_service.get_or_raise(session, link.portal_id)
    # A password is never taken here: whoever signs up may not own the address, and a password
    # they chose must not land on the account when the real owner clicks Confirm. It is chosen
    # on the confirmation page instead, by whoever holds the email. (``password`` is accepted
    # for compatibility and ignored.)
    del password
    password_hash = None

    # Its places are counted below, after one's own earlier sign-up is replaced.
    link = links_service.hold(session, link)
    now = context.of(session).clock.now()
    mine = (
        LinkSignup.link_id == link.id,
        LinkSignup.link_token_hash == link.token_hash,
        LinkSignup.email == address,
        LinkSignup.status == PENDING,
    )
    if notifications_service.held_back(session, address, link.portal_id):
        # No email can go to the address (the day's per-person limit, or it bounced; within
        # the minute's, it waits its turn): the answer is the one everyone gets, and nothing is
        # written. Saying why would tell something of the address (its other messages), and a
        # sign-up without its email would hold a place for a day. An earlier sign-up stays as
        # it was, its email's link the one that works.
        earlier = session.scalar(select(LinkSignup).where(*mine, links_service.waiting(link, now)).limit(1))
        if earlier is not None:
            return earlier
        links_service.require_place(link, links_service.places_taken(session, link, now))
        return LinkSignup(email=address, name=clean_name)  # not stored
    # Signing up again replaces one's own earlier unconfirmed sign-up (and frees its place).
    replaced = session.scalars(
        update(LinkSignup)
        .where(*mine)
        .values(status=SUPERSEDED)
        .returning(LinkSignup.id)
        .execution_options(synchronize_session=False)
    ).all()
    for signup_id in replaced:
        tokens.end(session, CONFIRMATION, signup_id, tokens.Reason.SUPERSEDED)
    links_service.require_place(link, links_service.places_taken(session, link, now))
    record = LinkSignup(
        id=new_id(),
        portal_id=link.portal_id,
        link_id=link.id,
        link_token_hash=link.token_hash,
        email=address,
        name=clean_name,
        user_type=link.user_type,
        role=link.role,
        password_hash=password_hash,
        status=PENDING,
        expires_at=now + CONFIRM_TTL,
        created_at=now,
        sent_at=now,
        ip=ip,
    )
    session.add(record)
    session.flush()
    _send_confirmation(session, record, portal, event_key=f"link_signup:{record.id}:confirm")
    audit_service.record(
        session,
        None,
        "invite_link.signup_requested",
        portal_id=portal.id,
        ip=ip,
        target_type="link_signup",
        target_id=record.id,
        target_label=address,
        detail={
            "link_id": str(link.id),
            "user_type": record.user_type,
            "role": record.role,
            "name": clean_name,
        },
    )
    session.flush()
    return record


def _send_confirmation(session: Session, record: LinkSignup, portal: Portal, *, event_key: str) -> None:
    """A new confirmation secret for ``record`` (any earlier one dies) and its email."""
    raw = tokens.issue(session, CONFIRMATION, record.id, expires_at=record.expires_at)
    # A member already: the email says the link signs them in (confirming changes nothing for
    # them). Nobody is greeted by the name typed at sign-up (``notifications.service.greeting_name``).
    status = members_service.statuses_by_address(session, portal.id, [record.email]).get(record.email)
    already = status == members_service.ACTIVE
    # An account with a password gets in by it only (``auth.gate.owes_sign_in``): the email
    # says the link asks for it, never that it signs in.
    account = members_service.get_user_by_email(session, record.email)
    has_password = account is not None and account.password_hash is not None
    message = notifications_service.enqueue_email(
        session,
        event_key=event_key,
        template="link_confirm",
        to=record.email,
        portal_id=portal.id,
        context={
            "portal_name": portal.name,
            "brand": portals_brand.for_message(session, portal),
            "name": notifications_service.greeting_name(record.name, asked=True),
            "email": record.email,
            "user_type": record.user_type,
            "link": f"{context.of(session).settings.public_url}/confirm/{raw}",
            "expires_at_text": moment_text(record.expires_at, portal.time_zone),
            "already_member": already,
            "has_password": has_password,
        },
    )
    record.confirmation = message


def resend(
    session: Session, actor: Actor, signup_id: uuid.UUID | None = None, *, email: str | None = None
) -> LinkSignup:
    """Send a sign-up waiting for its confirmation a new confirmation email (User Management's
    Resend confirmation): a new link, good for another 24 hours; the earlier one stops working.
    Only the link's managers, within the per-person limit (``recipient_rate_limited``); an
    address the portal no longer writes to is refused (``address_suppressed``). Audited. The
    sign-up is ``signup_id``, or (the console) the one of ``email``."""
    record = _pending(session, actor, signup_id, email)
    notifications_service.require_recipient_free(session, record.email, actor.portal.id)
    now = context.of(session).clock.now()
    record.expires_at, record.sent_at = now + CONFIRM_TTL, now
    _send_confirmation(
        session, record, actor.portal, event_key=f"link_signup:{record.id}:confirm:{now.isoformat()}"
    )
    return _audited(session, actor, record, "invite_link.signup_resent")


def _pending(session: Session, actor: Actor, signup_id: uuid.UUID | None, email: str | None) -> LinkSignup:
    """The portal's sign-up that a link manager acts on (by its id, or the newest of an
    address), locked, if it is waiting for its confirmation; ``SignupNotFound`` otherwise."""
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    if email is not None:
        record = session.scalar(
            select(LinkSignup)
            .where(
                LinkSignup.portal_id == actor.portal.id, LinkSignup.email == links_service.clean_email(email)
            )
            .order_by(LinkSignup.created_at.desc())
            .limit(1)
            .with_for_update()
        )
        refusal = f"Nobody signed up as {email.strip()} is waiting for their confirmation."
    else:
        record = session.get(LinkSignup, signup_id, with_for_update=True)
        refusal = "There is no sign-up waiting for its confirmation by that id in this portal."
    now = context.of(session).clock.now()
    # Pending as lists show it: not out of time, and made with the link's current secret.
    if record is None or record.portal_id != actor.portal.id or record.shown_status(now) != PENDING:
        raise SignupNotFound(refusal)
    return record


def _audited(session: Session, actor: Actor, record: LinkSignup, action: str) -> LinkSignup:
    """What a link manager did to ``record``, audited, written."""
    audit_service.record(
        session,
        actor,
        action,
        target_type="link_signup",
        target_id=record.id,
        target_label=record.email,
        detail={"name": record.name},
    )
    session.flush()
    return record


def _refused(reason: tokens.Reason) -> DomainError:
    if reason is tokens.Reason.USED:
        return ConfirmationUsed("This address is already confirmed. Sign in instead.")
    if reason is tokens.Reason.SUPERSEDED:
        return ConfirmationReplaced(
            "A newer confirmation email was sent to this address; use the link in that one."
        )
    if reason is tokens.Reason.EXPIRED:
        return ConfirmationExpired(
            "This confirmation link has expired. Sign up again through the invite link."
        )
    if reason is tokens.Reason.REVOKED:
        return ConfirmationRemoved(
            "This confirmation link no longer works: the sign-up it was for was removed by the "
            "portal's admins. If you signed up again since, use the link in the newest email; "
            "otherwise ask the person who shared the invite link."
        )
    return ConfirmationNotFound(
        "This confirmation link is not valid. Use the link in the newest email, or sign up again."
    )


def _check(session: Session, record: LinkSignup) -> InviteLink:
    """A sign-up can be confirmed only while its link still stands as it was signed up through
    (not refreshed, not turned off, not expired) and still accepts its address; returns the link.
    What confirming grants is what the link grants now (``current_grant``), not at sign-up."""
    status = record.effective_status(context.of(session).clock.now())
    if status == CONFIRMED:
        raise _refused(tokens.Reason.USED)
    if status == SUPERSEDED:
        raise _refused(tokens.Reason.SUPERSEDED)
    if status == REMOVED:
        raise _refused(tokens.Reason.REVOKED)
    if status == "expired":
        raise _refused(tokens.Reason.EXPIRED)
    link = session.get(InviteLink, record.link_id)
    now = context.of(session).clock.now()
    # uses=0: the sign-up already holds its place, so a link used up since does not refuse it.
    if (
        link is None
        or link.token_hash != record.link_token_hash
        or links_service.state(session, link, now, uses=0) != "active"
    ):
        raise LinkGone(
            "The invite link you signed up through has been replaced, turned off or has expired. Ask "
            "the person who shared it for the current link."
        )
    if not domain_allowed(record.email, link.allowed_domains):
        raise domain_refused(record.email)
    return link


def _signup(session: Session, token: str, *, use: bool, fresh: bool = False) -> tuple[LinkSignup, InviteLink]:
    record = session.get(
        LinkSignup, tokens.subject_of(session, CONFIRMATION, token, use=use, refused=_refused, fresh=fresh)
    )
    if record is None:
        raise _refused(tokens.Reason.UNKNOWN)
    return record, _check(session, record)


def open_for_confirmation(session: Session, token: str, *, fresh: bool = False) -> LinkSignup:
    """The sign-up a confirmation link is for, if it can still be confirmed; never uses it.
    ``fresh``: the link read as it is now (``tokens.peek``)."""
    return _signup(session, token, use=False, fresh=fresh)[0]


def signup_of_link(session: Session, token: str) -> LinkSignup | None:
    """The sign-up a confirmation link was made for, whatever became of either (used, expired,
    replaced, removed); None for a link that is none of Admit's."""
    try:
        subject_id: uuid.UUID | None = tokens.peek(session, CONFIRMATION, token).subject_id
    except tokens.TokenRefused as exc:
        subject_id = exc.subject_id
    return session.get(LinkSignup, subject_id) if subject_id is not None else None


def confirmed_by_link(session: Session, token: str) -> LinkSignup | None:
    """The confirmed sign-up a used confirmation link opened, if ``token`` is one (for telling
    the person who signed up, signed in, that they are in: never anyone else)."""
    record = signup_of_link(session, token)
    return record if record is not None and record.status == CONFIRMED else None


def current_grant(session: Session, record: LinkSignup) -> tuple[str, str]:
    """``(user_type, role)`` that confirming ``record`` grants: its link's now. An admin who
    changes the link (admin to client, say) changes what its unconfirmed sign-ups will get."""
    link = session.get(InviteLink, record.link_id)
    if link is None:
        raise links_service.gone()
    return link.user_type, link.role


def granted_products(session: Session, record: LinkSignup, portal: Portal) -> list[str]:
    """The products confirming ``record`` gives: its link's now, those the portal still has
    enabled (as an invitation's: ``portals.service.still_enabled``)."""
    link = session.get(InviteLink, record.link_id)
    return portals_service.still_enabled(portal, link.products if link is not None else [])


def confirm_needs_password(
    user_type: str, portal: Portal, user: User | None, *, already_member: bool
) -> bool:
    """A password is chosen at confirmation only for an account that has none yet, and only
    when the joiner (``user_type``: ``current_grant``'s) is internal or the portal requires
    client passwords. Never for an active member of the portal: the link grants them nothing
    (a client who signs up through an internal link stays a client, with no password)."""
    has_password = user is not None and user.password_hash is not None
    return not has_password and not already_member and password_required(portal, user_type)


def confirmation(session: Session, token: str, *, user: User | None) -> Confirmation:
    """What a confirmation link shows before the person clicks Confirm (never uses it up);
    ``user`` is the account of the address, if there is one."""
    record = open_for_confirmation(session, token)
    portal = portals_service.get_or_raise(session, record.portal_id)
    user_type, _role = current_grant(session, record)
    already = user is not None and members_service.active_role(session, portal.id, user.id) is not None
    return Confirmation(
        signup=record,
        portal=portal,
        password_required=confirm_needs_password(user_type, portal, user, already_member=already),
        already_member=already,
    )


def mark_confirmed(session: Session, token: str) -> LinkSignup:
    """Use a confirmation link: exactly once (the token's claim), while the sign-up can still be
    confirmed; the sign-up becomes confirmed, with the user type and role its link grants now
    (what the person gets: ``current_grant``)."""
    record, link = _signup(session, token, use=True)
    now = context.of(session).clock.now()
    moved = rowcount(
        session.execute(
            update(LinkSignup)
            .where(LinkSignup.id == record.id, LinkSignup.status == PENDING, LinkSignup.expires_at > now)
            .values(status=CONFIRMED, confirmed_at=now, user_type=link.user_type, role=link.role)
            .execution_options(synchronize_session=False)
        )
    )
    if moved != 1:
        raise _refused(tokens.Reason.USED)
    session.refresh(record)
    return record


def record_outcome(
    session: Session, record: LinkSignup, *, member_id: uuid.UUID | None, outcome: str
) -> None:
    """What the confirmation led to (joined, invitation completed, already a member)."""
    record.member_id = member_id
    record.outcome = outcome
    record.password_hash = None  # no longer needed
    session.flush()


# --- sign-ups, as the portal's managers see them ----------------------------------------


def list_signups(
    session: Session, actor: Actor, *, status: str | None = None, cursor: str | None = None, limit: int = 100
) -> tuple[list[LinkSignup], str | None]:
    """Sign-ups through the portal's link, newest first; ``status`` pending/confirmed/expired
    (as ``LinkSignup.shown_status`` says)."""
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    now = context.of(session).clock.now()
    query = (
        select(LinkSignup)
        .join(InviteLink, InviteLink.id == LinkSignup.link_id)
        .where(LinkSignup.portal_id == actor.portal.id)
        .options(contains_eager(LinkSignup.link))
    )
    if status == PENDING:
        query = query.where(links_service.waiting(InviteLink, now))
    elif status == "expired":  # what shown_status calls expired: out of time, or left behind by a Refresh
        query = query.where(LinkSignup.status == PENDING, not_(links_service.waiting(InviteLink, now)))
    elif status == CONFIRMED:
        query = query.where(LinkSignup.status == CONFIRMED)
    elif status:
        raise InvalidInput("status must be pending, confirmed or expired.", field="status")
    else:
        query = query.where(LinkSignup.status.not_in((SUPERSEDED, REMOVED)))
    return page(session, query, LinkSignup, cursor=cursor, limit=limit)


def get(session: Session, actor: Actor, signup_id: uuid.UUID) -> LinkSignup:
    """One sign-up through the portal's link, whatever its status (the API's
    ``GET /portals/{p}/link/signups/{id}``): only the link's managers; ``SignupNotFound`` when the
    portal has none by that id."""
    policy.require(actor.role, policy.Action.LINK_MANAGE)
    record = session.get(LinkSignup, signup_id)
    if record is None or record.portal_id != actor.portal.id:
        raise SignupNotFound("There is no sign-up by that id in this portal.")
    return record


def remove(
    session: Session, actor: Actor, signup_id: uuid.UUID | None = None, *, email: str | None = None
) -> LinkSignup:
    """Take back a sign-up waiting for its confirmation (User Management's Remove): its
    confirmation link stops working at once and its place on the link is freed. Only the link's
    managers; a sign-up already confirmed, replaced, removed or out of time is not pending any
    more (``SignupNotFound``). Audited. The sign-up is ``signup_id``, or the one of ``email``."""
    record = _pending(session, actor, signup_id, email)
    record.status = REMOVED
    tokens.end(session, CONFIRMATION, record.id, tokens.Reason.REVOKED)
    return _audited(session, actor, record, "invite_link.signup_removed")


def roster_select(
    portal_id: uuid.UUID | BindParameter[Any],
    *,
    now: datetime | BindParameter[Any],
    user_type: str | None = None,
    status: str | None = None,
    role: str | None = None,
    product: str | None = None,
    q: str | None = None,
    delivery: str | None = None,
) -> Select[*tuple[Any, ...]] | None:
    """Sign-ups waiting for their confirmation (``links.service.waiting``: what the link card
    counts as pending) as roster rows (User Management shows them as Pending), with the user
    type, role and products the link grants now (what confirming gives). None when ``status`` asks for
    something else. While the link is off they wait: turned on again, they can confirm.
    ``delivery``: of their newest confirmation email (``confirmation_deliveries``)."""
    if status not in (None, "", PENDING):
        return None
    query = (
        select(
            literal("signup").label("kind"),
            LinkSignup.id.label("id"),
            literal(None, type_=Uuid()).label("user_id"),
            LinkSignup.created_at.label("created_at"),
            LinkSignup.name.label("name"),
            LinkSignup.email.label("address"),
            InviteLink.user_type.label("user_type"),
            InviteLink.role.label("role"),
            InviteLink.products.label("products"),
            literal(PENDING).label("status"),
            literal(None, type_=Uuid()).label("invited_by_id"),
            literal(members_service.VIA_INVITE_LINK).label("via"),
            literal(None, type_=String()).label("inviter_label"),
            LinkSignup.sent_at.label("last_sent_at"),
            literal(None, type_=LinkSignup.sent_at.type).label("reminded_at"),
            name_order(LinkSignup.name, LinkSignup.email).label("sort_name"),
            LinkSignup.sent_at.label("sort_sent"),
            literal(PENDING).label("sort_status"),
        )
        .join(InviteLink, InviteLink.id == LinkSignup.link_id)
        .where(
            LinkSignup.portal_id == portal_id,
            links_service.waiting(InviteLink, now),
        )
    )
    if user_type:
        query = query.where(InviteLink.user_type == user_type)
    if role:
        query = query.where(InviteLink.role == role)
    if product:
        query = query.where(lists(InviteLink.products, product))
    if q:
        query = query.where(contains(q, LinkSignup.name, LinkSignup.email))
    if delivery:
        query = query.where(notifications_service.message_delivery_is(LinkSignup.confirmation_id, delivery))
    return query


def visible_ids(session: Session, actor: Actor, signup_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``signup_ids`` that are sign-ups of the actor's portal the actor may see, whatever
    their status (as ``get`` shows one), in one query: only the link's managers see any."""
    if not signup_ids or not policy.can(actor.role, policy.Action.LINK_MANAGE):
        return set()
    found = session.scalars(
        select(LinkSignup.id).where(LinkSignup.portal_id == actor.portal.id, LinkSignup.id.in_(signup_ids))
    )
    return set(found)


def confirmation_deliveries(session: Session, signup_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """``{signup_id: delivery}`` of each sign-up's newest confirmation email, for the ones that
    have one (``notifications.models.delivery_status`` reads it)."""
    if not signup_ids:
        return {}
    held = {
        signup_id: message_id
        for signup_id, message_id in session.execute(
            select(LinkSignup.id, LinkSignup.confirmation_id).where(LinkSignup.id.in_(signup_ids))
        )
        if message_id is not None
    }
    found = notifications_service.deliveries_of(session, held.values())
    return {signup_id: found[message_id] for signup_id, message_id in held.items() if message_id in found}


def confirmation_status(signup_id: Any, when: ColumnElement[bool]) -> ColumnElement[str | None]:
    """A column: the status of the newest confirmation email of the sign-up ``signup_id`` names
    (None when it has none, or when the row is not a sign-up: ``when`` is false)."""
    message = select(LinkSignup.confirmation_id).where(LinkSignup.id == signup_id).scalar_subquery()
    return case((when, notifications_service.message_status(message)), else_=None)
