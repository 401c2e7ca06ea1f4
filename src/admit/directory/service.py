"""SCIM tokens (made, listed and revoked by owners and admins) and the rows of what a directory
provisioned. What provisioning *does* (invite, deactivate, teams) is ``flows.scim``."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, delete, func, select
from sqlalchemy.orm import Session

from admit import context, policy
from admit.actor import Actor, scim_words
from admit.audit import service as audit_service
from admit.directory.models import ScimGroup, ScimGroupMember, ScimToken, ScimUser
from admit.errors import InvalidInput, ScimTokenNotFound, at_most_characters
from admit.kit.pagination import page
from admit.kit.tokens import hash_token, new_token

__all__ = [
    "TOKEN_PREFIX",
    "add_group_members",
    "deactivated_by",
    "find_groups",
    "find_users",
    "get_group",
    "get_user",
    "group_ids_of",
    "issue_token",
    "list_tokens",
    "members_of_group",
    "new_group",
    "new_user",
    "remove_group_members",
    "revoke_token",
    "token_from_raw",
    "touch",
    "users_by_ids",
]

TOKEN_PREFIX = "scim_"
MAX_NAME = 100
LAST_USED_EVERY = timedelta(minutes=1)


def issue_token(session: Session, actor: Actor, *, name: str = "SCIM") -> tuple[str, ScimToken]:
    """A new SCIM token for the actor's portal; the secret is returned once, only its hash kept."""
    policy.require(actor.role, policy.Action.SCIM_MANAGE)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the token a name (what uses it).", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(at_most_characters(MAX_NAME, name), field="name")
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{new_token()}"
    token = ScimToken(
        portal_id=actor.portal.id,
        name=name,
        prefix=prefix,
        token_hash=hash_token(raw),
        created_by_id=actor.user_id,
    )
    session.add(token)
    session.flush()
    audit_service.record(
        session,
        actor,
        "scim_token.created",
        target_type="scim_token",
        target_id=token.id,
        target_label=prefix,
    )
    return raw, token


def list_tokens(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[ScimToken], str | None]:
    """The portal's SCIM tokens, newest first, revoked ones included (never their secrets)."""
    policy.require(actor.role, policy.Action.SCIM_MANAGE)
    query = select(ScimToken).where(ScimToken.portal_id == actor.portal.id)
    return page(session, query, ScimToken, cursor=cursor, limit=limit)


def revoke_token(session: Session, actor: Actor, token_id: uuid.UUID) -> tuple[ScimToken, bool]:
    """Revoke a SCIM token: the directory using it is refused (401) from the next request. With
    whether this call revoked it (False: it already was, and nothing changed)."""
    policy.require(actor.role, policy.Action.SCIM_MANAGE)
    token = session.get(ScimToken, token_id)
    if token is None or token.portal_id != actor.portal.id:
        raise ScimTokenNotFound("No such SCIM token in this portal.")
    changed = token.revoked_at is None
    if changed:
        token.revoked_at = context.of(session).clock.now()
        audit_service.record(
            session,
            actor,
            "scim_token.revoked",
            target_type="scim_token",
            target_id=token.id,
            target_label=token.prefix,
        )
        session.flush()
    return token, changed


def token_from_raw(session: Session, raw: str) -> ScimToken | None:
    """The live token ``raw`` is, or None (unknown, revoked)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ScimToken).where(ScimToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return None
    now = context.of(session).clock.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
    return token


# ---- provisioned users ----------------------------------------------------------------------


def user_name_key(user_name: str) -> str:
    return user_name.strip().lower()


def get_user(session: Session, portal_id: uuid.UUID, scim_id: uuid.UUID) -> ScimUser | None:
    row = session.get(ScimUser, scim_id)
    if row is None or row.portal_id != portal_id or row.deleted_at is not None:
        return None
    return row


def users_by_ids(
    session: Session, portal_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ScimUser]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    query = select(ScimUser).where(
        ScimUser.portal_id == portal_id, ScimUser.id.in_(wanted), ScimUser.deleted_at.is_(None)
    )
    return {u.id: u for u in session.scalars(query)}


def find_users(
    session: Session,
    portal_id: uuid.UUID,
    *,
    user_name: str | None = None,
    external_id: str | None = None,
    address: str | None = None,
) -> list[ScimUser]:
    """The portal's live SCIM users, oldest first, narrowed by the exact values given."""
    query = select(ScimUser).where(ScimUser.portal_id == portal_id, ScimUser.deleted_at.is_(None))
    if user_name is not None:
        query = query.where(ScimUser.user_name_key == user_name_key(user_name))
    if external_id is not None:
        query = query.where(ScimUser.external_id == external_id)
    if address is not None:
        query = query.where(ScimUser.address == address)
    return list(session.scalars(query.order_by(ScimUser.created_at, ScimUser.id)))


def deactivated_by(session: Session, portal_id: uuid.UUID, addresses: Iterable[str]) -> dict[str, str]:
    """Of these addresses, those a directory keeps deactivated (``held``), with the connection's
    words ("SCIM (Okta)"): a reactivation in Admit it would undo at its next sync
    (``policy.check_reactivate_held``)."""
    wanted = [a for a in set(addresses) if a]
    if not wanted:
        return {}
    found = session.execute(_held(), {"b_portal": portal_id, "b_addresses": wanted})
    return {address: words for address, words in found}


