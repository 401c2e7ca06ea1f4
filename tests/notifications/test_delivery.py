"""Email delivery: the outbox written with the invitation, then the worker's delivery.

Dev backend (the dev mailbox) and SMTP against a real aiosmtpd server on 127.0.0.1; transient
and permanent failures, backoff, max attempts, a worker that dies after claiming, two workers
at once, and cancelling the email of a dead link. The clock is moved, never slept on.
"""

from __future__ import annotations

import email
import email.policy
import smtplib
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from admit.errors import InvalidInput
from admit.flows import invitations as invitations_flow
from admit.flows import join
from admit.invitations import service as invitations_service
from admit.jobs import Worker
from admit.kit import clock
from admit.notifications import jobs as notifications_jobs
from admit.notifications import sealed
from admit.notifications.backends import SmtpBackend, sendmail
from admit.notifications.models import REDACTED, DevMessage, Notification
from admit.notifications.service import CANCELLED
from tests.factories import actor_for, create_portal, invite

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- helpers -------------------------------------------------------------------------------------


def notifications(db) -> list[Notification]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(Notification).order_by(Notification.created_at)))


def notification_of(db, invitation_id) -> Notification:
    with db.unit_of_work() as session:
        rows = list(
            session.scalars(
                select(Notification)
                .where(Notification.invitation_id == invitation_id)
                .order_by(Notification.created_at)
            )
        )
    assert len(rows) == 1, rows
    return rows[0]


def dev_messages(db) -> list[DevMessage]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(DevMessage)))


def api_invitation(client, pf, invitation_id) -> dict:
    r = client.get(f"/api/v1/portals/{pf.slug}/invitations/{invitation_id}", headers=pf.headers())
    assert r.status_code == 200, r.text
    return r.json()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (the OS just handed it out)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """An aiosmtpd handler that keeps every accepted envelope, or answers with a set reply."""

    def __init__(
        self,
        *,
        mail_reply: str | None = None,
        rcpt_reply: str | None = None,
        data_reply: str | None = None,
        pipelining: bool = False,
    ) -> None:
        self.mail_reply = mail_reply
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.pipelining = pipelining
        self.envelopes: list = []
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ARG002, N802
        # aiosmtpd reads commands one line at a time, so it answers pipelined ones in order; it
        # only does not say so. ``pipelining`` makes it (RFC 2920), as Postfix and most relays do.
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: ARG002, N802
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ARG002, N802
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002, N802
        if self.data_reply:
            return self.data_reply
        with self._lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.EmailMessage]:
        with self._lock:
            return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


@pytest.fixture
def smtp_server():
    """Start a real SMTP server on 127.0.0.1: ``smtp_server(handler, smtputf8=False) -> port``;
    stopped after."""
    controllers = []

    def start(handler: RecordingHandler, *, smtputf8: bool = False) -> int:
        port = free_port()
        # aiosmtpd offers SMTPUTF8 only when asked (as many relays do not offer it at all).
        controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


def smtp(settings, port: int, **update):
    return settings.model_copy(
        update={
            "email_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "smtp_timeout_seconds": 5.0,
            **update,
        }
    )


def parts_by_type(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


# --- writing -------------------------------------------------------------------------------------


class TestInviteQueues:
    def test_one_queued_notification_per_invited_recipient(self, db, settings):
        """Each invited recipient gets exactly one queued email; skipped addresses get none."""
        pf = create_portal(db)
        result = invite(db, pf, ["ada@example.com", "not-an-address", "bob@example.com", "ada@example.com"])
        assert sorted(i.recipient for i in result.invited) == ["ada@example.com", "bob@example.com"]

        rows = notifications(db)
        assert len(rows) == 2
        by_invitation = {r.invitation_id: r for r in rows}
        assert set(by_invitation) == {i.id for i in result.invited}
        for inv in result.invited:
            row = by_invitation[inv.id]
            assert row.status == "queued"
            assert row.to_address == inv.recipient
            assert row.template == "invitation"
            assert row.attempts == 0
            assert sealed.opened(row.context, settings)["link"].startswith(f"{settings.public_url}/invite/")

    def test_notification_is_written_in_the_inviting_transaction(self, db, settings):  # noqa: ARG002
        """The invite's own session sees the queued email before commit; a rollback removes both."""
        pf = create_portal(db)

        class Abort(Exception):
            pass

        with pytest.raises(Abort), db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            result = invitations_service.invite(
                session, actor, recipients=["ada@example.com"], user_type="internal"
            )
            queued = session.scalars(
                select(Notification).where(Notification.invitation_id == result.invited[0].invitation_id)
            ).all()
            assert len(queued) == 1
            raise Abort

        assert notifications(db) == []
        with db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(Notification)) == 0

    def test_a_refused_invite_queues_nothing(self, db, settings):  # noqa: ARG002
        """An invite that raises (bad role) writes no invitation and queues no email."""
        pf = create_portal(db)
        with pytest.raises(InvalidInput):
            invite(db, pf, ["ada@example.com"], user_type="internal", role="superuser")
        assert notifications(db) == []


