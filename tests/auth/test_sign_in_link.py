"""Sign-in links: how passwordless clients come back (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admit.kit import clock
from admit.notifications.models import Notification
from tests.factories import create_portal, member_joins, token_in


def _link_token(client, email):
    """The sign-in link in the newest message to ``email``, read as a person would (the dev API)."""
    items = client.get("/api/v1/dev/messages", params={"to": email}).json()["items"]
    assert items and items[0]["subject"] == "Your sign-in link", items[:1]
    return token_in(items[0]["text"], "sign_in")


class TestSignInLink:
    def test_client_signs_back_in_by_email(self, client, db, worker):
        """A passwordless client asks for a link, and it signs them in once."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        r = client.post("/api/v1/auth/sign-in-link", json={"email": "Cleo@Example.org"})
        assert r.status_code == 202
        worker.drain()
        token = _link_token(client, "cleo@example.org")
        assert "Sign in as" in client.get(f"/login/link/{token}").text  # opening does not use it
        r = client.post(f"/api/v1/auth/sign-in-link/{token}")
        assert r.status_code == 200
        assert r.json()["portals"] == [{"slug": pf.slug, "name": "Acme Inc", "role": "client"}]
        assert r.headers["referrer-policy"] == "no-referrer"
        again = client.post(f"/api/v1/auth/sign-in-link/{token}")
        assert (again.status_code, again.json()["code"]) == (410, "sign_in_link_gone")

    def test_client_invited_by_phone_signs_back_in_by_sms(self, client, db, worker):
        """A client who joined by phone asks with their number (any form) and gets an SMS."""
        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": ["+1 202 555 0173"], "user_type": "client"},
            headers=pf.headers(),
        )
        assert r.json()["counts"]["invited"] == 1, r.text
        worker.drain()
        sms = client.get("/api/v1/dev/messages", params={"to": "+12025550173"}).json()["items"][0]
        invite = token_in(sms["text"])
        assert client.post(f"/api/v1/invitations/{invite}/accept", json={}).status_code == 200
        client.cookies.clear()

        r = client.post("/api/v1/auth/sign-in-link", json={"email": "(202) 555-0173"})
        assert r.status_code == 202
        worker.drain()
        items = client.get("/api/v1/dev/messages", params={"to": "+12025550173", "channel": "sms"}).json()[
            "items"
        ]
        assert len(items) == 2 and "sign-in link" in items[0]["text"]
        token = token_in(items[0]["text"], "sign_in")
        r = client.post(f"/api/v1/auth/sign-in-link/{token}")
        assert r.status_code == 200 and r.json()["portals"][0]["slug"] == pf.slug

    def test_unknown_address_gets_the_same_answer_and_no_mail(self, client, db, worker):
        """Asking for an unknown address answers exactly the same, and sends nothing."""
        create_portal(db)
        known = client.post("/api/v1/auth/sign-in-link", json={"email": "owner@acme.com"})
        unknown = client.post("/api/v1/auth/sign-in-link", json={"email": "nobody@example.org"})
        assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
        worker.drain()
        assert client.get("/api/v1/dev/messages", params={"to": "nobody@example.org"}).json()["items"] == []

    def test_link_expires(self, client, db, worker, settings):
        """A sign-in link stops working after its lifetime."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        token = _link_token(client, "cleo@example.org")
        with clock.travel(timedelta(minutes=settings.sign_in_link_minutes, seconds=1)):
            r = client.post(f"/api/v1/auth/sign-in-link/{token}")
        assert r.status_code == 410

    def test_accounts_with_a_password_get_no_link(self, client, db, worker):
        """An account with a password signs in with it: no emailed link can bypass it."""
        create_portal(db)
        r = client.post("/api/v1/auth/sign-in-link", json={"email": "owner@acme.com"})
        assert r.status_code == 202
        worker.drain()
        items = client.get("/api/v1/dev/messages", params={"to": "owner@acme.com"}).json()["items"]
        assert all(m["subject"] != "Your sign-in link" for m in items)

    def test_deactivated_member_gets_no_link(self, client, db, worker):
        """Nobody without an active membership is sent a link."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        cleo = next(
            m
            for m in client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
            if m["user"]["email"] == "cleo@example.org"
        )
        client.post(f"/api/v1/portals/{pf.slug}/members/{cleo['id']}/deactivate", headers=pf.headers())
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        items = client.get("/api/v1/dev/messages", params={"to": "cleo@example.org"}).json()["items"]
        assert all(m["subject"] != "Your sign-in link" for m in items)


