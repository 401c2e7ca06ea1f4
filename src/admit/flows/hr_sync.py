"""HR-system sync (issue 12 items 1–4): connect a system, preview what a sync would do, and
apply it — by an admin ("Send Invites") or by auto-pilot on a schedule.

- Reading the list is the adapter's (``directory.hr.providers``), through one ``Fetcher``.
  It happens outside any transaction; a failure of any kind applies **nothing** and the run is
  tried again with backoff (``directory.hr.service.retry_or_fail``).
- What a sync would do is ``directory.hr.plan`` (one place for the comparison).
- Applying it is one transaction: invitations go through the one invitation pipeline as an
  import (``imports.service.create``: the same job machinery, progress and report CSV as an
  uploaded list); leavers are deactivated (``flows.members.deactivate``) or their invitation
  revoked, never deleted; names and emails change only on accounts that are this portal's alone
  (``members.service.change_details``); departments map to internal teams when asked. Only people
  the connection manages are changed or deactivated (the plan's ``Step.managed_now``).
- A plan that would deactivate more than the connection's share of the portal's active
  members waits (``waiting``) until an admin confirms it.
- Everything is done by an actor named ``hr:<system>`` in the audit log.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.auth import notices
from admit.db import Database, let_go
from admit.directory.hr import service as hr
from admit.directory.hr.base import Credentials, Employee, Failure, Provider, ProviderError
from admit.directory.hr.plan import (
    ACTIVE,
    DEACTIVATE,
    INVITE,
    MEMBER,
    ON_START,
    SKIP,
    UPDATE,
    HrSkipCode,
    Plan,
    Seen,
    Step,
    leave_detail,
    make_plan,
)
from admit.errors import Checks, Conflict, DomainError, HrSystemFailed, InvalidInput
from admit.flows import groups
from admit.flows import invitations as invitations_flow
from admit.flows import members as members_flow
from admit.imports import service as imports_service
from admit.invitations import service as invitations_service
from admit.invitations.options import check_options
from admit.kit import names, secretbox
from admit.members import service as members_service
from admit.members.addresses import domain_allowed
from admit.policy import Role
from admit.portals import service as portals_service
from admit.teams import service as teams_service
from admit.teams.models import TEAM

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.directory.models import HrConnection, HrSyncRun
    from admit.members.models import User
    from admit.portals.models import Portal
    from admit.teams.models import Team

__all__ = ["connect", "preview", "providers_offered", "run_due", "start_sync", "update"]

log = logging.getLogger("admit.hr")

LOOKUP_BATCH = 10_000  # addresses per lookup query (SQLite takes at most 32,766 parameters)
REPORT_MAX = 5000  # rows of a run's own report (its invitations' report is the import's)


def providers_offered(actor: Actor) -> list[dict[str, Any]]:
    """The HR systems offered (owners and admins: HR sync is theirs)."""
    from admit.directory.hr.providers import PROVIDERS

    policy.require(actor.role, policy.Action.HR_MANAGE)

    return [
        {
            "key": p.key,
            "title": p.title,
            "fields": list(p.fields),
            "api_key_label": p.api_key_label,
            "account_label": p.account_label or None,
            "needs_url": not p.default_base_url,
            "help": p.help,
            "docs_url": p.docs_url,
        }
        for p in PROVIDERS.values()
    ]


def _invite_options(actor: Actor, conn: HrConnection | None, given: dict[str, Any]) -> dict[str, Any]:
    """``{user_type, role, products}`` new people get: what is ``given``, else the connection's
    (else the defaults), checked by the pipeline's own rules (``check_options``)."""
    user_type = given.get("user_type") or (conn.user_type if conn else "internal")
    role = given.get("role") or _kept_role(conn, user_type)
    products = given.get("products")
    if products is None:
        products = list(conn.products) if conn else []
    checked = check_options(actor, user_type=user_type, role=role, products=products)
    return {
        "user_type": str(checked.user_type),
        "role": str(checked.role),
        "products": list(checked.products),
    }


