"""The roster: everyone in a portal or on their way in, one row per person, as User Management,
``GET …/people`` and ``admit members list`` show it.

Rows come from three places, merged newest first: members (active, pending, deactivated), open
invitations (pending, expired, revoked: accepted ones are members now) and sign-ups through the
invite link waiting for their confirmation. Who sees which rows is policy's: internal members
see client invitations only (``policy.visible_invitation_types``) and only the link's managers
see its sign-ups. Every list pages with a cursor; nothing is capped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from operator import itemgetter
from threading import Lock
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, get_args

from admit import context, policy
from admit.actor import Actor
from admit.auth import second_factor
from admit.db import raw_iso, raw_list, raw_uuid
from admit.errors import InvalidInput
from admit.invitations import repository as invitations_repository
from admit.invitations import service as invitations_service
from admit.invitations.models import OPEN, InvitationStatus
from admit.kit import search
from admit.kit.pagination import (
    FEW,
    NEWEST,
    Order,
    any_each,
    counts_by,
    counts_statement,
    parameter,
    read_counts,
    read_union_page,
    stream_union,
    union_page_statement,
)
from admit.links import signups
from admit.members import service as members_service
from admit.members.models import VIA_INVITE_LINK
from admit.members.service import UserRef
from admit.notifications import service as notifications_service
from admit.notifications.models import DeliveryFilter, DeliveryStatus, delivery_status, shown_delivery
from admit.policy import INTERNAL_ROLES, Action, Role, UserType

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session


__all__ = [
    "DELIVERIES",
    "KINDS",
    "SORTS",
    "STATUSES",
    "TWO_STEP",
    "Listed",
    "RosterPage",
    "RosterRow",
    "MAX_DELIVERIES",
    "RowDelivery",
    "counts_by_state",
    "deliveries",
    "everyone",
    "export",
    "roster",
]

KINDS = ("member", "invitation", "signup")
STATUSES = ("pending", "active", "deactivated", "expired", "revoked")
ROLES = (*INTERNAL_ROLES, Role.CLIENT)
# The Two-step verification filter: members who have set it up (a confirmed authenticator app,
# ``auth.second_factor.set_up``) or not. Invitations and sign-ups have none: it lists members only.
TWO_STEP = ("set_up", "not_set_up")


@dataclass(slots=True)
class RosterRow:
    kind: str  # member | invitation | signup
    id: uuid.UUID  # the member's, the invitation's or the sign-up's
    user_id: uuid.UUID | None
    name: str
    address: str
    user_type: str
    role: str
    products: list[str]
    status: str  # pending | active | deactivated | expired | revoked
    created_at: datetime
    last_sent_at: datetime | None
    invited_by: str | None  # how the portal names who invited them ("Invite link": ``via`` it)
    invited_by_id: uuid.UUID | None
    inviter: UserRef | None  # the person who invited them (``invited_by_id``'s)
    via: str | None  # a sign-up's, and a member's ``Member.joined_via``: "invite_link" or another way
    delivery: DeliveryStatus | None = None  # the last message's delivery (invitations, sign-ups)
    last_reminded_at: datetime | None = None  # the latest reminder since the last send (invitations)


@dataclass(slots=True)
class RosterPage:
    items: list[RosterRow]
    next_cursor: str | None
    total: int
    filters: dict[str, str | None] = field(default_factory=dict)


def _check(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    if value in (None, ""):
        return None
    if value not in tuple(str(a) for a in allowed):
        raise InvalidInput.not_one_of(name, (str(a) for a in allowed))
    return value


# The orders the roster offers: ``name`` ascending, ``-name`` descending, and so on. Each kind of
# row labels its keys (``sort_name``, ``sort_sent``, ``sort_status``) as its own index reads them:
# name sorts by the address when there is no name, lowercased; a member has no "last sent" and
# sorts by when they were added; status sorts by the status as stored (an invitation the expiry
# sweep has not reached yet sorts among the pending ones, for the minute until it does).
SORTS: dict[str, Order] = {
    "-invited": NEWEST,
    "invited": Order("invited", ("created_at",), descending=False),
    "name": Order("name", ("sort_name",), descending=False, kind="text"),
    "-name": Order("-name", ("sort_name",), descending=True, kind="text"),
    "-last_sent": Order("-last_sent", ("sort_sent",), descending=True),
    "last_sent": Order("last_sent", ("sort_sent",), descending=False),
    "status": Order("status", ("sort_status",), descending=False, kind="text"),
    "-status": Order("-status", ("sort_status",), descending=True, kind="text"),
}
DELIVERIES = get_args(DeliveryFilter)


# Statements kept by their shape (``roster``): building a page's statements and their cache keys
# is a third of a User Management page's Python, and a few shapes are most of what is asked.
_KEPT: dict[tuple[Any, ...], Any] = {}
_KEPT_MOST = 512
_KEPT_LOCK = Lock()
T = TypeVar("T")


def _kept(key: tuple[Any, ...] | None, build: Callable[[], T]) -> T:
    """What ``build`` makes, kept under ``key`` (None: not kept; the oldest goes past
    ``_KEPT_MOST``). Kept statements name their values as parameters: they hold no portal's."""
    if key is None:
        return build()
    with _KEPT_LOCK:
        found = _KEPT.get(key)
    if found is None:
        found = build()
        with _KEPT_LOCK:
            _KEPT[key] = found
            if len(_KEPT) > _KEPT_MOST:
                del _KEPT[next(iter(_KEPT))]
    return found


