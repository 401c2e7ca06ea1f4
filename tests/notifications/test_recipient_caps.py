"""Per-recipient caps (issue 14 item 7): at most ADMIT_RECIPIENT_MINUTE_LIMIT messages a minute
and ADMIT_RECIPIENT_DAY_LIMIT a day to one address, counted over every kind of message and
every path (``notifications.service.recipient_waits``). Both backends, with the limits on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from admit.kit import clock
from admit.notifications.models import Notification
from tests.factories import PASSWORD, create_portal, invite, member_joins


def messages_to(db, address: str) -> int:
    with db.unit_of_work() as session:
        return session.scalar(
            select(func.count()).select_from(Notification).where(Notification.to_address == address)
        )


def invitation_id(client, pf, address: str) -> str:
    items = client.get(f"/api/v1/portals/{pf.slug}/invitations", headers=pf.headers()).json()["items"]
    return next(i["id"] for i in items if i["recipient"] == address)


class TestResend:
    def test_a_second_resend_within_a_minute_is_refused_then_allowed(self, client, db, rate_limits):  # noqa: ARG002
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        inv = invitation_id(client, pf, "ada@example.com")
        with clock.travel(timedelta(seconds=61)):
            first = client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv}/resend", headers=pf.headers())
            assert first.status_code == 200, first.text
        with clock.travel(timedelta(seconds=70)):
            again = client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv}/resend", headers=pf.headers())
            assert again.status_code == 429, again.text
            assert again.json()["code"] == "recipient_rate_limited"
            assert "ada@example.com" in again.json()["detail"]
            assert 0 < int(again.headers["Retry-After"]) <= 60
            # ...as the API's document says it may answer (a client generated from it knows the code)
            document = client.get("/api/v1/openapi.json").json()
            declared = document["paths"]["/api/v1/portals/{portal}/invitations/{invitation_id}/resend"][
                "post"
            ]
            assert "recipient_rate_limited" in declared["responses"]["429"]["x-error-codes"]
        with clock.travel(timedelta(seconds=130)):
            later = client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv}/resend", headers=pf.headers())
            assert later.status_code == 200, later.text

    def test_resend_waits_says_the_seconds_resend_is_refused_for(self, client, db, rate_limits):  # noqa: ARG002
        """What User Management greys its Reinvite out for (``invitations.service.resend_waits``)
        is what Resend is refused for: the seconds its 429 says, then nothing once it may."""
        from admit.invitations import service as invitations_service

        pf = create_portal(db)
        invite(db, pf, ["ada@example.com", "bob@example.com"])
        inv = invitation_id(client, pf, "ada@example.com")
        with clock.travel(timedelta(seconds=20)):
            with db.unit_of_work() as session:
                waits = invitations_service.resend_waits(session, ["ada@example.com", "cy@example.com"])
            refused = client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv}/resend", headers=pf.headers())
        assert refused.status_code == 429, refused.text
        assert set(waits) == {"ada@example.com"}  # cy was sent nothing; bob was not asked
        assert 0 <= waits["ada@example.com"] - int(refused.headers["Retry-After"]) <= 2, waits
        assert 35 <= waits["ada@example.com"] <= 41, waits
        with clock.travel(timedelta(seconds=61)), db.unit_of_work() as session:
            assert invitations_service.resend_waits(session, ["ada@example.com"]) == {}

    def test_with_limits_off_nothing_is_counted(self, client, db):
        """``ADMIT_RATE_LIMITS_ENABLED=false`` (as in the rest of the tests): no cap at all."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        inv = invitation_id(client, pf, "ada@example.com")
        for _ in range(3):
            r = client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv}/resend", headers=pf.headers())
            assert r.status_code == 200, r.text


class TestSignInLink:
    def test_asking_again_within_a_minute_sends_nothing_and_says_the_same(
        self, client, db, worker, rate_limits
    ):  # noqa: ARG002
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        with clock.travel(timedelta(minutes=5)):  # past the invitation's own message
            answers = [
                client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"}).status_code
                for _ in range(3)
            ]
            worker.drain()  # the worker turns each request into a link, or into nothing
        assert answers == [202, 202, 202]
        assert messages_to(db, "cleo@example.org") == 2  # the invitation, one sign-in link


