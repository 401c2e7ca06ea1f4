"""The permission table of DESIGN.md ("Who may do what"), walked through the real API.

This is the reference for anyone changing permissions: ``ROWS`` below is the table, one row per
action and one column per kind of caller. Change ``admit.policy``, then the cell here; the diff
shows in review. ``tests/test_policy.py`` checks the policy module itself; this module checks
that every route really asks it (and answers 401/403/404 as it should).

The columns (callers), all asking about portal A:

- ``owner``, ``admin``, ``member`` (an internal member), ``client``: people of portal A who
  joined with a password, signed in with a browser session (cookie + ``X-CSRF-Token``);
- ``outsider``: no credentials at all;
- ``other_portal``: the owner of portal B, signed in, not in portal A.

A cell is ``ALLOW`` (the call succeeds with a 2xx and writes what it should) or the status the
call must answer, having written nothing: 401 nobody signed in, 403 not allowed, 404 a portal or
workspace you are not in (never 403 for those: their existence is not told).

Each row is one test per database (``test_row[sqlite-invite-internal]``) that starts from the
world below (built and signed into once per database, its rows put back for each row), then runs
its six cells in the table's order, each as a subtest named after the cell
(``[invite-internal × member]``) with a target of its own (a new address, a new invitation, a
new join request...), so one cell's success cannot make the next one's call a no-op.

The world (``build_world``): portal A with its owner, an admin, an internal member and a
client; a flow workspace W ("Loan") that the owner, the member (its "Reviewer") and the client
(its "Client signer") are in; a flow workspace X that only the owner is in; portal B with its
owner.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from sqlalchemy import func, select, update

from admit import policy
from admit.auth import second_factor
from admit.auth.models import ApiKey, TotpFactor
from admit.contacts.models import Contact
from admit.directory.models import HrConnection, ScimToken
from admit.events.models import WebhookEndpoint
from admit.flows import join_requests as join_requests_flow
from admit.flows import members as members_flow
from admit.flows import workspace_links, workspace_people
from admit.imports.models import InvitationImport
from admit.invitations.models import Invitation
from admit.kit import clock
from admit.links import service as links_service
from admit.links.models import InviteLink, LinkSignup
from admit.members.models import Member, User
from admit.policy import Action
from admit.portals.models import Portal
from admit.teams.models import Team
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import (
    JoinRequest,
    RoleAssignment,
    Workspace,
    WorkspaceAction,
    WorkspaceMember,
    WorkspaceRole,
)
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    PortalFixture,
    active_member,
    actor_for,
    create_portal,
    invite,
    last_link,
    login,
    token_in,
)

ALLOW = "allow"
ACTORS = ("owner", "admin", "member", "client", "outsider", "other_portal")

# fmt: off
_TABLE: dict[str, tuple] = {
    #                                    owner  admin  member client outsider other_portal
    # invite new internal users (portal; new people into a workspace)
    "invite-internal":                  (ALLOW, ALLOW, 403,   403,   401,     404),
    "invite-internal-to-workspace":     (ALLOW, ALLOW, 403,   403,   401,     404),
    # add existing internal users to a workspace
    "add-internal-to-workspace":        (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    # take a client out of a workspace (not in the DESIGN.md table: internal users of the workspace;
    # the portal's owners and admins only by owners and admins: policy.check_remove_from_workspace)
    "remove-from-workspace":            (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    # invite new or existing clients (portal or workspace)
    "invite-client":                    (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "invite-client-to-workspace":       (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "add-client-to-workspace":          (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    # resend / revoke a pending portal invitation
    "resend-invitation":                (ALLOW, ALLOW, 403,   403,   401,     404),
    "revoke-invitation":                (ALLOW, ALLOW, 403,   403,   401,     404),
    # resend a workspace invitation: internal members only in workspaces they are in. Clients are
    # refused by role (403) before any workspace is looked up, so that tells them nothing either.
    "resend-workspace-invitation":      (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "resend-in-workspace-not-in":       (ALLOW, ALLOW, 404,   403,   401,     404),
    # manage the invite link (copy, refresh, policy)
    "copy-invite-link":                 (ALLOW, ALLOW, 403,   403,   401,     404),
    "change-invite-link-policy":        (ALLOW, ALLOW, 403,   403,   401,     404),
    "refresh-invite-link":              (ALLOW, ALLOW, 403,   403,   401,     404),
    # create workspaces, add actions (internal members: in workspaces they are in)
    "create-workspace":                 (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    # rename a workspace (internal users of it); delete one (owners and admins any, a member one
    # they created: it takes its messages and actions with it)
    "rename-workspace":                 (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "rename-workspace-not-in":          (ALLOW, ALLOW, 404,   403,   401,     404),
    "delete-workspace":                 (ALLOW, ALLOW, 403,   403,   401,     404),
    "delete-workspace-not-in":          (ALLOW, ALLOW, 404,   403,   401,     404),
    "delete-own-workspace":             (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "add-action":                       (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "add-action-in-workspace-not-in":   (ALLOW, ALLOW, 404,   403,   401,     404),
    # approve a workspace join request, choosing the user type (internal only if admin)
    "approve-join-request-as-client":   (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "approve-join-request-as-internal": (ALLOW, ALLOW, 403,   403,   401,     404),
    # change portal policies, products
    "change-portal-settings":           (ALLOW, ALLOW, 403,   403,   401,     404),
    "change-portal-brand":              (ALLOW, ALLOW, 403,   403,   401,     404),
    # internal teams (owners and admins); client groups and contacts (internal users)
    "create-team":                      (ALLOW, ALLOW, 403,   403,   401,     404),
    "create-client-group":              (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "add-contact":                      (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    # see a workspace: one you are in; one you are not in is 404, not 403 (admins see all)
    "see-workspace":                    (ALLOW, ALLOW, ALLOW, ALLOW, 401,     404),
    "see-workspace-not-in":             (ALLOW, ALLOW, 404,   404,   401,     404),
    # see invitations and people (internal users); internal invitations: owners and admins only
    "list-invitations":                 (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "see-internal-invitation":          (ALLOW, ALLOW, 404,   403,   401,     404),
    "list-people":                      (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "list-members":                     (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    # deactivate people, read the audit log, manage API keys (owners and admins)
    "deactivate-member":                (ALLOW, ALLOW, 403,   403,   401,     404),
    "reactivate-member":                (ALLOW, ALLOW, 403,   403,   401,     404),
    # change someone's role or products (owners and admins)
    "change-member-access":             (ALLOW, ALLOW, 403,   403,   401,     404),
    # reset someone's two-step verification: owners only
    "reset-member-two-factor":          (ALLOW, 403,   403,   403,   401,     404),
    "read-audit-log":                   (ALLOW, ALLOW, 403,   403,   401,     404),
    "export-audit-log":                 (ALLOW, ALLOW, 403,   403,   401,     404),
    "create-api-key":                   (ALLOW, ALLOW, 403,   403,   401,     404),
    "create-scim-token":                (ALLOW, ALLOW, 403,   403,   401,     404),
    "connect-hr-system":                (ALLOW, ALLOW, 403,   403,   401,     404),
    "add-webhook-endpoint":             (ALLOW, ALLOW, 403,   403,   401,     404),
    # the dev mailbox (development only; the deployment's, not a portal's): owners and admins of
    # any portal, or this machine; others signed in are refused, a visitor finds nothing (the
    # walk's client is not on loopback)
    "read-dev-mailbox":                 (ALLOW, ALLOW, 403,   403,   404,     ALLOW),
    # a workspace's link and its join requests (internal users of the workspace)
    "share-workspace-link":             (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    "share-link-of-workspace-not-in":   (ALLOW, ALLOW, 404,   403,   401,     404),
    "list-join-requests":               (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    # flow roles (internal users of the workspace)
    "assign-role":                      (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    # imports: a way in like any other (internal users only by owners and admins)
    "import-internal-users":            (ALLOW, ALLOW, 403,   403,   401,     404),
    "import-clients":                   (ALLOW, ALLOW, ALLOW, 403,   401,     404),
    # accept an invitation / join by link: anyone with a valid token, no credentials needed
    "accept-invitation":                (ALLOW, ALLOW, ALLOW, ALLOW, ALLOW,   ALLOW),
    "sign-up-by-portal-link":           (ALLOW, ALLOW, ALLOW, ALLOW, ALLOW,   ALLOW),
    "ask-to-join-by-workspace-link":    (ALLOW, ALLOW, ALLOW, ALLOW, ALLOW,   ALLOW),
}
# fmt: on
ROWS: dict[str, dict[str, Any]] = {
    row: dict(zip(ACTORS, cells, strict=True)) for row, cells in _TABLE.items()
}

# The policy action each row exercises (a row may exercise a target rule on top of it). Every
# Action of policy.py has at least one row: adding an action without one fails below.
A = Action
ROW_ACTIONS: dict[str, Action | tuple[Action, ...] | None] = {
    "invite-internal": A.INVITE_INTERNAL,
    "invite-internal-to-workspace": (A.WORKSPACE_ADD_MEMBERS, A.INVITE_INTERNAL),
    "add-internal-to-workspace": A.WORKSPACE_ADD_MEMBERS,
    "remove-from-workspace": A.WORKSPACE_REMOVE_MEMBERS,
    "invite-client": A.INVITE_CLIENT,
    "invite-client-to-workspace": A.INVITE_CLIENT,
    "add-client-to-workspace": A.WORKSPACE_ADD_MEMBERS,
    "resend-invitation": A.INVITATION_RESEND,
    "revoke-invitation": A.INVITATION_REVOKE,
    "resend-workspace-invitation": A.WORKSPACE_RESEND,
    "resend-in-workspace-not-in": A.WORKSPACE_RESEND,
    "copy-invite-link": A.LINK_MANAGE,
    "change-invite-link-policy": A.LINK_MANAGE,
    "refresh-invite-link": A.LINK_MANAGE,
    "create-workspace": A.WORKSPACE_CREATE,
    "rename-workspace": A.WORKSPACE_MANAGE,
    "rename-workspace-not-in": A.WORKSPACE_MANAGE,
    "delete-workspace": (A.WORKSPACE_MANAGE, A.WORKSPACE_DELETE_ANY),
    "delete-workspace-not-in": A.WORKSPACE_MANAGE,  # found first: not in it, 404
    "delete-own-workspace": A.WORKSPACE_MANAGE,
    "add-action": A.WORKSPACE_ACTION_ADD,
    "add-action-in-workspace-not-in": A.WORKSPACE_ACTION_ADD,
    "approve-join-request-as-client": A.JOIN_REQUEST_APPROVE,
    "approve-join-request-as-internal": (A.JOIN_REQUEST_APPROVE, A.INVITE_INTERNAL),
    "change-portal-settings": A.PORTAL_SETTINGS,
    "change-portal-brand": A.PORTAL_SETTINGS,
    "create-team": A.TEAM_MANAGE,
    "create-client-group": A.CLIENT_GROUP_MANAGE,
    "add-contact": A.CONTACT_MANAGE,
    "see-workspace": None,  # membership of the workspace, not a role's action
    "see-workspace-not-in": None,
    "list-invitations": A.INVITATION_VIEW,
    "see-internal-invitation": A.INVITATION_VIEW,
    "list-people": A.MEMBER_VIEW,
    "list-members": A.MEMBER_VIEW,
    "deactivate-member": A.MEMBER_DEACTIVATE,
    "reactivate-member": A.MEMBER_REACTIVATE,  # who may deactivate may bring back
    "change-member-access": A.MEMBER_CHANGE_ACCESS,
    "reset-member-two-factor": A.MEMBER_RESET_SECOND_FACTOR,
    "read-audit-log": A.AUDIT_VIEW,
    "export-audit-log": A.AUDIT_VIEW,  # who may read the log may download it
    "create-api-key": A.API_KEY_MANAGE,
    "create-scim-token": A.SCIM_MANAGE,
    "connect-hr-system": A.HR_MANAGE,
    "add-webhook-endpoint": A.WEBHOOK_MANAGE,
    "read-dev-mailbox": A.DEV_MAILBOX_VIEW,
    "share-workspace-link": A.WORKSPACE_LINK_MANAGE,
    "share-link-of-workspace-not-in": A.WORKSPACE_LINK_MANAGE,
    "list-join-requests": A.JOIN_REQUEST_APPROVE,
    "assign-role": A.WORKSPACE_ROLES,
    "import-internal-users": A.INVITE_INTERNAL,
    "import-clients": A.INVITE_CLIENT,
    "accept-invitation": None,  # a token, not a role
    "sign-up-by-portal-link": None,
    "ask-to-join-by-workspace-link": None,
}


def test_every_action_has_a_row():
    """The walk covers every Action in policy.py (and names no row twice)."""
    assert set(ROW_ACTIONS) == set(ROWS)
    assert {a for actions in ROW_ACTIONS.values() for a in _actions(actions)} == set(Action)


def _actions(actions) -> tuple:
    if actions is None:
        return ()
    return actions if isinstance(actions, tuple) else (actions,)


def test_the_table_agrees_with_the_policy():
    """Each row's cells for the portal's own people are what policy.can says for their role
    (a 404 for a member is a target rule: a workspace they are not in, an internal invitation)."""
    for row, actions in ROW_ACTIONS.items():
        if actions is None:
            continue
        for role in ("owner", "admin", "member", "client"):
            allowed = ROWS[row][role] in (ALLOW, 404)
            assert allowed == all(policy.can(role, a) for a in _actions(actions)), (row, role)


# Every cell answers what DESIGN.md's table says: no known disagreement is parked here.


# --- the world ------------------------------------------------------------------------------

PEOPLE = {
    "owner": "owner@acme.com",
    "admin": "ada@acme.com",
    "member": "mel@acme.com",
    "client": "cleo@client.org",
    "other_portal": "boss@other.com",
}
PASSWORDS = {"owner": OWNER_PASSWORD, "other_portal": OWNER_PASSWORD}


@dataclass
class World:
    db: Any
    worker: Any
    a: PortalFixture
    b: PortalFixture
    w: uuid.UUID  # flow workspace: the owner, the member and the client are in it
    x: uuid.UUID  # flow workspace: only the owner is in it
    reviewer: uuid.UUID  # a role of W
    sessions: dict[str, tuple[list, dict]] = field(default_factory=dict)  # see ``Kept``

    def api(self, path: str) -> str:
        return f"/api/v1/portals/{self.a.slug}{path}"

    def scalar(self, query):
        with self.db.unit_of_work() as session:
            return session.scalar(query)

    def count(self, model, *where) -> int:
        return self.scalar(select(func.count()).select_from(model).where(*where))

    def as_owner(self, fn: Callable):
        """``fn(session, actor)`` as portal A's owner, through the services."""
        with self.db.unit_of_work() as session:
            return fn(session, actor_for(session, self.a.slug, self.a.owner_email))


