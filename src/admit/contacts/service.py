"""Contacts: the clients and internal users someone keeps at hand (the Contacts "+").

After the person's details, **Next** offers three endings (``then``):

- ``workspace`` — **Add to Workspace**: into an existing workspace, or a new one made on the
  spot, through ``workspaces.people.add_people`` (an invitation that lands them there, or a
  "you were added" message for someone already in the portal);
- ``contacts`` — **Add to Contacts**: kept in contacts and sent a portal invitation;
- ``quietly`` — **Add to Contacts Quietly**: kept in contacts, nothing sent. ``invite`` sends
  their invitation later, in one click.

Contacts are per person (``owner``); inviting someone new as an internal user needs the right to
invite internal users, whichever ending is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.contacts.models import Contact
from admit.errors import Conflict, InvalidInput, NotFound
from admit.invitations import service as invitations_service
from admit.invitations.models import PENDING, Invitation
from admit.kit import clock
from admit.members import service as members_service
from admit.members.addresses import parse_recipient
from admit.members.models import Member
from admit.people import names as people_names
from admit.policy import UserType
from admit.teams import service as teams_service
from admit.teams.models import CLIENT_GROUP
from admit.workspaces import people
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import KINDS, Workspace

__all__ = [
    "ContactResult",
    "ContactView",
    "GroupResult",
    "THEN",
    "add",
    "add_group",
    "invite",
    "list_contacts",
]

THEN = ("workspace", "contacts", "quietly")


@dataclass(slots=True)
class ContactResult:
    contact: Contact
    outcome: str  # added_quietly | invited | already_member | already_invited | added_to_workspace | …
    detail: str = ""
    workspace: Workspace | None = None
    invitation_id: object = None


@dataclass(slots=True)
class ContactView:
    contact: Contact
    status: str  # joined | invited | not_invited | deactivated
    name: str = ""  # as this portal may show it (``members.service.names_in_portal``)


def add(
    session: Session,
    actor: Actor,
    *,
    recipient: str,
    user_type: str = UserType.CLIENT,
    name: str | None = None,
    then: str = "contacts",
    workspace_id=None,
    workspace_name: str | None = None,
    workspace_kind: str = "chat",
) -> ContactResult:
    """Keep someone in the actor's contacts, then do what ``then`` says (see the module)."""
    policy.require(actor.role, policy.Action.CONTACT_MANAGE)
    if user_type not in tuple(UserType):
        raise InvalidInput("user_type must be client or internal.", field="user_type")
    if then not in THEN:
        raise InvalidInput(f"then must be one of {', '.join(THEN)}.", field="then")
    parsed = parse_recipient(recipient or "")
    if parsed.address is None:
        raise InvalidInput(parsed.error or "Give an email address or a phone number.", field="recipient")
    clean_name = (name or "").strip()[:200] or parsed.name
    if then == "workspace":
        if workspace_id is None and not (workspace_name or "").strip():
            raise InvalidInput("Choose a workspace, or name a new one.", field="workspace_id")
        if workspace_kind not in KINDS:
            raise InvalidInput(f"workspace_kind must be one of {', '.join(KINDS)}.", field="workspace_kind")

    user = members_service.get_user_by_address(session, parsed.address)
    member = members_service.get_membership(session, actor.portal.id, user.id) if user else None
    active = member is not None and member.status == members_service.ACTIVE
    if not active:
        # Someone new to the portal: adding them at all is a step towards inviting them.
        policy.require(actor.role, policy.invite_action(user_type))
    kept_type = member.user_type if active else user_type
    if user is None:
        user = members_service.get_or_create_user(session, parsed.address)

    contact, is_new = _get_or_create(session, actor, user, kept_type, clean_name, quiet=then == "quietly")

    if then == "quietly":
        result = ContactResult(
            contact,
            "added_quietly" if is_new else "already_in_contacts",
            "Added to your contacts. Nothing was sent."
            if is_new
            else "Already in your contacts. Nothing was sent.",
        )
    elif then == "contacts":
        result = _invite(
            session, actor, contact, parsed.raw if not clean_name else f"{clean_name} <{parsed.address}>"
        )
    else:
        text = f"{clean_name} <{parsed.address}>" if clean_name else parsed.address
        result = _to_workspace(
            session, actor, contact, text, user_type, workspace_id, workspace_name, workspace_kind
        )
    audit_service.record(
        session,
        actor,
        "contact.added" if is_new else "contact.used",
        target_type="contact",
        target_id=contact.id,
        target_label=parsed.address,
        detail={"then": then, "outcome": result.outcome, "user_type": kept_type},
    )
    session.flush()
    return result


