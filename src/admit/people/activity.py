"""The audit log as people read it: each event in words, whoever acted named as the portal names
them ("Olivia Owner invited ada@acme.com as Admin"), for the page, ``GET …/audit-events``, its
CSV export and ``admit audit list``.

The filters are ``audit.service``'s; here the ``actor`` filter, as typed, becomes whom it names
(``acted_by``), and the people offered for it are named (``actor_choices``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from admit import context
from admit.actor import scim_of_label
from admit.audit import service as audit_service
from admit.audit.words import NO_ONE_WORDS, address, category_of, sentence
from admit.directory.hr import service as hr_service
from admit.errors import InvalidInput, at_most_characters
from admit.kit.sheets import csv_chunks, safe_cell
from admit.kit.text import as_typed, readable_phone
from admit.members import addresses
from admit.members import service as members_service
from admit.people.names import names_in_portal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from admit.actor import Actor
    from admit.audit.models import AuditEvent
    from admit.db import Database

__all__ = ["CSV_HEADER", "Entry", "acted_by", "actor_choices", "count", "csv_lines", "log"]


@dataclass(slots=True)
class Entry:
    event: AuditEvent
    summary: str  # the event in words, its actor first


def acted_by(session: Session, text: str | None) -> audit_service.ActedBy | None:
    """Whom the log's ``actor`` filter names, as typed: a user id, or an address (an email, or a
    phone number written any way): that person's events, by themselves or by an API key they
    made, and any event labelled with the address; any other text, the events labelled with
    it (``hr:bamboohr``, ``system``, an API key's label). Refused, naming ``actor``, when it
    is written as an address but is not a valid one."""
    text = " ".join((text or "").split())
    if not text:
        return None
    if len(text) > 320:
        raise InvalidInput(at_most_characters(320, text), field="actor")
    try:
        return audit_service.ActedBy(user_id=uuid.UUID(text))
    except ValueError:
        pass
    if "@" not in text and not addresses.looks_like_phone(text):
        return audit_service.ActedBy(label=text)
    parsed = addresses.parse_recipient(text, region=context.of(session).settings.default_phone_region)
    if parsed.address is None:
        why = f" {parsed.error}" if parsed.error else ""
        raise InvalidInput(
            f"“{as_typed(text)}” is not a valid email address or phone number.{why}", field="actor"
        )
    user = members_service.get_user_by_address(session, parsed.address)
    return audit_service.ActedBy(user.id if user else None, parsed.address)


def _filters(session: Session, actor: Actor, by: str | None, filters: dict[str, Any]) -> dict[str, Any]:
    """``audit.service``'s filters from the faces' (``by``: the ``actor`` filter as typed)."""
    if q := audit_service.search_text(filters.get("q")):
        # The sentences name people who acted by their name here: a search for it finds them.
        filters["actors_named"] = members_service.named_like(actor.portal.id, q)
    filters["acted_by"] = acted_by(session, by)
    return filters


def log(
    session: Session, actor: Actor, *, by: str | None = None, **filters: Any
) -> tuple[list[Entry], str | None]:
    """A page of the portal's audit log (``audit.service.list_events``'s filters and cursor;
    ``by``: the ``actor`` filter, ``acted_by``), each event in words. A person who acted is
    named by their name in this portal (``names.names_in_portal``), an HR sync by its system
    ("BambooHR sync"); an API key, the system, or someone without a name here keep the label
    the event was written with."""
    events, next_cursor = audit_service.list_events(session, actor, **_filters(session, actor, by, filters))
    users = members_service.users_by_id(session, {e.actor_user_id for e in events if e.actor_user_id})
    names = names_in_portal(session, actor.portal.id, users.values())

    def who(event: AuditEvent) -> str | None:
        user = users.get(event.actor_user_id) if event.actor_user_id else None
        # The label is the person's address when they acted themselves (an API key acting for
        # its maker carries the key's label: the sentence names the key by it, ``words``).
        if user is not None and user.address == event.actor_label and names.get(user.id):
            return names[user.id]
        return hr_service.actor_words(event.actor_label)  # an HR sync: "BambooHR sync"

    return [Entry(e, sentence(e, actor=who(e))) for e in events], next_cursor


def count(session: Session, actor: Actor, *, by: str | None = None, **filters: Any) -> int:
    """How many events ``log``'s filters match, in all."""
    return audit_service.count_events(session, actor, **_filters(session, actor, by, filters))


def _label_words(label: str) -> str:
    """Who acted, by a label that names no person, in words: "The system (Admit itself)", an
    HR sync by its system ("BambooHR sync": ``directory.hr.service.actor_words``), a SCIM token
    by its connection ("SCIM (Okta)"); any other label as it is."""
    return NO_ONE_WORDS.get(label) or hr_service.actor_words(label) or scim_of_label(label) or label


def actor_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """The people (and systems) the log's actor filter offers: those who acted in its latest
    events (``audit.service.recent_actors``), as ``(value, shown)``: a person by their address,
    shown by their name here (or the address); an API key's maker as that person; anyone else
    by the label the events carry."""
    recent = audit_service.recent_actors(session, actor)
    users = members_service.users_by_id(session, {user_id for user_id, _label in recent if user_id})
    names = names_in_portal(session, actor.portal.id, users.values())
    choices: dict[str, str] = {}
    for user_id, label in recent:
        user = users.get(user_id) if user_id else None
        if user is not None and user.address:
            choices.setdefault(user.address, names.get(user.id) or readable_phone(user.address))
        else:
            choices.setdefault(label, _label_words(label))
    return sorted(choices.items(), key=lambda c: (c[1].casefold(), c[0]))


# The export's columns: when (ISO 8601, UTC), who acted (the label the event carries: an address,
# an API key's or a system's), the action's code, its category, the line the page shows, from where.
CSV_HEADER = ("time", "actor", "action", "category", "summary", "ip")
EXPORT_PAGE = 500


def csv_lines(db: Database, actor: Actor, *, by: str | None = None, **filters: Any) -> Iterator[str]:
    """Every event the filters match as CSV, newest first, in chunks: read a page at a time,
    each page in a short transaction of its own (a slow download never holds one open: on
    SQLite that would hold the write lock), so memory stays flat however long the log. Every
    text cell is spreadsheet-safe (``kit.sheets.safe_cell``)."""
    return csv_chunks(CSV_HEADER, _rows(db, actor, by, filters))


def _rows(db: Database, actor: Actor, by: str | None, filters: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    cursor: str | None = None
    while True:
        with db.unit_of_work() as session:
            entries, cursor = log(session, actor, by=by, cursor=cursor, limit=EXPORT_PAGE, **dict(filters))
        for e in entries:
            event = e.event
            yield (
                event.created_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                safe_cell(event.actor_label),
                event.action,
                category_of(event.action),
                safe_cell(e.summary),
                address(event.ip) or "",
            )
        if cursor is None:
            return