def roster(
    session: Session,
    actor: Actor,
    *,
    user_type: str | None = None,
    status: str | None = None,
    role: str | None = None,
    product: str | None = None,
    invited_by: uuid.UUID | None = None,
    delivery: str | None = None,
    two_step: str | None = None,
    q: str | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    count: bool = True,
    stream: list[Iterator[Sequence[Any]]] | None = None,
    streaming: dict[str, Any] | None = None,
    statements: list[tuple[list[Select[Any]], dict[str, Any]]] | None = None,
) -> RosterPage:
    """One page of the roster (newest first unless ``sort`` says otherwise: see ``SORTS``),
    with the total that matches the filters (``count=False`` skips counting). ``stream``, for
    ``everyone`` and ``export``: the filters are checked, then the whole list's batches go there
    instead, read as ``streaming`` says: ``kit.pagination.stream_union``'s options.) ``statements``:
    the filters are checked, then the whole list's statements and their parameters go there
    (``counts_by_state`` counts them)."""
    policy.require(actor.role, Action.MEMBER_VIEW)
    user_type = _check("user_type", user_type, UserType)
    status = _check("status", status, STATUSES)
    role = _check("role", role, ROLES)
    product = _check("product", product, policy.ALL_PRODUCTS)
    delivery = _check("delivery", delivery, DELIVERIES)
    two_step = _check("two_step", two_step, TWO_STEP)
    sort = _check("sort", sort, SORTS) or "-invited"
    q = search.searched(q)
    # The portal and the time are named parameters, given as the statements are asked
    # (``params``): a first page without a search or an inviter's filter is built once for its
    # shape (who asks, the filters, the order) and kept (``_kept``).
    params = {"roster_portal": actor.portal.id, "roster_now": context.of(session).clock.now()}
    portal_id, now = parameter("roster_portal"), parameter("roster_now")
    shared: dict[str, Any] = {"product": product, "invited_by": invited_by}
    streaming = streaming or {}
    shape = (
        None if (q or invited_by) else (str(actor.role), user_type, status, role, product, delivery, two_step)
    )

    def build(counting: bool, searching: bool, status: str | None = status) -> list[tuple[str, Select[Any]]]:
        searched = q if searching else None
        out: list[tuple[str, Select[Any]]] = []
        # Members have no message of their own to deliver; sign-ups are nobody's invitation (their
        # products are their link's).
        if status in (None, *members_service.STATUSES) and not delivery:
            out.append((
                "member",
                members_service.roster_select(
                    portal_id,
                    user_type=user_type,
                    status=status,
                    role=role,
                    q=searched,
                    counting=counting,
                    users_in=second_factor.set_up() if two_step == "set_up" else None,
                    users_not_in=second_factor.set_up() if two_step == "not_set_up" else None,
                    **shared,
                ),
            ))  # fmt: skip
        if two_step:  # members only
            return out
        if policy.can(actor.role, Action.INVITATION_VIEW) and status in (None, *OPEN):
            out.append((
                "invitation",
                invitations_repository.roster_select(
                    portal_id,
                    now=now,
                    user_types=policy.visible_invitation_types(actor.role),
                    user_type=user_type,
                    status=status,
                    role=role,
                    q=searched,
                    delivery=delivery,
                    counting=counting,
                    **shared,
                ),
            ))  # fmt: skip
        if policy.can(actor.role, Action.LINK_MANAGE) and not invited_by:
            query = signups.roster_select(
                portal_id,
                now=now,
                user_type=user_type,
                status=status,
                role=role,
                product=product,
                q=searched,
                delivery=delivery,
            )
            if query is not None:
                out.append(("signup", query))
        return out

    def selects(counting: bool, searching: bool = True) -> list[Select[Any]]:
        return _kept(
            shape and (*shape, counting, searching),
            lambda: [query for _kind, query in build(counting, searching)],
        )

    listed = selects(counting=False)
    if statements is not None:
        statements.append((listed, params))
        return RosterPage(items=[], next_cursor=None, total=-1)
    if stream is not None:
        if listed:  # (none: nothing to stream)
            stream.append(stream_union(session, listed, order=SORTS[sort], params=params, **streaming))
        return RosterPage(items=[], next_cursor=None, total=-1)
    if not listed:
        return RosterPage(items=[], next_cursor=None, total=0, filters={})
    # A delivery filter (from the messages) and a search on SQLite (from its search index) read
    # every match before ordering them: their first page counts them as it reads them. Other
    # filters are counted apart, from an index, since their page walks an index in order and stops.
    counted = count and cursor is None and bool(delivery or search.reads_every_match(session, q))
    total = -1
    few: list[bool] = []
    matched: tuple[bool, ...] = ()
    if count and not counted:
        # Counted first: a kind of row none of which match is left out of the page's query (a
        # filter no row of a table has would otherwise walk that whole table in the page's order).
        counting = selects(counting=True)
        counts = read_counts(
            session, _kept(shape and (*shape, "counts"), lambda: counts_statement(counting)), params
        )
        total = sum(counts)
        matched = tuple(bool(n) for n in counts)
        kept = [(query, n) for query, n in zip(listed, counts, strict=True) if n] or [(listed[0], 0)]
        listed, few = [query for query, _n in kept], [n <= FEW for _query, n in kept]
    elif counted and q and len(listed) > 1 and any((user_type, status, role, product, invited_by)):
        # A search with other filters: a kind of row none of which match them (pending clients
        # among members) is left out before it is searched (asked of the kinds' indexes at once).
        holds = any_each(session, selects(counting=True, searching=False), params)
        listed = [query for query, held in zip(listed, holds, strict=True) if held] or listed[:1]
    order = SORTS[sort]
    statement = _kept(
        None if cursor else shape and (*shape, sort, limit, counted, matched, tuple(few)),
        lambda: union_page_statement(
            listed, cursor=cursor, limit=limit, order=order, counted=counted, few=few
        ),
    )
    found = read_union_page(session, statement, limit=limit, order=order, counted=counted, params=params)
    if found.total is not None:
        total = found.total
    filters = {
        "user_type": user_type,
        "status": status,
        "role": role,
        "product": product,
        "invited_by": str(invited_by) if invited_by else None,
        "delivery": delivery,
        "two_step": two_step,
        "q": q,
        "sort": sort,
    }
    items = _items(session, found.rows)
    return RosterPage(items=items, next_cursor=found.next_cursor, total=total, filters=filters)


