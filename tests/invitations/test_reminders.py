"""Reminders of pending invitations and the inviters' daily digest of expired ones (issue 11
item 9): the worker's scheduled step with a moving clock, messages read from the dev mailbox,
both databases; two workers at once never send one reminder or digest twice.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from admit.audit.models import AuditEvent
from admit.audit.words import sentence
from admit.errors import Gone
from admit.flows import invitations as invitations_flow
from admit.flows import join
from admit.invitations import service as invitations_service
from admit.invitations.models import Invitation
from admit.jobs import Worker
from admit.kit import clock
from admit.notifications.models import DevMessage, Notification
from admit.portals import service as portals_service
from tests.factories import (
    PASSWORD,
    active_member,
    actor_for,
    create_portal,
    csrf_of,
    invite,
    login,
    token_in,
)

DAY = timedelta(days=1)
LIFETIME = timedelta(days=7)  # the portal's default invitation lifetime
REMINDED = "invitation.reminded"


def to_an_early_day(day: int = 3) -> timedelta:
    """From now to noon UTC of the next month's ``day``: a day written with one digit."""
    now = clock.now()
    month, year = (now.month % 12) + 1, now.year + (now.month == 12)
    return datetime(year, month, day, 12, tzinfo=UTC) - now


def at(delta: timedelta):
    """The clock ``delta`` after the test's start (each use starts from the real time)."""
    return clock.travel(delta)


def mails(db, to: str) -> list[DevMessage]:
    """Messages to ``to`` in the dev mailbox, oldest first."""
    with db.unit_of_work() as session:
        return list(
            session.scalars(
                select(DevMessage).where(DevMessage.to_address == to).order_by(DevMessage.sent_at)
            )
        )


def reminders_to(db, to: str) -> list[DevMessage]:
    return [m for m in mails(db, to) if m.subject.startswith("Reminder:")]


def tick(db, worker) -> dict:
    """One pass of scheduled work, then deliver what it queued."""
    counts = worker.run_scheduled()
    worker.drain()
    return counts


def set_reminders(db, pf, n: int) -> None:
    with db.unit_of_work() as session:
        portals_service.update_settings(
            session, actor_for(session, pf.slug, pf.owner_email), invitation_reminders=n
        )


def invitation(db, invitation_id) -> Invitation:
    with db.unit_of_work() as session:
        return session.get(Invitation, invitation_id)


