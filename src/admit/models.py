"""Every domain's ORM classes, imported once so the metadata (and Alembic) sees them all."""

from admit.audit.models import AuditEvent
from admit.auth.models import ApiKey, SignInLink, WebSession
from admit.contacts.models import Contact
from admit.imports.models import InvitationImport, InvitationImportChunk, InvitationImportRow
from admit.invitations.models import Invitation
from admit.links.models import InviteLink, JoinRequest, LinkSignup
from admit.members.models import Member, User
from admit.notifications.models import DevMessage, Notification
from admit.portals.models import Portal
from admit.teams.models import Team, TeamMember
from admit.workspaces.models import (
    RoleAssignment,
    Workspace,
    WorkspaceAction,
    WorkspaceMember,
    WorkspaceRole,
)

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Contact",
    "DevMessage",
    "Invitation",
    "InvitationImport",
    "InvitationImportChunk",
    "InvitationImportRow",
    "InviteLink",
    "JoinRequest",
    "LinkSignup",
    "Member",
    "Notification",
    "Portal",
    "RoleAssignment",
    "SignInLink",
    "Team",
    "TeamMember",
    "User",
    "WebSession",
    "Workspace",
    "WorkspaceAction",
    "WorkspaceMember",
    "WorkspaceRole",
]
