"""Users and their memberships: looking people up by address, making users, listing a portal's
members, activating a membership, the portals a person belongs to.

Deactivating someone (which also revokes the API keys they made there) is ``flows.members``.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Collection, Iterable
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from admit import context, policy
from admit.actor import CONSOLE_IP, Actor
from admit.audit import service as audit_service
from admit.db import UTCDateTime, rowcount
from admit.errors import InvalidInput, MemberDeactivated, MemberNotFound, at_most_characters
from admit.kit.bulk import one_of
from admit.kit.insert import insert_now
from admit.kit.pagination import Order, ordered_page, page, seekable
from admit.kit.search import contains, escape_like, lists, searched
from admit.kit.text import readable_phone, sentence
from admit.members import addresses
from admit.members.addresses import MAX_NAME, ParsedRecipient, is_phone
from admit.members.models import JOINED_VIA, USERS_SEARCH, VIA_INVITE_LINK, Member, User
from admit.policy import Role, UserType
from admit.portals import service as portals_service

if TYPE_CHECKING:
    from admit.portals.models import Portal

__all__ = [
    "ACTIVE",
    "addresses_held_outside",
    "DEACTIVATED",
    "PENDING",
    "VIA_INVITE_LINK",
    "access_ended",
    "access_ended_among",
    "access_ended_in",
    "member_by_address",
    "activate",
    "active_role",
    "add_user",
    "count_active",
    "count_active_owners",
    "belongs_elsewhere",
    "change_details",
    "colleagues_among",
    "own_company_domain",
    "roles_of",
    "get_membership",
    "active_members",
    "get_or_create_user",
    "get_or_create_users",
    "get_user",
    "get_user_by_address",
    "get_user_by_email",
    "internal_users",
    "labels_by_id",
    "refs_by_id",
    "UserRef",
    "memberships_of",
    "membership_and_active",
    "portals_switched_to",
    "new_user",
    "operator_actor",
    "active_of_type",
    "KnownAccount",
    "known_accounts",
    "list_members",
    "member_or_raise",
    "search_people",
    "audit_own",
    "own_name",
    "get_member",
    "portal_ids_of",
    "rename",
    "replace_password",
    "role_and_status",
    "set_password",
    "set_access",
    "set_status",
    "parse_recipient",
    "roster_select",
    "statuses",
    "statuses_by_address",
    "users_by_address",
    "users_by_id",
]


class MemberStatus(StrEnum):
    """A membership: pending, active, or deactivated (access ended; the row and its history stay)."""

    PENDING = "pending"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


PENDING, ACTIVE, DEACTIVATED = (MemberStatus.PENDING, MemberStatus.ACTIVE, MemberStatus.DEACTIVATED)
STATUSES = (PENDING, ACTIVE, DEACTIVATED)


def access_ended(portal: Portal) -> MemberDeactivated:
    """What a deactivated member is told wherever they try to come back in (the portal's pages
    and API, its invite link, an invitation's link): the one sentence, naming the way back."""
    return MemberDeactivated(
        f"An administrator ended your access to {sentence(portal.name)} Ask one of its owners or"
        " admins to reactivate you."
    )


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def users_by_id(session: Session, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, User]:
    """``{user_id: User}`` for the given ids (one query)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(_asked()["users"], {"b_ids": ids})}


class UserRef(NamedTuple):
    """A user's public fields (``members.schemas.UserRead``'s), read as plain values."""

    id: uuid.UUID
    email: str | None
    phone: str | None
    name: str

    @property
    def label(self) -> str:
        return User.label_of(self.name, self.email, self.phone, self.id)


def refs_by_id(session: Session, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, UserRef]:
    """``{user_id: UserRef}`` for the given ids: one query of plain rows (no user is loaded)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(_labels(), {"b_ids": ids})
    return {r.id: UserRef(r.id, r.email, r.phone, r.name or "") for r in rows}


