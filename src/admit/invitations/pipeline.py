"""The invitation pipeline: the one way anyone is invited into a portal.

Every way in calls ``invite`` with many recipients (one is the N=1 case): the Invite modal and
the API, the CLI, a file import (a batch at a time), adding people to a workspace, a client
group, a contact's endings, an approved join request. It decides and writes set-based:

1. **classify** every recipient in a few queries: not an address (``invalid_recipient``),
   listed twice (``duplicate``), already in the portal (``already_member``), a deactivated
   member (``member_deactivated``: never invited again, whoever asks; Reactivate, by owners and
   admins, is the one way back, with the role, type and products the membership had), already
   invited (``already_invited``, with the invitation that stands), refused before (an import
   row's role, ``not_allowed`` or ``invalid_recipient``: said after the reasons above, which
   need nothing done), or fresh. A pending invitation past its expiry is replaced by a fresh one.
2. **charge the sending limit** for the fresh ones (``invitations.sending``): all or none for a
   request, as many as fit for an import (which then waits for the rest).
3. **write** the invitations, their single-use tokens, their messages (the outbox) and one audit
   event each, a statement per table whatever the count.

Each recipient gets a ``RecipientResult``: ``invited`` (with the new invitation) or ``skipped``
with a ``SkipCode`` (and, for ``already_invited``, the invitation that stands). Callers
branch on ``outcome`` and ``code`` values, never on message text.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.invitations import messages, repository, sending
from admit.invitations.codes import NOTHING_TO_DO, AddSkipCode, ResultCode, SkipCode
from admit.invitations.models import EXPIRED, PENDING, Invitation
from admit.invitations.options import InviteOptions
from admit.invitations.schedule import reminder_at
from admit.kit.bulk import insert_rows, new_ids
from admit.kit.collector import collector_paused
from admit.kit.loaded import errors_of
from admit.members import service as members_service
from admit.members.addresses import MAX_NAME
from admit.notifications import bounces
from admit.notifications import service as notifications_service
from admit.notifications.held_roles import Held
from admit.policy import Role
from admit.portals import service as portals_service
from admit.tokens import service as tokens

__all__ = [
    "MAX_RECIPIENTS_PER_REQUEST",
    "NOTHING_TO_DO",
    "Batch",
    "Outcome",
    "Recipient",
    "classify",
    "RecipientResult",
    "SkipCode",
    "hide_unseen",
    "invite",
    "needs_fixing",
    "skip_needs_fixing",
]

MAX_RECIPIENTS_PER_REQUEST = 1000
ATTEMPTS = 3


def integrity_errors() -> tuple[type[BaseException], ...]:
    """What a write refused for a duplicate raises: kit.bulk writes through the driver itself,
    whose errors SQLAlchemy does not wrap (PostgreSQL's driver's once it is loaded:
    ``kit.loaded``; a process on SQLite never loads it)."""
    return (IntegrityError, sqlite3.IntegrityError, *errors_of("psycopg", "IntegrityError"))


class Outcome(StrEnum):
    INVITED = "invited"  # a new invitation was made and its message queued
    ADDED = "added"  # already in the portal: put somewhere (a workspace, a group) at once
    SKIPPED = "skipped"  # nothing was done, ``code`` says why
    RESENT = "resent"  # a workspace's Resend Invitation: the standing invitation sent again, new link


# How a count of each skip reads in a summary: (one, many).
SUMMARY_WORDS = {
    SkipCode.ALREADY_MEMBER: ("already a member", "already members"),
    SkipCode.MEMBER_DEACTIVATED: ("deactivated member", "deactivated members"),
    SkipCode.ALREADY_INVITED: ("already invited", "already invited"),
    SkipCode.DUPLICATE: ("listed twice", "listed twice"),
    SkipCode.INVALID_RECIPIENT: ("not a usable email or phone number", "not usable emails or phone numbers"),
    SkipCode.INVALID_ROLE: ("unknown role", "unknown roles"),
    SkipCode.NOT_ALLOWED: ("not allowed", "not allowed"),
    SkipCode.RECIPIENT_RATE_LIMITED: (
        "messaged too often to send again yet",
        "messaged too often to send again yet",
    ),
    SkipCode.SUPPRESSED: ("bounced before", "bounced before"),
    SkipCode.SMS_COUNTRY_NOT_ALLOWED: (
        "number from a country not texted",
        "numbers from countries not texted",
    ),
    SkipCode.SMS_BUDGET_REACHED: ("over today's texts", "over today's texts"),
    # Adding people to a workspace, team or client group (the CLI's ``workspaces add``).
    AddSkipCode.ALREADY_IN_WORKSPACE: ("already in the workspace", "already in the workspace"),
    AddSkipCode.ALREADY_IN_TEAM: ("already in the team", "already in the team"),
    AddSkipCode.WRONG_USER_TYPE: ("of the wrong type", "of the wrong type"),
    AddSkipCode.NOT_FOUND: ("not found", "not found"),
    AddSkipCode.NOT_INVITABLE: ("not invitable from here", "not invitable from here"),
}


# How those invited read by their user type in a summary: (one, many).
INVITED_AS = {
    "internal": ("as an internal user", "as internal users"),
    "client": ("as a client", "as clients"),
}


def summary(
    invited: int,
    skipped: dict[str, int],
    *,
    added: int = 0,
    put_in: int = 0,
    user_type: str | None = None,
) -> str:
    """A request's outcome in one line: "12 invited · 2 skipped: 1 already a member, 1 not a
    usable email or phone number" (the Invite box's report, the CLI); ``added``: people already
    in the portal put in a workspace at once ("1 added · 2 invited"; "1 added" alone when none
    was invited); ``put_in``: people invited to the portal before, put in a workspace on that
    invitation ("2 put in on the invitation they have"), not among the skipped; ``user_type``:
    as what they were invited ("5 invited as clients"), when someone was."""
    total = sum(skipped.values())
    invited_said = f"{invited:,} invited"
    if invited and user_type in INVITED_AS:
        invited_said += " " + INVITED_AS[user_type][0 if invited == 1 else 1]
    text = f"{added:,} added" + (f" · {invited_said}" if invited else "") if added else invited_said
    if put_in:
        text += f" · {put_in:,} put in on the invitation they have"
    if total:
        parts = []
        for code, n in sorted(skipped.items(), key=lambda item: -item[1]):
            one, many = SUMMARY_WORDS.get(code, (code, code))  # type: ignore[call-overload]
            parts.append(f"{n:,} {one if n == 1 else many}")
        text += f" · {total:,} skipped: " + ", ".join(parts)
    return text


# Why a deactivated member is not invited (again), wherever it is said: the pipeline's skip, a
# Resend of an invitation that still stands for them (``invitations.service.reissue``).
# The words a face names its way to reactivate after (``reactivate_said``).
REACTIVATE = "owners and admins can reactivate them"
DEACTIVATED_MEMBER = f"This person is a deactivated member; {REACTIVATE} instead of inviting them again."

# How an already-invited recipient's detail says to send the invitation again: the pages' words
# (the Reinvite button, seed 004's, beside a pending invitation's row and in the Invite report).
# The API names its operation, the CLI its command (``resend_said``).
USE_RESEND = "use Reinvite to send it again"


def resend_said(detail: str, how: str) -> str:
    """An already-invited recipient's ``detail`` with the way to send it again said as a face
    says it (``how``: the API's operation, the CLI's command), not the pages' Reinvite button."""
    return detail.replace(USE_RESEND, f"use {how} to send it again")


