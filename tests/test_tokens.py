"""``tokens.service.claim_all``: a secret used with its subject's other live ones, in one
statement (an invitation's reminder's link beside its first), on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from admit.kit.clock import Clock
from admit.tokens import service as tokens

INVITATION = tokens.Purpose.INVITATION


def _issue(db, subject: uuid.UUID, *, ttl: timedelta = timedelta(days=1)) -> str:
    with db.unit_of_work() as session:
        return tokens.issue(session, INVITATION, subject, ttl=ttl, supersede=False)


def _live(db, subject: uuid.UUID) -> int:
    with db.unit_of_work() as session:
        return tokens.live(session, INVITATION, subject)


def test_claiming_one_secret_uses_its_subjects_others_and_only_once(db):
    subject, other = uuid.uuid4(), uuid.uuid4()
    first, reminder = _issue(db, subject), _issue(db, subject)
    _issue(db, other)
    with db.unit_of_work() as session:
        assert tokens.claim_all(session, INVITATION, reminder).subject_id == subject
    assert _live(db, subject) == 0
    assert _live(db, other) == 1  # another subject's secret is not touched
    for raw in (reminder, first):
        with db.unit_of_work() as session, pytest.raises(tokens.TokenRefused) as refused:
            tokens.claim_all(session, INVITATION, raw)
        assert refused.value.reason is tokens.Reason.USED


def test_a_dead_secret_uses_nothing(db):
    subject = uuid.uuid4()
    expired = _issue(db, subject, ttl=timedelta(seconds=-1))
    _issue(db, subject)
    with db.unit_of_work() as session, pytest.raises(tokens.TokenRefused) as refused:
        tokens.claim_all(session, INVITATION, expired)
    assert refused.value.reason is tokens.Reason.EXPIRED
    assert _live(db, subject) == 1  # the live one still opens it
    with db.unit_of_work() as session, pytest.raises(tokens.TokenRefused) as unknown:
        tokens.claim_all(session, INVITATION, "no-such-secret")
    assert unknown.value.reason is tokens.Reason.UNKNOWN
    assert _live(db, subject) == 1


def test_a_used_secret_whose_invitation_is_gone_reads_as_used(db):
    """The secret is read with its invitation and the invitation's portal in one statement
    (``peek_with``, as opening an invitation's link does): an outer join all through, so a
    secret whose invitation is gone (its portal deleted) is still known for what it is."""
    from admit.invitations.service import _WITH_PORTAL
    from admit.models import Invitation

    raw = _issue(db, uuid.uuid4())  # a subject with no invitation row
    with db.unit_of_work() as session:
        tokens.claim_all(session, INVITATION, raw)
    with db.unit_of_work() as session, pytest.raises(tokens.TokenRefused) as refused:
        tokens.peek_with(session, INVITATION, raw, Invitation, options=_WITH_PORTAL)
    assert refused.value.reason is tokens.Reason.USED


class _Stopped(Clock):
    """A clock that reads ``at`` (a secret that expires at this very moment is dead)."""

    __slots__ = ("at",)

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def now(self) -> datetime:
        return self.at


NOW = datetime(2026, 12, 7, 12, 0, 0, 500_000, tzinfo=UTC)
SECOND = timedelta(seconds=1)

# A secret's states, each as its row's fields (``expires_at``, ``used_at``, ``ended_at``,
# ``end_reason``), and what the secret is then: live, or dead and why.
STATES: dict[str, tuple[dict[str, object], tokens.Reason | None]] = {
    "never expires": ({}, None),
    "expires later": ({"expires_at": NOW + SECOND}, None),
    "expires a microsecond later": ({"expires_at": NOW + timedelta(microseconds=1)}, None),
    "expires now": ({"expires_at": NOW}, tokens.Reason.EXPIRED),
    "expired": ({"expires_at": NOW - SECOND}, tokens.Reason.EXPIRED),
    "used": ({"used_at": NOW - SECOND}, tokens.Reason.USED),
    "used, and expired since": (
        {"used_at": NOW - 2 * SECOND, "expires_at": NOW - SECOND},
        tokens.Reason.USED,
    ),
    "revoked": ({"ended_at": NOW - SECOND, "end_reason": "revoked"}, tokens.Reason.REVOKED),
    "superseded": ({"ended_at": NOW - SECOND, "end_reason": "superseded"}, tokens.Reason.SUPERSEDED),
    "ended, no reason kept": ({"ended_at": NOW - SECOND}, tokens.Reason.REVOKED),
    "ended later than it expired": (
        {"ended_at": NOW - SECOND, "end_reason": "superseded", "expires_at": NOW - 2 * SECOND},
        tokens.Reason.SUPERSEDED,
    ),
}


def test_every_path_says_the_same_secret_is_live(db):
    """Whether a secret is live is said in a statement's condition (``live``, ``claim``,
    ``claim_all`` and its subquery, ``end``) and of a row read (``peek``, ``peek_with``): for
    each state, every path agrees (and says why it is dead alike), at the very moment of expiry
    too, on both databases. Each path is tried on the state as it was (rolled back after)."""
    from admit.context import Context
    from admit.models import Invitation
    from admit.tokens.models import Token

    db.context = Context(settings=db.context.settings, clock=_Stopped(NOW), limiter=db.context.limiter)
    secrets: dict[str, tuple[uuid.UUID, str]] = {}
    with db.unit_of_work() as session:
        for state, (fields, _) in STATES.items():
            subject = uuid.uuid4()
            raw = tokens.issue(session, INVITATION, subject, supersede=False)
            row = session.scalar(select(Token).where(Token.subject_id == subject))
            for name, value in fields.items():
                setattr(row, name, value)
            secrets[state] = (subject, raw)

    def tried(path) -> object:
        session = db.session()
        try:
            return path(session)
        except tokens.TokenRefused as refused:
            return refused.reason
        finally:
            db.end(session, commit=False)

    for state, (_, dead) in STATES.items():
        subject, raw = secrets[state]
        said = {
            "live": tried(lambda s: tokens.live(s, INVITATION, subject)),  # noqa: B023
            "live since": tried(
                lambda s: tokens.live(s, INVITATION, subject, issued_after=NOW - timedelta(days=1))  # noqa: B023
            ),
            "end": tried(lambda s: tokens.end(s, INVITATION, subject, tokens.Reason.REVOKED)),  # noqa: B023
            "use": tried(lambda s: tokens.end(s, INVITATION, subject, tokens.Reason.USED)),  # noqa: B023
            "peek": tried(lambda s: tokens.peek(s, INVITATION, raw).subject_id),  # noqa: B023
            "peek_with": tried(lambda s: tokens.peek_with(s, INVITATION, raw, Invitation)[0].subject_id),  # noqa: B023
            "claim": tried(lambda s: tokens.claim(s, INVITATION, raw).subject_id),  # noqa: B023
            "claim_all": tried(lambda s: tokens.claim_all(s, INVITATION, raw).subject_id),  # noqa: B023
        }
        counted = 0 if dead else 1
        expected = {
            "live": counted,
            "live since": counted,
            "end": counted,
            "use": counted,
            **dict.fromkeys(("peek", "peek_with", "claim", "claim_all"), dead or subject),
        }
        assert said == expected, state