def labels_by_id(session: Session, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """``{user_id: User.label}`` for the given ids (``refs_by_id``)."""
    return {user_id: ref.label for user_id, ref in refs_by_id(session, user_ids).items()}


@cache
def _labels() -> Select[uuid.UUID, str, str | None, str | None]:
    return select(User.id, User.name, User.email, User.phone).where(
        User.id.in_(bindparam("b_ids", expanding=True))
    )


# Asked on every accept and sign-in: built once, on first use (``tokens.service``), each run
# binding its values.
@cache
def _user_by(column: str) -> Select[User]:
    return select(User).where(getattr(User, column) == bindparam("b_address"))


# Asked on every page (who is signed in, where, the portal switcher, the last owner): built
# once, on first use, like ``_user_by``.
@cache
def _asked() -> dict[str, Select[Any]]:
    portal: BindParameter[Any] = bindparam("b_portal")
    user: BindParameter[Any] = bindparam("b_user")
    return {
        "users": select(User).where(User.id.in_(bindparam("b_ids", expanding=True))),
        "membership": select(Member).where(Member.portal_id == portal, Member.user_id == user),
        # The same, with the user's active memberships of other portals (``membership_and_active``).
        "membership_and_active": select(Member).where(
            Member.user_id == user, or_(Member.portal_id == portal, Member.status == ACTIVE)
        ),
        # Their user is the one asking: ``member.user`` finds it in the session, with no join.
        "memberships": select(Member)
        .where(Member.user_id == user, Member.status == ACTIVE)
        .options(lazyload(Member.user)),
        # From ``ix_members_portal_kind``, like the roster's role counts (``seekable``).
        "owners": select(func.count())
        .select_from(Member)
        .where(
            Member.portal_id == portal,
            Member.role == Role.OWNER,
            Member.status == ACTIVE,
            *seekable(
                (Member.user_type, False, tuple(UserType)),
                (Member.status, True, STATUSES),
                (Member.role, True, tuple(Role)),
            ),
        ),
    }


@cache
def _active_role() -> Select[str]:
    return select(Member.role).where(
        Member.portal_id == bindparam("b_portal"),
        Member.user_id == bindparam("b_user"),
        Member.status == ACTIVE,
    )


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(_user_by("email"), {"b_address": email})


def get_user_by_address(session: Session, address: str) -> User | None:
    """The user a normalised recipient names: an E.164 phone number (``+…``) or an email."""
    if is_phone(address):
        return session.scalar(_user_by("phone"), {"b_address": address})
    return get_user_by_email(session, address)


class KnownAccount(NamedTuple):
    """What a message to an address says of the account it already has (``known_accounts``)."""

    name: str  # the account's own name ("" for none)
    has_password: bool  # accepting an invitation asks them to sign in with it (``flows.join``)


def known_accounts(session: Session, addresses: Collection[str]) -> dict[str, KnownAccount]:
    """``{address: KnownAccount}`` for those of the normalised ``addresses`` that have an account
    already: two queries at most, for any number."""
    emails = [a for a in addresses if not is_phone(a)]
    phones = [a for a in addresses if is_phone(a)]
    found: dict[str, KnownAccount] = {}
    for column, values in ((User.email, emails), (User.phone, phones)):
        if values:
            rows = session.execute(
                select(column, User.name, User.password_hash.is_not(None)).where(
                    one_of(session, column, values)
                )
            )
            found.update(
                (address, KnownAccount(name or "", bool(has)))
                for address, name, has in rows
                if address is not None
            )
    return found


def portal_ids_of(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The portals ``user_id`` is an active member of (their account's events are each one's:
    ``audit.service.record_account``)."""
    return list(
        session.scalars(select(Member.portal_id).where(Member.user_id == user_id, Member.status == ACTIVE))
    )


def audit_own(
    session: Session,
    user: User,
    action: str,
    *,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    portal_ids: list[uuid.UUID] | None = None,
) -> None:
    """An event of ``user``'s own account, by themselves (a sign-in, a password, two-step
    verification, a name): in each portal they are an active member of (``portal_ids``, when
    the caller knows them already), as ``audit.service.record_account`` writes it."""
    audit_service.record_account(
        session,
        portal_ids if portal_ids is not None else portal_ids_of(session, user.id),
        action,
        target_id=user.id,
        target_label=user.address or "",
        detail=detail,
        ip=ip,
    )


def own_name(text: str | None) -> str:
    """A name someone gives themselves (accepting an invitation, their account page), its spaces
    tidied, at most ``MAX_NAME`` characters. Empty: none (they are shown by their address)."""
    return _tidied(text)[:MAX_NAME]


def _tidied(text: str | None) -> str:
    return " ".join((text or "").split())


def rename(session: Session, user: User, name: str) -> None:
    """The person's own name for their account (its spaces tidied; empty: none). Refused over
    ``MAX_NAME`` characters, naming the field. Audited when it changes."""
    tidy = _tidied(name)
    if len(tidy) > MAX_NAME:
        raise InvalidInput(at_most_characters(MAX_NAME, tidy), field="name")
    if tidy == (user.name or ""):
        return
    before, user.name = user.name or "", tidy
    session.flush()
    audit_own(
        session,
        user,
        "user.renamed",
        detail={"from": before, "to": tidy},
    )


def replace_password(session: Session, user: User, was: str | None, password_hash: str) -> bool:
    """The user's new password (already hashed), only if theirs is still ``was`` (None: they
    had none): False when another change or a reset came first, and nothing is written."""
    still = User.password_hash.is_(None) if was is None else User.password_hash == was
    done = session.execute(
        update(User)
        .where(User.id == user.id, still)
        .values(password_hash=password_hash)
        .execution_options(synchronize_session=False)
    )
    if not rowcount(done):
        return False
    set_committed_value(user, "password_hash", password_hash)
    return True


def set_password(session: Session, user: User, password_hash: str) -> None:
    """The user's new password (already hashed: ``passwords.hash_password``)."""
    user.password_hash = password_hash
    session.flush()