def reactivate_said(detail: str, how: str) -> str:
    """A deactivated member's refusal (``DEACTIVATED_MEMBER``) with the way to reactivate them
    said as a face says it (``how``: the CLI's command), where the pages have a Reactivate
    button on their row; any other ``detail`` as it is."""
    return detail.replace(REACTIVATE, f"{REACTIVATE} ({how})")


DETAILS = {
    SkipCode.DUPLICATE: (
        "This address appears more than once in the list: the first time it appears is the one that counts."
    ),
    SkipCode.ALREADY_MEMBER: "This person is already in the portal.",
    SkipCode.MEMBER_DEACTIVATED: DEACTIVATED_MEMBER,
    SkipCode.ALREADY_INVITED: f"A pending invitation exists; {USE_RESEND}.",
    SkipCode.SUPPRESSED: (
        "Mail to this address bounced or was marked as spam; the portal no longer writes to it."
    ),
    SkipCode.SMS_BUDGET_REACHED: (
        f"The portal has sent as many texts as it may in a day ({portals_service.TEXTS_SETTINGS}); "
        "try again later."
    ),
}


@dataclass(slots=True)
class Recipient:
    """One person asked for: what was typed (``raw``), the normalised address (or why there is
    none), a name, and, for an import row, its own role or a refusal decided before."""

    raw: str
    address: str | None
    name: str = ""
    error: str | None = None
    role: Role | None = None
    refusal: SkipCode | None = None
    # Where it was asked for, which its result says (``RecipientResult``'s fields of these names).
    index: int | None = None
    position: int | None = None

    @classmethod
    def parse(
        cls, session: Session, text: str, *, index: int | None = None, position: int | None = None
    ) -> Recipient:
        parsed = members_service.parse_recipient(session, text)
        return cls(
            raw=parsed.raw,
            address=parsed.address,
            name=parsed.name,
            error=parsed.error,
            index=index,
            position=position,
        )


