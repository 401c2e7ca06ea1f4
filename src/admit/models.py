"""Every domain's ORM classes, imported once so the metadata (and Alembic) sees them all."""

from admit.audit.models import AuditEvent
from admit.auth.models import ApiKey, SignInLink, WebSession
from admit.imports.models import InvitationImport, InvitationImportChunk, InvitationImportRow
from admit.invitations.models import Invitation
from admit.links.models import InviteLink, JoinRequest, LinkSignup
from admit.members.models import Member, User
from admit.notifications.models import DevMessage, Notification
from admit.portals.models import Portal
from admit.workspaces.models import Workspace, WorkspaceMember

__all__ = [
    "ApiKey",
    "AuditEvent",
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
    "SignInLink",
    "User",
    "WebSession",
    "Workspace",
    "WorkspaceMember",
]
