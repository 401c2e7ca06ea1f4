"""What a sync would do, employee by employee: the one place the comparison is made (the
preview shows it, a run applies it). Pure: it is given the list, the last list (``Seen``) and
where each address stands in the portal, and reads nothing itself.

Outcomes:

- ``invite``: employed, a work email, not in the portal: invited (or added quietly).
- ``invite_on_start``: the same, starting later: invited by the sync on or after their start date.
- ``already_member`` / ``already_invited``: nothing to do.
- ``update``: a member or invitee the connection manages whose name, email or department
  changed since the last list.
- ``deactivate``: the system says they left (or they are gone from the list), they are
  active or invited in the portal, and the connection manages them: deactivated (or their
  invitation revoked), never deleted.

Whom a sync changes or deactivates is one rule, ``Step.managed_now``: the connection manages
them (``Seen.managed``: a sync of it brought them in, or linked them; or this sync links them).
Someone who joined another way is a ``skip`` (``not_managed``) saying so when they leave or
their details change: a sync never deactivates, renames, re-emails or puts in a team a person it
does not manage.
- ``skip``: with a reason, an ``HrSkipCode``, and words for the admin (``detail``, said here
  alone: the pages, the API and the CLI show them).

An address that a listed, employed person uses is never deactivated because of another record
(a rehire under a new id, a former employee's old record, an address passed on).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal

from admit.directory.hr.base import Employee

__all__ = ["OUTCOMES", "HrOutcome", "HrSkipCode", "Plan", "Seen", "Step", "leave_detail", "make_plan"]


class HrOutcome(StrEnum):
    """What a sync does with an employee: the `outcome` of a preview's rows and of a run's
    report (the module's docstring says each)."""

    INVITE = "invite"
    ON_START = "invite_on_start"
    MEMBER = "already_member"
    INVITED = "already_invited"
    UPDATE = "update"
    DEACTIVATE = "deactivate"
    SKIP = "skip"


INVITE, ON_START, MEMBER, INVITED, UPDATE, DEACTIVATE, SKIP = HrOutcome
OUTCOMES = tuple(HrOutcome)

ACTIVE, PENDING, DEACTIVATED = "active", "pending", "deactivated"  # members' statuses


class HrSkipCode(StrEnum):  # decided by ``make_plan``; its docstring is the API document's
    """Why a sync skips an employee: the `reason` of a preview's rows and of a run's report."""

    NO_WORK_EMAIL = "no_work_email"
    OUTSIDE_DOMAINS = "outside_domains"  # not one of the connection's allowed domains
    DUPLICATE = "duplicate"  # an address or an id listed twice
    BAD_ID = "bad_id"  # an id longer than ``MAX_ID``
    LEFT = "left"  # not employed, nothing to deactivate (or their address is a listed employee's)
    DEACTIVATED_IN_ADMIT = "deactivated_in_admit"
    # Left, or changed, but joined another way: the connection does not manage them.
    NOT_MANAGED = "not_managed"


@dataclass(frozen=True, slots=True)
class Seen:
    """An employee as the last applied sync saw them (``HrEmployee``): ``address`` is the one
    the portal knows them by; ``team`` the department last mapped to a team ("" none);
    ``managed``: the connection manages them (only they are deactivated when they leave)."""

    external_id: str
    address: str
    name: str
    department: str
    active: bool
    start_date: date | None = None
    end_date: date | None = None
    team: str = ""
    managed: bool = False


@dataclass(slots=True)
class Step:
    external_id: str
    name: str
    address: str  # the normalised work email, "" when none usable
    outcome: HrOutcome
    reason: HrSkipCode | Literal[""] = ""  # a skip's code; "" for any other outcome
    detail: str = ""  # words for the admin
    was_address: str = ""  # the address the portal knows them by, when the list has another (or none)
    department: str = ""
    employee: Employee | None = None
    before: Seen | None = None
    status: str = ""  # their membership in the portal at ``known_address``: active, pending…, or ""
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    leaving: str = ""  # a leaver's why, "Left on 2026-03-01" (``leave_detail`` adds what is done)
    # The connection manages them (a sync of it brought them in or linked them) before this sync;
    # ``links``: this sync links them (found in the portal, and the admin chose to link such people).
    managed: bool = False
    links: bool = False

    @property
    def known_address(self) -> str:
        """The address the portal knows this person by now."""
        return self.was_address or self.address

    @property
    def managed_now(self) -> bool:
        """The connection manages them in this sync (it did before, or this sync links them):
        the one rule of whom a sync may change (name, email, team) or deactivate."""
        return self.managed or self.links

    @property
    def managed_after(self) -> bool:
        """The connection manages them once this sync is applied (it invites or links them)."""
        return self.managed_now or self.outcome == INVITE


@dataclass(slots=True)
class Plan:
    steps: list[Step]
    counts: dict[str, int]
    # Employees of the last list who changed: their ``Seen`` rows are rewritten when applied.
    changed: list[Step]
    gone: list[str]  # external ids no longer in the list

    def of(self, outcome: str) -> list[Step]:
        return [s for s in self.steps if s.outcome == outcome]

    @property
    def unlinked(self) -> list[Step]:
        """The people in the portal (active or invited) this connection does not manage, nor
        links in this sync, and that linking would make its own: a sync leaves them as they are,
        whatever the list says. Those among them who left or changed in the system are the
        ``not_managed`` skips: every preview and run would say so again until they are linked,
        so the faces say them together, once (``words.unlinked_said``), with the way to link
        them. Someone no longer listed at all is not among them: linking links those the list
        has (``make_plan``'s ``link_existing``), so it would change nothing for them (Link them
        was offered again and again); their row says what to do instead (``rows``)."""
        return [
            s
            for s in self.steps
            if s.status in (ACTIVE, PENDING)
            and not s.managed_after
            and s.employee is not None
            and (s.outcome in (MEMBER, INVITED) or s.reason == HrSkipCode.NOT_MANAGED)
        ]

    @property
    def rows(self) -> list[Step]:
        """The steps a preview lists a row each: all but the ``not_managed`` skips said together
        in ``unlinked`` (the page's table, ``admit hr preview``'s changes)."""
        said = {id(s) for s in self.unlinked}
        return [s for s in self.steps if s.reason != HrSkipCode.NOT_MANAGED or id(s) not in said]


MAX_ID = 200


def _left(e: Employee, today: date) -> bool:
    """Not employed: the system says so, or their last day is past (they keep access on it)."""
    return not e.active or (e.end_date is not None and e.end_date < today)


def make_plan(
    employees: list[Employee],
    *,
    address_of: Callable[[Employee], str],
    seen: Mapping[str, Seen],
    statuses: Mapping[str, str],
    today: date,
    domain_ok: Callable[[str], bool] = lambda _address: True,
    system: str = "the HR system",
    link_existing: bool = False,
) -> Plan:
    """``address_of``: an employee's normalised work email ("" when it is not an address);
    ``statuses``: membership status in the portal by address (active, pending, deactivated;
    absent = none); ``domain_ok``: the connection's allowed domains; ``link_existing``: people
    found already in the portal are linked to the connection (it manages them from then on)."""
    # An id listed more than once counts once: its employed record if it has one, else its first.
    chosen: dict[str, int] = {}
    for i, e in enumerate(employees):
        first = chosen.get(e.external_id)
        if first is None or (_left(employees[first], today) and not _left(e, today)):
            chosen[e.external_id] = i
    # The addresses of listed, employed people, the one the list gives and the one the portal
    # knows them by: no other record may deactivate them.
    employed: set[str] = set()
    for i, e in enumerate(employees):
        if chosen[e.external_id] == i and not _left(e, today):
            before = seen.get(e.external_id)
            employed |= {address_of(e), before.address if before is not None else ""}
    employed.discard("")
    steps: list[Step] = []
    changed: list[Step] = []
    taken: set[str] = set()
    listed: set[str] = set()
    for i, e in enumerate(employees):
        address = address_of(e)
        step = Step(e.external_id, e.name, address, SKIP, department=e.department, employee=e)
        steps.append(step)
        if len(e.external_id) > MAX_ID:
            step.reason, step.detail = HrSkipCode.BAD_ID, f"An id longer than {MAX_ID} characters."
            continue
        if chosen[e.external_id] != i:
            step.reason, step.detail = (
                HrSkipCode.DUPLICATE,
                f"The id {e.external_id} is listed twice in {system}.",
            )
            continue
        listed.add(e.external_id)
        before = step.before = seen.get(e.external_id)
        if before is not None and before.address and before.address != address:
            step.was_address = before.address
        status = step.status = statuses.get(step.known_address, "")
        step.managed = before is not None and before.managed
        if _left(e, today):
            if step.known_address in employed:
                step.reason = HrSkipCode.LEFT
                step.detail = f"Left; {step.known_address} belongs to another employee listed in {system}."
            elif status in (ACTIVE, PENDING):
                # Found in the portal, as someone employed is: linked when the admin asked so.
                step.links = link_existing and not step.managed
                step.leaving = f"Left on {e.end_date.isoformat()}" if e.end_date else "Left"
                _leaver(step, system)
            else:
                step.reason, step.detail = HrSkipCode.LEFT, f"Not employed according to {system}."
        elif not address:
            step.reason = HrSkipCode.NO_WORK_EMAIL
            step.detail = f"No work email in {system}."
        elif not domain_ok(address):
            step.reason, step.detail = (
                HrSkipCode.OUTSIDE_DOMAINS,
                f"{address} is outside the allowed domains.",
            )
        elif address in taken:
            step.reason, step.detail = HrSkipCode.DUPLICATE, f"{address} is listed for another employee too."
        elif status == DEACTIVATED:
            step.reason = HrSkipCode.DEACTIVATED_IN_ADMIT
            step.detail = "Deactivated in Admit: reactivate them in User Management if they are back."
        elif status in (ACTIVE, PENDING):
            step.outcome = MEMBER if status == ACTIVE else INVITED
            step.links = link_existing and not step.managed
            step.detail = _link_detail(step, system)
            if before is not None:
                for key, old, new in (
                    ("name", before.name, e.name),
                    ("email", before.address, address),
                    ("department", before.department, e.department),
                ):
                    if old != new:
                        step.changes[key] = (old, new)
            if step.changes and step.managed_now:
                step.outcome, step.detail = UPDATE, _changes(step)
            elif step.changes:
                instead = "change them in User Management if need be"
                _not_managed(step, f"Changed in {system} ({_changes(step)})", system, instead)
        elif e.start_date is not None and e.start_date > today:
            step.outcome = ON_START
            step.detail = f"Starts on {e.start_date.isoformat()}."
        else:
            step.outcome = INVITE
        if address and not step.leaving and step.reason != HrSkipCode.LEFT:
            taken.add(address)
        if before is None or _differs(before, e, address):
            changed.append(step)
    gone = [xid for xid in seen if xid not in listed]
    for xid in gone:
        before = seen[xid]
        status = statuses.get(before.address, "")
        if status in (ACTIVE, PENDING) and before.address not in employed:
            step = Step(
                xid,
                before.name,
                before.address,
                SKIP,
                department=before.department,
                before=before,
                status=status,
                leaving=f"No longer listed in {system}",
                managed=before.managed,
            )
            _leaver(step, system)
            steps.append(step)
    counts = Counter(s.outcome for s in steps)
    return Plan(steps, {o: counts.get(o, 0) for o in OUTCOMES}, changed, gone)


def _leaver(step: Step, system: str) -> None:
    """A leaver still in the portal: deactivated when the connection manages them; else left as
    they are, and the row says why."""
    if step.managed_now:
        step.outcome, step.reason = DEACTIVATE, ""
        step.detail = leave_detail(step)
        return
    what = "deactivate them" if step.status == ACTIVE else "revoke their invitation"
    _not_managed(step, step.leaving, system, f"{what} in User Management if they should go")


def _not_managed(step: Step, happened: str, system: str, instead: str) -> None:
    """Someone the connection does not manage who left or changed: a skip saying so, and what
    an admin may do instead."""
    step.outcome, step.reason = SKIP, HrSkipCode.NOT_MANAGED
    step.detail = (
        f"{happened}, but they {_came(step)} another way, not through {system}: a sync leaves them "
        f"as they are ({instead})."
    )


def _changes(step: Step) -> str:
    """A row's changes in words: "name: Ada → Augusta; email: …"."""
    return "; ".join(f"{k}: {o or '—'} → {n or '—'}" for k, (o, n) in step.changes.items())


def _came(step: Step) -> str:
    """How someone the connection does not manage came: joined (a member) or was invited."""
    return "joined" if step.status == ACTIVE else "were invited"


def _link_detail(step: Step, system: str) -> str:
    """Whether a person found in the portal is the connection's to deactivate when they leave."""
    if step.managed:
        return ""
    came = "Joined" if step.status == ACTIVE else "Invited"
    if step.links:
        return (
            f"{came} another way; this sync links them to {system}: kept up to date with it, "
            "deactivated when they leave it."
        )
    return (
        f"{came} another way, not linked to {system}: a sync will not change them, nor deactivate "
        "them when they leave it."
    )


def leave_detail(step: Step, done: str = "") -> str:
    """A leaver's words: before a run, what will happen ("Left on 2026-03-01: will be
    deactivated."); after it, with ``done`` (``deactivated``, ``revoked``), what did, or only why
    when nothing was (not selected, refused: the report says that beside it)."""
    if not done:
        what = "will be deactivated" if step.status == ACTIVE else "their invitation will be revoked"
    elif done in ("deactivated", "revoked"):
        what = "deactivated" if done == "deactivated" else "invitation revoked"
    else:
        return f"{step.leaving}."
    return f"{step.leaving}: {what}."


def _differs(before: Seen, e: Employee, address: str) -> bool:
    return (
        before.address,
        before.name,
        before.department,
        before.active,
        before.start_date,
        before.end_date,
    ) != (
        address,
        e.name,
        e.department,
        e.active,
        e.start_date,
        e.end_date,
    )
