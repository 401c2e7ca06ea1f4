"""Who may do what: the one place permissions are decided.

The API, the pages and the CLI never check roles themselves; services call ``require``.
``ROLE_ACTIONS`` is the table from DESIGN.md ("Who may do what"); rules that depend on the
target as well as the role are the small functions below it. ``tests/test_policy.py`` walks
the whole table, so changing it shows up as a test diff.

Roles: ``owner``, ``admin``, ``member`` (internal users) and ``client``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from admit.errors import InvalidInput, PermissionDenied


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    CLIENT = "client"


def role_phrase(role: Role | str, *, capitalised: bool = False) -> str:
    """A role as a sentence says it, with its article: "an admin", "a member" ("an Admin" when
    ``capitalised``, as a role is named in a notice). The pages' welcome, a role change's
    notice and the API's word to an API key all say it so."""
    name = Role(role).value
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name.capitalize() if capitalised else name}"


class UserType(StrEnum):
    INTERNAL = "internal"
    CLIENT = "client"


def invited_as(user_type: UserType | str, role: Role | str) -> str:
    """As what someone is invited, as a notice says it after "Invited as": "a client", or "an
    internal user (Member)" with their role, as the invitation's email says it."""
    if UserType(user_type) is UserType.CLIENT:
        return "a client"
    return f"an internal user ({Role(role).value.capitalize()})"


INTERNAL_ROLES = (Role.OWNER, Role.ADMIN, Role.MEMBER)


def user_type_of(value: str, *, field: str = "user_type") -> UserType:
    """``value`` as a user type, or ``InvalidInput`` naming ``field``: the one wording of a user
    type that is neither, for every face and every place that takes one."""
    if value not in tuple(UserType):
        raise InvalidInput("The user type must be internal or client.", field=field)
    return UserType(value)


def internal_role_of(value: str, *, field: str = "role") -> Role:
    """``value`` as an internal user's role, or ``InvalidInput`` naming ``field``."""
    if value not in tuple(INTERNAL_ROLES):
        raise InvalidInput("An internal user's role must be owner, admin or member.", field=field)
    return Role(value)


def client_role_fault(user_type: UserType | str, role: Role | str | None) -> str | None:
    """Why ``role`` is no role for someone of ``user_type`` to be given (an invitation's, an
    invite link's, a list's row): a client's is the client role, whatever is asked (none asked:
    theirs). None: it may be."""
    if UserType(user_type) is UserType.CLIENT and role not in (None, "", Role.CLIENT):
        return "Clients always have the client role."
    return None


def role_asked(user_type: UserType | str, role: str | None) -> str | None:
    """The role a form asks for with its role list shown whatever the user type chosen (the
    Invite box, an HR sync's preview): an internal user's as chosen; none for a client, whose
    role is the client role (given by the pipeline; ``client_role_fault`` refuses another), nor
    for a user type that is none (refused for itself)."""
    return role if user_type == UserType.INTERNAL else None


# The products a portal offers its people; a member or an invitation holds a list of them.
ALL_PRODUCTS = ("messaging", "workspaces", "billing", "analytics")