# Who invited someone who came in, or is signing up, through the portal's invite link.
BY_INVITE_LINK = "Invite link"


def _invited_by(via: str | None, inviter: str | None, named: str | None = None) -> str | None:
    """The roster's Invited by: the link for a sign-up and for a member who joined through it,
    else the inviter's label (``members.service.labels_by_id``), else what made the invitation
    when no person did (``Invitation.inviter_label``: "SCIM (Okta)")."""
    return BY_INVITE_LINK if via == VIA_INVITE_LINK else inviter or named


def _label(inviter: UserRef | None) -> str | None:
    return inviter.label if inviter is not None else None


# What ``_items`` reads of a roster row, in this order (each kind's select labels them alike).
_ITEM_KEYS = (
    "kind", "id", "user_id", "name", "address", "user_type", "role", "products", "status",
    "created_at", "last_sent_at", "reminded_at", "invited_by_id", "via", "inviter_label",
)  # fmt: skip
_KIND, _ID, _INVITED_BY = (_ITEM_KEYS.index(key) for key in ("kind", "id", "invited_by_id"))


def _items(
    session: Session, rows: Sequence[Any], inviters: dict[Any, UserRef] | None = None
) -> list[RosterRow]:
    """Roster rows as the faces show them: who invited them, the last message's delivery.
    ``inviters``: the inviters known already, added to as more are read."""
    if not rows:
        return []
    inviters = {} if inviters is None else inviters
    # The values by position, not by name: a row's attribute costs ~0.3 µs, a page's 650 of them
    # ~4% of User Management's CPU (``bench/page_cpu.py``).
    at = {key: i for i, key in enumerate(rows[0]._fields)}
    values = [*map(itemgetter(*(at[key] for key in _ITEM_KEYS)), rows)]
    wanted = {v[_INVITED_BY] for v in values if v[_INVITED_BY]} - set(inviters)
    inviters.update(members_service.refs_by_id(session, wanted))
    invitation_ids = [v[_ID] for v in values if v[_KIND] == "invitation"]
    latest: dict[Any, Any] = {
        **notifications_service.latest_for_invitations(session, invitation_ids),
        **signups.confirmation_deliveries(session, [v[_ID] for v in values if v[_KIND] == "signup"]),
    }
    return [
        RosterRow(
            kind=kind,
            id=id_,
            user_id=user_id,
            name=name or "",
            address=address or "",
            user_type=user_type,
            role=role,
            products=list(products or []),
            status=status,
            created_at=created_at,
            last_sent_at=last_sent_at,
            invited_by=_invited_by(via, _label(inviters.get(invited_by_id)), inviter_label),
            invited_by_id=invited_by_id,
            inviter=inviters.get(invited_by_id),
            via=via,
            delivery=delivery_status(latest.get(id_)) if kind != "member" else None,
            last_reminded_at=reminded_at,
        )
        for (
            kind, id_, user_id, name, address, user_type, role, products, status,
            created_at, last_sent_at, reminded_at, invited_by_id, via, inviter_label,
        ) in values
    ]  # fmt: skip