# --- dev backend ---------------------------------------------------------------------------------


class TestDevBackend:
    def test_drain_delivers_each_notification_once(self, db, settings, worker):  # noqa: ARG002
        """Draining writes one dev message per notification, marks each sent and redacts its link."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com", "bob@example.com", "cy@example.com"])
        queued = notifications(db)
        links = {n.id: sealed.opened(n.context, settings)["link"] for n in queued}

        counts = worker.drain()

        assert counts == {"sent": 3, "retry": 0, "failed": 0}
        messages = dev_messages(db)
        assert sorted(m.notification_id for m in messages) == sorted(links)
        for m in messages:
            assert links[m.notification_id] in m.text
            assert links[m.notification_id] in m.html
        for n in notifications(db):
            assert n.status == "sent"
            assert n.sent_at is not None
            assert n.lease_until is None
            assert n.attempts == 1
            assert n.context["link"] == REDACTED
            assert links[n.id] not in str(n.context)

    def test_a_message_whose_link_expired_while_it_waited_is_not_sent(self, db, settings):
        """Issue 14 item 18: the worker was down past the invitation's expiry. When it comes
        back, the invitation's email is cancelled, not sent with a dead link."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        with clock.travel(timedelta(days=8)):  # the portal's invitations live 7 days
            counts = notifications_jobs.deliver_due(db, settings)
        assert (counts["sent"], counts["expired"]) == (0, 1)
        (n,) = notifications(db)
        assert n.status == CANCELLED and "expired" in (n.last_error or "")
        assert dev_messages(db) == []

    def test_running_the_worker_again_sends_nothing_twice(self, db, settings, worker):  # noqa: ARG002
        """A second drain (and a fresh worker far in the future) finds nothing to send."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com", "bob@example.com"])
        worker.drain()

        assert worker.drain() == {"sent": 0, "retry": 0, "failed": 0}
        with clock.travel(timedelta(days=1)):
            assert Worker(db, settings).drain() == {"sent": 0, "retry": 0, "failed": 0}
        assert len(dev_messages(db)) == 2

    def test_message_is_addressed_and_worded_for_the_recipient(self, db, settings, worker):  # noqa: ARG002
        """The dev message goes to the invited address and names the portal and the inviter."""
        pf = create_portal(db, name="Acme Inc")
        invite(db, pf, ["Ada Lovelace <ada@example.com>"])
        worker.drain()
        (message,) = dev_messages(db)
        assert message.to_address == "ada@example.com"
        assert "Acme Inc" in message.subject
        assert "Olive Owner" in message.subject
        assert "Hello Ada Lovelace" in message.text


class TestEscaping:
    def test_message_is_escaped_in_html_and_verbatim_in_text(self, db, settings, worker):  # noqa: ARG002
        """A personal message with markup is escaped in the HTML body and kept as typed in the text."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"], message=f"Welcome! {XSS}")
        worker.drain()
        (message,) = dev_messages(db)
        assert XSS not in message.html
        assert XSS_ESCAPED in message.html
        assert f"Welcome! {XSS}" in message.text

    def test_recipient_name_is_escaped_in_html_and_verbatim_in_text(self, db, settings, worker):  # noqa: ARG002
        """A recipient display name with markup is escaped in the HTML body and kept in the text."""
        pf = create_portal(db)
        result = invite(db, pf, [f"{XSS} <ada@example.com>"])
        assert result.invited[0].recipient_name == XSS
        worker.drain()
        (message,) = dev_messages(db)
        assert "<script>" not in message.html
        assert f"Hello {XSS_ESCAPED}" in message.html
        assert f"Hello {XSS}," in message.text

    def test_portal_name_is_escaped_in_html(self, db, settings, worker):  # noqa: ARG002
        """A portal name with markup is escaped in the HTML body (subject and title included)."""
        pf = create_portal(db, name=f"Acme {XSS}")
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        (message,) = dev_messages(db)
        assert "<script>" not in message.html
        assert XSS_ESCAPED in message.html
        assert XSS in message.subject


# --- SMTP ----------------------------------------------------------------------------------------