class Action(StrEnum):
    INVITE_INTERNAL = "invitation.create_internal"
    INVITE_CLIENT = "invitation.create_client"
    INVITATION_VIEW = "invitation.view"
    INVITATION_RESEND = "invitation.resend"
    INVITATION_REVOKE = "invitation.revoke"
    MEMBER_VIEW = "member.view"
    MEMBER_DEACTIVATE = "member.deactivate"
    MEMBER_REACTIVATE = "member.reactivate"  # the one way back for a deactivated member
    MEMBER_CHANGE_ACCESS = "member.change_access"  # a member's role, and the products they may use
    MEMBER_RESET_SECOND_FACTOR = "member.reset_second_factor"  # owners only: an account's way in
    PORTAL_SETTINGS = "portal.settings"
    AUDIT_VIEW = "audit.view"
    API_KEY_MANAGE = "api_key.manage"
    WEBHOOK_MANAGE = "webhook.manage"
    SCIM_MANAGE = "scim.manage"  # SCIM tokens, and what a SCIM client does with one
    HR_MANAGE = "hr.manage"  # HR-system connections: connect, preview, sync, auto-pilot
    LINK_MANAGE = "invite_link.manage"
    WORKSPACE_CREATE = "workspace.create"
    WORKSPACE_MANAGE = "workspace.manage"  # rename one; delete one they created
    WORKSPACE_DELETE_ANY = "workspace.delete_any"  # delete any, whoever created it
    WORKSPACE_LINK_MANAGE = "workspace_link.manage"
    JOIN_REQUEST_APPROVE = "join_request.approve"
    WORKSPACE_ADD_MEMBERS = "workspace.add_members"
    WORKSPACE_REMOVE_MEMBERS = "workspace.remove_members"
    WORKSPACE_RESEND = "workspace.resend_invitation"
    WORKSPACE_ROLES = "workspace.manage_roles"
    WORKSPACE_ACTION_ADD = "workspace.add_action"
    TEAM_MANAGE = "team.manage"
    CLIENT_GROUP_MANAGE = "client_group.manage"
    CONTACT_MANAGE = "contact.manage"
    DEV_MAILBOX_VIEW = "dev_mailbox.view"  # every email and its links, in development


_ADMIN_ACTIONS = frozenset(Action) - {Action.MEMBER_RESET_SECOND_FACTOR}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.ADMIN: _ADMIN_ACTIONS,
    Role.MEMBER: frozenset(
        {
            Action.INVITE_CLIENT,
            Action.INVITATION_VIEW,
            Action.MEMBER_VIEW,
            # Inside workspaces they are in (workspaces.service.accessible_workspace_ids).
            Action.WORKSPACE_CREATE,
            # Whoever may create a workspace may rename one they are in (as teams), and delete
            # one they created (``check_delete_workspace``): deleting takes all it holds.
            Action.WORKSPACE_MANAGE,
            Action.WORKSPACE_LINK_MANAGE,
            Action.JOIN_REQUEST_APPROVE,
            # Existing users of any type, and new clients; new internal users need INVITE_INTERNAL.
            Action.WORKSPACE_ADD_MEMBERS,
            Action.WORKSPACE_REMOVE_MEMBERS,
            Action.WORKSPACE_RESEND,
            Action.WORKSPACE_ROLES,
            Action.WORKSPACE_ACTION_ADD,
            Action.CLIENT_GROUP_MANAGE,
            Action.CONTACT_MANAGE,
        }
    ),
    Role.CLIENT: frozenset(),
}

DENIED_MESSAGE: dict[Action, str] = {
    Action.INVITE_INTERNAL: "Only owners and admins can invite internal users.",
    Action.INVITE_CLIENT: "Only internal users can invite clients.",
    Action.INVITATION_VIEW: "Only internal users can see invitations.",
    Action.INVITATION_RESEND: "Only owners and admins can resend invitations.",
    Action.INVITATION_REVOKE: "Only owners and admins can revoke invitations.",
    Action.MEMBER_VIEW: "Only internal users can see the people in this portal.",
    Action.MEMBER_DEACTIVATE: "Only owners and admins can deactivate people.",
    Action.MEMBER_REACTIVATE: "Only owners and admins can reactivate people.",
    Action.MEMBER_CHANGE_ACCESS: "Only owners and admins can change someone's role or products.",
    Action.MEMBER_RESET_SECOND_FACTOR: "Only owners can reset someone's two-step verification.",
    Action.PORTAL_SETTINGS: "Only owners and admins can change portal settings.",
    Action.AUDIT_VIEW: "Only owners and admins can read the audit log.",
    Action.API_KEY_MANAGE: "Only owners and admins can manage API keys.",
    Action.WEBHOOK_MANAGE: "Only owners and admins can manage webhooks.",
    Action.SCIM_MANAGE: "Only owners and admins can manage SCIM provisioning.",
    Action.HR_MANAGE: "Only owners and admins can connect and sync an HR system.",
    Action.LINK_MANAGE: "Only owners and admins can manage the portal's invite link.",
    Action.WORKSPACE_CREATE: "Only internal users can create workspaces.",
    Action.WORKSPACE_MANAGE: "Only internal users of the workspace can rename or delete it.",
    Action.WORKSPACE_DELETE_ANY: "Only owners, admins and the person who created a workspace can delete it.",
    Action.WORKSPACE_LINK_MANAGE: "Only internal users of the workspace can share its link.",
    Action.JOIN_REQUEST_APPROVE: "Only internal users of the workspace can answer join requests.",
    Action.WORKSPACE_ADD_MEMBERS: "Only internal users can invite people to a workspace.",
    Action.WORKSPACE_REMOVE_MEMBERS: "Only internal users of the workspace can remove people from it.",
    Action.WORKSPACE_RESEND: "Only internal users of the workspace can resend its invitations.",
    Action.WORKSPACE_ROLES: "Only internal users of the workspace can manage its roles.",
    Action.WORKSPACE_ACTION_ADD: "Only internal users of the workspace can add actions.",
    Action.TEAM_MANAGE: "Only owners and admins can manage internal teams.",
    Action.CLIENT_GROUP_MANAGE: "Only internal users can manage client groups.",
    Action.CONTACT_MANAGE: "Only internal users can keep contacts.",
    Action.DEV_MAILBOX_VIEW: "Only owners and admins can read the dev mailbox: it holds everyone's emails.",
}


