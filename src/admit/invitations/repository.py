"""Named queries on the invitations table (the only module outside ``invitations`` may ask)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    Uuid,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from admit import context
from admit.invitations.models import (
    ACCEPTED,
    EXPIRED,
    INVITATIONS_SEARCH,
    OPEN,
    PENDING,
    UNANSWERED,
    Invitation,
)
from admit.kit.bulk import one_of
from admit.kit.pagination import seekable
from admit.kit.search import contains, lists, name_order
from admit.notifications import service as notifications_service
from admit.policy import Role, UserType

__all__ = [
    "get",
    "invitation_standing",
    "lapsed_ids",
    "live_by_address",
    "live_ids",
    "matching",
    "names_given",
    "pending_addresses",
    "pending_by_address",
    "roster_select",
]


def get(session: Session, invitation_id: uuid.UUID) -> Invitation | None:
    return session.get(Invitation, invitation_id)


def names_given(session: Session, portal_id: uuid.UUID, addresses: Iterable[str | None]) -> dict[str, str]:
    """``{address: name}``: the name a portal's invitations gave each address (the latest one
    that gave a name)."""
    wanted = [a for a in set(addresses) if a]
    if not wanted:
        return {}
    names: dict[str, str] = {}
    for recipient, given in session.execute(
        select(Invitation.recipient, Invitation.recipient_name)
        .where(Invitation.portal_id == portal_id, Invitation.recipient.in_(wanted))
        .order_by(Invitation.created_at)
    ):
        if given:
            names[recipient] = given
    return names


def pending_by_address(
    session: Session, portal_id: uuid.UUID, addresses: Iterable[str | None]
) -> dict[str, Invitation]:
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


def _lapsed(now: datetime) -> ColumnElement[bool]:
    """An invitation that expired unaccepted: marked so by the sweep, or pending past its expiry
    and not swept yet (``lapsed_ids``; ``invitation_standing`` reads the same by address)."""
    return or_(Invitation.status == EXPIRED, and_(Invitation.status == PENDING, Invitation.expires_at <= now))


def live_by_address(
    session: Session, portal_id: uuid.UUID, addresses: Iterable[str | None]
) -> dict[str, Invitation]:
    """``{address: invitation}`` of those of ``addresses`` whose pending invitation still stands
    (not past its expiry, swept or not): what a team takes as invited (whose invitation lapsed:
    ``invitation_standing``)."""
    now = context.of(session).clock.now()
    return {
        a: inv for a, inv in pending_by_address(session, portal_id, addresses).items() if inv.expires_at > now
    }


def invitation_standing(
    session: Session, portal_id: uuid.UUID, addresses: Iterable[str | None]
) -> dict[str, bool]:
    """``{address: whether its invitation stands}`` for those of ``addresses`` with one pending or
    lapsed unaccepted (``_lapsed``): True while one is pending and not past its expiry, False once
    it lapsed (the Members panel's Expired); an address with neither is not a key. One query."""
    wanted = [a for a in set(addresses) if a]
    if not wanted:
        return {}
    lapsed = _lapsed(context.of(session).clock.now())
    out: dict[str, bool] = {}
    rows = session.execute(
        select(Invitation.recipient, lapsed).where(
            Invitation.portal_id == portal_id,
            Invitation.status.in_(UNANSWERED),
            one_of(session, Invitation.recipient, wanted),
        )
    )
    for address, gone in rows:
        out[address] = out.get(address, False) or not gone
    return out


def invited_roles(session: Session, portal_id: uuid.UUID, addresses: Iterable[str | None]) -> dict[str, str]:
    """``{address: role}``: what the open invitation of each of ``addresses`` offers (pending, or
    lapsed unaccepted: Resend brings it back), the newest when there are several. One query."""
    wanted = [a for a in set(addresses) if a]
    if not wanted:
        return {}
    rows = session.execute(
        select(Invitation.recipient, Invitation.role)
        .where(
            Invitation.portal_id == portal_id,
            Invitation.status.in_(UNANSWERED),
            one_of(session, Invitation.recipient, wanted),
        )
        .order_by(Invitation.created_at)
    )
    return {address: role for address, role in rows}  # the newest last, so it stays


def pending_addresses(session: Session, portal_id: uuid.UUID, addresses: Iterable[str | None]) -> set[str]:
    """The ``addresses`` with an invitation still marked pending (``pending_by_address``'s keys)."""
    wanted = [a for a in set(addresses) if a]
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(Invitation.recipient).where(
                Invitation.portal_id == portal_id,
                Invitation.status == PENDING,
                one_of(session, Invitation.recipient, wanted),
            )
        )
    )


def live_ids(session: Session, invitation_ids: Iterable[uuid.UUID | None]) -> set[uuid.UUID]:
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