def _options(actor: Actor, conn: HrConnection | None, body: dict[str, Any]) -> tuple[dict[str, Any], Checks]:
    """A connection's options from a request: the invitation options checked (their faults
    noted, for ``directory.hr.service`` to say with its own), the rest as given (it checks them)."""
    out = {
        k: body.get(k)
        for k in (
            "schedule",
            "new_hires",
            "map_departments",
            "manage_existing",
            "deactivate_limit_pct",
            "allowed_domains",
        )
    }
    faults = Checks()
    with faults.of("user_type"):
        out.update(_invite_options(actor, conn, body))
    return out, faults


def _kept_role(conn: HrConnection | None, user_type: str) -> str | None:
    """The connection's role when the user type stays what it was (a client's role is not a
    teammate's); else None: the pipeline's default for the type."""
    return conn.role if conn is not None and conn.user_type == user_type else None


def connect(session: Session, actor: Actor, body: dict[str, Any]) -> HrConnection:
    """Connect an HR system; unless ``check`` is false, its list is read once first, so a wrong
    key or address is said now (502 ``hr_system_failed``, nothing kept), not at the first sync.
    The URL's host is looked up, and the list read, with no transaction open (``db.let_go``);
    the connection is written after."""
    options, faults = _options(actor, None, body)
    asked = hr.check_connect(
        session,
        actor,
        provider=str(body.get("provider") or ""),
        api_key=str(body.get("api_key") or ""),
        account=str(body.get("account") or ""),
        base_url=str(body.get("base_url") or ""),
        fields_granted=bool(body.get("fields_granted")),
        options=options,
        faults=faults,
    )
    if body.get("check", True):
        with _said_to_the_request():
            _fetch(session, asked.provider, asked.credentials)
    return hr.connect(session, actor, asked)


def update(session: Session, actor: Actor, conn: HrConnection, body: dict[str, Any]) -> HrConnection:
    options, faults = _options(actor, conn, body)
    return hr.update_connection(
        session,
        actor,
        conn,
        api_key=body.get("api_key"),
        account=body.get("account"),
        base_url=body.get("base_url"),
        options=options,
        faults=faults,
    )


def _hr_actor(portal: Portal, conn: HrConnection, started_by: User | None, ip: str | None = None) -> Actor:
    """Who acts for a sync: the portal as an admin, named ``hr:<system>`` in the audit log (and
    the admin who pressed Send, when one did: invitations name them as the inviter; on
    auto-pilot they name the connection, "BambooHR", ``directory.hr.service.heading_of``)."""
    return Actor(
        portal=portal,
        role=Role.ADMIN,
        user=started_by,
        ip=ip,
        shown_as=hr.actor_label(conn.provider),
        named_as=hr.heading_of(conn),
    )


def _fetch(session: Session, provider: Provider, creds: Credentials) -> list[Employee]:
    """Every employee the system lists. Its answer is waited for with no transaction open and no
    connection held (``db.let_go``: whatever ``session`` did so far is committed first): a slow
    system, or a list this very server answers (Admit's own people.csv), must not hold SQLite's
    one write lock, nor on PostgreSQL a connection and its row locks, that every other request
    and the worker need meanwhile. The caller reads again after it what its writes depend on."""
    fetcher = hr.fetcher(session, provider)
    let_go(session)
    return provider.fetch(fetcher, creds)


def _saved_credentials(session: Session, conn: HrConnection) -> Credentials:
    try:
        return hr.credentials(session, conn)
    except secretbox.SealBroken as exc:
        raise ProviderError(
            Failure.AUTH, "The saved key cannot be read (ADMIT_ENCRYPTION_KEY changed?): enter it again."
        ) from exc


@contextmanager
def _said_to_the_request() -> Iterator[None]:
    """A system that fails a request (a preview, a connect) is 502 ``hr_system_failed``,
    naming the system and what it answered."""
    try:
        yield
    except ProviderError as exc:
        raise HrSystemFailed(exc.message, retry_after=exc.retry_after) from exc


