"""Workspaces: the list (and creating one: chat, flow with its roles, line), and one workspace
with its Invite panel, Members panel (Joined / Not Joined, Resend Invitation, team and client
group rows), flow roles (Assign, history) and actions, its Workspace Link and join requests.

Every change is a plain form post to a page route that calls the same service as the API; the
Invite panel's suggestions come from ``GET /api/v1/portals/{slug}/people`` (session auth). The
result of a change is carried across the redirect in the signed flash cookie.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.errors import DomainError, InvalidInput, PermissionDenied
from admit.flows import join_requests as join_requests_flow
from admit.flows import workspace_links, workspace_people
from admit.invitations import pipeline
from admit.invitations import service as invitations_service
from admit.invitations.codes import SkipCode
from admit.invitations.pipeline import Outcome, RecipientResult
from admit.kit.pagination import every
from admit.kit.routing import Router
from admit.kit.text import listed, readable_phone
from admit.members import service as members_service
from admit.pages.deps import (
    PageActor,
    check_csrf,
    fitted_flash,
    forget_flash,
    form_error,
    form_faults,
    named_for,
    person,
    read_flash,
    redirect,
    render,
    set_flash,
    user_named_for,
)
from admit.people import timeline as people_timeline
from admit.people import workspace as workspace_view
from admit.people.names import names_in_portal
from admit.policy import INTERNAL_ROLES, Action
from admit.teams import service as teams_service
from admit.teams.models import CLIENT_GROUP, TEAM
from admit.web import SessionDep
from admit.workspaces import join_requests, roles
from admit.workspaces import messages as workspace_messages
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import FLOW, KINDS, NOT_JOINED

router = Router()

_MAX_RESULTS_SHOWN = 15


# Resend to selected with no one ticked: the server's refusal, and why its button waits (the
# page's script disables it until a tick, saying this beside it, as its description).
NONE_TICKED = "Tick the people to resend to first."


def _list_page(
    request: Request, session: Session, actor: Actor, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    """Internal users' workspaces: the ones they are in, most recently added first (their
    timeline); owners and admins also see the portal's other workspaces."""
    mine = [
        w
        for w, _m, _p in every(partial(people_timeline.timeline, session, person(actor), portal=actor.portal))
    ]
    mine_ids = {w.id for w in mine}
    reachable, _ = workspaces_service.list_workspaces(session, actor, limit=200)
    context: dict[str, Any] = {
        "nav": "workspaces",
        "workspaces": mine,
        "others": [w for w in reachable if w.id not in mine_ids],
        "kinds": KINDS,
        "can_create": policy.can(actor.role, Action.WORKSPACE_CREATE),
        "form": {},
    }
    context.update(extra)
    return render(request, "workspaces/list.html", context, status_code=status_code)


@router.get("/p/{slug}/workspaces", name="workspaces:list")
def workspaces_list(request: Request, actor: PageActor, session: SessionDep) -> Response:
    if not policy.capabilities(actor.role).internal:
        return redirect(f"/p/{actor.portal.slug}")
    return _list_page(request, session, actor)


def _role_names(text: str) -> list[str]:
    return listed(text)


@router.post("/p/{slug}/workspaces", name="workspaces:create", dependencies=[Depends(check_csrf)])
def workspaces_create(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    name: str = Form(""),
    kind: str = Form("chat"),
    roles: str = Form(""),
) -> Response:
    role_names = _role_names(roles) if kind == FLOW else []
    try:
        workspace = workspaces_service.create(session, actor, name=name, kind=kind, roles=role_names)
    except DomainError as exc:
        faults = form_faults(session, exc, {"name": "ws_name", "kind": "ws_kind", "roles": "ws_roles"})
        return _list_page(
            request,
            session,
            actor,
            status_code=exc.status,
            form={"name": name, "kind": kind, "roles": roles},
            **faults,
        )
    notice = f"Workspace “{workspace.name}” created."
    return redirect(f"/p/{actor.portal.slug}/workspaces/{workspace.id}", notice=notice)


def _back(
    actor: Actor, workspace_id: uuid.UUID, flash: dict[str, Any], request: Request, *, anchor: str = ""
) -> RedirectResponse:
    response = redirect(f"/p/{actor.portal.slug}/workspaces/{workspace_id}{anchor}")
    set_flash(request, response, flash)
    return response


