"""How a portal names a person."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from admit.invitations import repository as invitations_repository
from admit.members import service as members_service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.members.models import User


__all__ = ["initials", "names_in_portal"]


def names_in_portal(
    session: Session, portal_id: uuid.UUID, users: Iterable[User | None]
) -> dict[uuid.UUID, str]:
    """``{user_id: name}`` as a portal may show it. Users are shared between portals, so a
    person's own name is shown only where they are a member; anyone else is shown by the name
    given in this portal's invitation to them, or by no name (their address is what was typed)."""
    by_id = {u.id: u for u in users if u is not None}
    if not by_id:
        return {}
    members = members_service.statuses(session, portal_id, list(by_id))
    names = {uid: (u.name if uid in members else "") for uid, u in by_id.items()}
    outside = {u.address: uid for uid, u in by_id.items() if uid not in members and u.address}
    for address, given in invitations_repository.names_given(session, portal_id, outside).items():
        names[outside[address]] = given
    return names


def initials(name: str | None, *, own_address: str | None = None) -> str:
    """A person's avatar, the same whoever else looks: the first letters of the first and last
    words of their name as the portal shows it ("Cleo Client" → CC, "Cleo" → C), "?" for someone
    with no name yet (never their address's first letter: clients are not shown addresses).
    Their own avatar, to themselves (``own_address``: their address, given only then), is the
    first letter of that address when they have no name ("zed@clientco.com" → Z)."""
    words = (name or "").split()
    if not words:
        first = next((c for c in own_address or "" if c.isalpha()), "")
        return first.upper() or "?"
    return (words[0][:1] + (words[-1][:1] if len(words) > 1 else "")).upper()