def _plan(session: Session, actor: Actor, conn: HrConnection, employees: list[Employee]) -> Plan:
    by_email: dict[str, str] = {}  # the work email as listed -> its normalised address ("" none)
    for e in employees:
        text = e.work_email.strip()
        if text and text not in by_email:
            parsed = members_service.parse_recipient(session, text)
            by_email[text] = parsed.address if parsed.address and "@" in parsed.address else ""
    seen = hr.seen_of(session, conn.id)
    wanted = set(by_email.values()) | {s.address for s in seen.values()}
    wanted.discard("")
    statuses: dict[str, str] = {}
    addresses_list = sorted(wanted)
    for i in range(0, len(addresses_list), LOOKUP_BATCH):
        part = addresses_list[i : i + LOOKUP_BATCH]
        statuses.update(members_service.statuses_by_address(session, actor.portal.id, part))
        # Invited and not joined yet: a pending invitation, no membership.
        for address in invitations_service.pending_addresses(session, actor, part):
            statuses.setdefault(address, "pending")
    allowed = list(conn.allowed_domains)
    return make_plan(
        employees,
        address_of=lambda e: by_email.get(e.work_email.strip(), ""),
        seen=seen,
        statuses=statuses,
        today=portals_service.today(actor.portal, context.of(session).clock.now()),
        domain_ok=lambda address: domain_allowed(address, allowed),
        system=hr.name_of(conn),
        link_existing=conn.manage_existing,
    )


def preview(session: Session, actor: Actor, conn: HrConnection) -> Plan:
    """What a sync would do now (reads the system, with no transaction open: ``_fetch``; writes
    nothing). A system that fails is 502 ``hr_system_failed`` naming it and what it answered."""
    with _said_to_the_request():
        employees = _fetch(session, hr.provider_of(conn.provider), _saved_credentials(session, conn))
    return _plan(session, actor, conn, employees)


def start_sync(
    session: Session,
    actor: Actor,
    conn: HrConnection,
    *,
    selection: list[str] | None = None,
    excluded: list[str] | None = None,
    start_now: list[str] | None = None,
    confirmed_leavers: list[str] | None = None,
    options: dict[str, Any] | None = None,
) -> HrSyncRun:
    """Queue a sync run (the worker reads the list again and applies it).

    What it applies: ``selection`` (external ids; an employee who starts later is invited now
    when selected), or, when None, the whole plan but ``excluded`` (and, of those who start
    later, only ``start_now``). ``options``: the user type, role and products new people get
    (the pipeline's rules check them; None: the connection's). ``confirmed_leavers``: the
    leavers an admin confirmed past the connection's limit."""
    if selection is not None:
        selection = [str(x) for x in selection]
        if not selection:
            raise InvalidInput("Select at least one person.", field="selection")
    given: dict[str, Any] = _invite_options(actor, conn, options) if options else {}
    if excluded:
        given["excluded"] = [str(x) for x in excluded]
    if start_now:
        given["start_now"] = [str(x) for x in start_now]
    if confirmed_leavers is not None:
        given["leavers"] = [str(x) for x in confirmed_leavers]
    run = hr.queue_run(
        session,
        conn,
        trigger="manual",
        started_by_id=actor.user_id,
        selection=selection,
        confirmed=confirmed_leavers is not None,
        options=given or None,
    )
    hr.audit(
        session,
        _hr_actor(actor.portal, conn, actor.user, actor.ip),
        conn,
        "hr.sync_started",
        {"run": str(run.id), "selected": len(selection) if selection is not None else None},
    )
    return run


def confirm_run(session: Session, actor: Actor, conn: HrConnection, run: HrSyncRun) -> HrSyncRun:
    """An admin confirms a run that waits for its deactivations: a new run applies the plan as
    the list is then, deactivating past the limit only the leavers the admin saw (more would
    wait again)."""
    if run.status != "waiting":
        raise Conflict(f"This run is {run.status}: only a run waiting for confirmation can be confirmed.")
    run.status = "confirmed"
    options = dict(run.options or {})
    leavers = [str(x) for x in options.pop("leavers", [])]
    return start_sync(
        session,
        actor,
        conn,
        selection=run.selection,
        excluded=options.get("excluded"),
        start_now=options.get("start_now"),
        confirmed_leavers=leavers,
        options={k: options[k] for k in ("user_type", "role", "products") if k in options} or None,
    )