class TestSmtp:
    def test_delivers_a_text_and_html_message(self, db, settings, client, smtp_server):
        """The SMTP server receives one message to the recipient, text + HTML, with a stable Message-ID."""
        handler = RecordingHandler()
        port = smtp_server(handler)
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["Ada <ada@example.com>"]).invited
        notification = notification_of(db, inv.id)
        link = sealed.opened(notification.context, settings)["link"]
        assert api_invitation(client, pf, inv.id)["delivery_status"] == "queued"

        counts = Worker(db, smtp(settings, port)).drain()

        assert counts == {"sent": 1, "retry": 0, "failed": 0}
        assert len(handler.envelopes) == 1
        envelope = handler.envelopes[0]
        assert envelope.rcpt_tos == ["ada@example.com"]
        assert envelope.mail_from == "no-reply@admit.localhost"
        (message,) = handler.messages()
        assert message["To"] == "ada@example.com"
        assert message["Message-ID"] == f"<{notification.id}@admit>"
        assert message.get_content_type() == "multipart/alternative"
        parts = parts_by_type(message)
        assert set(parts) == {"text/plain", "text/html"}
        assert link in parts["text/plain"]
        assert f'href="{link}"' in parts["text/html"]
        assert "Acme Inc" in message["Subject"]

        data = api_invitation(client, pf, inv.id)
        assert data["delivery_status"] == "sent"
        assert data["delivery"]["status"] == "sent"
        assert data["delivery"]["error"] is None
        assert data["delivery"]["at"] is not None
        assert notification_of(db, inv.id).context["link"] == REDACTED
        assert dev_messages(db) == []

    def test_one_connection_carries_a_batch(self, db, settings, smtp_server):
        """Several queued emails go out in one drain, each to its own recipient with its own Message-ID."""
        handler = RecordingHandler()
        port = smtp_server(handler)
        pf = create_portal(db)
        invite(db, pf, ["a@example.com", "b@example.com", "c@example.com"])
        ids = {n.to_address: n.id for n in notifications(db)}

        Worker(db, smtp(settings, port)).drain()

        received = {m["To"]: m["Message-ID"] for m in handler.messages()}
        assert received == {to: f"<{nid}@admit>" for to, nid in ids.items()}

    def test_redelivery_after_a_crash_keeps_the_message_id(self, db, settings, smtp_server, monkeypatch):
        """A worker that dies after the server took the mail resends it after the lease, same Message-ID."""
        handler = RecordingHandler()
        port = smtp_server(handler)
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited

        class Crash(BaseException):
            """The process dies (not an error the worker would catch and record)."""

        original_send = SmtpBackend.send

        def send_then_die(self, session, notification, rendered):
            original_send(self, session, notification, rendered)
            raise Crash

        monkeypatch.setattr(SmtpBackend, "send", send_then_die)
        with pytest.raises(Crash):
            Worker(db, smtp(settings, port)).drain()
        monkeypatch.setattr(SmtpBackend, "send", original_send)
        assert notification_of(db, inv.id).status == "sending"
        assert len(handler.envelopes) == 1

        with clock.travel(timedelta(seconds=settings.delivery_lease_seconds) + timedelta(seconds=1)):
            assert Worker(db, smtp(settings, port)).drain()["sent"] == 1

        first, second = handler.messages()
        assert first["Message-ID"] == second["Message-ID"] == f"<{notification_of(db, inv.id).id}@admit>"
        assert notification_of(db, inv.id).status == "sent"


