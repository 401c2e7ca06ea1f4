"""The ``admit`` command: serve, worker, init, invite, users, migrate, check-config.

Commands call services inside a unit of work, as the pages and the API do; never SQL.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from admit import __version__
from admit.settings import Settings, configure


def _settings() -> Settings:
    return configure(Settings())


def _db(settings: Settings):
    from admit.context import Context
    from admit.db import Database

    return Database(settings.database_url, context=Context.build(settings))


def _fail(message: str, code: int = 1):
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(code)


@contextmanager
def _portal_session(slug: str):
    """A unit of work acting as the portal's operator: yields ``(session, actor)``. A domain error
    ends the command with its message (and field); the engine is closed at the end."""
    from admit.errors import DomainError

    db = _db(_settings())
    try:
        with db.unit_of_work() as session:
            yield session, _system_actor(session, slug)
    except DomainError as exc:
        field = exc.fields.get("field")
        _fail(exc.message + (f" (field: {field})" if field else ""))
    finally:
        db.dispose()


def _system_actor(session, slug: str):
    from admit.members import service as members_service

    """The CLI acts as the portal's first owner (an operator at the console has the keys anyway)."""

    return members_service.operator_actor(session, slug)


@click.group()
@click.version_option(__version__, prog_name="admit")
def main() -> None:
    """Admit: invite people into your portal. Settings come from ADMIT_* environment variables."""


@main.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def migrate(revision: str) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from admit.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo(f"Database at {settings.database_url} is at {revision}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Web processes.")
@click.option("--no-worker", is_flag=True, help="Do not run the worker inside the web process.")
@click.option("--no-migrate", is_flag=True, help="Do not upgrade the schema at start.")
def serve(host: str, port: int, workers: int, no_worker: bool, no_migrate: bool) -> None:
    """Run the web app (pages + API) with the worker inside, on the configured database."""
    import os

    import uvicorn

    from admit.migrate import upgrade

    settings = _settings()
    problems = settings.problems()
    for problem in problems:
        click.secho(
            f"{'Error' if settings.environment == 'production' else 'Warning'}: {problem}",
            fg="red" if settings.environment == "production" else "yellow",
            err=True,
        )
    if problems and settings.environment == "production":
        # E.g. the dev mailbox shows every email (sign-in and invitation links) to anyone.
        _fail("refusing to start in production with the problems above (see `admit check-config`).")
    if not no_migrate:
        upgrade(settings.database_url)
    if no_worker:
        # The factory reads the settings in force; child processes (--workers) read the environment.
        os.environ["ADMIT_RUN_WORKER_IN_WEB"] = "false"
        configure(settings.model_copy(update={"run_worker_in_web": False}))
    click.echo(
        f"Admit {__version__} on http://{host}:{port} (public URL {settings.public_url}); "
        f"database {settings.database_url}; email backend {settings.email_backend}; "
        f"SMS backend {settings.sms_backend}"
    )
    uvicorn.run(
        "admit.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
    )


@main.command()
@click.option("--once", is_flag=True, help="Deliver what is due, then exit.")
def worker(once: bool) -> None:
    """Run the worker alone (deliver email, expire invitations). Run as many as you like."""
    import signal
    import threading

    from admit.jobs import Worker

    settings = _settings()
    w = Worker(_db(settings), settings)
    if once:
        click.echo(json.dumps(w.drain()))
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo("Worker running; Ctrl-C to stop.")
    w.run_forever(stop)


@main.command()
@click.option("--portal-name", required=True, help="The company's portal name.")
@click.option("--owner-email", required=True)
@click.option(
    "--owner-password", required=True, help="At least 10 characters (or the account's current one)."
)
@click.option("--owner-name", default="", help="The owner's display name.")
@click.option("--json", "as_json", is_flag=True, help='Print {"portal": SLUG, "api_key": KEY}.')
def init(portal_name: str, owner_email: str, owner_password: str, owner_name: str, as_json: bool) -> None:
    """Create a portal and its owner headless, and print an admin API key for it."""
    from admit.errors import DomainError
    from admit.flows import setup
    from admit.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    db = _db(settings)
    try:
        with db.unit_of_work() as session:
            portal, _user, key = setup.create_portal(
                session,
                name=portal_name,
                owner_email=owner_email,
                owner_password=owner_password,
                owner_name=owner_name,
                ip="cli",
            )
            slug = portal.slug
    except DomainError as exc:
        _fail(f"{exc.message}" + (f" (field: {exc.fields.get('field')})" if exc.fields.get("field") else ""))
    if as_json:
        click.echo(json.dumps({"portal": slug, "api_key": key}))
    else:
        click.echo(f"Portal {slug} created. Admin API key (shown once): {key}")