def _result_line(actor: Actor, r: RecipientResult, colleagues: set[str]) -> dict[str, Any]:
    """A result as the Invite panel's report says it (the template writes the words): someone new
    named as notices name people (``named_for``), with as what they were invited (``as``: "a
    client", "an internal user (Member)") and, for a client whose address looks like a
    colleague's (``colleagues``), its domain (``colleague``); the others as the result says.
    Kept short: the report crosses the redirect in a cookie of at most a few KB."""
    line = {
        "recipient": r.recipient[:120],
        "outcome": r.outcome,
        "code": r.code,
        "detail": (r.detail or "")[:200],
    }
    invitation = r.invitation
    if r.outcome is Outcome.INVITED and invitation is not None:
        line["recipient"] = named_for(actor, r.address, invitation.recipient_name, person_id=r.user_id)[:120]
        line["as"] = policy.invited_as(invitation.user_type, invitation.role)
        if r.address in colleagues and invitation.user_type == policy.UserType.CLIENT:
            line["colleague"] = r.address.rpartition("@")[2]
    return line


def _results_flash(session: Session, actor: Actor, results: list[RecipientResult]) -> dict[str, Any]:
    invited = [r.address for r in results if r.outcome is Outcome.INVITED and r.address is not None]
    colleagues = members_service.colleagues_among(session, actor, invited)
    counts = {o: sum(1 for r in results if r.outcome == o) for o in ("added", "invited")}
    skipped = Counter(str(r.code) for r in results if r.outcome == "skipped")
    # Invited to the portal before: now in the workspace on that invitation, nothing sent. Said
    # apart from the skipped (the tester read "2 skipped" while the panel had them).
    put_in = skipped.pop(str(SkipCode.ALREADY_INVITED), 0)
    report = {
        # The Invite box's line: "1 added · 2 invited · 1 put in on the invitation they have".
        "summary": (
            pipeline.summary(counts["invited"], skipped, added=counts["added"], put_in=put_in)
            if results
            else "Nobody added"
        )
        + ".",
        # Said as done when someone was added or invited, or when no one skipped needs anything
        # fixed (already invited to the portal: now in the workspace on that invitation).
        "ok": bool(counts["added"] or counts["invited"])
        or bool(results and not any(pipeline.needs_fixing(r) for r in results)),
        "results": [_result_line(actor, r, colleagues) for r in results[:_MAX_RESULTS_SHOWN]],
        "results_count": len(results),
    }
    return fitted_flash(report, ("results",))


def _picked_team(value: str) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The Invite panel's team select: ``team:<id>`` or ``group:<id>``."""
    kind, _, raw_id = (value or "").partition(":")
    if not raw_id:
        return [], []
    try:
        team_id = uuid.UUID(raw_id)
    except ValueError as exc:
        raise InvalidInput("No such team or client group.", field="team") from exc
    return ([team_id], []) if kind == "team" else ([], [team_id])


def _recipient(name: str, address: str) -> str:
    name, address = (name or "").strip().replace("<", "").replace(">", ""), (address or "").strip()
    return f"{name} <{address}>" if name and address else address


def _no_address(results: list[RecipientResult], q: str) -> bool:
    """Whether the search box's text (``q``, the last of the recipients asked for) let no one in
    for not being an address: no suggestion was picked for what was typed."""
    last = max((r.index for r in results if r.index is not None), default=None)
    return bool(q) and any(r.index == last and r.code is SkipCode.INVALID_RECIPIENT for r in results)


def _refuse_typed(results: list[RecipientResult], q: str, *, alone: bool, no_match: bool) -> None:
    """Refuse the Invite panel's post, under the field typed in, when what was typed let no one
    in: the search box's text that is no address (lost otherwise: said with the way forward), or
    the one person typed alone (a mistyped address, already here), said under their address, as
    the Contacts dialog says it, rather than as a report."""
    if no_match:
        raise InvalidInput(workspace_people.not_picked(q), field="q")
    stopped = [r for r in results if r.outcome is Outcome.SKIPPED and r.code is not SkipCode.ALREADY_INVITED]
    if alone and len(stopped) == len(results) == 1:
        field = "q" if q else "recipient"
        raise InvalidInput(stopped[0].detail or "This person cannot be added.", field=field)


