"""Security notices: the account holder is told, by email (or text, for an account known by its
phone number), when the way their account signs in changes: its password (changed, or chosen
again with a reset link) and its two-step verification (turned on or off). Someone who did not
do it learns it at once and is shown the way to take the account back.

Notices are outside the per-recipient caps (``notifications.service.UNCAPPED``): one follows the
account holder's own signed-in (or reset-link) action, so it cannot be aimed at anyone else; the
reset email a minute before must not hide it, nor may it use up the cap the reset email it tells
them to ask for needs. They are bounded here instead: one of a kind per account every
``WINDOW_MINUTES`` (ten changes in a minute send one notice of each kind).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sqlalchemy.orm import Session

from admit import context
from admit.kit.text import moment_text
from admit.members import service as members_service
from admit.notifications import service as notifications_service
from admit.portals import service as portals_service

if TYPE_CHECKING:  # rows of the shared domains, named in annotations only
    from admit.members.models import User

__all__ = ["SECURITY_NOTICE", "tell"]

SECURITY_NOTICE: Final = "security_notice"
WINDOW_MINUTES: Final = 10

# What changed: the subject, the sentence that says it, and what to do if it was not them.
TAKE_BACK = (
    "If it was not you, someone else may be able to sign in as you. Choose a new password now, "
    "which signs every other browser out, and tell your portal's administrator."
)
WHAT: Final[dict[str, tuple[str, str, str]]] = {
    "password_changed": ("Your password was changed", "The password of your account was changed", TAKE_BACK),
    "password_chosen": ("A password was chosen", "A password was chosen for your account", TAKE_BACK),
    "second_factor_added": (
        "Two-step verification was turned on",
        "Two-step verification was turned on for your account",
        "If it was not you, someone else signed in as you and set up their own authenticator app, "
        "so that only they can sign in as you. Ask your portal's owner to reset your two-step "
        "verification, and choose a new password.",
    ),
    "second_factor_removed": (
        "Two-step verification was turned off",
        "Two-step verification was turned off for your account",
        TAKE_BACK,
    ),
    "second_factor_reset": (
        "Your two-step verification was reset",
        "{by} reset the two-step verification of your account: your authenticator app and recovery "
        "codes no longer work, and every browser signed in as you was signed out",
        "Sign in again {way_in} as before; a portal that requires two-step "
        "verification will then ask you to set up an authenticator app again. If you did not ask for "
        "this, tell your portal's administrator.",
    ),
    "email_changed": (
        "Your sign-in email was changed",
        "Your portal's HR system changed the email address your account signs in with to {new_address}",
        "From now on, sign-in links and password resets go there. If this is not right, tell your "
        "portal's administrator at once.",
    ),
}

# What others did to the account (an owner, a directory): no "if it was you", and no new password
# to choose (its link would go where the change says).
DONE_BY_OTHERS: Final = frozenset({"second_factor_reset", "email_changed"})


def tell(session: Session, user: User, what: str, *, to: str | None = None, **words: str) -> None:
    """Queue the notice that ``what`` (a key of ``WHAT``) just happened to ``user``'s account, in
    the brand of their portal (``portals.service.account_brand``) and its time zone. ``to``: the
    address to tell, when not the account's own now (its email before a change); ``words``: what
    the sentence names (``new_address``)."""
    address = to or user.address
    if not address:
        return
    ctx = context.of(session)
    now = ctx.clock.now()
    portals = [p for p, _member in members_service.memberships_of(session, user)]
    headline, happened, if_not = WHAT[what]
    happened = happened.format(**words)
    # The way back in this account has: a password (internal users always; a client who chose
    # one, who then gets no sign-in link), else a sign-in link.
    if_not = if_not.replace("{way_in}", "with your password" if user.password_hash else "with a sign-in link")
    notifications_service.enqueue(
        session,
        event_key=f"{SECURITY_NOTICE}:{what}:{user.id}:{int(now.timestamp()) // (WINDOW_MINUTES * 60)}",
        template=SECURITY_NOTICE,
        to=address,
        context={
            "name": user.name,
            "email": address,
            "what": what,
            "headline": headline,
            "happened": happened,
            "if_not": if_not,
            # A change the holder could have made: "if it was you…", and a new password if not.
            "own_change": what not in DONE_BY_OTHERS,
            "when_text": moment_text(now, portals[0].time_zone if len(portals) == 1 else None),
            "reset_link": f"{ctx.settings.public_url}/forgot-password",
            **portals_service.account_brand(portals, ctx.settings.public_url),
        },
    )