def names_of(session: Session, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """``{user_id: name}`` of those with a name (plain rows: fast over a thousand people)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids), User.name != ""))
    return {user_id: name for user_id, name in rows if name}


def add_user(session: Session, address: str, *, name: str = "", password_hash: str | None = None) -> User:
    """A new user for a normalised address (email or E.164 number), flushed."""
    user = new_user(address, name=name)
    user.password_hash = password_hash
    return insert_now(session, user)


def new_user(address: str, *, name: str = "") -> User:
    """A user row for a normalised recipient (not added to the session)."""
    if is_phone(address):
        return User(phone=address, name=name)
    return User(email=address, name=name)


def active_members(
    session: Session, portal_id: uuid.UUID, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Member]:
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


def users_by_address(session: Session, addresses: Collection[str]) -> dict[str, User]:
    """``{address: User}`` for the normalised emails and phone numbers that have a user (one
    query per kind)."""
    emails = [a for a in addresses if not is_phone(a)]
    phones = [a for a in addresses if is_phone(a)]
    found: dict[str, User] = {}
    for column, wanted in ((User.email, emails), (User.phone, phones)):
        if wanted:
            for user in session.scalars(select(User).where(one_of(session, column, wanted))):
                found[getattr(user, column.key)] = user
    return found


def get_or_create_users(session: Session, addresses: list[str]) -> dict[str, User]:
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


def get_membership(session: Session, portal_id: uuid.UUID, user_id: uuid.UUID) -> Member | None:
    member: Member | None = session.scalar(_asked()["membership"], {"b_portal": portal_id, "b_user": user_id})
    return member


def membership_and_active(
    session: Session, portal_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Member | None, list[uuid.UUID]]:
    """``get_membership``, and the portals the user is an active member of (this one too if so):
    what the pages' portal switcher lists (``portals_switched_to``'s ``active``), in the same
    read. Every portal page asks both."""
    member = None
    active = []
    asked = {"b_portal": portal_id, "b_user": user_id}
    for found in session.scalars(_asked()["membership_and_active"], asked):
        if found.portal_id == portal_id:
            member = found
        if found.status == ACTIVE:
            active.append(found.portal_id)
    return member, active


def named_like(portal_id: uuid.UUID, q: str) -> Select[uuid.UUID]:
    """A SELECT of the user ids of the portal's members whose own name holds ``q`` (any case):
    where a page shows a member by their name, a search for it finds them."""
    return (
        select(Member.user_id)
        .join(User, User.id == Member.user_id)
        .where(Member.portal_id == portal_id, contains(q, User.name, index=USERS_SEARCH, row_id=User.id))
    )


def active_of_type(portal_id: uuid.UUID, user_type: str) -> Select[uuid.UUID]:
    """A SELECT of the user ids of the portal's active members of ``user_type``, for another
    domain to narrow down (who of them has no authenticator app yet)."""
    return select(Member.user_id).where(
        Member.portal_id == portal_id, Member.status == ACTIVE, Member.user_type == user_type
    )


def active_role(session: Session, portal_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    """The role of ``user_id`` in a portal if they are an active member there, else None (one
    column read)."""
    return session.scalar(_active_role(), {"b_portal": portal_id, "b_user": user_id})


def role_and_status(
    session: Session, portal_id: uuid.UUID, *, user_id: uuid.UUID | None, address: str
) -> tuple[str | None, str | None]:
    """``(active_role(user_id), the status of address's membership)`` in a portal, None for
    none, in one query: what an invitation's link asks each time it is opened (may its inviter
    still grant it; is its recipient a deactivated member). ``address``: normalised."""
    column = "phone" if is_phone(address) else "email"
    params: dict[str, Any] = {"b_portal": portal_id, "b_address": address, "b_user": user_id}
    role = status = None
    for value, whose in session.execute(_role_and_status(column, by_someone=user_id is not None), params):
        if whose == "inviter":
            role = value
        else:
            status = value
    return role, status


@cache
def _role_and_status(column: str, *, by_someone: bool) -> Select[str, Any] | CompoundSelect[str, Any]:
    recipient: Select[str, Any] = (
        select(Member.status, literal_column("'recipient'").label("whose"))
        .join(User, User.id == Member.user_id)
        .where(Member.portal_id == bindparam("b_portal"), getattr(User, column) == bindparam("b_address"))
    )
    if not by_someone:
        return recipient
    inviter = _active_role().add_columns(literal_column("'inviter'").label("whose"))
    return union_all(inviter, recipient)


def member_or_raise(session: Session, actor: Actor, member_id: uuid.UUID) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.portal_id != actor.portal.id:
        raise MemberNotFound("No such member in this portal.")
    return member


def get_member(session: Session, actor: Actor, member_id: uuid.UUID) -> Member:
    """One of the portal's members, for whoever may list them (``list_members``)."""
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    return member_or_raise(session, actor, member_id)