class TestTransientFailure:
    def test_unreachable_server_requeues_with_backoff(self, db, settings, client):
        """Connection refused: back to queued, one attempt, next try in the future, error shown in the API."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        before = clock.now()

        counts = Worker(db, smtp(settings, free_port())).drain()

        assert counts == {"sent": 0, "retry": 1, "failed": 0}
        n = notification_of(db, inv.id)
        assert n.status == "queued"
        assert n.attempts == 1
        assert n.lease_until is None
        assert n.last_error
        assert n.next_attempt_at >= before + notifications_jobs.backoff(1)
        assert n.next_attempt_at > clock.now()
        assert sealed.opened(n.context, settings)["link"].startswith("http")  # not redacted: not delivered
        data = api_invitation(client, pf, inv.id)
        assert data["delivery_status"] == "queued"
        assert data["delivery"]["error"] == n.last_error

    def test_user_management_says_a_retry_in_words_on_the_row(self, db, settings, client):
        """A relay refusing: the row's Delivery says "Retrying — <the reason>" in the cell (the
        phone's card shows the same cell), where only the badge's tooltip held the reason."""
        import html
        import json
        import re

        from tests.factories import OWNER_PASSWORD, sign_in_page

        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        assert Worker(db, smtp(settings, free_port())).drain()["retry"] == 1
        error = notification_of(db, inv.id).last_error
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users").text
        cell = re.search(r'<td data-label="Delivery"[^>]*>(.*?)</td>', page, re.S).group(1)
        assert "Queued" in cell
        said = re.search(r'<div class="hint" data-delivery-why>([^<]*)</div>', cell)
        assert said and html.unescape(said.group(1)) == f"Retrying — {error}", cell
        # The script that updates the badge in place has the same word.
        words = json.loads(html.unescape(re.search(r'data-delivery-words="([^"]+)"', page).group(1)))
        assert words["retrying"] == "Retrying"

    def test_retry_waits_for_backoff_then_delivers_once(self, db, settings, client, smtp_server):
        """After a transient failure nothing is retried before the backoff, then it goes out exactly once."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        Worker(db, smtp(settings, free_port())).drain()

        handler = RecordingHandler()
        good = smtp(settings, smtp_server(handler))
        assert Worker(db, good).drain() == {"sent": 0, "retry": 0, "failed": 0}
        assert handler.envelopes == []

        with clock.travel(notifications_jobs.backoff(1) + timedelta(seconds=1)):
            assert Worker(db, good).drain() == {"sent": 1, "retry": 0, "failed": 0}
            assert Worker(db, good).drain() == {"sent": 0, "retry": 0, "failed": 0}
        with clock.travel(timedelta(days=1)):
            assert Worker(db, good).drain() == {"sent": 0, "retry": 0, "failed": 0}

        assert len(handler.envelopes) == 1
        n = notification_of(db, inv.id)
        assert (n.status, n.attempts, n.last_error) == ("sent", 2, None)
        data = api_invitation(client, pf, inv.id)
        assert data["delivery_status"] == "sent"
        assert data["delivery"]["error"] is None

    def test_451_on_data_is_retried(self, db, settings, smtp_server):
        """A 4xx reply to DATA is temporary: queued again with the server's reply recorded."""
        port = smtp_server(RecordingHandler(data_reply="451 4.3.0 Try again later"))
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited

        assert Worker(db, smtp(settings, port)).drain() == {"sent": 0, "retry": 1, "failed": 0}
        n = notification_of(db, inv.id)
        assert (n.status, n.attempts) == ("queued", 1)
        assert "451" in n.last_error

    def test_451_on_rcpt_is_retried(self, db, settings, smtp_server):
        """A 4xx reply to RCPT (greylisting, mailbox busy) is temporary, not a permanent failure."""
        port = smtp_server(RecordingHandler(rcpt_reply="451 4.7.1 Greylisted, try again later"))
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited

        assert Worker(db, smtp(settings, port)).drain() == {"sent": 0, "retry": 1, "failed": 0}
        n = notification_of(db, inv.id)
        assert (n.status, n.attempts) == ("queued", 1)
        assert "451" in n.last_error


class TestInternationalAddresses:
    """Issue 14 item 20: an address with non-ASCII characters before the @ needs a relay that
    offers SMTPUTF8."""

    def test_a_relay_without_smtputf8_fails_it_at_once_not_for_twenty_minutes(
        self, db, settings, smtp_server
    ):
        handler = RecordingHandler()
        port = smtp_server(handler)
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["zoë@example.com"]).invited
        assert Worker(db, smtp(settings, port)).drain() == {"sent": 0, "retry": 0, "failed": 1}
        n = notification_of(db, inv.id)
        assert (n.status, n.attempts) == ("failed", 1)
        assert "SMTPUTF8" in n.last_error
        assert handler.envelopes == []

    def test_a_relay_with_smtputf8_delivers_it(self, db, settings, smtp_server):
        handler = RecordingHandler()
        port = smtp_server(handler, smtputf8=True)
        pf = create_portal(db)
        invite(db, pf, ["zoë@example.com"])
        assert Worker(db, smtp(settings, port)).drain() == {"sent": 1, "retry": 0, "failed": 0}
        assert handler.envelopes[0].rcpt_tos == ["zoë@example.com"]

    def test_input_refuses_it_when_the_relay_cannot_deliver_it(self, db, client, change_settings):
        """``ADMIT_SMTP_UTF8=false``: refused where it is typed, with the reason; an address
        whose domain alone is international (sent as punycode) is fine."""
        change_settings(email_backend="smtp", smtp_utf8=False)
        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": ["zoë@example.com", "ada@zoë.example"], "user_type": "client"},
            headers=pf.headers(),
        )
        body = r.json()
        assert body["counts"]["invited"] == 1, body
        refused = body["results"][0]
        assert (refused["outcome"], refused["code"]) == ("skipped", "invalid_recipient")
        assert "non-ASCII characters before the @" in refused["detail"]

    def test_check_config_says_when_the_relay_lacks_smtputf8(self, run_cli, smtp_server):
        """A warning, not a fault (the operator tester's aiosmtpd relay made check-config exit 1
        while serve started and delivered): only a message to an address with non-ASCII before
        the @ fails there, at once and saying why; every other address is delivered."""
        port = smtp_server(RecordingHandler())
        env = {"ADMIT_EMAIL_BACKEND": "smtp", "ADMIT_SMTP_HOST": "127.0.0.1", "ADMIT_SMTP_PORT": str(port)}
        lacking = run_cli("check-config", env=env)
        assert lacking.exit_code == 0, lacking.output
        assert lacking.stderr.startswith("Warning: the SMTP relay at 127.0.0.1"), lacking.output
        assert "does not offer SMTPUTF8" in lacking.stderr and "ADMIT_SMTP_UTF8=false" in lacking.stderr
        assert lacking.stdout.startswith("OK: "), lacking.output
        told = run_cli("check-config", env={**env, "ADMIT_SMTP_UTF8": "false"})
        assert told.exit_code == 0 and "Warning" not in told.output, told.output


