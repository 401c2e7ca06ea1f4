"""Single-use secrets: the one mechanism behind invitation links, link sign-up confirmations,
sign-in links (and, later, recovery codes and password resets).

A secret is 256 random bits handed out once (in an email, an SMS, a page) and never stored:
the ``tokens`` table keeps its SHA-256, what it opens (``purpose``, ``subject_id``), its expiry
and its fate. Every check goes through here:

- ``issue`` / ``issue_many``: new secrets (by default every earlier live one of the same
  subject and purpose is *superseded*: the newest link wins);
- ``peek``: what a secret opens, without using it (a page shows it; mail scanners open links);
- ``claim``: use it, exactly once, by one conditional ``UPDATE … RETURNING``: of two requests
  racing, one gets the subject and the other the reason it is gone;
- ``end``: kill the live secrets of a subject (revoked, superseded, or used by another proof).

A refused secret raises ``TokenRefused`` with a typed ``Reason`` (unknown, used, expired,
revoked, superseded); each domain turns it into the error its users read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    ScalarSelect,
    Select,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.interfaces import ORMOption

from admit import context
from admit.db import Base, rowcount
from admit.kit.bulk import insert_rows, new_ids, new_tokens
from admit.kit.tokens import hash_token, new_token
from admit.tokens.models import Token

S = TypeVar("S", bound=Base)

__all__ = [
    "Opened",
    "Purpose",
    "Reason",
    "TokenRefused",
    "claim",
    "claim_all",
    "end",
    "issue",
    "issued_for",
    "issue_many",
    "live",
    "peek",
    "peek_with",
    "subject_of",
]


class Purpose(StrEnum):
    INVITATION = "invitation"
    LINK_SIGNUP = "link_signup"
    SIGN_IN = "sign_in"
    SIGN_IN_CODE = "sign_in_code"
    PASSWORD_RESET = "password_reset"
    RECOVERY_CODE = "recovery_code"  # two-factor recovery codes: no expiry, each used once
    TWO_FACTOR_CHALLENGE = "two_factor_challenge"  # the first step of a sign-in, done: 10 minutes


class Reason(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class TokenRefused(Exception):
    """A secret that opens nothing (any more), and why."""

    def __init__(self, reason: Reason, subject_id: uuid.UUID | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.subject_id = subject_id  # known for every reason but UNKNOWN


@dataclass(frozen=True, slots=True)
class Opened:
    """A live (or just claimed) secret: what it opens and until when."""

    subject_id: uuid.UUID
    expires_at: datetime | None


# The statements a link's every use runs are built once, their values bound at each run
# (``:b_now``, ``:b_hash``…: not a column's name, which an UPDATE keeps for itself). Building a
# statement and its cache key on every request cost more than running it (on SQLite, a SELECT
# took 118 µs built each time and 49 µs prebuilt; an UPDATE 255 and 110).
@cache
def _statements() -> dict[str, Executable]:
    """Made on first use, once the models' column types are all known (a bound value compared
    with a column takes the column's type, and a type still unresolved at import would be kept)."""
    now = bindparam("b_now", type_=Token.used_at.type)
    live = _live(Token, now)
    by_hash = _by_hash()
    of_purpose = (Token.purpose == bindparam("b_purpose"),)
    of_subject = (*of_purpose, Token.subject_id == bindparam("b_subject"))
    return {
        "find": select(Token).where(*by_hash).execution_options(populate_existing=True),
        "claim": update(Token)
        .where(*by_hash, *live)
        .values(used_at=now)
        .returning(Token.subject_id, Token.expires_at)
        .execution_options(synchronize_session=False),
        # ``claim`` of a secret and, in the same statement, of its subject's other live ones
        # (``claim_all``); the secret itself is found by an alias (the same table's name alone
        # would be read as the row being updated).
        "claim_all": update(Token)
        .where(*of_purpose, *live, Token.subject_id == _live_subject(now))
        .values(used_at=now)
        .returning(Token.token_hash, Token.subject_id, Token.expires_at)
        .execution_options(synchronize_session=False),
        "use": update(Token)
        .where(*of_subject, *live)
        .values(used_at=now)
        .execution_options(synchronize_session=False),
        "live": select(func.count()).select_from(Token).where(*of_subject, *live),
        "live_since": select(func.count())
        .select_from(Token)
        .where(*of_subject, *live, Token.created_at > bindparam("b_since", type_=Token.created_at.type)),
        "end": update(Token)
        .where(*of_subject, *live)
        .values(ended_at=now, end_reason=bindparam("b_reason", type_=Token.end_reason.type))
        .execution_options(synchronize_session=False),
    }