def build_world(db, worker) -> World:
    a = create_portal(db)
    b = create_portal(db, name="Other Co", owner_email=PEOPLE["other_portal"])
    # The world is the setting, not the subject: its people are members straight away.
    active_member(db, a, PEOPLE["admin"], role="admin")
    active_member(db, a, PEOPLE["member"])
    active_member(db, a, PEOPLE["client"], user_type="client")
    with db.unit_of_work() as session:
        ids = dict(session.execute(select(User.email, User.id)).all())
        owner = actor_for(session, a.slug, a.owner_email)
        w = workspaces_service.create(
            session, owner, name="Loan", kind="flow", roles=["Reviewer", "Client signer"]
        )
        x = workspaces_service.create(session, owner, name="Owner only", kind="flow")
        member, client = ids[PEOPLE["member"]], ids[PEOPLE["client"]]
        workspace_people.add_people(session, owner, w.id, user_ids=[member, client])
        reviewer, signer = session.scalars(
            select(WorkspaceRole.id)
            .where(WorkspaceRole.workspace_id == w.id)
            .order_by(WorkspaceRole.position)
        ).all()
        workspace_people.assign_role(session, owner, w.id, reviewer, user_id=member)
        workspace_people.assign_role(session, owner, w.id, signer, user_id=client)
        return World(db=db, worker=worker, a=a, b=b, w=w.id, x=x.id, reviewer=reviewer)


