"""A workspace's interaction panel: its members' conversation (seed 003).

Everyone who can reach the workspace reads and writes — clients too. ``@Their Name`` mentions
a member of the workspace: stored as the user's id, and they are told by email (or text) with a
link to the message. A name that is not a member's is plain text: nobody outside is told.
Names with spaces and accents match as written, in any case, with or without the accents.
Each person's read mark says how far they have read; what came after is unread.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from admit import context
from admit.actor import Actor
from admit.errors import InvalidInput, NotFound, PermissionDenied, at_most_characters
from admit.kit.pagination import page
from admit.members import service as members_service
from admit.notifications import service as notifications_service
from admit.portals import brand as portals_brand
from admit.portals import service as portals_service
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import (
    JOINED,
    Workspace,
    WorkspaceDigest,
    WorkspaceMember,
    WorkspaceMessage,
    WorkspaceRead,
)

__all__ = ["MAX_TEXT", "find_mentions", "list_messages", "mark_read", "post", "reads", "unread_counts"]

MAX_TEXT = 4000


def _fold(text: str) -> str:
    """Case and accents folded, one character for one (``Zoë`` → ``zoe``), so positions hold."""
    return "".join((unicodedata.normalize("NFKD", ch)[:1] or ch).casefold()[:1] or ch for ch in text)


def find_mentions(text: str, people: Iterable[tuple[uuid.UUID, str]]) -> list[uuid.UUID]:
    """The ids of ``people`` (id, name) named as ``@Name`` in ``text``: the longest name that
    fits wins (``@Ann Lee`` over ``@Ann``), a name must end at a word's end, each id once."""
    named = sorted(((pid, _fold(name)) for pid, name in people if name.strip()), key=lambda p: -len(p[1]))
    folded = _fold(text)
    found: list[uuid.UUID] = []
    at = folded.find("@")
    while at != -1:
        before = folded[at - 1] if at > 0 else " "
        if not before.isalnum():
            for pid, name in named:
                end = at + 1 + len(name)
                after = folded[end] if end < len(folded) else " "
                if folded.startswith(name, at + 1) and not after.isalnum():
                    if pid not in found:
                        found.append(pid)
                    break
        at = folded.find("@", at + 1)
    return found


def _reachable(session: Session, actor: Actor, workspace_id: uuid.UUID, *, person: bool = True) -> Workspace:
    """The workspace, when ``actor`` can reach it; ``person``: and is someone (an API key reads
    the panel, but only people write in it and have read marks)."""
    if person and actor.user is None:
        raise PermissionDenied("Messages are written by people: sign in.", of_role=False)
    return workspaces_service.get_or_raise(session, actor, workspace_id)


def _people(session: Session, workspace: Workspace) -> list[WorkspaceMember]:
    return list(session.scalars(select(WorkspaceMember).where(WorkspaceMember.workspace_id == workspace.id)))


def post(session: Session, actor: Actor, workspace_id: uuid.UUID, text: str) -> WorkspaceMessage:
    """Write a message; the members it mentions are told (not its author, not outsiders)."""
    workspace = _reachable(session, actor, workspace_id)
    body = (text or "").strip()
    if not body:
        raise InvalidInput("Write something first.", field="text")
    if len(body) > MAX_TEXT:
        raise InvalidInput(at_most_characters(MAX_TEXT, body), field="text")
    assert actor.user is not None
    mentioned: list[uuid.UUID] = []
    if "@" in body:  # only then are the members' names read
        firsts = {_fold(body[i + 1 : i + 2]) for i, ch in enumerate(body) if ch == "@"}
        people = mentionable(session, workspace, viewer_id=actor.user.id)
        mentioned = find_mentions(body, ((uid, n) for uid, n in people if _fold(n[:1]) in firsts))
    now = context.of(session).clock.now()
    message = WorkspaceMessage(
        id=uuid.uuid4(),
        workspace_id=workspace.id,
        author_id=actor.user.id,
        text=body,
        mentions=[str(m) for m in mentioned],
        created_at=now,
    )
    session.add(message)
    _read_to(session, workspace.id, actor.user.id, now)  # one's own message is read
    link = f"{workspaces_service.workspace_url(session, actor.portal, workspace.id)}#message-{message.id}"
    for user_id, user in members_service.users_by_id(session, mentioned).items():  # whom it tells
        to = user.address
        if to is None:
            continue
        notifications_service.enqueue(
            session,
            event_key=mention_key(message.id, user_id),
            template="mention",
            to=to,
            portal_id=actor.portal.id,
            user_id=user_id,
            context={
                "portal_name": actor.portal.name,
                "brand": portals_brand.for_message(session, actor.portal),
                "workspace_name": workspace.name,
                "author_name": actor.display_name,
                "recipient_name": user.name,
                "text": body[:1000],
                "link": link,
            },
        )
    session.flush()
    return message


