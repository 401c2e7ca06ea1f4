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
  (``members.service.change_details``); departments map to internal teams when asked.
- A plan that would deactivate more than the connection's share of the portal's active
  members waits (``waiting``) until an admin confirms it.
- Everything is done by an actor named ``hr:<system>`` in the audit log.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from admit import context
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.db import Database
from admit.directory.hr import service as hr
from admit.directory.hr.base import Employee, Failure, ProviderError
from admit.directory.hr.plan import DEACTIVATE, INVITE, ON_START, UPDATE, Plan, Step, make_plan
from admit.errors import DomainError, InvalidInput
from admit.flows import members as members_flow
from admit.imports import service as imports_service
from admit.invitations import service as invitations_service
from admit.invitations.options import check_options
from admit.kit import secretbox
from admit.members import service as members_service
from admit.policy import Role
from admit.portals import service as portals_service
from admit.teams import service as teams_service
from admit.teams.models import TEAM

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.directory.models import HrConnection, HrSyncRun
    from admit.teams.models import Team

__all__ = ["connect", "preview", "providers_offered", "run_due", "start_sync", "update"]

LOOKUP_BATCH = 10_000  # addresses per lookup query (SQLite takes at most 32,766 parameters)
REPORT_MAX = 5000  # rows of a run's own report (its invitations' report is the import's)


def providers_offered() -> list[dict[str, Any]]:
    from admit.directory.hr.providers import PROVIDERS

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


def _options(actor: Actor, conn: HrConnection | None, body: dict[str, Any]) -> dict[str, Any]:
    """The invitation options checked by the pipeline's own rules (user type, role, products)."""
    user_type = body.get("user_type") or (conn.user_type if conn else "internal")
    role = body.get("role") or _kept_role(conn, user_type)
    products = body.get("products") if body.get("products") is not None else (conn.products if conn else [])
    checked = check_options(actor, user_type=user_type, role=role, products=products)
    out = {
        k: body.get(k)
        for k in ("schedule", "new_hires", "map_departments", "deactivate_limit_pct", "allowed_domains")
    }
    out.update(user_type=str(checked.user_type), role=str(checked.role), products=list(checked.products))
    return out


def _kept_role(conn: HrConnection | None, user_type: str) -> str | None:
    """The connection's role when the user type stays what it was (a client's role is not a
    teammate's); else None: the pipeline's default for the type."""
    return conn.role if conn is not None and conn.user_type == user_type else None


def connect(session: Session, actor: Actor, body: dict[str, Any]) -> HrConnection:
    return hr.connect(
        session,
        actor,
        provider=str(body.get("provider") or ""),
        api_key=str(body.get("api_key") or ""),
        account=str(body.get("account") or ""),
        base_url=str(body.get("base_url") or ""),
        fields_granted=bool(body.get("fields_granted")),
        options=_options(actor, None, body),
    )


def update(session: Session, actor: Actor, conn: HrConnection, body: dict[str, Any]) -> HrConnection:
    return hr.update_connection(
        session,
        actor,
        conn,
        api_key=body.get("api_key"),
        account=body.get("account"),
        base_url=body.get("base_url"),
        options=_options(actor, conn, body),
    )


def _actor(portal_actor: Actor, conn: HrConnection, started_by: Any = None) -> Actor:
    """Who acts for a sync: the portal as an admin, named ``hr:<system>`` in the audit log (and
    the admin who pressed Send, when one did: invitations name them as the inviter)."""
    return Actor(
        portal=portal_actor.portal,
        role=Role.ADMIN,
        user=started_by,
        ip=portal_actor.ip,
        shown_as=f"hr:{conn.provider}",
    )


def _fetch(session: Session, conn: HrConnection) -> list[Employee]:
    provider = hr.provider_of(conn.provider)
    try:
        creds = hr.credentials(session, conn)
    except secretbox.SealBroken as exc:
        raise ProviderError(
            Failure.AUTH, "The saved key cannot be read (ADMIT_ENCRYPTION_KEY changed?): enter it again."
        ) from exc
    return provider.fetch(hr.fetcher(session, provider), creds)


