"""Bulk actions from User Management: Resend, Revoke, Deactivate or Reactivate many people at
once (the rows an admin ticked, or every row a filter matches), done by the worker with progress.

Each person goes through exactly what the single action does (``flows.invitations.resend``,
``invitations.service.revoke``, ``flows.members.deactivate`` and ``reactivate``): the same
permissions, limits and audit events. A row the action cannot apply to, or that fails, is
counted by its error code and the others go on.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import islice
from typing import TYPE_CHECKING, Any

from admit import context, policy
from admit.actor import Actor
from admit.bulk import service as bulk_service
from admit.bulk.models import BulkAction, BulkJob
from admit.directory import service as directory_service
from admit.errors import DomainError, ErrorCode, InvalidInput, NotFound, RecipientRateLimited
from admit.flows import invitations as invitations_flow
from admit.flows import members as members_flow
from admit.invitations import pipeline
from admit.invitations import service as invitations_service
from admit.kit.text import wait_in_words
from admit.members import service as members_service
from admit.people import roster as people_roster
from admit.people.names import names_in_portal
from admit.people.roster import RosterRow
from admit.policy import Role
from admit.portals import service as portals_service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.db import Database

__all__ = [
    "ACTIONS",
    "Skipped",
    "applying",
    "matching_counts",
    "run_due",
    "skipped_people",
    "skipped_said",
    "start",
]


@dataclass(frozen=True, slots=True)
class Kind:
    permission: policy.Action
    kind: str  # the roster rows it applies to
    # the statuses of rows it applies to, as a predicate (an invitation's: whether still open,
    # ``invitations.service.is_open``)
    applies_to: Callable[[str], bool]


ACTIONS = {
    BulkAction.RESEND: Kind(policy.Action.INVITATION_RESEND, "invitation", invitations_service.is_open),
    BulkAction.REVOKE: Kind(policy.Action.INVITATION_REVOKE, "invitation", invitations_service.is_open),
    BulkAction.DEACTIVATE: Kind(policy.Action.MEMBER_DEACTIVATE, "member", "active".__eq__),
    BulkAction.REACTIVATE: Kind(policy.Action.MEMBER_REACTIVATE, "member", "deactivated".__eq__),
}


def _yours(action: str) -> bool:
    """Whether ``action`` can apply to the actor's own row (``policy.for_oneself``: Deactivate
    cannot)."""
    return policy.for_oneself(ACTIONS[BulkAction(action)].permission)


def _is_own(row: RosterRow, actor: Actor) -> bool:
    return actor.user is not None and row.user_id == actor.user.id


@dataclass(frozen=True, slots=True)
class _State:
    """What decides whether an action applies to a roster row: its kind, status and role,
    whether it is the actor's own, and the directory that deactivated it and manages it (its
    words, "SCIM (Okta)"; "": none)."""

    kind: str
    status: str
    role: str
    own: bool
    held: str


def _owners_left(session: Session, actor: Actor) -> Callable[[], int]:
    """The portal's active owners, counted once and only when a rule asks (Deactivate of an
    owner: ``policy.check_deactivate``)."""
    return cache(lambda: members_service.count_active_owners(session, actor.portal.id))


def _applies(action: str, row: _State, actor: Actor, owners_left: Callable[[], int]) -> bool:
    """Whether ``action`` applies to a row in state ``row``, for ``actor``: the single action's
    own checks, so that a bulk action offers and takes only whom it would do (the policy says
    who may: ``policy.check_deactivate``, ``check_reactivate``, ``check_reactivate_held``)."""
    kind = ACTIONS[BulkAction(action)]
    if not policy.can(actor.role, kind.permission):
        return False
    if row.kind != kind.kind or not kind.applies_to(row.status):
        return False
    if row.own and not _yours(action):
        return False
    if action == BulkAction.DEACTIVATE:
        return policy.check_deactivate(actor.role, row.role, is_self=row.own, owners_left=owners_left) is None
    if action == BulkAction.REACTIVATE:
        return (
            policy.check_reactivate(actor.role, row.role) is None
            and policy.check_reactivate_held(row.held or None) is None
        )
    return True


def applying(
    session: Session,
    actions: Iterable[str],
    rows: Iterable[RosterRow],
    actor: Actor,
    *,
    held: dict[str, str] | None = None,
) -> dict[uuid.UUID, list[str]]:
    """For each row, which of ``actions`` apply to it, for ``actor``: those the single action
    would do (``_applies``: the policy's rules, the row's kind and status, not one's own row for an
    action not for oneself, not whom a directory holds). What User Management's row menus and
    ticks, the preview of all matching and the job take, alike. Asked once for each state the
    rows hold, not for each row (a page's 50); the portal's owners counted once, when asked.
    ``held``: whom a directory deactivated, when the caller asked already (``directory.service.
    deactivated_by`` of the rows' deactivated members)."""
    actions, rows = [str(action) for action in actions], list(rows)
    owners_left = _owners_left(session, actor)
    if held is None:
        held = directory_service.deactivated_by(
            session,
            actor.portal.id,
            [
                row.address
                for row in rows
                if row.kind == "member" and row.status == members_service.DEACTIVATED
            ],
        )
    by_state: dict[_State, list[str]] = {}
    found: dict[uuid.UUID, list[str]] = {}
    for row in rows:
        state = _State(row.kind, row.status, row.role or "", _is_own(row, actor), held.get(row.address, ""))
        if state not in by_state:
            by_state[state] = [action for action in actions if _applies(action, state, actor, owners_left)]
        found[row.id] = by_state[state]
    return found


def _matching(
    session: Session, actor: Actor, actions: list[str], filters: dict[str, Any]
) -> Iterator[tuple[uuid.UUID, list[str]]]:
    """Every row ``filters`` match (as ``GET …/people`` reads them, all pages), with the
    ``actions`` that apply to it (``applying``), a thousand rows at a time."""
    rows = people_roster.everyone(session, actor, **filters)
    while batch := list(islice(rows, 1000)):
        yield from applying(session, actions, batch, actor).items()


def matching_counts(session: Session, actor: Actor, filters: dict[str, Any]) -> tuple[int, dict[str, int]]:
    """How many rows ``filters`` match (all pages, as ``start`` takes them), and how many of them
    each action this actor may take applies to (``_applies``, as ``start`` then takes them):
    ``(40, {"resend": 12, "revoke": 12, "deactivate": 0, …})``. What User Management's "Select
    all N matching" offers, where the page's rows cannot tell (``GET …/people/bulk-preview``).
    Counted in the database by each row's state (``_State``), then asked once a state."""
    allowed = [str(a) for a, kind in ACTIONS.items() if policy.can(actor.role, kind.permission)]
    held = directory_service.held(actor.portal.id)
    states = people_roster.counts_by_state(session, actor, held=held, **filters)
    owners_left = _owners_left(session, actor)
    counts = Counter[str]()
    for (kind, status, role, own, words), n in states.items():
        state = _State(kind, status, role or "", bool(own), words or "")
        counts.update({action: n for action in allowed if _applies(action, state, actor, owners_left)})
    return sum(states.values()), {action: counts[action] for action in allowed}


def start(
    session: Session,
    actor: Actor,
    action: str,
    *,
    ids: list[uuid.UUID] | None = None,
    filters: dict[str, Any] | None = None,
) -> BulkJob:
    """Queue ``action`` for the roster rows ``ids``, or for every row ``filters`` match (as
    ``GET …/people`` reads them) that it applies to."""
    bulk_service.check_action(action)
    policy.require(actor.role, ACTIONS[BulkAction(action)].permission)
    if (ids is None) == (filters is None):
        raise InvalidInput("Give either ids or filter.", field="ids")
    if filters is not None:
        wanted = {k: v for k, v in filters.items() if k not in ("cursor", "limit")}
        ids = [row for row, actions in _matching(session, actor, [action], wanted) if actions]
    return bulk_service.create(session, actor, action, list(ids or []))


def _one(session: Session, actor: Actor, action: str, target: uuid.UUID) -> None:
    if action == BulkAction.RESEND:
        invitations_flow.resend(session, actor, target)
    elif action == BulkAction.REVOKE:
        invitations_flow.revoke(session, actor, target)
    elif action == BulkAction.DEACTIVATE:
        members_flow.deactivate(session, actor, target)
    else:
        members_flow.reactivate(session, actor, target)


def _actor(session: Session, job: BulkJob) -> Actor:
    portal = portals_service.get_or_raise(session, job.portal_id)
    user = members_service.get_user(session, job.created_by_id) if job.created_by_id else None
    # Each person's audit event reads as if whoever started the job had done it one by one:
    # named as then, from the address they acted from.
    return Actor(portal=portal, role=Role(job.actor_role), user=user, ip=job.ip, shown_as=job.actor_label)


# A skip's key for when the per-person limit lets its person be sent to (ISO 8601).
_HELD_UNTIL = "until"

# How the rows a job did not do read, by the code each was counted under (one, many): the
# pipeline's words where it is one of its skips (a resend is refused as an invitation would be),
# else these; any other code in plain words.
_SKIPPED_WORDS: dict[str, tuple[str, str]] = {
    **{str(code): words for code, words in pipeline.SUMMARY_WORDS.items()},
    "not_applicable": ("not one this action is for", "not ones this action is for"),
    "invitation_not_pending": ("accepted or revoked already", "accepted or revoked already"),
    "member_not_deactivated": ("not deactivated", "not deactivated"),
    "permission_denied": ("not allowed", "not allowed"),
}


def skipped_said(session: Session, job: BulkJob) -> str:
    """The rows a finished job did not do, and why, in words: "7 skipped: 4 accepted or revoked
    already, 2 messaged too often to send again yet (try again in 30 seconds), 1 not one this
    action is for"; "" when none. Those the per-person limit held are told when to try again,
    the longest of their waits as of now (``_held_until``), or that they may be now.
    ``skipped_people`` names them."""
    counts = {code: int(n) for code, n in (job.counts or {}).items() if code != "done" and int(n)}
    if job.status != "done" or not counts:
        return ""
    held_until = [
        datetime.fromisoformat(skip[_HELD_UNTIL]) for skip in job.skips or [] if skip.get(_HELD_UNTIL)
    ]

    def said(code: str, n: int) -> str:
        one, many = _SKIPPED_WORDS.get(code, (code.replace("_", " "),) * 2)
        words = f"{n:,} {one if n == 1 else many}"
        if code == ErrorCode.RECIPIENT_RATE_LIMITED and held_until:
            left = math.ceil((max(held_until) - context.of(session).clock.now()).total_seconds())
            words += f" (try again in {wait_in_words(left)})" if left > 0 else " (they may be now)"
        return words

    reasons = ", ".join(said(code, n) for code, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{sum(counts.values()):,} skipped: {reasons}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """One row a finished job did not do: the row (``id``, an invitation's or a member's) and
    the person (their address, and the name the portal shows them by; empty when the row is
    gone), the code it was counted under and why, in the refusing service's words."""

    id: uuid.UUID
    code: str
    address: str
    name: str
    why: str
    user_id: uuid.UUID | None = None


def skipped_people(session: Session, actor: Actor, job: BulkJob) -> list[Skipped]:
    """Who a job skipped and why (the first ``bulk.service.SKIPS_KEPT``), for the page to name
    them where ``skipped_said`` counts them, and for the API. The rows are read at once (their
    people's names in the portal too), a row gone since said by its reason alone."""
    skips = [(uuid.UUID(skip["id"]), skip) for skip in job.skips or []]
    people: dict[uuid.UUID, tuple[str, str, uuid.UUID | None]] = {}
    targets = [target for target, _ in skips]
    try:
        if ACTIONS[BulkAction(job.action)].kind == "invitation":
            invitations = invitations_service.visible_by_id(session, actor, targets).values()
            people = {i.id: (i.recipient, i.recipient_name or "", None) for i in invitations}
        else:
            members = members_service.members_by_id(session, actor, targets).values()
            names = names_in_portal(session, actor.portal.id, [m.user for m in members])
            people = {m.id: (m.user.address or "", names.get(m.user_id, ""), m.user_id) for m in members}
    except DomainError:
        pass  # rows the reader may not see: said by their reasons alone
    found: list[Skipped] = []
    for target, skip in skips:
        address, name, user_id = people.get(target, ("", "", None))
        code = skip.get("code", "")
        found.append(
            Skipped(id=target, code=code, address=address, name=name, why=skip["why"], user_id=user_id)
        )
    return found


def run_due(db: Database) -> str | None:
    """Claim a queued bulk job and do it to the end, a batch per transaction; its status, or
    None when none waits."""
    with db.unit_of_work() as session:
        job = bulk_service.claim(session)
        if job is None:
            return None
        job_id, lease = job.id, job.lease_until
    while True:
        with db.unit_of_work() as session:
            job = bulk_service.get(session, job_id)
            if job is None:
                return None
            actor = _actor(session, job)
            outcomes: Counter[str] = Counter()
            skips: list[dict[str, str]] = []
            for target in bulk_service.next_batch(job):
                try:
                    with session.begin_nested():
                        _one(session, actor, job.action, target)
                    outcomes["done"] += 1
                except DomainError as exc:
                    # NotFound: gone, or not the kind of row this action is for.
                    code = "not_applicable" if isinstance(exc, NotFound) else str(exc.code)
                    outcomes[code] += 1
                    # Why, in the words of the service that refused it (without a Resend's
                    # "Nothing was sent:", which the page's "not resent" already says).
                    why = getattr(exc, "why", None) or exc.message
                    skip = {"id": str(target), "code": code, "why": why}
                    wait = exc.fields.get("retry_after") if isinstance(exc, RecipientRateLimited) else None
                    if wait:
                        # When they may be sent to: ``skipped_said`` tells the wait left then.
                        until = context.of(session).clock.now() + timedelta(seconds=int(wait))
                        skip[_HELD_UNTIL] = until.isoformat()
                    skips.append(skip)
            try:
                job = bulk_service.advance(session, job_id, lease, outcomes, skips)
            except bulk_service.LeaseLost:
                session.rollback()
                return None
            lease, status = job.lease_until, job.status
            if status == "done":
                bulk_service.record_finished(session, actor, job)
        if status == "done":
            return status