# How many rows ``deliveries`` answers at once: User Management watches at most a page of them
# (50 queued badges); more is refused, never cut.
MAX_DELIVERIES = 50


class RowDelivery(NamedTuple):
    kind: str  # invitation | signup
    id: uuid.UUID
    delivery: DeliveryStatus


def deliveries(session: Session, actor: Actor, ids: Sequence[uuid.UUID]) -> list[RowDelivery]:
    """The delivery of each roster row ``ids`` names that the actor may see (an invitation's newest
    message, a sign-up's newest confirmation email, as ``GET …/invitations/{id}`` and
    ``GET …/link/signups/{id}`` give it), in the order given: User Management's queued badges ask
    it once a round for all of them. An id of no such row, or of one the actor may not see, is
    left out, as the roster leaves it out; members have no delivery (left out too). More than
    ``MAX_DELIVERIES`` ids is refused (``ids``)."""
    policy.require(actor.role, Action.MEMBER_VIEW)
    if len(ids) > MAX_DELIVERIES:
        raise InvalidInput(f"At most {MAX_DELIVERIES} ids at a time ({len(ids)} given).", field="ids")
    wanted = list(dict.fromkeys(ids))
    invitations = (
        invitations_service.visible_by_id(session, actor, wanted)
        if policy.can(actor.role, Action.INVITATION_VIEW)
        else {}
    )
    signup_ids = signups.visible_ids(session, actor, [i for i in wanted if i not in invitations])
    latest: dict[Any, Any] = {
        **notifications_service.latest_for_invitations(session, list(invitations)),
        **signups.confirmation_deliveries(session, list(signup_ids)),
    }
    return [
        RowDelivery("invitation" if id_ in invitations else "signup", id_, delivery_status(latest.get(id_)))
        for id_ in wanted
        if id_ in invitations or id_ in signup_ids
    ]