def members_by_id(session: Session, actor: Actor, member_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Member]:
    """``{id: Member}`` of those ``member_ids`` that are the portal's members, for whoever may
    list them (``get_member``'s, many at once: one query, their users with them)."""
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    ids = list(set(member_ids))
    if not ids:
        return {}
    query = select(Member).where(Member.portal_id == actor.portal.id, one_of(session, Member.id, ids))
    return {m.id: m for m in session.scalars(query).unique()}


def list_members(
    session: Session,
    actor: Actor,
    *,
    user_type: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[Member], str | None]:
    """The portal's members, newest first, optionally by user type and status."""
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    query = select(Member).where(Member.portal_id == actor.portal.id)
    if user_type:
        policy.user_type_of(user_type)
        query = query.where(Member.user_type == user_type)
    if status:
        if status not in STATUSES:
            raise InvalidInput.not_one_of("status", STATUSES)
        query = query.where(Member.status == status)
    return page(session, query, Member, cursor=cursor, limit=limit)


# Suggestions' order: by name (the address when there is none), lowercased, as the roster's
# ``name`` sort reads it (``members.sort_name``, its index), then id; its own cursors.
BY_NAME = Order("suggest", ("sort_name",), descending=False, kind="text")


def search_people(
    session: Session,
    actor: Actor,
    q: str,
    *,
    user_type: str | None = None,
    leaving_out: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 10,
) -> tuple[list[Member], str | None]:
    """Type-ahead suggestions: active members of the actor's portal (never another portal's)
    whose name, email or phone number contains ``q``, by name: ``(members, next_cursor)``.
    ``leaving_out``: a user never suggested (the one asking, who would add themselves)."""
    policy.require(actor.role, policy.Action.MEMBER_VIEW)
    q = (searched(q) or "").lower()
    if not q:
        return [], None
    like = f"%{escape_like(q)}%"
    matches = [func.lower(User.name).like(like, escape="\\"), User.email.like(like, escape="\\")]
    digits = "".join(c for c in q if c.isdigit())
    if len(digits) >= 3:
        matches.append(User.phone.like(f"%{digits}%"))
    query = (
        select(Member.id.label("id"), Member.sort_name.label("sort_name"))
        .join(User, User.id == Member.user_id)
        .where(Member.portal_id == actor.portal.id, Member.status == ACTIVE, or_(*matches))
    )
    if user_type:
        policy.user_type_of(user_type)
        query = query.where(Member.user_type == user_type)
    if leaving_out is not None:
        query = query.where(Member.user_id != leaving_out)
    return ordered_page(session, Member, query, cursor=cursor, limit=limit, order=BY_NAME)


