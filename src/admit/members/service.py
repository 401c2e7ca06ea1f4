"""Members of a portal: looking them up, listing them, deactivating them."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.auth import service as auth_service
from admit.errors import InvalidInput, NotFound
from admit.kit import clock
from admit.kit.pagination import page
from admit.members.addresses import is_phone
from admit.members.models import Member, User
from admit.policy import Role, UserType

__all__ = [
    "ACTIVE",
    "DEACTIVATED",
    "PENDING",
    "activate",
    "deactivate",
    "get_membership",
    "active_members",
    "get_or_create_user",
    "get_or_create_users",
    "get_user_by_address",
    "get_user_by_email",
    "names_in_portal",
    "new_user",
    "list_members",
    "member_or_raise",
    "search_people",
    "users_by_address",
]

PENDING, ACTIVE, DEACTIVATED = "pending", "active", "deactivated"
STATUSES = (PENDING, ACTIVE, DEACTIVATED)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def get_user_by_address(session: Session, address: str) -> User | None:
    """The user a normalised recipient names: an E.164 phone number (``+…``) or an email."""
    if is_phone(address):
        return session.scalar(select(User).where(User.phone == address))
    return get_user_by_email(session, address)


def new_user(address: str, *, name: str = "") -> User:
    """A user row for a normalised recipient (not added to the session)."""
    if is_phone(address):
        return User(phone=address, name=name)
    return User(email=address, name=name)


def active_members(session: Session, portal_id, user_ids) -> dict:
    """``{user_id: Member}`` of those of ``user_ids`` active in the portal (one query)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    return {
        m.user_id: m
        for m in session.scalars(
            select(Member).where(
                Member.portal_id == portal_id,
                Member.user_id.in_(ids),
                Member.status == ACTIVE,
            )
        )
    }


def names_in_portal(session: Session, portal_id, users) -> dict:
    """``{user_id: name}`` as a portal may show it. Users are shared between portals, so a
    person's own name is shown only where they are a member; anyone else is shown by the name
    given in this portal's invitation to them, or by no name (their address is what was typed)."""
    from admit.invitations.models import Invitation  # invitations import this module

    by_id = {u.id: u for u in users if u is not None}
    if not by_id:
        return {}
    members = set(
        session.scalars(
            select(Member.user_id).where(Member.portal_id == portal_id, Member.user_id.in_(list(by_id)))
        )
    )
    names = {uid: (u.name if uid in members else "") for uid, u in by_id.items()}
    outside = {u.address: uid for uid, u in by_id.items() if uid not in members and u.address}
    if outside:
        for recipient, given in session.execute(
            select(Invitation.recipient, Invitation.recipient_name)
            .where(Invitation.portal_id == portal_id, Invitation.recipient.in_(list(outside)))
            .order_by(Invitation.created_at)
        ):
            if given:
                names[outside[recipient]] = given
    return names


def users_by_address(session: Session, addresses) -> dict:
    """``{address: User}`` for the normalised emails and phone numbers that have a user (one
    query per kind)."""
    emails = [a for a in addresses if not is_phone(a)]
    phones = [a for a in addresses if is_phone(a)]
    found: dict = {}
    if emails:
        found.update({u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))})
    if phones:
        found.update({u.phone: u for u in session.scalars(select(User).where(User.phone.in_(phones)))})
    return found


def get_or_create_users(session: Session, addresses: list[str]) -> dict:
    """``{address: User}`` for many addresses at once: one query for those that exist, one flush
    for the new ones (falling back to one at a time if another request made some).

    New users get no name: users are shared between portals, and a name typed by someone in one
    portal is not the person's own (it stays on the invitation or the contact)."""
    found = users_by_address(session, addresses)
    new = {a: new_user(a) for a in addresses if a not in found}
    if new:
        try:
            with session.begin_nested():
                session.add_all(new.values())
                session.flush()
        except IntegrityError:
            new = {a: get_or_create_user(session, a) for a in addresses if a not in found}
        found.update(new)
    return found


def get_or_create_user(session: Session, address: str) -> User:
    """The user for ``address``, made if there is none: people added to a workspace, a group or
    contacts before they join have a row (no password, no portal membership, no name: see
    ``get_or_create_users``) to hang that on."""
    user = get_user_by_address(session, address)
    if user is None:
        user = new_user(address)
        try:
            with session.begin_nested():
                session.add(user)
                session.flush()
        except IntegrityError:  # made at the same moment by another request
            user = get_user_by_address(session, address)
            assert user is not None
    return user