def sign_in(client, actor: str) -> dict:
    """Headers (and the client's cookie) for ``actor``: a browser session, or nothing."""
    client.cookies.clear()
    if actor == "outsider":
        return {}
    return {"X-CSRF-Token": login(client, PEOPLE[actor], PASSWORDS.get(actor, PASSWORD))}


def fresh(actor: str, address: str) -> str:
    """An address of the cell's own: ``fresh("admin", "jo@home.net")`` → ``admin.jo@home.net``."""
    return f"{actor.replace('_', '-')}.{address}"


# --- the calls: one per row, on a target made for the cell ------------------------------------


@dataclass
class Call:
    method: str
    path: str
    json: dict | None = None
    # What the call would change, read before and after: it must change when allowed (calls
    # that write) and must not change when refused.
    probe: Callable[[], Any] | None = None


CALLS: dict[str, Callable[[World, str], Call]] = {}


def call(row: str):
    def register(fn):
        assert row in ROWS, row
        CALLS[row] = fn
        return fn

    return register


def invitations_to(w: World, address: str) -> Callable[[], int]:
    return lambda: w.count(Invitation, Invitation.recipient == address)


def in_workspace(w: World, workspace_id, address: str) -> Callable[[], int]:
    return lambda: w.count(
        WorkspaceMember,
        WorkspaceMember.workspace_id == workspace_id,
        WorkspaceMember.user_id.in_(select(User.id).where(User.email == address)),
    )