def activate(
    session: Session,
    *,
    portal_id: uuid.UUID,
    user_id: uuid.UUID,
    user_type: str,
    role: str,
    products: list[str],
    via: str,
    invited_by_id: uuid.UUID | None = None,
    inviter_label: str | None = None,
    new_user: bool = False,
) -> Member:
    """Make a user an active member of a portal with this type, role and products.

    The one way anyone gets in (an accepted invitation, a confirmed link sign-up): a new member
    row, or the existing one written over. Callers decide whether the person may join; the one
    rule held here, whoever calls, is that a deactivated member is never written over (403
    ``member_deactivated``: Reactivate, ``set_status``, is their way back), even one deactivated
    after the caller looked. ``via``: how they come in (``models.JOINED_VIA``). ``invited_by_id``
    or ``inviter_label``: who invited them, a person or what made the invitation when no person
    did ("SCIM (Okta)"); either one replaces whoever invited them before. ``new_user``: the user
    was made in this transaction, so they have no membership to look for.
    """
    assert via in JOINED_VIA, via
    member = None if new_user else get_membership(session, portal_id, user_id)
    if member is not None and member.status == DEACTIVATED:
        raise access_ended(portals_service.get_or_raise(session, portal_id))
    added = member is None
    if member is None:
        member = Member(portal_id=portal_id, user_id=user_id)
    member.user_type = user_type
    member.role = role
    member.products = list(products)
    member.status = ACTIVE
    member.activated_at = context.of(session).clock.now()
    member.deactivated_at = None
    member.joined_via = via
    if invited_by_id is not None or inviter_label is not None:
        member.invited_by_id, member.inviter_label = invited_by_id, inviter_label
    if added:
        insert_now(session, member)
    else:
        session.flush()
    return member


def operator_actor(session: Session, slug: str, *, ip: str = CONSOLE_IP) -> Actor:
    """The actor for an operator at the console (the CLI): the portal's first active owner."""
    portal = portals_service.get_by_slug_or_raise(session, slug)
    owner = session.scalar(
        select(Member)
        .where(Member.portal_id == portal.id, Member.role == Role.OWNER, Member.status == ACTIVE)
        .order_by(Member.created_at)
        .limit(1)
    )
    return Actor(
        portal=portal, role=Role.OWNER, user=owner.user if owner else None, member=owner, ip=ip, console=True
    )


@cache
def _switcher() -> Select[uuid.UUID]:
    return select(Member.portal_id).where(Member.user_id == bindparam("b_user"), Member.status == ACTIVE)


def portals_switched_to(
    session: Session, user: User, *, besides: uuid.UUID | None, active: Iterable[uuid.UUID] | None = None
) -> list[Portal]:
    """The portals ``user`` is an active member of but ``besides`` (the pages' portal switcher),
    in ``memberships_of``'s order: one query of their ids, unless the caller read them already
    (``active``: ``membership_and_active``'s), and ``portals.service.by_ids`` asks for the others
    only when there are others."""
    if active is None:
        active = session.scalars(_switcher(), {"b_user": user.id})
    ids = [portal_id for portal_id in active if portal_id != besides]
    return sorted(portals_service.by_ids(session, ids).values(), key=lambda p: (p.name, str(p.id)))


def memberships_of(session: Session, user: User) -> list[tuple[Portal, Member]]:
    """The portals where ``user`` is an active member, by name."""
    members = list(session.scalars(_asked()["memberships"], {"b_user": user.id}))
    portals = portals_service.by_ids(session, [m.portal_id for m in members])
    return sorted(((portals[m.portal_id], m) for m in members), key=lambda pm: (pm[0].name, str(pm[0].id)))


def addresses_held_outside(portal_ids: Collection[uuid.UUID]) -> Select[tuple[str]]:
    """The addresses (emails and phone numbers) of everyone with a membership, of any status, in
    a portal not among ``portal_ids``: a query, to be used inside another (the dev mailbox's
    ``MailboxScope.withheld``: a message to one of them carries links into that portal's account,
    which whoever reads it could use). Never NULL, so ``NOT IN`` it is sound."""
    elsewhere = select(Member.user_id).where(Member.portal_id.not_in(list(portal_ids)))
    emails = select(User.email.label("address")).where(User.id.in_(elsewhere), User.email.is_not(None))
    phones = select(User.phone.label("address")).where(User.id.in_(elsewhere), User.phone.is_not(None))
    return select(union_all(emails, phones).subquery().c.address)