class TestSchedule:
    def test_reminders_at_one_third_and_two_thirds_of_the_lifetime(self, db, worker):
        """Two reminders by default, at 1/3 and 2/3 of the lifetime, each once, none after."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        worker.drain()
        first = mails(db, "ada@example.com")
        assert len(first) == 1

        with at(LIFETIME / 3 - timedelta(minutes=5)):
            assert tick(db, worker)["reminded"] == 0
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 1
            assert tick(db, worker)["reminded"] == 0  # the same due moment: never twice
        assert len(reminders_to(db, "ada@example.com")) == 1
        with at(LIFETIME * 2 / 3 - timedelta(minutes=5)):
            assert tick(db, worker)["reminded"] == 0
        with at(LIFETIME * 2 / 3 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 1
        with at(LIFETIME - timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 0
        with at(LIFETIME + DAY):
            assert tick(db, worker)["reminded"] == 0

        sent = reminders_to(db, "ada@example.com")
        assert len(sent) == 2
        assert len(mails(db, "ada@example.com")) == 3
        # Which links work, said without "works once" beside "the first email's works too".
        both = "It and the link in the first email both work until"
        assert both in sent[0].text and "once you accept with either, both stop working" in sent[0].text
        assert "works once" not in sent[0].text
        row = invitation(db, inv.id)
        assert (row.reminders_sent, row.next_reminder_at) == (2, None)

    def test_the_reminder_says_it_is_one_names_portal_and_inviter_and_its_link_works(self, db, worker):
        """Subject and body say Reminder, the portal and who invited; its link opens the invitation
        and so does the first email's."""
        pf = create_portal(db, name="Acme Inc")
        invite(db, pf, ["ada@example.com"], message="Welcome aboard")
        worker.drain()
        first_token = token_in(mails(db, "ada@example.com")[0].text)
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            tick(db, worker)
            (reminder,) = reminders_to(db, "ada@example.com")
            assert reminder.subject == "Reminder: Olive Owner invited you to join Acme Inc"
            assert "This is a reminder" in reminder.text
            assert "Olive Owner" in reminder.text and "Acme Inc" in reminder.text
            assert "Welcome aboard" in reminder.text
            assert "This is a reminder" in reminder.html and "Acme Inc" in reminder.html
            token = token_in(reminder.text)
            assert token != first_token
            with db.unit_of_work() as session:
                assert join.preview(session, token).invitation.recipient == "ada@example.com"
                assert join.preview(session, first_token).invitation.recipient == "ada@example.com"
            with db.unit_of_work() as session:
                join.accept(session, token=token, password=PASSWORD)
            with db.unit_of_work() as session, pytest.raises(Gone) as refused:
                join.preview(session, first_token)
            assert refused.value.code == "invitation_gone"

    def test_the_reminder_writes_the_day_it_was_sent_without_a_leading_zero(self, db, worker):
        """The new-user tester: "on 3 January 2027", never "on 03 January 2027"."""
        pf = create_portal(db, name="Acme Inc")
        start = to_an_early_day(3)
        with at(start):
            invite(db, pf, ["ada@example.com"])
            worker.drain()
            sent_on = clock.now()
        with at(start + LIFETIME / 3 + timedelta(minutes=1)):
            tick(db, worker)
        (reminder,) = reminders_to(db, "ada@example.com")
        said = f"on 3 {sent_on:%B %Y},"
        assert said in reminder.text and said in reminder.html, reminder.text
        assert " 03 " not in reminder.text

    def test_a_reminder_to_an_account_with_a_password_says_to_sign_in_with_it(self, db, worker):
        """The reminder says what accepting asks as the first email does: someone whose account
        has a password signs in with it (not "No password is needed")."""
        pf = create_portal(db, name="Acme Inc")
        other = create_portal(db, name="Other Co", owner_email="olga@other.org")
        invite(db, pf, [other.owner_email], user_type="client")
        worker.drain()
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            tick(db, worker)
            (reminder,) = reminders_to(db, other.owner_email)
        words = "You already have an account: sign in with your password to accept."
        assert words in reminder.text and words in reminder.html
        assert "No password" not in reminder.text

    def test_a_reminder_goes_through_the_outbox_once_per_due_moment(self, db, worker):
        """The reminder is an outbox row of the invitation, keyed by send and reminder number."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            worker.run_scheduled()
            worker.run_scheduled()
        with db.unit_of_work() as session:
            keys = sorted(
                session.scalars(select(Notification.event_key).where(Notification.invitation_id == inv.id))
            )
        assert keys == [f"invitation:{inv.id}:send:1", f"invitation:{inv.id}:send:1:reminder:1"]

    def test_a_worker_away_past_both_moments_sends_one_reminder(self, db, worker):
        """When both moments have passed unseen, one reminder goes out (the latest), not two."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        with at(LIFETIME * 2 / 3 + timedelta(hours=1)):
            assert tick(db, worker)["reminded"] == 1
            assert tick(db, worker)["reminded"] == 0
        assert len(reminders_to(db, "ada@example.com")) == 1
        assert invitation(db, inv.id).reminders_sent == 2

    def test_an_sms_recipient_gets_the_reminder_by_sms(self, db, worker):
        """A recipient known by phone is reminded by text message."""
        pf = create_portal(db)
        invite(db, pf, ["+12025550173"], user_type="client")
        worker.drain()
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            tick(db, worker)
        texts = mails(db, "+12025550173")
        assert len(texts) == 2
        assert texts[1].channel == "sms" and texts[1].text.startswith("Reminder: Olive Owner invited you")
        token_in(texts[1].text)

    def test_a_running_worker_sends_what_its_sweep_queued_without_waiting_for_the_poll(self, db, settings):
        """A pass whose sweep queued reminders found work (``jobs.busy``, the one definition
        ``drain`` uses too): the next pass comes at once and sends them. Its own writes wake
        nobody, so without that the reminder waited for the poll (a minute here)."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        Worker(db, settings).drain()
        worker = Worker(db, settings.model_copy(update={"worker_poll_seconds": 60.0}))
        stop = threading.Event()
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            thread = threading.Thread(target=worker.run_forever, args=(stop,))
            thread.start()
            try:
                deadline = time.monotonic() + 5
                while not reminders_to(db, "ada@example.com") and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert reminders_to(db, "ada@example.com"), "the reminder waited for the poll"
            finally:
                stop.set()
                thread.join(timeout=5)


class TestWhatStopsThem:
    def test_none_after_accept(self, db, worker):
        """Accepting before the first moment: no reminder ever."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        worker.drain()
        with db.unit_of_work() as session:
            join.accept(session, token=token_in(mails(db, "ada@example.com")[0].text), password=PASSWORD)
        for moment in (LIFETIME / 3, LIFETIME * 2 / 3, LIFETIME - timedelta(minutes=1)):
            with at(moment + timedelta(minutes=1)):
                assert tick(db, worker)["reminded"] == 0
        assert reminders_to(db, "ada@example.com") == []
        assert invitation(db, inv.id).next_reminder_at is None

    def test_none_after_revoke(self, db, worker):
        """Revoking after the first reminder: no second one."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            tick(db, worker)
        with db.unit_of_work() as session:
            invitations_service.revoke(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
        with at(LIFETIME * 2 / 3 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 0
        assert len(reminders_to(db, "ada@example.com")) == 1

    def test_a_reminder_queued_then_revoked_is_never_sent(self, db, worker):
        """A reminder still in the outbox when the invitation is revoked is cancelled."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        worker.drain()
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            assert worker.run_scheduled()["reminded"] == 1
            with db.unit_of_work() as session:
                invitations_service.revoke(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
            worker.drain()
        assert reminders_to(db, "ada@example.com") == []

    def test_none_after_expiry(self, db, worker):
        """An invitation that expired before the worker came by is not reminded."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        with at(LIFETIME + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 0
        assert reminders_to(db, "ada@example.com") == []
        assert invitation(db, inv.id).next_reminder_at is None

    def test_resend_restarts_the_schedule_from_the_new_send(self, db, worker):
        """After a Resend the reminders count from the new send: 1/3 and 2/3 of the new lifetime."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        resent_after = LIFETIME / 3 + DAY
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 1
        with at(resent_after), db.unit_of_work() as session:
            invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
        row = invitation(db, inv.id)
        assert row.reminders_sent == 0
        with at(LIFETIME * 2 / 3 + timedelta(minutes=1)):  # the old schedule's second moment
            assert tick(db, worker)["reminded"] == 0
        with at(resent_after + LIFETIME / 3 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 1
        with at(resent_after + LIFETIME * 2 / 3 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 1
        with db.unit_of_work() as session:
            keys = set(
                session.scalars(select(Notification.event_key).where(Notification.invitation_id == inv.id))
            )
        assert {f"invitation:{inv.id}:send:2:reminder:1", f"invitation:{inv.id}:send:2:reminder:2"} <= keys
        assert len(reminders_to(db, "ada@example.com")) == 3

    def test_portal_setting_zero_sends_none(self, db, worker):
        """With reminders off, nothing is sent at any moment."""
        pf = create_portal(db)
        set_reminders(db, pf, 0)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        assert invitation(db, inv.id).next_reminder_at is None
        for moment in (LIFETIME / 3, LIFETIME / 2, LIFETIME * 2 / 3):
            with at(moment + timedelta(minutes=1)):
                assert tick(db, worker)["reminded"] == 0
        assert reminders_to(db, "ada@example.com") == []

    def test_turning_reminders_off_stops_those_of_pending_invitations(self, db, worker):
        """Invitations already pending follow the setting when their reminder falls due."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        set_reminders(db, pf, 0)
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 0
        assert reminders_to(db, "ada@example.com") == []

    def test_portal_setting_one_sends_one_half_way(self, db, worker):
        """One reminder: half way through the lifetime, and only that one."""
        pf = create_portal(db)
        set_reminders(db, pf, 1)
        invite(db, pf, ["ada@example.com"])
        with at(LIFETIME / 2 - timedelta(minutes=5)):
            assert tick(db, worker)["reminded"] == 0
        with at(LIFETIME / 2 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 1
        with at(LIFETIME - timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 0
        assert len(reminders_to(db, "ada@example.com")) == 1

    def test_an_invitation_its_inviter_can_no_longer_grant_is_not_reminded(self, db, worker):
        """The link would answer invitation_not_grantable: no reminder leads there."""
        pf = create_portal(db)
        active_member(db, pf, "alan@acme.com", role="admin")
        invite(db, pf, ["ada@example.com"], by="alan@acme.com")
        _deactivate(db, pf, "alan@acme.com")
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 0
        assert reminders_to(db, "ada@example.com") == []

    def test_an_invitation_to_someone_deactivated_since_is_not_reminded(self, db, worker):
        """Ada was invited, added by a directory meanwhile and then deactivated: her link would
        answer member_deactivated, so no reminder leads there."""
        from admit.flows import members as members_flow

        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            members_flow.add_quietly(
                session, owner, [("ada@example.com", "Ada")], user_type="internal", role="member", products=[]
            )
        _deactivate(db, pf, "ada@example.com")
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            assert tick(db, worker)["reminded"] == 0
        assert reminders_to(db, "ada@example.com") == []


def _deactivate(db, pf, email: str) -> None:
    """The owner deactivates the member ``email``."""
    from admit.flows import members as members_flow
    from admit.members.models import Member, User

    with db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.email == email))
        member = session.scalar(select(Member).where(Member.user_id == user.id))
        members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), member.id)


class TestAudit:
    def test_each_reminder_is_an_audit_event_in_words(self, db, worker):
        """``invitation.reminded``, by the system, says which reminder of how many."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            tick(db, worker)
        with db.unit_of_work() as session:
            events = list(
                session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation.reminded"))
            )
            assert len(events) == 1
            assert (
                sentence(events[0]) == "system reminded ada@example.com of their invitation (reminder 1 of 2)"
            )

    def test_user_management_shows_reminded(self, db, worker, client):
        """The row's Last sent says when it was last reminded; the API has it too."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        with at(LIFETIME / 3 + timedelta(minutes=1)):
            tick(db, worker)
        login(client, pf.owner_email, "owner-password-123")
        page = client.get(f"/p/{pf.slug}/users")
        assert page.status_code == 200
        assert "data-reminded>Reminded" in page.text
        people = client.get(f"/api/v1/portals/{pf.slug}/people", headers=pf.headers()).json()["items"]
        (ada,) = [p for p in people if p["address"] == "ada@example.com"]
        assert ada["last_reminded_at"] is not None
        one = client.get(f"/api/v1/portals/{pf.slug}/invitations/{inv.id}", headers=pf.headers()).json()
        assert one["reminders_sent"] == 1 and one["next_reminder_at"] is not None


class TestSettings:
    def test_api_reads_and_changes_the_number(self, db, client):
        """``invitation_reminders`` is 2 by default, 0 to 2 accepted, 3 refused naming the field."""
        pf = create_portal(db)
        url = f"/api/v1/portals/{pf.slug}"
        assert client.get(url, headers=pf.headers()).json()["invitation_reminders"] == 2
        r = client.patch(url, json={"invitation_reminders": 0}, headers=pf.headers())
        assert r.status_code == 200 and r.json()["invitation_reminders"] == 0
        r = client.patch(url, json={"invitation_reminders": 3}, headers=pf.headers())
        assert r.status_code == 422
        assert "invitation_reminders" in r.text

    def test_settings_page_sets_it(self, db, client):
        """Settings → Reminders of pending invitations: choosing Off is saved and audited."""
        from tests.factories import csrf_of, sign_in_page

        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, "owner-password-123")
        page = client.get(f"/p/{pf.slug}/settings")
        assert 'name="invitation_reminders"' in page.text
        r = client.post(
            f"/p/{pf.slug}/settings",
            data={
                "csrf_token": csrf_of(page.text),
                "invitation_ttl_hours": "168",
                "enabled_products": ["messaging"],
                "invitation_reminders": "0",
            },
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303, r.text
        with db.unit_of_work() as session:
            assert portals_service.get_by_slug(session, pf.slug).invitation_reminders == 0


# --- the inviters' daily digest ------------------------------------------------------------------


def digests(db) -> list[DevMessage]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(DevMessage).where(DevMessage.subject.contains("expired"))))


class TestDigest:
    def test_one_digest_per_inviter_listing_only_theirs(self, db, worker):
        """The day after they expired, each inviter gets one digest of their own, with Reinvite links."""
        pf = create_portal(db)
        active_member(db, pf, "alan@acme.com", role="admin")
        invite(db, pf, ["Ada Lovelace <ada@example.com>", "bob@example.com"])
        invite(db, pf, ["carol@example.com"], by="alan@acme.com")
        with at(LIFETIME + DAY):
            assert tick(db, worker)["digests"] == 2
            assert tick(db, worker)["digests"] == 0  # at most one a day
        by_to = {m.to_address: m for m in digests(db)}
        assert set(by_to) == {"owner@acme.com", "alan@acme.com"}
        olive = by_to["owner@acme.com"]
        assert olive.subject == "2 of your invitations to Acme Inc expired"
        assert "Ada Lovelace <ada@example.com>" in olive.text and "bob@example.com" in olive.text
        assert "carol@example.com" not in olive.text
        assert f"/p/{pf.slug}/users?tab=internal&status=expired&q=ada%40example.com" in olive.text
        assert "Reinvite" in olive.html
        alan = by_to["alan@acme.com"]
        assert alan.subject == "1 of your invitations to Acme Inc expired: carol@example.com"
        assert "ada@example.com" not in alan.text

    def test_the_day_they_expired_is_written_without_a_leading_zero(self, db, worker):
        """The new-user tester: "expired on 5 January 2027", never "on 05 January 2027"."""
        pf = create_portal(db)
        expiry = to_an_early_day(5)
        with at(expiry - LIFETIME):
            invite(db, pf, ["ada@example.com"])
        with at(expiry + DAY):
            assert tick(db, worker)["digests"] == 1
            day = clock.now() - DAY
        (digest,) = digests(db)
        assert f"expired on 5 {day:%B %Y} without being accepted" in digest.text, digest.text

    def test_the_moment_and_the_number_are_written_as_the_pages_write_them(self, db, worker):
        """The tester: the digest said "expired at 15:00 UTC" where the invitation's page said
        "expired on 5 December 2026 at 10:00 EST", and "+12025550173" where User Management
        shows "+1 202-555-0173": the portal's time zone, the number readable."""
        pf = create_portal(db)
        with db.unit_of_work() as session:
            portals_service.update_settings(
                session, actor_for(session, pf.slug, pf.owner_email), time_zone="America/New_York"
            )
        expiry = to_an_early_day(5)
        with at(expiry - LIFETIME):
            invite(db, pf, ["ada@example.com", "+1 202 555 0173"])
            with db.unit_of_work() as session:
                expires_at = session.scalar(select(Invitation.expires_at).limit(1))
        with at(expiry + DAY):
            assert tick(db, worker)["digests"] == 1
        (digest,) = digests(db)
        local = expires_at.astimezone(ZoneInfo("America/New_York"))
        said = f"expired on {local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()}"
        assert f"ada@example.com, {said}" in digest.text, digest.text
        assert f"+1 202-555-0173, {said}" in digest.text and "+12025550173" not in digest.text + digest.html
        assert "UTC" not in digest.text.split("expired on", 1)[1]

    def test_none_when_nothing_expired(self, db, worker):
        """No digest on a day when none of their invitations expired."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        with at(DAY):
            assert tick(db, worker)["digests"] == 0
        with at(LIFETIME + DAY):
            assert tick(db, worker)["digests"] == 1
        with at(LIFETIME + DAY * 2):  # the next day: nothing expired then
            assert tick(db, worker)["digests"] == 0
        assert len(digests(db)) == 1

    def test_accepted_revoked_and_resent_are_not_listed(self, db, worker):
        """Only invitations that expired unaccepted are listed: not accepted, revoked or resent ones."""
        pf = create_portal(db)
        invs = invite(
            db, pf, ["ada@example.com", "bob@example.com", "cy@example.com", "dee@example.com"]
        ).invited
        by = {i.recipient: i for i in invs}
        worker.drain()
        with db.unit_of_work() as session:
            ada = [m for m in mails(db, "ada@example.com")][0]
            join.accept(session, token=token_in(ada.text), password=PASSWORD)
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            invitations_service.revoke(session, actor, by["bob@example.com"].id)
        with at(DAY * 3), db.unit_of_work() as session:
            invitations_flow.resend(
                session, actor_for(session, pf.slug, pf.owner_email), by["cy@example.com"].id
            )
        with at(LIFETIME + DAY):
            assert tick(db, worker)["digests"] == 1
        (digest,) = digests(db)
        assert "dee@example.com" in digest.text
        for other in ("ada@example.com", "bob@example.com", "cy@example.com"):
            assert other not in digest.text

    def test_an_inviter_may_turn_the_digest_off_unless_the_portal_makes_it_mandatory(
        self, client, db, worker
    ):
        """The digest is a kind of message on the notification settings page: turned off there (or
        by its one-click link), the inviter gets none; a portal that makes it mandatory sends it
        anyway, without the link."""
        pf = create_portal(db)
        active_member(db, pf, "alan@acme.com", role="admin")
        invite(db, pf, ["ada@example.com"])
        invite(db, pf, ["carol@example.com"], by="alan@acme.com")
        login(client, "alan@acme.com", PASSWORD)
        page = client.get("/me/notifications")
        box = re.search(r'name="kinds" value="expired_invitations"[^>]*>([^<]*)', page.text)
        assert box and "checked" in box[0] and "invitations of yours expired" in box[1], page.text
        kinds = re.findall(r'name="kinds" value="([a-z_]+)"', page.text)
        r = client.post(
            "/me/notifications",
            data={
                "kinds": [k for k in kinds if k != "expired_invitations"],
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert 'value="expired_invitations" >' in client.get("/me/notifications").text  # unticked
        with at(LIFETIME + DAY):
            assert tick(db, worker)["digests"] == 1
        (olive,) = digests(db)
        assert olive.to_address == "owner@acme.com" and "Stop these emails: " in olive.text

        r = client.patch(
            f"/api/v1/portals/{pf.slug}/settings",
            json={"mandatory_notifications": ["expired_invitations"]},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        with at(DAY):
            invite(db, pf, ["dee@example.com"], by="alan@acme.com")
        with at(LIFETIME + DAY * 2):
            assert tick(db, worker)["digests"] == 1
        alan = [m for m in digests(db) if m.to_address == "alan@acme.com"]
        assert len(alan) == 1 and "dee@example.com" in alan[0].text
        assert "Stop these emails" not in alan[0].text

    def test_an_inviter_who_may_not_reinvite_is_told_whom_to_ask(self, db, worker):
        """An internal member's digest lists their clients without Reinvite links."""
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com", role="member")
        invite(db, pf, ["client@example.com"], user_type="client", by="mel@acme.com")
        with at(LIFETIME + DAY):
            assert tick(db, worker)["digests"] == 1
        (digest,) = digests(db)
        assert digest.to_address == "mel@acme.com"
        assert "client@example.com" in digest.text
        assert "Reinvite:" not in digest.text and "ask an owner or admin" in digest.text

    def test_the_reinvite_link_leads_to_the_row_with_reinvite(self, db, worker, client):
        """Following a Reinvite link shows User Management filtered to that expired invitation."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com", "bob@example.com"])
        with at(LIFETIME + DAY):
            tick(db, worker)
            (digest,) = digests(db)
            link = next(
                line.split("Reinvite: ", 1)[1] for line in digest.text.splitlines() if "Reinvite: " in line
            )
            login(client, pf.owner_email, "owner-password-123")
            parts = urlsplit(link)
            page = client.get(f"{parts.path}?{parts.query}")
            # Reinvite done says so in its word too ("Invitation resent" was Resend's).
            # The row's Reinvite button (seed 004), next to the row (no longer in its … menu).
            action = re.search(r'data-reinvite data-confirm-action="([^"]+/resend[^"]*)"', page.text).group(1)
            done = client.post(action, data={"csrf_token": csrf_of(page.text)})
            assert "ada@example.com reinvited: a new link is on its way." in done.text, done.text[-2000:]
        assert page.status_code == 200
        assert 'data-address="ada@example.com"' in page.text
        assert 'data-address="bob@example.com"' not in page.text
        assert "Reinvite" in page.text
        # Its confirmation says Reinvite too (seed 004's word), not Resend.
        assert (
            'data-confirm-text="Reinvite ada@example.com? A new link goes out; earlier links stay dead."'
            in page.text
        )
        assert 'data-confirm-button="Reinvite">Reinvite</button>' in page.text


# --- two workers at once -------------------------------------------------------------------------


class TestTwoWorkers:
    N = 12

    def _both(self, db, settings) -> list[dict]:
        barrier = threading.Barrier(2)

        def run() -> dict:
            w = Worker(db, settings)
            barrier.wait(timeout=10)
            return w.run_scheduled()

        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(run) for _ in range(2)]
            return [f.result(timeout=120) for f in futures]

    @pytest.mark.slow
    def test_each_reminder_and_digest_exactly_once(self, db, settings):
        """Two workers running the scheduled step together at every moment of a moving clock:
        every invitation gets exactly its two reminders, every inviter exactly one digest."""
        pf = create_portal(db)
        active_member(db, pf, "alan@acme.com", role="admin")
        invite(db, pf, [f"user{i}@example.com" for i in range(self.N)])
        invite(db, pf, [f"other{i}@example.com" for i in range(self.N)], by="alan@acme.com")
        reminded = digested = 0
        step = timedelta(hours=6)
        moment = timedelta(0)
        while moment <= LIFETIME + DAY * 2:
            with at(moment):
                results = self._both(db, settings)
                # Delivered when queued, as a running worker does (a message whose invitation
                # expired while it waited is not sent at all: notifications.jobs._drop_expired).
                Worker(db, settings).drain()
            reminded += sum(r["reminded"] for r in results)
            digested += sum(r["digests"] for r in results)
            moment += step
        assert reminded == 2 * 2 * self.N
        assert digested == 2
        with db.unit_of_work() as session:
            keys = list(
                session.scalars(
                    select(Notification.event_key).where(Notification.event_key.contains("reminder"))
                )
            )
            events = list(
                session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation.reminded"))
            )
        assert len(keys) == len(set(keys)) == 4 * self.N
        assert len(events) == 4 * self.N
        for i in range(self.N):
            assert len(reminders_to(db, f"user{i}@example.com")) == 2
            assert len(reminders_to(db, f"other{i}@example.com")) == 2
        assert sorted(m.to_address for m in digests(db)) == ["alan@acme.com", "owner@acme.com"]