def everyone(session: Session, actor: Actor, **filters: Any) -> Iterator[RosterRow]:
    """Every row of the roster the filters match, in the sort's order (the CSV export): one
    query read as it streams, a thousand rows at a time, so memory stays flat however many."""
    batches: list[Iterator[Sequence[Any]]] = []
    roster(session, actor, stream=batches, **filters)
    inviters: dict[Any, UserRef] = {}
    for batch in chain.from_iterable(batches):
        items = _items(session, batch, inviters)
        yield from items


def counts_by_state(
    session: Session, actor: Actor, *, held: Select[Any, Any], **filters: Any
) -> dict[tuple[str, str, str, bool, str | None], int]:
    """How many rows of the roster the filters match on every page (as ``everyone`` reads them),
    by kind, status, role, whether the row is the actor's own, and ``held``'s words for its
    address (a SELECT of addresses and words, one row an address: ``directory.service.held``;
    None: not there), in one grouped statement: ``{("member", "active", "admin", False, None): 40}``.
    What a selection of "all matching" holds beyond the page shown."""
    found: list[tuple[list[Select[Any]], dict[str, Any]]] = []
    wanted = {k: v for k, v in filters.items() if k not in ("cursor", "limit", "sort")}
    roster(session, actor, statements=found, **wanted)
    listed, params = found[0]
    return counts_by(
        session,
        listed,
        ("kind", "status", "role"),
        params,
        equals=("user_id", actor.user.id if actor.user is not None else None),
        looked_up=("address", held),
    )


class Listed(NamedTuple):
    """A roster row as the export writes it: every value already as it reads."""

    name: str
    address: str
    user_type: str
    role: str
    products: tuple[str, ...]
    status: str
    kind: str
    invited_by: str
    created_at: str  # ISO 8601, UTC (Z), as the API's created_at
    last_sent_at: str  # ISO 8601, UTC, or ""
    delivery: str  # the last message's delivery (invitations, sign-ups), or ""


_EXPORTED = (
    "kind",
    "name",
    "address",
    "user_type",
    "role",
    "products",
    "status",
    "invited_by_id",
    "created_at",
    "last_sent_at",
    "via",
    "inviter_label",
)