# ---- the worker's side -------------------------------------------------------------------------


def run_due(db: Database) -> uuid.UUID | None:
    """One step for the worker: queue auto-pilot's due runs, then claim one run and carry it
    out. Returns the run's id when one was run. Whatever goes wrong, the run ends written down
    (retried later, or failed with the reason): never left running."""
    with db.unit_of_work() as session:
        hr.queue_due(session)
    with db.unit_of_work() as session:
        run = hr.claim_run(session)
        if run is None:
            return None
        run_id, conn_id, claim = run.id, run.connection_id, run.attempts
    # The list is read outside any transaction: a slow system holds no lock.
    failure: ProviderError | None = None
    employees: list[Employee] = []
    with db.unit_of_work() as session:
        conn = hr.connection_by_id(session, conn_id)
        if conn is not None:
            session.expunge(conn)
    if conn is not None:
        with db.session() as session:
            try:
                employees = _fetch(session, hr.provider_of(conn.provider), _saved_credentials(session, conn))
            except ProviderError as exc:
                failure = exc
            except Exception as exc:  # noqa: BLE001 - an adapter's bug must not leave the run running
                log.exception("hr.fetch_failed run=%s", run_id)
                failure = ProviderError(
                    Failure.MALFORMED, f"The list could not be read ({type(exc).__name__})."
                )
    if failure is None and conn is not None:
        try:
            with db.unit_of_work() as session:
                conn = hr.connection_by_id(session, conn_id)
                # Still ours (a read longer than the lease lets another worker claim it): the
                # check takes the row's lock until this transaction ends, so two never apply.
                run = hr.still_ours(session, run_id, claim)
                if conn is None or run is None:
                    return run_id
                _apply(session, conn, run, employees)
            return run_id
        except Exception as exc:  # noqa: BLE001 - rolled back whole; written down below
            log.exception("hr.apply_failed run=%s", run_id)
            failure = ProviderError(
                Failure.MALFORMED,
                f"The list could not be applied ({type(exc).__name__}); nothing was changed.",
            )
    with db.unit_of_work() as session:
        conn = hr.connection_by_id(session, conn_id)
        run = hr.still_ours(session, run_id, claim)
        if conn is None or run is None or failure is None:
            return run_id
        hr.retry_or_fail(
            session,
            run,
            conn,
            failure.message,
            failure.retry_after,
            final=failure.failure in (Failure.AUTH, Failure.REFUSED),
        )
    return run_id


def _run_actor(session: Session, conn: HrConnection, run: HrSyncRun) -> Actor:
    portal = portals_service.get(session, conn.portal_id)
    assert portal is not None, "a connection's portal is there (cascade)"
    started_by = members_service.get_user(session, run.started_by_id) if run.started_by_id else None
    return _hr_actor(portal, conn, started_by)


# What was done to each employee, for the run's counts and report.
NOTED = "noted"  # a change kept in the last list, with nothing to apply yet
INVITED, ADDED, UPDATED, DEACTIVATED, REVOKED, NOT_APPLIED, NOT_SELECTED = (
    "invited",
    "added_quietly",
    "updated",
    "deactivated",
    "revoked",
    "not_applied",
    "not_selected",
)
# An invitee whose email changed: their invitation revoked and a new one sent to the new address
# (an invitation of this run, counted apart from the new hires').
REINVITED = "reinvited"
APPLIED = (INVITED, ADDED, UPDATED, REINVITED, DEACTIVATED, REVOKED)