def _picked(session: Session, actor: Actor, user_ids: list[uuid.UUID]) -> list[tuple[str, str]]:
    """The people picked from the suggestions, as their chips again after a refusal: ``(user id,
    label)`` in the order picked, the label as the suggestions give it (the name this portal
    shows, else the address); only this portal's people (an id from elsewhere shows no one)."""
    members = members_service.statuses(session, actor.portal.id, user_ids)
    users = members_service.users_by_id(session, [u for u in user_ids if u in members])
    names = names_in_portal(session, actor.portal.id, users.values())
    return [(str(u), names.get(u) or users[u].address or "") for u in dict.fromkeys(user_ids) if u in users]


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/people", name="workspaces:add", dependencies=[Depends(check_csrf)]
)
def add_people(
    workspace_id: uuid.UUID,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    user_ids: list[uuid.UUID] = Form(default=[]),
    team: str = Form(""),
    name: str = Form(""),
    recipient: str = Form(""),
    user_type: str = Form("client"),
    q: str = Form(""),
    recipients: list[str] = Form(default=[]),
    screen: str = Form(""),
    new_person: str = Form(""),
) -> Response:
    """The Invite panel: people picked from the suggestions, a team or client group, or one new
    person (name, email or phone) as a client or internal user. ``recipients``: the addresses
    the script made chips of (Enter, comma or semicolon in the search box), each its person, a
    new one invited as a client; one that is no address is said in the report, the others
    going ahead. What is left typed in the search box (``q``, nothing picked for it) is asked
    for too: an address is its person, invited as a client when new (Invite New Client for it);
    anything else is refused, kept in the box, with the way forward. ``screen`` is "team" from
    the Add Team Members screen (Invite Internal Users), which a refusal comes back on;
    ``new_person``: sent from the new person's form (Invite New Client / Internal User)."""
    new = bool(new_person or recipient.strip() or name.strip())
    chips = [text.strip() for text in recipients if text.strip()]
    person = _recipient(name, recipient)
    # The new person's form sent with no address: asked for as it is, so that the pipeline says
    # what is wrong with it under the field ("Enter an email address or phone number."), not that
    # nobody was chosen.
    typed_in = [text for text in (person, q.strip()) if text] or ([person] if new else [])
    no_match = False
    try:
        team_ids, group_ids = _picked_team(team)
        results = workspace_people.add_people(
            session,
            actor,
            workspace_id,
            recipients=typed_in or None,
            user_ids=user_ids,
            team_ids=team_ids,
            group_ids=group_ids,
            user_type=user_type,
            clients=chips,
        )
        no_match = _no_address(results, q.strip())
        _refuse_typed(results, q.strip(), alone=not (user_ids or team or chips), no_match=no_match)
    except DomainError as exc:
        # The new person's form when one was typed, else the search's (the Add Team Members
        # screen's, from there): where the fault is said.
        search = "team-q" if screen == "team" else "invite-q"
        fields = {
            "recipients": "new-recipient" if new else search,
            "recipient": "new-recipient",
            "q": search,
            "team_ids": "invite-team",
            "group_ids": "invite-team",
            "team": "invite-team",
        }
        typed = {
            **{"name": name, "recipient": recipient, "user_type": user_type, "team": team, "new": new},
            **{
                "q": q,
                "no_match": no_match,
                "picked": _picked(session, actor, user_ids),
                "recipients": chips,
                "screen": "team" if screen == "team" else "",
            },
        }
        panel = "invite-panel"
        if screen == "team" and isinstance(exc, PermissionDenied):
            # An address of no one typed on Add Team Members by someone who may add internal
            # users only (seed 001): the policy's refusal said under the box, not a page of its own.
            session.rollback()
            under: dict[str, Any] = {"field_errors": {search: exc.message}, "error_field": search}
            under |= {"dialog": panel, "typed": typed}
            return show_page(request, session, actor, workspace_id, status_code=exc.status, **under)
        return _refused(request, session, actor, workspace_id, exc, fields, dialog=panel, typed=typed)
    return _back(actor, workspace_id, _results_flash(session, actor, results), request)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/rename",
    name="workspaces:rename",
    dependencies=[Depends(check_csrf)],
)
def rename_workspace(
    workspace_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep, name: str = Form("")
) -> Response:
    """The workspace's … menu: Rename, through the rename dialog (refused, it opens again)."""
    try:
        before = workspaces_service.get_or_raise(session, actor, workspace_id).name
        workspace = workspaces_service.rename(session, actor, workspace_id, name=name)
    except DomainError as exc:
        rename = {"action": request.url.path, "name": name}
        return _refused(request, session, actor, workspace_id, exc, {"name": "rename-name"}, rename=rename)
    return _back(actor, workspace_id, {"notice": f"Workspace “{before}” is now “{workspace.name}”."}, request)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/delete",
    name="workspaces:delete",
    dependencies=[Depends(check_csrf)],
)
def delete_workspace(
    workspace_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> RedirectResponse:
    """The workspace's … menu: Delete, after the confirmation that says what goes."""
    try:
        workspace, _held = workspaces_service.delete_workspace(session, actor, workspace_id)
    except DomainError as exc:
        return _back(actor, workspace_id, {"error": form_error(session, exc)}, request)
    return redirect(f"/p/{actor.portal.slug}/workspaces", notice=f"Workspace “{workspace.name}” deleted.")


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/members/{user_id}/remove",
    name="workspaces:remove_member",
    dependencies=[Depends(check_csrf)],
)
def remove_member(
    workspace_id: uuid.UUID, user_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> RedirectResponse:
    try:
        membership = workspace_people.remove(session, actor, workspace_id, user_id)
    except DomainError as exc:
        error = form_error(session, exc)
        return _back(actor, workspace_id, {"error": error, "panel": "members"}, request, anchor="#members")
    who = user_named_for(session, actor, membership.user)
    flash = {"notice": f"{who} was removed from this workspace.", "panel": "members"}
    return _back(actor, workspace_id, flash, request, anchor="#members")


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/members/{user_id}/resend",
    name="workspaces:resend_member",
    dependencies=[Depends(check_csrf)],
)
def resend_member(
    workspace_id: uuid.UUID, user_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> RedirectResponse:
    try:
        result = workspace_people.resend(session, actor, workspace_id, user_id)
    except DomainError as exc:
        error = form_error(session, exc)
        return _back(actor, workspace_id, {"error": error, "panel": "members"}, request, anchor="#members")
    user = members_service.get_user(session, user_id)
    who = user_named_for(session, actor, user) if user else named_for(actor, result.address, None)
    flash = {"notice": f"Invitation resent to {who}.", "panel": "members"}
    return _back(actor, workspace_id, flash, request, anchor="#members")


def _resend_team(
    request: Request, actor: Actor, session: Session, workspace_id: uuid.UUID, team_id: uuid.UUID, kind: str
) -> RedirectResponse:
    try:
        results = workspace_people.resend_team(session, actor, workspace_id, team_id, kind=kind)
    except DomainError as exc:
        error = form_error(session, exc)
        return _back(actor, workspace_id, {"error": error, "panel": "members"}, request, anchor="#members")
    flash = _resent_flash(session, actor, results, nothing="Everyone has joined; nothing to resend.")
    return _back(actor, workspace_id, {**flash, "panel": "members"}, request, anchor="#members")


def _resent_flash(
    session: Session, actor: Actor, results: list[RecipientResult], *, nothing: str
) -> dict[str, Any]:
    """What the panel says after a Resend to many: how many were resent, and each one held back
    for a reason someone may act on, in its words, the person named as notices name them
    (``named_for``: "Sam Smith (sam@smith.org) was sent a message…"; ``nothing``: there was no
    one to resend to)."""
    resent = sum(1 for r in results if r.outcome is Outcome.RESENT)
    stopped = [r for r in results if pipeline.needs_fixing(r)]
    users = members_service.users_by_id(session, [r.user_id for r in stopped if r.user_id is not None])
    names = names_in_portal(session, actor.portal.id, users.values())
    held = [_named_in(actor, r, names.get(r.user_id) if r.user_id else None) for r in stopped]
    said = [f"Invitation resent to {resent} {'person' if resent == 1 else 'people'}."] if resent else []
    if held:
        said.append(("Not sent: " if resent else "Nothing was sent: ") + " ".join(held))
    return {"notice" if resent else "error": " ".join(said)} if said else {"notice": nothing}


def _named_in(actor: Actor, result: RecipientResult, name: str | None) -> str:
    """``result``'s words with the person's address in them said as ``named_for`` names them."""
    if not result.address:
        return result.detail
    who = named_for(actor, result.address, name, person_id=result.user_id)
    return result.detail.replace(result.address, who, 1)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/invitations/resend",
    name="workspaces:resend_many",
    dependencies=[Depends(check_csrf)],
)
def resend_many(
    workspace_id: uuid.UUID,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    state: str = "",
    back: str = Form(""),
    user_ids: list[uuid.UUID] = Form(default=[]),
    confirmed: str = Form(""),
) -> Response:
    """Resend all expired (``?state=expired``, after the confirmation the link asks) or Resend to
    selected (``user_ids``: asked here first, then ``confirmed``): one Resend each, the panel
    saying how many were resent and who was not, and why. ``back``: the panel's filter."""
    if user_ids and not confirmed:
        kept = dict(parse_qsl(_kept_filter(back).lstrip("?")))
        return show_page(
            request,
            session,
            actor,
            workspace_id,
            q=kept.get("q", ""),
            state=kept.get("state", ""),
            confirm_selected=list(dict.fromkeys(user_ids)),
            ticked=list(dict.fromkeys(user_ids)),
        )
    try:
        if not (user_ids or state):  # Resend to selected with no one ticked: said in the page's words
            raise InvalidInput(NONE_TICKED, field="user_ids")
        results = workspace_people.resend_many(
            session, actor, workspace_id, user_ids=user_ids or None, state=state or None
        )
    except DomainError as exc:
        flash = {"error": form_error(session, exc)}
    else:
        nothing = "No invitation has expired; nothing to resend."
        if user_ids:
            nothing = "Everyone selected has joined; nothing to resend."
        flash = _resent_flash(session, actor, results, nothing=nothing)
    response = redirect(f"/p/{actor.portal.slug}/workspaces/{workspace_id}{_kept_filter(back)}#members")
    set_flash(request, response, {**flash, "panel": "members"})
    return response


