"""A person's Notification settings (``/me/notifications``, ``/me/notification-preferences``):
which optional messages they get, offered by what their roles in their portals let reach them
(``notifications.preferences.offered``), and which of those portals send some anyway; and the
one-click unsubscribe link every optional email carries (``/unsubscribe/{token}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from admit import context
from admit.members import service as members_service
from admit.notifications import preferences
from admit.portals import service as portals_service

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from admit.members.models import User
    from admit.policy import Role

__all__ = ["Unsubscribed", "change", "settings", "unsubscribe"]


def _portals(session: Session, user: User) -> list[tuple[uuid.UUID, str, Role | str]]:
    """The portals where ``user`` is an active member: id, name and their role there."""
    return [(p.id, p.name, m.role) for p, m in members_service.memberships_of(session, user)]


def settings(session: Session, user: User) -> list[preferences.Setting]:
    """The kinds offered to ``user``, each with their choice and who sends it anyway."""
    return preferences.settings_of(session, user.id, _portals(session, user))


def change(session: Session, user: User, wanted: dict[str, bool]) -> list[preferences.Setting]:
    """Turn kinds on or off (``preferences.change``: one not offered is refused by name)."""
    return preferences.change(session, user.id, _portals(session, user), wanted)


@dataclass(frozen=True)
class Unsubscribed:
    """What an unsubscribe link's page says: the kind (its words), the address it was sent to
    (None once the account's address is another: whoever holds an old link learns no newer
    one), the portal the email came from (None for a link written before links named it),
    whether that portal sends the kind anyway (it makes it mandatory), whether the kind was
    already turned off when the link was opened (``stopped``), and whether every portal of
    theirs that sends it makes it mandatory (``locked``: unsubscribing would change nothing they
    get; ``required_by`` names those portals)."""

    kind_words: str
    address: str | None
    portal_name: str | None
    still_sent: bool
    stopped: bool = False
    locked: bool = False
    required_by: tuple[str, ...] = ()


def unsubscribe(session: Session, token: str, *, confirm: bool) -> Unsubscribed | None:
    """An unsubscribe link: what it stops (``confirm``: and stop it, the page's button or the
    mail app's one-click post). The signed token is the only credential, and it can do this
    one thing. None: not a link of ours."""
    secret = context.of(session).settings.secret_key
    found = preferences.read_token(secret, token)
    user = members_service.get_user(session, found.user_id) if found is not None else None
    if found is None or user is None:
        return None
    portal = (
        portals_service.by_ids(session, [found.portal_id]).get(found.portal_id) if found.portal_id else None
    )
    stopped = not preferences.wanted(session, user.id, found.kind)
    if confirm:
        preferences.choose(session, user.id, found.kind, False)
    setting = next((s for s in settings(session, user) if s.kind == found.kind), None)
    return Unsubscribed(
        kind_words=preferences.KINDS[found.kind],
        address=user.address if found.sent_to(secret, user.address) else None,
        portal_name=portal.name if portal is not None else None,
        still_sent=portal is not None and preferences.sent_anyway(session, portal.id, found.kind),
        stopped=stopped,
        locked=setting is not None and setting.locked,
        required_by=tuple(setting.required_by) if setting is not None else (),
    )