def _plan(session: Session, actor: Actor, conn: HrConnection, employees: list[Employee]) -> Plan:
    addresses: dict[str, str] = {}
    for e in employees:
        text = e.work_email.strip()
        parsed = members_service.parse_recipient(session, text) if text else None
        addresses[e.external_id] = (
            parsed.address if parsed is not None and parsed.address and "@" in parsed.address else ""
        )
    seen = hr.seen_of(session, conn.id)
    wanted = set(addresses.values()) | {s.address for s in seen.values()}
    wanted.discard("")
    statuses: dict[str, str] = {}
    addresses_list = sorted(wanted)
    for i in range(0, len(addresses_list), LOOKUP_BATCH):
        part = addresses_list[i : i + LOOKUP_BATCH]
        statuses.update(members_service.statuses_by_address(session, actor.portal.id, part))
        # Invited and not joined yet: a pending invitation, no membership.
        for address in invitations_service.pending_addresses(session, actor, part):
            statuses.setdefault(address, "pending")
    return make_plan(
        employees,
        addresses=addresses,
        seen=seen,
        statuses=statuses,
        today=context.of(session).clock.now().date(),
        allowed_domains=conn.allowed_domains,
        system=hr.provider_of(conn.provider).title,
    )


def preview(session: Session, actor: Actor, conn: HrConnection) -> Plan:
    """What a sync would do now (reads the system; writes nothing). A failure is a 502-like
    ``InvalidInput`` naming the system and what it answered."""
    try:
        employees = _fetch(session, conn)
    except ProviderError as exc:
        raise InvalidInput(exc.message, field="provider") from exc
    return _plan(session, actor, conn, employees)


def start_sync(
    session: Session,
    actor: Actor,
    conn: HrConnection,
    *,
    selection: list[str] | None = None,
    confirmed: bool = False,
    options: dict[str, Any] | None = None,
) -> HrSyncRun:
    """Queue a sync run (the worker reads the list and applies it); ``selection``: the external
    ids ticked in the preview (None: the whole plan); ``options``: the user type, role and
    products the selection's new people get (checked by the pipeline's rules; None: the
    connection's)."""
    if options:
        user_type = options.get("user_type") or conn.user_type
        checked = check_options(
            actor,
            user_type=user_type,
            role=options.get("role") or _kept_role(conn, user_type),
            products=options["products"] if options.get("products") is not None else list(conn.products),
        )
        options = {
            "user_type": str(checked.user_type),
            "role": str(checked.role),
            "products": list(checked.products),
        }
    if selection is not None:
        selection = [str(s) for s in selection][:1_000_000]
        if not selection:
            raise InvalidInput("Select at least one person.", field="selection")
    run = hr.queue_run(
        session,
        conn,
        trigger="manual",
        started_by_id=actor.user_id,
        selection=selection,
        confirmed=confirmed,
        options=options or None,
    )
    audit_service.record(
        session,
        _actor(actor, conn, actor.user),
        "hr.sync_started",
        target_type="hr_connection",
        target_id=conn.id,
        target_label=hr.provider_of(conn.provider).title,
        detail={"run": str(run.id), "selected": len(selection) if selection is not None else None},
    )
    return run


def confirm_run(session: Session, actor: Actor, conn: HrConnection, run: HrSyncRun) -> HrSyncRun:
    """An admin confirms a run that waits for its deactivations: a new run applies it, past the limit."""
    if run.status != "waiting":
        raise InvalidInput("Only a run waiting for confirmation can be confirmed.", field="run")
    run.status = "done"
    run.error = "Confirmed: applied by the next run."
    return start_sync(session, actor, conn, selection=run.selection, confirmed=True, options=run.options)


# ---- the worker's side -------------------------------------------------------------------------