def mention_key(message_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The event of telling ``user_id`` that ``message_id`` mentions them: one message each."""
    return f"mention:{message_id}:{user_id}"


def list_messages(
    session: Session,
    actor: Actor,
    workspace_id: uuid.UUID,
    *,
    after: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[WorkspaceMessage], str | None]:
    """The panel's messages, newest first; ``after``: only those newer than that message (what a
    panel already showing it polls for)."""
    workspace = _reachable(session, actor, workspace_id, person=False)
    query = select(WorkspaceMessage).where(WorkspaceMessage.workspace_id == workspace.id)
    if after is not None:
        seen = session.get(WorkspaceMessage, after)
        if seen is None or seen.workspace_id != workspace.id:
            raise NotFound("No such message in this workspace.")
        query = query.where(
            or_(
                WorkspaceMessage.created_at > seen.created_at,
                (WorkspaceMessage.created_at == seen.created_at) & (WorkspaceMessage.id > seen.id),
            )
        )
    return page(session, query, WorkspaceMessage, cursor=cursor, limit=limit)


def _read_to(session: Session, workspace_id: uuid.UUID, user_id: uuid.UUID, moment: datetime) -> None:
    mark = session.scalar(
        select(WorkspaceRead).where(
            WorkspaceRead.workspace_id == workspace_id, WorkspaceRead.user_id == user_id
        )
    )
    if mark is None:
        session.add(WorkspaceRead(workspace_id=workspace_id, user_id=user_id, read_at=moment))
    elif mark.read_at < moment:
        mark.read_at = moment


def mark_read(session: Session, actor: Actor, workspace_id: uuid.UUID) -> None:
    """The person has read the panel up to now."""
    workspace = _reachable(session, actor, workspace_id)
    assert actor.user is not None
    _read_to(session, workspace.id, actor.user.id, context.of(session).clock.now())
    session.flush()


def reads(session: Session, workspace_id: uuid.UUID) -> list[WorkspaceRead]:
    """Each person's read mark in the workspace (who has seen what)."""
    return list(session.scalars(select(WorkspaceRead).where(WorkspaceRead.workspace_id == workspace_id)))