def export(session: Session, actor: Actor, **filters: Any) -> Iterator[Listed]:
    """Every row of the roster the filters match, in the sort's order, as the CSV export writes
    it: one query read as it streams (each row's delivery comes with it), values converted here
    rather than by the column types, and inviters looked up once each. Memory stays flat and a
    row costs a few microseconds, however many there are."""
    batches: list[Iterator[Sequence[Any]]] = []
    streaming = {"columns": _EXPORTED, "extra": _with_delivery, "raw": True}
    roster(session, actor, stream=batches, streaming=streaming, **filters)
    inviters: dict[Any, str] = {}
    for batch in chain.from_iterable(batches):
        unseen = {r[7] for r in batch if r[7] is not None and r[7] not in inviters}
        if unseen:
            labels = members_service.labels_by_id(session, [u for raw in unseen if (u := raw_uuid(raw))])
            for raw in unseen:
                inviters[raw] = labels.get(raw_uuid(raw), "")  # type: ignore[arg-type]
        for (
            kind,
            name,
            address,
            user_type,
            role,
            products,
            status,
            by,
            created,
            sent,
            via,
            named,
            delivery,
        ) in batch:
            yield Listed(
                name or "",
                address or "",
                user_type,
                role,
                raw_list(products),
                status,
                kind,
                _invited_by(via, inviters.get(by, ""), named) or "",
                raw_iso(created),
                raw_iso(sent),
                shown_delivery(delivery) if kind != "member" else "",
            )


# What the list knows of a row's person beyond the row (``moved_on``), and how the row says it:
# someone whose invitation was revoked or lapsed and who was invited again or joined since; and
# someone who signed up through the link but is a member already (confirming only signs them in),
# a deactivated one (confirming is refused), or has an invitation (confirming accepts it).
INVITED_AGAIN = "invited_again"
JOINED_SINCE = "joined_since"
ALREADY_MEMBER = "already_member"
DEACTIVATED_MEMBER = "deactivated_member"
HAS_INVITATION = "has_invitation"
MOVED_ON_WORDS = {
    INVITED_AGAIN: "Invited again",
    JOINED_SINCE: "Has joined",
    ALREADY_MEMBER: "Already a member",
    DEACTIVATED_MEMBER: "Deactivated member",
    HAS_INVITATION: "Has an invitation",
}


def moved_on(session: Session, portal_id: uuid.UUID, rows: Iterable[RosterRow]) -> dict[uuid.UUID, str]:
    """``{row id: one of MOVED_ON_WORDS}`` for the revoked and expired invitations among ``rows``
    whose person has a live invitation since, or is a member now (the old row says so beside the
    new one), and for the sign-ups whose person is a member (active or deactivated) or has a
    pending invitation, listed in their own row too. Two queries for a page that has any."""
    told = [
        r
        for r in rows
        if r.kind == "signup"
        or (r.kind == "invitation" and r.status in (InvitationStatus.REVOKED, InvitationStatus.EXPIRED))
    ]
    if not told:
        return {}
    addresses = {r.address for r in told}
    now = context.of(session).clock.now()
    members = members_service.statuses_by_address(session, portal_id, addresses)
    pending = invitations_repository.pending_by_address(session, portal_id, addresses)
    out: dict[uuid.UUID, str] = {}
    for r in told:
        member = members.get(r.address)
        live = pending.get(r.address)
        invited = (
            live is not None and live.id != r.id and live.effective_status(now) == InvitationStatus.PENDING
        )
        if r.kind == "signup":
            if member == members_service.ACTIVE:
                out[r.id] = ALREADY_MEMBER
            elif member == members_service.DEACTIVATED:
                out[r.id] = DEACTIVATED_MEMBER
            elif invited:
                out[r.id] = HAS_INVITATION
        elif member == members_service.ACTIVE:
            out[r.id] = JOINED_SINCE
        elif invited:
            out[r.id] = INVITED_AGAIN
    return out


def _with_delivery(merged: Any) -> list[Any]:
    signup_status = signups.confirmation_status(merged.id, when=merged.kind == "signup")
    return [
        notifications_service.latest_status(
            merged.id, when=merged.kind == "invitation", otherwise=signup_status
        ).label("delivery")
    ]