def _kept_filter(back: str) -> str:
    """The Members panel's filter to come back to (``?q=…&state=…`` from the page's address),
    only those two: anything else in it is dropped."""
    kept = {k: v for k, v in parse_qsl(back.lstrip("?")) if k in ("q", "state") and v}
    return f"?{urlencode(kept)}" if kept else ""


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/teams/{team_id}/resend",
    name="workspaces:resend_team",
    dependencies=[Depends(check_csrf)],
)
def resend_team(
    workspace_id: uuid.UUID, team_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> RedirectResponse:
    return _resend_team(request, actor, session, workspace_id, team_id, TEAM)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/groups/{group_id}/resend",
    name="workspaces:resend_group",
    dependencies=[Depends(check_csrf)],
)
def resend_group(
    workspace_id: uuid.UUID, group_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> RedirectResponse:
    return _resend_team(request, actor, session, workspace_id, group_id, CLIENT_GROUP)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/roles/{role_id}/assign",
    name="workspaces:assign",
    dependencies=[Depends(check_csrf)],
)
def assign_role(
    workspace_id: uuid.UUID,
    role_id: uuid.UUID,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    user_id: str = Form(""),
    recipient: str = Form(""),
    user_type: str = Form("client"),
    picker: str = Form(""),
) -> Response:
    """Assign: an existing member picked from the list (its form says ``picker``), or a new
    client / internal user (``recipient``)."""
    try:
        if picker and not user_id.strip():
            # The picker left on "Choose…" (the browser asks for a choice; this is without it).
            raise InvalidInput("Choose an existing member to assign.", field="user_id")
        picked = uuid.UUID(user_id) if user_id.strip() else None
        if picked is None and not recipient.strip():
            raise InvalidInput("Pick a member, or enter an email or phone number.", field="recipient")
        assignment, added = workspace_people.assign_role(
            session,
            actor,
            workspace_id,
            role_id,
            user_id=picked,
            recipient=None if picked else recipient,
            user_type=user_type,
        )
    except ValueError:
        session.rollback()
        return _back(actor, workspace_id, {"error": "No such member."}, request)
    except DomainError as exc:
        fields = {"user_id": f"pick-{role_id}", "recipient": f"assign-to-{role_id}"}
        typed = {"user_id": user_id, "recipient": recipient, "role_id": str(role_id)}
        return _refused(request, session, actor, workspace_id, exc, fields, typed=typed)
    # The holder as the portal names them (as the role's chip does), the role by its name.
    user = assignment.user
    who = user_named_for(session, actor, user)
    role = roles.role_or_raise(session, actor, workspace_id, role_id)[1].name
    notice = f"{who} now holds “{role}”."
    if added is not None and added.outcome == "invited":
        notice = f"{who} was invited and now holds “{role}”."
    return _back(actor, workspace_id, {"notice": notice}, request)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/roles",
    name="workspaces:add_role",
    dependencies=[Depends(check_csrf)],
)
def add_role(
    workspace_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep, name: str = Form("")
) -> Response:
    try:
        roles.add_roles(session, actor, workspace_id, [name])
    except DomainError as exc:
        fields = {"name": "new-role"}
        return _refused(request, session, actor, workspace_id, exc, fields, typed={"new_role": name})
    return _back(actor, workspace_id, {"notice": f"Role “{name.strip()}” added."}, request)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/roles/{role_id}/rename",
    name="workspaces:rename_role",
    dependencies=[Depends(check_csrf)],
)
def rename_role(
    workspace_id: uuid.UUID,
    role_id: uuid.UUID,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    name: str = Form(""),
) -> Response:
    try:
        _workspace, role = roles.role_or_raise(session, actor, workspace_id, role_id)
        before = role.name
        role = roles.rename_role(session, actor, workspace_id, role_id, name=name)
    except DomainError as exc:
        rename = {"action": request.url.path, "name": name}
        return _refused(request, session, actor, workspace_id, exc, {"name": "rename-name"}, rename=rename)
    return _back(actor, workspace_id, {"notice": f"Role “{before}” is now “{role.name}”."}, request)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/roles/{role_id}/delete",
    name="workspaces:delete_role",
    dependencies=[Depends(check_csrf)],
)
def delete_role(
    workspace_id: uuid.UUID, role_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> RedirectResponse:
    try:
        deleted = roles.delete_role(session, actor, workspace_id, role_id)
    except DomainError as exc:
        error = form_error(session, exc)
        return _back(actor, workspace_id, {"error": error}, request)
    notice = f"Role “{deleted.role.name}” deleted."
    if deleted.actions:
        n = len(deleted.actions)
        notice += f" Its {n} action{'' if n == 1 else 's'} stay{'s' if n == 1 else ''} without a role."
    return _back(actor, workspace_id, {"notice": notice}, request)


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/actions",
    name="workspaces:add_action",
    dependencies=[Depends(check_csrf)],
)
def add_action(
    workspace_id: uuid.UUID,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    title: str = Form(""),
    description: str = Form(""),
    assignee: str = Form(""),
    role_id: str = Form(""),
    due_on: str = Form(""),
) -> Response:
    """``assignee`` is ``role:<id>`` or ``user:<id>`` (one list of roles and people); a bare
    ``role_id`` still works."""
    try:
        kind, _, value = assignee.partition(":") if assignee.strip() else ("role", "", role_id)
        try:
            picked = uuid.UUID(value) if value.strip() else None
        except ValueError as exc:
            raise InvalidInput("No such role or person in this workspace.", field="assignee") from exc
        role = picked if kind == "role" else None
        person = picked if kind == "user" else None
        due = _due_from_form(due_on)
        action = roles.add_action(
            session,
            actor,
            workspace_id,
            title=title,
            description=description,
            role_id=role,
            assignee_id=person,
            due_on=due,
        )
    except DomainError as exc:
        fields = {
            "title": "action-title",
            "description": "action-description",
            "assignee": "action-role",
            "assignee_id": "action-role",
            "role_id": "action-role",
            "due_on": "action-due",
        }
        typed = {"title": title, "description": description, "assignee": assignee, "due_on": due_on}
        return _refused(request, session, actor, workspace_id, exc, fields, action_form=typed)
    return _back(
        actor, workspace_id, {"notice": f"Action “{action.title}” added."}, request, anchor="#actions"
    )


