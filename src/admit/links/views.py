"""What the links services hand to the faces (kept apart so schemas need no service)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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


@dataclass(slots=True)
class LinkPreview:
    """What anyone holding a live link sees before signing up or asking to join."""

    link: InviteLink
    portal: Portal
    workspace_name: str | None
    password_required: bool


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