class TestSignInLinkLimits:
    def test_one_budget_per_number_however_it_is_written(self, db, change_settings, rate_limits):
        """Rewriting a phone number ("(202) 555-0173", "+1 202 555 0173", …) does not buy more
        sign-in SMS: the per-address limit counts the normalised number."""
        from admit.auth import service as auth_service
        from admit.errors import RateLimited

        change_settings(login_rate_limit="3/minute")
        spellings = ["(202) 555-0173", "+1 202 555 0173", "202.555.0173", "+12025550173"]
        with db.unit_of_work() as session:
            for text in spellings[:3]:
                auth_service.request_sign_in_link(session, email=text, minutes=5)
            with pytest.raises(RateLimited):
                auth_service.request_sign_in_link(session, email=spellings[3], minutes=5)


class TestPhoneAccounts:
    def test_internal_user_invited_by_phone_signs_in_with_number_and_password(self, client, db, worker):
        pf = create_portal(db)
        # A UK number: the portal texts the United Kingdom as well as its own country.
        allow = client.patch(
            f"/api/v1/portals/{pf.slug}", json={"sms_countries": ["US", "GB"]}, headers=pf.headers()
        )
        assert allow.status_code == 200, allow.text
        client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": ["+44 20 7946 0958"], "user_type": "internal"},
            headers=pf.headers(),
        )
        worker.drain()
        sms = client.get("/api/v1/dev/messages", params={"to": "+442079460958"}).json()["items"][0]
        token = token_in(sms["text"])
        r = client.post(f"/api/v1/invitations/{token}/accept", json={"password": "a-good-password-42"})
        assert r.status_code == 200, r.text
        client.cookies.clear()
        for typed in ("+44 20 7946 0958", "+442079460958"):
            r = client.post("/api/v1/auth/login", json={"email": typed, "password": "a-good-password-42"})
            assert r.status_code == 200, r.text
        r = client.post("/api/v1/auth/login", json={"email": "+442079460958", "password": "wrong-password-1"})
        assert r.status_code == 401


class TestSameWorkForEveryone:
    @pytest.mark.parametrize("path", ["/api/v1/auth/sign-in-link", "/api/v1/auth/password-reset"])
    def test_a_member_and_an_unknown_address_cost_the_request_the_same_statements(
        self, client, db, worker, path
    ):
        """Issue 14 item 16: asking for a link for an account's address makes exactly the
        statements asking for an unknown one makes (the link and its message are the worker's
        work), so the answer's time tells nothing."""
        from sqlalchemy import event

        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)

        def statements(email: str) -> list[str]:
            seen: list[str] = []

            def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
                seen.append(" ".join(statement.split()))

            event.listen(db.engine, "before_cursor_execute", count)
            try:
                assert client.post(path, json={"email": email}).status_code == 202
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            return seen

        for known in ("cleo@example.org", pf.owner_email):
            assert statements(known) == statements("nobody@nowhere.example")
        worker.drain()
        with db.unit_of_work() as session:
            sent = [n.to_address for n in session.scalars(select(Notification))]
        assert sent.count("nobody@nowhere.example") == 0
        expected = "cleo@example.org" if path.endswith("sign-in-link") else pf.owner_email
        assert sent.count(expected) >= 1