def _due_from_form(due_on: str) -> date | None:
    """The form's due date (an empty field: none)."""
    try:
        return date.fromisoformat(due_on) if due_on.strip() else None
    except ValueError as exc:
        raise InvalidInput("The due date is not a date (YYYY-MM-DD).", field="due_on") from exc


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/actions/{action_id}/edit",
    name="workspaces:edit_action",
    dependencies=[Depends(check_csrf)],
)
def edit_action(
    workspace_id: uuid.UUID,
    action_id: uuid.UUID,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    title: str = Form(""),
    description: str = Form(""),
    due_on: str = Form(""),
) -> Response:
    """The Edit dialog: refused, it opens again with what was typed and each fault under its field."""
    try:
        changes = {"title": title, "description": description, "due_on": _due_from_form(due_on)}
        action = roles.edit_action(session, actor, workspace_id, action_id, changes)
    except DomainError as exc:
        fields = {name: f"edit-{name}-{action_id}" for name in ("title", "description", "due_on")}
        typed = {"id": action_id, "title": title, "description": description, "due_on": due_on}
        return _refused(request, session, actor, workspace_id, exc, fields, edit_form=typed)
    return _back(
        actor, workspace_id, {"notice": f"Action “{action.title}” saved."}, request, anchor="#actions"
    )


