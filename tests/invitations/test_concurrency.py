"""Races: concurrent accepts of one token, concurrent invites of one address (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admit.errors import Gone
from admit.flows import join
from admit.invitations import service as invitations_service
from admit.invitations.models import Invitation
from admit.members.models import Member, User
from tests.factories import PASSWORD, actor_for, create_portal, invite, last_link, race

pytestmark = pytest.mark.slow

RACERS = 6


class TestConcurrentAccept:
    def test_exactly_one_accept_wins(self, db, worker):
        """Many simultaneous accepts of one token: exactly one succeeds, the rest get invitation_used."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")

        def accept(_i):
            with db.unit_of_work() as session:
                return join.accept(session, token=token, password=PASSWORD).member.id

        results = race(RACERS, accept)
        wins = [r for r in results if not isinstance(r, Exception)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert len(wins) == 1, results
        assert all(isinstance(e, Gone) and e.code == "invitation_gone" for e in losses), losses
        with db.unit_of_work() as session:
            assert (
                session.scalar(select(func.count()).select_from(User).where(User.email == "ada@example.com"))
                == 1
            )
            assert session.scalar(select(func.count()).select_from(Member)) == 2
            assert session.scalar(select(Invitation.status)) == "accepted"


class TestConcurrentInvite:
    def test_double_submit_invites_once(self, db):
        """The same address invited by simultaneous requests ends with one invitation."""
        pf = create_portal(db)

        def send(_i):
            with db.unit_of_work() as session:
                actor = actor_for(session, pf.slug, pf.owner_email)
                result = invitations_service.invite(
                    session, actor, recipients=["ada@example.com"], user_type="internal"
                )
                return len(result.invited), [s.code for s in result.skipped]

        results = race(RACERS, send)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sum(n for n, _ in results) == 1
        assert all(codes == ["already_invited"] for n, codes in results if n == 0)
        with db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(Invitation)) == 1