def run_due(db: Database) -> uuid.UUID | None:
    """One step for the worker: queue auto-pilot's due runs, then claim one run and carry it
    out. Returns the run's id when one was run."""
    with db.unit_of_work() as session:
        hr.queue_due(session)
    with db.unit_of_work() as session:
        run = hr.claim_run(session)
        if run is None:
            return None
        run_id, conn_id = run.id, run.connection_id
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
                employees = _fetch(session, conn)
            except ProviderError as exc:
                failure = exc
    with db.unit_of_work() as session:
        conn = hr.connection_by_id(session, conn_id)
        run = hr.run_by_id(session, run_id)
        if conn is None or run is None:
            return run_id
        if failure is not None:
            hr.retry_or_fail(session, run, conn, failure.message, failure.retry_after)
            return run_id
        _apply(session, conn, run, employees)
    return run_id


def _run_actor(session: Session, conn: HrConnection, run: HrSyncRun) -> Actor:
    portal = portals_service.get(session, conn.portal_id)
    assert portal is not None, "a connection's portal is there (cascade)"
    started_by = members_service.get_user(session, run.started_by_id) if run.started_by_id else None
    return Actor(portal=portal, role=Role.ADMIN, user=started_by, shown_as=f"hr:{conn.provider}")


def _apply(session: Session, conn: HrConnection, run: HrSyncRun, employees: list[Employee]) -> None:
    actor = _run_actor(session, conn, run)
    plan = _plan(session, actor, conn, employees)
    chosen = set(run.selection) if run.selection is not None else None
    now = context.of(session).clock.now()

    def picked(step: Step) -> bool:
        return chosen is None or step.external_id in chosen

    leavers = [s for s in plan.of(DEACTIVATE) if picked(s)]
    limit = conn.deactivate_limit_pct
    active = members_service.count_active(session, conn.portal_id)
    if leavers and not run.confirmed and len(leavers) > active * limit / 100:
        hr.finish_run(
            session,
            run,
            conn,
            status="waiting",
            counts=plan.counts,
            report=_report(plan),
            at=now,
        )
        run.error = (
            f"This sync would deactivate {len(leavers)} of {active} active members, more than {limit}%: "
            "confirm it to apply."
        )
        return
    # Invite: now (or on their start date: a selected future hire is invited now, an admin chose so).
    invite = [
        s for s in plan.steps if (s.outcome == INVITE or (s.outcome == ON_START and chosen)) and picked(s)
    ]
    applied: list[Step] = []
    outcomes: dict[str, str] = {}
    for step in [s for s in plan.of(UPDATE) if picked(s)]:
        why = _update(session, actor, conn, step, invite)
        outcomes[step.external_id] = why or "updated"
        applied.append(step)
    for step in leavers:
        outcomes[step.external_id] = _leave(session, actor, step) or "deactivated"
        applied.append(step)
    given = run.options or {}
    user_type = str(given.get("user_type") or conn.user_type)
    role = str(given.get("role") or conn.role)
    products = list(given["products"] if given.get("products") is not None else conn.products)
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
        invite = [s for s in invite if s.address in to_invite]
    if invite:
        imp, _created = imports_service.create(
            session,
            actor,
            chunks=_csv(invite),
            filename=f"hr:{conn.provider} sync",
            user_type=user_type,
            role=role,
            products=products,
            start=True,
            same_file_check=False,
        )
        run.import_id = imp.id
    if conn.map_departments:
        kept = (INVITE, ON_START, UPDATE, "already_member", "already_invited")
        _map_departments(
            session,
            actor,
            [s for s in plan.steps if s.outcome in kept and s.address and picked(s) and s.department],
        )
    # The last list, for the next comparison: what was applied, and what needed nothing.
    skipped_changes = {
        s.external_id for s in plan.steps if s.outcome in (UPDATE, DEACTIVATE) and not picked(s)
    }
    hr.save_seen(
        session,
        conn.id,
        [s for s in plan.changed if s.external_id not in skipped_changes],
        [x for x in plan.gone if x not in skipped_changes],
    )
    counts = dict(plan.counts)
    counts["invited"] = len(invite)
    report = _report(plan, outcomes)
    hr.finish_run(session, run, conn, status="done", counts=counts, report=report, at=now)
    audit_service.record(
        session,
        actor,
        "directory.sync_completed",
        target_type="hr_connection",
        target_id=conn.id,
        target_label=hr.provider_of(conn.provider).title,
        detail={
            "run": str(run.id),
            "counts": counts,
            "import": str(run.import_id) if run.import_id else None,
        },
    )


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