@main.command()
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option(
    "--type", "user_type", type=click.Choice(["internal", "client"]), default="internal", show_default=True
)
@click.option(
    "--role", type=click.Choice(["owner", "admin", "member"]), default=None, help="Internal users only."
)
@click.option("--product", "products", multiple=True, help="A product to grant (repeatable).")
@click.option("--message", default=None, help="A personal message for the email.")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A .txt or .csv file of addresses (one per line or separated by , ; or tabs).",
)
@click.option("--dry-run", is_flag=True, help="Only say what would happen (with --file: a preview).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.argument("recipients", nargs=-1)
def invite(slug, user_type, role, products, message, file, dry_run, as_json, recipients) -> None:
    """Invite people by email: addresses as arguments, or a list with --file.

    A file goes through a bulk import: the same checks per row, a progress bar, and a summary
    (the per-row report is in User Management and the API). --dry-run previews without writing.
    """
    from admit.invitations import service as invitations_service
    from admit.people.results import recipient_results

    items = list(recipients)
    if file is not None:
        if items:
            _fail("Give addresses as arguments or --file, not both.", code=2)
        _import_file(slug, file, user_type, role, list(products), message, dry_run, as_json)
        return
    if not items:
        _fail("Give addresses as arguments or --file.", code=2)
    if dry_run:
        _preview_text(slug, "\n".join(items), user_type, role, list(products), message, as_json)
        return
    with _portal_session(slug) as (session, actor):
        batch = invitations_service.invite(
            session,
            actor,
            recipients=items,
            user_type=user_type,
            role=role,
            products=list(products),
            message=message,
        )
        answer = recipient_results(session, batch.results)
    if as_json:
        click.echo(answer.model_dump_json())
    else:
        for r in answer.results:
            why = f"  {r.code}: {r.detail}" if r.outcome == "skipped" else ""
            click.echo(f"{r.outcome:<8} {r.recipient}{why}")
        counts = answer.counts
        click.echo(f"{counts['invited']} invited, {counts['skipped']} skipped. The worker sends the emails.")
    if not answer.counts["invited"]:
        sys.exit(1)


def _file_chunks(path: Path):
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk


def _print_preview(preview: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(preview))
        return
    labels = {
        "will_invite": "will invite",
        "already_member": "already members",
        "already_invited": "already invited",
        "duplicate": "duplicates in the list",
        "invalid_recipient": "invalid",
        "not_allowed": "not allowed",
    }
    click.echo(f"{preview['total']} rows")
    for code, label in labels.items():
        count = preview["counts"].get(code, 0)
        click.echo(f"  {count:>8}  {label}")
        if code != "will_invite":
            for sample in preview["samples"].get(code, []):
                click.echo(f"            row {sample['row']}: {sample['recipient']}  {sample['detail']}")


def _preview_text(slug, text, user_type, role, products, message, as_json) -> None:
    from admit.imports import service as imports_service

    with _portal_session(slug) as (session, actor):
        preview = imports_service.preview(
            session,
            actor,
            chunks=[text.encode("utf-8")],
            user_type=user_type,
            role=role,
            products=products,
            message=message,
        )
    _print_preview(preview, as_json)
    if not preview["counts"]["will_invite"]:
        sys.exit(1)


def _import_file(slug, path: Path, user_type, role, products, message, dry_run, as_json) -> None:
    """``admit invite --file``: preview, or import with a progress bar."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from admit.errors import DomainError
    from admit.imports import jobs as imports_jobs
    from admit.imports import service as imports_service
    from admit.imports.models import DONE, FAILED, InvitationImport

    settings = _settings()
    db = _db(settings)
    options = {"user_type": user_type, "role": role, "products": products, "message": message}
    try:
        with db.unit_of_work() as session:
            actor = _system_actor(session, slug)
            if dry_run:
                preview = imports_service.preview(session, actor, chunks=_file_chunks(path), **options)
            else:
                imp, created = imports_service.create(
                    session, actor, chunks=_file_chunks(path), filename=path.name, **options
                )
                import_id, total = imp.id, imp.total_rows
    except DomainError as exc:
        _fail(exc.message + (f" (field: {exc.fields['field']})" if exc.fields.get("field") else ""))
    if dry_run:
        _print_preview(preview, as_json)
        if not preview["counts"]["will_invite"]:
            sys.exit(1)
        return
    if not created:
        click.echo(f"This list was already imported (import {import_id}); nobody is invited twice.", err=True)
    columns = (TextColumn("Inviting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=as_json or not sys.stderr.isatty(), transient=False) as bar:
        task = bar.add_task("import", total=total)
        claimed = imports_jobs.claim(db, import_id) if created else None
        if claimed is not None:
            final = imports_jobs.run(
                db, *claimed, on_progress=lambda imp: bar.update(task, completed=imp.processed_rows)
            )
        else:
            # Another worker (e.g. the one inside `admit serve`) has it: follow its progress,
            # and take it over if that worker dies (its lease runs out).
            while True:
                with db.unit_of_work() as session:
                    imp = session.get(InvitationImport, import_id)
                    final = imports_service.status_of(imp)
                bar.update(task, completed=final["processed"])
                if final["status"] in (DONE, FAILED):
                    break
                claimed = imports_jobs.claim(db, import_id)
                if claimed is not None:
                    final = imports_jobs.run(
                        db, *claimed, on_progress=lambda imp: bar.update(task, completed=imp.processed_rows)
                    )
                    break
                time.sleep(0.5)
        bar.update(task, completed=final["processed"])
    if as_json:
        click.echo(json.dumps(final))
    else:
        skipped = ", ".join(f"{n} {code}" for code, n in sorted(final["skipped"].items())) or "none"
        click.echo(f"{final['invited']} invited, skipped: {skipped}. The worker sends the emails.")
    if final["status"] == FAILED or (created and not final["invited"]) or not created:
        sys.exit(1)


@main.command()
@click.option("--portal", "slug", required=True)
@click.option("--type", "user_type", type=click.Choice(["internal", "client"]), default=None)
@click.option(
    "--status", type=click.Choice(["pending", "active", "deactivated", "expired", "revoked"]), default=None
)
@click.option("--json", "as_json", is_flag=True)
def users(slug, user_type, status, as_json) -> None:
    """List the portal's people: members, open invitations and pending link sign-ups (the
    roster User Management shows), newest first, every one of them."""
    from admit.people import roster as people_roster
    from admit.people.schemas import PersonRead

    rows = []
    with _portal_session(slug) as (session, actor):
        cursor = None
        while True:
            page = people_roster.roster(
                session, actor, user_type=user_type, status=status, cursor=cursor, limit=500
            )
            rows += [PersonRead.of(r).model_dump(mode="json") for r in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    if as_json:
        click.echo(json.dumps(rows))
        return
    for r in rows:
        click.echo(f"{r['status']:<12} {r['user_type']:<9} {r['role']:<7} {r['address']}  {r['name']}")


@main.command("check-config")
def check_config() -> None:
    """Say what is wrong with the configuration (and test the database connection)."""
    from pydantic import ValidationError
    from sqlalchemy import text

    try:
        settings = _settings()
    except ValidationError as exc:
        for err in exc.errors():
            click.secho(f"ADMIT_{str(err['loc'][0]).upper()}: {err['msg']}", fg="red")
        sys.exit(1)
    problems = settings.problems()
    try:
        db = _db(settings)
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        problems.append(f"cannot connect to ADMIT_DATABASE_URL: {exc}")
    for p in problems:
        click.secho(f"- {p}", fg="red")
    if problems:
        sys.exit(1)
    click.secho(
        f"OK: database {settings.database_url}, email {settings.email_backend}, SMS {settings.sms_backend}, "
        f"public URL {settings.public_url}",
        fg="green",
    )


# --- admit link: the portal's invite link (Copy / Refresh / policy) ---------------------------


@main.group()
def link() -> None:
    """The portal's shareable invite link: show it, refresh it, set its policy."""


