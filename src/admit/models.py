"""Every domain's ORM classes, imported once so the metadata (and Alembic) sees them all."""

from admit.audit.models import AuditEvent
from admit.auth.models import ApiKey, TotpFactor, WebSession
from admit.bulk.models import BulkJob
from admit.contacts.models import Contact
from admit.directory.models import (
    HrConnection,
    HrEmployee,
    HrSyncRun,
    ScimGroup,
    ScimGroupMember,
    ScimToken,
    ScimUser,
)
from admit.events.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from admit.idempotency.models import IdempotencyKey
from admit.imports.models import InvitationImport, InvitationImportChunk, InvitationImportRow
from admit.invitations.models import Invitation
from admit.links.models import InviteLink, LinkSignup
from admit.members.models import Member, User
from admit.notifications.models import DevMessage, MandatoryKind, Notification, NotificationPreference
from admit.portals.models import Portal, PortalLogo
from admit.served import InstanceValue
from admit.teams.models import Team, TeamMember
from admit.tokens.models import Token
from admit.workspaces.models import (
    JoinRequest,
    RoleAssignment,
    Workspace,
    WorkspaceAction,
    WorkspaceDigest,
    WorkspaceMember,
    WorkspaceMessage,
    WorkspaceRead,
    WorkspaceRole,
)

__all__ = [
    "ApiKey",
    "AuditEvent",
    "BulkJob",
    "InstanceValue",
    "Contact",
    "DevMessage",
    "HrConnection",
    "HrEmployee",
    "HrSyncRun",
    "IdempotencyKey",
    "ScimGroup",
    "ScimGroupMember",
    "ScimToken",
    "ScimUser",
    "Invitation",
    "InvitationImport",
    "InvitationImportChunk",
    "InvitationImportRow",
    "InviteLink",
    "JoinRequest",
    "LinkSignup",
    "MandatoryKind",
    "Member",
    "Notification",
    "NotificationPreference",
    "Portal",
    "PortalLogo",
    "RoleAssignment",
    "Team",
    "TeamMember",
    "Token",
    "TotpFactor",
    "User",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookMessage",
    "WebSession",
    "Workspace",
    "WorkspaceAction",
    "WorkspaceDigest",
    "WorkspaceMember",
    "WorkspaceMessage",
    "WorkspaceRead",
    "WorkspaceRole",
]
