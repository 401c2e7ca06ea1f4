"""Contacts: the people someone keeps at hand, and the "+" that invites a client, an internal
user or a client group. After the details, Next offers three endings (``contacts.service``):
Add to Workspace (existing or new), Add to Contacts (sends a portal invitation), Add to
Contacts Quietly (sends nothing; Invite later sends it in one click)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.contacts import service as contacts_service
from admit.errors import DomainError, InvalidInput
from admit.flows import contacts as contacts_flow
from admit.flows import groups as groups_flow
from admit.invitations import pipeline
from admit.invitations.pipeline import RecipientResult
from admit.kit.pagination import every
from admit.kit.routing import Router
from admit.kit.text import readable_phone, sentence
from admit.pages.deps import (
    PageActor,
    allowed,
    check_csrf,
    forget_flash,
    form_error,
    form_faults,
    people_to_fix,
    read_flash,
    redirect,
    render,
    set_flash,
    user_named_for,
    who_and_why,
)
from admit.pages.errors import to_the_forms_page
from admit.people import contacts as people_contacts
from admit.people import teams as people_teams
from admit.policy import Action
from admit.teams import service as teams_service
from admit.teams.models import CLIENT_GROUP, TEAM
from admit.web import SessionDep
from admit.workspaces import service as workspaces_service

router = Router()


def _skipped_text(skipped: list[RecipientResult], sep: str) -> str:
    """``, 2 skipped: bad@: …; x@y: ….`` naming each row (the first five), or ``.``."""
    if not skipped:
        return "."
    return sentence(f"{sep} {len(skipped)} skipped: {who_and_why(skipped)}")


def _back(request: Request, actor: Actor, flash: dict[str, Any]) -> RedirectResponse:
    response = redirect(f"/p/{actor.portal.slug}/contacts")
    set_flash(request, response, flash)
    return response


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status_code: int = 200,
    adding: dict[str, Any] | None = None,
    **extra: Any,
) -> HTMLResponse:
    """Contacts; a refused form comes back here with ``extra``: its faults (``form_faults``),
    what was typed (``typed``) and the dialog it was in (``dialog``, opened again); a team's
    Add people refused, with ``adding`` (its ``team_id``, what was typed and why not), its
    panel open."""
    workspaces, _ = workspaces_service.list_workspaces(session, actor, limit=200)
    groups = every(partial(teams_service.list_teams, session, actor, kind=CLIENT_GROUP))
    teams = every(partial(teams_service.list_teams, session, actor, kind=TEAM))
    views = {v.team.id: v for v in people_teams.views_of(session, actor.portal.id, groups + teams)}
    flash = read_flash(request) or {}
    # A change to a team's people comes back with its panel open, what happened said in it.
    panel = flash.get("panel") or (str(adding["team_id"]) if adding else None)
    context: dict[str, Any] = {
        "nav": "contacts",
        "contacts": every(partial(people_contacts.list_contacts, session, actor)),
        "workspaces": workspaces,
        "groups": groups,
        "teams": teams,
        "views": views,
        "shows_address": lambda user_id: policy.sees_addresses_of(
            actor.role, viewer_id=actor.user_id, person_id=user_id
        ),
        "panel": panel,
        "panel_notice": flash.get("notice") if flash.get("panel") else None,
        "adding": adding or {},
        "can_invite_client": policy.can(actor.role, Action.INVITE_CLIENT),
        "can_invite_internal": policy.can(actor.role, Action.INVITE_INTERNAL),
        "can_manage_groups": policy.can(actor.role, Action.CLIENT_GROUP_MANAGE),
        "can_manage_teams": policy.can(actor.role, Action.TEAM_MANAGE),
        "can_create_workspace": policy.can(actor.role, Action.WORKSPACE_CREATE),
        "notice": None if flash.get("panel") else flash.get("notice"),
        "flash": flash,
        "typed": {},
        **extra,
    }
    response = render(request, "contacts/list.html", context, status_code=status_code)
    forget_flash(response, flash)
    return response


@router.get("/p/{slug}/contacts", name="contacts:list", dependencies=[allowed(Action.CONTACT_MANAGE)])
def contacts_list(request: Request, actor: PageActor, session: SessionDep) -> Response:
    return _page(request, session, actor)


def _refused(
    request: Request,
    session: Session,
    actor: Actor,
    exc: DomainError,
    fields: dict[str, str],
    *,
    dialog: str | None = None,
    **typed: str,
) -> HTMLResponse:
    """Contacts again with the form that was refused: each fault under its field (``fields``: the
    service's names to the page's, its inputs' ids), what was typed kept, its dialog open."""
    faults = form_faults(session, exc, fields)
    return _page(request, session, actor, status_code=exc.status, dialog=dialog, typed=typed, **faults)


def _workspace_choice(workspace_id: str, workspace_name: str) -> tuple[uuid.UUID | None, str | None]:
    """Add to Workspace: an existing one picked from the list, or a new one named on the spot (the
    service refuses neither)."""
    if workspace_id.strip():
        try:
            return uuid.UUID(workspace_id), None
        except ValueError as exc:
            raise InvalidInput("No such workspace.", field="workspace_id") from exc
    return None, workspace_name.strip() or None


@router.post("/p/{slug}/contacts", name="contacts:add", dependencies=[Depends(check_csrf)])
def contacts_add(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    user_type: str = Form("client"),
    name: str = Form(""),
    recipient: str = Form(""),
    then: str = Form("contacts"),
    workspace_id: str = Form(""),
    workspace_name: str = Form(""),
) -> Response:
    try:
        ws_id, ws_name = (
            _workspace_choice(workspace_id, workspace_name) if then == "workspace" else (None, None)
        )
        result = contacts_flow.add(
            session,
            actor,
            recipient=recipient,
            user_type=user_type,
            name=name or None,
            then=then,
            workspace_id=ws_id,
            workspace_name=ws_name,
        )
    except DomainError as exc:
        at = f"c-{user_type if user_type in ('client', 'internal') else 'client'}"
        return _refused(
            request,
            session,
            actor,
            exc,
            {
                "name": f"{at}-name",
                "recipient": f"{at}-recipient",
                "workspace_id": f"{at}-ws",
                "workspace_name": f"{at}-new-ws",
            },
            dialog=f"contact-{at[2:]}",
            name=name,
            recipient=recipient,
            then=then,
            workspace_id=workspace_id,
            workspace_name=workspace_name,
        )
    who = user_named_for(session, actor, result.contact.user, name=result.contact.name)
    if result.workspace is not None:
        verb = {"added_to_workspace": "added to", "invited_to_workspace": "invited to"}.get(
            result.outcome, "already in"
        )
        notice = f"{who} was {verb} “{result.workspace.name}”."
        if result.detail:
            notice += " " + result.detail
    else:
        notice = f"{who}: {result.detail}" if result.detail else f"{who} was added to your contacts."
    return _back(request, actor, {"notice": notice})


@router.post(
    "/p/{slug}/contacts/{contact_id}/invite", name="contacts:invite", dependencies=[Depends(check_csrf)]
)
def contacts_invite(
    contact_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> RedirectResponse:
    try:
        result = contacts_flow.invite(session, actor, contact_id)
    except DomainError as exc:
        error = form_error(session, exc)
        return _back(request, actor, {"error": error})
    who = user_named_for(session, actor, result.contact.user, name=result.contact.name)
    return _back(request, actor, {"notice": f"{who}: {result.detail}"})


@router.post("/p/{slug}/client-groups", name="contacts:add_group", dependencies=[Depends(check_csrf)])
def groups_add(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    name: str = Form(""),
    recipients: str = Form(""),
    then: str = Form("group"),
    workspace_id: str = Form(""),
    workspace_name: str = Form(""),
) -> Response:
    """Invite a client group: create it with its people (new addresses are invited as clients),
    then, for Add to Workspace, add the whole group to an existing or new workspace."""
    try:
        ws_id, ws_name = (
            _workspace_choice(workspace_id, workspace_name) if then == "workspace" else (None, None)
        )
        result = contacts_flow.add_group(
            session,
            actor,
            name=name,
            recipients=recipients,
            then=then,
            workspace_id=ws_id,
            workspace_name=ws_name,
        )
        if (wrong := people_to_fix(result.change.results)) is not None:
            raise wrong
    except DomainError as exc:
        return _refused(
            request,
            session,
            actor,
            exc,
            {
                "name": "g-name",
                "recipients": "g-recipients",
                "workspace_id": "g-ws",
                "workspace_name": "g-new-ws",
            },
            dialog="group-dialog",
            name=name,
            recipients=recipients,
            then=then,
            workspace_id=workspace_id,
            workspace_name=workspace_name,
        )
    group = result.change.team.name
    if result.workspace is None:
        counted, where = result.change.results, "created"
    else:
        # Each person once: skipped from the group, or as the group went into the workspace.
        counted = [r for r in result.change.results if r.outcome == "skipped"] + (result.added or [])
        where = f"created and added to “{result.workspace.name}”"
    skipped = [r for r in counted if r.outcome == "skipped"]
    added = sum(1 for r in counted if r.outcome == "added")
    invited = sum(1 for r in counted if r.outcome == "invited")
    # As the Invite box's report says it ("1 added · 2 invited": a part only when someone was),
    # the skipped after it; nobody added or invited and some skipped: the skipped alone.
    said = pipeline.summary(invited, {}, added=added) if added or invited or not skipped else ""
    notice = f"Client group “{group}” {where}:" + (f" {said}" if said else "")
    notice += _skipped_text(skipped, " ·" if said else "")
    return _back(request, actor, {"notice": notice})


def _back_to_contacts(request: Request, slug: str) -> Response:
    """The address of a team's or a client group's form opened (a reload after a refusal shown
    in place, a bookmark): the page it came from, else Contacts, where both are managed (the
    nearest page above, the portal's start, is User Management)."""
    return to_the_forms_page(request, home=f"/p/{slug}/contacts#teams")


for _forms in ("teams", "client-groups"):
    for _path in (f"/p/{{slug}}/{_forms}", f"/p/{{slug}}/{_forms}/{{team_id}}/members"):
        router.add_api_route(_path, _back_to_contacts, methods=["GET", "HEAD"], include_in_schema=False)


@router.post("/p/{slug}/teams", name="contacts:add_team", dependencies=[Depends(check_csrf)])
def teams_add(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    name: str = Form(""),
    recipients: str = Form(""),
) -> Response:
    """A new internal team with internal users already in the portal (owners and admins)."""
    try:
        change = groups_flow.create(session, actor, kind=TEAM, name=name, recipients=recipients)
        if (wrong := people_to_fix(change.results)) is not None:
            raise wrong
    except DomainError as exc:
        fields = {"name": "team-name", "recipients": "team-people"}
        return _refused(request, session, actor, exc, fields, team_name=name, team_people=recipients)
    added = sum(1 for r in change.results if r.outcome == "added")
    skipped = [r for r in change.results if r.outcome == "skipped"]
    notice = f"Team “{change.team.name}” created with {added} {'person' if added == 1 else 'people'}"
    notice += _skipped_text(skipped, ";")
    return _back(request, actor, {"notice": notice})


def _changed(
    request: Request, actor: Actor, session: Session, change: Callable[[], str], *, renamed: str | None = None
) -> Response:
    """Run one rename (``renamed``: the name typed) or delete and come back to Contacts with what
    happened; refused, a rename's dialog opens again with the name typed and why under it."""
    try:
        notice = change()
    except DomainError as exc:
        if renamed is None:
            return _back(request, actor, {"error": form_error(session, exc)})
        faults = form_faults(session, exc, {"name": "rename-name"})
        rename = {"action": request.url.path, "name": renamed}
        return _page(request, session, actor, status_code=exc.status, rename=rename, **faults)
    return _back(request, actor, {"notice": notice})


def _rename_team(session: Session, actor: Actor, team_id: uuid.UUID, kind: str, name: str) -> str:
    before = teams_service.get_or_raise(session, actor, team_id, kind=kind).name
    team = teams_service.rename(session, actor, team_id, kind=kind, name=name)
    return f"{teams_service.WORDS[kind].capitalize()} “{before}” is now “{team.name}”."


def _delete_team(session: Session, actor: Actor, team_id: uuid.UUID, kind: str) -> str:
    team = teams_service.delete(session, actor, team_id, kind=kind)
    word = teams_service.WORDS[kind].capitalize()
    return f"{word} “{team.name}” deleted. Its people stay in the portal and in their workspaces."


@router.post(
    "/p/{slug}/teams/{team_id}/rename", name="contacts:rename_team", dependencies=[Depends(check_csrf)]
)
def teams_rename(
    team_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep, name: str = Form("")
) -> Response:
    return _changed(
        request, actor, session, lambda: _rename_team(session, actor, team_id, TEAM, name), renamed=name
    )


@router.post(
    "/p/{slug}/teams/{team_id}/delete", name="contacts:delete_team", dependencies=[Depends(check_csrf)]
)
def teams_delete(team_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep) -> Response:
    return _changed(request, actor, session, lambda: _delete_team(session, actor, team_id, TEAM))


@router.post(
    "/p/{slug}/client-groups/{group_id}/rename",
    name="contacts:rename_group",
    dependencies=[Depends(check_csrf)],
)
def groups_rename(
    group_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep, name: str = Form("")
) -> Response:
    return _changed(
        request,
        actor,
        session,
        lambda: _rename_team(session, actor, group_id, CLIENT_GROUP, name),
        renamed=name,
    )


@router.post(
    "/p/{slug}/client-groups/{group_id}/delete",
    name="contacts:delete_group",
    dependencies=[Depends(check_csrf)],
)
def groups_delete(group_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep) -> Response:
    return _changed(request, actor, session, lambda: _delete_team(session, actor, group_id, CLIENT_GROUP))


def _rename_contact(session: Session, actor: Actor, contact_id: uuid.UUID, name: str) -> str:
    contact = contacts_service.rename(session, actor, contact_id, name=name)
    return f"{readable_phone(contact.user.address)} is now {sentence(contact.name)}"


def _delete_contact(session: Session, actor: Actor, contact_id: uuid.UUID) -> str:
    contact = contacts_service.delete(session, actor, contact_id)
    who = user_named_for(session, actor, contact.user, name=contact.name)
    return f"{who} is no longer in your contacts. Nothing else changed for them."


@router.post(
    "/p/{slug}/contacts/{contact_id}/rename",
    name="contacts:rename",
    dependencies=[Depends(check_csrf)],
)
def contacts_rename(
    contact_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep, name: str = Form("")
) -> Response:
    return _changed(
        request, actor, session, lambda: _rename_contact(session, actor, contact_id, name), renamed=name
    )


@router.post(
    "/p/{slug}/contacts/{contact_id}/delete",
    name="contacts:delete",
    dependencies=[Depends(check_csrf)],
)
def contacts_delete(
    contact_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> Response:
    return _changed(request, actor, session, lambda: _delete_contact(session, actor, contact_id))


def _add_people(
    request: Request, actor: Actor, session: Session, team_id: uuid.UUID, kind: str, recipients: str
) -> Response:
    """Add people to an existing team or client group from its panel: all or nothing, as a new
    one (``people_to_fix``); refused, the panel opens again with what was typed and why."""
    try:
        change = groups_flow.add_members(session, actor, team_id, recipients=recipients, kind=kind)
        if (wrong := people_to_fix(change.results)) is not None:
            raise wrong
    except DomainError as exc:
        if exc.status == 404:
            return _back(request, actor, {"error": form_error(session, exc)})
        faults = form_faults(session, exc, {"recipients": f"add-{team_id}"})
        adding = {"team_id": team_id, "recipients": recipients}
        return _page(
            request,
            session,
            actor,
            status_code=exc.status,
            adding=adding,
            dialog=f"people-{team_id}",
            **faults,
        )
    counts = {o: sum(1 for r in change.results if r.outcome == o) for o in ("added", "invited")}
    said = [f"{n} {o}" for o, n in counts.items() if n or (o == "added" and not counts["invited"])]
    skipped = [r for r in change.results if r.outcome == "skipped"]
    word = teams_service.WORDS[kind].capitalize()
    notice = f"{word} “{change.team.name}”: {', '.join(said)}" + _skipped_text(skipped, ";")
    return _back_to_panel(request, actor, change.team.id, notice)


def _back_to_panel(request: Request, actor: Actor, team_id: uuid.UUID, notice: str) -> RedirectResponse:
    return _back(request, actor, {"notice": notice, "panel": str(team_id)})


def _remove_person(
    request: Request, actor: Actor, session: Session, team_id: uuid.UUID, user_id: uuid.UUID, kind: str
) -> Response:
    """Take one person out of a team or client group (``groups.remove_member``: they keep their
    workspaces); back to its panel, saying so."""
    try:
        team, user = groups_flow.remove_member(session, actor, team_id, user_id, kind=kind)
    except DomainError as exc:
        return _back(request, actor, {"error": form_error(session, exc)})
    who = user_named_for(session, actor, user)
    notice = f"{who} was removed from the {teams_service.WORDS[kind]} “{team.name}”."
    return _back_to_panel(request, actor, team.id, notice)


def _people_forms(kind: str) -> tuple[Callable[..., Response], Callable[..., Response]]:
    """A team's (or group's) panel's two forms: Add people, and a person's Remove."""

    def add(
        team_id: uuid.UUID,
        request: Request,
        actor: PageActor,
        session: SessionDep,
        recipients: str = Form(""),
    ) -> Response:
        return _add_people(request, actor, session, team_id, kind, recipients)

    def remove(
        team_id: uuid.UUID, user_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
    ) -> Response:
        return _remove_person(request, actor, session, team_id, user_id, kind)

    return add, remove


for _kind, _forms, _one in ((TEAM, "teams", "team"), (CLIENT_GROUP, "client-groups", "group")):
    _add_form, _remove_form = _people_forms(_kind)
    _at = f"/p/{{slug}}/{_forms}/{{team_id}}/members"
    router.add_api_route(
        _at,
        _add_form,
        methods=["POST"],
        name=f"contacts:add_{_one}_members",
        dependencies=[Depends(check_csrf)],
    )
    router.add_api_route(
        _at + "/{user_id}/remove",
        _remove_form,
        methods=["POST"],
        name=f"contacts:remove_{_one}_member",
        dependencies=[Depends(check_csrf)],
    )