@router.get("/p/{slug}/workspaces/{workspace_id}", name="workspaces:show")
def workspace_show(
    workspace_id: uuid.UUID,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    q: str = "",
    state: str = "",
    confirm: str = "",
    selected: list[str] = Query(default=[]),
    approve_owner: str = "",
) -> HTMLResponse:
    """The workspace; ``q`` and ``state`` filter its Members panel (opened on them), ``confirm``
    asks Resend all expired's question in the panel (the page's script asks it in a dialog),
    ``selected``: the people ticked for Resend to selected (its question's Cancel keeps them);
    ``approve_owner``: the join request whose Approve as an owner asks the owners' confirmation
    (``pages.links.approve_submit``), its form shown with it."""
    ticked = _ids(selected)
    return show_page(
        request,
        session,
        actor,
        workspace_id,
        q=q,
        state=state,
        confirm=confirm,
        ticked=ticked,
        approve_owner=next(iter(_ids([approve_owner])), None),
    )


def _ids(texts: list[str]) -> list[uuid.UUID]:
    """The user ids in an address's ``selected`` (anything else in it is no one)."""
    out = []
    for text in texts:
        try:
            out.append(uuid.UUID(text))
        except ValueError:
            continue
    return list(dict.fromkeys(out))


def _refused(
    request: Request,
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    exc: DomainError,
    fields: dict[str, str],
    **extra: Any,
) -> HTMLResponse:
    """The workspace again with the form that was refused: each fault under its field (``fields``:
    the service's names to the page's, its inputs' ids), what was typed kept (``typed``), its
    dialog open (``dialog``, ``rename``); a fault that names none of them on top."""
    faults = form_faults(session, exc, fields)
    return show_page(request, session, actor, workspace_id, status_code=exc.status, **faults, **extra)