def held(portal_id: uuid.UUID | BindParameter[Any]) -> Select[str, str]:
    """The addresses a directory keeps deactivated in the portal (a live SCIM user it last said
    ``active: false``; a DELETEd one is no longer the directory's), each with the connection's
    words ("SCIM (Okta)"), one row an address: what ``deactivated_by`` reads, and what the roster's
    counts join (``people.roster.counts_by_state``)."""
    return (
        select(ScimUser.address, func.max(func.coalesce(func.nullif(ScimUser.directory, ""), scim_words(""))))
        .where(ScimUser.portal_id == portal_id, ScimUser.deleted_at.is_(None), ScimUser.active.is_(False))
        .group_by(ScimUser.address)
    )


@cache
def _held() -> Select[str, str]:
    """``deactivated_by``'s statement, built once (User Management asks it for every page with
    a deactivated member on it)."""
    return held(bindparam("b_portal")).where(ScimUser.address.in_(bindparam("b_addresses", expanding=True)))


def new_user(session: Session, portal_id: uuid.UUID, **values: Any) -> ScimUser:
    row = ScimUser(portal_id=portal_id, **values)
    row.user_name_key = user_name_key(row.user_name)
    session.add(row)
    session.flush()
    return row


def touch(session: Session, row: ScimUser | ScimGroup) -> None:
    """A change to a provisioned row: its version and modification time move on."""
    row.version = (row.version or 1) + 1
    row.updated_at = context.of(session).clock.now()
    if isinstance(row, ScimUser):
        row.user_name_key = user_name_key(row.user_name)
    session.flush()


# ---- provisioned groups ---------------------------------------------------------------------


def get_group(session: Session, portal_id: uuid.UUID, scim_id: uuid.UUID) -> ScimGroup | None:
    row = session.get(ScimGroup, scim_id)
    if row is None or row.portal_id != portal_id or row.deleted_at is not None:
        return None
    return row


def find_groups(
    session: Session, portal_id: uuid.UUID, *, display_name: str | None = None
) -> list[ScimGroup]:
    query = select(ScimGroup).where(ScimGroup.portal_id == portal_id, ScimGroup.deleted_at.is_(None))
    if display_name is not None:
        query = query.where(func.lower(ScimGroup.display_name) == display_name.lower())
    return list(session.scalars(query.order_by(ScimGroup.created_at, ScimGroup.id)))


def new_group(session: Session, portal_id: uuid.UUID, *, team_id: uuid.UUID, **values: Any) -> ScimGroup:
    row = ScimGroup(portal_id=portal_id, team_id=team_id, **values)
    session.add(row)
    session.flush()
    return row


def members_of_group(
    session: Session, group_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[ScimUser, str | None]]]:
    """``{group_id: [(ScimUser, display), …]}`` (live users only), in the order they were added."""
    ids = list(group_ids)
    out: dict[uuid.UUID, list[tuple[ScimUser, str | None]]] = {i: [] for i in ids}
    if ids:
        query = (
            select(ScimGroupMember.group_id, ScimUser, ScimGroupMember.display)
            .join(ScimUser, ScimUser.id == ScimGroupMember.scim_user_id)
            .where(ScimGroupMember.group_id.in_(ids), ScimUser.deleted_at.is_(None))
            .order_by(ScimGroupMember.created_at, ScimGroupMember.id)
        )
        for group_id, user, display in session.execute(query):
            out[group_id].append((user, display))
    return out


def group_ids_of(session: Session, scim_user_id: uuid.UUID) -> list[ScimGroup]:
    """The live groups a SCIM user is in."""
    query = (
        select(ScimGroup)
        .join(ScimGroupMember, ScimGroupMember.group_id == ScimGroup.id)
        .where(ScimGroupMember.scim_user_id == scim_user_id, ScimGroup.deleted_at.is_(None))
        .order_by(ScimGroup.created_at)
    )
    return list(session.scalars(query))


def add_group_members(
    session: Session,
    group: ScimGroup,
    user_ids: Iterable[uuid.UUID],
    displays: dict[uuid.UUID, str] | None = None,
) -> list[uuid.UUID]:
    """Put SCIM users in a group; returns those that were not in it yet."""
    have = set(
        session.scalars(select(ScimGroupMember.scim_user_id).where(ScimGroupMember.group_id == group.id))
    )
    added = []
    for user_id in user_ids:
        if user_id in have:
            continue
        have.add(user_id)
        display = (displays or {}).get(user_id)
        session.add(
            ScimGroupMember(group_id=group.id, scim_user_id=user_id, display=display and display[:200])
        )
        added.append(user_id)
    session.flush()
    return added


def remove_group_members(session: Session, group: ScimGroup, user_ids: Iterable[uuid.UUID]) -> None:
    ids = list(user_ids)
    if ids:
        session.execute(
            delete(ScimGroupMember).where(
                ScimGroupMember.group_id == group.id, ScimGroupMember.scim_user_id.in_(ids)
            )
        )
        session.flush()