def member_by_address(session: Session, portal_id: uuid.UUID, text: str) -> Member:
    """The portal's membership of the person an email address or phone number (as typed: it is
    normalised here) names, whatever its status; ``MemberNotFound`` when there is none, naming
    the address as read (a phone number as every face shows one: ``kit.text.readable_phone``),
    or as typed when it is none."""
    address = parse_recipient(session, text).address
    user = get_user_by_address(session, address) if address is not None else None
    member = get_membership(session, portal_id, user.id) if user is not None else None
    if member is None:
        said = readable_phone(address) if address is not None else text.strip()
        raise MemberNotFound(f"Nobody in this portal has the address {said}.")
    return member


def access_ended_in(session: Session, user: User) -> Portal | None:
    """The portal where ``user``'s access was ended most recently (a deactivated membership), for
    someone in no portal any more: where they are told so (``access_ended``), not "invite me"."""
    portal_id = session.scalar(
        select(Member.portal_id)
        .where(Member.user_id == user.id, Member.status == DEACTIVATED)
        .order_by(Member.deactivated_at.desc())
        .limit(1)
    )
    return portals_service.get(session, portal_id) if portal_id is not None else None


def set_access(
    session: Session, member: Member, *, role: str | None = None, products: list[str] | None = None
) -> dict[str, list[Any]]:
    """Write a member's role and products (None: unchanged); callers decide whether they may
    change. Returns what changed, ``{name: [before, after]}``."""
    changed: dict[str, list[Any]] = {}
    if role is not None and role != member.role:
        changed["role"] = [member.role, role]
        member.role = role
    if products is not None and list(products) != list(member.products or []):
        changed["products"] = [list(member.products or []), list(products)]
        member.products = list(products)
    session.flush()
    return changed


def set_status(session: Session, member: Member, status: str) -> None:
    """Write a member's status (and when it changed); callers decide whether it may change."""
    now = context.of(session).clock.now()
    member.status = status
    if status == DEACTIVATED:
        member.deactivated_at = now
    elif status == ACTIVE:
        member.activated_at, member.deactivated_at = now, None
    session.flush()


def count_active(session: Session, portal_id: uuid.UUID) -> int:
    """How many active members the portal has (an HR sync's deactivation limit is a share of it)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.portal_id == portal_id, Member.status == ACTIVE)  # ix_members_portal_status
        )
        or 0
    )


def belongs_elsewhere(session: Session, user_id: uuid.UUID, portal_id: uuid.UUID) -> bool:
    """Whether the account is also a member (of any status) of a portal other than this one:
    then it exists independently of this portal, whose owners and directories do not change it."""
    return bool(
        session.scalar(
            select(Member.id).where(Member.user_id == user_id, Member.portal_id != portal_id).limit(1)
        )
    )


def change_details(
    session: Session, portal_id: uuid.UUID, user: User, *, name: str | None = None, email: str | None = None
) -> str | None:
    """Apply a directory's new name or email (a normalised address) to a user's account, only
    when the account is this portal's alone: an account that exists independently (a member of
    another portal) is never changed by one portal's directory. Returns why nothing was done,
    or None."""
    if belongs_elsewhere(session, user.id, portal_id):
        return "The account also belongs to another portal: its owner changes it."
    if email is not None and email != user.email:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            return f"{email} is already another account's address."
        user.email = email
    if name is not None:
        user.name = name[:MAX_NAME]
    session.flush()
    return None


def count_active_owners(session: Session, portal_id: uuid.UUID) -> int:
    """How many active owners the portal has (the last one may not go: ``policy``), counted
    from ``ix_members_portal_kind`` like the roster's role counts (``kit.pagination.seekable``)."""
    return session.scalar(_asked()["owners"], {"b_portal": portal_id}) or 0


