"""Workspaces: ``workspaces list|create|rename|delete|add|members|resend|remove``; ``workspace``,
their old name, for one release."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from admit.cli import _shared

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from admit.actor import Actor
    from admit.workspaces.schemas import WorkspaceMemberRead

WORKSPACE_OPTION = click.option(
    "--workspace", "workspace_ref", required=True, help="The workspace: its id or its name."
)


@click.group("workspaces")
def workspaces() -> None:
    """Workspaces: create one, list them, rename or delete one, add people (existing or new, by
    email or phone), see who is in one, take someone out. Each takes the workspace by its id or
    its name."""


@workspaces.command("list")
@_shared.portal_option
@_shared.list_options
@_shared.list_json_option("workspace")
def workspaces_list(slug: str, limit: int | None, cursor: str | None, as_json: bool) -> None:
    """The portal's workspaces, newest first (all pages; --limit to stop early), with how many
    joined and how many have not."""
    from admit.workspaces import service as workspaces_service
    from admit.workspaces.schemas import WorkspaceRead

    with _shared.portal_session(slug) as (session, actor):
        rows, total, next_cursor = _shared.walk(
            lambda cursor, size: workspaces_service.list_workspaces(
                session, actor, cursor=cursor, limit=size
            ),
            lambda: workspaces_service.count_workspaces(session, actor),
            cursor=cursor,
            limit=limit,
        )
        listing = _shared.Listing([WorkspaceRead.of(w, actor) for w in rows], total, next_cursor)
        # The counts are for the eyes only: the API's WorkspaceRead has none.
        counts = {} if as_json else workspaces_service.count_members(session, [w.id for w in rows])
    listing.table(
        as_json,
        ("Id", "Kind", "Name", "Joined", "Not joined"),
        lambda w: (str(w.id), w.kind, w.name, str(counts[w.id][0]), str(counts[w.id][1])),
        empty="No workspaces.",
    )


@workspaces.command("create")
@_shared.portal_option
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(["chat", "flow", "line"]), default="chat", show_default=True)
@click.option("--role", "roles", multiple=True, help="A flow's role, e.g. 'Client signer' (repeatable).")
@_shared.json_option("the workspace with its members")
def workspaces_create(slug: str, name: str, kind: str, roles: tuple[str, ...], as_json: bool) -> None:
    """Create a workspace; prints its id."""
    from admit.workspaces import service as workspaces_service
    from admit.workspaces.schemas import WorkspaceRead

    with _shared.portal_session(slug) as (session, actor):
        workspace = WorkspaceRead.of(
            workspaces_service.create(session, actor, name=name, kind=kind, roles=list(roles)), actor
        )
    click.echo(workspace.model_dump_json() if as_json else str(workspace.id))


@workspaces.command("rename")
@_shared.portal_option
@click.argument("workspace_ref", metavar="WORKSPACE")
@click.argument("new_name")
@_shared.json_option("the workspace")
def workspaces_rename(slug: str, workspace_ref: str, new_name: str, as_json: bool) -> None:
    """Rename a workspace (WORKSPACE: its id or its name); prints its new name."""
    from admit.workspaces import service as workspaces_service
    from admit.workspaces.schemas import WorkspaceRead

    with _shared.portal_session(slug) as (session, actor):
        found = workspaces_service.by_id_or_name(session, actor, workspace_ref)
        workspace = WorkspaceRead.of(
            workspaces_service.rename(session, actor, found.id, name=new_name), actor
        )
    click.echo(workspace.model_dump_json() if as_json else workspace.name)


@workspaces.command("delete")
@_shared.portal_option
@click.argument("workspace_ref", metavar="WORKSPACE")
@click.option("--yes", is_flag=True, help="Do not ask: delete at once.")
def workspaces_delete(slug: str, workspace_ref: str, yes: bool) -> None:
    """Delete a workspace for good (WORKSPACE: its id or its name), with its messages, actions,
    roles, join requests and link; its people stay in the portal. Asks first unless --yes."""
    from admit.workspaces import service as workspaces_service

    with _shared.portal_session(slug) as (session, actor):
        found = workspaces_service.by_id_or_name(session, actor, workspace_ref)
        if not yes:
            question = workspaces_service.contents(session, actor, found.id).question(found.name, actor.role)
            click.confirm(question, abort=True)
        workspace, _held = workspaces_service.delete_workspace(session, actor, found.id)
    click.echo(f"Workspace “{workspace.name}” deleted.")


@workspaces.command("add")
@_shared.portal_option
@WORKSPACE_OPTION
@click.option(
    "--type", "user_type", type=click.Choice(["client", "internal"]), default="client", show_default=True,
    help="What people new to the portal are invited as.",
)  # fmt: skip
@_shared.json_option('{"results": [...], "counts": {...}}')
@click.argument("recipients", nargs=-1, required=True)
def workspaces_add(
    slug: str, workspace_ref: str, user_type: str, as_json: bool, recipients: tuple[str, ...]
) -> None:
    """Add people by email or phone: those in the portal join at once, new ones are invited.
    Someone already in the workspace is nothing to do; exit 1 when anyone needs fixing."""
    import shlex
    from dataclasses import replace

    from admit.flows import workspace_people
    from admit.people.results import recipient_results
    from admit.workspaces import service as workspaces_service

    with _shared.portal_session(slug) as (session, actor):
        workspace = workspaces_service.by_id_or_name(session, actor, workspace_ref)
        results = workspace_people.add_people(
            session, actor, workspace.id, recipients=list(recipients), user_type=user_type
        )
        # The console's commands where the pages have buttons (Resend Invitation, Reactivate):
        # the one that resends to that person only.
        named = shlex.quote(workspace.name)

        def resend(address: str | None) -> str:
            whom = shlex.quote(address or "")
            return f"`admit workspaces resend --portal {slug} --workspace {named} {whom}`"

        told = [
            replace(r, detail=workspace_people.resend_here_said(r.detail, resend(r.address))) for r in results
        ]
        answer = recipient_results(
            session, told, reactivate_how=lambda address: _shared.reactivate_how(slug, address)
        )
    if as_json:
        _shared.echo_json(answer)
    else:
        _shared.print_results(answer, addresses=[r.address for r in results])
    _shared.finish(_shared.results_exit_code(answer))


@workspaces.command("members")
@_shared.portal_option
@WORKSPACE_OPTION
@click.option("--q", "q", default="", help="Only those whose name or address holds this.")
@click.option("--state", default="", help="Only those joined, invited, expired or deactivated.")
@_shared.list_json_option("workspace member")
def workspaces_members(slug: str, workspace_ref: str, q: str, state: str, as_json: bool) -> None:
    """Who is in the workspace: Joined, Not Joined, Expired (not joined, the invitation lapsed)
    or Deactivated, with their flow roles; --q and --state filter as the Members panel does."""
    from admit.workspaces import service as workspaces_service

    with _shared.portal_session(slug) as (session, actor):
        workspace_id = workspaces_service.by_id_or_name(session, actor, workspace_ref).id
        members = _members(session, actor, workspace_id, q=q, state=state)

    def cells(m: WorkspaceMemberRead) -> tuple[str | None, ...]:
        label = _STATE_WORDS[m.state] if m.state in ("expired", "deactivated") else None
        label = label or ("Joined" if m.status == "joined" else "Not Joined")
        address = _shared.address(m.user.email or m.user.phone)
        return label, address, m.user.name, ", ".join(m.roles)

    members.table(as_json, ("Status", "Address", "Name", "Flow roles"), cells)


_STATE_WORDS = {"expired": "Expired", "deactivated": "Deactivated"}


# What ``workspaces resend`` says when no one is in --state.
_NO_ONE_IN = {"expired": "no one's invitation has expired", "invited": "no one's invitation is waiting"}


@workspaces.command("resend")
@_shared.portal_option
@WORKSPACE_OPTION
@click.option(
    "--state",
    default=None,
    help="expired: everyone whose invitation lapsed; invited: those whose invitation still stands.",
)
@_shared.json_option('{"results": [...], "counts": {...}}')
@click.argument("people", nargs=-1, metavar="[PERSON]...")
def workspaces_resend(
    slug: str, workspace_ref: str, state: str | None, as_json: bool, people: tuple[str, ...]
) -> None:
    """Resend Invitation to each PERSON (email address, phone number or user id) in the
    workspace, or to everyone in it in --state (both: those of them in it), each as one Resend
    would (its checks and limits); one line per person. Exit 1 when anyone needs fixing."""
    from admit.errors import MemberNotFound
    from admit.flows import workspace_people
    from admit.invitations.schemas import RESENDING
    from admit.people.results import recipient_results
    from admit.workspaces import service as workspaces_service

    if not people and not state:
        raise click.UsageError("name who to resend to (PERSON…) or give --state expired|invited.")
    with _shared.portal_session(slug) as (session, actor):
        workspace_id = workspaces_service.by_id_or_name(session, actor, workspace_ref).id
        user_ids = None
        if people:
            found = [_person(session, person) for person in people]
            unknown = [who for user_id, who in found if user_id is None]
            if unknown:
                said = ", ".join(_shared.address(who) or who for who in unknown)
                raise MemberNotFound(f"No one in the portal has {said}.", field="person")
            user_ids = [user_id for user_id, _who in found if user_id is not None]
        results = workspace_people.resend_many(session, actor, workspace_id, user_ids=user_ids, state=state)
        answer = recipient_results(session, results, outcomes=RESENDING)
    if as_json:
        _shared.echo_json(answer)
    elif not answer.results:
        state_said = (
            _NO_ONE_IN.get(state or "", f"no one is {state}") if state else "none of them could be sent one"
        )
        click.echo(f"No one to resend to: {state_said}.")
    else:
        _shared.print_outcomes(answer)
        click.echo(f"{answer.counts['resent']} resent · {answer.counts['skipped']} skipped.")
    _shared.finish(_shared.results_exit_code(answer))


@workspaces.command("remove")
@_shared.portal_option
@WORKSPACE_OPTION
@click.argument("person", metavar="PERSON")
def workspaces_remove(slug: str, workspace_ref: str, person: str) -> None:
    """Take PERSON (their email address, phone number or user id) out of the workspace, as the
    Members panel's Remove does: roles they hold there end; a portal invitation they have stands
    (``admit invitations revoke`` withdraws it). Exit 1 when they are not in it."""
    from admit.errors import MemberNotFound
    from admit.flows import workspace_people
    from admit.workspaces import service as workspaces_service

    with _shared.portal_session(slug) as (session, actor):
        workspace = workspaces_service.by_id_or_name(session, actor, workspace_ref)
        user_id, who = _person(session, person)
        said = f"{_shared.address(who)} is not in the workspace “{workspace.name}”."
        not_in = MemberNotFound(said, field="person")
        if user_id is None:
            raise not_in
        try:
            membership = workspace_people.remove(session, actor, workspace.id, user_id)
        except MemberNotFound:
            raise not_in from None
        who = membership.user.address or who
    click.echo(f"{_shared.address(who)} was removed from “{workspace.name}”.")


def _person(session: Session, person: str) -> tuple[uuid.UUID | None, str]:
    """PERSON as typed: ``(user id, how to name them)``: a user id, or the user whose email
    address or phone number it is (None: no one has it)."""
    import uuid

    from admit.members import service as members_service

    try:
        return uuid.UUID(person.strip()), person.strip()
    except ValueError:
        pass
    address = members_service.parse_recipient(session, person).address
    user = members_service.get_user_by_address(session, address) if address else None
    return (user.id if user else None), address or person.strip()


def _members(
    session: Session, actor: Actor, workspace_id: uuid.UUID, *, q: str = "", state: str = ""
) -> _shared.Listing[WorkspaceMemberRead]:
    """Everyone in the workspace (``q`` and ``state`` found as the panel finds them), Joined
    first (``WorkspaceMemberRead``s, a Listing), from the Members panel's read model, as the API
    serialises them."""
    from admit.people import workspace as workspace_view
    from admit.workspaces.schemas import WorkspaceMemberRead

    panel = workspace_view.whole_panel(session, actor, workspace_id)
    found = workspace_view.find_members(actor, panel.members, q=q, state=state)
    items = [
        WorkspaceMemberRead.of(
            v.membership, v.roles, v.via_team, v.name, v.show_address, v.access_ended, v.state
        )
        for v in found.shown
    ]
    return _shared.Listing(items, len(items))


workspace = _shared.alias(workspaces, "workspace", "workspaces")
