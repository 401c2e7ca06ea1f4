"""Workspaces: ``workspace list|create|add|members``."""

from __future__ import annotations

import json

import click

from admit.cli import _shared


@click.group()
def workspace() -> None:
    """Workspaces: create one, list them, add people (existing or new, by email or phone)."""


@workspace.command("list")
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option("--json", "as_json", is_flag=True)
def workspace_list(slug, as_json) -> None:
    """The portal's workspaces, newest first, with how many joined and how many have not."""
    from admit.workspaces import service as workspaces_service

    with _shared.portal_session(slug) as (session, actor):
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

    with _shared.portal_session(slug) as (session, actor):
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
@click.option("--json", "as_json", is_flag=True, help='Print {"results": [...], "counts": {...}}.')
@click.argument("recipients", nargs=-1, required=True)
def workspace_add(slug, workspace_id, new_user_type, as_json, recipients) -> None:
    """Add people by email or phone: those in the portal join at once, new ones are invited.
    Someone already in the workspace is nothing to do; exit 1 when anyone needs fixing."""
    from admit.flows import workspace_people
    from admit.people.results import recipient_results

    with _shared.portal_session(slug) as (session, actor):
        results = workspace_people.add_people(
            session, actor, workspace_id, recipients=list(recipients), new_user_type=new_user_type
        )
        answer = recipient_results(session, results)
    if as_json:
        _shared.echo_json(answer)
    else:
        _shared.print_results(answer)
    _shared.finish(_shared.results_exit_code(answer))


@workspace.command("members")
@click.option("--portal", "slug", required=True, help="Portal slug.")
@click.option("--workspace", "workspace_id", required=True, type=click.UUID, help="Workspace id.")
@click.option("--json", "as_json", is_flag=True)
def workspace_members(slug, workspace_id, as_json) -> None:
    """Who is in the workspace: Joined or Not Joined, with their flow roles."""
    from admit.people import workspace as workspace_view

    with _shared.portal_session(slug) as (session, actor):
        _ws, views, _teams = workspace_view.members_view(session, actor, workspace_id)
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
