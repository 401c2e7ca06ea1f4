"""Which messages a person wants, by kind (issue 11 item 8): actions assigned to them, reminders
of due actions, mentions, summaries of new activity, the inviters' digest of expired invitations.
Every such message carries a one-click unsubscribe link for its kind (and ``List-Unsubscribe``
headers, RFC 8058). Invitations, sign-in links and the like are not optional: they are what someone asked for.

``notifications.service`` applies this (``enqueue``, ``enqueue_once``), given the person's id:
the one place.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from admit import context, policy
from admit.errors import InvalidInput
from admit.notifications.models import MandatoryKind, NotificationPreference

KINDS: dict[str, str] = {
    "assigned": "An action is assigned to you",
    "due_reminders": "An action of yours is due or overdue",
    "mentions": "Someone mentions you in a workspace",
    "activity_digest": "A summary of new activity in your workspaces",
    "expired_invitations": "A daily summary when invitations of yours expired unaccepted",
}
TEMPLATE_KIND = {
    "action_assigned": "assigned",
    "action_due": "due_reminders",
    "mention": "mentions",
    "activity_digest": "activity_digest",
    "invitation_digest": "expired_invitations",
}


# Whom each kind can reach, by what the policy says their role in a portal lets them do, and
# how that is said to someone it cannot reach: the inviters' digest lists invitations they made,
# so it reaches those who may invite; the workspace kinds (actions, reminders, mentions,
# summaries) reach anyone in a workspace, clients too (seed 003).
_REACH: dict[str, tuple[Callable[[policy.Capabilities], bool], str]] = {
    "expired_invitations": (
        lambda may: may.invite,
        "it goes to those who may invite people in one of their portals.",
    ),
}
_ANYONE: tuple[Callable[[policy.Capabilities], bool], str] = (
    lambda may: True,
    "it goes to the members of a portal's workspaces.",
)


def _reaches(kind: str, role: policy.Role | str) -> bool:
    """Whether a message of ``kind`` can reach someone of ``role`` in a portal (``_REACH``)."""
    return _REACH.get(kind, _ANYONE)[0](policy.capabilities(role))


def offered(roles: Iterable[policy.Role | str]) -> list[str]:
    """The kinds offered to a person whose roles in their portals are ``roles``: those that can
    reach them from at least one (``_reaches``), in ``KINDS`` order. In no portal: none."""
    held = list(roles)
    return [kind for kind in KINDS if any(_reaches(kind, role) for role in held)]


def choices(session: Session, user_id: uuid.UUID) -> dict[str, bool]:
    """Every kind, and whether the person gets it."""
    rows = session.execute(
        select(NotificationPreference.kind, NotificationPreference.enabled).where(
            NotificationPreference.user_id == user_id
        )
    )
    chosen = {kind: enabled for kind, enabled in rows}
    return {kind: chosen.get(kind, True) for kind in KINDS}


def wanted(session: Session, user_id: uuid.UUID, kind: str) -> bool:
    enabled = session.scalar(
        select(NotificationPreference.enabled).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    return enabled is None or enabled


def choose(session: Session, user_id: uuid.UUID, kind: str, enabled: bool) -> None:
    row = session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    now = context.of(session).clock.now()
    if row is None:
        session.add(NotificationPreference(user_id=user_id, kind=kind, enabled=enabled, updated_at=now))
    else:
        row.enabled, row.updated_at = enabled, now
    session.flush()


def _mac(secret_key: str, text: str) -> str:
    digest = hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def _address_tag(secret_key: str, address: str) -> str:
    """A short keyed fingerprint of the address a link was sent to: its page names the address
    only while the account's is still that one (never a newer one, to whoever holds the link)."""
    digest = hmac.new(secret_key.encode(), f"unsubscribe-address:{address}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:6]).decode()


@dataclass(frozen=True)
class Unsubscribe:
    """What an unsubscribe link's token says: whose, which kind, and, in a link written since
    they were added, the portal the email came from and the fingerprint of its address."""

    user_id: uuid.UUID
    kind: str
    portal_id: uuid.UUID | None = None
    address_tag: str | None = None

    def sent_to(self, secret_key: str, address: str | None) -> bool:
        """Whether the link was sent to ``address`` (the account's address now)."""
        return (
            address is not None
            and self.address_tag is not None
            and hmac.compare_digest(self.address_tag, _address_tag(secret_key, address))
        )


def unsubscribe_token(
    secret_key: str,
    user_id: uuid.UUID,
    kind: str,
    *,
    portal_id: uuid.UUID | None = None,
    address: str | None = None,
) -> str:
    """A link's token that turns off ``kind`` for the person, and nothing else (signed); it
    names the portal the message comes from and carries its address's fingerprint, for its page
    to say what was stopped from where (``Unsubscribe``)."""
    portal = portal_id.hex if portal_id is not None else "-"
    tag = _address_tag(secret_key, address) if address else "-"
    mac = _mac(secret_key, f"unsubscribe:{user_id}:{kind}:{portal}:{tag}")
    return f"{user_id.hex}.{kind}.{portal}.{tag}.{mac}"


def read_token(secret_key: str, token: str) -> Unsubscribe | None:
    """The token's meaning, or None when it is not one of ours (forged, cut short). A token of
    a link written before portal and address were added (user, kind, signature) still works."""
    parts = token.split(".")
    try:
        user_id = uuid.UUID(hex=parts[0])
        if len(parts) == 3:
            kind, portal, tag, mac = parts[1], None, None, parts[2]
            signed = f"unsubscribe:{user_id}:{kind}"
        elif len(parts) == 5:
            kind, portal, tag, mac = parts[1:]
            signed = f"unsubscribe:{user_id}:{kind}:{portal}:{tag}"
        else:
            return None
        portal_id = uuid.UUID(hex=portal) if portal not in (None, "-") else None
    except ValueError:
        return None
    if kind not in KINDS or not hmac.compare_digest(mac, _mac(secret_key, signed)):
        return None
    return Unsubscribe(user_id, kind, portal_id, tag if tag not in (None, "-") else None)


def mandatory(session: Session, portal_id: uuid.UUID) -> set[str]:
    """The kinds ``portal_id`` makes mandatory for its people."""
    return set(session.scalars(select(MandatoryKind.kind).where(MandatoryKind.portal_id == portal_id)))


def sent_anyway(session: Session, portal_id: uuid.UUID | None, kind: str) -> bool:
    """Whether a message of ``kind`` from ``portal_id`` goes whatever the person chose."""
    return portal_id is not None and kind in mandatory(session, portal_id)


@dataclass(frozen=True)
class Setting:
    """One kind of message as the person sees it: what they chose, and the portals of theirs
    that send it anyway (``required_by``, by name); ``locked`` when every one of their portals
    does, so their choice changes nothing."""

    kind: str
    description: str
    chosen: bool
    required_by: list[str]
    locked: bool

    @property
    def enabled(self) -> bool:
        """Whether they get it (from at least one of their portals)."""
        return self.chosen or bool(self.required_by)


def settings_of(
    session: Session, user_id: uuid.UUID, portals: Iterable[tuple[uuid.UUID, str, policy.Role | str]]
) -> list[Setting]:
    """The kinds offered (``offered``) to the person who is a member of ``portals`` (id, name,
    their role there): their choice, and which of those portals send it anyway (``mandatory``,
    as ``sent_anyway`` asks it; of the portals it can reach them from)."""
    chosen = choices(session, user_id)
    portals = list(portals)
    always = {portal_id: mandatory(session, portal_id) for portal_id, _, _ in portals}  # once a portal
    out = []
    for kind in offered(role for _, _, role in portals):
        from_ = [(portal_id, name) for portal_id, name, role in portals if _reaches(kind, role)]
        by = [name for portal_id, name in from_ if kind in always[portal_id]]
        out.append(Setting(kind, KINDS[kind], chosen[kind], by, len(by) == len(from_)))
    return out


def change(
    session: Session,
    user_id: uuid.UUID,
    portals: Iterable[tuple[uuid.UUID, str, policy.Role | str]],
    wanted_kinds: dict[str, bool],
) -> list[Setting]:
    """Turn kinds on or off for the person (``{kind: enabled}``; kinds not named stay as they
    are) and answer their settings. A kind that is none, or is not offered to them (``offered``:
    it cannot reach them), is refused by name and nothing is kept."""
    portals = list(portals)
    mine = offered(role for _, _, role in portals)
    for kind in wanted_kinds:
        if kind not in KINDS:
            raise InvalidInput(f"{kind} is not a kind of message ({', '.join(mine)}).", field=kind)
        if kind not in mine:
            raise InvalidInput(
                f"{kind} is not a message you can get: {_REACH.get(kind, _ANYONE)[1]}"
                + (f" Yours are: {', '.join(mine)}." if mine else ""),
                field=kind,
            )
    for kind, enabled in wanted_kinds.items():
        choose(session, user_id, kind, enabled)
    return settings_of(session, user_id, portals)


def check_kinds(kinds: list[str]) -> list[str]:
    """Kinds of message, as kept: known ones only (an unknown one is refused by name), in order."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a kind of message ({', '.join(KINDS)}).", field="mandatory_notifications"
        )
    return [k for k in KINDS if k in kinds]


def set_mandatory(session: Session, portal_id: uuid.UUID, kinds: list[str]) -> list[str]:
    """Make exactly ``kinds`` mandatory in the portal (the portal's settings decide who may)."""
    chosen = check_kinds(kinds)
    for row in session.scalars(select(MandatoryKind).where(MandatoryKind.portal_id == portal_id)):
        if row.kind not in chosen:
            session.delete(row)
    have = mandatory(session, portal_id)
    for kind in chosen:
        if kind not in have:
            session.add(MandatoryKind(portal_id=portal_id, kind=kind))
    session.flush()
    return chosen