def can(role: Role | str | None, action: Action) -> bool:
    """Whether ``role`` may perform ``action`` at all (before target rules)."""
    if role is None:
        return False
    return action in ROLE_ACTIONS.get(Role(role), frozenset())


def require(role: Role | str | None, action: Action) -> None:
    """Raise ``PermissionDenied`` unless ``role`` may perform ``action``."""
    if not can(role, action):
        raise PermissionDenied(DENIED_MESSAGE[action])


def roles_with(action: Action) -> tuple[Role, ...]:
    """The roles that may perform ``action`` (who to tell about something only they can do)."""
    return tuple(role for role in Role if can(role, action))


def who_may(action: Action) -> str:
    """Who may perform ``action``, as a sentence names them to someone who may not: "an owner
    or admin" (the first role with its article, the rest joined by "or")."""
    roles = roles_with(action)
    if not roles:
        return "no one"
    names = [role_phrase(roles[0]), *(Role(r).value for r in roles[1:])]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def invite_action(user_type: UserType | str) -> Action:
    return Action.INVITE_INTERNAL if UserType(user_type) is UserType.INTERNAL else Action.INVITE_CLIENT


def has_invite_quota(role: Role | str | None) -> bool:
    """Whether someone of ``role`` who sends invitations answers to a quota of their own
    (``ADMIT_MEMBER_INVITE_RATE_LIMIT``) beside the portal's limit: members do; owners and
    admins answer to the portal's limit only (``invitations.sending.reserve``)."""
    return role is None or Role(role) not in (Role.OWNER, Role.ADMIN)


def check_grant_role(actor_role: Role | str | None, target_role: Role | str) -> str | None:
    """Only an owner may make someone an owner. Returns the reason when refused."""
    if Role(target_role) is Role.OWNER and (actor_role is None or Role(actor_role) is not Role.OWNER):
        return "Only an owner can invite another owner."
    return None


def check_directory_email_change(member_role: Role | str) -> str | None:
    """A directory (an HR system) may not change an owner's or admin's sign-in email: whoever
    can edit HR records must not be able to take over the portal. Returns the reason, or None."""
    if Role(member_role) in (Role.OWNER, Role.ADMIN):
        return f"an {member_role}'s sign-in email is changed by them, not by the HR system."
    return None


def may_grant(role: Role | str | None, user_type: UserType | str, invited_as: Role | str) -> bool:
    """Whether someone of ``role`` may make an invitation of ``user_type`` as ``invited_as``: invite
    that user type (``invite_action``) and grant that role (``check_grant_role``). What an
    invitation needs of its maker as long as it stands, and of whoever resends it as theirs."""
    return (
        role is not None
        and can(role, invite_action(user_type))
        and check_grant_role(role, invited_as) is None
    )


