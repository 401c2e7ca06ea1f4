"""The policy table, walked whole: every role × every action.

This is the reference for anyone changing permissions: a change to ROLE_ACTIONS must change
EXPECTED here too, so it shows up in review as a diff.
"""

from __future__ import annotations

import pytest

from admit import policy
from admit.errors import PermissionDenied
from admit.policy import Action, Role

A = Action
EXPECTED: dict[Role, set[Action]] = {
    Role.OWNER: set(Action),
    Role.ADMIN: set(Action) - {A.MEMBER_RESET_SECOND_FACTOR},
    Role.MEMBER: {
        A.INVITE_CLIENT,
        A.INVITATION_VIEW,
        A.MEMBER_VIEW,
        A.WORKSPACE_CREATE,
        A.WORKSPACE_MANAGE,
        A.WORKSPACE_LINK_MANAGE,
        A.JOIN_REQUEST_APPROVE,
        A.WORKSPACE_ADD_MEMBERS,
        A.WORKSPACE_REMOVE_MEMBERS,
        A.WORKSPACE_RESEND,
        A.WORKSPACE_ROLES,
        A.WORKSPACE_ACTION_ADD,
        A.CLIENT_GROUP_MANAGE,
        A.CONTACT_MANAGE,
    },
    Role.CLIENT: set(),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_role_action_table(role, action):
    """Each role may do exactly the actions in the DESIGN.md table."""
    allowed = action in EXPECTED[role]
    assert policy.can(role, action) is allowed
    if allowed:
        policy.require(role, action)
    else:
        with pytest.raises(PermissionDenied) as info:
            policy.require(role, action)
        assert info.value.message == policy.DENIED_MESSAGE[action]


def test_nobody_may_do_anything():
    """No role (an outsider) may do anything."""
    assert not any(policy.can(None, a) for a in Action)


class TestGrantRole:
    @pytest.mark.parametrize(
        ("actor", "target", "allowed"),
        [
            (Role.OWNER, Role.OWNER, True),
            (Role.ADMIN, Role.OWNER, False),
            (Role.ADMIN, Role.ADMIN, True),
            (Role.ADMIN, Role.MEMBER, True),
            (Role.OWNER, Role.MEMBER, True),
            (None, Role.OWNER, False),  # no role at all: refused with the reason, not a ValueError
        ],
    )
    def test_only_owners_grant_owner(self, actor, target, allowed):
        """Only an owner can make someone an owner."""
        assert (policy.check_grant_role(actor, target) is None) is allowed


class TestDeactivate:
    def test_not_self(self):
        """Nobody deactivates themselves."""
        assert policy.check_deactivate(Role.OWNER, Role.MEMBER, is_self=True, owners_left=2)

    def test_admin_cannot_deactivate_owner(self):
        """An admin cannot deactivate an owner."""
        assert policy.check_deactivate(Role.ADMIN, Role.OWNER, is_self=False, owners_left=2)

    def test_last_owner_stays(self):
        """The last owner cannot be deactivated."""
        assert policy.check_deactivate(Role.OWNER, Role.OWNER, is_self=False, owners_left=1)
        assert policy.check_deactivate(Role.OWNER, Role.OWNER, is_self=False, owners_left=2) is None

    def test_the_owners_are_counted_only_for_an_owner(self):
        """A list passes how to count the owners: asked only when the target is an owner whom
        the actor may otherwise deactivate (User Management's rows)."""
        asked = []

        def owners_left() -> int:
            asked.append(1)
            return 1

        assert (
            policy.check_deactivate(Role.OWNER, Role.MEMBER, is_self=False, owners_left=owners_left) is None
        )
        assert policy.check_deactivate(Role.OWNER, Role.OWNER, is_self=True, owners_left=owners_left)
        assert policy.check_deactivate(Role.ADMIN, Role.OWNER, is_self=False, owners_left=owners_left)
        assert asked == []
        refused = policy.check_deactivate(Role.OWNER, Role.OWNER, is_self=False, owners_left=owners_left)
        assert refused == "The last owner cannot be deactivated." and asked == [1]

    def test_admin_deactivates_member(self):
        """Admins deactivate members and clients."""
        assert policy.check_deactivate(Role.ADMIN, Role.MEMBER, is_self=False, owners_left=1) is None
        assert policy.check_deactivate(Role.ADMIN, Role.CLIENT, is_self=False, owners_left=1) is None


def test_a_client_has_the_client_role_whatever_is_asked():
    """``client_role_fault``: what an invitation, an invite link and a list's row refuse alike."""
    for role in (Role.OWNER, Role.ADMIN, Role.MEMBER, "nonsense"):
        assert policy.client_role_fault("client", role) == "Clients always have the client role."
    for role in (None, "", Role.CLIENT):
        assert policy.client_role_fault("client", role) is None
    assert policy.client_role_fault("internal", Role.ADMIN) is None


class TestForOneself:
    @pytest.mark.parametrize("role", list(Role))
    def test_what_is_not_for_oneself_is_refused_to_oneself_whoever_one_is(self, role):
        """``for_oneself`` (what a bulk action leaves out of the actor's own row) says what the
        single actions' rules say to oneself, whatever the role and the row's."""
        for target in Role:
            refused = policy.check_deactivate(role, target, is_self=True, owners_left=2) is not None
            assert refused is not policy.for_oneself(Action.MEMBER_DEACTIVATE)
        assert (policy.check_reset_second_factor(is_self=True) is not None) is not policy.for_oneself(
            Action.MEMBER_RESET_SECOND_FACTOR
        )
        for action in (Action.INVITATION_RESEND, Action.INVITATION_REVOKE, Action.MEMBER_REACTIVATE):
            assert policy.for_oneself(action)


class TestReactivate:
    @pytest.mark.parametrize(
        ("actor", "target", "allowed"),
        [
            (Role.OWNER, Role.OWNER, True),
            (Role.ADMIN, Role.OWNER, False),
            (Role.ADMIN, Role.ADMIN, True),
            (Role.ADMIN, Role.MEMBER, True),
            (Role.ADMIN, Role.CLIENT, True),
        ],
    )
    def test_whom_you_may_not_deactivate_you_may_not_bring_back(self, actor, target, allowed):
        """Only an owner reactivates an owner; admins reactivate everyone else."""
        assert (policy.check_reactivate(actor, target) is None) is allowed


class TestRemoveFromWorkspace:
    @pytest.mark.parametrize(
        ("actor", "target", "is_self", "allowed", "invited"),
        [
            (Role.OWNER, Role.OWNER, False, True, None),
            (Role.ADMIN, Role.OWNER, False, True, None),
            (Role.ADMIN, Role.ADMIN, False, True, None),
            (Role.MEMBER, Role.OWNER, False, False, None),
            (Role.MEMBER, Role.ADMIN, False, False, None),
            (Role.MEMBER, Role.MEMBER, False, True, None),
            (Role.MEMBER, Role.CLIENT, False, True, None),
            (Role.MEMBER, Role.MEMBER, True, True, None),  # leaving
            (Role.CLIENT, Role.CLIENT, True, False, None),
            (None, Role.CLIENT, False, False, None),
            # Invited, not in the portal yet: what their invitation offers (an invited admin was
            # taken as having no role, so a member removed them).
            (Role.MEMBER, None, False, True, None),
            (Role.MEMBER, None, False, False, Role.ADMIN),
            (Role.MEMBER, None, False, False, Role.OWNER),
            (Role.MEMBER, None, False, True, Role.MEMBER),
            (Role.MEMBER, None, False, True, Role.CLIENT),
            (Role.ADMIN, None, False, True, Role.OWNER),
        ],
    )
    def test_members_take_out_clients_and_members_not_owners_or_admins(
        self, actor, target, is_self, allowed, invited
    ):
        """Owners and admins remove anyone from a workspace; an internal member removes clients,
        internal members and herself, not the portal's owners and admins (nor those invited as
        one, not in the portal yet); clients no one."""
        reason = policy.check_remove_from_workspace(actor, target, is_self=is_self, invited_role=invited)
        assert (reason is None) is allowed, reason


class TestJoinRequestApproval:
    @pytest.mark.parametrize(
        ("actor", "user_type", "allowed"),
        [
            (Role.OWNER, "internal", True),
            (Role.ADMIN, "internal", True),
            (Role.MEMBER, "internal", False),
            (Role.OWNER, "client", True),
            (Role.ADMIN, "client", True),
            (Role.MEMBER, "client", True),
        ],
    )
    def test_internal_only_if_allowed_to_invite_internal(self, actor, user_type, allowed):
        """Approving as internal needs INVITE_INTERNAL; any internal user may approve as client."""
        assert (policy.check_approve_join_request(actor, user_type) is None) is allowed


class TestInvitationStands:
    @pytest.mark.parametrize(
        ("inviter", "user_type", "role", "stands"),
        [
            (Role.OWNER, "internal", Role.OWNER, True),
            (Role.ADMIN, "internal", Role.ADMIN, True),
            (Role.ADMIN, "internal", Role.OWNER, False),  # an owner's invitation, the owner now admin
            (Role.MEMBER, "internal", Role.ADMIN, False),  # an admin's, the admin now a member
            (Role.MEMBER, "client", Role.CLIENT, True),
            (Role.CLIENT, "client", Role.CLIENT, False),
            (None, "client", Role.CLIENT, False),  # the inviter is no longer an active member
        ],
    )
    def test_only_while_the_inviter_could_still_make_it(self, inviter, user_type, role, stands):
        """At accept, the inviter's role now must still grant the invitation's type and role."""
        assert (policy.check_invitation_stands(inviter, user_type, role, by_someone=True) is None) is stands

    def test_the_systems_invitations_stand(self):
        assert policy.check_invitation_stands(None, "internal", Role.OWNER, by_someone=False) is None


class TestLinkRole:
    @pytest.mark.parametrize(
        ("actor", "target", "allowed"),
        [
            (Role.OWNER, Role.OWNER, False),
            (Role.OWNER, Role.ADMIN, True),
            (Role.ADMIN, Role.ADMIN, True),
            (Role.ADMIN, Role.MEMBER, True),
            (Role.ADMIN, Role.CLIENT, True),
        ],
    )
    def test_a_link_never_grants_owner(self, actor, target, allowed):
        """A shareable link never makes anyone an owner."""
        assert (policy.check_link_role(actor, target) is None) is allowed


def test_each_role_lands_where_it_works():
    from admit.policy import Role, capabilities

    assert {r: capabilities(r).home for r in Role} == {
        Role.OWNER: "users",
        Role.ADMIN: "users",
        Role.MEMBER: "workspaces",
        Role.CLIENT: "client",
    }