def _apply(session: Session, conn: HrConnection, run: HrSyncRun, employees: list[Employee]) -> None:
    actor = _run_actor(session, conn, run)
    plan = _plan(session, actor, conn, employees)
    given = run.options or {}
    chosen = set(run.selection) if run.selection is not None else None
    excluded = set(given.get("excluded", []))
    start_now = set(given.get("start_now", []))
    now = context.of(session).clock.now()

    def picked(step: Step) -> bool:
        return (chosen is None or step.external_id in chosen) and step.external_id not in excluded

    done: dict[str, str] = {}  # external id -> what was done (or why not)
    leavers = [s for s in plan.of(DEACTIVATE) if picked(s)]
    # The limit counts members losing access (revoked invitations take nobody's access away);
    # leavers an admin confirmed are past it.
    confirmed = set(given.get("leavers", [])) if run.confirmed else set()
    unconfirmed = [s for s in leavers if s.status == ACTIVE and s.external_id not in confirmed]
    active = members_service.count_active(session, conn.portal_id)
    limit = conn.deactivate_limit_pct
    if unconfirmed and len(unconfirmed) > active * limit / 100:
        revoking = sum(1 for s in leavers if s.status != ACTIVE)
        also = f" (and revoke {revoking} invitation{'s' if revoking != 1 else ''})" if revoking else ""
        run.options = {**given, "leavers": [s.external_id for s in leavers]}
        hr.finish_run(
            session,
            run,
            conn,
            status="waiting",
            counts=plan.counts,
            report=_report(plan, done, picked),
            at=now,
            error=f"This sync would deactivate {len(unconfirmed)} of {active} active members{also}, "
            f"more than {limit}%: confirm it to apply, or dismiss it.",
        )
        return
    user_type = str(given.get("user_type") or conn.user_type)
    role = str(given.get("role") or conn.role)
    products = list(given["products"] if given.get("products") is not None else conn.products)
    invite = [
        s
        for s in plan.steps
        if picked(s)
        and (
            s.outcome == INVITE
            or (s.outcome == ON_START and (chosen is not None or s.external_id in start_now))
        )
    ]
    # Where the portal knows each person after this run (the next run compares with it).
    saved: dict[str, str] = {}
    for step in [s for s in plan.of(UPDATE) if picked(s)]:
        why = _update(session, actor, step, invite)
        done[step.external_id] = why if why in (NOTED, REINVITED) else (why or UPDATED)
        if why not in (None, REINVITED) and step.was_address:
            saved[step.external_id] = step.was_address  # not moved: still known at the old address
    for step in leavers:
        why, what = _leave(session, actor, step)
        done[step.external_id] = why or what
    if conn.new_hires == "quiet":
        to_invite = set(
            members_flow.add_quietly(
                session,
                actor,
                [(s.address, s.name) for s in invite],
                user_type=user_type,
                role=role,
                products=products,
            )
        )
        for s in invite:
            if s.address not in to_invite:
                done[s.external_id] = ADDED
        invite = [s for s in invite if s.address in to_invite]
    if invite:
        imp, _created = imports_service.create(
            session,
            actor,
            chunks=_csv(invite),
            filename=f"{hr.actor_label(conn.provider)} sync",
            user_type=user_type,
            role=role,
            products=products,
            start=True,
            same_file_check=False,
        )
        run.import_id = imp.id
        for s in invite:
            done.setdefault(s.external_id, INVITED)
    teams = _map_departments(session, actor, plan, picked, done) if conn.map_departments else {}
    # Someone gone from the list is forgotten once nothing of theirs is left to do: not in the
    # portal, or deactivated (or their invitation revoked) now. Not selected, or refused: kept.
    to_leave = {s.external_id for s in plan.steps if s.employee is None and s.outcome == DEACTIVATE}
    forgotten = [x for x in plan.gone if x not in to_leave or done.get(x) in (DEACTIVATED, REVOKED)]
    hr.save_seen(session, conn.id, _seen_rows(plan, picked, saved, teams, done), forgotten)
    counts = dict(plan.counts)
    for what in APPLIED:
        counts[what] = sum(1 for v in done.values() if v == what)
    counts[NOT_APPLIED] = sum(1 for v in done.values() if v not in (*APPLIED, NOTED))
    # Those starting later who were not invited now (one invited now is counted as invited).
    counts[ON_START] = sum(1 for s in plan.of(ON_START) if s.external_id not in done)
    counts[NOT_SELECTED] = sum(
        1 for s in plan.steps if s.outcome in (INVITE, UPDATE, DEACTIVATE) and not picked(s)
    )
    hr.finish_run(
        session, run, conn, status="done", counts=counts, report=_report(plan, done, picked), at=now
    )
    hr.audit(
        session,
        actor,
        conn,
        "directory.sync_completed",
        {
            "run": str(run.id),
            "counts": counts,
            "import": str(run.import_id) if run.import_id else None,
        },
    )