class Seen(Protocol):
    """Addresses met earlier in the same list: a set, or an import's ``SeenAddresses``."""

    def __contains__(self, address: str) -> bool: ...
    def add(self, address: str) -> None: ...
    def discard(self, address: str) -> None: ...


@dataclass(slots=True)
class RecipientResult:
    """What happened to one recipient (the shape every face shows)."""

    recipient: str
    outcome: Outcome
    code: ResultCode | None = None
    detail: str = ""
    address: str | None = None
    invitation_id: uuid.UUID | None = None
    invitation: Invitation | None = None
    user_id: uuid.UUID | None = None
    # For a list of recipients (the API's, the CLI's): the element this one came from
    # (``members.addresses.recipients_by_element``); None for a typed or pasted text.
    index: int | None = None
    # Where among everything asked for in one request this one came (not shown): a flow that
    # decides people in several passes puts its results back in this order
    # (``flows.people_asked.in_order_asked``).
    position: int | None = None

    @property
    def invited(self) -> bool:
        return self.outcome is Outcome.INVITED

    @property
    def refusal(self) -> str:
        """Why this one was not invited, as a refusal says it (a role given through the Invite
        box's recipient, a SCIM user): its ``detail``, or in general words when it has none."""
        return self.detail or "This person cannot be invited."


def needs_fixing(result: RecipientResult) -> bool:
    """Whether ``result`` is a person skipped for a reason someone must fix (``NOTHING_TO_DO``)."""
    return result.outcome is Outcome.SKIPPED and skip_needs_fixing(result.code)


def skip_needs_fixing(code: str | None) -> bool:
    """Whether a skip with ``code`` is one someone must fix: any but someone already where they
    were asked to be (``NOTHING_TO_DO``). ``needs_fixing`` of a result; the CLI's exit code of
    skips it has only the codes of (an import's counts)."""
    return str(code) not in NOTHING_TO_DO


@dataclass(slots=True)
class Batch:
    """The results of one ``invite`` call, in the order of the recipients.

    ``processed`` is how many recipients were decided: all of them, unless an import's batch
    stopped at the sending limit (``retry_at`` says when more may go)."""

    results: list[RecipientResult]
    processed: int
    retry_at: datetime | None = None
    invitations: list[Invitation] = field(default_factory=list)

    @property
    def invited(self) -> list[RecipientResult]:
        return [r for r in self.results if r.outcome is Outcome.INVITED]

    @property
    def skipped(self) -> list[RecipientResult]:
        return [r for r in self.results if r.outcome is Outcome.SKIPPED]


def hide_unseen(actor: Actor, results: Iterable[RecipientResult]) -> None:
    """Take out the invitations ``actor`` may not see (``policy.sees_invitation``: internal
    members do not see internal users' invitations), ids included."""
    for r in results:
        if r.invitation is not None and not policy.sees_invitation(actor.role, r.invitation.user_type):
            r.invitation, r.invitation_id = None, None


