"""The Contacts "+": a person's details, then one of three endings (``then``):

- ``workspace`` — **Add to Workspace**: into an existing workspace, or a new one made on the
  spot, through ``flows.workspace_people.add_people`` (an invitation that lands them there, or a
  "you were added" message for someone already in the portal);
- ``contacts`` — **Add to Contacts**: kept in contacts and sent a portal invitation;
- ``quietly`` — **Add to Contacts Quietly**: kept in contacts, nothing sent. ``invite`` sends
  their invitation later, in one click.

Inviting someone new as an internal user needs the right to invite internal users, whichever
ending is chosen. Also here: the "+" → client group, with Add to Workspace.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from admit import policy
from admit.actor import Actor
from admit.audit import service as audit_service
from admit.contacts import service as contacts_service
from admit.contacts.models import Contact
from admit.contacts.schemas import ContactResultOutcome as Done
from admit.errors import InvalidInput, NoAddress, WorkspaceExists
from admit.flows import groups, workspace_people
from admit.invitations import pipeline
from admit.invitations.codes import SkipCode
from admit.invitations.options import check_options
from admit.invitations.pipeline import Outcome, Recipient, RecipientResult
from admit.kit.text import readable_phone
from admit.members import service as members_service
from admit.policy import UserType
from admit.teams.models import CLIENT_GROUP
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import KINDS, Workspace

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["THEN", "ContactResult", "GroupResult", "add", "add_group", "invite"]

THEN = ("workspace", "contacts", "quietly")


@dataclass(slots=True)
class ContactResult:
    contact: Contact
    outcome: Done
    detail: str = ""
    workspace: Workspace | None = None
    invitation_id: uuid.UUID | None = None


@dataclass(slots=True)
class GroupResult:
    change: groups.TeamChange  # the group and how each of its people was added to it
    workspace: Workspace | None = None
    added: list[RecipientResult] | None = None  # how the group went into the workspace


def add(
    session: Session,
    actor: Actor,
    *,
    recipient: str,
    user_type: str = UserType.CLIENT,
    name: str | None = None,
    then: str = "contacts",
    workspace_id: uuid.UUID | None = None,
    workspace_name: str | None = None,
    workspace_kind: str = "chat",
) -> ContactResult:
    """Keep someone in the actor's contacts, then do what ``then`` says (see the module)."""
    policy.require(actor.role, policy.Action.CONTACT_MANAGE)
    policy.user_type_of(user_type)
    if then not in THEN:
        raise InvalidInput.not_one_of("then", THEN)
    parsed = members_service.parse_recipient(session, recipient or "")
    if parsed.address is None:
        raise InvalidInput(parsed.error or "Give an email address or a phone number.", field="recipient")
    clean_name = contacts_service.check_name(name) or parsed.name
    if then == "workspace":
        if workspace_id is None and not (workspace_name or "").strip():
            raise InvalidInput("Choose a workspace, or name a new one.", field="workspace_id")
        if workspace_id is not None and (workspace_name or "").strip():
            # Both given: which was meant is not ours to guess (the named one had been ignored).
            raise InvalidInput("Choose a workspace or name a new one, not both.", field="workspace_name")
        if workspace_kind not in KINDS:
            raise InvalidInput.not_one_of("workspace_kind", KINDS)

    user = members_service.get_user_by_address(session, parsed.address)
    if user is not None and user.id == actor.user_id:
        raise InvalidInput(
            "That is your own address: your contacts are the people you work with.", field="recipient"
        )
    member = members_service.get_membership(session, actor.portal.id, user.id) if user else None
    active = member is not None and member.status == members_service.ACTIVE
    if not active:
        # Someone new to the portal: adding them at all is a step towards inviting them.
        policy.require(actor.role, policy.invite_action(user_type))
    kept_type = member.user_type if member is not None and active else user_type
    if user is None:
        user = members_service.get_or_create_user(session, parsed.address)

    contact, is_new = contacts_service.get_or_create(
        session, actor, user, kept_type, clean_name, quiet=then == "quietly"
    )
    if then == "quietly":
        result = ContactResult(
            contact,
            Done.ADDED_QUIETLY if is_new else Done.ALREADY_IN_CONTACTS,
            "Added to your contacts. Nothing was sent."
            if is_new
            else "Already in your contacts. Nothing was sent.",
        )
    elif then == "contacts":
        result = _invite(session, actor, contact, Recipient(parsed.raw, parsed.address, clean_name))
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