@call("invite-internal")
def _(w: World, actor: str) -> Call:
    to = fresh(actor, "staff@acme.com")
    body = {"recipients": [to], "user_type": "internal", "role": "member"}
    return Call("POST", w.api("/invitations"), body, invitations_to(w, to))


@call("invite-internal-to-workspace")
def _(w: World, actor: str) -> Call:
    to = fresh(actor, "staff@acme.com")
    body = {"recipients": [to], "user_type": "internal"}
    return Call("POST", w.api(f"/workspaces/{w.w}/members"), body, invitations_to(w, to))


@call("add-internal-to-workspace")
def _(w: World, actor: str) -> Call:
    ivy = fresh(actor, "ivy@acme.com")
    active_member(w.db, w.a, ivy)  # the target is the setting: a member straight away
    body = {"user_ids": [str(w.scalar(select(User.id).where(User.email == ivy)))]}
    return Call("POST", w.api(f"/workspaces/{w.w}/members"), body, in_workspace(w, w.w, ivy))


@call("remove-from-workspace")
def _(w: World, actor: str) -> Call:
    cora = fresh(actor, "cora@client.org")
    active_member(w.db, w.a, cora, user_type="client", password=None)
    cora_id = w.scalar(select(User.id).where(User.email == cora))
    with w.db.unit_of_work() as session:
        owner = actor_for(session, w.a.slug, w.a.owner_email)
        workspace_people.add_people(session, owner, w.w, user_ids=[cora_id])
    return Call("DELETE", w.api(f"/workspaces/{w.w}/members/{cora_id}"), None, in_workspace(w, w.w, cora))


@call("invite-client")
def _(w: World, actor: str) -> Call:
    to = fresh(actor, "jo@home.net")
    body = {"recipients": [to], "user_type": "client"}
    return Call("POST", w.api("/invitations"), body, invitations_to(w, to))