def check_invitation_stands(
    inviter_role: Role | str | None, user_type: UserType | str, role: Role | str, *, by_someone: bool
) -> str | None:
    """Whether an invitation may still be accepted as it was made, checked at accept (every way:
    its link, the page, the API, a confirmed link sign-up that completes it). An invitation is a
    grant its inviter makes; it stands only while they could still make it:

    - made by a person, or with an API key (which acts for whoever made it): ``inviter_role`` is
      their role now as an active member of the portal, None when they are not one any more
      (deactivated). They must still be allowed to invite this user type
      (``invite_action``) and grant this role (``check_grant_role``);
    - made by the system (``by_someone`` false: the operator's console of a portal with no
      owner, or a key with no maker): it stands, as the deployment itself made it.

    Returns the reason when it no longer stands."""
    if not by_someone:
        return None
    if inviter_role is None:
        return (
            "The person who invited you no longer has access to this portal, so their invitation "
            "can no longer be accepted. Ask an administrator to invite you again."
        )
    if not may_grant(inviter_role, user_type, role):
        return (
            "The person who invited you can no longer give the access this invitation offers, so it "
            "can no longer be accepted. Ask an administrator to invite you again."
        )
    return None


def check_resend_as_own(
    resender_role: Role | str | None, user_type: UserType | str, role: Role | str
) -> str | None:
    """A Resend of an invitation whose inviter can no longer grant it (``check_invitation_stands``)
    makes it the resender's, so that its new link works: they must be able to make it themselves.
    Returns the reason when they cannot (the invitation is then left as it was)."""
    if may_grant(resender_role, user_type, role):
        return None
    who = role_phrase(Role.OWNER) if Role(role) is Role.OWNER else who_may(invite_action(user_type))
    return (
        "The person who made this invitation can no longer give the access it offers, so a Resend "
        f"would make it yours, and your role cannot give it. Ask {who} to resend it."
    )


# What no one does to their own membership, whatever their role, and why: end their own access
# (another owner or admin does), reset their own two-step verification here (the account page
# does, with a code: ``check_reset_second_factor``, where the console is the exception). One's
# own role is refused too, in words that depend on it (``check_change_role``).
_NOT_FOR_ONESELF: dict[Action, str] = {
    Action.MEMBER_DEACTIVATE: "You cannot deactivate yourself.",
    Action.MEMBER_RESET_SECOND_FACTOR: (
        "Change your own two-step verification on your account page (it takes a code)."
    ),
}


def for_oneself(action: Action) -> bool:
    """Whether ``action`` may apply to the actor's own row, whoever the actor is (whether it may
    apply to a row at all is ``can`` and the ``check_*`` rules): what a list that offers an
    action for many rows leaves out of them (``flows.people_bulk``)."""
    return action not in _NOT_FOR_ONESELF


def check_deactivate(
    actor_role: Role | str | None,
    target_role: Role | str,
    *,
    is_self: bool,
    owners_left: int | Callable[[], int],
) -> str | None:
    """Rules on top of MEMBER_DEACTIVATE. Returns the reason when refused. ``owners_left``: the
    portal's active owners, or how to count them (asked only when the target is an owner: a
    list asks for each of its rows)."""
    if is_self:
        return _NOT_FOR_ONESELF[Action.MEMBER_DEACTIVATE]
    if Role(target_role) is Role.OWNER:
        if actor_role is None or Role(actor_role) is not Role.OWNER:
            return "Only an owner can deactivate an owner."
        if (owners_left() if callable(owners_left) else owners_left) <= 1:
            return "The last owner cannot be deactivated."
    return None


def check_delete_workspace(actor_role: Role | str | None, *, made_it: bool) -> str | None:
    """Rules on top of WORKSPACE_MANAGE for deleting, which takes everything the workspace holds
    (its messages, actions, roles) with it: WORKSPACE_DELETE_ANY any, the others only one they
    created. Returns the reason when refused."""
    if can(actor_role, Action.WORKSPACE_DELETE_ANY) or made_it:
        return None
    return DENIED_MESSAGE[Action.WORKSPACE_DELETE_ANY]


