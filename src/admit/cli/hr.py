"""``hr list|preview|sync``: the portal's HR-system connections, from the console, over the same
flow as the pages and the API (``flows.hr_sync``). Connecting a system (its key) is done on the
page or by the API: a key typed on a command line stays in the shell's history."""

from __future__ import annotations

import uuid
from functools import partial

import click

from admit.cli import _shared


@click.group("hr")
def hr() -> None:
    """HR systems connected to the portal: list them, preview a sync, run one."""


@hr.command("list")
@_shared.portal_option
@_shared.list_json_option("connection")
def list_connections(slug: str, as_json: bool) -> None:
    """The portal's HR connections: system, auto-pilot, last sync, status."""
    from admit.directory.hr import service as hr_service
    from admit.directory.schemas import HrConnectionRead
    from admit.kit.pagination import every

    with _shared.portal_session(slug) as (session, actor):
        rows = [HrConnectionRead.of(c) for c in every(partial(hr_service.list_connections, session, actor))]

    def line(r: HrConnectionRead) -> str:
        last = _shared.when(r.last_sync_at) or "never"
        return _shared.columns(
            f"{r.status:<8}", r.title, f"auto-pilot {r.schedule}", f"last {last}", f"({r.id})"
        )

    # Every connection (every page read): the list shape of every command, one writer.
    _shared.Listing(rows, len(rows)).echo(as_json, line, empty="No HR connections.")


@hr.command("preview")
@_shared.portal_option
@click.argument("connection_id", type=click.UUID)
def preview(slug: str, connection_id: uuid.UUID) -> None:
    """Read the system's list now and print what a sync would do (counts, then the changes)."""
    from admit.directory.hr import service as hr_service
    from admit.flows import hr_sync

    with _shared.portal_session(slug) as (session, actor):
        plan = hr_sync.preview(session, actor, hr_service.get_or_raise(session, actor, connection_id))
    click.echo(" · ".join(f"{n} {outcome}" for outcome, n in plan.counts.items() if n) or "An empty list.")
    for step in plan.steps:
        if step.outcome not in ("already_member", "already_invited"):
            click.echo(_shared.columns(f"{step.outcome:<16}", step.name, step.address or "—", step.detail))


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
    click.echo(f"Sync queued ({run_id}); the worker applies it.")