class TestPermanentFailure:
    @pytest.mark.parametrize(
        ("handler_kw", "shown"),
        [
            # The address refused for good: a hard bounce (and the address is suppressed).
            pytest.param({"rcpt_reply": "550 5.1.1 No such user here"}, "bounced", id="rcpt"),
            pytest.param({"data_reply": "550 5.7.1 Message rejected"}, "failed", id="data"),
        ],
    )
    def test_550_fails_at_once_with_reason(self, db, settings, client, smtp_server, handler_kw, shown):
        """A 5xx reply fails the email on the first attempt and the API shows why."""
        handler = RecordingHandler(**handler_kw)
        port = smtp_server(handler)
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited

        assert Worker(db, smtp(settings, port)).drain() == {"sent": 0, "retry": 0, "failed": 1}

        n = notification_of(db, inv.id)
        assert (n.status, n.attempts) == (shown, 1)
        assert "550" in n.last_error
        assert handler.envelopes == []
        data = api_invitation(client, pf, inv.id)
        assert data["delivery_status"] == shown
        assert data["delivery"]["status"] == shown
        assert data["delivery"]["error"] == n.last_error
        assert "550" in data["delivery"]["error"]
        with clock.travel(timedelta(days=1)):
            assert Worker(db, smtp(settings, port)).drain() == {"sent": 0, "retry": 0, "failed": 0}

    def test_one_refused_recipient_does_not_block_the_batch(self, db, settings, smtp_server):
        """After a 550 for one message the same connection still delivers the others."""

        class PickyHandler(RecordingHandler):
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
                if address.startswith("bounce"):
                    return "550 5.1.1 No such user here"
                return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

        handler = PickyHandler()
        port = smtp_server(handler)
        pf = create_portal(db)
        invite(db, pf, ["a@example.com", "bounce@example.com", "c@example.com"])

        assert Worker(db, smtp(settings, port)).drain() == {"sent": 2, "retry": 0, "failed": 1}
        assert sorted(m["To"] for m in handler.messages()) == ["a@example.com", "c@example.com"]
        status = {n.to_address: n.status for n in notifications(db)}
        assert status == {"a@example.com": "sent", "bounce@example.com": "bounced", "c@example.com": "sent"}