def unread_counts(
    session: Session, user_id: uuid.UUID, workspace_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """``{workspace_id: messages by others after the person's read mark}``, in one query."""
    ids = list(workspace_ids)
    if not ids:
        return {}
    mark = (
        select(WorkspaceRead.read_at)
        .where(WorkspaceRead.workspace_id == WorkspaceMessage.workspace_id, WorkspaceRead.user_id == user_id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(WorkspaceMessage.workspace_id, func.count())
        .where(
            WorkspaceMessage.workspace_id.in_(ids),
            or_(WorkspaceMessage.author_id.is_(None), WorkspaceMessage.author_id != user_id),
            or_(mark.is_(None), WorkspaceMessage.created_at > mark),
        )
        .group_by(WorkspaceMessage.workspace_id)
    )
    return {workspace_id: count for workspace_id, count in rows}


def last_activity(session: Session, workspace_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """``{workspace_id: when its newest message was written}`` (newest activity first, for a list)."""
    ids = list(workspace_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(WorkspaceMessage.workspace_id, func.max(WorkspaceMessage.created_at))
        .where(WorkspaceMessage.workspace_id.in_(ids))
        .group_by(WorkspaceMessage.workspace_id)
    )
    return {workspace_id: moment for workspace_id, moment in rows}


def mentionable(
    session: Session, workspace: Workspace, *, viewer_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, str]]:
    """``(user_id, name)`` of whom a mention tells, by name: what ``@`` offers ``viewer_id`` and
    what ``post`` finds in a message (the one rule of both). The workspace's joined members who
    have a name, but the viewer (the writer) and those whose access to the portal was ended.
    Joined, they are members of the portal: their own name is the one it shows (someone not
    joined yet may have one only from another portal). Plain rows: fast over many people."""
    joined = session.scalars(
        select(WorkspaceMember.user_id).where(
            WorkspaceMember.workspace_id == workspace.id, WorkspaceMember.status == JOINED
        )
    )
    people = list(members_service.names_of(session, [uid for uid in joined if uid != viewer_id]).items())
    ended = members_service.access_ended_among(session, workspace.portal_id, [uid for uid, _ in people])
    return sorted(((uid, name) for uid, name in people if uid not in ended), key=lambda p: _fold(p[1]))


DIGEST_EVERY = timedelta(hours=1)
DIGEST_QUIET = timedelta(minutes=10)  # time to see a message in the app before it is summarised
DIGEST_LOOKBACK = timedelta(days=1)


def send_activity_digests(session: Session) -> int:
    """The worker's step: each joined member of a workspace with messages they have not seen
    (by others, newer than their read mark and their last digest), one of them at least
    ``DIGEST_QUIET`` old, gets one summary of them all (the newer ones too: counted then, or
    never, as the next summary counts from this one), but of those that mention them and came
    to them by their own email (``notifications_service.told``: said as a count, and none when
    only those are new), at most one an hour per workspace (per their preference:
    ``enqueue``). The event key is the person, the workspace and the hour: however many
    workers run, one message. Returns how many were written."""
    now = context.of(session).clock.now()
    quiet_since = now - DIGEST_QUIET
    recent = list(
        session.scalars(
            select(WorkspaceMessage)
            .where(WorkspaceMessage.created_at > now - DIGEST_LOOKBACK, WorkspaceMessage.created_at <= now)
            .order_by(WorkspaceMessage.created_at)
        )
    )
    by_workspace: dict[uuid.UUID, list[WorkspaceMessage]] = {}
    for message in recent:
        by_workspace.setdefault(message.workspace_id, []).append(message)
    written = 0
    hour = now.strftime("%Y%m%d%H")
    for workspace_id, messages in by_workspace.items():
        if messages[0].created_at > quiet_since:  # all too fresh: people may still be looking
            continue
        workspace = session.get(Workspace, workspace_id)
        if workspace is None:
            continue
        marks = {r.user_id: r.read_at for r in reads(session, workspace_id)}
        digests = {
            d.user_id: d
            for d in session.scalars(
                select(WorkspaceDigest).where(WorkspaceDigest.workspace_id == workspace_id)
            )
        }
        portal = portals_service.get_or_raise(session, workspace.portal_id)
        people = _people(session, workspace)
        # Who was told of a message that mentions them by its own email (or text): once for
        # the workspace, the summary leaves those out.
        told = notifications_service.told(
            session, (mention_key(m.id, uuid.UUID(uid)) for m in messages for uid in m.mentions or ())
        )
        ended = members_service.access_ended_among(session, portal.id, [m.user_id for m in people])
        for member in people:
            if member.status != JOINED or member.user.address is None or member.user_id in ended:
                continue
            last = digests.get(member.user_id)
            if last is not None and last.sent_at > now - DIGEST_EVERY:
                continue
            since = max(
                filter(None, (marks.get(member.user_id), last.sent_at if last else None)), default=None
            )
            unseen = [
                m
                for m in messages
                if m.author_id != member.user_id and (since is None or m.created_at > since)
            ]
            mentioned = [m for m in unseen if mention_key(m.id, member.user_id) in told]
            unseen = [m for m in unseen if m not in mentioned]
            # Nothing new, or only what they were told of one by one, or all of it too fresh.
            if not unseen or unseen[0].created_at > quiet_since:
                continue
            done = notifications_service.enqueue(
                session,
                event_key=f"digest:{workspace_id}:{member.user_id}:{hour}",
                template="activity_digest",
                to=member.user.address,
                portal_id=portal.id,
                user_id=member.user_id,
                context={
                    "portal_name": portal.name,
                    "brand": portals_brand.for_message(session, portal),
                    "workspace_name": workspace.name,
                    "recipient_name": member.user.name,
                    "count": len(unseen),
                    "mentioned": len(mentioned),  # left out: each came to them on its own
                    "latest": [
                        {"author": m.author.label if m.author else "Someone", "text": m.text[:300]}
                        for m in unseen[-3:]
                    ],
                    "link": workspaces_service.workspace_url(session, portal, workspace_id) + "#conversation",
                },
            )
            if last is None:
                session.add(WorkspaceDigest(workspace_id=workspace_id, user_id=member.user_id, sent_at=now))
            else:
                last.sent_at = now
            # Another worker may have written this hour's summary a moment ago: enqueue then
            # answers with that one, which is not this pass's to count.
            written += done is not None and done in session.new
    session.flush()
    return written
