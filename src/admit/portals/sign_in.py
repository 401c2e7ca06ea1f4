"""A portal's sign-in policy, read: who must have a password, who must have a second factor, how
long a sign-in link lives. The one place these rules are written; ``auth.gate`` applies them to
sessions, and joining (an invitation, a link sign-up) asks ``password_required``."""

from __future__ import annotations

from collections.abc import Iterable

from admit.policy import UserType
from admit.portals.models import Portal

__all__ = ["link_minutes", "password_required", "second_factor_required"]


def password_required(portal: Portal, user_type: str) -> bool:
    """Internal users always have a password; clients where the portal requires one."""
    return user_type == UserType.INTERNAL or portal.client_require_password


def second_factor_required(portal: Portal, user_type: str) -> bool:
    return portal.internal_require_2fa if user_type == UserType.INTERNAL else portal.client_require_2fa


def link_minutes(portals_and_types: Iterable[tuple[Portal, str]], default: int) -> int:
    """How long a sign-in link lives for someone in these portals (as these types): the shortest
    any of them allows; ``default`` for someone in none."""
    minutes = [
        p.internal_sign_in_link_minutes if t == UserType.INTERNAL else p.client_sign_in_link_minutes
        for p, t in portals_and_types
    ]
    return min(minutes) if minutes else default
