"""A second factor: an authenticator app (TOTP, RFC 6238, 30-second steps, 6 digits, any app),
enrolled by QR code, with 10 one-time recovery codes shown once and kept hashed (the single-use
secrets of ``tokens``, purpose ``recovery_code``).

A code is accepted one step either side of now (clock drift), and never twice: the step last
used is kept. Tries are limited per person (``ADMIT_SIGN_IN_CODE_RATE_LIMIT``).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import pyotp
import segno
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from admit import context
from admit.auth import notices
from admit.auth.models import TotpFactor, WebSession
from admit.errors import Conflict, InvalidInput
from admit.kit import secretbox
from admit.kit.ratelimit import in_words, tries_left
from admit.members import service as members_service
from admit.portals import service as portals_service
from admit.tokens import service as tokens

if TYPE_CHECKING:
    from admit.members.models import User

log = logging.getLogger("admit.auth")

__all__ = [
    "FEW_RECOVERY_CODES",
    "Enrolment",
    "begin",
    "enrolment",
    "check",
    "confirm",
    "count_without_factor",
    "has_factor",
    "issuer_for",
    "new_recovery_codes",
    "recovery_codes_left",
    "remove",
    "replace_recovery_codes",
    "reset",
    "set_up",
    "with_factor",
]

RECOVERY_CODES = 10
FEW_RECOVERY_CODES = 3  # this many left, or fewer: the account page says to make new ones
WRONG = "That code is not right. Use the 6-digit code your authenticator app shows now, or a recovery code."
# While the app is being set up there are no recovery codes yet: only the app's code is asked
# (the setup's field says the same as its hint, before the browser refuses letters in it).
APP_CODE = "Use the 6-digit code your authenticator app shows now."
WRONG_FIRST = f"That code is not right. {APP_CODE}"
# The app's secret was sealed under another encryption key (``kit.secretbox``): its codes can no
# longer be checked. Recovery codes are kept hashed, not sealed, so they still work; an owner can
# reset it (``flows.members.reset_second_factor``).
UNREADABLE = (
    "Your authenticator app's setup can no longer be read, because the server's encryption key "
    "changed. Sign in with a recovery code, and ask an owner of your portal to reset your two-step "
    "verification so that you can set the app up again."
)
# The same while the app is being set up: a new setup replaces it (``pending``).
UNREADABLE_SETUP = (
    "This authenticator app setup can no longer be read, because the server's encryption key "
    "changed: start setting the app up again."
)


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str  # base32, for typing into the app by hand
    uri: str  # otpauth://…
    qr_svg: str  # the same URI as an inline SVG QR code


def _factor(session: Session, user_id: uuid.UUID) -> TotpFactor | None:
    return session.scalar(select(TotpFactor).where(TotpFactor.user_id == user_id))


def set_up() -> Select[uuid.UUID]:
    """A SELECT of the user ids with a confirmed authenticator app (one being set up is not one
    yet): who has set up two-step verification, for another domain to narrow its rows by (the
    roster's Two-step verification filter, ``people.roster``)."""
    return select(TotpFactor.user_id).where(TotpFactor.confirmed_at.is_not(None))


@cache
def _confirmed() -> Select[uuid.UUID]:
    """Who of ``b_users`` has a confirmed app (``set_up``). Asked on every signed-in page: built
    once, on first use."""
    return set_up().where(TotpFactor.user_id.in_(bindparam("b_users", expanding=True)))


def has_factor(session: Session, user_id: uuid.UUID) -> bool:
    """Whether the user has a confirmed authenticator app."""
    return user_id in with_factor(session, [user_id])


def with_factor(session: Session, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``user_ids`` who have a confirmed authenticator app (one query)."""
    wanted = list(user_ids)
    return set(session.scalars(_confirmed(), {"b_users": wanted})) if wanted else set()


def count_without_factor(session: Session, portal_id: uuid.UUID, user_type: str) -> int:
    """How many active members of ``user_type`` in the portal have no confirmed authenticator
    app: those a policy that requires one asks to set one up at their next sign-in."""
    members = members_service.active_of_type(portal_id, user_type).subquery()
    return int(
        session.scalar(select(func.count()).select_from(members).where(members.c.user_id.not_in(set_up())))
        or 0
    )


def _seal(session: Session, value: str) -> str:
    return secretbox.seal_with(context.of(session).settings, value)


def _open(session: Session, sealed: str) -> str:
    return secretbox.open_with(context.of(session).settings, sealed)


def _secret_of(session: Session, factor: TotpFactor) -> str:
    """The app's secret, opened; a secret sealed under another key (``ADMIT_ENCRYPTION_KEY``, or
    ``ADMIT_SECRET_KEY`` it is derived from, changed since) is logged for the operator and
    refused in words that say what to do (``UNREADABLE``)."""
    try:
        return _open(session, factor.secret_sealed)
    except secretbox.SealBroken:
        log.warning(
            "The authenticator app secret of user %s cannot be read: it was sealed under another "
            "ADMIT_ENCRYPTION_KEY (or the ADMIT_SECRET_KEY it is derived from). They can sign in "
            "with a recovery code, or an owner can reset their two-step verification.",
            factor.user_id,
        )
        raise Conflict(UNREADABLE if factor.confirmed_at is not None else UNREADABLE_SETUP) from None


def issuer_for(session: Session, user: User) -> str:
    """What the authenticator app names the account: the person's portal, or their portals
    ("Acme Inc · Beta Co") when they are in several; never "Admit", a name they have never seen."""
    names = [portal.name for portal, _member in members_service.memberships_of(session, user)]
    return portals_service.names_line(names) or (user.address or "")


def begin(session: Session, user: User, *, issuer: str) -> Enrolment:
    """A new secret for the user's app (replacing one not yet confirmed); ``issuer`` is what the
    app shows beside the code (the portal's name)."""
    factor = _factor(session, user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict("An authenticator app is already set up for this account.")
    secret = pyotp.random_base32()
    if factor is None:
        factor = TotpFactor(user_id=user.id, secret_sealed=_seal(session, secret), last_step=0)
        session.add(factor)
    else:
        factor.secret_sealed = _seal(session, secret)
    session.flush()
    return enrolment_of(secret, user, issuer=issuer)


def enrolment_of(secret: str, user: User, *, issuer: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.address or str(user.id), issuer_name=issuer)
    qr = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111827", light="#ffffff")
    return Enrolment(secret=secret, uri=uri, qr_svg=qr)


def pending(session: Session, user: User, *, issuer: str) -> Enrolment | None:
    """The enrolment begun and not confirmed yet (to show its QR code again), or None (also when
    its secret was sealed under another key: a new one replaces it, ``begin``)."""
    factor = _factor(session, user.id)
    if factor is None or factor.confirmed_at is not None:
        return None
    try:
        return enrolment_of(_open(session, factor.secret_sealed), user, issuer=issuer)
    except secretbox.SealBroken:
        return None


TOO_MANY_WRONG = "Too many wrong codes. Try again in {wait}."
# Once an app is set up, recovery codes are counted with its codes and wait with them: said so.
TOO_MANY_WRONG_EITHER = "Too many wrong codes. Try again in {wait}, with the app's code or a recovery code."


def enrolment(session: Session, user: User, *, issuer: str) -> Enrolment:
    """The app being set up for ``user``: the one begun and not yet confirmed, else a new one
    (every page that sets an app up shows this)."""
    return pending(session, user, issuer=issuer) or begin(session, user, issuer=issuer)


def _limit(session: Session, user: User, *, message: str = TOO_MANY_WRONG_EITHER) -> None:
    """Count a try at the account's codes as it comes (``ADMIT_SIGN_IN_CODE_RATE_LIMIT``), so
    that tries sent at once cannot all slip in before any is counted; refused once they are used
    up. A right code gives them back (``_right``): only wrong ones are left counted."""
    ctx = context.of(session)
    ctx.limiter.hit(_limit_key(user), ctx.settings.sign_in_code_rate_limit, message=message)


def _wrong(session: Session, user: User, message: str) -> InvalidInput:
    """The refusal of a wrong code (counted already by ``_limit``): ``message``, and how many
    tries are left before the pause. The try that uses the last one up starts the pause: it is
    written in the audit log, once (the tries after it are refused before they count), and the
    refusal keeps that work (``DomainError.keeps_work``) so that the event stays."""
    ctx = context.of(session)
    limit = ctx.settings.sign_in_code_rate_limit
    left = ctx.limiter.remaining(_limit_key(user), limit)
    if left is None:  # nothing counted (limits off)
        return InvalidInput(message, field="code")
    said = f"{message} {tries_left(left, limit)}"
    if left > 0:
        return InvalidInput(said, field="code")
    tries, pause = in_words(limit)
    members_service.audit_own(
        session, user, "user.second_factor_locked", detail={"tries": tries, "pause": pause}
    )
    refused = InvalidInput(said, field="code")
    refused.keeps_work = True
    return refused


def _right(session: Session, user: User) -> None:
    ctx = context.of(session)
    ctx.limiter.forget(_limit_key(user), ctx.settings.sign_in_code_rate_limit)


def _limit_key(user: User) -> str:
    return f"second-factor:{user.id}"


def _step_of(session: Session, factor: TotpFactor, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one either side), if it is right and newer
    than the last one used."""
    totp = pyotp.TOTP(_secret_of(session, factor))
    now = context.of(session).clock.now()
    current = int(now.timestamp()) // totp.interval
    for step in (current, current - 1, current + 1):
        if step > factor.last_step and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace())


def confirm(session: Session, user: User, code: str) -> list[str]:
    """The first right code confirms the app; returns the recovery codes (shown this once). The
    caller's session (or the sign-in it completes) counts as having proved it."""
    _limit(session, user, message=TOO_MANY_WRONG)
    factor = _factor(session, user.id)
    if factor is None or factor.confirmed_at is not None:
        raise Conflict("There is no authenticator app waiting to be confirmed: start again.")
    step = _step_of(session, factor, _digits(code))
    if step is None:
        raise _wrong(session, user, WRONG_FIRST)
    now = context.of(session).clock.now()
    factor.confirmed_at = now
    _right(session, user)
    factor.last_step = step
    codes = new_recovery_codes(session, user)
    members_service.audit_own(
        session,
        user,
        "user.second_factor_added",
    )
    notices.tell(session, user, "second_factor_added")
    session.flush()
    return codes


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new recovery codes (the earlier ones stop working); returned this once."""
    tokens.end(session, tokens.Purpose.RECOVERY_CODE, user.id, tokens.Reason.SUPERSEDED)
    codes = []
    for _ in range(RECOVERY_CODES):
        code = _shown(secrets.token_hex(5))  # 40 bits
        tokens.issue(
            session, tokens.Purpose.RECOVERY_CODE, user.id, supersede=False, secret=_scoped(user, code)
        )
        codes.append(code)
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    """How many of ``user``'s recovery codes are not used yet."""
    return tokens.live(session, tokens.Purpose.RECOVERY_CODE, user.id)


def replace_recovery_codes(session: Session, user: User, code: str) -> list[str]:
    """``new_recovery_codes``, for someone who proves the factor with a right ``code`` first."""
    check(session, user, code)
    return new_recovery_codes(session, user)


def _recovery_code(given: str) -> str | None:
    """A recovery code as it was written down or read out: any case, with or without its dash
    (spaces are already gone), as ``xxxxx-xxxxx``; None if it cannot be one."""
    text = given.lower().replace("-", "")
    if len(text) != 10 or not all(ch in "0123456789abcdef" for ch in text):
        return None
    return _shown(text)


def _shown(digits: str) -> str:
    """A recovery code's ten hex digits as it is shown and kept: ``xxxxx-xxxxx``."""
    return f"{digits[:5]}-{digits[5:]}"


def _scoped(user: User, code: str) -> str:
    return f"{user.id}:{code.strip().lower()}"


def check(session: Session, user: User, code: str) -> str:
    """Prove the second factor with an app's code or a recovery code (used up); returns which
    (``app`` or ``recovery_code``). The caller marks what it proves (a session, a sign-in)."""
    _limit(session, user)
    factor = _factor(session, user.id)
    if factor is None or factor.confirmed_at is None:
        raise Conflict("This account has no authenticator app set up.")
    given = _digits(code)
    how = ""
    if given.isdigit() and len(given) == 6:
        step = _step_of(session, factor, given)
        if step is not None:
            factor.last_step = step
            how = "app"
    elif (recovery := _recovery_code(given)) is not None:
        try:
            tokens.claim(session, tokens.Purpose.RECOVERY_CODE, _scoped(user, recovery))
            how = "recovery_code"
        except tokens.TokenRefused:
            how = ""
    if not how:
        raise _wrong(session, user, WRONG)
    _right(session, user)
    members_service.audit_own(
        session,
        user,
        "user.second_factor_used",
        detail={"with": how},
    )
    session.flush()
    return how


def remove(session: Session, user: User, code: str) -> None:
    """Turn two-step verification off: it takes a right code (the app's or a recovery code)."""
    check(session, user, code)
    _take_away(session, user)
    members_service.audit_own(
        session,
        user,
        "user.second_factor_removed",
    )
    notices.tell(session, user, "second_factor_removed")
    session.flush()


def reset(session: Session, user: User, *, by: str) -> None:
    """Take ``user``'s authenticator app and recovery codes away, without a code: an owner's
    doing (``flows.members.reset_second_factor``) for someone who lost both, or whose account
    someone else set one up on. A sign-in waiting for its second step ends too, and so does a
    pause for too many wrong codes; they set an app up again where a portal requires one. The
    holder is told who did it (``by``: "Nina North, an owner of Northwind"; ``auth.notices``)."""
    _take_away(session, user)
    tokens.end(session, tokens.Purpose.TWO_FACTOR_CHALLENGE, user.id, tokens.Reason.REVOKED)
    # A fresh start: a pause for too many wrong codes (and the wrong codes counted) ends with it.
    _right(session, user)
    notices.tell(session, user, "second_factor_reset", by=by)
    session.flush()


def _take_away(session: Session, user: User) -> None:
    """``user``'s authenticator app and recovery codes, gone (turned off, or reset)."""
    factor = _factor(session, user.id)
    if factor is not None:
        session.delete(factor)
    tokens.end(session, tokens.Purpose.RECOVERY_CODE, user.id, tokens.Reason.REVOKED)


def proved(session: Session, web_session: WebSession) -> None:
    """``web_session`` has proved the second factor now (the app's first code, or a code or
    recovery code given for it): the gate asks no more of it."""
    web_session.second_factor_at = context.of(session).clock.now()
