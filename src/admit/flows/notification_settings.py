"""A person's Notification settings (``/me/notifications``, ``/me/notification-preferences``):
which optional messages they get, offered by what their roles in their portals let reach them
(``notifications.preferences.offered``), and which of those portals send some anyway."""

from __future__ import annotations

from typing import TYPE_CHECKING

from admit.members import service as members_service
from admit.notifications import preferences

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from admit.members.models import User
    from admit.policy import Role

__all__ = ["change", "settings"]


def _portals(session: Session, user: User) -> list[tuple[uuid.UUID, str, Role | str]]:
    """The portals where ``user`` is an active member: id, name and their role there."""
    return [(p.id, p.name, m.role) for p, m in members_service.memberships_of(session, user)]


def settings(session: Session, user: User) -> list[preferences.Setting]:
    """The kinds offered to ``user``, each with their choice and who sends it anyway."""
    return preferences.settings_of(session, user.id, _portals(session, user))


def change(session: Session, user: User, wanted: dict[str, bool]) -> list[preferences.Setting]:
    """Turn kinds on or off (``preferences.change``: one not offered is refused by name)."""
    return preferences.change(session, user.id, _portals(session, user), wanted)