def _link_json(view) -> dict:
    from admit.links.schemas import InviteLinkRead

    return InviteLinkRead.of(view).model_dump(mode="json")


def _print_link(view, as_json: bool) -> None:
    data = _link_json(view)
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(data["url"] or "(the URL cannot be rebuilt: the secret key changed; run `admit link refresh`)")
    joins_as = data["user_type"] + (f" ({data['role']})" if data["user_type"] == "internal" else "")
    uses = f"{data['uses']} of {data['max_uses']}" if data["max_uses"] else f"{data['uses']} (no limit)"
    click.echo(f"  status        {data['status']}{'' if data['enabled'] else ' (disabled)'}")
    click.echo(f"  joins as      {joins_as}")
    click.echo(f"  expires       {data['expires_at'] or 'never'}")
    click.echo(f"  domains       {', '.join(data['allowed_domains']) or 'any'}")
    click.echo(f"  places taken  {uses}")
    click.echo(f"  joined        {data['joined']}")


def _link_command(slug: str, as_json: bool, change) -> None:
    with _portal_session(slug) as (session, actor):
        _print_link(change(session, actor), as_json)


@link.command("show")
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option("--json", "as_json", is_flag=True)
def link_show(slug, as_json) -> None:
    """Print the link (Copy Link) and its policy."""
    from admit.links import service as links_service

    _link_command(slug, as_json, links_service.portal_link)


