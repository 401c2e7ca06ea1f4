"""``tokens.service.claim_all``: a secret used with its subject's other live ones, in one
statement (an invitation's reminder's link beside its first), on both databases."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

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