def _find(session: Session, actor: Actor, user_id) -> Contact | None:
    owner = Contact.owner_id.is_(None) if actor.user_id is None else Contact.owner_id == actor.user_id
    return session.scalar(
        select(Contact).where(Contact.portal_id == actor.portal.id, owner, Contact.user_id == user_id)
    )


def _get_or_create(
    session: Session, actor: Actor, user, user_type: str, name: str, *, quiet: bool
) -> tuple[Contact, bool]:
    """The actor's contact for ``user``, made if there is none. Two adds at the same moment make
    one (a unique index, and the loser reads the winner's row)."""
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
        created_at=clock.now(),
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


def _invite(session: Session, actor: Actor, contact: Contact, recipient_text: str) -> ContactResult:
    member = members_service.get_membership(session, actor.portal.id, contact.user_id)
    if member is not None and member.status == members_service.ACTIVE:
        return ContactResult(contact, "already_member", f"{contact.user.label} is already in the portal.")
    result = invitations_service.invite(
        session, actor, recipients=[recipient_text], user_type=contact.user_type
    )
    contact.quiet = False
    if result.invited:
        contact.invitation_id = result.invited[0].id
        return ContactResult(contact, "invited", "Invitation sent.", invitation_id=contact.invitation_id)
    skip = result.skipped[0]
    if skip.code == "already_invited":
        contact.invitation_id = skip.invitation_id or contact.invitation_id
        return ContactResult(
            contact,
            "already_invited",
            "Already invited to the portal: that invitation is still pending.",
            invitation_id=contact.invitation_id,
        )
    raise InvalidInput(skip.detail, field="recipient")


def _to_workspace(
    session: Session,
    actor: Actor,
    contact: Contact,
    address: str,
    user_type: str,
    workspace_id,
    workspace_name: str | None,
    workspace_kind: str,
) -> ContactResult:
    workspace = _workspace_for(session, actor, workspace_id, workspace_name, workspace_kind)
    added = people.add_people(session, actor, workspace.id, recipients=[address], new_user_type=user_type)[0]
    if added.outcome == "skipped" and added.code != "already_in_workspace":
        raise InvalidInput(added.detail, field="recipient")
    if added.invitation_id is not None:
        contact.invitation_id = added.invitation_id
        contact.quiet = False
    outcome = {"added": "added_to_workspace", "invited": "invited_to_workspace"}.get(
        added.outcome, added.code
    )
    return ContactResult(
        contact, outcome, added.detail, workspace=workspace, invitation_id=added.invitation_id
    )


def _workspace_for(session: Session, actor: Actor, workspace_id, workspace_name: str | None, kind: str):
    """Add to Workspace: the one picked (that the actor may reach), or a new one made on the spot
    (the callers have checked that one of the two was given)."""
    if workspace_id is not None:
        return workspaces_service.get_or_raise(session, actor, workspace_id)
    return workspaces_service.create(session, actor, name=workspace_name, kind=kind)


@dataclass(slots=True)
class GroupResult:
    change: teams_service.TeamChange  # the group and how each of its people was added to it
    workspace: Workspace | None = None
    added: list[people.AddResult] | None = None  # how the group went into the workspace