def _invite(session: Session, actor: Actor, contact: Contact, recipient: Recipient) -> ContactResult:
    member = members_service.get_membership(session, actor.portal.id, contact.user_id)
    if member is not None and member.status == members_service.ACTIVE:
        said = f"{readable_phone(contact.user.label)} is already in the portal."
        return ContactResult(contact, Done.ALREADY_MEMBER, said)
    options = check_options(actor, user_type=contact.user_type)
    result = pipeline.invite(session, actor, [recipient], options, via="contact").results[0]
    contact.quiet = False
    if result.outcome is Outcome.INVITED:
        contact.invitation_id = result.invitation_id
        return ContactResult(contact, Done.INVITED, "Invitation sent.", invitation_id=contact.invitation_id)
    if result.code is SkipCode.ALREADY_INVITED:
        contact.invitation_id = result.invitation_id or contact.invitation_id
        return ContactResult(
            contact,
            Done.ALREADY_INVITED,
            "Already invited to the portal: that invitation is still pending.",
            invitation_id=contact.invitation_id,
        )
    raise InvalidInput(result.detail, field="recipient")


def _to_workspace(
    session: Session,
    actor: Actor,
    contact: Contact,
    address: str,
    user_type: str,
    workspace_id: uuid.UUID | None,
    workspace_name: str | None,
    workspace_kind: str,
) -> ContactResult:
    workspace = _workspace_for(session, actor, workspace_id, workspace_name, workspace_kind)
    added = workspace_people.add_people(
        session, actor, workspace.id, recipients=[address], user_type=user_type
    )[0]
    if not workspace_people.placed(added):
        raise InvalidInput(added.detail, field="recipient")
    if added.invitation_id is not None:
        contact.invitation_id = added.invitation_id
        contact.quiet = False
    # Skipped: only as in it already, or on the invitation that stands (any other is refused above).
    skipped = Done.ALREADY_INVITED if added.code is SkipCode.ALREADY_INVITED else Done.ALREADY_IN_WORKSPACE
    outcome = {Outcome.ADDED: Done.ADDED_TO_WORKSPACE, Outcome.INVITED: Done.INVITED_TO_WORKSPACE}.get(
        added.outcome, skipped
    )
    return ContactResult(
        contact, outcome, added.detail, workspace=workspace, invitation_id=added.invitation_id
    )


def _workspace_for(
    session: Session, actor: Actor, workspace_id: uuid.UUID | None, workspace_name: str | None, kind: str
) -> Workspace:
    """Add to Workspace: the one picked (that the actor may reach), or a new one made on the spot
    (the callers have checked that one of the two was given)."""
    if workspace_id is not None:
        return workspaces_service.get_or_raise(session, actor, workspace_id)
    try:
        return workspaces_service.create(session, actor, name=workspace_name or "", kind=kind)
    except WorkspaceExists as exc:  # the name given here is the new workspace's
        raise WorkspaceExists(exc.message, field="workspace_name") from exc


def add_group(
    session: Session,
    actor: Actor,
    *,
    name: str,
    recipients: list[str] | str | None,
    then: str = "group",
    workspace_id: uuid.UUID | None = None,
    workspace_name: str | None = None,
) -> GroupResult:
    """The "+" → client group: make the group (new addresses are invited as clients), and for
    ``then="workspace"`` (Add to Workspace) add it whole to an existing or new workspace. Then the
    new people are invited when the group joins it, so their one invitation names the workspace.
    A group of no one is refused (``groups.create``'s ``someone``): this is inviting it."""
    into_workspace = then == "workspace"
    if into_workspace and workspace_id is None and not (workspace_name or "").strip():
        raise InvalidInput("Choose a workspace, or name a new one.", field="workspace_id")
    change = groups.create(
        session,
        actor,
        kind=CLIENT_GROUP,
        name=name,
        recipients=recipients,
        invite=not into_workspace,
        someone=True,  # a group invited with no one in it invites nobody
    )
    if not into_workspace:
        return GroupResult(change)
    workspace = _workspace_for(session, actor, workspace_id, workspace_name, "chat")
    added = workspace_people.add_people(
        session, actor, workspace.id, group_ids=[change.team.id], names=change.names
    )
    return GroupResult(change, workspace, added)


def invite(session: Session, actor: Actor, contact_id: uuid.UUID) -> ContactResult:
    """Invite a contact kept quietly (one click): their portal invitation goes out now."""
    contact = contacts_service.own_or_raise(session, actor, contact_id)
    policy.require(actor.role, policy.invite_action(contact.user_type))
    address = contact.user.address
    if address is None:
        raise NoAddress("This contact has no address to invite.")
    result = _invite(session, actor, contact, Recipient(address, address, contact.name))
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
