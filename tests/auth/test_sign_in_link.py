"""Sign-in links: how passwordless clients come back (both backends)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from admit.kit import clock
from admit.notifications.models import Notification
from tests.factories import PASSWORD, create_portal, csrf_of, member_joins, said_under, token_in


def _link_token(client, email):
    """The sign-in link in the newest message to ``email``, read as a person would (the dev API)."""
    items = client.get("/api/v1/dev/messages", params={"to": email}).json()["items"]
    assert items and items[0]["subject"].startswith("Your sign-in link"), items[:1]
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
        opened = client.get(f"/login/link/{token}").text  # opening does not use it
        # "Sign in" said by the title and the button, not a third time between them.
        card = opened[opened.index('<div class="card">') :]
        assert card.count("Sign in") == 2 and "This link is for <strong>" in card, card
        r = client.post(f"/api/v1/auth/sign-in-link/{token}")
        assert r.status_code == 200
        assert r.json()["portals"] == [
            {
                "slug": pf.slug,
                "name": "Acme Inc",
                "role": "client",
                "user_type": "client",
                "products": [],
                "sign_in_steps": [],
            }
        ]
        assert r.headers["referrer-policy"] == "no-referrer"
        again = client.post(f"/api/v1/auth/sign-in-link/{token}")
        assert (again.status_code, again.json()["code"]) == (410, "sign_in_link_gone")
        # Its page, opened again, offers the way to a new one (not only "Ask for a new one"),
        # leading where the link did, for the address it was for; never off the site.
        page = client.get(f"/login/link/{token}")
        assert page.status_code == 410 and "already used. Ask for a new one." in page.text
        new_link = '<a class="btn primary" href="/login?email=cleo%40example.org">Get a new sign-in link</a>'
        assert new_link in page.text
        page = client.get(f"/login/link/{token}", params={"next": f"/p/{pf.slug}/workspaces"})
        back = f"/login?email=cleo%40example.org&amp;next=/p/{pf.slug}/workspaces"
        assert f'href="{back}">Get a new sign-in link</a>' in page.text
        page = client.get(f"/login/link/{token}", params={"next": "//evil.example/x"})
        assert new_link in page.text

    def test_a_dead_links_new_link_keeps_the_address_it_was_for(self, client, db, worker):
        """The tester on a phone: an expired link's "Get a new sign-in link" opened the sign-in
        page empty. It carries the address the link was for (its holder has the link), and the
        API's problem says it too; a link of no one's says nothing."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        token = _link_token(client, "cleo@example.org")
        with db.context.clock.travel(timedelta(days=2)):
            page = client.get(f"/login/link/{token}", params={"next": f"/p/{pf.slug}/workspaces"})
            assert page.status_code == 410, page.text
            href = f"/login?email=cleo%40example.org&amp;next=/p/{pf.slug}/workspaces"
            assert f'href="{href}">Get a new sign-in link</a>' in page.text, page.text
            login = client.get(href.replace("&amp;", "&"))
            assert 'value="cleo@example.org"' in login.text
            gone = client.post(f"/api/v1/auth/sign-in-link/{token}")
            assert (gone.status_code, gone.json().get("address")) == (410, "cleo@example.org"), gone.text
        unknown = client.get("/login/link/not-a-token")
        assert unknown.status_code == 410
        assert '<a class="btn primary" href="/login">Get a new sign-in link</a>' in unknown.text
        assert "address" not in client.post("/api/v1/auth/sign-in-link/not-a-token").json()

    def test_its_page_wears_the_portal_the_email_named(self, client, db, worker):
        """The tester on a phone: the email said "Your sign-in link for Acme Inc" and its page
        said "Admit" (a deployment of several portals). The page wears the account's one portal,
        as its email does, or the portal it leads into (``next``); in several, neither (as the
        email)."""
        pf = create_portal(db)
        create_portal(db, name="Beta", owner_email="boss@beta.com")
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        items = client.get("/api/v1/dev/messages", params={"to": "cleo@example.org"}).json()["items"]
        assert items[0]["subject"] == "Your sign-in link for Acme Inc"
        token = _link_token(client, "cleo@example.org")
        page = client.get(f"/login/link/{token}")
        assert '<a class="brand" href="/">Acme Inc</a>' in page.text
        # The address it leaves names that portal, so that reloading it wears it too.
        assert f'data-secret-path="/login/link?portal={pf.slug}"' in page.text
        reloaded = client.get("/login/link", params={"portal": pf.slug})
        assert "Open your link again" in reloaded.text
        assert '<a class="brand" href="/">Acme Inc</a>' in reloaded.text
        # A portal that is not there: no one's look.
        assert '<a class="brand" href="/">Admit</a>' in client.get("/login/link?portal=nope").text
        beta = client.get(f"/login/link/{token}", params={"next": "/p/beta/workspaces"})
        assert '<a class="brand" href="/">Beta</a>' in beta.text

    def test_the_newest_link_wins(self, client, db, worker):
        """Issue 14 item 5: asking again kills the link (and code) sent before; only the newest
        signs in."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        tokens = []
        for _ in range(2):
            assert (
                client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"}).status_code
                == 202
            )
            worker.drain()
            tokens.append(_link_token(client, "cleo@example.org"))
        assert tokens[0] != tokens[1]
        old = client.post(f"/api/v1/auth/sign-in-link/{tokens[0]}")
        assert (old.status_code, old.json()["code"]) == (410, "sign_in_link_gone")
        assert client.post(f"/api/v1/auth/sign-in-link/{tokens[1]}").status_code == 200

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
        """An account with a password signs in with it: no emailed link can bypass it. The email
        says so instead, and offers a new password (a reset link: it signs nobody in)."""
        create_portal(db)
        r = client.post("/api/v1/auth/sign-in-link", json={"email": "owner@acme.com"})
        assert r.status_code == 202
        worker.drain()
        items = client.get("/api/v1/dev/messages", params={"to": "owner@acme.com"}).json()["items"]
        assert not any(m["subject"].startswith("Your sign-in link") for m in items)
        [told] = [m for m in items if m["subject"] == "Sign in with your password"]
        assert "Your account signs in with its password, so no sign-in link was sent" in told["text"]
        assert "If you forgot it, choose a new one:\nhttp" in told["text"]  # the link on its own line
        assert "sign in with your password" in told["html"]
        assert "/login/link/" not in told["text"]
        token = token_in(told["text"], "reset")  # the offered new password works
        r = client.post(f"/api/v1/auth/password-reset/{token}", json={"password": "a new passphrase 42"})
        assert r.status_code == 200, r.text

    def test_the_sign_in_email_names_the_portal(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        items = client.get("/api/v1/dev/messages", params={"to": "cleo@example.org"}).json()["items"]
        assert items[0]["subject"] == "Your sign-in link for Acme Inc"

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
        assert not any(m["subject"].startswith("Your sign-in link") for m in items)


class TestSignInLinkLimits:
    @pytest.mark.parametrize("ask", ["request_sign_in_link", "request_password_reset"])
    def test_one_budget_per_number_however_it_is_written(self, db, change_settings, rate_limits, ask):
        """Rewriting a phone number ("(202) 555-0173", "+1 202 555 0173", …) does not buy more
        sign-in (or password reset) SMS: the per-address limit counts the normalised number."""
        from admit.auth import service as auth_service
        from admit.errors import RateLimited

        change_settings(sign_in_request_rate_limit="3/day")
        spellings = ["(202) 555-0173", "+1 202 555 0173", "202.555.0173", "+12025550173"]
        with db.unit_of_work() as session:
            for text in spellings[:3]:
                getattr(auth_service, ask)(session, email=text, minutes=5)
            with pytest.raises(RateLimited):
                getattr(auth_service, ask)(session, email=spellings[3], minutes=5)


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


def _code_in(client, email: str) -> str:
    items = client.get("/api/v1/dev/messages", params={"to": email}).json()["items"]
    assert items and items[0]["subject"].startswith("Your sign-in link"), items[:1]
    match = re.search(r"on the sign-in page: (\d{3}) (\d{3})", items[0]["text"])
    assert match, items[0]["text"]
    return match.group(1) + match.group(2)


class TestSignInCode:
    """Issue 11 item 3: the sign-in email carries a 6-digit code beside its link, for someone who
    reads it on another device. Single use, tied to the address, tries limited per address."""

    def test_the_code_signs_in_once_and_the_link_dies_with_it(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        code, link = _code_in(client, "cleo@example.org"), _link_token(client, "cleo@example.org")
        r = client.post(
            "/api/v1/auth/sign-in-code", json={"email": "Cleo@Example.org", "code": f"{code[:3]} {code[3:]}"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["user"]["email"] == "cleo@example.org"
        client.cookies.clear()
        again = client.post("/api/v1/auth/sign-in-code", json={"email": "cleo@example.org", "code": code})
        assert (again.status_code, again.json()["code"]) == (401, "invalid_credentials")
        assert client.post(f"/api/v1/auth/sign-in-link/{link}").json()["code"] == "sign_in_link_gone"

    def test_using_the_link_kills_the_code(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        code, link = _code_in(client, "cleo@example.org"), _link_token(client, "cleo@example.org")
        assert client.post(f"/api/v1/auth/sign-in-link/{link}").status_code == 200
        client.cookies.clear()
        r = client.post("/api/v1/auth/sign-in-code", json={"email": "cleo@example.org", "code": code})
        assert r.status_code == 401

    def test_a_code_means_nothing_with_another_address_and_wrong_answers_read_alike(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        member_joins(db, worker, pf, "dora@example.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        code = _code_in(client, "cleo@example.org")
        answers = [
            client.post("/api/v1/auth/sign-in-code", json={"email": email, "code": typed}).json()
            for email, typed in (
                ("dora@example.org", code),
                ("nobody@example.org", code),
                ("cleo@example.org", "000000" if code != "000000" else "111111"),
            )
        ]
        assert all(a == answers[0] for a in answers) and answers[0]["code"] == "invalid_credentials"

    def test_tries_are_limited_per_address_and_a_new_code_does_not_reset_them(
        self, client, db, worker, change_settings, rate_limits
    ):  # noqa: ARG002
        change_settings(sign_in_code_client_rate_limit="3/15minutes")
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)

        def new_code() -> str:
            client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
            worker.drain()
            return _code_in(client, "cleo@example.org")

        def try_code(typed: str) -> int:
            return client.post(
                "/api/v1/auth/sign-in-code", json={"email": "cleo@example.org", "code": typed}
            ).status_code

        with clock.travel(timedelta(minutes=5)):  # past the invitation's message (one a minute)
            code = new_code()
            wrong = "000000" if code != "000000" else "111111"
            assert [try_code(wrong) for _ in range(3)] == [401, 401, 401]
            assert try_code(code) == 429
        with clock.travel(timedelta(minutes=7)):
            fresh = new_code()  # a new email and code: the count goes on
            assert try_code(fresh) == 429

    def test_a_wrong_code_says_how_many_tries_are_left(
        self, client, db, worker, change_settings, rate_limits
    ):  # noqa: ARG002
        """The tester: wrong sign-in codes gave no warning before the 15-minute pause. Each says
        how many tries are left (as two-step verification's codes do), the last that the pause
        began; an address of no account reads the same (its tries are counted alike)."""
        change_settings(sign_in_code_client_rate_limit="3/15minutes")
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        with clock.travel(timedelta(minutes=5)):  # past the invitation's message (one a minute)
            client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
            worker.drain()
            code = _code_in(client, "cleo@example.org")
            wrong = "000000" if code != "000000" else "111111"
            asked = [("cleo@example.org", wrong)] * 3 + [("nobody@example.org", wrong)]
            said = [
                client.post("/api/v1/auth/sign-in-code", json={"email": e, "code": c}).json()["detail"]
                for e, c in asked
            ]
            assert said[0].endswith(" 2 tries left before a pause of 15 minutes."), said
            assert said[1].endswith(" 1 try left before a pause of 15 minutes."), said
            assert said[2].endswith(" That was the last try: codes are paused for 15 minutes."), said
            assert said[3] == said[0]
            page = client.get("/login/code")  # the page says it too (another address's tries)
            data = {"email": "dora@example.org", "code": wrong, "csrf_token": csrf_of(page.text)}
            r = client.post("/login/code", data=data)
            assert "2 tries left before a pause of 15 minutes." in r.text, r.text

    def test_the_page_after_asking_takes_the_code(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        login_page = client.get("/login")
        asked = client.post(
            "/login/link", data={"email": "cleo@example.org", "csrf_token": csrf_of(login_page.text)}
        )
        assert 'name="code"' in asked.text and 'autocomplete="one-time-code"' in asked.text
        # The portal gives clients' links 15 minutes, the server's default is 30: the page names
        # neither (it would tell whether the address has an account); the email says.
        assert "minutes" not in asked.text and "the email says how long" in asked.text
        worker.drain()
        code = _code_in(client, "cleo@example.org")
        sent = client.get("/api/v1/dev/messages", params={"to": "cleo@example.org"}).json()["items"][0]
        assert "15 minutes" in sent["text"], sent["text"]
        wrong = client.post(
            "/login/code",
            data={
                "email": "cleo@example.org",
                "code": "999999" if code != "999999" else "000000",
                "csrf_token": csrf_of(asked.text),
            },
        )
        assert wrong.status_code == 401 and "That code is wrong" in wrong.text
        right = client.post(
            "/login/code",
            data={"email": "cleo@example.org", "code": code, "csrf_token": csrf_of(asked.text)},
            follow_redirects=False,
        )
        assert right.status_code == 303 and "admit_session" in right.headers.get("set-cookie", "")


class TestBackWhereTheyWereGoing:
    def test_a_client_signing_in_by_link_lands_on_the_workspace_they_opened(self, client, db, worker):
        """Issue 11 item 3: signed out, a client opens a workspace from an email, is sent to sign
        in, asks for a link there; the link brings them to that workspace, not to a home page.
        A next path off the site is never followed."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        target = f"/p/{pf.slug}/workspaces/00000000-0000-4000-8000-000000000001"
        login_page = client.get("/login", params={"next": target})
        assert f'name="next" value="{target}"' in login_page.text
        with clock.travel(timedelta(minutes=2)):
            client.post(
                "/login/link",
                data={"email": "cleo@example.org", "next": target, "csrf_token": csrf_of(login_page.text)},
            )
            worker.drain()
        items = client.get("/api/v1/dev/messages", params={"to": "cleo@example.org"}).json()["items"]
        link = re.search(r"(/login/link/[A-Za-z0-9_-]+\?next=\S+)", items[0]["text"]).group(1)
        page = client.get(link)
        assert f'name="next" value="{target}"' in page.text
        used = client.post(
            link.split("?")[0],
            data={"next": target, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert (used.status_code, used.headers["location"]) == (303, target)

    def test_the_code_leads_where_the_link_would(self, client, db, worker):
        """Typed on the page after asking, or on Sign in with a code reached from that sign-in
        page, the code brings them to where they were going, as the link does; off the site
        it is dropped."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        target = f"/p/{pf.slug}/workspaces/00000000-0000-4000-8000-000000000001"
        login_page = client.get("/login", params={"next": target})
        assert f'/login/code?next={target}">Sign in with a code</a>' in login_page.text
        asked = client.post(
            "/login/link",
            data={"email": "cleo@example.org", "next": target, "csrf_token": csrf_of(login_page.text)},
        )
        assert f'name="next" value="{target}"' in asked.text
        # It wears the portal it leads into, as the sign-in page did (with several portals it
        # had said "Admit").
        create_portal(db, name="Beta", owner_email="boss@beta.com")
        asked = client.post(
            "/login/link",
            data={"email": "cleo@example.org", "next": target, "csrf_token": csrf_of(login_page.text)},
        )
        assert '<a class="brand" href="/">Acme Inc</a>' in asked.text
        worker.drain()
        used = client.post(
            "/login/code",
            data={
                "email": "cleo@example.org",
                "code": _code_in(client, "cleo@example.org"),
                "next": target,
                "csrf_token": csrf_of(asked.text),
            },
            follow_redirects=False,
        )
        assert (used.status_code, used.headers["location"]) == (303, target)
        code_page = client.get("/login/code", params={"next": "//evil.example/x"})
        assert "evil" not in code_page.text

    def test_a_next_off_the_site_is_dropped(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        login_page = client.get("/login")
        with clock.travel(timedelta(minutes=2)):
            client.post(
                "/login/link",
                data={
                    "email": "cleo@example.org",
                    "next": "//evil.example/x",
                    "csrf_token": csrf_of(login_page.text),
                },
            )
            worker.drain()
        text = client.get("/api/v1/dev/messages", params={"to": "cleo@example.org"}).json()["items"][0][
            "text"
        ]
        assert "evil" not in text and "?next=" not in text


def _ask_on_the_page(client, typed: str):
    login_page = client.get("/login")
    return client.post("/login/link", data={"email": typed, "csrf_token": csrf_of(login_page.text)})


class TestTheAnswerFollowsWhatWasTyped:
    """The new-user tester: the words around asking for a link follow what was typed, a phone
    number or an email address, and say the address as Admit reads it."""

    def test_the_button_promises_no_channel(self, client, db):
        """The link's button says neither email nor text message; it takes the page's one Email
        field (no second field for the link), with no password asked."""
        create_portal(db)
        page = client.get("/login").text
        assert "Send me a sign-in link</button>" in page and "Email me" not in page
        assert page.count('name="email"') == 1, page
        assert re.search(r'<button[^>]*formaction="[^"]*/login/link"[^>]*formnovalidate', page), page

    def test_a_phone_number_is_told_to_check_the_phone(self, client, db):
        """A number typed: "Check your phone", a text message, the code from the message; the
        number written as Admit reads it."""
        create_portal(db)  # the answer is the same for everyone: no account is needed to see it
        asked = _ask_on_the_page(client, "(202) 555-0173")
        assert asked.status_code == 200
        text = asked.text
        assert "<title>Check your phone" in text and "<h1>Check your phone</h1>" in text
        assert "a text message is on its way" in text and "Code from the message</label>" in text
        assert "an email is on its way" not in text and "Code from the email" not in text
        assert "<strong>+1 202-555-0173</strong>" in text
        assert 'name="email" value="+12025550173"' in text  # the code goes with the number

    def test_an_email_address_is_told_to_check_the_email_as_admit_reads_it(self, client, db):
        """An address typed in capitals is said in the lowercase Admit keeps it in."""
        create_portal(db)
        text = _ask_on_the_page(client, "  Carl@Client.com ").text
        assert "<h1>Check your email</h1>" in text and "Code from the email</label>" in text
        assert "<strong>carl@client.com</strong>" in text and "Carl@Client.com" not in text

    def test_text_that_is_no_address_is_said_as_typed(self, client, db):
        """Text Admit cannot read as an address is said back as it was typed (trimmed,
        lowercased, as it is counted)."""
        create_portal(db)
        text = _ask_on_the_page(client, "not an address").text
        assert "<h1>Check your email</h1>" in text and "<strong>not an address</strong>" in text

    def test_the_code_field_is_a_text_field_like_the_others(self, client, db):
        """The stylesheet styles text fields by their type: the code field says its type."""
        create_portal(db)
        text = _ask_on_the_page(client, "carl@client.com").text
        assert re.search(r'<input id="code" name="code" type="text"', text), text

    def test_a_wrong_code_keeps_the_words_of_a_phone(self, client, db):
        """A wrong code typed after asking by phone: the same page, still about the phone."""
        create_portal(db)
        asked = _ask_on_the_page(client, "(202) 555-0173")
        wrong = client.post(
            "/login/code",
            data={"email": "+12025550173", "code": "123456", "csrf_token": csrf_of(asked.text)},
        )
        assert wrong.status_code == 401 and "<h1>Check your phone</h1>" in wrong.text
        assert "That code is wrong" in wrong.text

    def test_the_password_reset_answer_says_the_address_as_admit_reads_it(self, client, db):
        create_portal(db)
        form = client.get("/forgot-password")
        data = {"csrf_token": csrf_of(form.text), "email": "Olive@Acme.com"}
        sent = client.post("/forgot-password", data=data)
        assert "<strong>olive@acme.com</strong>" in sent.text and "Olive@Acme.com" not in sent.text


class TestSignInWithACode:
    """The new-user tester: the sign-in email's code, typed by someone who closed the page where
    they asked for it. The sign-in page leads to a page that takes it with its address."""

    def test_the_sign_in_page_leads_to_a_page_that_takes_a_code(self, client, db):
        create_portal(db)
        login_page = client.get("/login").text
        assert '/login/code">Sign in with a code</a>' in login_page
        page = client.get("/login/code")
        assert page.status_code == 200 and "<h1>Sign in with a code</h1>" in page.text
        assert 'name="email" type="text"' in page.text and 'name="code" type="text"' in page.text

    def test_the_code_signs_in_only_with_the_address_it_went_to(self, client, db, worker):
        """Another member's address with the code is refused, on the same page; its own signs in."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        member_joins(db, worker, pf, "dora@example.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        code = _code_in(client, "cleo@example.org")
        page = client.get("/login/code")

        def typed(email: str):
            data = {"email": email, "code": code, "page": "code", "csrf_token": csrf_of(page.text)}
            return client.post("/login/code", data=data, follow_redirects=False)

        wrong = typed("dora@example.org")
        assert wrong.status_code == 401 and "<h1>Sign in with a code</h1>" in wrong.text
        assert "That code is wrong" in wrong.text and 'value="dora@example.org"' in wrong.text
        right = typed("Cleo@Example.org")
        assert right.status_code == 303 and "admit_session" in right.headers.get("set-cookie", "")

    def test_a_refused_code_stays_in_its_field_said_under_it(self, client, db, worker):
        """A wrong code is kept as typed, the field marked and the refusal under it (the field
        was emptied, the refusal in a box on top), on Sign in with a code and on the page after
        asking; a code that could be none ("12 ab") too."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        page = client.get("/login/code")
        typed = {"email": "cleo@example.org", "code": "000111", "page": "code"}
        typed["csrf_token"] = csrf_of(page.text)
        wrong = client.post("/login/code", data=typed)
        assert wrong.status_code == 401 and 'role="alert"' not in wrong.text
        assert said_under(wrong.text, "code").startswith("That code is wrong"), wrong.text
        assert re.search(r'<input id="code" name="code"[^>]*value="000111"', wrong.text), wrong.text
        asked = _ask_on_the_page(client, "cleo@example.org")
        for code in ("000111", "12 ab"):
            data = {"email": "cleo@example.org", "code": code, "csrf_token": csrf_of(asked.text)}
            again = client.post("/login/code", data=data)
            assert again.status_code in (401, 422) and "<h1>Check your email</h1>" in again.text
            assert said_under(again.text, "code"), again.text
            assert re.search(rf'<input id="code" name="code"[^>]*value="{code}"', again.text), again.text

    def test_codes_spread_over_many_addresses_are_limited_per_client(
        self, client, db, change_settings, rate_limits
    ):
        """Each address has its own count of tries; a client trying codes for many addresses
        meets the per-client sign-in limit too (the reviewer)."""
        change_settings(login_rate_limit="3/minute")
        form = client.get("/login/code")
        for i in range(3):
            data = {"email": f"u{i}@example.org", "code": "123456", "csrf_token": csrf_of(form.text)}
            assert client.post("/login/code", data=data).status_code == 401
        data = {"email": "u9@example.org", "code": "123456", "csrf_token": csrf_of(form.text)}
        limited = client.post("/login/code", data=data)
        assert limited.status_code == 429, limited.text

    def test_the_email_says_where_the_code_goes_and_its_two_parts_say_the_same(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        sent = client.get("/api/v1/dev/messages", params={"to": "cleo@example.org"}).json()["items"][0]
        html = re.sub(r"<[^>]+>", "", sent["html"])
        for part in (sent["text"], html):
            assert "Enter this code on the page where you asked for the link, or choose" in part
            assert "“Sign in with a code” on the sign-in page" in part
            assert "The link and the code work once and expire in 15 minutes." in part
        assert "sign-in page instead" not in sent["text"] + sent["html"]

    def test_a_long_lifetime_is_said_in_days(self, client, db, worker):
        """A portal whose clients' links live 7 days: the email says "7 days", not "10080 minutes"."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
        r = client.patch(
            f"/api/v1/portals/{pf.slug}/settings",
            json={"client_sign_in": {"sign_in_link_minutes": 7 * 24 * 60}},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"})
        worker.drain()
        sent = client.get("/api/v1/dev/messages", params={"to": "cleo@example.org"}).json()["items"][0]
        assert "The link and the code work once and expire in 7 days." in sent["text"]
        assert "minutes" not in sent["text"]


def test_the_code_field_says_what_it_takes_before_the_browser_refuses_letters(client, db):
    """ "12ab" in the sign-in code's field: the browser's refusal says the field's title, the
    product's advice (``auth.service.CODE_HINT``), not only "Please match the requested format"."""
    from admit.auth.service import CODE_HINT

    page = client.get("/login/code")
    assert page.status_code == 200, page.text
    field = re.search(r'<input id="code"[^>]*>', page.text)
    assert field and f'title="{CODE_HINT}"' in field.group(0), field


class TestAskedForWithinTheMinute:
    """The tester: Dan accepted his invitation, asked for a sign-in link 11 s later and was told
    an email was on its way; nothing was ever sent (the per-person minute's limit dropped it).
    A message a person asks for is outside the per-person caps (``notifications.service.UNCAPPED``):
    it goes at once, never dropped; asked again within the minute, the one sent still works."""

    @pytest.mark.parametrize(
        ("password", "ask", "subject"),
        [
            (None, "request_sign_in_link", "Your sign-in link"),
            (PASSWORD, "request_password_reset", "Choose a new password"),
            (PASSWORD, "request_sign_in_link", "Sign in with your password"),
        ],
    )
    def test_it_goes_at_once_and_once(self, client, db, worker, rate_limits, password, ask, subject):  # noqa: ARG002
        from admit.auth import service as auth_service
        from admit.notifications import mailbox

        pf = create_portal(db)
        member_joins(db, worker, pf, "dan@example.org", user_type="client", password=password)
        for seconds in (11, 20):  # asked again within the minute: still one, its link still works
            with clock.travel(timedelta(seconds=seconds)):
                with db.unit_of_work() as session:
                    getattr(auth_service, ask)(session, email="dan@example.org", minutes=15)
                worker.drain()
        with clock.travel(timedelta(seconds=21)):
            with db.unit_of_work() as session:
                went = session.scalars(
                    select(Notification.status).where(
                        Notification.to_address == "dan@example.org",
                        Notification.template.in_(["sign_in", "password_reset"]),
                    )
                ).all()
                assert went == ["sent"], went
                newest = mailbox.messages(session, to="dan@example.org", limit=1)[0]
            assert newest.subject.startswith(subject), newest.subject
            if subject == "Your sign-in link":
                token = token_in(newest.text, "sign_in")
                assert client.post(f"/api/v1/auth/sign-in-link/{token}").status_code == 200


def test_a_code_that_is_not_six_digits_is_refused_under_its_field_and_counts_no_try(
    client, db, worker, change_settings, rate_limits
):  # noqa: ARG001
    """The tester typed "abc12" on Sign in with a code: "Use the 6-digit code from the latest
    email or text message." under the field, marked (not the wrong-code box on top, which is for a
    code that could have been one); on the page after asking too, and the API answers 422 on
    ``code``. Nothing is looked up, so it is not a try at the address's code."""
    from admit.auth.service import CODE_HINT

    change_settings(sign_in_code_client_rate_limit="2/15minutes")
    pf = create_portal(db)
    member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
    with clock.travel(timedelta(minutes=5)):  # past the invitation's message (one a minute)
        page = client.get("/login/code")
        for typed in ("abc12", "12345", "1234567"):
            data = {"email": "cleo@example.org", "code": typed, "page": "code"}
            data["csrf_token"] = csrf_of(page.text)
            r = client.post("/login/code", data=data)
            assert r.status_code == 422, (typed, r.text)
            assert said_under(r.text, "code") == CODE_HINT, typed
            assert "That code is wrong" not in r.text and 'role="alert"' not in r.text
            assert 'value="cleo@example.org"' in r.text
        asking = {"email": "cleo@example.org", "csrf_token": csrf_of(page.text)}
        asked = client.post("/login/link", data=asking)
        data = {"email": "cleo@example.org", "code": "12 ab", "csrf_token": csrf_of(asked.text)}
        r = client.post("/login/code", data=data)
        assert r.status_code == 422 and said_under(r.text, "code") == CODE_HINT
        api = client.post("/api/v1/auth/sign-in-code", json={"email": "cleo@example.org", "code": "abc12"})
        assert api.status_code == 422
        assert [(e["field"], e["message"]) for e in api.json()["errors"]] == [("code", CODE_HINT)]
        worker.drain()
        code = _code_in(client, "cleo@example.org")
        right = client.post(
            "/api/v1/auth/sign-in-code", json={"email": "cleo@example.org", "code": f"{code[:3]} {code[3:]}"}
        )
        assert right.status_code == 200, right.text


def _link_hint(page_text: str) -> str:
    hint = re.search(r'<p class="hint" id="link-hint">(.*?)</p>', page_text, re.S)
    assert hint, "no hint under Send me a sign-in link"
    return re.sub(r"<[^>]+>", "", hint.group(1))


def test_the_sign_in_page_says_what_the_portal_asks_of_its_clients(client, db):
    """The tester: with "Require a password for clients" on, the sign-in page still said "Clients
    join without a password". It reads the portal's policy (``portals.sign_in``): a portal that
    asks clients for one says so, and that the link lets someone with none choose one; a page
    that wears no one portal (several, none named by ``next``) says neither."""
    pf = create_portal(db)
    assert "Clients join without a password" in _link_hint(client.get("/login").text)
    r = client.patch(
        f"/api/v1/portals/{pf.slug}/settings",
        json={"client_sign_in": {"require_password": True}},
        headers=pf.headers(),
    )
    assert r.status_code == 200, r.text
    for page in (client.get("/login"), client.get("/login", params={"next": f"/p/{pf.slug}/users"})):
        said = _link_hint(page.text)
        assert "without a password" not in said, said
        assert said.startswith("Acme Inc asks its clients for a password too. No password yet?"), said
    refused = client.post(
        "/login", data={"email": "x@y.com", "password": "", "csrf_token": csrf_of(page.text)}
    )
    assert "Acme Inc asks its clients for a password too" in _link_hint(refused.text)
    create_portal(db, name="Beta", owner_email="boss@beta.com")
    said = _link_hint(client.get("/login").text)
    assert said.startswith("No password? Get a sign-in link"), said
    assert "Acme Inc asks its clients" in _link_hint(client.get(f"/login?next=/p/{pf.slug}").text)
