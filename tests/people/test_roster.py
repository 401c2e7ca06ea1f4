"""The roster (people.roster): members, open invitations and pending sign-ups in one list, one
row per person, newest first, paged with a cursor and never capped, on both backends."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, select, text, update

from admit.audit import service as audit_service
from admit.errors import InvalidInput
from admit.invitations.models import Invitation
from admit.kit import clock
from admit.links import service as links_service
from admit.links import signups
from admit.members.models import User
from admit.notifications import bounces
from admit.people import roster as people_roster
from admit.policy import ALL_PRODUCTS, UserType
from tests.factories import actor_for, create_portal, invite, member_joins
from tests.links.helpers import confirm, confirmation_token, link_token, refresh, set_policy, sign_up


def _roster(db, pf, by=None, **filters):
    with db.unit_of_work() as session:
        return people_roster.roster(session, actor_for(session, pf.slug, by or pf.owner_email), **filters)


def _all(db, pf, by=None, **filters) -> list:
    """Every row, following the cursor to the end; not counted, so that no count decides which
    kinds of rows are read (what the totals are checked against)."""
    rows, cursor = [], None
    while True:
        page = _roster(db, pf, by=by, cursor=cursor, count=False, **filters)
        rows.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return rows


def _with_app(db, email):
    """``email``'s account with a confirmed authenticator app (two-step verification set up)."""
    from admit.auth import second_factor

    with db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.email == email))
        second_factor.begin(session, user, issuer="Acme Inc")
        second_factor._factor(session, user.id).confirmed_at = clock.now()


