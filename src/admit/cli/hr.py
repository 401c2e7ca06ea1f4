"""``hr list|preview|link|sync|runs|run|confirm|dismiss``: the portal's HR-system connections, from
the console, over the same flow as the pages and the API (``flows.hr_sync``): a sync that waits
for confirmation is seen (``runs``, ``run``) and confirmed or dismissed as on its page.
Connecting a system (its key) is done on the page or by the API: a key typed on a command line
stays in the shell's history."""

from __future__ import annotations

import uuid

import click

from admit.cli import _shared


@click.group("hr")
def hr() -> None:
    """HR systems connected to the portal: list them, preview a sync, run one, and confirm (or
    dismiss) a sync that waits for confirmation."""


@hr.command("list")
@_shared.portal_option
@_shared.list_options
@_shared.list_json_option("connection")
def list_connections(slug: str, limit: int | None, cursor: str | None, as_json: bool) -> None:
    """The portal's HR connections, oldest first (all pages; --limit to stop early): system,
    auto-pilot, last sync, status."""
    from admit.directory.hr import service as hr_service
    from admit.directory.schemas import HrConnectionRead

    with _shared.portal_session(slug) as (session, actor):
        found, total, next_cursor = _shared.walk(
            lambda cursor, size: hr_service.list_connections(session, actor, cursor=cursor, limit=size),
            lambda: hr_service.count_connections(session, actor),
            cursor=cursor,
            limit=limit,
        )
        rows = [HrConnectionRead.of(c) for c in found]

    def under(r: HrConnectionRead) -> list[str]:
        if r.status == "waiting":
            return [f"A sync waits for confirmation: admit hr runs --portal {slug} {r.id}"]
        return []

    _shared.Listing(rows, total, next_cursor).table(
        as_json,
        ("Status", "System", "Auto-pilot", "Last sync", "Id"),
        lambda r: (r.status, r.title, r.schedule, _shared.when(r.last_sync_at) or "never", str(r.id)),
        empty="No HR connections.",
        under=under,
    )


@hr.command("preview")
@_shared.portal_option
@click.argument("connection_id", type=click.UUID)
def preview(slug: str, connection_id: uuid.UUID) -> None:
    """Read the system's list now and print what a sync would do (counts, then the changes), in
    the words of the preview page."""
    from admit.directory.hr import service as hr_service
    from admit.directory.hr.plan import INVITED, MEMBER
    from admit.directory.hr.words import counts_said, outcome_said, unlinked_said
    from admit.flows import hr_sync

    with _shared.portal_session(slug) as (session, actor):
        conn = hr_service.get_or_raise(session, actor, connection_id)
        plan = hr_sync.preview(session, actor, conn)
        system, quiet = hr_service.name_of(conn), conn.new_hires == "quiet"
    click.echo(" · ".join(counts_said(plan.counts)) or "An empty list.")
    changes = [
        (outcome_said(step.outcome, quiet=quiet), step.name, step.known_address, step.detail)
        for step in plan.rows
        if step.outcome not in (MEMBER, INVITED)
    ]
    if changes:
        _shared.print_table(("Change", "Name", "Address", "Detail"), changes)
    # Those already in the portal that it does not manage are not listed one by one (those who
    # left or changed would be, at every preview, until linked): what a sync will not do to them
    # is said once, and how to link them.
    said = unlinked_said(plan.unlinked, system)
    if said:
        click.echo(said)
        command = f"admit hr link --portal {slug} {connection_id}"
        click.echo(f"Link them (and everyone else already in the portal): {command}")


@hr.command("link")
@_shared.portal_option
@click.argument("connection_id", type=click.UUID)
def link(slug: str, connection_id: uuid.UUID) -> None:
    """Link people already in the portal to the connection, as its Settings' "Link people
    already in the portal" does: from its next sync on, it keeps those it finds in the portal
    up to date with the system and deactivates them when they leave it, as the people it
    invited (``hr preview`` shows what that sync will do)."""
    from admit.directory.hr import service as hr_service
    from admit.directory.hr.words import linking_said
    from admit.flows import hr_sync

    with _shared.portal_session(slug) as (session, actor):
        conn = hr_service.get_or_raise(session, actor, connection_id)
        already, system = conn.manage_existing, hr_service.name_of(conn)
        hr_sync.update(session, actor, conn, {"manage_existing": True})
    if already:
        click.echo(f"{system} already links people already in the portal: nothing changed.")
        return
    click.echo(f"{linking_said(system)} What it will do: admit hr preview --portal {slug} {connection_id}")


@hr.command("sync")
@_shared.portal_option
@click.argument("connection_id", type=click.UUID)
def sync(slug: str, connection_id: uuid.UUID) -> None:
    """Queue a sync of the whole plan; the worker applies it (admit worker, or admit serve)."""
    from admit.directory.hr import service as hr_service
    from admit.flows import hr_sync

    with _shared.portal_session(slug) as (session, actor):
        run = hr_sync.start_sync(session, actor, hr_service.get_or_raise(session, actor, connection_id))
        run_id = run.id
    click.echo(
        f"Sync queued ({run_id}); the worker applies it. "
        f"See it with: admit hr run --portal {slug} {connection_id} {run_id}"
    )