def check_remove_from_workspace(
    actor_role: Role | str | None,
    target_role: Role | str | None,
    *,
    is_self: bool,
    invited_role: Role | str | None = None,
) -> str | None:
    """Rules on top of WORKSPACE_REMOVE_MEMBERS for taking someone out of a workspace: owners and
    admins take out anyone; an internal member takes out clients, internal members and herself
    (leaving), but not the portal's owners or admins, who run it. ``target_role``: the person's
    role in the portal; None: not in it yet, and then ``invited_role``, the role their invitation
    offers (an invited admin is one once they accept: an internal member takes them out no more
    than an admin). Returns the reason when refused."""
    if not can(actor_role, Action.WORKSPACE_REMOVE_MEMBERS):
        return DENIED_MESSAGE[Action.WORKSPACE_REMOVE_MEMBERS]
    if is_self or reaches_every_workspace(actor_role):
        return None
    role = target_role if target_role is not None else invited_role
    if role is not None and Role(role) in (Role.OWNER, Role.ADMIN):
        return "Only owners and admins can remove the portal's owners and admins from a workspace."
    return None


def role_kind_fault(target_role: Role | str, new_role: Role | str) -> str | None:
    """Why ``new_role`` is no role for this member to have, as input (422, not a refusal of
    the actor: as a role asked for an invited client is): a client has none, and an internal
    user's is never the client's. None: it is one."""
    if Role.CLIENT in (Role(target_role), Role(new_role)):
        return "A client has no role to change: an internal user's role is owner, admin or member."
    return None


def owner_unconfirmed(new_role: Role | str | None, *, confirmed: bool, was: Role | str | None) -> str | None:
    """Why a change that gives ``new_role`` to one who had ``was`` is not made yet: owners are
    made only once confirmed (``confirmed``: they were), as owners can do everything, including
    removing you; one who already was an owner is made nobody. None: it may be made. The rule
    ``imports.service.check_owners_confirmed`` asks of a list, and Change role and products of a
    member (``flows.members.change_access``) or an invitation (``invitations.service.change_offer``)."""
    if confirmed or new_role != Role.OWNER or was == Role.OWNER:
        return None
    return "Making someone an owner is confirmed first: owners can do everything, including removing you."


def check_change_role(
    actor_role: Role | str | None,
    target_role: Role | str,
    new_role: Role | str,
    *,
    is_self: bool,
    owners_left: int | Callable[[], int],
    active: bool = True,
) -> str | None:
    """Rules on top of MEMBER_CHANGE_ACCESS for a member's role: an internal user's, among owner,
    admin and member (a client has none); never one's own; to or from owner only by an owner
    (as only an owner may invite one: ``check_grant_role``); and never the last active owner's
    (``active``: whether the member is; a deactivated owner is none of those counted).
    Returns the reason when refused. ``owners_left`` as in ``check_deactivate``."""
    current, new = Role(target_role), Role(new_role)
    if (fault := role_kind_fault(current, new)) is not None:
        return fault
    if is_self:  # whoever may change it (below): another owner's; an owner or another admin's
        whom = "another owner" if current is Role.OWNER else "an owner or another admin"
        return f"You cannot change your own role: ask {whom}."
    if Role.OWNER in (current, new) and (actor_role is None or Role(actor_role) is not Role.OWNER):
        return "Only an owner can make someone an owner, or change an owner's role."
    if (
        current is Role.OWNER
        and new is not Role.OWNER
        and active
        and (owners_left() if callable(owners_left) else owners_left) <= 1
    ):
        return "The last owner cannot stop being one: make someone else an owner first."
    return None


def check_change_access(
    actor_role: Role | str | None, target_role: Role | str, *, is_self: bool
) -> str | None:
    """Whether a member's access is this actor's to change at all (User Management offers it
    then): a client's products; an internal user's role and products when their role is
    (``check_change_role``, whatever the new one). Returns the reason when refused."""
    if Role(target_role) is Role.CLIENT:
        return None
    return check_change_role(actor_role, target_role, target_role, is_self=is_self, owners_left=0)


