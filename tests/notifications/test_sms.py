"""SMS delivery: the outbox row for a phone number, delivered by the same worker as emails.

The dev SMS backend (the dev mailbox, channel ``sms``) and the Twilio backend against a real
HTTP server started on 127.0.0.1 in the test: form fields and basic auth, a 4xx fails the row
at once with the provider's reason, 429/503 and a refused connection are retried. Emails and SMS
claimed in one batch both go out. Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from admit.jobs import Worker
from admit.kit import clock
from admit.notifications import jobs as notifications_jobs
from admit.notifications import mailbox, sealed
from admit.notifications import service as notifications_service
from admit.notifications.models import REDACTED, DevMessage, Notification
from admit.notifications.render import render
from admit.settings import Settings
from tests.notifications.test_delivery import free_port

PHONE = "+12025550173"
OTHER_PHONE = "+442079460958"
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "s3cret-token"
XSS = "<script>alert(1)</script>"


def invitation_context(link: str = "http://127.0.0.1:8000/invite/tok-123", **extra) -> dict:
    return {
        "inviter_name": "Olive Owner",
        "portal_name": "Acme Inc",
        "recipient": PHONE,
        "recipient_name": "",
        "user_type": "client",
        "role": "client",
        "message": None,
        "link": link,
        "expires_at": "2030-01-08T12:00:00+00:00",
        "expires_at_text": "8 January 2030 at 12:00 UTC",
        **extra,
    }


def workspace_added_context(link: str = "http://127.0.0.1:8000/w/1", **extra) -> dict:
    return {
        "portal_name": "Acme Inc",
        "workspace_name": "Onboarding",
        "adder_name": "Olive Owner",
        "recipient_name": "Ada",
        "link": link,
        **extra,
    }


def queue(
    db, to: str, *, key: str, template: str = "invitation", context: dict | None = None
) -> Notification:
    with db.unit_of_work() as session:
        row = notifications_service.enqueue(
            session,
            event_key=key,
            template=template,
            to=to,
            context=context if context is not None else invitation_context(f"http://127.0.0.1:8000/x/{key}"),
        )
        session.flush()
        session.expunge(row)
    return row


def rows(db) -> dict:
    with db.unit_of_work() as session:
        return {n.event_key: n for n in session.scalars(select(Notification))}


def dev_messages(db) -> list[DevMessage]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(DevMessage)))


# --- the Twilio stand-in -------------------------------------------------------------------------


class FakeTwilio:
    """A real HTTP server on 127.0.0.1 that records requests and answers with ``replies`` in turn."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                with fake._lock:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "authorization": self.headers.get("Authorization"),
                            "content_type": self.headers.get("Content-Type"),
                            "form": {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()},
                        }
                    )
                    status, payload = fake.replies.pop(0) if fake.replies else (201, {"sid": "SM1"})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # Polled every 10 ms for ``stop``: at the default 0.5 s each test's teardown waited ~0.5 s.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def twilio():
    server = FakeTwilio()
    yield server
    server.stop()


def with_twilio(settings: Settings, base_url: str, **update) -> Settings:
    return settings.model_copy(
        update={
            "sms_backend": "twilio",
            "sms_from": "+15005550006",
            "sms_twilio_account_sid": SID,
            "sms_twilio_auth_token": TOKEN,
            "sms_twilio_base_url": base_url,
            "sms_timeout_seconds": 5.0,
            **update,
        }
    )


# --- rendering -----------------------------------------------------------------------------------


