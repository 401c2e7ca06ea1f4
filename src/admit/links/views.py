"""What the links services hand to the faces (kept apart so schemas need no service)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from admit.kit.text import day_text
from admit.links.models import InviteLink, LinkSignup

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.portals.models import Portal


__all__ = ["Confirmation", "LinkPreview", "LinkView"]


@dataclass(slots=True)
class LinkView:
    """A link as its managers see it."""

    link: InviteLink
    url: str | None
    state: str  # active | expired | disabled | used_up
    uses: int
    joined: int
    pending: int

    def shut(self, time_zone: str | None = None) -> tuple[str, str] | None:
        """Why the link lets nobody in now and what lets people in again, each said after "The
        link" and "it": ``("is off", "turn it on")``, ``("expired on 6 December 2026", "set a
        new lifetime")`` (its day in ``time_zone``), ``("has every place taken", "raise its
        maximum")``; None while it lets people in. Said so by Turn on ("The workspace link is
        on, but it expired on …: set a new lifetime to let people in.") and the Share card, on
        why Copy Link waits ("The link is off: turn it on before you share it.")."""
        if self.state == "disabled":
            return "is off", "turn it on"
        if self.state == "expired" and self.link.expires_at is not None:
            return f"expired on {day_text(self.link.expires_at, time_zone)}", "set a new lifetime"
        if self.state == "used_up":
            return "has every place taken", "raise its maximum"
        return None


@dataclass(slots=True)
class LinkPreview:
    """What anyone holding a live link sees before signing up or asking to join."""

    link: InviteLink
    portal: Portal
    workspace_name: str | None
    password_required: bool
    # The allowed domains its page names up front (``links.domains.domains_told``).
    domains_told: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Confirmation:
    """What a sign-up's confirmation link shows before the person clicks Confirm."""

    signup: LinkSignup
    portal: Portal
    password_required: bool
    already_member: bool = False  # the address is an active member already: confirming signs in
    # The address's account has a password and is not the one signed in: it signs in first
    # (``auth.gate.owes_sign_in``), as for an invitation.
    sign_in_required: bool = False