def _resendable(view: workspace_view.MemberView) -> bool:
    """Whether the panel's row has a tick for Resend to selected: Not Joined, access not ended."""
    return view.membership.status == NOT_JOINED and not view.access_ended


def show_page(
    request: Request,
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    *,
    status_code: int = 200,
    q: str = "",
    state: str = "",
    confirm: str = "",
    ticked: list[uuid.UUID] | None = None,
    approve_owner: uuid.UUID | None = None,
    **extra: Any,
) -> HTMLResponse:
    panel = workspace_view.whole_panel(session, actor, workspace_id)
    workspace, views, team_rows = panel.workspace, panel.members, panel.teams
    filter_error = None
    try:
        found = workspace_view.find_members(actor, views, q=q, state=state)
    except InvalidInput as exc:
        filter_error, status_code = exc.message, exc.status
        found = workspace_view.find_members(actor, views, q=q, state=None)
    can_share = policy.can(actor.role, Action.WORKSPACE_LINK_MANAGE)
    can_answer = policy.can(actor.role, Action.JOIN_REQUEST_APPROVE)
    can_add = policy.can(actor.role, Action.WORKSPACE_ADD_MEMBERS)
    can_manage = policy.can(actor.role, Action.WORKSPACE_MANAGE)
    requests = []
    if can_answer:
        rows, _ = join_requests.list_join_requests(session, actor, workspace_id=workspace.id, limit=200)
        # What Approve will do for each (add, put in on their invitation, or invite).
        requests = [(r, join_requests_flow.approving(session, actor, r.email)) for r in rows]
    # Approve as an owner asks first (the owners' confirmation): whom the asked request makes one.
    owner_asked = {
        r.id: named_for(actor, r.email, r.name) + " an owner"
        for r, will in requests
        if r.id == approve_owner and will.invites and policy.can(actor.role, Action.INVITE_INTERNAL)
    }
    teams, groups = [], []
    if can_add:
        teams = every(partial(teams_service.list_teams, session, actor, kind=TEAM))
        groups = every(partial(teams_service.list_teams, session, actor, kind=CLIENT_GROUP))
    flow = workspace.kind == FLOW
    actions = every(partial(roles.list_actions, session, actor, workspace.id)) if flow else []
    flash = read_flash(request) or {}
    conversation = []
    if actor.user is not None:
        newest, _ = workspace_messages.list_messages(session, actor, workspace.id, limit=50)
        conversation = list(reversed(newest))
        workspace_messages.mark_read(session, actor, workspace.id)  # opening the panel reads it
    marks = workspace_messages.reads(session, workspace.id)
    mentionable = workspace_messages.mentionable(session, workspace, viewer_id=actor.user_id)
    seen_by = []
    if conversation:
        names = dict(mentionable)
        seen_by = sorted(
            names[r.user_id]
            for r in marks
            if r.user_id in names and r.read_at >= conversation[-1].created_at and r.user_id != actor.user_id
        )
    response = render(
        request,
        "workspaces/show.html",
        {
            "nav": "workspaces",
            "workspace": workspace,
            "members": views,
            "member_rows": workspace_view.lines(views),
            "found": found,
            "shown_ids": {v.membership.user_id for v in found.shown},
            "shown_team_ids": {t.team.id for t in workspace_view.find_teams(team_rows, views, found.q)},
            "teams_of": workspace_view.teams_of(team_rows),
            # Resend to selected: whom the rows shown let be ticked (none under Joined: the button
            # goes), and who is ticked (asked about, or back from the question's Cancel).
            "resendable_shown": any(_resendable(v) for v in found.shown),
            "ticked": set(ticked or []),
            "filter_error": filter_error,
            "confirm_resend": confirm == "resend_expired",
            "confirm_selected": [],
            "team_rows": team_rows,
            "teams": teams,
            "groups": groups,
            # Offered disabled, "(no people)": picking one would add nobody.
            "peopled": teams_service.with_people(session, [t.id for t in [*teams, *groups]]),
            "roles": workspace_view.roles_view(session, actor, workspace.id) if flow else [],
            "actions": actions,
            "view": workspace_links.open_link(session, actor, workspace.id)[0] if can_share else None,
            "requests": requests,
            "owner_asked": owner_asked,
            "can_add": can_add,
            "can_invite_client": policy.can(actor.role, Action.INVITE_CLIENT),
            "can_invite_internal": policy.can(actor.role, Action.INVITE_INTERNAL),
            # Said on the Add Team Members screen to whoever may only add internal users already
            # in the portal (seed 001), where an address matches no one.
            "internal_refused": f"{policy.DENIED_MESSAGE[Action.INVITE_INTERNAL]} Ask "
            f"{policy.who_may(Action.INVITE_INTERNAL)} to invite them, then add them here.",
            "can_resend": policy.can(actor.role, Action.WORKSPACE_RESEND),
            # A Not Joined member's Resend Invitation greyed out while the per-person limit would
            # refuse it (``invitations.service.resend_waits``), the seconds left counted down by
            # admit.js before it is offered.
            "resend_waits": invitations_service.resend_waits(
                session, [v.membership.user.address or "" for v in views if _resendable(v)]
            )
            if policy.can(actor.role, Action.WORKSPACE_RESEND)
            else {},
            "can_remove": policy.can(actor.role, Action.WORKSPACE_REMOVE_MEMBERS),
            "removable": workspace_people.removable(session, actor, [v.membership.user_id for v in views])
            if policy.can(actor.role, Action.WORKSPACE_REMOVE_MEMBERS)
            else set(),
            "can_assign": policy.can(actor.role, Action.WORKSPACE_ROLES),
            "can_add_action": policy.can(actor.role, Action.WORKSPACE_ACTION_ADD),
            "can_manage": can_manage,
            "delete_question": workspaces_service.contents(session, actor, workspace.id).question(
                workspace.name, actor.role
            )
            if can_manage and workspaces_service.may_delete(workspace, actor)
            else "",
            "grantable_roles": [
                str(r) for r in INTERNAL_ROLES if policy.check_grant_role(actor.role, r) is None
            ],
            # Said once: in the panel the flash reopens (Members), or at the top of the page.
            "notice": None if flash.get("panel") else flash.get("notice"),
            "panel_notice": flash.get("notice") if flash.get("panel") else None,
            "none_ticked": NONE_TICKED,
            "flash": flash,
            "conversation": conversation,
            "seen_by": seen_by,
            "mentionable": [name for _, name in mentionable],
            # A mention finds people by name (``messages.mentionable``): one without a name is
            # told how to be found.
            "unnamed": actor.user is not None and not actor.user.name,
            # Everyone in the workspace is named by name, else by address; all but the deactivated
            # may be given an action (``assignable``).
            "people_by_id": {
                v.membership.user_id: v.name or readable_phone(v.membership.user.address or "") for v in views
            },
            "assignable": {v.membership.user_id for v in views if not v.access_ended},
            "completable": {a.id for a in actions if roles.may_complete(session, actor, a)}
            if flow
            else set(),
            "messages_api": f"/api/v1/portals/{actor.portal.slug}/workspaces/{workspace.id}/messages",
            "typed": {},
            "action_form": flash.get("action_form") or {},
            "edit_form": {},
            **extra,
        },
        status_code=status_code,
    )
    forget_flash(response, flash)
    return response


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/actions/{action_id}/complete",
    name="workspaces:complete_action",
    dependencies=[Depends(check_csrf)],
)
def workspace_action_complete(
    workspace_id: uuid.UUID, action_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> Response:
    action = roles.complete_action(session, actor, workspace_id, action_id)
    return _back(actor, workspace_id, {"notice": f"“{action.title}” is done."}, request, anchor="#actions")


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/actions/{action_id}/reopen",
    name="workspaces:reopen_action",
    dependencies=[Depends(check_csrf)],
)
def workspace_action_reopen(
    workspace_id: uuid.UUID, action_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> Response:
    action = roles.reopen_action(session, actor, workspace_id, action_id)
    notice = f"“{action.title}” is open again."
    return _back(actor, workspace_id, {"notice": notice}, request, anchor="#actions")


@router.post(
    "/p/{slug}/workspaces/{workspace_id}/actions/{action_id}/delete",
    name="workspaces:delete_action",
    dependencies=[Depends(check_csrf)],
)
def workspace_action_delete(
    workspace_id: uuid.UUID, action_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep
) -> Response:
    title = roles.delete_action(session, actor, workspace_id, action_id)
    return _back(actor, workspace_id, {"notice": f"Action “{title}” deleted."}, request, anchor="#actions")


@router.post("/p/{slug}/workspaces/{workspace_id}/messages", dependencies=[Depends(check_csrf)])
def workspace_message_post(
    workspace_id: uuid.UUID, request: Request, actor: PageActor, session: SessionDep, text: str = Form("")
) -> Response:
    """The panel's form without JavaScript (with it, the page posts to the API and polls)."""
    try:
        message = workspace_messages.post(session, actor, workspace_id, text)
    except DomainError as exc:
        error = form_error(session, exc)
        return _back(actor, workspace_id, {"error": error}, request, anchor="#conversation")
    return _back(actor, workspace_id, {}, request, anchor=f"#message-{message.id}")