def _waiting_hint(slug: str, connection_id: uuid.UUID, run_id: uuid.UUID) -> str:
    return (
        f"Confirm it: admit hr confirm --portal {slug} {connection_id} {run_id}"
        f"   (or dismiss it: admit hr dismiss --portal {slug} {connection_id} {run_id})"
    )


@hr.command("runs")
@_shared.portal_option
@_shared.list_options
@_shared.list_json_option("run")
@click.argument("connection_id", type=click.UUID)
def runs(slug: str, limit: int | None, cursor: str | None, as_json: bool, connection_id: uuid.UUID) -> None:
    """A connection's sync runs, newest first (all pages; --limit to stop early): status, when,
    what each did, and how to confirm one that waits for confirmation."""
    from admit.directory.hr import service as hr_service
    from admit.directory.hr.words import counts_said, results_said
    from admit.directory.schemas import HrRunRead

    with _shared.portal_session(slug) as (session, actor):
        conn = hr_service.get_or_raise(session, actor, connection_id)
        rows, total, next_cursor = _shared.walk(
            lambda cursor, size: hr_service.list_runs(session, actor, conn, cursor=cursor, limit=size),
            lambda: hr_service.count_runs(session, actor, conn),
            cursor=cursor,
            limit=limit,
        )
        listing = _shared.Listing([HrRunRead.of(r) for r in rows], total, next_cursor)

    def cells(r: HrRunRead) -> tuple[str | None, ...]:
        said = counts_said(r.counts) if r.status == "waiting" else results_said(r.counts)
        return r.status, _shared.when(r.created_at), r.trigger, " · ".join(said), str(r.id)

    def under(r: HrRunRead) -> list[str]:
        waiting = [_waiting_hint(slug, connection_id, r.id)] if r.status == "waiting" else []
        return [r.error, *waiting] if r.error else waiting

    listing.table(
        as_json, ("Status", "When", "Trigger", "What it did", "Id"), cells, empty="No sync runs.", under=under
    )


@hr.command("run")
@_shared.portal_option
@_shared.json_option("the run with its report")
@click.argument("connection_id", type=click.UUID)
@click.argument("run_id", type=click.UUID)
def show_run(slug: str, as_json: bool, connection_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """One sync run: its status, what it did (or, waiting for confirmation, what it would do),
    and each employee it changed or skipped, in the words of its page."""
    from admit.directory.hr import service as hr_service
    from admit.directory.hr.words import APPLIED_WORDS, OUTCOME_WORDS, counts_said, results_said
    from admit.directory.schemas import HrReportRow, HrRunRead

    with _shared.portal_session(slug) as (session, actor):
        _conn, run = hr_service.get_run_or_raise(session, actor, connection_id, run_id)
        read = HrRunRead.of(run, with_report=True)
    if as_json:
        _shared.echo_json(read)
        return
    waiting = read.status == "waiting"
    click.echo(_shared.columns(f"Sync {read.status}", _shared.when(read.created_at), read.trigger))
    if read.error:
        click.echo(read.error)
    said = counts_said(read.counts) if waiting else results_said(read.counts)
    click.echo(" · ".join(said) or "No changes.")

    def row(r: HrReportRow) -> tuple[str | None, ...]:
        applied = ""
        if r.applied and r.applied not in ("updated", "deactivated", "revoked", "reinvited"):
            applied = f"({APPLIED_WORDS.get(r.applied, r.applied)})"
        detail = " ".join(filter(None, (r.detail, applied)))
        return OUTCOME_WORDS.get(r.outcome, r.outcome), r.name, r.email, detail

    if read.report:
        _shared.print_table(("Change", "Name", "Address", "Detail"), [row(r) for r in read.report])
    if waiting:
        click.echo(_waiting_hint(slug, connection_id, read.id))


@hr.command("confirm")
@_shared.portal_option
@click.argument("connection_id", type=click.UUID)
@click.argument("run_id", type=click.UUID)
def confirm(slug: str, connection_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Confirm a sync that waits for confirmation (it would deactivate more than the
    connection's share): a new run applies it, as the page's Confirm does."""
    from admit.directory.hr import service as hr_service
    from admit.flows import hr_sync

    with _shared.portal_session(slug) as (session, actor):
        conn, run = hr_service.get_run_or_raise(session, actor, connection_id, run_id)
        new_id = hr_sync.confirm_run(session, actor, conn, run).id
    click.echo(
        f"Confirmed: the sync applies it now ({new_id}); the worker applies it. "
        f"See it with: admit hr run --portal {slug} {connection_id} {new_id}"
    )


@hr.command("dismiss")
@_shared.portal_option
@click.argument("connection_id", type=click.UUID)
@click.argument("run_id", type=click.UUID)
def dismiss(slug: str, connection_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Turn down a sync that waits for confirmation: nothing of it is applied."""
    from admit.directory.hr import service as hr_service

    with _shared.portal_session(slug) as (session, actor):
        conn, run = hr_service.get_run_or_raise(session, actor, connection_id, run_id)
        hr_service.dismiss_run(session, actor, conn, run)
    click.echo("Dismissed: nothing of that sync was applied.")