@call("invite-client-to-workspace")
def _(w: World, actor: str) -> Call:
    to = fresh(actor, "jo@home.net")
    return Call("POST", w.api(f"/workspaces/{w.w}/members"), {"recipients": [to]}, in_workspace(w, w.w, to))


@call("add-client-to-workspace")
def _(w: World, actor: str) -> Call:
    cora = fresh(actor, "cora@client.org")
    active_member(w.db, w.a, cora, user_type="client", password=None)
    return Call(
        "POST", w.api(f"/workspaces/{w.w}/members"), {"recipients": [cora]}, in_workspace(w, w.w, cora)
    )


def _pending_invitation(w: World, actor: str) -> uuid.UUID:
    return invite(w.db, w.a, [fresh(actor, "pending@acme.com")]).invited[0].id


@call("resend-invitation")
def _(w: World, actor: str) -> Call:
    inv = _pending_invitation(w, actor)
    probe = lambda: w.scalar(select(Invitation.send_count).where(Invitation.id == inv))  # noqa: E731
    return Call("POST", w.api(f"/invitations/{inv}/resend"), None, probe)


@call("revoke-invitation")
def _(w: World, actor: str) -> Call:
    inv = _pending_invitation(w, actor)
    probe = lambda: w.scalar(select(Invitation.status).where(Invitation.id == inv))  # noqa: E731
    return Call("POST", w.api(f"/invitations/{inv}/revoke"), None, probe)


def _resend_in(w: World, actor: str, workspace_id) -> Call:
    """A new client added to the workspace by the owner (Not Joined); Resend Invitation."""
    to = fresh(actor, "nora@home.net")
    added = w.as_owner(lambda s, owner: workspace_people.add_people(s, owner, workspace_id, recipients=[to]))
    probe = lambda: w.scalar(select(Invitation.send_count).where(Invitation.recipient == to))  # noqa: E731
    return Call("POST", w.api(f"/workspaces/{workspace_id}/members/{added[0].user_id}/resend"), None, probe)


@call("resend-workspace-invitation")
def _(w: World, actor: str) -> Call:
    return _resend_in(w, actor, w.w)


@call("resend-in-workspace-not-in")
def _(w: World, actor: str) -> Call:
    return _resend_in(w, actor, w.x)


def _portal_link(w: World, column) -> Callable[[], Any]:
    return lambda: w.scalar(select(column).where(InviteLink.portal_id == w.a.portal_id))


@call("copy-invite-link")
def _(w: World, actor: str) -> Call:
    return Call("POST", w.api("/link"))  # makes it if there is none, answers it


@call("change-invite-link-policy")
def _(w: World, actor: str) -> Call:
    w.as_owner(links_service.open_portal_link)
    body = {"allowed_domains": [fresh(actor, "example.com")]}
    return Call("PATCH", w.api("/link"), body, _portal_link(w, InviteLink.allowed_domains))


@call("refresh-invite-link")
def _(w: World, actor: str) -> Call:
    w.as_owner(links_service.open_portal_link)
    return Call("POST", w.api("/link/refresh"), None, _portal_link(w, InviteLink.token_hash))


@call("create-workspace")
def _(w: World, actor: str) -> Call:
    name = f"Flow by {actor}"
    body = {"name": name, "kind": "flow", "roles": ["Signer"]}
    return Call("POST", w.api("/workspaces"), body, lambda: w.count(Workspace, Workspace.name == name))


def _rename(w: World, actor: str, workspace_id) -> Call:
    probe = lambda: w.scalar(select(Workspace.name).where(Workspace.id == workspace_id))  # noqa: E731
    return Call("PATCH", w.api(f"/workspaces/{workspace_id}"), {"name": f"Renamed by {actor}"}, probe)


@call("rename-workspace")
def _(w: World, actor: str) -> Call:
    return _rename(w, actor, w.w)


@call("rename-workspace-not-in")
def _(w: World, actor: str) -> Call:
    return _rename(w, actor, w.x)


def _delete(w: World, actor: str, *, with_people: bool) -> Call:
    """A workspace of the cell's own: the member and the client in it too (``with_people``), or
    the owner alone."""

    def make(session, owner):
        ws = workspaces_service.create(session, owner, name=f"Doomed for {actor} {with_people}")
        if with_people:
            ids = session.scalars(select(User.id).where(User.email.in_([PEOPLE["member"], PEOPLE["client"]])))
            workspace_people.add_people(session, owner, ws.id, user_ids=list(ids))
        return ws.id

    ws_id = w.as_owner(make)
    probe = lambda: w.count(Workspace, Workspace.id == ws_id)  # noqa: E731
    return Call("DELETE", w.api(f"/workspaces/{ws_id}"), None, probe)


@call("delete-workspace")
def _(w: World, actor: str) -> Call:
    return _delete(w, actor, with_people=True)


@call("delete-workspace-not-in")
def _(w: World, actor: str) -> Call:
    return _delete(w, actor, with_people=False)