def _invited_as(standing: Invitation) -> str:
    """Why a pending invitation skips its person, saying as what they were invited (someone on
    the Internal Users tab may have been invited as a client)."""
    kind = (
        "a client" if standing.user_type == "client" else f"an internal user ({standing.role.capitalize()})"
    )
    return f"A pending invitation exists, as {kind}; {USE_RESEND}."


def _skip(
    r: Recipient, code: SkipCode, detail: str | None = None, invitation: Invitation | None = None
) -> RecipientResult:
    return RecipientResult(
        recipient=r.raw,
        outcome=Outcome.SKIPPED,
        code=code,
        detail=detail if detail is not None else DETAILS.get(code, ""),
        address=r.address,
        invitation_id=invitation.id if invitation is not None else None,
        invitation=invitation,
        index=r.index,
        position=r.position,
    )


def _classify(
    session: Session,
    actor: Actor,
    recipients: Sequence[Recipient],
    seen: Seen,
    now: datetime,
    fresh: list[int],
    added: list[tuple[int, str]],
    held: dict[str, notifications_service.Wait] | None = None,
) -> tuple[list[RecipientResult | None], list[Invitation]]:
    """Decide every recipient (see the module); fills ``fresh`` with the indexes to invite and
    ``added`` with the addresses put in ``seen``, and returns the results so far and the lapsed
    pending invitations the fresh ones replace. ``held`` (a caller whose messages may wait
    their turn): the addresses the minute's per-person limit holds are invited all the same,
    each with its wait, where they are otherwise skipped (``recipient_rate_limited``)."""
    addresses = {r.address for r in recipients if r.address}
    statuses = members_service.statuses_by_address(session, actor.portal.id, addresses)
    pending = repository.pending_by_address(session, actor.portal.id, addresses)
    capped = notifications_service.recipient_waits(session, addresses)
    suppressed = bounces.suppressed(session, actor.portal.id, addresses)
    region = context.of(session).settings.default_phone_region
    texts_left: int | None = None  # read when the first number is met
    results: list[RecipientResult | None] = []
    lapsed: list[Invitation] = []
    for i, r in enumerate(recipients):
        if r.address is None:
            code = r.refusal or SkipCode.INVALID_RECIPIENT
            results.append(_skip(r, code, r.error or "Not a valid email address."))
            continue
        if len(r.name) > MAX_NAME:  # the forms' rule for a name, for a name in a list too
            results.append(
                _skip(r, SkipCode.INVALID_RECIPIENT, f"The name is at most {MAX_NAME} characters.")
            )
            continue
        if r.address in seen:
            results.append(_skip(r, SkipCode.DUPLICATE))
            continue
        seen.add(r.address)  # the first row counts, refused (its role) or not: a later row is a duplicate
        added.append((i, r.address))
        status = statuses.get(r.address)
        if status == members_service.DEACTIVATED:
            results.append(_skip(r, SkipCode.MEMBER_DEACTIVATED))
            continue
        if status is not None:
            results.append(_skip(r, SkipCode.ALREADY_MEMBER))
            continue
        standing = pending.get(r.address)
        if standing is not None and standing.expires_at > now:
            results.append(_skip(r, SkipCode.ALREADY_INVITED, _invited_as(standing), invitation=standing))
            continue
        if r.refusal is not None:  # decided before (an import row's role): after "already there"
            results.append(_skip(r, r.refusal, r.error or ""))
            continue
        if r.address in suppressed:
            results.append(_skip(r, SkipCode.SUPPRESSED))
            continue
        wait = capped.get(r.address)
        if wait is not None and held is not None and not wait.daily:
            held[r.address] = wait
        elif wait is not None:
            detail = notifications_service.limit_reached(capped[r.address])
            results.append(_skip(r, SkipCode.RECIPIENT_RATE_LIMITED, detail))
            continue
        if notifications_service.channel_for(r.address) == "sms":
            refusal = portals_service.sms_refusal(actor.portal, r.address, region)
            if refusal is not None:
                results.append(_skip(r, SkipCode.SMS_COUNTRY_NOT_ALLOWED, refusal))
                continue
            if texts_left is None:
                texts_left = actor.portal.sms_daily_budget - notifications_service.count_texts(
                    session, actor.portal.id, now - timedelta(days=1)
                )
            if texts_left <= 0:
                results.append(_skip(r, SkipCode.SMS_BUDGET_REACHED))
                continue
            texts_left -= 1
        if standing is not None:
            lapsed.append(standing)
        results.append(None)
        fresh.append(i)
    return results, lapsed


