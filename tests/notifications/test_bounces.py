"""Bounces and complaints (issue 14 item 21): the provider's callback (Postmark, Amazon SES by
SNS, a generic one) or an SMTP 5xx at send time marks the message bounced, puts the address on
the portal's suppression list — which every path honours — and is audited. Both backends."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from admit.audit.models import AuditEvent
from admit.jobs import Worker
from admit.notifications.models import Notification
from tests.factories import create_portal, invite
from tests.notifications.test_delivery import RecordingHandler, smtp, smtp_server  # noqa: F401

SECRET = "s3cret-for-bounces-0123456789"


@pytest.fixture
def events(change_settings):
    change_settings(email_events_secret=SECRET)


def post_event(client, provider: str, body: dict, **kwargs):
    return client.post(
        f"/api/v1/email-events/{provider}", content=json.dumps(body), params={"secret": SECRET}, **kwargs
    )


def status_of(db, address: str) -> str:
    with db.unit_of_work() as session:
        return session.scalar(
            select(Notification.status)
            .where(Notification.to_address == address)
            .order_by(Notification.created_at.desc())
        )


POSTMARK_BOUNCE = {
    "RecordType": "Bounce",
    "Type": "HardBounce",
    "TypeCode": 1,
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Email": "Ada@Example.com",
    "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "BouncedAt": "2026-12-03T16:09:19Z",
}


def ses_notification(message: dict) -> dict:
    return {
        "Type": "Notification",
        "MessageId": "22b80b92",
        "TopicArn": "arn:aws:sns:…",
        "Message": json.dumps(message),
    }


class TestProviderEvents:
    def test_a_postmark_hard_bounce_marks_suppresses_and_audits(self, client, db, worker, events):  # noqa: ARG002
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com", "bob@example.com"])
        worker.drain()
        r = post_event(client, "postmark", POSTMARK_BOUNCE)
        assert r.status_code == 200 and r.json() == {"events": 1, "suppressed": 1}, r.text
        assert status_of(db, "ada@example.com") == "bounced"
        assert status_of(db, "bob@example.com") == "sent"
        people = client.get(
            f"/api/v1/portals/{pf.slug}/people", params={"delivery": "bounced"}, headers=pf.headers()
        ).json()["items"]
        assert [p["address"] for p in people] == ["ada@example.com"]
        listed = client.get(f"/api/v1/portals/{pf.slug}/suppressions", headers=pf.headers()).json()["items"]
        assert [(s["address"], s["reason"], s["source"]) for s in listed] == [
            ("ada@example.com", "bounce", "postmark")
        ]
        with db.unit_of_work() as session:
            audited = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "address.suppressed")
            ).all()
            assert [(e.target_label, e.detail["source"]) for e in audited] == [
                ("ada@example.com", "postmark")
            ]

    def test_an_ses_complaint_by_sns_names_our_message(self, client, db, worker, events):  # noqa: ARG002
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["cleo@example.org"]).invited
        worker.drain()
        with db.unit_of_work() as session:
            ours = session.scalar(select(Notification.id).where(Notification.invitation_id == inv.id))
        body = ses_notification(
            {
                "notificationType": "Complaint",
                "complaint": {"complainedRecipients": [{"emailAddress": "cleo@example.org"}]},
                "mail": {"headers": [{"name": "Message-ID", "value": f"<{ours}@admit>"}]},
            }
        )
        assert post_event(client, "ses", body).json() == {"events": 1, "suppressed": 1}
        assert status_of(db, "cleo@example.org") == "bounced"

    def test_soft_bounces_and_other_events_change_nothing(self, client, db, worker, events):  # noqa: ARG002
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        soft = {**POSTMARK_BOUNCE, "Type": "SoftBounce"}
        assert post_event(client, "postmark", soft).json() == {"events": 0, "suppressed": 0}
        transient = ses_notification(
            {"notificationType": "Bounce", "bounce": {"bounceType": "Transient", "bouncedRecipients": []}}
        )
        assert post_event(client, "ses", transient).json() == {"events": 0, "suppressed": 0}
        assert status_of(db, "ada@example.com") == "sent"

    def test_the_secret_is_required_in_any_of_its_forms(self, client, db, worker, events):  # noqa: ARG002
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        body = json.dumps({"event": "bounce", "email": "ada@example.com"})
        wrong = client.post("/api/v1/email-events/generic", content=body, params={"secret": "nope"})
        assert (wrong.status_code, wrong.json()["code"]) == (401, "not_authenticated")
        basic = base64.b64encode(f"postmark:{SECRET}".encode()).decode()
        by_basic = client.post(
            "/api/v1/email-events/generic", content=body, headers={"Authorization": f"Basic {basic}"}
        )
        assert by_basic.json() == {"events": 1, "suppressed": 1}
        bad = client.post("/api/v1/email-events/generic", content=b"[1]", headers={"X-Admit-Secret": SECRET})
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")

    def test_without_a_secret_configured_there_is_no_endpoint(self, client, db):
        r = client.post("/api/v1/email-events/generic", content=b"{}", params={"secret": ""})
        assert r.status_code == 404


class TestEveryPathHonoursIt:
    def test_a_suppressed_address_is_not_invited_resent_or_written_to(self, client, db, worker, events):  # noqa: ARG002
        pf = create_portal(db)
        (inv,) = invite(db, pf, ["ada@example.com"]).invited
        worker.drain()
        post_event(
            client, "generic", {"event": "bounce", "email": "ada@example.com", "detail": "550 no such user"}
        )
        resend = client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv.id}/resend", headers=pf.headers())
        assert (resend.status_code, resend.json()["code"]) == (409, "address_suppressed")
        client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv.id}/revoke", headers=pf.headers())
        again = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": ["ada@example.com"], "user_type": "client"},
            headers=pf.headers(),
        ).json()["results"][0]
        assert (again["outcome"], again["code"]) == ("skipped", "address_suppressed")
        # Another portal never had a bounce from her: it writes to her as before.
        other = create_portal(db, name="Beta", owner_email="owner@beta.com")
        assert len(invite(db, other, ["ada@example.com"]).invited) == 1
        # Lifted, the address is written to again.
        lifted = client.delete(
            f"/api/v1/portals/{pf.slug}/suppressions/ada@example.com", headers=pf.headers()
        )
        assert lifted.status_code == 204
        assert len(invite(db, pf, ["ada@example.com"]).invited) == 1

    def test_lifting_an_address_is_audited(self, client, db, worker, events):  # noqa: ARG002
        """Lifting an address from the do-not-send list (``DELETE …/suppressions/{address}``)
        wrote no audit event, where putting it there writes ``address.suppressed``: it writes
        ``address.unsuppressed``, by whoever lifted it, in words, under Invitations."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        post_event(client, "generic", {"event": "bounce", "email": "ada@example.com", "detail": "550"})
        url = f"/api/v1/portals/{pf.slug}/suppressions/Ada@Example.com"
        assert client.delete(url, headers=pf.headers()).status_code == 204
        assert client.delete(url, headers=pf.headers()).status_code == 404  # not listed: nothing audited
        audit = f"/api/v1/portals/{pf.slug}/audit-events"
        log = client.get(audit, params={"category": "invitations"}, headers=pf.headers()).json()["items"]
        lifted = [e for e in log if e["action"] == "address.unsuppressed"]
        assert [(e["target_label"], e["actor_label"].startswith("api key")) for e in lifted] == [
            ("ada@example.com", True)
        ], log
        assert lifted[0]["summary"].startswith("The API key “default”"), lifted
        assert lifted[0]["summary"].endswith(
            " took ada@example.com off the portal's do-not-send list: messages to it are sent again"
        ), lifted


