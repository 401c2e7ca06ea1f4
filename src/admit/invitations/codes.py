"""Why a recipient was skipped: the one list of the codes a result's ``code`` may carry.

Here, below the pipeline, so that the API's schemas declare ``code`` as these and nothing else
(schemas import no services): ``SkipCode`` is the invitation pipeline's, on every way in;
``AddSkipCode`` the flows' that put people somewhere (a workspace, a team, a client group),
beside the pipeline's; ``ResendSkipCode`` a workspace's Resend Invitation on a team's or client
group's row, beside the pipeline's.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias

__all__ = ["NOTHING_TO_DO", "AddSkipCode", "ResendSkipCode", "ResultCode", "SkipCode"]


# The docstrings below are the API document's descriptions of the enums.


class SkipCode(StrEnum):  # decided by ``invitations.pipeline.classify``
    """Why a recipient was not invited, on every way in."""

    INVALID_RECIPIENT = "invalid_recipient"
    INVALID_ROLE = "invalid_role"  # a list's Role cell that is no role (the address may be fine)
    DUPLICATE = "duplicate"
    ALREADY_MEMBER = "already_member"
    MEMBER_DEACTIVATED = "member_deactivated"
    ALREADY_INVITED = "already_invited"
    NOT_ALLOWED = "not_allowed"
    RECIPIENT_RATE_LIMITED = "recipient_rate_limited"
    SUPPRESSED = "address_suppressed"
    SMS_COUNTRY_NOT_ALLOWED = "sms_country_not_allowed"
    SMS_BUDGET_REACHED = "sms_budget_reached"


class AddSkipCode(StrEnum):  # ``flows.people_asked``, ``flows.workspace_people``, ``flows.groups``
    """Why adding people to a workspace, team or client group skipped someone, beside ``SkipCode``."""

    ALREADY_IN_WORKSPACE = "already_in_workspace"
    ALREADY_IN_TEAM = "already_in_team"
    WRONG_USER_TYPE = "wrong_user_type"  # a client put in a team, an internal user in a group
    NOT_FOUND = "not_found"  # a user id not in the portal; an address a team cannot take
    # A team's person neither in the portal nor invited: a directory's user who is in a SCIM
    # group (an internal team) but was never invited (provisioned inactive) or whose invitation
    # was revoked. A team takes only internal users, so they are not invited from here.
    NOT_INVITABLE = "not_invitable"


class ResendSkipCode(StrEnum):  # ``flows.workspace_people.resend_team``
    """Why Resend Invitation on a team's or client group's row sent nothing to someone on it,
    beside ``SkipCode`` (``member_deactivated``, ``address_suppressed``, ``not_allowed``)."""

    ALREADY_JOINED = "already_joined"  # they joined: there is nothing to resend
    NO_INVITATION = "no_invitation"  # their invitation was revoked: invite them again to send one


# Every code a result may carry (``RecipientResult.code``, the API's ``code``).
ResultCode: TypeAlias = SkipCode | AddSkipCode | ResendSkipCode

# Skips that are no fault: the person is already where they were asked to be. Any other skip
# (a typo, someone not in the portal, a limit) is one someone must fix (``pipeline.needs_fixing``).
NOTHING_TO_DO: frozenset[str] = frozenset(
    {
        SkipCode.ALREADY_MEMBER,
        SkipCode.ALREADY_INVITED,
        AddSkipCode.ALREADY_IN_WORKSPACE,
        AddSkipCode.ALREADY_IN_TEAM,
        ResendSkipCode.ALREADY_JOINED,
        SkipCode.DUPLICATE,
    }
)