def check_reactivate(actor_role: Role | str | None, target_role: Role | str) -> str | None:
    """Rules on top of MEMBER_REACTIVATE for bringing a deactivated member back: whom you may not
    deactivate you may not bring back either (``check_reactivate_held``: whom a directory holds).
    Returns the reason when refused."""
    if Role(target_role) is Role.OWNER and (actor_role is None or Role(actor_role) is not Role.OWNER):
        return "Only an owner can reactivate an owner."
    return None


def check_reactivate_held(directory: str | None) -> str | None:
    """Whom a directory deactivated and manages (``directory``: its words, "SCIM (Okta)", from
    ``directory.service.deactivated_by``) is brought back in the directory, whatever one's role:
    the directory wins, and its next sync would deactivate them again (SCIM's own ``active:
    true`` is the directory's word, not refused). Returns the reason when refused."""
    if directory:
        return (
            f"{directory} deactivated them and manages them: reactivate them there (assign them "
            "to the app again). Reactivated here, they would be deactivated again at its next sync."
        )
    return None


def check_reset_second_factor(is_self: bool, *, at_console: bool = False) -> str | None:
    """Rules on top of MEMBER_RESET_SECOND_FACTOR. Returns the reason when refused. One's own is
    changed on the account page, with a code; at the server's console (``Actor.console``: the
    CLI, which acts as the first owner) it is not refused: an operator there is the way out for
    an owner who lost both their phone and their recovery codes, a sole owner above all."""
    if is_self and not at_console:
        return _NOT_FOR_ONESELF[Action.MEMBER_RESET_SECOND_FACTOR]
    return None


def check_approve_join_request(actor_role: Role | str | None, user_type: UserType | str) -> str | None:
    """Approving a join request invites the person as the chosen type: internal only for those
    who may invite internal users (seed 001: only admins invite new internal users)."""
    if UserType(user_type) is UserType.INTERNAL and not can(actor_role, Action.INVITE_INTERNAL):
        return "Only owners and admins can let someone in as an internal user; approve them as a client."
    return None


def check_link_role(actor_role: Role | str | None, target_role: Role | str) -> str | None:
    """What a shareable link may grant: never owner (anyone holding the link would become one),
    and otherwise what the actor could grant by invitation."""
    if Role(target_role) is Role.OWNER:
        return "An invite link cannot make people owners; invite owners one by one."
    return check_grant_role(actor_role, target_role)


def sees_invitation(role: Role | str | None, user_type: UserType | str) -> bool:
    """Whether ``role`` may see an invitation of ``user_type`` (list it, open it, be handed its
    id): owners and admins see every invitation; internal members see client invitations only,
    as they may only invite clients."""
    return can(role, Action.INVITATION_VIEW) and (
        can(role, Action.INVITE_INTERNAL) or UserType(user_type) is UserType.CLIENT
    )


def visible_invitation_types(role: Role | str | None) -> tuple[UserType, ...]:
    """The user types of the invitations ``role`` sees (``sees_invitation``), for list queries."""
    return tuple(t for t in UserType if sees_invitation(role, t))


def reaches_every_workspace(role: Role | str | None) -> bool:
    """Owners and admins (and admin API keys) reach every workspace of their portal; everyone
    else only the workspaces they have joined."""
    return role is not None and Role(role) in (Role.OWNER, Role.ADMIN)


def sees_addresses_of(
    role: Role | str | None, *, viewer_id: uuid.UUID | None, person_id: uuid.UUID | None
) -> bool:
    """Whether someone sees another person's email and phone in a workspace: clients see the
    others by name only (their own address, of course, they see)."""
    if role is None:
        return False
    return Role(role) is not Role.CLIENT or (viewer_id is not None and viewer_id == person_id)