class TestDayCap:
    # Messages that were sent count; one a Resend cancelled before it went out does not.
    def test_the_day_cap_holds_across_kinds_and_paths(self, client, db, worker, change_settings, rate_limits):  # noqa: ARG002
        """Three a day: an invitation and two resends (a minute apart) use them; a fourth
        resend is refused, and inviting the address anew from another portal is skipped with
        the reason; the next day it goes again."""
        change_settings(recipient_day_limit=3)
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        inv = invitation_id(client, pf, "ada@example.com")
        for minutes in (2, 4):
            with clock.travel(timedelta(minutes=minutes)):
                r = client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv}/resend", headers=pf.headers())
                assert r.status_code == 200, r.text
                worker.drain()  # sent: a message cancelled before it went out does not count
        with clock.travel(timedelta(minutes=6)):
            r = client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv}/resend", headers=pf.headers())
            assert (r.status_code, r.json()["code"]) == (429, "recipient_rate_limited")
            assert int(r.headers["Retry-After"]) > 3600  # the day's first message must age out
            other = create_portal(db, name="Beta", owner_email="owner@beta.com")
            r = client.post(
                f"/api/v1/portals/{other.slug}/invitations",
                json={"recipients": ["ada@example.com", "bob@example.com"], "user_type": "client"},
                headers=other.headers(),
            )
            body = r.json()
            assert body["counts"]["invited"] == 1, body
            skipped = [row for row in body["results"] if row["outcome"] == "skipped"]
            assert [(row["recipient"], row["code"]) for row in skipped] == [
                ("ada@example.com", "recipient_rate_limited")
            ]
            # It says when she may be written to again: the day's first message ages out in 23 h 54.
            assert skipped[0]["detail"] == (
                "This person has had as many messages today as Admit sends one person in a day. "
                "Try again in 24 hours."
            ), skipped[0]["detail"]
        with clock.travel(timedelta(days=1, minutes=1)):
            r = client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv}/resend", headers=pf.headers())
            assert r.status_code == 200, r.text
        assert messages_to(db, "ada@example.com") == 4


class TestMinuteCap:
    def test_messages_within_the_minute_wait_their_turn_and_none_is_lost(self, db, rate_limits):  # noqa: ARG002
        """Three messages for one person at once (three new actions, the fifth tester: two were
        never sent): each is written, the first to go now and the others a minute apart, each
        in its turn (the worker sends what is due); none is dropped."""
        from admit.notifications import service as notifications_service

        pf = create_portal(db)
        with db.unit_of_work() as session:
            for n in range(3):
                written = notifications_service.enqueue_email(
                    session,
                    event_key=f"test:{n}",
                    template="action_assigned",
                    to="kim@example.org",
                    portal_id=pf.portal_id,
                    context={"portal_name": "Acme Inc", "brand": {"name": "Acme Inc"}},
                )
                assert written is not None, n
        with db.unit_of_work() as session:
            times = sorted(
                session.scalars(
                    select(Notification.next_attempt_at).where(Notification.to_address == "kim@example.org")
                )
            )
        assert [round((t - times[0]).total_seconds() / 60) for t in times] == [0, 1, 2]


class TestOwnMessages:
    """The security tester: anyone can send sign-up confirmations to an address through a public
    invite link; with the day's per-person cap used up by them, the sign-in link the person then
    asked for was answered 202 and never sent (a client who signs in by link was locked out), and
    a password reset likewise. A message the person asks for themselves (and a security notice)
    is outside the per-person caps, and does not use them up either: the cap still holds for
    what others send (here, the sign-up confirmations)."""

    @pytest.mark.parametrize(
        ("password", "path", "template"),
        [
            (None, "/api/v1/auth/sign-in-link", "sign_in"),
            (PASSWORD, "/api/v1/auth/password-reset", "password_reset"),
        ],
    )
    def test_sign_ups_anyone_can_send_do_not_lock_out_the_persons_own_sign_in(
        self, client, db, worker, change_settings, rate_limits, password, path, template
    ):  # noqa: ARG002
        from tests.links.helpers import link_token, sign_up

        change_settings(recipient_day_limit=3, link_address_rate_limit="100/hour")
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=password)
        token = link_token(db, pf)
        for n in range(4):  # a stranger, from anywhere: the invitation and these fill the day
            with clock.travel(timedelta(minutes=2 + n)):
                sign_up(db, token, "cleo@example.org", name="Not Cleo", ip=f"10.9.9.{n}")
                worker.drain()
        assert messages_to(db, "cleo@example.org") == 3  # the cap holds for what others send
        with clock.travel(timedelta(minutes=10)):
            asked = client.post(path, json={"email": "cleo@example.org"})
            assert asked.status_code == 202, asked.text
            worker.drain()
        with clock.travel(timedelta(minutes=12)):
            again = client.post(path, json={"email": "cleo@example.org"})
            assert again.status_code == 202, again.text
            worker.drain()
        with db.unit_of_work() as session:
            own = session.scalars(
                select(Notification.status).where(
                    Notification.to_address == "cleo@example.org", Notification.template == template
                )
            ).all()
        assert own == ["sent", "sent"], own
        # ...and they used none of the cap: still full with the others' three, no more, no less
        with db.unit_of_work() as session:
            from admit.notifications import service as notifications_service

            with clock.travel(timedelta(minutes=13)):
                wait = notifications_service.recipient_waits(session, ["cleo@example.org"])
        assert wait["cleo@example.org"].daily