def _report(plan: Plan, outcomes: dict[str, str] | None = None) -> list[dict[str, Any]]:
    rows = []
    for s in plan.steps:
        if s.outcome in ("already_member", "already_invited", INVITE):
            continue
        rows.append(
            {
                "external_id": s.external_id,
                "name": s.name,
                "email": s.address,
                "outcome": s.outcome,
                "reason": s.reason,
                "detail": s.detail,
                "applied": (outcomes or {}).get(s.external_id, ""),
            }
        )
        if len(rows) >= REPORT_MAX:
            break
    return rows


def _leave(session: Session, actor: Actor, step: Step) -> str | None:
    """Deactivate a leaver's membership, or revoke their invitation. Returns why not, or None."""
    address = step.known_address
    user = members_service.get_user_by_address(session, address)
    member = members_service.get_membership(session, actor.portal.id, user.id) if user else None
    try:
        with session.begin_nested():
            if member is not None and member.status == members_service.ACTIVE:
                members_flow.deactivate(session, actor, member.id)
                return None
            pending = invitations_service.pending_for(session, actor, [address]).get(address)
            if pending is not None:
                invitations_service.revoke(session, actor, pending.id)
                return None
    except DomainError as exc:
        return f"Not applied: {exc}"
    return "Nothing to do."


def _update(session: Session, actor: Actor, conn: HrConnection, step: Step, invite: list[Step]) -> str | None:
    """Apply a changed name, email or department. A pending invitation at an old address is
    revoked and the new address invited; a member's account changes only when it is this
    portal's alone."""
    old = step.known_address
    user = members_service.get_user_by_address(session, old)
    member = members_service.get_membership(session, actor.portal.id, user.id) if user else None
    if member is not None and member.status == members_service.ACTIVE and user is not None:
        email = step.changes.get("email", ("", ""))[1] or None
        name = step.changes.get("name", ("", ""))[1] or None
        if email is None and name is None:
            return None  # the department only: mapped below
        why = members_service.change_details(session, actor.portal.id, user, name=name, email=email)
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
        return why
    if "email" in step.changes:
        pending = invitations_service.pending_for(session, actor, [old]).get(old)
        if pending is not None:
            invitations_service.revoke(session, actor, pending.id)
        invite.append(step)
        return "Invited at the new address."
    return None


def _map_departments(session: Session, actor: Actor, steps: list[Step]) -> None:
    """Each department is an internal team of the same name (made when missing); a person
    whose department changed leaves the old one's team."""
    teams: dict[str, Team] = {}
    cursor: str | None = None
    while True:
        page, cursor = teams_service.list_teams(session, actor, kind=TEAM, cursor=cursor, limit=100)
        for team in page:
            teams.setdefault(team.name.casefold(), team)
        if cursor is None:
            break
    by_team: dict[str, list[Step]] = {}
    for step in steps:
        by_team.setdefault(step.department.strip()[:100], []).append(step)
    users = members_service.get_or_create_users(session, [s.address for s in steps])
    for name, members in by_team.items():
        if not name:
            continue
        if name.casefold() not in teams:
            teams[name.casefold()] = teams_service.create(session, actor, kind=TEAM, name=name)
        team = teams[name.casefold()]
        entries = [
            teams_service.Entry(asked=s.address, user=users[s.address], outcome="added")
            for s in members
            if s.address in users
        ]
        teams_service.add_members(session, actor, team, entries)
    for step in steps:
        old = step.changes.get("department", ("", ""))[0].strip()
        if old and old.casefold() in teams and step.address in users:
            teams_service.remove_members(session, actor, teams[old.casefold()], [users[step.address].id])
