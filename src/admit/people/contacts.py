"""Someone's contacts, each with where they stand in the portal: joined, invited (a live
invitation), not invited (yet), deactivated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from admit.actor import Actor
from admit.contacts import service as contacts_service
from admit.contacts.models import Contact
from admit.invitations import repository as invitations_repository
from admit.members import service as members_service
from admit.people.names import names_in_portal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["ContactView", "contact_view", "list_contacts"]


@dataclass(slots=True)
class ContactView:
    contact: Contact
    status: str  # joined | invited | not_invited | deactivated
    name: str = ""  # as this portal may show it (``people.names.names_in_portal``)


def list_contacts(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[ContactView], str | None]:
    """A page of the actor's contacts, newest first, each with where they stand in the portal:
    ``(views, next_cursor)``."""
    contacts, next_cursor = contacts_service.list_own(session, actor, cursor=cursor, limit=limit)
    return _views(session, actor, contacts), next_cursor


def contact_view(session: Session, actor: Actor, contact: Contact) -> ContactView:
    """One contact as the list shows it."""
    return _views(session, actor, [contact])[0]


def _views(session: Session, actor: Actor, contacts: list[Contact]) -> list[ContactView]:
    statuses = members_service.statuses(session, actor.portal.id, [c.user_id for c in contacts])
    live = invitations_repository.live_ids(session, [c.invitation_id for c in contacts if c.invitation_id])
    names = names_in_portal(session, actor.portal.id, [c.user for c in contacts])
    views = []
    for c in contacts:
        status = statuses.get(c.user_id)
        if status == members_service.ACTIVE:
            state = "joined"
        elif status == members_service.DEACTIVATED:
            state = "deactivated"
        elif c.invitation_id in live:
            state = "invited"
        else:
            state = "not_invited"
        views.append(ContactView(c, state, c.name or names.get(c.user_id, "")))
    return views