# A secret opens its subject while it is live: not used, not ended (revoked, superseded) and not
# expired (``expires_at`` reached; None: it never expires). Said once in each of the two places
# it is asked: ``_live`` in a statement (every one that finds, counts, claims or ends live
# secrets), ``_dead`` of a row read (``peek``, and why a claim found nothing). tests/test_tokens
# checks the two agree, state by state, through every path, on both databases.
def _live(token: type[Token], now: BindParameter[datetime]) -> tuple[ColumnElement[bool], ...]:
    """Whether ``token`` (``Token``, or an alias of it) is live at ``:b_now``, as a condition."""
    return (
        token.used_at.is_(None),
        token.ended_at.is_(None),
        or_(token.expires_at.is_(None), token.expires_at > now),
    )


def _dead(row: Token, now: datetime) -> Reason | None:
    """Why ``row`` opens nothing any more at ``now``, or None when it is live (``_live``, of a row
    read): used first, then ended (as what ended it), then expired."""
    if row.used_at is not None:
        return Reason.USED
    if row.ended_at is not None:
        return Reason(row.end_reason or Reason.REVOKED)
    if row.expires_at is not None and row.expires_at <= now:
        return Reason.EXPIRED
    return None


def _by_hash() -> tuple[ColumnElement[bool], ...]:
    return (Token.token_hash == bindparam("b_hash"), Token.purpose == bindparam("b_purpose"))


def _live_subject(now: BindParameter[datetime]) -> ScalarSelect[uuid.UUID]:
    """The subject of the live secret ``:b_hash`` (none: NULL, which matches nothing)."""
    it = aliased(Token)
    return (
        select(it.subject_id)
        .where(it.token_hash == bindparam("b_hash"), it.purpose == bindparam("b_purpose"), *_live(it, now))
        .scalar_subquery()
    )


