"""Contacts: add (then Add to Workspace / Add to Contacts / Add to Contacts Quietly), list, invite,
rename, delete."""

from __future__ import annotations

import uuid

from fastapi import Response

from admit.api.deps import ActorDep, Limit
from admit.api.errors import problems
from admit.api.idempotency import IdempotentDep
from admit.contacts import service as contacts_service
from admit.contacts.schemas import ContactCreate, ContactList, ContactRead, ContactResultRead, ContactUpdate
from admit.errors import (
    ContactNotFound,
    NoAddress,
    PermissionDenied,
    RateLimited,
    WorkspaceExists,
    WorkspaceNotFound,
)
from admit.flows import contacts as contacts_flow
from admit.kit.routing import Router
from admit.people import contacts as people_contacts
from admit.web import SessionDep

router = Router(tags=["contacts"])


@router.post(
    "/portals/{portal}/contacts",
    response_model=ContactResultRead,
    status_code=201,
    operation_id="contacts_add",
    responses=problems(PermissionDenied, WorkspaceNotFound, WorkspaceExists, RateLimited),
)
def add_contact(body: ContactCreate, actor: ActorDep, session: SessionDep) -> ContactResultRead:
    """Add a client or internal user to your contacts, then: ``workspace`` (into an existing
    workspace, or a new one named ``workspace_name``), ``contacts`` (send a portal invitation)
    or ``quietly`` (send nothing)."""
    result = contacts_flow.add(
        session,
        actor,
        recipient=body.recipient,
        user_type=body.user_type,
        name=body.name,
        then=body.then,
        workspace_id=body.workspace_id,
        workspace_name=body.workspace_name,
        workspace_kind=body.workspace_kind,
    )
    return ContactResultRead.of(result)


@router.get(
    "/portals/{portal}/contacts",
    response_model=ContactList,
    operation_id="contacts_list",
    responses=problems(PermissionDenied),
)
def list_contacts(
    actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> ContactList:
    """Your contacts, newest first, with where each stands: joined, invited, not invited."""
    views, next_cursor = people_contacts.list_contacts(session, actor, cursor=cursor, limit=limit)
    return ContactList(
        items=[ContactRead.of(v.contact, v.status, v.name) for v in views], next_cursor=next_cursor
    )


@router.post(
    "/portals/{portal}/contacts/{contact_id}/invite",
    response_model=ContactResultRead,
    operation_id="contacts_invite",
    responses=problems(PermissionDenied, ContactNotFound, NoAddress, RateLimited),
)
def invite_contact(
    contact_id: uuid.UUID, actor: ActorDep, session: SessionDep, once: IdempotentDep
) -> ContactResultRead | Response:
    """Send the portal invitation of a contact added quietly."""
    return once(
        session, actor, lambda: ContactResultRead.of(contacts_flow.invite(session, actor, contact_id))
    )


@router.patch(
    "/portals/{portal}/contacts/{contact_id}",
    response_model=ContactRead,
    operation_id="contacts_rename",
    responses=problems(PermissionDenied, ContactNotFound),
)
def rename_contact(
    contact_id: uuid.UUID, body: ContactUpdate, actor: ActorDep, session: SessionDep
) -> ContactRead:
    """Give one of your contacts another name."""
    contact = contacts_service.rename(session, actor, contact_id, name=body.name)
    view = people_contacts.contact_view(session, actor, contact)
    return ContactRead.of(view.contact, view.status, view.name)


@router.delete(
    "/portals/{portal}/contacts/{contact_id}",
    status_code=204,
    operation_id="contacts_delete",
    responses=problems(PermissionDenied, ContactNotFound),
)
def delete_contact(contact_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Take someone out of your contacts: they keep their place in the portal and any
    invitation already sent."""
    contacts_service.delete(session, actor, contact_id)