def _seen_rows(
    plan: Plan, picked: Any, saved: dict[str, str], teams: dict[str, str], done: dict[str, str]
) -> list[Seen]:
    """The rows of the last list that change: each employee as the portal knows them after
    this run. An update or leave that was not selected is not written (it shows again next
    time); someone the portal knows at an old address stays known there until it moves."""
    rows: list[Seen] = []
    for step in plan.steps:
        e, before = step.employee, step.before
        if e is None or step.reason in (HrSkipCode.DUPLICATE, HrSkipCode.BAD_ID):
            continue
        if step.outcome in (UPDATE, DEACTIVATE) and (
            not picked(step) or done.get(step.external_id, "").startswith("Not")
        ):
            continue  # not applied: it shows again next time
        if step.reason == HrSkipCode.NOT_MANAGED and step.changes:
            continue  # not theirs to change: it shows again, and applies once they are linked
        address = saved.get(step.external_id) or step.address or step.was_address
        if step.outcome == SKIP and step.was_address:
            address = step.was_address
        team = teams.get(step.external_id, before.team if before is not None else "")
        # Managed from now on: brought in by this run, or linked (found in the portal, and the
        # admin chose to link such people); once managed, always (until gone from the list).
        managed = step.managed_now or done.get(step.external_id) in (INVITED, ADDED, REINVITED)
        row = Seen(
            step.external_id,
            address,
            step.name,
            e.department,
            e.active,
            e.start_date,
            e.end_date,
            team,
            managed,
        )
        if row != before:
            rows.append(row)
    return rows


def _csv(steps: list[Step]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "name"])
    for i, step in enumerate(steps):
        writer.writerow([step.address, step.name])
        if i % 2000 == 1999:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _report(plan: Plan, done: dict[str, str], picked: Any) -> list[dict[str, Any]]:
    """Each employee who changed or was skipped, with what was done (unchanged people and plain
    invitations are counted only: the import's report lists the invitations)."""
    rows = []
    for s in plan.steps:
        if s.outcome in ("already_member", "already_invited", INVITE):
            continue
        applied = done.get(s.external_id) or (
            "" if picked(s) or s.outcome in (SKIP, ON_START) else NOT_SELECTED
        )
        rows.append(
            {
                "external_id": s.external_id,
                "name": s.name,
                "email": s.known_address,
                "outcome": s.outcome,
                "reason": s.reason,
                "detail": leave_detail(s, applied) if s.outcome == DEACTIVATE else s.detail,
                "applied": applied,
            }
        )
        if len(rows) >= REPORT_MAX:
            break
    return rows


def _leave(session: Session, actor: Actor, step: Step) -> tuple[str | None, str]:
    """Deactivate a leaver's membership, or revoke their invitation: ``(why not, what was done)``."""
    address = step.known_address
    user = members_service.get_user_by_address(session, address)
    member = members_service.get_membership(session, actor.portal.id, user.id) if user else None
    try:
        with session.begin_nested():
            if member is not None and member.status == members_service.ACTIVE:
                members_flow.deactivate(session, actor, member.id)
                return None, DEACTIVATED
            pending = invitations_service.pending_for(session, actor, [address]).get(address)
            if pending is not None:
                invitations_flow.revoke(session, actor, pending.id)
                return None, REVOKED
    except DomainError as exc:
        return f"Not applied: {exc}", ""
    return "Nothing to do.", ""