class TestAtSendTime:
    def test_an_smtp_550_for_the_address_suppresses_it(self, client, db, settings, smtp_server):  # noqa: F811
        port = smtp_server(RecordingHandler(rcpt_reply="550 5.1.1 No such user here"))
        pf = create_portal(db)
        invite(db, pf, ["ghost@example.com"])
        Worker(db, smtp(settings, port)).drain()
        assert status_of(db, "ghost@example.com") == "bounced"
        listed = client.get(f"/api/v1/portals/{pf.slug}/suppressions", headers=pf.headers()).json()["items"]
        assert [(s["address"], s["source"]) for s in listed] == [("ghost@example.com", "smtp")]


class TestSuppressionList:
    def test_the_list_pages_with_a_cursor(self, client, db):
        """``GET …/suppressions`` pages like every list (it was cut at 500 without saying so)."""
        from admit.notifications import bounces

        pf = create_portal(db)
        addresses = {f"gone{i}@example.com" for i in range(7)}
        with db.unit_of_work() as session:
            for address in sorted(addresses):
                bounces.suppress(
                    session, portal_id=pf.portal_id, address=address, kind="bounce", detail="", source="smtp"
                )
        url = f"/api/v1/portals/{pf.slug}/suppressions"
        seen, cursor = [], None
        for _ in range(4):
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            body = client.get(url, params=params, headers=pf.headers()).json()
            assert len(body["items"]) <= 3, body
            seen += [s["address"] for s in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(addresses) and cursor is None
        bad = client.get(url, params={"cursor": "nonsense"}, headers=pf.headers())
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"

    def test_the_service_asks_who_may_list_and_lift(self, db):
        """``bounces.listed`` and ``bounces.lift`` check the caller's role themselves (the API
        route did, the service did not: any other caller lifted for a member): a member is
        refused and the address stays listed."""
        from admit.errors import PermissionDenied
        from admit.notifications import bounces
        from tests.factories import active_member, actor_for

        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        with db.unit_of_work() as session:
            bounces.suppress(
                session,
                portal_id=pf.portal_id,
                address="gone@example.com",
                kind="bounce",
                detail="",
                source="smtp",
            )
        with db.unit_of_work() as session:
            member = actor_for(session, pf.slug, "mel@acme.com")
            with pytest.raises(PermissionDenied):
                bounces.lift(session, member, "gone@example.com")
            with pytest.raises(PermissionDenied):
                bounces.listed(session, member)
            owner = actor_for(session, pf.slug, pf.owner_email)
            assert [s.address for s in bounces.listed(session, owner)[0]] == ["gone@example.com"]