def issue(
    session: Session,
    purpose: Purpose,
    subject_id: uuid.UUID,
    *,
    expires_at: datetime | None = None,
    ttl: timedelta | None = None,
    supersede: bool = True,
    secret: str | None = None,
) -> str:
    """A new secret for ``subject_id``; returns it raw (the only time it exists in clear).

    With ``supersede`` (the default) the subject's earlier live secrets of this purpose die.
    ``secret``: the raw value, when the caller makes it (a short code, which it then scopes by
    its subject so that codes of different subjects never meet); else a random 256-bit one."""
    now = context.of(session).clock.now()
    if ttl is not None:
        expires_at = now + ttl
    if supersede:
        end(session, purpose, subject_id, Reason.SUPERSEDED)
    raw = secret or new_token()
    session.add(
        Token(
            purpose=str(purpose),
            subject_id=subject_id,
            token_hash=hash_token(raw),
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return raw


def issue_many(
    session: Session, purpose: Purpose, subjects: list[tuple[uuid.UUID, datetime | None]]
) -> list[str]:
    """New secrets for many new subjects at once (one bulk insert; nothing to supersede);
    returns the raw secrets in the order of ``subjects``."""
    if not subjects:
        return []
    now = context.of(session).clock.now()
    raws = new_tokens(len(subjects))
    ids = new_ids(len(subjects))
    insert_rows(
        session,
        Token.__table__,
        [
            {
                "id": token_id,
                "purpose": str(purpose),
                "subject_id": subject_id,
                "token_hash": hash_token(raw),
                "created_at": now,
                "expires_at": expires_at,
            }
            for token_id, raw, (subject_id, expires_at) in zip(ids, raws, subjects, strict=True)
        ],
    )
    return raws


def end(session: Session, purpose: Purpose, subject_id: uuid.UUID, reason: Reason) -> int:
    """End every live secret of ``subject_id`` for ``purpose``; ``Reason.USED`` when the subject
    was completed another way. Returns how many."""
    now = context.of(session).clock.now()
    used = reason is Reason.USED
    values = {"b_purpose": str(purpose), "b_subject": subject_id, "b_now": now}
    if used:
        return rowcount(session.execute(_statements()["use"], values))
    return rowcount(session.execute(_statements()["end"], {**values, "b_reason": str(reason)}))


def live(
    session: Session, purpose: Purpose, subject_id: uuid.UUID, *, issued_after: datetime | None = None
) -> int:
    """How many of ``subject_id``'s secrets for ``purpose`` still open it (unused, not ended,
    not expired); ``issued_after``: only those issued since."""
    now = context.of(session).clock.now()
    values = {"b_purpose": str(purpose), "b_subject": subject_id, "b_now": now}
    if issued_after is not None:
        return int(session.scalar(_statements()["live_since"], {**values, "b_since": issued_after}) or 0)
    return int(session.scalar(_statements()["live"], values) or 0)


def _refusal(row: Token | None, now: datetime) -> TokenRefused:
    """The refusal of ``row`` (None: no such secret), why it is dead (``_dead``). One that a
    claim found dead but reads live here (none should: a secret never comes back to life) is
    said expired."""
    if row is None:
        return TokenRefused(Reason.UNKNOWN)
    return TokenRefused(_dead(row, now) or Reason.EXPIRED, row.subject_id)


def _find(session: Session, purpose: Purpose, raw: str, *, fresh: bool = False) -> Token | None:
    row: Token | None = session.scalar(
        _statements()["find"],
        {"b_hash": hash_token(raw or ""), "b_purpose": str(purpose)},
        execution_options={"populate_existing": True} if fresh else {},
    )
    return row


def peek(session: Session, purpose: Purpose, raw: str, *, fresh: bool = False) -> Opened:
    """What ``raw`` opens, if it is live; ``TokenRefused`` otherwise. Uses nothing up. ``fresh``:
    read as the database has it now, not as this session first read it (a request that finds
    the work of another that used the token meanwhile says the token was used)."""
    return _opened(_find(session, purpose, raw, fresh=fresh), context.of(session).clock.now())


def peek_with(
    session: Session, purpose: Purpose, raw: str, subject: type[S], *, options: tuple[ORMOption, ...] = ()
) -> tuple[Opened, S | None]:
    """``peek``, and the row of ``subject`` (a mapped class whose ``id`` the secret's subject is)
    that ``raw`` opens, read in the same statement with ``options`` (None when there is no such
    row): a round trip fewer for whoever reads it next (issue 13). Both as the database has them
    now (as ``peek``'s ``fresh``)."""
    found = session.execute(
        _find_with(subject, options), {"b_hash": hash_token(raw or ""), "b_purpose": str(purpose)}
    ).first()
    row, opens = (found[0], found[1]) if found is not None else (None, None)
    return _opened(row, context.of(session).clock.now()), opens


@cache
def _find_with(subject: type[Base], options: tuple[ORMOption, ...]) -> Select[Token, Any]:
    """``find`` with the row the secret opens, built once for each kind of subject."""
    return (
        select(Token, subject)
        .outerjoin(subject, subject.__table__.c.id == Token.subject_id)
        .where(*_by_hash())
        .options(*options)
        .execution_options(populate_existing=True)
    )


def _opened(row: Token | None, now: datetime) -> Opened:
    if row is None or _dead(row, now) is not None:
        raise _refusal(row, now)
    return Opened(row.subject_id, row.expires_at)


def issued_for(session: Session, purpose: Purpose, raw: str) -> uuid.UUID | None:
    """What ``raw`` was issued for, live or not (None: no such secret). Its holder has the
    secret: a refusal may tell them whose it was (a dead sign-in link, the address for a new one)."""
    row = _find(session, purpose, raw)
    return row.subject_id if row is not None else None


def subject_of(
    session: Session,
    purpose: Purpose,
    raw: str,
    *,
    use: bool,
    refused: Callable[[Reason], Exception],
    fresh: bool = False,
) -> uuid.UUID:
    """The id of what ``raw`` opens: ``claim`` it (``use``) or only ``peek`` (``fresh``: as
    ``peek``). A refusal raises ``refused(reason)``: each domain says it in its own words."""
    try:
        opened = claim(session, purpose, raw) if use else peek(session, purpose, raw, fresh=fresh)
    except TokenRefused as exc:
        raise refused(exc.reason) from None
    return opened.subject_id


def claim_all(session: Session, purpose: Purpose, raw: str) -> Opened:
    """``claim`` ``raw`` and, in the same statement, every other live secret of its subject for
    ``purpose`` (an invitation's reminder's link beside its first: using one uses them all) —
    ``claim`` followed by ``end(…, Reason.USED)``, a round trip fewer (issue 13). Exactly once
    as ``claim``: the others are used only when ``raw`` is live, and of two requests racing, the
    second finds every row used (on PostgreSQL it waits on the first's row locks and then
    matches nothing)."""
    now = context.of(session).clock.now()
    hashed = hash_token(raw or "")
    used = session.execute(
        _statements()["claim_all"], {"b_hash": hashed, "b_purpose": str(purpose), "b_now": now}
    ).all()
    claimed = next((row for row in used if row.token_hash == hashed), None)
    if claimed is None:
        raise _refusal(_find(session, purpose, raw), now)
    return Opened(claimed.subject_id, claimed.expires_at)


def claim(session: Session, purpose: Purpose, raw: str) -> Opened:
    """Use ``raw``: exactly once, while live. The conditional update is the guarantee: on
    PostgreSQL a concurrent claim waits on the row lock and then matches nothing; on SQLite the
    write lock serialises the two."""
    now = context.of(session).clock.now()
    claimed = session.execute(
        _statements()["claim"], {"b_hash": hash_token(raw or ""), "b_purpose": str(purpose), "b_now": now}
    ).first()
    if claimed is None:
        raise _refusal(_find(session, purpose, raw), now)
    return Opened(claimed.subject_id, claimed.expires_at)
