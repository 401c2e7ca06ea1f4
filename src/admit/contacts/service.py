"""Contacts: the clients and internal users someone keeps at hand (the Contacts "+").

Contacts are per person (``owner``; none for an API key with no person behind it). This module
keeps them; what happens after the details (Add to Workspace / Add to Contacts / Add to
Contacts Quietly) is ``flows.contacts``, and the list with where each contact stands is
``people.contacts``.

A contact can be renamed (the name this person gave them) and deleted. Deleting only takes them
out of their owner's contacts: the person keeps their portal membership, any invitation already
sent stays valid, and nothing else points at a contact, so the row goes (the audit log keeps
what happened to it).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.contacts.models import Contact
from admit.errors import ContactNotFound, InvalidInput, at_most_characters
from admit.kit.pagination import page

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User


__all__ = ["MAX_NAME", "check_name", "delete", "get_or_create", "list_own", "own_or_raise", "rename"]

MAX_NAME = 200


def check_name(name: str | None, *, required: bool = False) -> str:
    """A contact's name, trimmed, at most ``MAX_NAME`` characters; errors name the field. When
    adding someone it may be left out (the name typed with the address is used, or the person's
    own once they are a member); a rename must give one (``required``)."""
    name = (name or "").strip()
    if required and not name:
        raise InvalidInput("Give the contact a name.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(at_most_characters(MAX_NAME, name), field="name")
    return name


def _owner(actor: Actor) -> ColumnElement[bool]:
    return Contact.owner_id.is_(None) if actor.user_id is None else Contact.owner_id == actor.user_id


def _find(session: Session, actor: Actor, user_id: uuid.UUID) -> Contact | None:
    return session.scalar(
        select(Contact).where(Contact.portal_id == actor.portal.id, _owner(actor), Contact.user_id == user_id)
    )


def get_or_create(
    session: Session, actor: Actor, user: User, user_type: str, name: str, *, quiet: bool
) -> tuple[Contact, bool]:
    """The actor's contact for ``user``, made if there is none; returns it and whether it is new.
    Two adds at the same moment make one (a unique index, and the loser reads the winner's row)."""
    policy.require(actor.role, policy.Action.CONTACT_MANAGE)
    contact = _find(session, actor, user.id)
    if contact is not None:
        if name and not contact.name:
            contact.name = name
        return contact, False
    contact = Contact(
        portal_id=actor.portal.id,
        owner_id=actor.user_id,
        user_id=user.id,
        user_type=user_type,
        name=name,
        quiet=quiet,
        created_at=context.of(session).clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(contact)
            session.flush()
    except IntegrityError:
        contact = _find(session, actor, user.id)
        assert contact is not None
        return contact, False
    return contact, True


def own_or_raise(session: Session, actor: Actor, contact_id: uuid.UUID) -> Contact:
    """One of the actor's own contacts; 404 otherwise."""
    policy.require(actor.role, policy.Action.CONTACT_MANAGE)
    contact = session.get(Contact, contact_id)
    if contact is None or contact.portal_id != actor.portal.id or contact.owner_id != actor.user_id:
        raise ContactNotFound("No such contact.")
    return contact


def list_own(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[Contact], str | None]:
    """The actor's contacts, newest first: ``(contacts, next_cursor)``."""
    policy.require(actor.role, policy.Action.CONTACT_MANAGE)
    query = select(Contact).where(Contact.portal_id == actor.portal.id, _owner(actor))
    return page(session, query, Contact, cursor=cursor, limit=limit)


def rename(session: Session, actor: Actor, contact_id: uuid.UUID, *, name: str) -> Contact:
    """Give one of the actor's contacts another name (``check_name``); audited."""
    contact = own_or_raise(session, actor, contact_id)
    name = check_name(name, required=True)
    before = contact.name
    if name == before:
        return contact
    contact.name = name
    audit_service.record(
        session,
        actor,
        "contact.renamed",
        target_type="contact",
        target_id=contact.id,
        target_label=contact.user.address or name,
        detail={"from": before, "to": name},
    )
    session.flush()
    return contact


def delete(session: Session, actor: Actor, contact_id: uuid.UUID) -> Contact:
    """Take someone out of the actor's contacts (see the module: nothing else changes);
    audited. Returns the deleted row (detached from the session's list)."""
    contact = own_or_raise(session, actor, contact_id)
    audit_service.record(
        session,
        actor,
        "contact.deleted",
        target_type="contact",
        target_id=contact.id,
        target_label=contact.user.address or contact.name,
        detail={"name": contact.name, "user_type": contact.user_type},
    )
    session.delete(contact)
    session.flush()
    return contact