def statuses_by_address(session: Session, portal_id: uuid.UUID, addresses: Collection[str]) -> dict[str, str]:
    """``{address: membership status}`` in the portal of those of the normalised ``addresses``
    (emails and E.164 numbers) that have a membership there: two queries for any number."""
    emails = [a for a in addresses if not is_phone(a)]
    phones = [a for a in addresses if is_phone(a)]
    found: dict[str, str] = {}
    if emails:
        rows = session.execute(
            select(User.email, Member.status)
            .join(Member, Member.user_id == User.id)
            .where(Member.portal_id == portal_id, one_of(session, User.email, emails))
        )
        found.update((address, status) for address, status in rows if address is not None)
    if phones:
        rows = session.execute(
            select(User.phone, Member.status)
            .join(Member, Member.user_id == User.id)
            .where(Member.portal_id == portal_id, one_of(session, User.phone, phones))
        )
        found.update((address, status) for address, status in rows if address is not None)
    return found


def parse_recipient(session: Session, text: str) -> ParsedRecipient:
    """``addresses.parse_recipient`` with this deployment's default phone region; an address
    with non-ASCII characters before the @ is refused here when the mail relay cannot deliver
    it (``ADMIT_SMTP_UTF8=false``)."""
    settings = context.of(session).settings
    parsed = addresses.parse_recipient(text, region=settings.default_phone_region)
    email = parsed.email
    if (
        email
        and settings.email_backend == "smtp"
        and not settings.smtp_utf8
        and not email.partition("@")[0].isascii()
    ):
        return dataclasses.replace(
            parsed,
            email=None,
            error="The mail server cannot deliver to an address with non-ASCII characters before the @.",
        )
    return parsed


def internal_users(
    session: Session,
    portal_id: uuid.UUID,
    *,
    user_ids: Iterable[uuid.UUID] | None = None,
    roles: Iterable[Role | str] | None = None,
    limit: int = 50,
) -> list[User]:
    """Active internal members of the portal, optionally among ``user_ids`` or with one of
    ``roles``, at most ``limit``."""
    query = (
        select(User)
        .join(Member, Member.user_id == User.id)
        .where(Member.portal_id == portal_id, Member.status == ACTIVE, Member.user_type == UserType.INTERNAL)
        .order_by(Member.created_at)
        .limit(limit)
    )
    if user_ids is not None:
        ids = list(user_ids)
        if not ids:
            return []
        query = query.where(Member.user_id.in_(ids))
    if roles is not None:
        query = query.where(Member.role.in_([str(r) for r in roles]))
    return list(session.scalars(query))


def access_ended_among(
    session: Session, portal_id: uuid.UUID, user_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``user_ids`` whose access to the portal was ended (deactivated members): still
    listed where they were (a workspace's people), never given work or told of anything there
    until they are reactivated (one query)."""
    return {
        user_id for user_id, status in statuses(session, portal_id, user_ids).items() if status == DEACTIVATED
    }


# At most this many domains are looked up among the internal users' per call (a paste of many
# addresses at many domains is not typed: those beyond are not said to look like colleagues').
_COLLEAGUE_DOMAINS_ASKED = 20


def own_company_domain(actor: Actor) -> str | None:
    """The company domain of ``actor``'s own address (an API key: its maker's), as
    ``colleagues_among`` reads it: ``acme.com``; None for a personal mail service's or none.
    What the Invite box names when an internal invitee is not a colleague's ("not at acme.com")."""
    person = actor.user or (actor.api_key.created_by if actor.api_key is not None else None)
    return addresses.company_domain(person.email if person is not None else None)


def colleagues_among(session: Session, actor: Actor, addresses_asked: Iterable[str]) -> set[str]:
    """Those of the normalised ``addresses_asked`` that look like a colleague's of ``actor``: an
    email at a company domain (``addresses.company_domain``: never a personal mail service's,
    gmail.com) that is the domain of the actor's own address (an API key: its maker's), or of
    one of the portal's active internal users'. What the workspace Invite panel warns about
    before inviting such an address as a client, offering Invite New Internal User. One query
    per domain not the actor's own."""
    by_domain: dict[str, list[str]] = {}
    for address in dict.fromkeys(addresses_asked):
        domain = addresses.company_domain(address)
        if domain is not None:
            by_domain.setdefault(domain, []).append(address)
    if not by_domain:
        return set()
    own = own_company_domain(actor)
    found: set[str] = {own} if own is not None and own in by_domain else set()
    asked = [d for d in by_domain if d != own][:_COLLEAGUE_DOMAINS_ASKED]
    found |= internal_domains_among(session, actor.portal.id, asked)
    return {a for d in found for a in by_domain[d]}


def internal_domains_among(session: Session, portal_id: uuid.UUID, domains: Iterable[str]) -> set[str]:
    """Those of ``domains`` (lower case) at which one of the portal's active internal users has
    an email address: the portal's own. One query, whatever their number (a domain-restricted
    invite link's public page asks at each view)."""
    asked = list(dict.fromkeys(domains))
    if not asked:
        return set()
    internal = (
        select(Member.id)
        .join(User, User.id == Member.user_id)
        .where(
            Member.portal_id == portal_id,
            Member.status == ACTIVE,
            Member.user_type == UserType.INTERNAL,
        )
    )
    at = [
        exists(internal.where(func.lower(User.email).like(f"%@{escape_like(d)}", escape="\\"))) for d in asked
    ]
    answers = session.execute(select(*at)).one()
    return {d for d, there in zip(asked, answers, strict=True) if there}


def roles_of(session: Session, portal_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """``{user_id: role}`` of those of ``user_ids`` who have a membership in the portal (whatever
    its status; a client's role is ``client``): one query."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Member.user_id, Member.role).where(Member.portal_id == portal_id, Member.user_id.in_(ids))
        ).all()
    )


def statuses(session: Session, portal_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """``{user_id: status}`` of those of ``user_ids`` who have a membership in the portal."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Member.user_id, Member.status).where(
                Member.portal_id == portal_id, Member.user_id.in_(ids)
            )
        ).all()
    )