class TestRender:
    def test_invitation_sms_is_short_plain_text_with_the_link(self):
        """The SMS form names inviter, portal and expiry, carries the link, and has no subject or HTML."""
        sms = render("invitation", invitation_context(), channel="sms")
        assert sms.subject == "" and sms.html == ""
        assert "Olive Owner" in sms.text and "Acme Inc" in sms.text
        assert "http://127.0.0.1:8000/invite/tok-123" in sms.text
        assert "(expires 8 Jan 12:00 UTC)" in sms.text  # short: the day, month and time
        assert "\n" not in sms.text
        assert len(sms.text) < 300

    def test_a_usual_invitation_sms_fits_one_segment(self):
        """Names of usual length and a link from a short host: one message of 160 characters at
        most (a 161st made it two)."""
        link = "https://acme.example/invite/" + "A" * 43
        sms = render(
            "invitation", invitation_context(link=link, inviter_name="Olivia Martinez"), channel="sms"
        )
        assert len(sms.text) <= 160, (len(sms.text), sms.text)

    def test_sms_mentions_the_workspace_when_there_is_one(self):
        """An invitation into a workspace names it; an empty or missing workspace_name is left out."""
        sms = render("invitation", invitation_context(workspace_name="Onboarding"), channel="sms")
        assert "“Onboarding” in Acme Inc" in sms.text
        for context in (invitation_context(workspace_name=""), invitation_context()):
            assert "“" not in render("invitation", context, channel="sms").text

    def test_sms_stays_short_with_long_names(self):
        """Long names are cut so the text stays a short message; the link is always whole."""
        link = "http://127.0.0.1:8000/invite/" + "A" * 43
        long = "N" * 200
        sms = render(
            "invitation",
            invitation_context(link, inviter_name=long, portal_name=long, workspace_name=long),
            channel="sms",
        )
        assert len(sms.text) < 300
        assert link in sms.text
        added = render(
            "workspace_added",
            workspace_added_context(link, adder_name=long, portal_name=long, workspace_name=long),
            channel="sms",
        )
        assert len(added.text) < 300
        assert link in added.text

    def test_workspace_added_sms(self):
        sms = render("workspace_added", workspace_added_context(), channel="sms")
        assert sms.text.startswith("Olive Owner added you to “Onboarding” in Acme Inc.")
        assert "http://127.0.0.1:8000/w/1" in sms.text
        assert (sms.subject, sms.html) == ("", "")

    def test_workspace_added_email(self):
        """The email says who added you to which workspace of which portal, with an Open button."""
        email = render("workspace_added", workspace_added_context())
        assert "Olive Owner" in email.subject and "Onboarding" in email.subject
        assert "Olive Owner added you to the workspace “Onboarding” in Acme Inc." in email.text
        assert "Hello Ada," in email.text
        assert "http://127.0.0.1:8000/w/1" in email.text
        assert "Open the workspace" in email.html
        assert 'href="http://127.0.0.1:8000/w/1"' in email.html

    def test_workspace_added_email_escapes_html(self):
        email = render("workspace_added", workspace_added_context(workspace_name=XSS, adder_name=XSS))
        assert "<script>" not in email.html
        assert "&lt;script&gt;" in email.html
        assert XSS in email.text

    def test_invitation_email_mentions_the_workspace(self):
        """Subject, text and HTML of the invitation email name the workspace when there is one."""
        email = render("invitation", invitation_context(workspace_name="Onboarding"))
        assert "Onboarding" in email.subject
        assert "invited you to join the workspace “Onboarding” in Acme Inc as a client." in email.text
        assert "Onboarding" in email.html
        assert "<script>" not in render("invitation", invitation_context(workspace_name=XSS)).html

    def test_invitation_email_without_a_workspace_is_unchanged(self):
        """Older queued rows (no workspace_name key) and portal-only invitations render as before."""
        for context in (invitation_context(), invitation_context(workspace_name="")):
            email = render("invitation", context)
            assert email.subject == "Olive Owner invited you to join Acme Inc"
            assert "invited you to join Acme Inc as a client." in email.text
            assert "workspace" not in email.text

    def test_unknown_sms_template_raises(self):
        with pytest.raises(ValueError, match="link_confirm"):
            render("link_confirm", {}, channel="sms")
        with pytest.raises(ValueError, match="channel"):
            render("invitation", invitation_context(), channel="pigeon")


# --- settings ------------------------------------------------------------------------------------


class TestSettings:
    def test_twilio_needs_sid_token_and_sender(self):
        problems = Settings(sms_backend="twilio").problems()
        for name in ("ADMIT_SMS_TWILIO_ACCOUNT_SID", "ADMIT_SMS_TWILIO_AUTH_TOKEN", "ADMIT_SMS_FROM"):
            assert any(name in p for p in problems), problems
        complete = Settings(
            sms_backend="twilio",
            sms_from="+15005550006",
            sms_twilio_account_sid=SID,
            sms_twilio_auth_token=TOKEN,
        )
        assert not [p for p in complete.problems() if "SMS" in p]

    def test_dev_sms_is_no_problem_in_production(self):
        s = Settings(environment="production", secret_key="x" * 40, email_backend="smtp")
        assert not [p for p in s.problems() if "SMS" in p]

    def test_read_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("ADMIT_SMS_BACKEND", "twilio")
        monkeypatch.setenv("ADMIT_SMS_TIMEOUT_SECONDS", "3")
        s = Settings()
        assert (s.sms_backend, s.sms_timeout_seconds) == ("twilio", 3.0)
        assert s.sms_twilio_base_url == "https://api.twilio.com"


# --- writing -------------------------------------------------------------------------------------


class TestEnqueue:
    def test_phone_number_queues_an_sms_row(self, db, settings):  # noqa: ARG002
        queue(db, PHONE, key="sms-1")
        row = rows(db)["sms-1"]
        assert (row.channel, row.to_address, row.status) == ("sms", PHONE, "queued")

    def test_unknown_sms_template_raises_and_writes_nothing(self, db, settings):  # noqa: ARG002
        with pytest.raises(ValueError, match="link_confirm"):
            queue(db, PHONE, key="sms-bad", template="link_confirm", context={"link": "x"})
        assert rows(db) == {}