@link.command("refresh")
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option("--json", "as_json", is_flag=True)
def link_refresh(slug, as_json) -> None:
    """Refresh Link: print the new link; the previous one stops working at once."""
    from admit.links import service as links_service

    _link_command(slug, as_json, links_service.refresh_portal_link)


def _none_or_int(value: str | None, name: str):
    if value is None:
        return None
    if value.strip().lower() in ("none", "never", "unlimited", ""):
        return "none"
    try:
        return int(value)
    except ValueError:
        _fail(f"{name} must be a whole number or 'none'.", code=2)


@link.command("set")
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option("--type", "user_type", type=click.Choice(["internal", "client"]), help="User type joiners get.")
@click.option("--role", type=click.Choice(["admin", "member"]), help="Role for internal joiners.")
@click.option("--lifetime-days", help="Days the link lives (Refresh starts it again), or 'none'.")
@click.option(
    "--domains", help="Allowed email domains, comma-separated (exact; subdomains only if listed), or 'none'."
)
@click.option("--max-uses", help="How many may sign up through the link, or 'none'.")
@click.option("--enable/--disable", "enabled", default=None, help="Turn the link on or off.")
@click.option("--json", "as_json", is_flag=True)
def link_set(slug, user_type, role, lifetime_days, domains, max_uses, enabled, as_json) -> None:
    """Change the link's policy; options not given stay as they are."""
    from admit.links import service as links_service

    changes: dict = {}
    if user_type is not None:
        changes["user_type"] = user_type
    if role is not None:
        changes["role"] = role
    days = _none_or_int(lifetime_days, "--lifetime-days")
    if days is not None:
        changes["lifetime_seconds"] = None if days == "none" else days * 24 * 3600
    if domains is not None:
        listed = [d.strip() for d in domains.split(",") if d.strip()]
        changes["allowed_domains"] = [] if [d.lower() for d in listed] in ([], ["none"]) else listed
    uses = _none_or_int(max_uses, "--max-uses")
    if uses is not None:
        changes["max_uses"] = None if uses == "none" else uses
    if enabled is not None:
        changes["enabled"] = enabled
    _link_command(
        slug, as_json, lambda session, actor: links_service.update_portal_link(session, actor, **changes)
    )


# --- admit workspace: create, list, add people, members ---------------------------------------