@call("delete-own-workspace")
def _(w: World, actor: str) -> Call:
    """A workspace the caller created (the owner makes a client's: a client creates none)."""
    maker = actor if actor in ("owner", "admin", "member") else "owner"

    def make(session, _owner):
        ws = workspaces_service.create(
            session, actor_for(session, w.a.slug, PEOPLE[maker]), name=f"Made by {actor}"
        )
        return ws.id

    ws_id = w.as_owner(make)
    probe = lambda: w.count(Workspace, Workspace.id == ws_id)  # noqa: E731
    return Call("DELETE", w.api(f"/workspaces/{ws_id}"), None, probe)


def _add_action(w: World, workspace_id, role_id=None) -> Call:
    body = {"title": "Sign the form", "due_on": "2030-01-31", "role_id": str(role_id) if role_id else None}
    probe = lambda: w.count(WorkspaceAction, WorkspaceAction.workspace_id == workspace_id)  # noqa: E731
    return Call("POST", w.api(f"/workspaces/{workspace_id}/actions"), body, probe)


@call("add-action")
def _(w: World, actor: str) -> Call:
    return _add_action(w, w.w, w.reviewer)


@call("add-action-in-workspace-not-in")
def _(w: World, actor: str) -> Call:
    return _add_action(w, w.x)


def _token(url: str) -> str:
    return token_in(url, "join")


def _link_token(w: World, workspace_id=None) -> str:
    if workspace_id is None:  # the portal's link, turned on (a new one starts off)
        return _token(
            w.as_owner(
                lambda s, owner: links_service.update_portal_link(s, owner, enabled=True, allowed_domains=[])
            ).url
        )
    return _token(w.as_owner(lambda s, owner: workspace_links.open_link(s, owner, workspace_id)[0]).url)


def _approve(w: World, actor: str, user_type: str) -> Call:
    """Someone asks to join W through its link; approve them as ``user_type``."""
    with w.db.unit_of_work() as session:
        request = join_requests_flow.request_to_join(
            session, token=_link_token(w, w.w), email=fresh(actor, "jo@home.net"), name="Jo"
        )
        request_id = request.id
    probe = lambda: w.scalar(select(JoinRequest.status).where(JoinRequest.id == request_id))  # noqa: E731
    return Call("POST", w.api(f"/join-requests/{request_id}/approve"), {"user_type": user_type}, probe)


@call("approve-join-request-as-client")
def _(w: World, actor: str) -> Call:
    return _approve(w, actor, "client")


@call("approve-join-request-as-internal")
def _(w: World, actor: str) -> Call:
    return _approve(w, actor, "internal")


@call("change-portal-settings")
def _(w: World, actor: str) -> Call:
    hours = 2 + ACTORS.index(actor)  # a value of the cell's own
    body = {"invitation_ttl_seconds": hours * 3600, "client_require_password": True, "enabled_products": []}
    probe = lambda: w.scalar(  # noqa: E731
        select(Portal.invitation_ttl_seconds).where(Portal.id == w.a.portal_id)
    )
    return Call("PATCH", f"/api/v1/portals/{w.a.slug}", body, probe)


@call("change-portal-brand")
def _(w: World, actor: str) -> Call:
    colour = f"#0000{ACTORS.index(actor):02x}"  # a value of the cell's own
    probe = lambda: w.scalar(select(Portal.brand_color).where(Portal.id == w.a.portal_id))  # noqa: E731
    return Call("PATCH", f"/api/v1/portals/{w.a.slug}", {"brand_color": colour}, probe)


@call("create-team")
def _(w: World, actor: str) -> Call:
    name = f"Tax ({actor})"
    return Call("POST", w.api("/teams"), {"name": name}, lambda: w.count(Team, Team.name == name))


@call("create-client-group")
def _(w: World, actor: str) -> Call:
    name = f"Smith family ({actor})"
    body = {"name": name, "recipients": [fresh(actor, "smith@home.net")]}
    return Call("POST", w.api("/client-groups"), body, lambda: w.count(Team, Team.name == name))


@call("add-contact")
def _(w: World, actor: str) -> Call:
    body = {"recipient": fresh(actor, "jo@home.net"), "user_type": "client", "then": "quietly"}
    return Call("POST", w.api("/contacts"), body, lambda: w.count(Contact))


@call("see-workspace")
def _(w: World, actor: str) -> Call:
    return Call("GET", w.api(f"/workspaces/{w.w}"))


@call("see-workspace-not-in")
def _(w: World, actor: str) -> Call:
    return Call("GET", w.api(f"/workspaces/{w.x}"))


@call("accept-invitation")
def _(w: World, actor: str) -> Call:
    """An invitation addressed to the caller, to a portal they are not in: B for A's people, A
    for B's owner, A for a new address (the outsider). The token is what counts; a signed-in
    caller must be the person invited."""
    if actor in ("owner", "admin", "member", "client"):
        portal, to = w.b, PEOPLE[actor]
    else:
        portal, to = w.a, PEOPLE.get(actor) or fresh(actor, "jo@home.net")
    inv = invite(w.db, portal, [to], user_type="client").invited[0].id
    w.worker.drain()
    probe = lambda: w.scalar(select(Invitation.status).where(Invitation.id == inv))  # noqa: E731
    return Call("POST", f"/api/v1/invitations/{last_link(w.db, to)}/accept", {"name": "Jo"}, probe)