class TestMaxAttempts:
    def test_fails_after_max_transient_failures(self, db, settings, client):
        """After delivery_max_attempts transient failures the email is failed and never tried again."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        broken = smtp(settings, free_port(), delivery_max_attempts=3)

        for attempt in (1, 2, 3):
            # Backoff is capped at an hour: `attempt` hours on, the next try is always due.
            with clock.travel(timedelta(hours=attempt - 1, seconds=1)):
                counts = Worker(db, broken).drain()
            n = notification_of(db, inv.id)
            assert n.attempts == attempt
            if attempt < 3:
                assert counts == {"sent": 0, "retry": 1, "failed": 0}
                assert n.status == "queued"
            else:
                assert counts == {"sent": 0, "retry": 0, "failed": 1}
                assert n.status == "failed"
                assert n.last_error

        with clock.travel(timedelta(days=2)):
            assert Worker(db, broken).drain() == {"sent": 0, "retry": 0, "failed": 0}
        assert notification_of(db, inv.id).attempts == 3
        assert api_invitation(client, pf, inv.id)["delivery_status"] == "failed"

    def test_default_max_attempts_is_honoured(self, db, settings):
        """With the default setting the email fails on exactly the delivery_max_attempts-th try."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        broken = smtp(settings, free_port())
        assert broken.delivery_max_attempts == settings.delivery_max_attempts

        for attempt in range(1, settings.delivery_max_attempts + 1):
            with clock.travel(timedelta(hours=attempt - 1, seconds=1)):
                Worker(db, broken).drain()
        n = notification_of(db, inv.id)
        assert (n.status, n.attempts) == ("failed", settings.delivery_max_attempts)

    def test_the_default_schedule_outlasts_a_six_hour_outage(self, db, settings, smtp_server):
        """With the default ADMIT_DELIVERY_MAX_ATTEMPTS the waits summed to ~21 minutes (8
        attempts, 10 s doubling): an SMTP outage longer than that left invitations Failed. The
        default now keeps trying, an hour apart at most, for over six hours."""
        from admit.settings import Settings

        default = Settings.model_fields["delivery_max_attempts"].default
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        broken = smtp(settings, free_port(), delivery_max_attempts=default)
        waited = timedelta(0)
        while waited < timedelta(hours=6):
            with clock.travel(waited + timedelta(seconds=1)):
                Worker(db, broken).drain()
            n = notification_of(db, inv.id)
            assert n.status != "failed", f"failed after {waited} ({n.attempts} attempts)"
            waited += notifications_jobs.backoff(n.attempts)
        handler = RecordingHandler()
        working = smtp(settings, smtp_server(handler), delivery_max_attempts=default)
        with clock.travel(waited + timedelta(seconds=1)):
            Worker(db, working).drain()
        assert notification_of(db, inv.id).status == "sent" and len(handler.envelopes) == 1


# --- crashes and concurrency ---------------------------------------------------------------------


class TestCrashAfterClaim:
    def test_claimed_rows_wait_for_the_lease_then_go_out_once(self, db, settings, worker):
        """Rows claimed by a worker that died are left alone until the lease ends, then delivered once."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com", "bob@example.com"])
        claimed = notifications_jobs.claim_due(db, limit=100)
        assert len(claimed) == 2
        assert {n.status for n in notifications(db)} == {"sending"}

        assert worker.drain() == {"sent": 0, "retry": 0, "failed": 0}
        with clock.travel(timedelta(seconds=settings.delivery_lease_seconds) - timedelta(seconds=5)):
            assert Worker(db, settings).drain() == {"sent": 0, "retry": 0, "failed": 0}
        assert dev_messages(db) == []

        with clock.travel(timedelta(seconds=settings.delivery_lease_seconds) + timedelta(seconds=1)):
            assert Worker(db, settings).drain() == {"sent": 2, "retry": 0, "failed": 0}
            assert Worker(db, settings).drain() == {"sent": 0, "retry": 0, "failed": 0}

        assert sorted(m.notification_id for m in dev_messages(db)) == sorted(claimed)
        for n in notifications(db):
            assert (n.status, n.attempts) == ("sent", 2)

    def test_api_shows_a_claimed_email_as_queued(self, db, settings, client):  # noqa: ARG002
        """While a row is claimed (sending) the invitation's delivery status reads queued."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        notifications_jobs.claim_due(db, limit=100)
        assert api_invitation(client, pf, inv.id)["delivery_status"] == "queued"


class TestConcurrentWorkers:
    N = 24

    def _two_workers(self, db, settings) -> list[dict]:
        barrier = threading.Barrier(2)

        def run() -> dict:
            w = Worker(db, settings)
            barrier.wait(timeout=10)
            return w.drain()

        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(run) for _ in range(2)]
            return [f.result(timeout=120) for f in futures]

    def test_dev_backend_each_notification_exactly_once(self, db, settings):
        """Two workers draining at once deliver every queued email exactly once (dev mailbox)."""
        pf = create_portal(db)
        invite(db, pf, [f"user{i}@example.com" for i in range(self.N)])
        small_batches = settings.model_copy(update={"delivery_batch_size": 3})

        results = self._two_workers(db, small_batches)

        assert sum(r["sent"] for r in results) == self.N
        assert sum(r["retry"] + r["failed"] for r in results) == 0
        messages = dev_messages(db)
        assert len(messages) == self.N
        assert len({m.notification_id for m in messages}) == self.N
        assert {n.status for n in notifications(db)} == {"sent"}
        assert {n.attempts for n in notifications(db)} == {1}

    def test_smtp_each_notification_exactly_once(self, db, settings, smtp_server):
        """Two workers sending over SMTP at once: the server receives each email exactly once."""
        handler = RecordingHandler()
        port = smtp_server(handler)
        pf = create_portal(db)
        invite(db, pf, [f"user{i}@example.com" for i in range(self.N)])
        expected = sorted(f"<{n.id}@admit>" for n in notifications(db))

        results = self._two_workers(db, smtp(settings, port, delivery_batch_size=3))

        assert sum(r["sent"] for r in results) == self.N
        assert sorted(m["Message-ID"] for m in handler.messages()) == expected
        assert {n.status for n in notifications(db)} == {"sent"}


