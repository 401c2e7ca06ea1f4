"""Sorting the people someone asked for (by id, or typed as addresses) into those already in
the portal, those to invite, and those to skip: the one loop every "add people" flow starts
with (a workspace's Invite panel, a team or client group)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from admit.errors import InvalidInput
from admit.invitations.codes import AddSkipCode, ResultCode, SkipCode
from admit.invitations.pipeline import (
    DETAILS,
    MAX_RECIPIENTS_PER_REQUEST,
    Outcome,
    Recipient,
    RecipientResult,
)
from admit.members import service as members_service
from admit.members.addresses import recipients_by_element, split_recipients
from admit.members.models import Member

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = [
    "Asked",
    "At",
    "Found",
    "check_someone_asked",
    "deactivated_skip",
    "in_order_asked",
    "sort_asked",
    "skipped",
]


@dataclass(frozen=True, slots=True)
class At:
    """Where a person was asked for: the element of a list of ``recipients`` (``index``: the
    API's and the CLI's; None for a typed or pasted text, a user id or a group's person) and the
    place among everything asked for in the request (``position``)."""

    index: int | None = None
    position: int | None = None


NOWHERE = At()  # someone who came with a team or client group: after everyone asked for by name


def skipped(
    asked: str,
    code: ResultCode,
    detail: str,
    *,
    user_id: uuid.UUID | None = None,
    address: str | None = None,
    at: At = NOWHERE,
) -> RecipientResult:
    return RecipientResult(
        recipient=asked,
        outcome=Outcome.SKIPPED,
        code=code,
        detail=detail,
        user_id=user_id,
        address=address,
        index=at.index,
        position=at.position,
    )


def deactivated_skip(
    asked: str, *, user_id: uuid.UUID, address: str | None = None, at: At = NOWHERE
) -> RecipientResult:
    """A deactivated member asked for (by address, by id, or with a team): skipped as the
    invitation pipeline skips them, in its words (``member_deactivated``)."""
    return skipped(
        asked,
        SkipCode.MEMBER_DEACTIVATED,
        DETAILS[SkipCode.MEMBER_DEACTIVATED],
        user_id=user_id,
        address=address,
        at=at,
    )


def at(result: RecipientResult) -> At:
    """Where ``result``'s person was asked for (as the pipeline's results say it)."""
    return At(result.index, result.position)


def in_order_asked(results: list[RecipientResult]) -> list[RecipientResult]:
    """``results`` in the order their people were asked for (user ids, then the recipients as
    listed), those who came with a team or client group last in the order they were found:
    the order the API, the CLI and the pages promise, whatever the passes that decided them."""
    last = len(results) + MAX_RECIPIENTS_PER_REQUEST
    return sorted(results, key=lambda r: last if r.position is None else r.position)


@dataclass(frozen=True, slots=True)
class Found:
    """An active member of the portal asked for: how they were asked for, and where."""

    label: str
    member: Member
    at: At


@dataclass(slots=True)
class Asked:
    existing: list[Found] = field(default_factory=list)  # active members of the portal
    new: list[Recipient] = field(default_factory=list)  # addresses not active in the portal
    skipped: list[RecipientResult] = field(default_factory=list)
    active: dict[uuid.UUID, Member] = field(default_factory=dict)  # {user_id: Member} of everyone looked up
    # The user ids looked up whose membership was ended (deactivated): never invited or added
    # again, whatever way they are asked for (``member_deactivated``; Reactivate is the way back).
    deactivated: set[uuid.UUID] = field(default_factory=set)


def check_someone_asked(recipients: list[str] | str | None, user_ids: list[uuid.UUID] | None = None) -> None:
    """Refuse a change that asks for nobody (no address given, no one picked): a team's or
    client group's Add people with its box left empty, a client group invited through "+" with
    no one in it, which would do nothing and say it was done. Raises ``InvalidInput`` naming
    ``recipients``."""
    if not user_ids and not any(text.strip() for text in split_recipients(recipients or "")):
        raise InvalidInput("List at least one email address or phone number.", field="recipients")


def sort_asked(
    session: Session,
    portal_id: uuid.UUID,
    *,
    recipients: list[str] | str | None,
    user_ids: list[uuid.UUID] | None,
    also: Iterable[uuid.UUID] = (),
) -> Asked:
    """Parse, dedupe and look up what was asked for: ``user_ids`` must be active members;
    typed addresses are active members or new; ``also`` (more user ids, e.g. a team's people)
    are looked up in the same query. At most ``MAX_RECIPIENTS_PER_REQUEST`` people."""
    listed: list[tuple[int | None, str]] = (
        [(None, text) for text in split_recipients(recipients)]
        if isinstance(recipients, str)
        else list(recipients_by_element(recipients or []))
    )
    ids = list(dict.fromkeys(user_ids or []))
    if len(listed) + len(ids) > MAX_RECIPIENTS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_RECIPIENTS_PER_REQUEST} people per request.", field="recipients")
    parsed = [
        Recipient.parse(session, text, index=index, position=len(ids) + i)
        for i, (index, text) in enumerate(listed)
    ]
    users = members_service.users_by_address(session, {r.address for r in parsed if r.address})
    out = Asked()
    looked_up = [*ids, *(u.id for u in users.values()), *also]
    out.active = members_service.active_members(session, portal_id, looked_up)
    out.deactivated = members_service.access_ended_among(
        session, portal_id, [u for u in looked_up if u not in out.active]
    )
    for position, user_id in enumerate(ids):
        member = out.active.get(user_id)
        where = At(position=position)
        if user_id in out.deactivated:
            out.skipped.append(deactivated_skip(str(user_id), user_id=user_id, at=where))
        elif member is None:
            out.skipped.append(
                skipped(str(user_id), AddSkipCode.NOT_FOUND, "No such person in this portal.", at=where)
            )
        else:
            out.existing.append(Found(member.user.label, member, where))
    seen: set[str] = set()
    for r in parsed:
        where = At(r.index, r.position)
        if r.address is None:
            out.skipped.append(skipped(r.raw, SkipCode.INVALID_RECIPIENT, r.error or "", at=where))
            continue
        if r.address in seen:
            out.skipped.append(skipped(r.raw, SkipCode.DUPLICATE, "Listed more than once.", at=where))
            continue
        seen.add(r.address)
        user = users.get(r.address)
        member = out.active.get(user.id) if user is not None else None
        if user is not None and user.id in out.deactivated:
            out.skipped.append(deactivated_skip(r.raw, user_id=user.id, address=r.address, at=where))
        elif member is not None:
            out.existing.append(Found(r.raw, member, where))
        else:
            out.new.append(r)
    return out