def roster_select(
    portal_id: uuid.UUID | BindParameter[Any],
    *,
    user_type: str | None = None,
    status: str | None = None,
    role: str | None = None,
    q: str | None = None,
    product: str | None = None,
    invited_by: uuid.UUID | None = None,
    users_in: Select[Any] | None = None,
    users_not_in: Select[Any] | None = None,
    counting: bool = False,
) -> Select[*tuple[Any, ...]]:
    """The portal's members as roster rows (see ``people.roster``), filtered; ``counting``: only
    their ids, without the user's columns unless a search needs them (a count reads the index).
    ``users_in`` / ``users_not_in``: a SELECT of user ids, another domain's (who has set up
    two-step verification: ``auth.second_factor.set_up``), the members kept are among them / not."""
    if counting:
        query: Select[*tuple[Any, ...]] = select(Member.id).where(
            Member.portal_id == portal_id,
            *seekable(  # ix_members_portal_kind
                (Member.user_type, bool(user_type), tuple(UserType)),
                (Member.status, bool(status), STATUSES),
                (Member.role, bool(role), tuple(Role)),
            ),
        )
        if q:
            query = query.join(User, User.id == Member.user_id)
    else:
        query = (
            select(
                literal("member").label("kind"),
                Member.id.label("id"),
                Member.user_id.label("user_id"),
                Member.created_at.label("created_at"),
                User.name.label("name"),
                func.coalesce(User.email, User.phone).label("address"),
                Member.user_type.label("user_type"),
                Member.role.label("role"),
                Member.products.label("products"),
                Member.status.label("status"),
                Member.invited_by_id.label("invited_by_id"),
                Member.joined_via.label("via"),
                Member.inviter_label.label("inviter_label"),
                literal(None, type_=UTCDateTime()).label("last_sent_at"),
                literal(None, type_=UTCDateTime()).label("reminded_at"),
                Member.sort_name.label("sort_name"),
                Member.created_at.label("sort_sent"),
                Member.status.label("sort_status"),
            )
            .join(User, User.id == Member.user_id)
            .where(Member.portal_id == portal_id)
        )
    if user_type:
        query = query.where(Member.user_type == user_type)
    if status:
        query = query.where(Member.status == status)
    if role:
        query = query.where(Member.role == role)
    if q:
        query = query.where(
            contains(q, User.name, User.email, phone_column=User.phone, index=USERS_SEARCH, row_id=User.id)
        )
    if product:
        query = query.where(lists(Member.products, product))
    if invited_by:
        query = query.where(Member.invited_by_id == invited_by)
    if users_in is not None:
        query = query.where(Member.user_id.in_(users_in))
    if users_not_in is not None:
        query = query.where(Member.user_id.not_in(users_not_in))
    return query
