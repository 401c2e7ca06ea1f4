"""The sign-in gate: what a browser session still owes a portal's sign-in policy before it may
enter that portal. Every way in (a password, a sign-in link or code, an invitation accepted, a
link sign-up confirmed, a password reset, setting Admit up — and later a provisioned first
sign-in) starts a session with ``service.sign_in``; every request of a session into a portal
passes ``steps`` (``web.portal_actor``). A step owed is answered 403 ``sign_in_incomplete`` by
the API, and by the pages with the step to take.

The rules (who must have a password, who a second factor, how long a sign-in link lives) are
written once, in ``portals.sign_in``; this applies them.

- **Password**: internal users always; clients where the portal requires it. Someone without
  one chooses it (at joining, or at the next sign-in).
- **Second factor** (an authenticator app, ``second_factor``): where the portal requires it
  for the person's type, they enrol at the next sign-in; anyone who has one proves it at every
  sign-in, whatever the portal asks.
- A policy change applies from each person's next sign-in: a session begun before it goes on
  as it was (``Portal.sign_in_policy_changed_at``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from sqlalchemy.orm import Session

from admit.auth import second_factor
from admit.auth.models import WebSession
from admit.errors import SignInRequired
from admit.portals.sign_in import password_required, second_factor_required

if TYPE_CHECKING:
    from admit.members.models import User
    from admit.portals.models import Portal

__all__ = ["CHOOSE_PASSWORD", "ENROL", "VERIFY", "Step", "owes_sign_in", "sign_in_first", "steps"]

Step = Literal["choose_password", "enrol_second_factor", "verify_second_factor"]
CHOOSE_PASSWORD: Step = "choose_password"
ENROL: Step = "enrol_second_factor"
VERIFY: Step = "verify_second_factor"


def steps(
    session: Session, web_session: WebSession, user: User, portal: Portal, user_type: str
) -> list[Step]:
    """What ``web_session`` must still do before it enters ``portal`` (none: it may)."""
    changed = portal.sign_in_policy_changed_at
    applies = changed is None or web_session.created_at >= changed
    owed: list[Step] = []
    if applies and user.password_hash is None and password_required(portal, user_type):
        owed.append(CHOOSE_PASSWORD)
    if web_session.second_factor_at is None:
        if second_factor.has_factor(session, user.id):
            owed.append(VERIFY)
        elif applies and second_factor_required(portal, user_type):
            owed.append(ENROL)
    return owed


def owes_sign_in(user: User | None, current_user: User | None) -> bool:
    """An address's account with a password gets in by that password only: a link to the
    address (an invitation, an invite-link sign-up's confirmation) lets it in only when it is
    the one signed in. Whoever reads the mailbox must not skip the password."""
    return (
        user is not None
        and user.password_hash is not None
        and (current_user is None or current_user.id != user.id)
    )


def sign_in_first(address: str, to: str) -> SignInRequired:
    """The refusal of a link to ``address`` whose account owes a sign-in (``owes_sign_in``):
    "An account already exists for ada@acme.com. Sign in to accept." (``to``: what the link
    does once they have signed in)."""
    return SignInRequired(f"An account already exists for {address}. Sign in to {to}.")