@main.group()
def workspace() -> None:
    """Workspaces: create one, list them, add people (existing or new, by email or phone)."""


@workspace.command("list")
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option("--json", "as_json", is_flag=True)
def workspace_list(slug, as_json) -> None:
    """The portal's workspaces, newest first, with how many joined and how many have not."""
    from admit.workspaces import service as workspaces_service

    with _portal_session(slug) as (session, actor):
        rows, _cursor = workspaces_service.list_workspaces(session, actor, limit=500)
        counts = workspaces_service.count_members(session, [w.id for w in rows])
        items = [
            {
                "id": str(w.id),
                "name": w.name,
                "kind": w.kind,
                "joined": counts[w.id][0],
                "not_joined": counts[w.id][1],
            }
            for w in rows
        ]
    if as_json:
        click.echo(json.dumps(items))
        return
    for item in items:
        counts = f"({item['joined']} joined, {item['not_joined']} not joined)"
        click.echo(f"{item['id']}  {item['kind']:<5} {item['name']}  {counts}")


@workspace.command("create")
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(["chat", "flow", "line"]), default="chat", show_default=True)
@click.option("--role", "roles", multiple=True, help="A flow's role, e.g. 'Client signer' (repeatable).")
@click.option("--json", "as_json", is_flag=True)
def workspace_create(slug, name, kind, roles, as_json) -> None:
    """Create a workspace; prints its id."""
    from admit.workspaces import service as workspaces_service

    with _portal_session(slug) as (session, actor):
        created = workspaces_service.create(session, actor, name=name, kind=kind, roles=list(roles))
        data = {"id": str(created.id), "name": created.name, "kind": created.kind, "roles": list(roles)}
    click.echo(json.dumps(data) if as_json else data["id"])


@workspace.command("add")
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option("--workspace", "workspace_id", required=True, type=click.UUID, help="Workspace id.")
@click.option(
    "--type", "new_user_type", type=click.Choice(["client", "internal"]), default="client", show_default=True,
    help="What people new to the portal are invited as.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
@click.argument("recipients", nargs=-1, required=True)
def workspace_add(slug, workspace_id, new_user_type, as_json, recipients) -> None:
    """Add people by email or phone: those in the portal join at once, new ones are invited.
    Exit status 1 when nobody could be added."""
    from admit.flows import workspace_people

    with _portal_session(slug) as (session, actor):
        results = workspace_people.add_people(
            session, actor, workspace_id, recipients=list(recipients), new_user_type=new_user_type
        )
        items = [
            {
                "recipient": r.recipient,
                "outcome": str(r.outcome),
                "code": r.code and str(r.code),
                "detail": r.detail,
            }
            for r in results
        ]
    if as_json:
        click.echo(json.dumps(items))
    else:
        for item in items:
            why = f" ({item['code']}: {item['detail']})" if item["outcome"] == "skipped" else ""
            click.echo(f"{item['outcome']:<8} {item['recipient']}{why}")
    if not any(i["outcome"] != "skipped" for i in items):
        sys.exit(1)


@workspace.command("members")
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option("--workspace", "workspace_id", required=True, type=click.UUID, help="Workspace id.")
@click.option("--json", "as_json", is_flag=True)
def workspace_members(slug, workspace_id, as_json) -> None:
    """Who is in the workspace: Joined or Not Joined, with their flow roles."""
    from admit.kit.pagination import every
    from admit.people import workspace as workspace_view

    def page(cursor, limit):
        panel = workspace_view.members_view(session, actor, workspace_id, cursor=cursor, limit=limit)
        return panel.members, panel.next_cursor

    with _portal_session(slug) as (session, actor):
        views = every(page)
        items = [
            {
                "user": v.membership.user.address,
                "name": v.membership.user.name,
                "status": v.membership.status,
                "roles": v.roles,
            }
            for v in views
        ]
    if as_json:
        click.echo(json.dumps(items))
        return
    for item in items:
        roles = f"  [{', '.join(item['roles'])}]" if item["roles"] else ""
        label = "Joined" if item["status"] == "joined" else "Not Joined"
        click.echo(f"{label:<11} {item['user']}  {item['name']}{roles}")
