"""Races on invite links (both backends; the point is PostgreSQL, where requests really overlap):
the use limit, single-use confirmations, the link made on first use, duplicate join requests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from admit.errors import Gone
from admit.links import service as links_service
from admit.links.models import CONFIRMED, PENDING, InviteLink, LinkSignup
from admit.members.models import Member, User
from admit.workspaces.models import JoinRequest
from tests.factories import actor_for, create_portal, race
from tests.links.helpers import (
    ask_to_join,
    confirm,
    confirmation_token,
    count,
    create_workspace,
    link_token,
    set_policy,
    sign_up,
    workspace_token,
)

pytestmark = pytest.mark.slow

RACERS = 12


class TestUseLimit:
    @pytest.mark.parametrize("max_uses", [1, 3])
    def test_at_most_max_uses_signups_succeed(self, db, max_uses):
        """Many simultaneous sign-ups on a link with N places: exactly N succeed, the rest are told
        the link is used up (or gone, if they looked after it filled), and N places are taken."""
        pf = create_portal(db)
        set_policy(db, pf, max_uses=max_uses)
        token = link_token(db, pf)

        results = race(RACERS, lambda i: sign_up(db, token, f"racer{i}@acme.com", ip=f"10.1.0.{i}").id)
        wins = [r for r in results if not isinstance(r, Exception)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert len(wins) == max_uses, results
        assert all(isinstance(e, Gone) and e.code in ("link_used_up", "link_gone") for e in losses), losses
        assert count(db, LinkSignup, LinkSignup.status == PENDING) == max_uses

        # Every winner can confirm; the link shows N joined and is used up for the next person.
        with db.unit_of_work() as session:
            emails = list(session.scalars(select(LinkSignup.email)))
        for email in emails:
            confirm(db, confirmation_token(db, email))
        assert count(db, LinkSignup, LinkSignup.status == CONFIRMED) == max_uses
        with db.unit_of_work() as session:
            view = links_service.open_portal_link(session, actor_for(session, pf.slug, pf.owner_email))[0]
        assert (view.joined, view.state) == (max_uses, "used_up")


class TestConfirmation:
    def test_one_confirmation_wins(self, db):
        """The same confirmation link followed many times at once: one member, one success."""
        pf = create_portal(db)
        sign_up(db, link_token(db, pf), "ada@acme.com")
        token = confirmation_token(db, "ada@acme.com")

        results = race(6, lambda _i: confirm(db, token).member.id)
        wins = [r for r in results if not isinstance(r, Exception)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert len(wins) == 1, results
        assert all(isinstance(e, Gone) and e.code == "confirmation_used" for e in losses), losses
        assert count(db, User, User.email == "ada@acme.com") == 1
        assert count(db, Member) == 2  # the owner and Ada


class TestFirstUse:
    def test_the_link_is_made_once(self, db):
        """Admins opening the Share Invite Link tab at the same moment see one and the same link."""
        pf = create_portal(db)

        def open_tab(_i):
            with db.unit_of_work() as session:
                owner = actor_for(session, pf.slug, pf.owner_email)
                return links_service.open_portal_link(session, owner)[0].url

        results = race(6, open_tab)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len(set(results)) == 1
        assert count(db, InviteLink) == 1

    def test_one_join_request_per_person(self, db):
        """The same person asking many times at once makes one pending request."""
        pf = create_portal(db)
        ws = create_workspace(db, pf)
        token = workspace_token(db, pf, ws.id)
        results = race(6, lambda _i: ask_to_join(db, token, "rita@example.org").id)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len(set(results)) == 1
        assert count(db, JoinRequest) == 1


class TestWorkspaceUseLimit:
    @pytest.mark.parametrize("max_uses", [1, 3])
    def test_at_most_max_uses_join_requests_succeed(self, db, max_uses):
        """Many people asking to join through a workspace link with N places at the same moment
        (each on its own connection): exactly N requests are made, the rest are told the link has
        just reached its limit (or that it is gone, if they looked after it filled), as a portal
        link's sign-ups are; nothing else is written for those refused (no request, no email to
        the approvers)."""
        from admit.flows import join_requests as join_requests_flow
        from admit.flows import workspace_links
        from admit.notifications.models import Notification

        pf = create_portal(db)
        ws = create_workspace(db, pf)
        token = workspace_token(db, pf, ws.id)
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            view = workspace_links.update(session, actor, ws.id, enabled=True, max_uses=max_uses)
        assert view.link.max_uses == max_uses

        def ask(i):
            with db.unit_of_work() as session:
                return join_requests_flow.request_to_join(
                    session, token=token, email=f"racer{i}@acme.com", name=f"Racer {i}", ip=f"10.2.0.{i}"
                ).id

        results = race(RACERS, ask)
        wins = [r for r in results if not isinstance(r, Exception)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert len(wins) == max_uses, results
        assert losses and all(isinstance(e, Gone) for e in losses), losses
        assert all(e.code in ("link_used_up", "link_gone") for e in losses), losses
        if not db.is_sqlite:
            # Those who asked while it filled up (their requests overlapping, on PostgreSQL) are
            # told it has just reached its limit, as on a portal link (they were told it was
            # gone). SQLite takes one writer at a time from the start: all saw it full.
            assert any(e.code == "link_used_up" for e in losses), [e.code for e in losses]
        assert count(db, JoinRequest, JoinRequest.workspace_id == ws.id) == max_uses
        told = count(db, Notification, Notification.template == "join_request_new")
        assert told == max_uses  # the owner, once per request made
        with db.unit_of_work() as session:
            shown = workspace_links.show(session, actor_for(session, pf.slug, pf.owner_email), ws.id)
        assert (shown.uses, shown.state) == (max_uses, "used_up")