def _update(session: Session, actor: Actor, step: Step, invite: list[Step]) -> str | None:
    """Apply a changed name, email or department; returns why not, or None (``REINVITED``,
    ``NOTED``: what was done instead). A pending invitation at an old address is revoked and the
    new address invited; a member's account
    changes only when it is this portal's alone, and an owner's or admin's sign-in email never
    by the HR system (whoever edits HR records must not be able to take over the portal)."""
    old = step.known_address
    email = step.changes.get("email", ("", ""))[1] or None
    name = step.changes.get("name", ("", ""))[1] or None
    user = members_service.get_user_by_address(session, old)
    member = members_service.get_membership(session, actor.portal.id, user.id) if user else None
    if member is not None and member.status == members_service.ACTIVE and user is not None:
        refused = policy.check_directory_email_change(member.role) if email is not None else None
        if refused is not None:
            if name is not None:
                members_service.change_details(session, actor.portal.id, user, name=name)
            return f"Not applied: {refused}"
        if email is None and name is None:
            return None  # the department only: mapped to a team where asked
        was = user.email
        why = members_service.change_details(session, actor.portal.id, user, name=name, email=email)
        if why is None and was and user.email != was:
            # Sign-in links and resets go to the new address now: the old one is told.
            notices.tell(session, user, "email_changed", to=was, new_address=user.email or "")
        if why is None:
            audit_service.record(
                session,
                actor,
                "member.updated",
                target_type="member",
                target_id=member.id,
                target_label=user.address or "",
                detail={k: {"from": o, "to": n} for k, (o, n) in step.changes.items()},
            )
        return why and f"Not applied: {why}"
    if email is not None:
        pending = invitations_service.pending_for(session, actor, [old]).get(old)
        if pending is not None:
            invitations_flow.revoke(session, actor, pending.id)
        invite.append(step)
        return REINVITED
    return NOTED  # a pending invitee's new name: noted; their account takes it when they join


def _map_departments(
    session: Session, actor: Actor, plan: Plan, picked: Any, done: dict[str, str]
) -> dict[str, str]:
    """Each department is an internal team of the same name (made when missing). Only active
    members are put in one, and only when their department is new since it was last mapped:
    someone an admin took out of a team stays out. Returns the departments mapped, by id."""
    steps = [
        s
        for s in plan.steps
        if (
            (s.status == ACTIVE and s.outcome in (MEMBER, UPDATE) and s.managed_now)
            or (s.outcome == INVITE and done.get(s.external_id) == ADDED)  # members from this run on
        )
        and picked(s)
        and s.department.strip()
        and (s.before is None or s.before.team != s.department)
    ]
    if not steps:
        return {}
    teams: dict[str, Team] = {}
    cursor: str | None = None
    while True:
        page, cursor = teams_service.list_teams(session, actor, kind=TEAM, cursor=cursor, limit=100)
        for team in page:
            teams.setdefault(names.key(team.name), team)
        if cursor is None:
            break
    # The account may have moved to the new address in this run (an applied email change).
    found = members_service.users_by_address(
        session, [a for s in steps for a in (s.known_address, s.address) if a]
    )
    users = {
        s.known_address: found.get(s.address) or found[s.known_address]
        for s in steps
        if s.address in found or s.known_address in found
    }
    by_team: dict[str, list[Step]] = {}
    for step in steps:
        by_team.setdefault(names.tidy(step.department)[:100], []).append(step)
    mapped: dict[str, str] = {}
    for name, members in by_team.items():
        # A department names the team of the same name (``kit.names``: "design" is "Design").
        if names.key(name) not in teams:
            teams[names.key(name)] = teams_service.create(session, actor, kind=TEAM, name=name)
        team = teams[names.key(name)]
        entries = [
            teams_service.Entry(asked=s.known_address, user=users[s.known_address], outcome="added")
            for s in members
            if s.known_address in users
        ]
        teams_service.add_members(session, actor, team, entries)
        for s in members:
            mapped[s.external_id] = s.department
            old = names.tidy(s.before.team if s.before is not None else "")
            if (
                old
                and names.key(old) != names.key(name)
                and names.key(old) in teams
                and s.known_address in users
            ):
                groups.take_out(session, actor, teams[names.key(old)], [users[s.known_address].id])
    return mapped