def sees_access_ended(role: Role | str | None) -> bool:
    """Whether ``role`` is told whose access to the portal was ended (a deactivated person still
    listed in a workspace): the portal's internal users are; clients are not."""
    return role is not None and Role(role) in INTERNAL_ROLES


def sees_groupings(role: Role | str | None) -> bool:
    """Whether ``role`` is shown how the portal groups people (its internal teams and client
    groups: a workspace's "via Tax" and its team rows): the portal's internal users are; a
    client is not (their own and other clients' groups, the staff's teams, are the portal's)."""
    return role is not None and Role(role) in INTERNAL_ROLES


# A person's state in a workspace's Members panel, as its filter names them: in it (Joined),
# invited and not joined yet (Invited), their invitation lapsed (Expired), their access to the
# portal ended (Deactivated). ``people.workspace.states_of`` tells them apart.
MEMBER_STATES = ("joined", "invited", "expired", "deactivated")


def member_states_seen(role: Role | str | None) -> tuple[str, ...]:
    """The Members panel's states ``role`` is told apart (and may filter by): internal users all
    of them; a client Joined and Invited only (whose invitation lapsed or whose access ended is
    the portal's business: ``sees_access_ended``), as the panel shows them."""
    return MEMBER_STATES if sees_access_ended(role) else MEMBER_STATES[:2]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one role may do, for the faces to show or hide (pages and the CLI never compare
    roles themselves: they read this). ``can`` answers for any action; the named ones are what
    the pages ask most."""

    role: Role | None

    def can(self, action: Action | str) -> bool:
        return can(self.role, Action(action))

    @property
    def internal(self) -> bool:
        """An internal user (owner, admin, member): the portal's own pages, not a client's."""
        return self.role is not None and Role(self.role) in INTERNAL_ROLES

    @property
    def invite_internal(self) -> bool:
        return self.can(Action.INVITE_INTERNAL)

    @property
    def invite_client(self) -> bool:
        return self.can(Action.INVITE_CLIENT)

    @property
    def invite(self) -> bool:
        return self.invite_internal or self.invite_client

    def may_invite(self, user_type: UserType | str, role: Role | str | None = None) -> bool:
        """Whether this role may invite someone as ``user_type`` (and, internal, as ``role``):
        what the invitation pipeline itself checks (``invite_action``, ``check_grant_role``)."""
        if not self.can(invite_action(user_type)):
            return False
        return UserType(user_type) == UserType.CLIENT or (
            role is not None and Role(role) in self.grantable_roles
        )

    @property
    def administer(self) -> bool:
        """Settings and the audit log."""
        return self.can(Action.PORTAL_SETTINGS)

    @property
    def grantable_roles(self) -> tuple[Role, ...]:
        """The internal roles this role may give by invitation (``check_grant_role``)."""
        if self.role is None or not self.invite_internal:
            return ()
        return tuple(r for r in INTERNAL_ROLES if check_grant_role(self.role, r) is None)

    @property
    def link_roles(self) -> tuple[Role, ...]:
        """The roles an invite link this role manages may give (``check_link_role``)."""
        if self.role is None:
            return ()
        return tuple(r for r in (Role.MEMBER, Role.ADMIN) if check_link_role(self.role, r) is None)

    @property
    def home(self) -> str:
        """Where this role lands in a portal: owners and admins on ``users`` (User Management),
        internal members on ``workspaces`` (their timeline), clients on ``client`` (their own
        page listing their workspaces)."""
        if not self.internal:
            return "client"
        return "users" if self.invite_internal else "workspaces"


def capabilities(role: Role | str | None) -> Capabilities:
    """What ``role`` may do (see ``Capabilities``)."""
    return Capabilities(Role(role) if role is not None else None)


def require_rule(reason: str | None, *, field: str | None = None, of_role: bool = True) -> None:
    """Refuse with ``reason`` (a rule's answer) when there is one; ``field``: the input the rule
    refused (a member's new ``role``), which the faces name with it; ``of_role=False``: a rule
    that is not about the role (``errors.PermissionDenied``)."""
    if reason is not None:
        raise PermissionDenied(reason, field=field, of_role=of_role)
