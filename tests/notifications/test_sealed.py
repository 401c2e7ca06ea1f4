"""No live secret at rest in the outbox (``notifications.sealed``; the key it is kept under, ``"sealed"``).

A message waiting to go (queued, or for a retry) keeps its link's token and its code sealed:
a copy of the database taken then, read with plain SQL, holds no part of them. The worker opens
them to render the message, which still carries a link that works; a message whose seal no
longer opens (the key changed while it waited) fails with a reason and sends nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta

from cryptography.fernet import Fernet
from sqlalchemy import text

from admit.auth import service as auth_service
from admit.flows import invitations as invitations_flow
from admit.jobs import Worker
from admit.kit import clock
from tests.factories import LINK_PATHS, PASSWORD, actor_for, create_portal, invite, member_joins
from tests.links.helpers import link_token, sign_up
from tests.notifications.test_delivery import RecordingHandler, parts_by_type, smtp, smtp_server  # noqa: F401

PIECE = 8  # no run of this many characters of a secret may be stored


def stored_contexts(db) -> dict[str, str]:
    """Every waiting message's context as the database holds it (its text), by recipient and
    template: what a dump would show."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT to_address, template, CAST(context AS TEXT) FROM notifications "
                "WHERE status IN ('queued', 'sending')"
            )
        )
        return {f"{to} {template}": raw for to, template, raw in rows}


def secrets_in(message_text: str) -> list[str]:
    """The tokens of every secret link in a delivered message, and its 6-digit code."""
    found = [
        match
        for path in LINK_PATHS.values()
        for match in re.findall(re.escape(path) + r"([A-Za-z0-9_-]{20,})", message_text)
    ]
    found += [code.replace(" ", "") for code in re.findall(r"\b\d{3} \d{3}\b", message_text)]
    return found


def pieces(secret: str) -> set[str]:
    size = min(PIECE, len(secret) - 1)  # a 6-digit code: any 5 of its digits in a row
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


class TestNoSecretAtRest:
    def test_waiting_messages_keep_no_part_of_their_links_and_the_sent_ones_work(
        self,
        db,
        settings,
        client,
        worker,
        smtp_server,  # noqa: F811
    ):
        """Every kind of message with a secret link, queued: an invitation (the bulk path), a
        resend, a link sign-up's confirmation, a sign-in link with its code, a password reset.
        The rows read with SQL hold no token, no 8 characters of one, no code; delivered over
        SMTP to aiosmtpd, each carries its link, and the invitation's accepts."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@client.org", user_type="client", password=None)
        ada, bob = invite(db, pf, ["ada@example.com", "bob@example.com"]).invited
        with db.unit_of_work() as session:
            invitations_flow.resend(session, actor_for(session, pf.slug, pf.owner_email), bob.id)
        sign_up(db, link_token(db, pf), "sam@example.com")
        with db.unit_of_work() as session:
            auth_service.request_sign_in_link(session, email="cleo@client.org", minutes=15)
            auth_service.request_password_reset(session, email=pf.owner_email, minutes=60)
        with db.unit_of_work() as session:
            auth_service.send_requested_links(session)

        at_rest = stored_contexts(db)
        assert set(at_rest) == {
            "ada@example.com invitation",
            "bob@example.com invitation",  # the resend (the first was cancelled)
            "sam@example.com link_confirm",
            "cleo@client.org sign_in",
            f"{pf.owner_email} password_reset",
        }

        handler = RecordingHandler()
        assert Worker(db, smtp(settings, smtp_server(handler))).drain()["sent"] == 5

        dump = "\n".join(at_rest.values())
        by_address = {}
        for message in handler.messages():
            plain = parts_by_type(message)["text/plain"]
            found = secrets_in(plain)
            assert found, plain  # each carries its link
            for secret in found:
                assert not [piece for piece in pieces(secret) if piece in dump], secret
            by_address[message["To"]] = found
        assert len(by_address["cleo@client.org"]) == 2  # the sign-in link and its code

        (token,) = by_address["ada@example.com"]
        accepted = client.post(
            f"/api/v1/invitations/{token}/accept", json={"name": "Ada", "password": PASSWORD}
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["member"]["status"] == "active"

    def test_a_message_waiting_for_a_retry_stays_sealed_and_a_sent_one_keeps_nothing(
        self,
        db,
        settings,
        smtp_server,  # noqa: F811
    ):
        """Refused once (a relay's 4xx): back in the queue, still sealed; sent on the retry: the
        row keeps no seal and its link reads as removed."""
        handler = RecordingHandler(data_reply="451 Try again later")
        port = smtp_server(handler)
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        assert Worker(db, smtp(settings, port)).drain()["retry"] == 1
        (raw,) = stored_contexts(db).values()
        assert '"sealed"' in raw and "/invite/" not in raw

        handler.data_reply = None
        with clock.travel(timedelta(minutes=1)):
            assert Worker(db, smtp(settings, port)).drain()["sent"] == 1
        with db.engine.connect() as conn:
            kept = conn.execute(text("SELECT CAST(context AS TEXT) FROM notifications")).scalar_one()
        assert '"sealed"' not in kept and "link removed after delivery" in kept
        assert "/invite/" in parts_by_type(handler.messages()[0])["text/plain"]


class TestKeyChanged:
    def test_a_message_sealed_under_another_key_fails_with_its_reason_and_sends_nothing(
        self,
        db,
        settings,
        client,
        change_settings,
        smtp_server,  # noqa: F811
    ):
        """The encryption key changed while the invitation waited: its seal no longer opens.
        The message fails at once (not retried, not sent with a broken link), the invitation
        says why, and the row keeps no seal."""
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        changed = change_settings(encryption_key=Fernet.generate_key().decode())
        handler = RecordingHandler()

        counts = Worker(db, smtp(changed, smtp_server(handler))).drain()

        assert (counts["sent"], counts["failed"], counts["retry"]) == (0, 1, 0)
        assert handler.envelopes == []
        r = client.get(f"/api/v1/portals/{pf.slug}/invitations/{inv.id}", headers=pf.headers())
        delivery = r.json()["delivery"]
        assert delivery["status"] == "failed"
        assert "ADMIT_ENCRYPTION_KEY" in delivery["error"] and "Send it again" in delivery["error"]
        with db.engine.connect() as conn:
            kept = conn.execute(text("SELECT CAST(context AS TEXT) FROM notifications")).scalar_one()
        assert '"sealed"' not in kept