def classify(
    session: Session, actor: Actor, recipients: Sequence[Recipient], seen: Seen | None = None
) -> list[RecipientResult | None]:
    """What ``invite`` would decide for each recipient, writing nothing (a preview): a result
    for those it would skip, ``None`` for those it would invite."""
    now = context.of(session).clock.now()
    results, _lapsed = _classify(session, actor, recipients, set() if seen is None else seen, now, [], [])
    return results


def invite(
    session: Session,
    actor: Actor,
    recipients: Iterable[str | Recipient],
    options: InviteOptions,
    *,
    workspace_name: str | None = None,
    flow_role: str | None = None,
    seen: Seen | None = None,
    partial: bool = False,
    load: bool = True,
    via: str | None = None,
    wait_turn: bool = False,
) -> Batch:
    """Invite ``recipients`` with ``options`` (already checked: ``options.check_options``).

    ``workspace_name``: the invitation also brings them into that workspace (the message says
    so; the caller adds the workspace membership). ``flow_role``: the role of that flow workspace
    they are invited to hold (its Assign: the message names it). ``seen``: addresses met earlier in the same
    list (an import's earlier batches), updated. ``partial``: invite as many as the sending limit
    allows now (``Batch.processed`` says how far it got) instead of refusing the whole batch.
    ``load``: return the new ``Invitation`` objects (one query). ``via``: the way in, for the
    audit log (``import``, ``workspace``…). ``wait_turn``: someone the minute's per-person limit
    holds is invited all the same, their message written to go in its turn
    (``notifications.service.enqueue_many``), not skipped: for a caller that nobody is there
    to tell to try again (a directory's SCIM requests); the day's limit still skips them.
    """
    with collector_paused():
        return _invite(
            session,
            actor,
            recipients,
            options,
            (workspace_name, flow_role),
            seen,
            partial,
            load,
            via,
            wait_turn,
        )


def _invite(
    session: Session,
    actor: Actor,
    recipients: Iterable[str | Recipient],
    options: InviteOptions,
    workspace: tuple[str | None, str | None],
    seen: Seen | None,
    partial: bool,
    load: bool,
    via: str | None,
    wait_turn: bool = False,
) -> Batch:
    ctx = context.of(session)
    portal = actor.portal
    items = [r if isinstance(r, Recipient) else Recipient.parse(session, r) for r in recipients]
    seen = set() if seen is None else seen
    now = ctx.clock.now()

    for attempt in range(ATTEMPTS):
        fresh: list[int] = []
        added: list[tuple[int, str]] = []
        held: dict[str, notifications_service.Wait] | None = {} if wait_turn else None
        results, lapsed = _classify(session, actor, items, seen, now, fresh, added, held)
        reservation = sending.reserve(session, portal, len(fresh), partial=partial, by=actor)
        processed = len(items)
        if reservation.granted < len(fresh):
            # The sending limit stops the batch at the first recipient it cannot take; the rest
            # are decided again when the import goes on.
            processed = fresh[reservation.granted]
            fresh = fresh[: reservation.granted]
            for i, address in added:
                if i >= processed:
                    seen.discard(address)
        try:
            created = _write(session, actor, items, fresh, lapsed, options, now, workspace, via, held or {})
            break
        except integrity_errors():
            # Someone invited one of these addresses between our look and our write (a double
            # click, a retried request): decide again, that invitation now stands.
            for i, address in added:
                if i < processed:
                    seen.discard(address)
            if attempt == ATTEMPTS - 1:
                raise

    for i, invitation_id in zip(fresh, created, strict=True):
        r = items[i]
        results[i] = RecipientResult(
            recipient=r.raw,
            outcome=Outcome.INVITED,
            address=r.address,
            invitation_id=invitation_id,
            index=r.index,
            position=r.position,
        )
    done = [res for res in results[:processed] if res is not None]
    batch = Batch(results=done, processed=processed, retry_at=reservation.retry_at)
    if load and created:
        loaded = {
            inv.id: inv
            for inv in session.scalars(
                select(Invitation)
                .where(Invitation.id.in_(created))
                .options(selectinload(Invitation.invited_by))
            )
        }
        for res in done:
            if res.outcome is Outcome.INVITED and res.invitation_id is not None:
                res.invitation = loaded[res.invitation_id]
        batch.invitations = [loaded[i] for i in created]
    return batch


