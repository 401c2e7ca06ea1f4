"""Workspaces: create, list, read; their members (add, resend), flow roles and actions; and
``/me/workspaces``, a person's timeline."""

from __future__ import annotations

import uuid

from fastapi import Response
from pydantic import BaseModel

from admit.api.deps import ActorDep, AuthDep, Limit
from admit.api.errors import problems
from admit.api.idempotency import IdempotentDep
from admit.errors import (
    InvalidInput,
    MemberNotFound,
    NotAFlow,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    RoleExists,
    RoleNotFound,
    WorkspaceExists,
    WorkspaceNotFound,
)
from admit.flows import workspace_people
from admit.invitations.schemas import RESENDING, RecipientResultRead, RecipientResults
from admit.kit.routing import Router
from admit.people import timeline as people_timeline
from admit.people import workspace as workspace_view
from admit.people.results import recipient_results
from admit.portals.schemas import PortalRef
from admit.web import SessionDep
from admit.workspaces import messages as workspace_messages
from admit.workspaces import roles
from admit.workspaces import service as workspaces_service
from admit.workspaces.schemas import (
    ActionCreate,
    ActionList,
    ActionRead,
    ActionUpdate,
    AddMembers,
    AssignmentList,
    AssignmentRead,
    MessageCreate,
    MessagePage,
    MessageRead,
    ReadMark,
    RoleAssign,
    RoleCreate,
    RoleList,
    RoleRead,
    RoleUpdate,
    TeamRef,
    TeamRowRead,
    Timeline,
    TimelineItem,
    WorkspaceCreate,
    WorkspaceMemberRead,
    WorkspaceMembersRead,
    WorkspacePage,
    WorkspaceRead,
    WorkspaceResend,
    WorkspaceUpdate,
)

router = Router(tags=["workspaces"])


class AssignResult(BaseModel):
    role: RoleRead
    added: RecipientResultRead | None


W = "/portals/{portal}/workspaces/{workspace_id}"


@router.post(
    "/portals/{portal}/workspaces",
    response_model=WorkspaceRead,
    status_code=201,
    operation_id="workspaces_create",
    responses=problems(PermissionDenied, WorkspaceExists),
)
def create_workspace(body: WorkspaceCreate, actor: ActorDep, session: SessionDep) -> WorkspaceRead:
    """Create a workspace (internal users); its creator joins it. A flow may list its roles. Its
    name is the portal's only one whatever its case and spacing (409 ``workspace_exists``)."""
    workspace = workspaces_service.create(session, actor, name=body.name, kind=body.kind, roles=body.roles)
    return WorkspaceRead.of(workspace, actor)