def add_group(
    session: Session,
    actor: Actor,
    *,
    name: str,
    recipients: list[str] | str | None,
    then: str = "group",
    workspace_id=None,
    workspace_name: str | None = None,
) -> GroupResult:
    """The "+" → client group: make the group (new addresses are invited as clients), and for
    ``then="workspace"`` (Add to Workspace) add it whole to an existing or new workspace. Then the
    new people are invited when the group joins it, so their one invitation names the workspace."""
    into_workspace = then == "workspace"
    if into_workspace and workspace_id is None and not (workspace_name or "").strip():
        raise InvalidInput("Choose a workspace, or name a new one.", field="workspace_id")
    change = teams_service.create(
        session, actor, kind=CLIENT_GROUP, name=name, recipients=recipients, invite=not into_workspace
    )
    if not into_workspace:
        return GroupResult(change)
    workspace = _workspace_for(session, actor, workspace_id, workspace_name, "chat")
    added = people.add_people(session, actor, workspace.id, group_ids=[change.team.id])
    return GroupResult(change, workspace, added)


def _own_or_raise(session: Session, actor: Actor, contact_id) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.portal_id != actor.portal.id or contact.owner_id != actor.user_id:
        raise NotFound("No such contact.", code="contact_not_found")
    return contact


def invite(session: Session, actor: Actor, contact_id) -> ContactResult:
    """Invite a contact kept quietly (one click): their portal invitation goes out now."""
    policy.require(actor.role, policy.Action.CONTACT_MANAGE)
    contact = _own_or_raise(session, actor, contact_id)
    policy.require(actor.role, policy.invite_action(contact.user_type))
    user = contact.user
    address = user.address
    if address is None:
        raise Conflict("This contact has no address to invite.", code="no_address")
    text = f"{contact.name} <{address}>" if contact.name else address
    result = _invite(session, actor, contact, text)
    audit_service.record(
        session,
        actor,
        "contact.invited",
        target_type="contact",
        target_id=contact.id,
        target_label=address,
        detail={"outcome": result.outcome},
    )
    session.flush()
    return result


def list_contacts(session: Session, actor: Actor, *, limit: int = 500) -> list[ContactView]:
    """The actor's contacts, newest first, each with where they stand in the portal."""
    policy.require(actor.role, policy.Action.CONTACT_MANAGE)
    owner = Contact.owner_id.is_(None) if actor.user_id is None else Contact.owner_id == actor.user_id
    contacts = list(
        session.scalars(
            select(Contact)
            .where(Contact.portal_id == actor.portal.id, owner)
            .order_by(Contact.created_at.desc(), Contact.id)
            .limit(limit)
        )
    )
    user_ids = [c.user_id for c in contacts]
    statuses = (
        dict(
            session.execute(
                select(Member.user_id, Member.status).where(
                    Member.portal_id == actor.portal.id, Member.user_id.in_(user_ids)
                )
            ).all()
        )
        if user_ids
        else {}
    )
    now = clock.now()
    pending_ids = (
        set(
            session.scalars(
                select(Invitation.id).where(
                    Invitation.id.in_([c.invitation_id for c in contacts if c.invitation_id]),
                    Invitation.status == PENDING,
                    Invitation.expires_at > now,
                )
            )
        )
        if any(c.invitation_id for c in contacts)
        else set()
    )
    names = people_names.names_in_portal(session, actor.portal.id, [c.user for c in contacts])
    views = []
    for c in contacts:
        status = statuses.get(c.user_id)
        if status == members_service.ACTIVE:
            state = "joined"
        elif status == members_service.DEACTIVATED:
            state = "deactivated"
        elif c.invitation_id in pending_ids:
            state = "invited"
        else:
            state = "not_invited"
        views.append(ContactView(c, state, c.name or names.get(c.user_id, "")))
    return views