@call("sign-up-by-portal-link")
def _(w: World, actor: str) -> Call:
    to = fresh(actor, "jo@home.net")
    probe = lambda: w.count(LinkSignup, LinkSignup.email == to)  # noqa: E731
    return Call("POST", f"/api/v1/links/{_link_token(w)}/signup", {"email": to, "name": "Jo"}, probe)


@call("ask-to-join-by-workspace-link")
def _(w: World, actor: str) -> Call:
    to = fresh(actor, "jo@home.net")
    probe = lambda: w.count(JoinRequest, JoinRequest.email == to)  # noqa: E731
    return Call(
        "POST", f"/api/v1/links/{_link_token(w, w.w)}/join-requests", {"email": to, "name": "Jo"}, probe
    )


@call("list-invitations")
def _(w: World, actor: str) -> Call:
    return Call("GET", w.api("/invitations"))


@call("see-internal-invitation")
def _(w: World, actor: str) -> Call:
    return Call("GET", w.api(f"/invitations/{_pending_invitation(w, actor)}"))


@call("list-people")
def _(w: World, actor: str) -> Call:
    return Call("GET", w.api("/people"))


@call("list-members")
def _(w: World, actor: str) -> Call:
    return Call("GET", w.api("/members"))


@call("deactivate-member")
def _(w: World, actor: str) -> Call:
    zed = fresh(actor, "zed@acme.com")
    active_member(w.db, w.a, zed)
    member_id = w.scalar(select(Member.id).join(User, User.id == Member.user_id).where(User.email == zed))
    probe = lambda: w.scalar(select(Member.status).where(Member.id == member_id))  # noqa: E731
    return Call("POST", w.api(f"/members/{member_id}/deactivate"), None, probe)


@call("reactivate-member")
def _(w: World, actor: str) -> Call:
    zed = fresh(actor, "zed@acme.com")
    active_member(w.db, w.a, zed)
    member_id = w.scalar(select(Member.id).join(User, User.id == Member.user_id).where(User.email == zed))
    w.as_owner(lambda session, owner: members_flow.deactivate(session, owner, member_id))
    probe = lambda: w.scalar(select(Member.status).where(Member.id == member_id))  # noqa: E731
    return Call("POST", w.api(f"/members/{member_id}/reactivate"), None, probe)


@call("change-member-access")
def _(w: World, actor: str) -> Call:
    zed = fresh(actor, "zed@acme.com")
    active_member(w.db, w.a, zed)
    member_id = w.scalar(select(Member.id).join(User, User.id == Member.user_id).where(User.email == zed))
    probe = lambda: w.scalar(select(Member.role).where(Member.id == member_id))  # noqa: E731
    return Call("PATCH", w.api(f"/members/{member_id}"), {"role": "admin"}, probe)


@call("reset-member-two-factor")
def _(w: World, actor: str) -> Call:
    zed = fresh(actor, "zed@acme.com")
    active_member(w.db, w.a, zed)
    user_id = w.scalar(select(User.id).where(User.email == zed))
    member_id = w.scalar(select(Member.id).where(Member.user_id == user_id))
    with w.db.unit_of_work() as session:  # an authenticator app, set up
        user = session.get(User, user_id)
        second_factor.begin(session, user, issuer="Acme")
        session.execute(
            update(TotpFactor).where(TotpFactor.user_id == user_id).values(confirmed_at=clock.now())
        )
    probe = lambda: w.count(TotpFactor, TotpFactor.user_id == user_id)  # noqa: E731
    return Call("POST", w.api(f"/members/{member_id}/reset-two-factor"), None, probe)


@call("read-audit-log")
def _(w: World, actor: str) -> Call:
    return Call("GET", w.api("/audit-events"))


@call("export-audit-log")
def _(w: World, actor: str) -> Call:
    return Call("GET", w.api("/audit-events.csv"))


@call("create-api-key")
def _(w: World, actor: str) -> Call:
    name = f"HR sync ({actor})"
    return Call("POST", w.api("/api-keys"), {"name": name}, lambda: w.count(ApiKey, ApiKey.name == name))


@call("create-scim-token")
def _(w: World, actor: str) -> Call:
    name = f"Okta ({actor})"
    return Call(
        "POST", w.api("/scim-tokens"), {"name": name}, lambda: w.count(ScimToken, ScimToken.name == name)
    )


@call("connect-hr-system")
def _(w: World, actor: str) -> Call:
    url = f"https://hr.example.com/{actor}.json"
    body = {"provider": "generic", "base_url": url, "fields_granted": True, "check": False}
    return Call(
        "POST",
        w.api("/directory/connections"),
        body,
        lambda: w.count(HrConnection, HrConnection.base_url == url),
    )