def _write(
    session: Session,
    actor: Actor,
    items: Sequence[Recipient],
    fresh: list[int],
    lapsed: list[Invitation],
    options: InviteOptions,
    now: datetime,
    workspace: tuple[str | None, str | None],
    via: str | None,
    held: dict[str, notifications_service.Wait],
) -> list[uuid.UUID]:
    """Write the fresh invitations with their tokens, messages and audit events; returns their
    ids in the order of ``fresh``. ``held``: the addresses whose message waits its turn."""
    if not fresh:
        return []
    ctx = context.of(session)
    portal = actor.portal
    expires_at = now + timedelta(seconds=portal.invitation_ttl_seconds)
    first_reminder = reminder_at(now, expires_at, 1, portal.invitation_reminders)
    ids = new_ids(len(fresh), listed_in_order=True)
    rows: list[dict[str, Any]] = [
        {
            "id": invitation_id,
            "portal_id": portal.id,
            "recipient": items[i].address,
            "recipient_name": items[i].name,
            "user_type": str(options.user_type),
            "role": str(items[i].role or options.role),
            "products": list(options.products),
            "message": options.message,
            "asked": via == "join_request",
            "status": PENDING,
            "expires_at": expires_at,
            "invited_by_id": actor.user_id,
            "inviter_label": actor.inviter_label,
            "created_at": now,
            "last_sent_at": now,
            "send_count": 1,
            "next_reminder_at": first_reminder,
            "reminders_sent": 0,
        }
        for invitation_id, i in zip(ids, fresh, strict=True)
    ]
    with session.begin_nested():
        if lapsed:
            # Pending but past their expiry (the sweep had not come yet): fresh ones replace them.
            session.execute(
                update(Invitation)
                .where(Invitation.id.in_([inv.id for inv in lapsed]), Invitation.status == PENDING)
                .values(status=EXPIRED, next_reminder_at=None)
                .execution_options(synchronize_session=False)
            )
            for inv in lapsed:
                session.expire(inv)
        insert_rows(session, Invitation.__table__, rows)
    raws = tokens.issue_many(session, tokens.Purpose.INVITATION, [(row["id"], expires_at) for row in rows])
    inviter = actor.display_name
    accounts = members_service.known_accounts(session, [row["recipient"] for row in rows])
    notifications_service.enqueue_many(
        session,
        [
            {
                "event_key": messages.event_key(row["id"], 1),
                "template": messages.TEMPLATE,
                "to": row["recipient"],
                "portal_id": portal.id,
                "invitation_id": row["id"],
                "wait": held.get(row["recipient"]),
                "context": messages.context_for(
                    public_url=ctx.settings.public_url,
                    portal=portal,
                    recipient=row["recipient"],
                    recipient_name=row["recipient_name"],
                    user_type=row["user_type"],
                    role=row["role"],
                    message=options.message,
                    token=raw,
                    expires_at=expires_at,
                    inviter_name=inviter,
                    workspace_name=workspace[0],
                    flow_roles=[Held(workspace[0] or "", (workspace[1],))] if workspace[1] else [],
                    asked=row["asked"],
                    account=accounts.get(row["recipient"]),
                ),
            }
            for row, raw in zip(rows, raws, strict=True)
        ],
    )
    detail_base = {"user_type": str(options.user_type), "products": list(options.products)}
    if via is not None:
        detail_base["via"] = via
    audit_service.record_many(
        session,
        actor,
        "invitation.created",
        target_type="invitation",
        targets=[
            (row["id"], row["recipient"], {**detail_base, "role": row["role"], "name": row["recipient_name"]})
            for row in rows
        ],
    )
    return ids
