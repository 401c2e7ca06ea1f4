"""The audit log as people read it: each event in words, whoever acted named as the portal names
them ("Olivia Owner invited ada@acme.com as Admin"), for the page and ``GET …/audit-events``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from admit.audit import service as audit_service
from admit.audit.words import sentence
from admit.members import service as members_service
from admit.people.names import names_in_portal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.actor import Actor
    from admit.audit.models import AuditEvent

__all__ = ["Entry", "log"]


@dataclass(slots=True)
class Entry:
    event: AuditEvent
    summary: str  # the event in words, its actor first


def log(session: Session, actor: Actor, **filters: Any) -> tuple[list[Entry], str | None]:
    """A page of the portal's audit log (``audit.service.list_events``'s filters and cursor),
    each event in words. A person who acted is named by their name in this portal
    (``names.names_in_portal``); an API key, the system, or someone without a name here keep
    the label the event was written with."""
    if q := audit_service.search_text(
        filters.get("q")
    ):  # the sentences name people who acted by their name here: a search for it finds them
        filters["actors_named"] = members_service.named_like(actor.portal.id, q)
    events, next_cursor = audit_service.list_events(session, actor, **filters)
    users = members_service.users_by_id(session, {e.actor_user_id for e in events if e.actor_user_id})
    names = names_in_portal(session, actor.portal.id, users.values())

    def who(event: AuditEvent) -> str:
        user = users.get(event.actor_user_id) if event.actor_user_id else None
        # The label is the person's address when they acted themselves (an API key acting for
        # its maker carries the key's label: it stays).
        if user is not None and user.address == event.actor_label and names.get(user.id):
            return names[user.id]
        return event.actor_label

    return [Entry(e, sentence(e, actor=who(e))) for e in events], next_cursor