@call("add-webhook-endpoint")
def _(w: World, actor: str) -> Call:
    url = f"https://93.184.215.14/hooks/{actor}"  # a public address: no DNS needed
    body = {"url": url, "events": ["member.joined"]}
    return Call(
        "POST", w.api("/webhooks"), body, lambda: w.count(WebhookEndpoint, WebhookEndpoint.url == url)
    )


@call("read-dev-mailbox")
def _(w: World, actor: str) -> Call:
    return Call("GET", "/api/v1/dev/messages")


@call("share-workspace-link")
def _(w: World, actor: str) -> Call:
    return Call("POST", w.api(f"/workspaces/{w.w}/link"))


@call("share-link-of-workspace-not-in")
def _(w: World, actor: str) -> Call:
    return Call("POST", w.api(f"/workspaces/{w.x}/link"))


@call("list-join-requests")
def _(w: World, actor: str) -> Call:
    return Call("GET", w.api("/join-requests"))


@call("assign-role")
def _(w: World, actor: str) -> Call:
    """The Reviewer role of W, to a new client invited straight into it."""
    to = fresh(actor, "rev@home.net")

    def probe():  # who holds the role now
        return w.scalar(
            select(User.email)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role_id == w.reviewer, RoleAssignment.ended_at.is_(None))
        )

    body = {"recipient": to, "user_type": "client"}
    return Call("POST", w.api(f"/workspaces/{w.w}/roles/{w.reviewer}/assign"), body, probe)


def _import(w: World, actor: str, user_type: str) -> Call:
    text = "\n".join(fresh(actor, f"row{i}@example.com") for i in range(3))
    body = {"text": text, "user_type": user_type}
    return Call("POST", w.api("/invitation-imports"), body, lambda: w.count(InvitationImport))


@call("import-internal-users")
def _(w: World, actor: str) -> Call:
    return _import(w, actor, "internal")


@call("import-clients")
def _(w: World, actor: str) -> Call:
    return _import(w, actor, "client")


assert set(CALLS) == set(ROWS), set(ROWS) ^ set(CALLS)


# --- the test -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(_app):
    """One test client for the module over the backend's app (each cell takes its actor's cookies)."""
    from fastapi.testclient import TestClient

    with TestClient(_app) as client:
        yield client


@dataclass
class Kept:
    """The world as built, once per backend: its rows, and each actor's signed-in session (the
    client's cookies and the CSRF token of the sign-in)."""

    world: World
    rows: dict
    sessions: dict[str, tuple[list, dict]]


@pytest.fixture(scope="module")
def _kept() -> dict[str, Kept]:
    return {}


@pytest.fixture
def world(_kept, database_url, db, worker, api, table_rows) -> World:
    """The world of the module docstring, its people signed in. Built and signed into once per
    backend (a world costs ~20 requests' worth of writes, a sign-in a request); each row starts
    from its rows again, so no row sees what another row's cells wrote."""
    kept = _kept.get(database_url)
    if kept is None:
        world = build_world(db, worker)
        sessions = {}
        for actor in ACTORS:
            headers = sign_in(api, actor)
            sessions[actor] = (list(api.cookies.jar), headers)
        kept = _kept[database_url] = Kept(world, table_rows.keep(), sessions)
    else:
        table_rows.put_back(kept.rows)
    return replace(kept.world, db=db, worker=worker, sessions=kept.sessions)


def signed_in(client, world: World, actor: str) -> dict:
    """Headers (and the client's cookies) of ``actor``'s session: a browser session, or nothing."""
    cookies, headers = world.sessions[actor]
    client.cookies.clear()
    for cookie in cookies:
        client.cookies.jar.set_cookie(cookie)
    return headers


def check_cell(client, world: World, row: str, actor: str) -> None:
    expected = ROWS[row][actor]
    c = CALLS[row](world, actor)
    headers = signed_in(client, world, actor)
    before = c.probe() if c.probe else None
    r = client.request(c.method, c.path, json=c.json, headers=headers)
    after = c.probe() if c.probe else None
    cell = f"[{row} × {actor}] {c.method} {c.path}"
    if expected == ALLOW:
        assert 200 <= r.status_code < 300, f"{cell}: expected allowed, got {r.status_code} {r.text}"
        if c.probe and c.method != "GET":
            assert after != before, f"{cell}: allowed, but nothing changed ({before!r})"
    else:
        assert r.status_code == expected, f"{cell}: expected {expected}, got {r.status_code} {r.text}"
        if c.probe:
            assert after == before, f"{cell}: refused, but it wrote something ({before!r} → {after!r})"


@pytest.mark.parametrize("row", list(ROWS))
def test_row(row, world, api, subtests):
    """Every caller makes the row's call, each on a target of their own; each cell as the table says."""
    for actor in ACTORS:
        with subtests.test(msg=f"{row} × {actor}"):
            check_cell(api, world, row, actor)