# --- dev backend ---------------------------------------------------------------------------------


class TestDevSms:
    def test_delivered_once_to_the_dev_mailbox_and_link_redacted(self, db, settings, worker):  # noqa: ARG002
        """The worker writes one SMS to the dev mailbox, marks the row sent and removes its link."""
        link = "http://127.0.0.1:8000/invite/live-secret"
        queue(db, PHONE, key="sms-1", context=invitation_context(link))

        assert worker.drain() == {"sent": 1, "retry": 0, "failed": 0}

        (message,) = dev_messages(db)
        assert (message.channel, message.to_address, message.subject, message.html) == ("sms", PHONE, "", "")
        assert link in message.text
        row = rows(db)["sms-1"]
        assert message.notification_id == row.id
        assert (row.status, row.attempts, row.lease_until) == ("sent", 1, None)
        assert row.context["link"] == REDACTED
        assert link not in json.dumps(row.context)

        assert worker.drain() == {"sent": 0, "retry": 0, "failed": 0}
        with clock.travel(timedelta(days=1)):
            assert worker.drain() == {"sent": 0, "retry": 0, "failed": 0}
        assert len(dev_messages(db)) == 1

    def test_production_without_a_provider_fails_the_sms_visibly(self, db, settings):
        """In production the dev backend would hide SMS where nobody looks: each fails at once,
        with a reason that shows next to the invitation, and nothing reaches the dev mailbox."""
        queue(db, PHONE, key="sms-prod", context=invitation_context())
        production = Worker(db, settings.model_copy(update={"environment": "production"}))
        assert production.drain() == {"sent": 0, "retry": 0, "failed": 1}
        row = rows(db)["sms-prod"]
        assert row.status == "failed" and "ADMIT_SMS_BACKEND=twilio" in row.last_error
        assert dev_messages(db) == []

    def test_mixed_batch_delivers_emails_and_sms(self, db, settings, worker):  # noqa: ARG002
        """One claim with emails and SMS: each goes out on its own channel, once."""
        queue(db, "ada@example.com", key="mail-1")
        queue(db, PHONE, key="sms-1")
        queue(db, "bob@example.com", key="mail-2")
        queue(db, OTHER_PHONE, key="sms-2", template="workspace_added", context=workspace_added_context())

        assert worker.drain() == {"sent": 4, "retry": 0, "failed": 0}

        by_to = {m.to_address: m for m in dev_messages(db)}
        assert {to: m.channel for to, m in by_to.items()} == {
            "ada@example.com": "email",
            "bob@example.com": "email",
            PHONE: "sms",
            OTHER_PHONE: "sms",
        }
        assert by_to["ada@example.com"].subject and by_to["ada@example.com"].html
        assert "Onboarding" in by_to[OTHER_PHONE].text
        assert {n.status for n in rows(db).values()} == {"sent"}

    def test_mailbox_reads_sms_by_number(self, db, settings, worker):  # noqa: ARG002
        queue(db, PHONE, key="sms-1")
        queue(db, "ada@example.com", key="mail-1")
        worker.drain()
        with db.unit_of_work() as session:
            (sms,) = mailbox.messages(session, to=PHONE, limit=5)
            assert sms.channel == "sms"
            (mail,) = mailbox.messages(session, to="ada@example.com", limit=5)
            assert mail.channel == "email"
            assert [m.channel for m in mailbox.messages(session, channel="sms")] == ["sms"]
            assert len(mailbox.messages(session)) == 2

    def test_dev_api_and_page_show_sms(self, db, settings, worker, client):  # noqa: ARG002
        """GET /dev/messages finds the SMS by number (typed any way); the page marks it SMS."""
        queue(db, PHONE, key="sms-1")
        queue(db, "ada@example.com", key="mail-1")
        worker.drain()

        for to in (PHONE, "+1 (202) 555-0173", " 12025550173"):
            items = client.get("/api/v1/dev/messages", params={"to": to}).json()["items"]
            assert [(i["channel"], i["to"], i["subject"]) for i in items] == [("sms", PHONE, "")], to
        items = client.get("/api/v1/dev/messages", params={"channel": "email"}).json()["items"]
        assert [i["to"] for i in items] == ["ada@example.com"]
        items = client.get("/api/v1/dev/messages", params={"to": "Ada@Example.com"}).json()["items"]
        assert [i["channel"] for i in items] == ["email"]

        page = client.get("/dev/mailbox")
        assert page.status_code == 200
        assert f'data-to="{PHONE}" data-channel="sms"' in page.text
        # The number as every other page shows it (the ``phone`` filter), not as stored.
        assert "data-sms>SMS</span> +1 202-555-0173</td>" in page.text
        (sms,) = [m for m in dev_messages(db) if m.channel == "sms"]
        detail = client.get(f"/dev/mailbox/{sms.id}")
        assert detail.status_code == 200
        assert "<title>SMS to +1 202-555-0173" in detail.text
        assert "data-sms>SMS</span> to +1 202-555-0173</h1>" in detail.text
        assert "Olive Owner invited you" in detail.text