class TestRoster:
    def test_members_invitations_and_signups_in_one_list(self, db, worker):
        """One row each: the owner, a member who joined, an invitation, a link sign-up."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        invite(db, pf, ["Cleo Client <cleo@client.org>"], user_type="client")
        sign_up(db, link_token(db, pf), "sam@acme.com", name="Sam Signup")
        page = _roster(db, pf)
        by_address = {r.address: r for r in page.items}
        assert page.total == 4 and page.next_cursor is None
        assert (by_address["owner@acme.com"].kind, by_address["owner@acme.com"].status) == (
            "member",
            "active",
        )
        assert (by_address["mel@acme.com"].kind, by_address["mel@acme.com"].role) == ("member", "member")
        cleo = by_address["cleo@client.org"]
        assert (cleo.kind, cleo.name, cleo.status, cleo.user_type) == (
            "invitation",
            "Cleo Client",
            "pending",
            "client",
        )
        assert cleo.invited_by == "Olive Owner" and cleo.delivery["status"] == "queued"
        assert (by_address["sam@acme.com"].kind, by_address["sam@acme.com"].invited_by) == (
            "signup",
            "Invite link",
        )
        assert [r.created_at for r in page.items] == sorted((r.created_at for r in page.items), reverse=True)

    def test_a_member_who_came_in_through_the_link_keeps_it_as_invited_by(self, db, worker):
        """Once a sign-up is confirmed its row is a member's, and Invited by still names the
        link (in the list and the export); a member who accepted an invitation names the
        inviter. Each member says how they came in (``Member.joined_via``)."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        sign_up(db, link_token(db, pf), "sam@acme.com", name="Sam Signup")
        confirm(db, confirmation_token(db, "sam@acme.com"))
        by_address = {r.address: r for r in _roster(db, pf).items}
        sam, mel, owner = by_address["sam@acme.com"], by_address["mel@acme.com"], by_address[pf.owner_email]
        assert (sam.kind, sam.status, sam.invited_by, sam.via) == (
            "member",
            "active",
            "Invite link",
            "invite_link",
        )
        assert (mel.kind, mel.invited_by, mel.via) == ("member", "Olive Owner", "invitation")
        assert (owner.invited_by, owner.via) == (None, "setup")
        with db.unit_of_work() as session:
            exported = {
                r.address: r.invited_by
                for r in people_roster.export(session, actor_for(session, pf.slug, pf.owner_email))
            }
        assert exported["sam@acme.com"] == "Invite link" and exported["mel@acme.com"] == "Olive Owner"
        assert exported[pf.owner_email] == ""

    def test_pending_signups_are_the_link_cards_pending_whether_the_link_is_on_or_off(self, db):
        """One condition (``links.service.waiting``) for the link card's "pending" and the
        roster's sign-ups: turning the link off pauses them, it does not hide them from one of
        the two; a refresh leaves them behind in both."""
        pf = create_portal(db)
        token = link_token(db, pf)
        sign_up(db, token, "sam@acme.com")
        sign_up(db, token, "sue@acme.com")

        def both():
            with db.unit_of_work() as session:
                card = links_service.open_portal_link(session, actor_for(session, pf.slug, pf.owner_email))[0]
            rows = [r.address for r in _all(db, pf, status="pending") if r.kind == "signup"]
            return card.pending, sorted(rows)

        assert both() == (2, ["sam@acme.com", "sue@acme.com"])
        set_policy(db, pf, enabled=False)
        assert both() == (2, ["sam@acme.com", "sue@acme.com"])
        refresh(db, pf)
        assert both() == (0, [])
        # The link's own list of sign-ups agrees: left behind by the Refresh, they read expired.
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            listed = signups.list_signups(session, actor)[0]
            assert sorted(r.shown_status() for r in listed) == ["expired", "expired"]
            assert signups.list_signups(session, actor, status="pending")[0] == []
            assert len(signups.list_signups(session, actor, status="expired")[0]) == 2

    def test_pages_through_everyone_without_a_cap(self, db):
        """120 invitations and the owner: three pages of 50, every row once, total 121."""
        pf = create_portal(db)
        invite(db, pf, [f"p{i}@example.com" for i in range(120)], user_type="client")
        first = _roster(db, pf)
        assert (len(first.items), first.total) == (50, 121) and first.next_cursor
        rows = _all(db, pf)
        assert len(rows) == 121 and len({r.id for r in rows}) == 121

    def test_filters_by_type_status_role_and_search(self, db, worker):
        """Filters combine; search finds names, emails and phone digits however typed."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@acme.com", role="admin")
        invite(db, pf, ["Grace Hopper <grace@navy.mil>", "+1 202 555 0173"], user_type="client")
        invite(db, pf, ["lapsed@example.com"], user_type="client")
        with clock.travel(timedelta(days=8)):
            expired = _roster(db, pf, status="expired")
            assert {r.address for r in expired.items} == {
                "grace@navy.mil",
                "+12025550173",
                "lapsed@example.com",
            }
            assert _roster(db, pf, status="pending").total == 0
        assert {r.address for r in _roster(db, pf, user_type="client").items} == {
            "grace@navy.mil",
            "+12025550173",
            "lapsed@example.com",
        }
        assert [r.address for r in _roster(db, pf, role="admin").items] == ["ada@acme.com"]
        assert [
            r.address for r in _roster(db, pf, status="active", user_type="internal", role="owner").items
        ] == ["owner@acme.com"]
        assert [r.address for r in _roster(db, pf, q="hopper").items] == ["grace@navy.mil"]
        assert [r.address for r in _roster(db, pf, q="(202) 555").items] == ["+12025550173"]
        assert _roster(db, pf, q="nobody").total == 0

    def test_a_kept_statement_lists_each_portal_its_own_people_as_they_are_now(self, db):
        """A first page's statements are built once for their shape and kept: asked again for
        another portal, or later, they read that portal's rows and that moment's statuses (the
        portal and the time are parameters, never held by the statement)."""
        acme = create_portal(db)
        beta = create_portal(db, name="Beta Ltd", owner_email="owner@beta.com")
        invite(db, acme, ["cleo@client.org"], user_type="client")
        invite(db, beta, ["bea@client.org"], user_type="client")
        for _ in range(2):  # the second time round, every statement is a kept one
            assert [r.address for r in _roster(db, acme, user_type="client").items] == ["cleo@client.org"]
            assert [r.address for r in _roster(db, beta, user_type="client").items] == ["bea@client.org"]
        assert ("owner", "client", None, None, None, None, None, True, True) in people_roster._KEPT
        assert [r.status for r in _roster(db, acme, user_type="client").items] == ["pending"]
        with clock.travel(timedelta(days=8)):
            assert [r.status for r in _roster(db, acme, user_type="client").items] == ["expired"]
            assert _roster(db, acme, user_type="client", status="pending").total == 0

    def test_revoked_invitations_stay_and_accepted_ones_become_members(self, db, worker):
        """A revoked invitation is a row with status revoked; an accepted one is the member's row."""
        from admit.invitations import service as invitations_service

        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        inv = invite(db, pf, ["rita@example.com"]).invited[0]
        with db.unit_of_work() as session:
            invitations_service.revoke(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
        rows = {r.address: (r.kind, r.status) for r in _roster(db, pf).items}
        assert rows == {
            "owner@acme.com": ("member", "active"),
            "mel@acme.com": ("member", "active"),
            "rita@example.com": ("invitation", "revoked"),
        }

    def test_internal_members_see_client_invitations_only(self, db, worker):
        """Who sees which invitation is policy's: a member sees no internal invitation, no sign-up."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        invite(db, pf, ["staff@acme.com"])
        invite(db, pf, ["cleo@client.org"], user_type="client")
        sign_up(db, link_token(db, pf), "sam@acme.com")
        seen = {r.address for r in _roster(db, pf, by="mel@acme.com").items}
        assert seen == {"owner@acme.com", "mel@acme.com", "cleo@client.org"}

    def test_filters_members_by_two_step_verification(self, db, worker):
        """Set up: members with a confirmed authenticator app; Not set up: the other members (one
        being set up is not one yet). Invitations and sign-ups have none: the filter lists
        members only, and counts them so."""
        from admit.auth import second_factor

        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@acme.com", role="admin")
        member_joins(db, worker, pf, "bo@acme.com")
        member_joins(db, worker, pf, "cy@client.org", user_type="client", role="client")
        invite(db, pf, ["cleo@client.org", "ida@acme.com"], user_type="client")
        sign_up(db, link_token(db, pf), "sam@acme.com")
        _with_app(db, "ada@acme.com")
        with db.unit_of_work() as session:  # begun, never confirmed
            bo = session.scalar(select(User).where(User.email == "bo@acme.com"))
            second_factor.begin(session, bo, issuer="Acme Inc")
        set_up = _roster(db, pf, two_step="set_up")
        assert ([r.address for r in set_up.items], set_up.total) == (["ada@acme.com"], 1)
        assert set_up.filters["two_step"] == "set_up"
        not_set_up = _roster(db, pf, two_step="not_set_up")
        assert {r.address for r in not_set_up.items} == {"owner@acme.com", "bo@acme.com", "cy@client.org"}
        assert not_set_up.total == 3 and {r.kind for r in not_set_up.items} == {"member"}
        assert [
            r.address
            for r in _roster(db, pf, two_step="not_set_up", user_type="internal", status="active").items
        ] == ["bo@acme.com", "owner@acme.com"]
        assert [r.address for r in _roster(db, pf, two_step="not_set_up", q="bo").items] == ["bo@acme.com"]
        assert _roster(db, pf, two_step="set_up", status="pending").total == 0  # pending: invitations
        assert _roster(db, pf, two_step="set_up", delivery="sent").total == 0  # members have no delivery
        assert _roster(db, pf).total == 7  # unfiltered: everyone, as before
        with pytest.raises(InvalidInput) as caught:
            _roster(db, pf, two_step="maybe")
        assert caught.value.field == "two_step"

    def test_bad_filters_name_the_field(self, db):
        pf = create_portal(db)
        for filters, field in (
            ({"status": "gone"}, "status"),
            ({"role": "king"}, "role"),
            ({"user_type": "x"}, "user_type"),
        ):
            with pytest.raises(InvalidInput) as caught:
                _roster(db, pf, **filters)
            assert caught.value.field == field
        with pytest.raises(InvalidInput) as caught:
            _roster(db, pf, cursor="not-a-cursor")
        assert caught.value.field == "cursor"


class TestSortAndFilters:
    NAMES = ["bea", "Ada", "", "cy", "Ava", "", "dot", "Al", "bo", "ed", "Cal", ""]

    def _people(self, db, pf):
        """Twelve client invitations: some named (mixed case), some not (they sort by address)."""
        recipients = [
            f"{n} <x{i:02d}@example.com>" if n else f"z{i:02d}@example.com" for i, n in enumerate(self.NAMES)
        ]
        invite(db, pf, recipients, user_type="client")

    @pytest.mark.parametrize(
        "sort", ["name", "-name", "invited", "-invited", "last_sent", "-last_sent", "status", "-status"]
    )
    def test_every_sort_pages_through_everyone_in_order(self, db, sort):
        """Pages of 5 under each sort: every row once, and the rows in the sort's order."""
        pf = create_portal(db)
        self._people(db, pf)
        rows = _all(db, pf, sort=sort, limit=5)
        assert len(rows) == 13 and len({r.id for r in rows}) == 13
        if "name" in sort:
            keys = [(r.name or r.address).lower() for r in rows]
        elif "status" in sort:
            keys = [r.status for r in rows]
        elif "last_sent" in sort:
            keys = [r.last_sent_at or r.created_at for r in rows]
        else:
            keys = [r.created_at for r in rows]
        assert keys == sorted(keys, reverse=sort.startswith("-"))

    def test_name_sort_reads_like_a_list_of_names(self, db):
        pf = create_portal(db)
        self._people(db, pf)
        names = [r.name or r.address for r in _all(db, pf, sort="name", user_type="client")]
        assert names[:4] == ["Ada", "Al", "Ava", "bea"] and names[-3:] == [
            "z02@example.com",
            "z05@example.com",
            "z11@example.com",
        ]

    @pytest.mark.parametrize("batch", [5, 60])  # a small batch, and one written through kit.bulk's copy
    def test_a_batch_lists_in_the_order_it_was_given(self, db, batch):
        """Invited together, the rows share their time: newest first lists them as they were
        pasted, oldest first in reverse (they had been in the order of their random ids), and
        the Audit Log lists their lines as pasted too."""
        pf = create_portal(db)
        given = [f"p{i:03d}-{uuid.uuid4().hex[:6]}@example.com" for i in range(batch)]
        invite(db, pf, given, user_type="client")
        assert [r.address for r in _all(db, pf, user_type="client")] == given
        assert [r.address for r in _all(db, pf, user_type="client", sort="invited")] == given[::-1]
        with db.unit_of_work() as session:
            lines = audit_service.list_events(session, actor_for(session, pf.slug, pf.owner_email), limit=500)
        invited = [e.target_label for e in lines[0] if e.action == "invitation.created"]
        assert invited == given

    def test_a_cursor_of_another_sort_is_refused(self, db):
        pf = create_portal(db)
        self._people(db, pf)
        cursor = _roster(db, pf, sort="name", limit=5).next_cursor
        with pytest.raises(InvalidInput) as caught:
            _roster(db, pf, sort="-last_sent", cursor=cursor)
        assert caught.value.field == "cursor"
        with pytest.raises(InvalidInput) as caught:
            _roster(db, pf, sort="shoe size")
        assert caught.value.field == "sort"

    def test_filters_by_product_inviter_and_delivery(self, db, worker):
        """Product: members and invitations holding it; inviter: who sent it; delivery: the last
        message's (members have none, so they drop out)."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@acme.com", role="admin")
        invite(db, pf, ["bill@client.org"], user_type="client", products=["billing"])
        invite(db, pf, ["mia@client.org"], user_type="client", products=["messaging"])
        worker.drain()
        invite(db, pf, ["later@client.org"], user_type="client", by="ada@acme.com", products=["billing"])
        billing = {r.address for r in _all(db, pf, product="billing")}
        assert {"bill@client.org", "later@client.org"} <= billing and "mia@client.org" not in billing
        # The owner and ada hold every product the portal has (they joined with them all).
        assert "owner@acme.com" in billing
        with db.unit_of_work() as session:
            ada_id = actor_for(session, pf.slug, "ada@acme.com").user.id
        assert [r.address for r in _all(db, pf, invited_by=ada_id)] == ["later@client.org"]
        assert {r.address for r in _all(db, pf, delivery="sent")} == {"bill@client.org", "mia@client.org"}
        assert [r.address for r in _all(db, pf, delivery="queued")] == ["later@client.org"]
        assert _roster(db, pf, delivery="none").total == 0
        for filters, field in (({"product": "spaceships"}, "product"), ({"delivery": "lost"}, "delivery")):
            with pytest.raises(InvalidInput) as caught:
                _roster(db, pf, **filters)
            assert caught.value.field == field

    def test_a_sign_up_shows_and_is_filtered_by_its_confirmation_emails_delivery(self, db, worker):
        """A sign-up's Delivery is its newest confirmation email's, in the list, its filter and
        the export. One whose address bounced since, signing up again, is left as it was (no
        email may go: nothing is written, ``links.signups.signup``)."""
        pf = create_portal(db)
        token = link_token(db, pf)
        sign_up(db, token, "sam@acme.com")

        def seen(**filters):
            return {(r.address, r.delivery["status"]) for r in _all(db, pf, **filters) if r.kind == "signup"}

        assert seen() == {("sam@acme.com", "queued")}
        worker.drain()
        assert seen() == seen(delivery="sent") == {("sam@acme.com", "sent")}
        assert seen(delivery="queued") == seen(delivery="none") == set()
        with db.unit_of_work() as session:
            exported = people_roster.export(session, actor_for(session, pf.slug, pf.owner_email))
            assert {(r.address, r.kind, r.delivery) for r in exported} == {
                ("owner@acme.com", "member", ""),
                ("sam@acme.com", "signup", "sent"),
            }
        # Its address bounced since; signed up again, nothing is written: the sign-up and its
        # delivery stay as they were (before e89be95 a second sign-up replaced it, email-less).
        with db.unit_of_work() as session:
            bounces.suppress(
                session,
                portal_id=pf.portal_id,
                address="sam@acme.com",
                kind="bounce",
                detail="550",
                source="smtp",
            )
        sign_up(db, token, "sam@acme.com")
        assert seen() == seen(delivery="sent") == {("sam@acme.com", "sent")}
        assert seen(delivery="none") == set()


class TestTotals:
    """The total beside a page is how many rows the filters match, however it is counted: apart
    from the page, from an index (most filters), or with the first page itself (a delivery
    filter; a search on SQLite), summed over members, invitations and sign-ups."""

    FILTERS = (
        {},
        {"user_type": "client"},
        {"status": "pending"},
        {"status": "active", "user_type": "internal"},
        {"role": "admin"},
        {"role": "client", "status": "pending"},
        {"product": "billing"},
        {"product": "billing", "role": "admin"},
        {"delivery": "sent"},
        {"delivery": "queued"},
        {"q": "client.org"},  # read from the search index on SQLite
        {"q": "ada"},  # a member and an invitation
        {"q": "ad"},  # too short for the index: scanned
        {"q": "ada", "user_type": "client", "status": "pending"},  # no member is: left out first
        {"q": "ada", "role": "admin"},
        {"q": "client.org", "user_type": "internal"},  # no kind of row holds both: none
        {"status": "expired"},  # one expired by the sweep, one past its time the sweep has not seen
        {"status": "revoked"},
        {"status": "expired", "product": "billing"},
        {"two_step": "set_up"},  # members only
        {"two_step": "not_set_up"},
        {"two_step": "not_set_up", "user_type": "internal", "status": "active"},
        {"two_step": "set_up", "q": "ada"},
    )

    def _two_portals(self, db, worker):
        """Portal A with members, invitations (products, roles, deliveries) and a sign-up; portal B
        with the same kinds of rows, which no total of A may count."""
        pfs = []
        for name, owner in (("Acme Inc", "owner@acme.com"), ("Beta Inc", "owner@beta.com")):
            pf = create_portal(db, name=name, owner_email=owner)
            domain = owner.split("@")[1]
            member_joins(db, worker, pf, f"ada@{domain}", role="admin")
            _with_app(db, f"ada@{domain}")
            invite(
                db,
                pf,
                ["Ada Client <ada.c@client.org>", "bill@client.org"],
                user_type="client",
                products=["billing"],
            )
            worker.drain()
            invite(db, pf, ["mia@client.org"], user_type="client", products=["messaging"])
            invite(db, pf, [f"adam@{domain}"], role="admin", products=["billing"])
            member_joins(db, worker, pf, f"mo@{domain}")  # an internal member: sees client invitations
            late = invite(
                db, pf, ["late@client.org", "gone@client.org"], user_type="client", products=["billing"]
            )
            swept = invite(db, pf, ["swept@client.org"], user_type="client").invited[0]
            with db.unit_of_work() as session:  # pending past its time; revoked; expired by the sweep
                ids = [i.id for i in late.invited]
                session.execute(
                    update(Invitation)
                    .where(Invitation.id == ids[0])
                    .values(expires_at=clock.now() - timedelta(hours=1))
                )
                session.execute(update(Invitation).where(Invitation.id == ids[1]).values(status="revoked"))
                session.execute(update(Invitation).where(Invitation.id == swept.id).values(status="expired"))
            pfs.append(pf)
        sign_up(db, link_token(db, pfs[0]), "ada.link@client.org", name="Ada Link")
        return pfs

    def test_every_filter_totals_the_rows_it_lists_in_its_own_portal(self, db, worker):
        acme, beta = self._two_portals(db, worker)
        for filters in self.FILTERS:
            for pf, by in ((acme, None), (beta, None), (acme, "mo@acme.com")):
                rows = _all(db, pf, by=by, **filters)
                # limit=1: most matches are off the page, some of another kind than the one on it.
                first = _roster(db, pf, by=by, limit=1, **filters)
                assert first.total == len(rows), (pf.slug, by, filters, [r.address for r in rows])
                assert first.items == rows[:1], filters
                if first.next_cursor:  # a later page is counted apart, the same total
                    later = _roster(db, pf, by=by, limit=1, cursor=first.next_cursor, **filters)
                    assert later.total == len(rows) and later.items == rows[1:2], filters
        statuses = {r.address: r.status for r in _all(db, acme, user_type="client")}
        assert (statuses["late@client.org"], statuses["gone@client.org"]) == ("expired", "revoked")
        assert statuses["swept@client.org"] == "expired"
        assert _roster(db, acme, q="ada", limit=1).total == 4  # a member, two invitations, a sign-up
        assert _roster(db, acme, q="nobody-at-all").total == 0

    def test_kept_statements_answer_as_statements_built_afresh(self, db, worker, monkeypatch):
        """Every filter, sort and limit, for two portals and two kinds of actor, asked in turn
        (each asking may reuse what an earlier one kept): the same rows and totals as with
        nothing kept. A shape that left out something its statement depends on would answer
        one filter with another's statement."""
        acme, beta = self._two_portals(db, worker)
        asked = [
            (pf, by, {**filters, **extra})
            for filters in self.FILTERS
            for extra in ({}, {"sort": "name", "limit": 2})
            for pf, by in ((acme, None), (beta, None), (acme, "mo@acme.com"))
        ]

        def answers() -> list:
            out = []
            for pf, by, filters in asked:
                page = _roster(db, pf, by=by, **filters)
                out.append(
                    (page.total, [(r.kind, r.address, r.status) for r in page.items], page.next_cursor)
                )
            return out

        kept = answers()
        monkeypatch.setattr(people_roster, "_kept", lambda _key, build: build())
        assert kept == answers()

    @pytest.mark.parametrize("product", ALL_PRODUCTS)
    def test_the_product_filter_counts_from_its_partial_index(self, db, product):
        """A database uses a partial index only for a condition written as the index's own
        (``kit.search.lists``, with the product as a literal). SQLite refuses ``INDEXED BY`` an
        index that cannot answer the query; PostgreSQL, with its other indexes dropped (in a
        transaction rolled back) and told not to scan the table, plans with it."""
        from admit.invitations import repository as invitations_repository
        from admit.members import service as members_service

        pf = create_portal(db)
        invite(db, pf, ["bill@client.org"], user_type="client", products=[product])
        counts = (
            ("members", members_service.roster_select(pf.portal_id, product=product, counting=True)),
            (
                "invitations",
                invitations_repository.roster_select(
                    pf.portal_id, now=clock.now(), user_types=list(UserType), product=product, counting=True
                ),
            ),
        )
        for table, query in counts:
            index = f"ix_{table}_product_{product}"
            with db.engine.connect() as conn, conn.begin():
                # PostgreSQL, with no other index and no table scan: the product's index, or none.
                if not db.is_sqlite:
                    for name in conn.execute(
                        text(_OTHER_INDEXES), {"table": table, "index": index}
                    ).scalars():
                        conn.execute(text(f"DROP INDEX {name}"))  # rolled back below
                    # A unique constraint's index could serve the portal's rows as cheaply, and
                    # which one the planner picks then depends on the table's statistics.
                    for name in conn.execute(text(_UNIQUE), {"table": table}).scalars():
                        conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name} CASCADE"))
                    conn.execute(text("SET LOCAL enable_seqscan = off"))
                event.listen(conn, "before_cursor_execute", _forced(table, index, db.is_sqlite), retval=True)
                # As the roster runs it: "no query solution" on SQLite if the index cannot serve it.
                answer = conn.execute(select(func.count()).select_from(query.subquery())).scalars().all()
                if db.is_sqlite:
                    assert answer == [1]
                else:
                    assert index in "\n".join(answer), answer
                conn.rollback()