def lapsed_ids(session: Session, invitation_ids: Iterable[uuid.UUID | None]) -> set[uuid.UUID]:
    """Those of ``invitation_ids`` that expired unaccepted (marked so by the sweep, or pending
    past their expiry and not swept yet): the Members panel's Expired, Resend all expired's."""
    ids = [i for i in set(invitation_ids) if i is not None]
    if not ids:
        return set()
    lapsed = _lapsed(context.of(session).clock.now())
    return set(session.scalars(select(Invitation.id).where(Invitation.id.in_(ids), lapsed)))


def matching(q: str) -> ColumnElement[bool]:
    """The invitations ``q`` finds (``kit.search.searched``: what a search box searches for): by
    the recipient's name or address, any case, or three digits or more of a phone number typed
    any way; on SQLite from the invitations' search index. User Management's search (the
    roster's) and ``GET …/invitations?q=``."""
    return contains(
        q,
        Invitation.recipient_name,
        Invitation.recipient,
        phone_column=Invitation.recipient,
        index=INVITATIONS_SEARCH,
        row_id=Invitation.id,
    )


def roster_select(
    portal_id: uuid.UUID | BindParameter[Any],
    *,
    now: datetime | BindParameter[Any],
    user_types: Iterable[UserType],
    user_type: str | None = None,
    status: str | None = None,
    role: str | None = None,
    q: str | None = None,
    product: str | None = None,
    invited_by: uuid.UUID | None = None,
    delivery: str | None = None,
    counting: bool = False,
) -> Select[*tuple[Any, ...]]:
    """The portal's open invitations (not accepted: accepted ones are members) of the visible
    ``user_types`` as roster rows (see ``people.roster``); a pending one past its expiry shows
    as expired. ``counting``: only their ids (a count reads an index)."""
    columns: tuple[Any, ...] = (Invitation.id,)
    if not counting:
        shown_status = case(
            (and_(Invitation.status == PENDING, Invitation.expires_at <= now), literal(EXPIRED)),
            else_=Invitation.status,
        )
        columns = (
            literal("invitation").label("kind"),
            Invitation.id.label("id"),
            literal(None, type_=Uuid()).label("user_id"),
            Invitation.created_at.label("created_at"),
            Invitation.recipient_name.label("name"),
            Invitation.recipient.label("address"),
            Invitation.user_type.label("user_type"),
            Invitation.role.label("role"),
            Invitation.products.label("products"),
            shown_status.label("status"),
            Invitation.invited_by_id.label("invited_by_id"),
            literal(None, type_=String()).label("via"),
            Invitation.inviter_label.label("inviter_label"),
            Invitation.last_sent_at.label("last_sent_at"),
            # The latest reminder since the latest send (``invitations.reminders``), if any.
            case((Invitation.reminders_sent > 0, Invitation.last_reminded_at)).label("reminded_at"),
            name_order(Invitation.recipient_name, Invitation.recipient).label("sort_name"),
            func.coalesce(Invitation.last_sent_at, Invitation.created_at).label("sort_sent"),
            Invitation.status.label("sort_status"),
        )
    query = select(*columns).where(Invitation.portal_id == portal_id, Invitation.status != ACCEPTED)
    visible = {str(t) for t in user_types}
    some = visible != {str(t) for t in UserType}  # all of them needs no condition (nor its cost)
    if some:
        query = query.where(Invitation.user_type.in_(sorted(visible)))
    if counting:
        query = query.where(
            *seekable(  # ix_invitations_portal_kind
                (Invitation.user_type, bool(user_type) or some, sorted(visible)),
                (Invitation.status, bool(status), OPEN),
                (Invitation.role, bool(role), tuple(Role)),
            )
        )
    if user_type:
        query = query.where(Invitation.user_type == user_type)
    if status == PENDING:
        query = query.where(Invitation.status == PENDING, Invitation.expires_at > now)
    elif status == EXPIRED:
        query = query.where(
            or_(
                Invitation.status == EXPIRED, and_(Invitation.status == PENDING, Invitation.expires_at <= now)
            )
        )
    elif status:
        query = query.where(Invitation.status == status)
    if role:
        query = query.where(Invitation.role == role)
    if q:
        query = query.where(matching(q))
    if product:
        query = query.where(lists(Invitation.products, product))
    if invited_by:
        query = query.where(Invitation.invited_by_id == invited_by)
    if delivery:
        query = query.where(notifications_service.delivery_is(Invitation.id, delivery, portal_id))
    return query


def sent_by(portal_id: uuid.UUID, user_id: uuid.UUID) -> Select[Any]:
    """The ids of the portal's invitations ``user_id`` made (their messages count toward that
    inviter's own quota: ``sending.reserve``)."""
    return select(Invitation.id).where(Invitation.portal_id == portal_id, Invitation.invited_by_id == user_id)
