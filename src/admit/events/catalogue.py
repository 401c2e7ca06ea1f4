"""The events a webhook endpoint can subscribe to, and which audit events are them.

Most webhook events are audit events seen from outside: ``audit.service.record`` hands every
event it writes to ``webhooks.service.emit_audited``, which keeps the ones in ``FROM_AUDIT``.
The rest are written where they happen: the delivery of a message (``invitation.sent``,
``invitation.delivery_failed``, ``invitation.bounced``, in ``notifications``).
"""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "invitation.created": "An invitation was made (by hand, by a file, by an integration).",
    "invitation.sent": "An invitation's email or text was handed to the mail server or SMS provider.",
    "invitation.delivery_failed": (
        "An invitation's email or text could not be delivered and will not be retried."
    ),
    "invitation.bounced": "An invitation's email bounced, or its recipient marked it as spam.",
    "invitation.reminded": "A reminder of a pending invitation was sent.",
    "invitation.resent": "An invitation was sent again (a new link; the old one stopped working).",
    "invitation.accepted": "An invitation was accepted.",
    "invitation.revoked": "An invitation was revoked.",
    "invitation.expired": "An invitation expired unaccepted.",
    "member.joined": "Someone joined the portal (by an invitation or the invite link).",
    "member.deactivated": "A member was deactivated.",
    "member.reactivated": "A member was reactivated.",
    "import.completed": "A bulk import finished.",
    "directory.sync_completed": "An HR-system sync was applied (its counts, and its invitations' import).",
}

TEST_EVENT = "webhook.test"  # "Send test event": any endpoint, whatever it subscribes to

# audit action -> the webhook events it is
FROM_AUDIT: dict[str, tuple[str, ...]] = {
    "invitation.created": ("invitation.created",),
    "invitation.reminded": ("invitation.reminded",),
    "invitation.resent": ("invitation.resent",),
    "invitation.accepted": ("invitation.accepted", "member.joined"),
    "invitation.revoked": ("invitation.revoked",),
    "invitation.expired": ("invitation.expired",),
    "invite_link.joined": ("member.joined",),
    "member.deactivated": ("member.deactivated",),
    "member.reactivated": ("member.reactivated",),
    "invitation_import.completed": ("import.completed",),
    "directory.sync_completed": ("directory.sync_completed",),
}

# Keys of an audit event's detail never put in a payload (payloads carry no secrets).
HIDDEN_DETAIL = frozenset({"token", "link", "secret", "password", "code"})