# --- Twilio --------------------------------------------------------------------------------------


class TestTwilio:
    def test_posts_the_form_with_basic_auth(self, db, settings, twilio):
        """One form-encoded POST per SMS to the account's Messages.json, with To, From, Body and auth."""
        link = "http://127.0.0.1:8000/invite/live-secret"
        queue(db, PHONE, key="sms-1", context=invitation_context(link, workspace_name="Café"))

        assert Worker(db, with_twilio(settings, twilio.url)).drain() == {"sent": 1, "retry": 0, "failed": 0}

        (request,) = twilio.requests
        assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
        assert request["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        assert request["content_type"] == "application/x-www-form-urlencoded"
        assert set(request["form"]) == {"To", "From", "Body"}
        assert request["form"]["To"] == PHONE
        assert request["form"]["From"] == "+15005550006"
        assert link in request["form"]["Body"]
        assert "“Café” in Acme Inc" in request["form"]["Body"]  # UTF-8 survives the form encoding
        row = rows(db)["sms-1"]
        assert (row.status, row.last_error) == ("sent", None)
        assert row.context["link"] == REDACTED
        assert dev_messages(db) == []

    def test_400_fails_at_once_with_the_reason(self, db, settings, twilio):
        """A 4xx (bad number) is permanent: failed on the first attempt, Twilio's message recorded."""
        twilio.replies.append(
            (400, {"code": 21211, "message": "The 'To' number +12025550173 is not a valid phone number."})
        )
        queue(db, PHONE, key="sms-1")
        broken = with_twilio(settings, twilio.url)

        assert Worker(db, broken).drain() == {"sent": 0, "retry": 0, "failed": 1}

        row = rows(db)["sms-1"]
        assert (row.status, row.attempts) == ("failed", 1)
        assert "400" in row.last_error
        assert "is not a valid phone number" in row.last_error
        assert "21211" in row.last_error
        assert row.context["link"] == REDACTED
        with clock.travel(timedelta(days=1)):
            assert Worker(db, broken).drain() == {"sent": 0, "retry": 0, "failed": 0}
        assert len(twilio.requests) == 1

    @pytest.mark.parametrize("status", [503, 429])
    def test_503_and_429_are_retried_then_delivered(self, db, settings, twilio, status):
        """Unavailable or rate limited: queued again with backoff, then sent once on the next try."""
        twilio.replies.append((status, {"code": 20003, "message": "Try again later"}))
        queue(db, PHONE, key="sms-1")
        s = with_twilio(settings, twilio.url)

        assert Worker(db, s).drain() == {"sent": 0, "retry": 1, "failed": 0}
        row = rows(db)["sms-1"]
        assert (row.status, row.attempts) == ("queued", 1)
        assert str(status) in row.last_error
        assert row.next_attempt_at > clock.now()
        assert sealed.opened(row.context, settings)["link"].startswith(
            "http"
        )  # not redacted: not delivered yet

        with clock.travel(notifications_jobs.backoff(1) + timedelta(seconds=1)):
            assert Worker(db, s).drain() == {"sent": 1, "retry": 0, "failed": 0}
        assert len(twilio.requests) == 2
        assert rows(db)["sms-1"].status == "sent"

    def test_unreachable_provider_is_retried(self, db, settings):
        queue(db, PHONE, key="sms-1")
        assert Worker(db, with_twilio(settings, f"http://127.0.0.1:{free_port()}")).drain() == {
            "sent": 0,
            "retry": 1,
            "failed": 0,
        }
        row = rows(db)["sms-1"]
        assert (row.status, row.attempts) == ("queued", 1)
        assert row.last_error

    def test_mixed_batch_dev_emails_and_twilio_sms(self, db, settings, twilio):
        """Emails to the dev mailbox and SMS to the provider, claimed together, each delivered once."""
        for i in range(5):
            queue(db, f"user{i}@example.com", key=f"mail-{i}")
            queue(db, f"+1202555017{i}", key=f"sms-{i}")

        assert Worker(db, with_twilio(settings, twilio.url)).drain() == {"sent": 10, "retry": 0, "failed": 0}

        assert sorted(r["form"]["To"] for r in twilio.requests) == [f"+1202555017{i}" for i in range(5)]
        messages = dev_messages(db)
        assert sorted(m.to_address for m in messages) == [f"user{i}@example.com" for i in range(5)]
        assert {m.channel for m in messages} == {"email"}
        assert {n.status for n in rows(db).values()} == {"sent"}