# PostgreSQL: a table's indexes but ``index`` and those that back a constraint.
_OTHER_INDEXES = """
SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relname = :table AND i.relname <> :index
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
"""

# PostgreSQL: a table's unique constraints (not its primary key).
_UNIQUE = "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:table AS regclass) AND contype = 'u'"


def _forced(table, index, sqlite):
    """A statement hook: SQLite reads ``table`` by ``index`` only; PostgreSQL explains its plan."""

    def rewrite(_conn, _cursor, statement, parameters, _context, _many):
        if not statement.startswith("SELECT count"):
            return statement, parameters
        if sqlite:
            return statement.replace(f"FROM {table}", f"FROM {table} INDEXED BY {index}"), parameters
        return f"EXPLAIN {statement}", parameters

    return rewrite


class TestIndexedOrderAndSearch:
    """The roster's name order and search read indexes the database keeps (migration
    b4c5d6e70032): members.sort_name, kept by triggers, and on SQLite the FTS5 trigram tables.
    What they answer must be what the people are called now."""

    def _rename(self, db, email, *, name=None, new_email=None):
        with db.unit_of_work() as session:
            user = session.scalar(select(User).where(User.email == email))
            if name is not None:
                user.name = name
            if new_email is not None:
                user.email = new_email

    def test_members_sort_by_name_as_their_users_are_called_now(self, db, worker):
        pf = create_portal(db)
        for email in ("mel@acme.com", "nia@acme.com", "oto@acme.com"):
            member_joins(db, worker, pf, email)
        invite(db, pf, ["Bea Client <bea@client.org>"], user_type="client")
        self._rename(db, "nia@acme.com", name="Aaron Nia")  # first now
        self._rename(db, "oto@acme.com", name="", new_email="zz-oto@acme.com")  # no name: by email
        names = [r.name or r.address for r in _all(db, pf, sort="name", limit=2)]
        assert names[:3] == ["Aaron Nia", "Bea Client", "mel"] and names[-1] == "zz-oto@acme.com"
        assert len(names) == 5 and names == sorted(names, key=str.lower)
        backwards = [r.name or r.address for r in _all(db, pf, sort="-name", limit=2)]
        assert backwards == names[::-1]

    def test_search_finds_people_by_what_they_are_called_now(self, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        invite(db, pf, ["Ada Lovelace <ada@client.org>", "Alan Turing <alan@client.org>"], user_type="client")
        self._rename(db, "mel@acme.com", name="Grace Hopper")

        def found(q):
            return sorted(r.address for r in _all(db, pf, q=q))

        assert found("hopper") == ["mel@acme.com"]
        assert found("OVELAC") == ["ada@client.org"]  # any part, any case
        assert found("n turi") == ["alan@client.org"]  # across the space
        assert found("client.org") == ["ada@client.org", "alan@client.org"]
        self._rename(db, "mel@acme.com", name="Mel Renamed", new_email="mel.r@acme.com")
        assert found("hopper") == [] and found("renamed") == ["mel.r@acme.com"]
        assert found("mel@acme") == [] and found("mel.r@") == ["mel.r@acme.com"]
        # Shorter than a trigram, or with LIKE's own characters: read without the index, same answer.
        assert found("ed") == ["mel.r@acme.com"] and found("al") == ["alan@client.org"]
        assert found("100%") == []
        with db.unit_of_work() as session:
            session.execute(delete(Invitation).where(Invitation.recipient == "alan@client.org"))
        assert found("turing") == [] and found("lovelace") == ["ada@client.org"]
        assert _roster(db, pf, q="client.org").total == 1

    def test_a_name_with_capitals_beyond_a_to_z_is_found_as_it_is_shown(self, db):
        """SQLite folds A–Z only ("Ålvarez" stays so in its lower()): the query is folded the same
        way too, so a name typed as the row shows it is found on both databases."""
        pf = create_portal(db)
        invite(db, pf, ["Zoë Ålvarez <zoe@x.org>", "ÉMILE Zola <emile@x.org>"], user_type="client")
        for q in ("Ålvarez", "Zoë Ålvarez", "Ål", "ÉMILE", "Émile Zola", "zoë"):
            assert [r.address for r in _all(db, pf, q=q)] in (["zoe@x.org"], ["emile@x.org"]), q
        assert _all(db, pf, q="Ålvarez Zola") == []

    def test_an_accented_letter_is_found_in_either_case(self, db):
        """ "émile" found nothing on SQLite though "Émile" was listed (its LIKE folds A–Z only):
        a letter beyond A–Z is found typed in either case, on both databases, short searches
        (scanned) and long ones (SQLite's search index) alike."""
        pf = create_portal(db)
        invite(db, pf, ["Émile Person <emile@x.org>", "Álvaro López <alvaro@x.org>"], user_type="client")
        for q in ("émile", "ÉMILE PERSON", "ém", "álvaro lópez", "ÁLVARO LÓPEZ", "lópez"):
            found = [r.address for r in _all(db, pf, q=q)]
            assert found in (["emile@x.org"], ["alvaro@x.org"]), (q, found)

    def test_a_large_batch_is_found_like_a_single_invitation(self, db):
        """Many rows at once reach a searched table in one statement (``kit.bulk.insert_rows``,
        through a temporary copy on SQLite): the search index holds every one of them, and
        their values read back as written (a name of digits stays text)."""
        from admit.kit.bulk import STAGED_FROM

        pf = create_portal(db)
        many = [f"Person {i} <p{i}@client.org>" for i in range(STAGED_FROM + 5)] + ["007 <bond@client.org>"]
        invite(db, pf, many, user_type="client")
        found = sorted(r.address for r in _all(db, pf, q="person 1"))
        assert found == sorted(f"p{i}@client.org" for i in range(STAGED_FROM + 5) if str(i).startswith("1"))
        assert [r.address for r in _all(db, pf, q="007")] == ["bond@client.org"]
        with db.unit_of_work() as session:
            bond = session.scalar(select(Invitation).where(Invitation.recipient == "bond@client.org"))
            assert (bond.recipient_name, bond.products, bond.status) == ("007", [], "pending")
            if db.is_sqlite:
                indexed = session.scalar(text("SELECT count(*) FROM invitations_search_keys"))
                assert indexed == session.scalar(select(func.count()).select_from(Invitation))
        if db.is_sqlite:  # the temporary copy is left empty, on the connection that wrote through it
            from admit.invitations import service as invitations_service

            with db.unit_of_work() as session:
                actor = actor_for(session, pf.slug, pf.owner_email)
                more = [f"more{i}@client.org" for i in range(STAGED_FROM)]
                invitations_service.invite(session, actor, recipients=more, user_type="client")
                listed = text("SELECT name FROM sqlite_temp_master WHERE type = 'table'")
                copies = session.scalars(listed).all()
                assert copies and all(
                    session.scalar(text(f'SELECT count(*) FROM temp."{name}"')) == 0 for name in copies
                )

    def test_large_batches_while_a_read_is_open_on_the_connection(self, db):
        """Two large batches in one transaction while a read on the same connection is only
        partly fetched (SQLite refuses to drop a table then: the copy is emptied, not dropped)."""
        from admit.invitations import service as invitations_service
        from admit.kit.bulk import STAGED_FROM

        pf = create_portal(db)
        invite(db, pf, [f"seed{i}@client.org" for i in range(3)], user_type="client")
        with db.unit_of_work() as session:
            reading = session.connection().exec_driver_sql("SELECT recipient FROM invitations")
            assert reading.fetchone() is not None  # more rows wait unread
            actor = actor_for(session, pf.slug, pf.owner_email)
            for part in ("a", "b"):
                batch = [f"{part}{i}@client.org" for i in range(STAGED_FROM + 1)]
                invited = invitations_service.invite(session, actor, recipients=batch, user_type="client")
                assert len(invited.invited) == STAGED_FROM + 1
            reading.close()
        assert len(_all(db, pf, q="client.org")) == 3 + 2 * (STAGED_FROM + 1)

    def test_sqlite_reads_the_trigram_tables_and_postgresql_its_trigram_indexes(self):
        """The same search compiles to the FTS5 tables on SQLite and to LIKE elsewhere."""
        from sqlalchemy.dialects import postgresql, sqlite

        from admit.members import service as members_service

        query = members_service.roster_select(uuid.uuid4(), q="lovelace")
        on_sqlite = str(query.compile(dialect=sqlite.dialect()))
        on_postgresql = str(query.compile(dialect=postgresql.dialect()))
        assert "users_search_keys" in on_sqlite and "LIKE" in on_sqlite
        assert "users_search" not in on_postgresql and "lower(users.name) LIKE" in on_postgresql
        short = str(members_service.roster_select(uuid.uuid4(), q="lo").compile(dialect=sqlite.dialect()))
        assert "users_search" not in short

    def test_the_worker_keeps_sqlite_statistics_for_the_planner(self, db, worker):
        """Without statistics SQLite takes a portal for a few rows and walks whole lists; the
        worker's first pass (then hourly, and after each import) gives it some. PostgreSQL
        keeps its own: nothing is written there."""
        from sqlalchemy import text

        pf = create_portal(db)
        invite(db, pf, ["ada@client.org"], user_type="client")
        if db.is_sqlite:
            with db.engine.begin() as conn:
                if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
                    conn.execute(text("DELETE FROM sqlite_stat1"))
        worker.run_once()
        with db.engine.connect() as conn:
            if db.is_sqlite:
                tables = set(conn.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars())
                assert {"members", "invitations", "users"} <= tables
            else:
                assert db.refresh_statistics() is None  # a no-op: autovacuum's job


def test_two_messages_made_at_once_give_one_delivery_shown_and_filtered(db):
    """Which of an invitation's messages is its newest is one rule (notifications.service): with
    two made at the same instant, the delivery shown and the delivery filter agree."""
    from admit.db import new_id
    from admit.notifications.models import Notification

    pf = create_portal(db)
    invite(db, pf, ["ada@client.org"], user_type="client")
    with db.unit_of_work() as session:
        first = session.scalar(select(Notification).where(Notification.to_address == "ada@client.org"))
        for status in ("failed", "sent"):
            session.add(
                Notification(
                    id=new_id(),
                    portal_id=first.portal_id,
                    event_key=f"twin-{status}",
                    channel="email",
                    template=first.template,
                    to_address=first.to_address,
                    context={},
                    status=status,
                    attempts=1,
                    next_attempt_at=first.created_at,
                    invitation_id=first.invitation_id,
                    created_at=first.created_at + timedelta(minutes=5),
                )
            )
    shown = next(r for r in _all(db, pf) if r.address == "ada@client.org").delivery
    filtered = {d for d in ("sent", "failed", "queued") if _roster(db, pf, delivery=d).total}
    assert shown is not None and filtered == {shown["status"]}
