"""What a sync would do, employee by employee: the one place the comparison is made (the
preview shows it, a run applies it). Pure: it is given the list, the last list (``Seen``) and
where each address stands in the portal, and reads nothing itself.

Outcomes:

- ``invite``: employed, a work email, not in the portal: invited (or added quietly).
- ``invite_on_start``: the same, starting later: invited by the sync on or after their start date.
- ``already_member`` / ``already_invited``: nothing to do.
- ``update``: a member or invitee whose name, email or department changed since the last list.
- ``deactivate``: the system says they left (or they are gone from the list) and they are
  active or invited in the portal: deactivated (or their invitation revoked), never deleted.
- ``skip``: with a reason code (``no_work_email``, ``outside_domains``, ``duplicate``,
  ``left``, ``deactivated_in_admit``) and words for the admin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from admit.directory.hr.base import Employee

__all__ = ["OUTCOMES", "Plan", "Seen", "Step", "make_plan"]

INVITE, ON_START, MEMBER, INVITED, UPDATE, DEACTIVATE, SKIP = (
    "invite",
    "invite_on_start",
    "already_member",
    "already_invited",
    "update",
    "deactivate",
    "skip",
)
OUTCOMES = (INVITE, ON_START, MEMBER, INVITED, UPDATE, DEACTIVATE, SKIP)

ACTIVE, PENDING, DEACTIVATED = "active", "pending", "deactivated"  # members' statuses


@dataclass(frozen=True, slots=True)
class Seen:
    """An employee as the last applied sync saw them (``HrEmployee``)."""

    external_id: str
    address: str
    name: str
    department: str
    active: bool
    start_date: date | None = None
    end_date: date | None = None


@dataclass(slots=True)
class Step:
    external_id: str
    name: str
    address: str  # the normalised work email, "" when none usable
    outcome: str
    reason: str = ""  # a skip's code
    detail: str = ""  # words for the admin
    was_address: str = ""  # the address the portal knows them by, when it changed
    department: str = ""
    employee: Employee | None = None
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def known_address(self) -> str:
        """The address the portal knows this person by now."""
        return self.was_address or self.address


@dataclass(slots=True)
class Plan:
    steps: list[Step]
    counts: dict[str, int]
    # Employees of the last list who changed (or left it): their ``Seen`` rows are rewritten.
    changed: list[Step]
    gone: list[str]  # external ids no longer in the list

    def of(self, outcome: str) -> list[Step]:
        return [s for s in self.steps if s.outcome == outcome]


def _left(e: Employee, today: date) -> bool:
    return not e.active or (e.end_date is not None and e.end_date <= today)


def _domain_ok(address: str, allowed: Iterable[str]) -> bool:
    domains = [d.lower().lstrip("@") for d in allowed]
    if not domains:
        return True
    domain = address.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in domains)


def make_plan(
    employees: list[Employee],
    *,
    addresses: Mapping[str, str],
    seen: Mapping[str, Seen],
    statuses: Mapping[str, str],
    today: date,
    allowed_domains: Iterable[str] = (),
    system: str = "the HR system",
) -> Plan:
    """``addresses``: each employee's normalised work email by external id ("" when it is not an
    address); ``statuses``: membership status in the portal by address (active, pending,
    deactivated; absent = none)."""
    allowed = list(allowed_domains)
    steps: list[Step] = []
    changed: list[Step] = []
    taken: set[str] = set()
    listed: set[str] = set()
    for e in employees:
        listed.add(e.external_id)
        address = addresses.get(e.external_id, "")
        before = seen.get(e.external_id)
        step = Step(e.external_id, e.name, address, SKIP, department=e.department, employee=e)
        if before is not None and before.address and address and before.address != address:
            step.was_address = before.address
        status = statuses.get(step.known_address, "")
        if _left(e, today):
            if status in (ACTIVE, PENDING):
                step.outcome = DEACTIVATE
                when = f" on {e.end_date.isoformat()}" if e.end_date else ""
                step.detail = f"Left{when}: {'deactivated' if status == ACTIVE else 'invitation revoked'}."
            else:
                step.reason, step.detail = "left", f"Not employed according to {system}."
        elif not address:
            step.reason = "no_work_email"
            step.detail = f"No work email in {system}."
        elif not _domain_ok(address, allowed):
            step.reason, step.detail = "outside_domains", f"{address} is outside the allowed domains."
        elif address in taken:
            step.reason, step.detail = "duplicate", f"{address} is listed for another employee too."
        elif status == DEACTIVATED:
            step.reason = "deactivated_in_admit"
            step.detail = "Deactivated in Admit: reactivate them in User Management if they are back."
        elif status in (ACTIVE, PENDING):
            step.outcome = MEMBER if status == ACTIVE else INVITED
            if before is not None:
                for key, old, new in (
                    ("name", before.name, e.name),
                    ("email", before.address, address),
                    ("department", before.department, e.department),
                ):
                    if old != new and (new or key != "email"):
                        step.changes[key] = (old, new)
            if step.changes:
                step.outcome = UPDATE
                step.detail = "; ".join(f"{k}: {o or '—'} → {n or '—'}" for k, (o, n) in step.changes.items())
        elif e.start_date is not None and e.start_date > today:
            step.outcome = ON_START
            step.detail = f"Starts on {e.start_date.isoformat()}."
        else:
            step.outcome = INVITE
        if address:
            taken.add(address)
        steps.append(step)
        if before is None or _differs(before, e, address):
            changed.append(step)
    gone = [xid for xid in seen if xid not in listed]
    for xid in gone:
        before = seen[xid]
        if statuses.get(before.address, "") in (ACTIVE, PENDING):
            steps.append(
                Step(
                    xid,
                    before.name,
                    before.address,
                    DEACTIVATE,
                    detail=f"No longer listed in {system}: "
                    + ("deactivated." if statuses[before.address] == ACTIVE else "invitation revoked."),
                    department=before.department,
                )
            )
    counts = Counter(s.outcome for s in steps)
    return Plan(steps, {o: counts.get(o, 0) for o in OUTCOMES}, changed, gone)


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