def get_membership(session: Session, portal_id, user_id) -> Member | None:
    return session.scalar(select(Member).where(Member.portal_id == portal_id, Member.user_id == user_id))


def member_or_raise(session: Session, actor: Actor, member_id) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.portal_id != actor.portal.id:
        raise NotFound("No such member in this portal.", code="member_not_found")
    return member


def list_members(
    session: Session,
    actor: Actor,
    *,
    user_type: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
):
    """The portal's members, newest first, optionally by user type and status."""
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    query = select(Member).where(Member.portal_id == actor.portal.id)
    if user_type:
        if user_type not in tuple(UserType):
            raise InvalidInput("user_type must be internal or client.", field="user_type")
        query = query.where(Member.user_type == user_type)
    if status:
        if status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}.", field="status")
        query = query.where(Member.status == status)
    return page(session, query, Member, cursor=cursor, limit=limit)


def search_people(
    session: Session, actor: Actor, q: str, *, user_type: str | None = None, limit: int = 10
) -> list[Member]:
    """Type-ahead suggestions: active members of the actor's portal (never another portal's)
    whose name, email or phone number contains ``q``."""
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    q = (q or "").strip().lower()
    if not q:
        return []
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    matches = [func.lower(User.name).like(like, escape="\\"), User.email.like(like, escape="\\")]
    digits = "".join(c for c in q if c.isdigit())
    if len(digits) >= 3:
        matches.append(User.phone.like(f"%{digits}%"))
    query = (
        select(Member)
        .join(User, User.id == Member.user_id)
        .where(Member.portal_id == actor.portal.id, Member.status == ACTIVE, or_(*matches))
        .order_by(func.lower(User.name), User.email)
        .limit(max(1, min(limit, 50)))
    )
    if user_type:
        if user_type not in tuple(UserType):
            raise InvalidInput("user_type must be internal or client.", field="user_type")
        query = query.where(Member.user_type == user_type)
    return list(session.scalars(query))


def activate(
    session: Session,
    *,
    portal_id,
    user_id,
    user_type: str,
    role: str,
    products: list[str],
    invited_by_id=None,
) -> Member:
    """Make a user an active member of a portal with this type, role and products.

    The one way anyone gets in (an accepted invitation, a confirmed link sign-up): a new member
    row, or the existing one (pending or deactivated) brought back. Applies only; callers
    decide whether the person may join.
    """
    member = get_membership(session, portal_id, user_id)
    if member is None:
        member = Member(portal_id=portal_id, user_id=user_id)
        session.add(member)
    member.user_type = user_type
    member.role = role
    member.products = list(products)
    member.status = ACTIVE
    member.activated_at = clock.now()
    member.deactivated_at = None
    if invited_by_id is not None:
        member.invited_by_id = invited_by_id
    session.flush()
    return member


def deactivate(session: Session, actor: Actor, member_id) -> Member:
    """Deactivate a member: access ends at once and every session of theirs is ended."""
    policy.require(actor.role, policy.Action.MEMBER_DEACTIVATE)
    member = member_or_raise(session, actor, member_id)
    if member.status == DEACTIVATED:
        return member
    # Lock the portal before counting its owners: two owners deactivating each other at once
    # must not leave the portal with none (STYLE: take a lock before counting for a limit).
    session.refresh(actor.portal, with_for_update=True)
    owners = session.scalar(
        select(func.count())
        .select_from(Member)
        .where(
            Member.portal_id == actor.portal.id,
            Member.role == Role.OWNER,
            Member.status == ACTIVE,
        )
    )
    policy.require_rule(
        policy.check_deactivate(
            actor.role,
            member.role,
            is_self=actor.user is not None and actor.user.id == member.user_id,
            owners_left=owners or 0,
        )
    )
    member.status = DEACTIVATED
    member.deactivated_at = clock.now()
    ended = auth_service.end_all_sessions(session, member.user_id)
    # API keys they made in this portal stop working too: a key must not outlive its maker's access.
    revoked_keys = auth_service.revoke_api_keys(
        session, portal_id=actor.portal.id, created_by_id=member.user_id
    )
    audit_service.record(
        session,
        actor,
        "member.deactivated",
        target_type="member",
        target_id=member.id,
        target_label=member.user.address or "",
        detail={"sessions_ended": ended, "api_keys_revoked": revoked_keys},
    )
    session.flush()
    return member
