"""Sorting the people someone asked for (by id, or typed as addresses) into those already in
the portal, those to invite, and those to skip: the one loop every "add people" flow starts
with (a workspace's Invite panel, a team or client group)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from admit.errors import InvalidInput
from admit.invitations.pipeline import (
    MAX_RECIPIENTS_PER_REQUEST,
    Outcome,
    Recipient,
    RecipientResult,
    SkipCode,
)
from admit.members import service as members_service
from admit.members.addresses import split_recipients
from admit.members.models import Member

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["Asked", "sort_asked", "skipped"]


def skipped(
    asked: str,
    code: SkipCode | str,
    detail: str,
    *,
    user_id: uuid.UUID | None = None,
    address: str | None = None,
) -> RecipientResult:
    return RecipientResult(
        recipient=asked, outcome=Outcome.SKIPPED, code=code, detail=detail, user_id=user_id, address=address
    )


@dataclass(slots=True)
class Asked:
    existing: list[tuple[str, Member]] = field(default_factory=list)  # (as asked, active member)
    new: list[Recipient] = field(default_factory=list)  # addresses not active in the portal
    skipped: list[RecipientResult] = field(default_factory=list)
    active: dict[uuid.UUID, Member] = field(default_factory=dict)  # {user_id: Member} of everyone looked up


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
    texts = split_recipients(recipients or [])
    ids = list(dict.fromkeys(user_ids or []))
    if len(texts) + len(ids) > MAX_RECIPIENTS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_RECIPIENTS_PER_REQUEST} people per request.", field="recipients")
    parsed = [Recipient.parse(session, text) for text in texts]
    users = members_service.users_by_address(session, {r.address for r in parsed if r.address})
    out = Asked()
    out.active = members_service.active_members(
        session, portal_id, [*ids, *(u.id for u in users.values()), *also]
    )
    for user_id in ids:
        member = out.active.get(user_id)
        if member is None:
            out.skipped.append(skipped(str(user_id), "not_found", "No such person in this portal."))
        else:
            out.existing.append((member.user.label, member))
    seen: set[str] = set()
    for r in parsed:
        if r.address is None:
            out.skipped.append(skipped(r.raw, SkipCode.INVALID_RECIPIENT, r.error or ""))
            continue
        if r.address in seen:
            out.skipped.append(skipped(r.raw, SkipCode.DUPLICATE, "Listed more than once."))
            continue
        seen.add(r.address)
        user = users.get(r.address)
        member = out.active.get(user.id) if user is not None else None
        if member is not None:
            out.existing.append((r.raw, member))
        else:
            out.new.append(r)
    return out