# --- cancelling dead links -----------------------------------------------------------------------


class TestCancelDeadLinks:
    def test_revoke_cancels_the_queued_email(self, db, settings, worker, client):  # noqa: ARG002
        """Revoking before delivery cancels the queued email: nothing is ever mailed."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        with db.unit_of_work() as session:
            invitations_service.revoke(session, actor_for(session, pf.slug, pf.owner_email), inv.id)

        n = notification_of(db, inv.id)
        assert n.status == CANCELLED
        assert worker.drain() == {"sent": 0, "retry": 0, "failed": 0}
        with clock.travel(timedelta(days=1)):
            assert Worker(db, settings).drain() == {"sent": 0, "retry": 0, "failed": 0}
        assert dev_messages(db) == []
        assert api_invitation(client, pf, inv.id)["delivery_status"] == "cancelled"

    def test_revoke_after_a_worker_died_mid_claim_sends_nothing(self, db, settings):
        """A claimed, unsent email (its worker died) is cancelled by a revoke: the dead link never leaves."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        assert notifications_jobs.claim_due(db, limit=10) == [notification_of(db, inv.id).id]
        with db.unit_of_work() as session:
            invitations_service.revoke(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
        assert notification_of(db, inv.id).status == CANCELLED
        with clock.travel(timedelta(minutes=6)):
            assert Worker(db, settings).drain() == {"sent": 0, "retry": 0, "failed": 0}
        assert dev_messages(db) == []

    def test_resend_cancels_the_earlier_email_and_mails_only_the_new_link(self, db, settings, worker):  # noqa: ARG002
        """Resending before delivery cancels the first email; only the new, working link is mailed."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        old_link = sealed.opened(notification_of(db, inv.id).context, settings)["link"]
        with db.unit_of_work() as session:
            invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), inv.id)

        old, new = notifications(db)
        assert old.status == CANCELLED
        assert new.status == "queued"
        new_link = sealed.opened(new.context, settings)["link"]
        assert new_link != old_link

        worker.drain()
        (message,) = dev_messages(db)
        assert message.notification_id == new.id
        assert new_link in message.text
        assert old_link not in message.text
        with db.unit_of_work() as session:
            assert join.preview(session, new_link.rsplit("/", 1)[1]).invitation.id == inv.id

    def test_revoke_cancels_an_email_waiting_for_retry(self, db, settings):
        """An email queued again after a transient failure is cancelled by a revoke and never retried."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        Worker(db, smtp(settings, free_port())).drain()
        assert notification_of(db, inv.id).status == "queued"

        with db.unit_of_work() as session:
            invitations_service.revoke(session, actor_for(session, pf.slug, pf.owner_email), inv.id)

        assert notification_of(db, inv.id).status == CANCELLED
        with clock.travel(timedelta(hours=2)):
            assert Worker(db, settings).drain() == {"sent": 0, "retry": 0, "failed": 0}
        assert dev_messages(db) == []

    def test_resend_after_delivery_keeps_the_sent_email(self, db, settings, worker):  # noqa: ARG002
        """Resending after the first email went out leaves it sent and mails the new link once."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        worker.drain()
        with db.unit_of_work() as session:
            invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), inv.id)
        worker.drain()

        first, second = notifications(db)
        assert (first.status, second.status) == ("sent", "sent")
        assert len(dev_messages(db)) == 2


class TestMailServerDownForAMinute:
    def test_everything_goes_out_once_when_it_is_back(self, db, settings):
        """Issue 14 item 24: the relay is down for a minute while 300 invitations wait. The worker
        keeps trying on its backoff (10 s, 20 s, 40 s …) without giving up; when the relay is back
        every message is delivered, and each exactly once."""
        pf = create_portal(db)
        invite(db, pf, [f"person{i}@example.com" for i in range(300)], user_type="client")
        port = free_port()
        down = smtp(settings, port, delivery_batch_size=500)
        for second in (0, 11, 32, 55):  # a minute of the relay refusing connections
            with clock.travel(timedelta(seconds=second)):
                counts = Worker(db, down).run_once(sweep=False)
                assert counts.get("sent", 0) == 0 and counts.get("failed", 0) == 0, counts
        handler = RecordingHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            with clock.travel(timedelta(minutes=3)):
                assert Worker(db, down).drain()["sent"] == 300
                assert Worker(db, down).drain() == {"sent": 0, "retry": 0, "failed": 0}
            with clock.travel(timedelta(days=1)):
                assert Worker(db, down).drain() == {"sent": 0, "retry": 0, "failed": 0}
        finally:
            controller.stop()
        recipients = [rcpt for envelope in handler.envelopes for rcpt in envelope.rcpt_tos]
        assert len(recipients) == 300 and len(set(recipients)) == 300
        with db.unit_of_work() as session:
            statuses = set(session.scalars(select(Notification.status)))
        assert statuses == {"sent"}


class TestPipelining:
    """``backends.sendmail``: where the server offers PIPELINING (RFC 2920) MAIL, RCPT and DATA
    go in one write; the message arrives as written and a refusal raises what smtplib's
    ``sendmail`` raises for it without PIPELINING, so delivery decides the same way."""

    MESSAGE = b"Subject: dots\r\n\r\n.a line that starts with a dot\r\n..and one with two\r\nend\r\n"

    @pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
    def test_the_message_arrives_as_written(self, smtp_server, pipelining):
        handler = RecordingHandler(pipelining=pipelining)
        port = smtp_server(handler)
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as conn:
            conn.ehlo()
            assert bool(conn.has_extn("pipelining")) is pipelining
            for to in ("ada@client.org", "bo@client.org"):  # one connection carries on
                sendmail(conn, "invites@acme.com", to, self.MESSAGE)
        assert [(e.mail_from, e.rcpt_tos, e.content) for e in handler.envelopes] == [
            ("invites@acme.com", ["ada@client.org"], self.MESSAGE),
            ("invites@acme.com", ["bo@client.org"], self.MESSAGE),
        ]

    @pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
    @pytest.mark.parametrize(
        ("refusal", "raised", "code"),
        [
            ({"mail_reply": "550 5.7.1 Sender not allowed"}, smtplib.SMTPSenderRefused, 550),
            ({"rcpt_reply": "550 5.1.1 No such user"}, smtplib.SMTPRecipientsRefused, 550),
            ({"rcpt_reply": "451 4.7.1 Greylisted"}, smtplib.SMTPRecipientsRefused, 451),
            ({"data_reply": "451 4.3.0 Try again later"}, smtplib.SMTPDataError, 451),
            ({"data_reply": "554 5.7.1 Rejected"}, smtplib.SMTPDataError, 554),
        ],
        ids=["sender-550", "recipient-550", "recipient-451", "data-451", "data-554"],
    )
    def test_a_refusal_raises_what_sendmail_raises_and_the_next_one_goes(
        self, smtp_server, pipelining, refusal, raised, code
    ):
        handler = RecordingHandler(pipelining=pipelining, **refusal)
        port = smtp_server(handler)
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as conn:
            with pytest.raises(raised) as caught:
                sendmail(conn, "invites@acme.com", "ada@client.org", self.MESSAGE)
            if raised is smtplib.SMTPRecipientsRefused:
                assert [c for c, _ in caught.value.recipients.values()] == [code]
            else:
                assert caught.value.smtp_code == code
            assert handler.envelopes == []
            handler.mail_reply = handler.rcpt_reply = handler.data_reply = None
            sendmail(conn, "invites@acme.com", "bo@client.org", self.MESSAGE)
        assert [e.rcpt_tos for e in handler.envelopes] == [["bo@client.org"]]

    def test_the_worker_delivers_through_a_pipelining_relay(self, db, settings, smtp_server):
        handler = RecordingHandler(pipelining=True)
        port = smtp_server(handler)
        pf = create_portal(db)
        invite(db, pf, ["ada@client.org", "bo@client.org", "cy@client.org"])
        counts = Worker(db, smtp(settings, port)).run_once()
        assert counts["sent"] == 3
        assert sorted(m["To"] for m in handler.messages()) == [
            "ada@client.org",
            "bo@client.org",
            "cy@client.org",
        ]
        assert all(m.get_body(("html",)) is not None for m in handler.messages())