@router.get("/portals/{portal}/workspaces", response_model=WorkspacePage, operation_id="workspaces_list")
def list_workspaces(
    actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> WorkspacePage:
    """The workspaces you are in (owners and admins: all of the portal's), newest first."""
    rows, next_cursor = workspaces_service.list_workspaces(session, actor, cursor=cursor, limit=limit)
    return WorkspacePage(items=[WorkspaceRead.of(w, actor) for w in rows], next_cursor=next_cursor)


@router.get(
    W, response_model=WorkspaceRead, operation_id="workspaces_get", responses=problems(WorkspaceNotFound)
)
def get_workspace(workspace_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> WorkspaceRead:
    """A workspace (its people: GET …/members); 404 when you cannot reach it."""
    return WorkspaceRead.of(workspaces_service.get_or_raise(session, actor, workspace_id), actor)


@router.patch(
    W,
    response_model=WorkspaceRead,
    operation_id="workspaces_rename",
    responses=problems(PermissionDenied, WorkspaceNotFound, WorkspaceExists),
)
def rename_workspace(
    workspace_id: uuid.UUID, body: WorkspaceUpdate, actor: ActorDep, session: SessionDep
) -> WorkspaceRead:
    """Rename a workspace (internal users of it); the name rules of creation (409
    ``workspace_exists`` on ``name``)."""
    return WorkspaceRead.of(workspaces_service.rename(session, actor, workspace_id, name=body.name), actor)


@router.delete(
    W,
    status_code=204,
    operation_id="workspaces_delete",
    responses=problems(PermissionDenied, WorkspaceNotFound),
)
def delete_workspace(workspace_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Delete a workspace for good (internal users of it), in one go: its memberships, roles,
    actions, messages, join requests and workspace link. Its people stay in the portal; a pending
    portal invitation that was to bring someone into it stands. Its name is free again."""
    workspaces_service.delete_workspace(session, actor, workspace_id)


@router.get(
    W + "/members",
    response_model=WorkspaceMembersRead,
    operation_id="workspaces_members_list",
    responses=problems(WorkspaceNotFound, InvalidInput),
)
def list_members(
    workspace_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    cursor: str | None = None,
    limit: Limit = 100,
    q: str | None = None,
    state: str | None = None,
) -> WorkspaceMembersRead:
    """The Members panel: the people with Joined / Not Joined, their roles and the team or group
    they came with (a page, in the order they were added), and one row per team or group.
    ``q`` (a name, or an address the asker may see) and ``state`` (``joined``, ``invited``,
    ``expired``, ``deactivated``; a client: the first two) filter it as the panel's Find a
    member does: a filtered page may hold fewer than ``limit``; follow ``next_cursor``."""
    panel = workspace_view.members_view(session, actor, workspace_id, cursor=cursor, limit=limit)
    found = workspace_view.find_members(actor, panel.members, q=q, state=state)
    counts = found.counts if cursor is None else None  # counted over the whole workspace
    if cursor is None and panel.next_cursor is not None and found.q:
        whole = workspace_view.whole_panel(session, actor, workspace_id)  # a search reads names
        counts = workspace_view.find_members(actor, whole.members, q=q, state=state).counts
    elif cursor is None and panel.next_cursor is not None:
        counts = workspace_view.state_counts(session, actor, panel.workspace)
    team_rows = panel.teams
    return WorkspaceMembersRead(
        next_cursor=panel.next_cursor,
        counts=counts,
        items=[
            WorkspaceMemberRead.of(
                v.membership, v.roles, v.via_team, v.name, v.show_address, v.access_ended, v.state
            )
            for v in found.shown
        ],
        teams=[
            TeamRowRead(
                team=TeamRef(id=t.team.id, name=t.team.name, kind=t.team.kind),
                joined=t.joined,
                not_joined=t.not_joined,
                deactivated=t.deactivated,
                status="not_joined" if t.not_joined else "joined",
            )
            for t in team_rows
        ],
    )


@router.post(
    W + "/members",
    response_model=RecipientResults,
    status_code=201,
    operation_id="workspaces_members_add",
    responses=problems(PermissionDenied, WorkspaceNotFound, RateLimited),
)
def add_members(
    workspace_id: uuid.UUID, body: AddMembers, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> RecipientResults | Response:
    """Invite people into the workspace: existing users (``user_ids`` or their address), teams,
    client groups, and new people by email or phone (``user_type``). One result each."""

    def add() -> RecipientResults:
        results = workspace_people.add_people(
            session,
            actor,
            workspace_id,
            recipients=body.recipients,
            user_ids=body.user_ids,
            team_ids=body.team_ids,
            group_ids=body.group_ids,
            user_type=body.user_type,
        )
        return recipient_results(session, results)

    return once(session, actor, add, body=body)


@router.delete(
    W + "/members/{user_id}",
    status_code=204,
    operation_id="workspaces_members_remove",
    responses=problems(PermissionDenied, WorkspaceNotFound, MemberNotFound),
)
def remove_member(workspace_id: uuid.UUID, user_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Take someone out of the workspace; roles they hold there end (history kept)."""
    workspace_people.remove(session, actor, workspace_id, user_id)


@router.post(
    W + "/members/{user_id}/resend",
    response_model=RecipientResults,
    operation_id="workspaces_members_resend",
    responses=problems(*workspace_people.RESEND_ERRORS),
)
def resend_member(
    workspace_id: uuid.UUID, user_id: uuid.UUID, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> RecipientResults | Response:
    """Resend Invitation to a Not Joined member: one new message, earlier links dead. The
    recipients' answer with their one ``resent`` result; what stops it is refused (409)."""

    def resend() -> RecipientResults:
        result = workspace_people.resend(session, actor, workspace_id, user_id)
        return recipient_results(session, [result], outcomes=RESENDING)

    return once(session, actor, resend)


@router.post(
    W + "/teams/{team_id}/resend",
    response_model=RecipientResults,
    operation_id="workspaces_teams_resend",
    responses=problems(*workspace_people.RESEND_TEAM_ERRORS),
)
def resend_team(
    workspace_id: uuid.UUID, team_id: uuid.UUID, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> RecipientResults | Response:
    """Resend Invitation on a team's row: everyone in it who has not joined, nobody who has.
    One result per person on the row: ``resent``, or ``skipped`` with its ``code``."""

    def resend() -> RecipientResults:
        results = workspace_people.resend_team(session, actor, workspace_id, team_id, kind="team")
        return recipient_results(session, results, outcomes=RESENDING)

    return once(session, actor, resend)


@router.post(
    W + "/invitations/resend",
    response_model=RecipientResults,
    operation_id="workspaces_invitations_resend",
    responses=problems(*workspace_people.RESEND_MANY_ERRORS),
)
def resend_many(
    workspace_id: uuid.UUID, body: WorkspaceResend, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> RecipientResults | Response:
    """Resend Invitation to many at once: the people ``user_ids`` names (Resend to selected),
    everyone whose invitation expired (``state: expired``, Resend all expired), or both. Each
    goes through one Resend's checks and limits; the portal's sending limit is charged once for
    all (429 and nothing sent when over it). One result each: ``resent``, or ``skipped`` with
    its ``code`` (``already_joined``, ``recipient_rate_limited``, ``not_found``…)."""

    def resend() -> RecipientResults:
        results = workspace_people.resend_many(
            session, actor, workspace_id, user_ids=body.user_ids, state=body.state
        )
        return recipient_results(session, results, outcomes=RESENDING)

    return once(session, actor, resend, body=body)


@router.post(
    W + "/groups/{group_id}/resend",
    response_model=RecipientResults,
    operation_id="workspaces_groups_resend",
    responses=problems(*workspace_people.RESEND_TEAM_ERRORS),
)
def resend_group(
    workspace_id: uuid.UUID, group_id: uuid.UUID, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> RecipientResults | Response:
    """Resend Invitation on a client group's row: everyone in it who has not joined. One result
    per person on the row: ``resent``, or ``skipped`` with its ``code``."""

    def resend() -> RecipientResults:
        results = workspace_people.resend_team(session, actor, workspace_id, group_id, kind="client_group")
        return recipient_results(session, results, outcomes=RESENDING)

    return once(session, actor, resend)


@router.get(
    W + "/roles",
    response_model=RoleList,
    operation_id="workspaces_roles_list",
    responses=problems(WorkspaceNotFound),
)
def list_roles(workspace_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> RoleList:
    """A flow's roles, each with who holds it now (who held it before: ``…/roles/{role_id}/history``)."""
    return RoleList(items=[RoleRead.of(v) for v in workspace_view.roles_view(session, actor, workspace_id)])


@router.post(
    W + "/roles",
    response_model=RoleList,
    status_code=201,
    operation_id="workspaces_roles_add",
    responses=problems(PermissionDenied, WorkspaceNotFound, NotAFlow, RoleExists),
)
def add_role(workspace_id: uuid.UUID, body: RoleCreate, actor: ActorDep, session: SessionDep) -> RoleList:
    """Add a role to a flow (unassigned)."""
    roles.add_roles(session, actor, workspace_id, [body.name])
    return RoleList(items=[RoleRead.of(v) for v in workspace_view.roles_view(session, actor, workspace_id)])


@router.patch(
    W + "/roles/{role_id}",
    response_model=RoleRead,
    operation_id="workspaces_roles_rename",
    responses=problems(PermissionDenied, WorkspaceNotFound, NotAFlow, RoleNotFound, RoleExists),
)
def rename_role(
    workspace_id: uuid.UUID, role_id: uuid.UUID, body: RoleUpdate, actor: ActorDep, session: SessionDep
) -> RoleRead:
    """Rename a flow's role; its holder and history stay."""
    roles.rename_role(session, actor, workspace_id, role_id, name=body.name)
    view = next(v for v in workspace_view.roles_view(session, actor, workspace_id) if v.role.id == role_id)
    return RoleRead.of(view)


@router.delete(
    W + "/roles/{role_id}",
    status_code=204,
    operation_id="workspaces_roles_delete",
    responses=problems(PermissionDenied, WorkspaceNotFound, NotAFlow, RoleNotFound),
)
def delete_role(workspace_id: uuid.UUID, role_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Delete a flow's role: its holder's assignment ends (history kept) and its actions stay
    without a role."""
    roles.delete_role(session, actor, workspace_id, role_id)


@router.get(
    W + "/roles/{role_id}/history",
    response_model=AssignmentList,
    operation_id="workspaces_roles_history",
    responses=problems(WorkspaceNotFound, NotAFlow, RoleNotFound, InvalidInput),
)
def role_history(
    workspace_id: uuid.UUID,
    role_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    cursor: str | None = None,
    limit: Limit = 50,
) -> AssignmentList:
    """Who held a flow's role, newest first (the holder now, ``ended_at`` null, among them), a
    page at a time: reassigning keeps the history."""
    view, next_cursor = workspace_view.role_history_view(
        session, actor, workspace_id, role_id, cursor=cursor, limit=limit
    )
    return AssignmentList(items=[AssignmentRead.of(a, view) for a in view.history], next_cursor=next_cursor)


@router.post(
    W + "/roles/{role_id}/assign",
    response_model=AssignResult,
    operation_id="workspaces_roles_assign",
    responses=problems(PermissionDenied, WorkspaceNotFound, NotAFlow, RoleNotFound, RateLimited),
)
def assign_role(
    workspace_id: uuid.UUID, role_id: uuid.UUID, body: RoleAssign, actor: ActorDep, session: SessionDep
) -> AssignResult:
    """Assign a role to an existing person (``user_id``) or invite someone new into it
    (``recipient`` + ``user_type``). Reassigning keeps the history."""
    _assignment, added = workspace_people.assign_role(
        session,
        actor,
        workspace_id,
        role_id,
        user_id=body.user_id,
        recipient=body.recipient,
        user_type=body.user_type,
    )
    view = next(v for v in workspace_view.roles_view(session, actor, workspace_id) if v.role.id == role_id)
    added_read = recipient_results(session, [added]).results[0] if added is not None else None
    return AssignResult(role=RoleRead.of(view), added=added_read)


@router.get(
    W + "/actions",
    response_model=ActionList,
    operation_id="workspaces_actions_list",
    responses=problems(WorkspaceNotFound),
)
def list_actions(
    workspace_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    cursor: str | None = None,
    limit: Limit = 100,
) -> ActionList:
    """A flow's actions in the order they were added."""
    rows, next_cursor = roles.list_actions(session, actor, workspace_id, cursor=cursor, limit=limit)
    return ActionList(items=[ActionRead.of(a) for a in rows], next_cursor=next_cursor)


@router.post(
    W + "/actions",
    response_model=ActionRead,
    status_code=201,
    operation_id="workspaces_actions_add",
    responses=problems(PermissionDenied, WorkspaceNotFound, NotAFlow),
)
def add_action(
    workspace_id: uuid.UUID, body: ActionCreate, actor: ActorDep, session: SessionDep
) -> ActionRead:
    """Add an action to a flow (internal users; clients get 403)."""
    action = roles.add_action(
        session,
        actor,
        workspace_id,
        title=body.title,
        description=body.description,
        role_id=body.role_id,
        assignee_id=body.assignee_id,
        due_on=body.due_on,
    )
    return ActionRead.of(action)


@router.get(
    "/me/workspaces",
    response_model=Timeline,
    operation_id="me_workspaces_list",
    responses=problems(NotAuthenticated),
)
def my_workspaces(
    auth: AuthDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> Timeline:
    """Your timeline: the workspaces you have joined in every portal, newest first."""
    if auth.user is None:
        raise NotAuthenticated("Sign in first: the timeline belongs to a person, not an API key.")
    rows, next_cursor = people_timeline.timeline(session, auth.user, cursor=cursor, limit=limit)
    return Timeline(
        items=[
            TimelineItem(
                id=w.id,
                name=w.name,
                kind=w.kind,
                portal=PortalRef(slug=p.slug, name=p.name),
                added_at=m.created_at,
            )
            for w, m, p in rows
        ],
        next_cursor=next_cursor,
    )


@router.get(
    W + "/messages",
    response_model=MessagePage,
    operation_id="workspaces_messages_list",
    responses=problems(WorkspaceNotFound, NotFound),
)
def list_messages(
    workspace_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    after: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> MessagePage:
    """The interaction panel, newest first, with each person's read mark. ``after``: only the
    messages newer than that one (polling)."""
    rows, next_cursor = workspace_messages.list_messages(
        session, actor, workspace_id, after=after, cursor=cursor, limit=limit
    )
    marks = workspace_messages.reads(session, workspace_id)
    return MessagePage(
        items=[MessageRead.of(m) for m in rows],
        next_cursor=next_cursor,
        reads=[ReadMark(user_id=r.user_id, read_at=r.read_at) for r in marks],
    )


@router.post(
    W + "/messages",
    response_model=MessageRead,
    status_code=201,
    operation_id="workspaces_messages_write",
    responses=problems(PermissionDenied, WorkspaceNotFound, InvalidInput),
)
def post_message(
    workspace_id: uuid.UUID, body: MessageCreate, actor: ActorDep, session: SessionDep
) -> MessageRead:
    """Write in the panel (clients too). Members named `@Their Name` are told, by id."""
    return MessageRead.of(workspace_messages.post(session, actor, workspace_id, body.text))


@router.post(
    W + "/messages/read",
    status_code=204,
    operation_id="workspaces_messages_read",
    responses=problems(PermissionDenied, WorkspaceNotFound),
)
def read_messages(workspace_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> Response:
    """Mark the panel read up to now (its unread count goes to 0)."""
    workspace_messages.mark_read(session, actor, workspace_id)
    return Response(status_code=204)


@router.post(
    W + "/actions/{action_id}/complete",
    response_model=ActionRead,
    operation_id="workspaces_actions_complete",
    responses=problems(PermissionDenied, WorkspaceNotFound, NotAFlow, NotFound),
)
def complete_action(
    workspace_id: uuid.UUID, action_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> ActionRead:
    """Mark an action done (its assignee, a client too, or an internal user of the workspace):
    its reminders stop and the panel says so."""
    return ActionRead.of(roles.complete_action(session, actor, workspace_id, action_id))


@router.post(
    W + "/actions/{action_id}/reopen",
    response_model=ActionRead,
    operation_id="workspaces_actions_reopen",
    responses=problems(PermissionDenied, WorkspaceNotFound, NotAFlow, NotFound),
)
def reopen_action(
    workspace_id: uuid.UUID, action_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> ActionRead:
    """Open a done action again (whoever may mark it done); an open one is answered as it is."""
    return ActionRead.of(roles.reopen_action(session, actor, workspace_id, action_id))


@router.delete(
    W + "/actions/{action_id}",
    status_code=204,
    operation_id="workspaces_actions_delete",
    responses=problems(PermissionDenied, WorkspaceNotFound, NotAFlow, NotFound),
)
def delete_action(
    workspace_id: uuid.UUID, action_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> None:
    """Delete an action for good (whoever may add actions; clients get 403)."""
    roles.delete_action(session, actor, workspace_id, action_id)


@router.patch(
    W + "/actions/{action_id}",
    response_model=ActionRead,
    operation_id="workspaces_actions_edit",
    responses=problems(PermissionDenied, WorkspaceNotFound, NotAFlow, NotFound, InvalidInput),
)
def edit_action(
    workspace_id: uuid.UUID, action_id: uuid.UUID, body: ActionUpdate, actor: ActorDep, session: SessionDep
) -> ActionRead:
    """Change an action's title, description or due date (whoever may add actions), checked as
    adding one is, every fault at once; `due_on: null` clears the date."""
    changes = body.model_dump(exclude_unset=True)
    return ActionRead.of(roles.edit_action(session, actor, workspace_id, action_id, changes))
