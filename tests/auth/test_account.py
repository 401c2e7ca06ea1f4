"""The signed-in person's own account (both backends): a new password given the current one
(``POST /auth/password``, and the page ``/me/account``), their name (``PATCH /me``), and two-step
verification from the account page (set up, new recovery codes, turn off)."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from admit.audit.models import AuditEvent
from admit.kit import clock
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    create_portal,
    csrf_of,
    form_of,
    login,
    said_under,
    sign_in_page,
)

NEW = "violet-harbour-lantern-42"


def _code(secret: str, *, later: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=later))


class TestChangePasswordApi:
    def test_it_takes_the_current_password_and_signs_every_other_browser_out(self, app, client, db):
        """No current password, a wrong one, the same one again and a weak new one are refused,
        each naming its field, and change nothing; the right one changes it: the old password
        opens nothing, another browser is signed out, this one stays in, and the log says so."""
        pf = create_portal(db)
        with TestClient(app, client=("127.0.0.1", 50001)) as other:
            login(other, pf.owner_email, OWNER_PASSWORD)
            assert other.get("/api/v1/me").status_code == 200
            headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}

            def change(**body):
                return client.post("/api/v1/auth/password", json=body, headers=headers)

            for body, field, words in (
                ({"password": NEW}, "current_password", "Type your current password."),
                ({"password": NEW, "current_password": "not-it-at-all-1"}, "current_password", "not your"),
                ({"password": OWNER_PASSWORD, "current_password": OWNER_PASSWORD}, "password", "current"),
                ({"password": "short", "current_password": OWNER_PASSWORD}, "password", "at least"),
            ):
                r = change(**body)
                assert r.status_code == 422, r.text
                assert r.json()["field"] == field and words in r.json()["detail"], r.text
            assert other.get("/api/v1/me").status_code == 200  # nothing changed yet

            assert change(password=NEW, current_password=OWNER_PASSWORD).status_code == 204
            assert other.get("/api/v1/me").status_code == 401
            assert client.get("/api/v1/me").status_code == 200
        refused = client.post(
            "/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD}
        )
        assert refused.status_code == 401
        assert (
            client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": NEW}).status_code
            == 200
        )
        with db.unit_of_work() as session:
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("user.password%"))
            )
            assert list(actions) == ["user.password_changed"]

    def test_every_field_at_fault_is_said_at_once(self, client, db):
        """A current password missing or wrong and a new one too short: both said at once,
        each naming its field (only the current password's fault was said, and the new one's
        after a second try), and nothing changes. The new one is compared with the current one
        only once that was right: a wrong current password tells nothing of the new one."""
        pf = create_portal(db)
        headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        for body, said in (
            ({"password": "short"}, ("Type your current password.", "at least")),
            ({"password": "short", "current_password": "not-it-at-all-1"}, ("not your current", "at least")),
            ({"password": "", "current_password": "not-it-at-all-1"}, ("not your current", "is required")),
        ):
            r = client.post("/api/v1/auth/password", json=body, headers=headers)
            assert r.status_code == 422, r.text
            problems = r.json()["errors"]
            assert [p["field"] for p in problems] == ["current_password", "password"], r.text
            assert all(words in p["message"] for p, words in zip(problems, said, strict=True)), r.text
            assert r.json()["field"] == "current_password", r.text
        wrong = {"password": OWNER_PASSWORD, "current_password": "not-it-at-all-1"}
        r = client.post("/api/v1/auth/password", json=wrong, headers=headers)
        assert [p["field"] for p in r.json()["errors"]] == ["current_password"], r.text
        assert (
            client.post(
                "/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD}
            ).status_code
            == 200
        )  # nothing changed
        with db.unit_of_work() as session:
            changed = select(AuditEvent.action).where(AuditEvent.action.like("user.password%"))
            assert list(session.scalars(changed)) == []

    def test_wrong_current_passwords_count_as_sign_in_tries(self, client, db, change_settings, rate_limits):
        """Guessing the current password is limited as guessing at the sign-in is, per address
        (the limit set after this sign-in: a limit's count is kept by its figures)."""
        pf = create_portal(db)
        headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        change_settings(login_client_rate_limit="3/hour")
        answers = [
            client.post(
                "/api/v1/auth/password",
                json={"password": NEW, "current_password": f"wrong-guess-{i}"},
                headers=headers,
            ).status_code
            for i in range(4)
        ]
        assert answers == [422, 422, 422, 429], answers
        refused = client.post(
            "/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD}
        )
        assert refused.status_code == 429, refused.text  # the same count as the sign-in's

    def test_a_sign_in_begun_with_the_old_password_cannot_finish(self, app, client, db):
        """Someone who had the old password and got as far as the second step (here: setting up
        an authenticator app a portal requires) cannot finish it once the password is changed."""
        pf = create_portal(db)
        headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}  # before the policy
        r = client.patch(
            f"/api/v1/portals/{pf.slug}/settings",
            json={"internal_sign_in": {"require_two_factor": True}},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        with TestClient(app, client=("127.0.0.1", 50002)) as other:
            begun = other.post(
                "/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD}
            )
            assert begun.json()["code"] == "two_factor_enrolment_required", begun.text
            challenge = begun.json()["challenge"]
            changed = client.post(
                "/api/v1/auth/password",
                json={"password": NEW, "current_password": OWNER_PASSWORD},
                headers=headers,
            )
            assert changed.status_code == 204, changed.text
            started = other.post("/api/v1/me/two-factor", json={"challenge": challenge})
            assert started.status_code == 401, started.text
            assert other.get("/api/v1/me").status_code == 401

    def test_a_change_racing_another_loses(self, client, db):
        """The new password is written only over the one checked: a reset (or another change)
        that came between the check and the write wins, and this one is refused, writing nothing."""
        from sqlalchemy.orm.attributes import set_committed_value

        from admit.auth import service as auth_service
        from admit.members import passwords
        from admit.members import service as members_service
        from admit.members.models import User

        pf = create_portal(db)
        with db.unit_of_work() as session:
            user = session.scalar(select(User).where(User.email == pf.owner_email))
            was = user.password_hash
            # What a reset in another request does between this change's check and its write:
            members_service.replace_password(
                session, user, was, passwords.hash_password("reset-meanwhile-42")
            )
            assert not members_service.replace_password(session, user, was, passwords.hash_password(NEW))
            set_committed_value(user, "password_hash", was)  # as this request read it before the reset
            try:
                auth_service.choose_password(session, user, NEW, current=OWNER_PASSWORD)
            except Exception as exc:  # noqa: BLE001 - the refusal is the point
                assert getattr(exc, "code", "") == "conflict", exc
            else:
                raise AssertionError("a change over a password that is no longer the account's was written")


class TestSignOutElsewhere:
    def test_every_other_browser_is_signed_out_and_this_one_stays(self, app, client, db):
        """The API answers how many were ended; the page says so; a second time, none."""
        pf = create_portal(db)
        with (
            TestClient(app, client=("127.0.0.1", 50008)) as one,
            TestClient(app, client=("127.0.0.1", 50009)) as two,
        ):
            for other in (one, two):
                login(other, pf.owner_email, OWNER_PASSWORD)
            headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
            r = client.post("/api/v1/auth/logout-others", headers=headers)
            assert (r.status_code, r.json()) == (200, {"ended": 2})
            assert one.get("/api/v1/me").status_code == 401 and two.get("/api/v1/me").status_code == 401
            assert client.get("/api/v1/me").status_code == 200
            login(one, pf.owner_email, OWNER_PASSWORD)
        client.cookies.clear()
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get("/me/account")
        done = client.post("/me/account/sign-out-others", data={"csrf_token": csrf_of(page.text)})
        assert (
            done.status_code == 200 and "Signed out of 2 other browsers." in done.text
        )  # one, and the API sign-in
        again = client.post("/me/account/sign-out-others", data={"csrf_token": csrf_of(page.text)})
        assert "You were signed in nowhere else." in again.text
        with db.unit_of_work() as session:
            count = session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "user.signed_out_elsewhere")
            )
            assert count == 3

    def test_a_browser_signed_out_from_elsewhere_is_told_why(self, app, client, db):
        """Its next page goes to the sign-in page, which says it was signed out; then back."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        assert client.get("/me/account").url.path == "/me/account"
        with TestClient(app, client=("127.0.0.1", 50010)) as other:
            headers = {"X-CSRF-Token": login(other, pf.owner_email, OWNER_PASSWORD)}
            assert other.post("/api/v1/auth/logout-others", headers=headers).json() == {"ended": 1}
        page = client.get("/me/account")
        assert page.url.path == "/login" and "You were signed out. Sign in again to go on." in page.text
        again = client.get("/me/account")  # the stale cookie is gone: a plain sign-in page now
        assert again.url.path == "/login" and "You were signed out" not in again.text
        never = TestClient(app, client=("127.0.0.1", 50011)).get("/me/account")
        assert never.url.path == "/login" and "You were signed out" not in never.text


class TestName:
    def test_the_person_names_themselves(self, client, db):
        pf = create_portal(db)
        headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        r = client.patch("/api/v1/me", json={"name": "  Olive   Q.  Owner "}, headers=headers)
        assert r.status_code == 200 and r.json()["user"]["name"] == "Olive Q. Owner", r.text
        too_long = client.patch("/api/v1/me", json={"name": "x" * 201}, headers=headers)
        assert too_long.status_code == 422 and too_long.json()["field"] == "name", too_long.text
        assert client.get("/api/v1/me").json()["user"]["name"] == "Olive Q. Owner"
        assert too_long.json()["detail"] == "At most 200 characters; this one has 201."
        r = client.patch("/api/v1/me", json={"name": " "}, headers=headers)
        assert r.json()["user"]["name"] in ("", None)
        with db.unit_of_work() as session:
            events = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "user.renamed").order_by(AuditEvent.created_at)
            ).all()
            assert [(e.detail["from"], e.detail["to"]) for e in events] == [
                ("Olive Owner", "Olive Q. Owner"),
                ("Olive Q. Owner", ""),
            ]

    def test_the_page_says_a_refused_name_under_it(self, client, db):
        """The account page's Name form says a refused name under the field, marked, what was
        typed kept, as every form does (it stood on top, the saved name back in the field)."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get("/me/account")
        typed = "Olive " + "x" * 200
        refused = client.post("/me/account/name", data={"name": typed, "csrf_token": csrf_of(page.text)})
        assert refused.status_code == 422
        assert said_under(refused.text, "name") == "At most 200 characters; this one has 206."
        tag = re.search(r'<input id="name" [^>]*>', refused.text).group(0)
        assert f'value="{typed}"' in tag and "autofocus" in tag
        assert 'aria-describedby="name_error name_hint"' in tag
        assert 'class="notice error"' not in refused.text
        assert "novalidate" in form_of(refused.text, "name")
        # Another form's refusal says nothing under the name, which shows the saved one.
        other = client.post(
            "/me/account/password",
            data={"current_password": "nope-nope-nope-1", "password": "x", "csrf_token": csrf_of(page.text)},
        )
        assert other.status_code == 422 and 'id="name_error"' not in other.text
        assert re.search(r'<input id="name" [^>]*value="Olive Owner"', other.text)


def _owner_with_app_signed_out(client, db):
    """A new portal whose owner has set an authenticator app up, then signed out of ``client``."""
    pf = create_portal(db)
    headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
    secret = client.post("/api/v1/me/two-factor", headers=headers).json()["secret"]
    r = client.post("/api/v1/me/two-factor/confirm", json={"code": _code(secret)}, headers=headers)
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return pf, r.json()["recovery_codes"]


class TestAccountPage:
    def test_signed_out_it_asks_to_sign_in(self, client, db):
        create_portal(db)
        r = client.get("/me/account", follow_redirects=False)
        assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")

    def test_name_and_password_from_the_page(self, client, db):
        """The profile menu leads there; a wrong current password stays on the page with the
        reason beside its field; the right one changes it and says other browsers are out."""
        pf = create_portal(db)
        home = sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        assert (
            'href="http://testserver/me/account">Your account</a>'
            in client.get(home.headers["location"]).text
        )
        page = client.get("/me/account")
        assert page.status_code == 200 and "Current password" in page.text and "Olive Owner" in page.text
        # No one changes an address by hand (an owner least of all, reading her own): not claimed.
        assert f"Signed in as <strong>{pf.owner_email}</strong>.</p>" in page.text

        r = client.post("/me/account/name", data={"name": "Olive O.", "csrf_token": csrf_of(page.text)})
        assert r.status_code == 200 and "Your name is saved." in r.text and 'value="Olive O."' in r.text

        wrong = client.post(
            "/me/account/password",
            data={"current_password": "nope-nope-nope-1", "password": NEW, "csrf_token": csrf_of(page.text)},
        )
        assert wrong.status_code == 422
        # Under its field, as every password form says a refusal (``_fields.html``).
        assert said_under(wrong.text, "current_password") == "That is not your current password."
        assert 'class="notice error"' not in wrong.text
        # A new one too short as well: said under its own field at once, with "2 things to fix".
        both = client.post(
            "/me/account/password",
            data={"current_password": "nope-nope-1", "password": "short", "csrf_token": csrf_of(page.text)},
        )
        assert both.status_code == 422
        assert said_under(both.text, "current_password") == "That is not your current password."
        assert said_under(both.text, "password").startswith("The password must be at least"), both.text
        assert "2 things to fix below." in both.text
        done = client.post(
            "/me/account/password",
            data={"current_password": OWNER_PASSWORD, "password": NEW, "csrf_token": csrf_of(page.text)},
        )
        assert done.status_code == 200 and "Every other browser is signed out." in done.text
        assert done.url.path == "/me/account"
        assert f'href="http://testserver/p/{pf.slug}">← Back to Acme Inc</a>' in done.text
        # It stands in their portal: its navigation, as on the portal's own pages.
        assert f'<a href="http://testserver/p/{pf.slug}/users" class="">User Management</a>' in done.text
        # A form's own address, opened (a reload after a refusal): the account page again.
        for path in (
            "/me/account/password",
            "/me/account/name",
            "/me/account/recovery-codes",
            "/me/account/two-factor/off",
        ):
            again = client.get(path, follow_redirects=False)
            assert (again.status_code, again.headers["location"]) == (303, "/me/account"), path
        assert (
            client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": NEW}).status_code
            == 200
        )

    def test_a_passwordless_client_may_choose_one(self, client, db, worker):
        """A client who signs in by link is offered a first password (no current one asked)."""
        from tests.factories import invite, last_link

        pf = create_portal(db)
        invite(db, pf, ["cleo@example.org"], user_type="client")
        worker.drain()
        assert (
            client.post(
                f"/api/v1/invitations/{last_link(db, 'cleo@example.org')}/accept", json={}
            ).status_code
            == 200
        )
        page = client.get("/me/account")
        assert "Choose a password" in page.text and "Current password" not in page.text
        done = client.post("/me/account/password", data={"password": NEW, "csrf_token": csrf_of(page.text)})
        assert "Your password is saved" in done.text
        assert (
            client.post("/api/v1/auth/login", json={"email": "cleo@example.org", "password": NEW}).status_code
            == 200
        )

    def test_a_client_whose_portal_now_requires_a_password_is_told_so(self, client, db, worker):
        """The tester: a client's account page said "You sign in with a link we send you. You may
        choose a password instead" after the portal came to require a password of clients. It
        says what the portal's policy (``portals.sign_in``) asks of them."""
        from tests.factories import invite, last_link

        pf = create_portal(db)
        invite(db, pf, ["cleo@example.org"], user_type="client")
        worker.drain()
        accepted = client.post(f"/api/v1/invitations/{last_link(db, 'cleo@example.org')}/accept", json={})
        assert accepted.status_code == 200, accepted.text
        before = client.get("/me/account").text
        assert "You may choose a password instead" in before
        changed = client.patch(
            f"/api/v1/portals/{pf.slug}", json={"client_require_password": True}, headers=pf.headers()
        )
        assert changed.status_code == 200, changed.text
        page = client.get("/me/account").text
        assert "You may choose a password instead" not in page
        assert "Acme Inc requires a password of you: choose one below." in page, page

    def test_two_step_verification_on_new_codes_and_off(self, client, db):
        """Set up from the account page (the QR code's key read off the page), the codes shown
        once; new recovery codes take a right code and replace the old ones; turning it off takes
        a right code, and is not offered while a portal requires it."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get("/me/account")
        assert "Set up two-step verification" in page.text
        setup = client.get("/me/account/two-factor")
        assert "<svg" in setup.text and "Cancel" in setup.text
        secret = re.search(r'id="totp-key" data-key="([A-Z2-7]+)"', setup.text).group(1)
        bad = client.post(
            "/me/account/two-factor", data={"code": "000000", "csrf_token": csrf_of(setup.text)}
        )
        assert bad.status_code == 422 and "That code is not right" in bad.text
        # The field's own hint (what the browser adds to its "Please match the requested format")
        # is the server's advice for a wrong code.
        advice = "Use the 6-digit code your authenticator app shows now."
        assert f'title="{advice}"' in setup.text and f"That code is not right. {advice}" in bad.text
        on = client.post(
            "/me/account/two-factor", data={"code": _code(secret), "csrf_token": csrf_of(setup.text)}
        )
        first = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", on.text)
        assert on.status_code == 200 and len(first) == 10
        assert 'href="/me/account">I have saved them' in on.text

        page = client.get("/me/account")
        assert "New recovery codes" in page.text and "Turn off two-step verification" in page.text
        # The limit the codes share with sign-in, said from the setting (5/15minutes in tests).
        assert (
            "5 wrong codes, here or at sign-in, pause your two-step verification for 15 minutes." in page.text
        )
        wrong = client.post(
            "/me/account/recovery-codes", data={"code": "123456", "csrf_token": csrf_of(page.text)}
        )
        assert wrong.status_code == 422 and "That code is not right" in wrong.text
        renewed = client.post(
            "/me/account/recovery-codes", data={"code": first[0], "csrf_token": csrf_of(page.text)}
        )
        second = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", renewed.text)
        assert len(second) == 10 and not set(second) & set(first)
        assert "the earlier ones no longer work" in renewed.text
        stale = client.post(
            "/me/account/two-factor/off", data={"code": first[1], "csrf_token": csrf_of(page.text)}
        )
        assert stale.status_code == 422  # the earlier codes stopped working

        r = client.patch(
            f"/api/v1/portals/{pf.slug}/settings",
            json={"internal_sign_in": {"require_two_factor": True}},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        page = client.get("/me/account")
        assert "requires two-step verification, so it stays on" in page.text
        assert "Turn off two-step verification" not in page.text
        kept = client.post(
            "/me/account/two-factor/off", data={"code": second[0], "csrf_token": csrf_of(page.text)}
        )
        assert kept.status_code == 409 and "cannot be turned off" in kept.text

        r = client.patch(
            f"/api/v1/portals/{pf.slug}/settings",
            json={"internal_sign_in": {"require_two_factor": False}},
            headers=pf.headers(),
        )
        off = client.post(
            "/me/account/two-factor/off", data={"code": second[0], "csrf_token": csrf_of(page.text)}
        )
        assert off.status_code == 200 and "Two-step verification is off." in off.text
        assert "Set up two-step verification" in off.text

    def test_the_page_says_how_many_recovery_codes_are_left(self, client, db):
        """Each recovery code used (here, at a sign-in's second step) is one fewer: the page says
        how many are left, and from 3 warns and points to new ones."""
        from admit.auth import second_factor
        from admit.members.models import User

        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        setup = client.get("/me/account/two-factor")
        secret = re.search(r'id="totp-key" data-key="([A-Z2-7]+)"', setup.text).group(1)
        on = client.post(
            "/me/account/two-factor", data={"code": _code(secret), "csrf_token": csrf_of(setup.text)}
        )
        codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", on.text)

        def used(*given: str) -> str:
            with db.unit_of_work() as session:
                user = session.scalar(select(User).where(User.email == pf.owner_email))
                for code in given:
                    assert second_factor.check(session, user, code) == "recovery_code"
            page = client.get("/me/account").text
            return re.search(r'id="recovery-codes-left"[^>]*>(.*?)</p>', page, re.S)[1]

        assert "10 recovery codes left." in used()
        left = used(codes[0])
        assert "9 recovery codes left." in left and "new recovery codes" not in left
        left = used(*codes[1:7])
        assert "3 recovery codes left." in left and "Get new recovery codes below" in left, left
        assert "1 recovery code left." in used(*codes[7:9])
        assert "No recovery codes left." in used(codes[9])


class TestSecurityNotices:
    def _mail(self, client, to: str) -> list[dict]:
        """The dev mailbox's messages to ``to``, read on this machine signed out (someone signed
        in reads it only as an owner or admin)."""
        from starlette.testclient import TestClient

        mailbox = TestClient(client.app, client=("127.0.0.1", 50001))
        return mailbox.get("/api/v1/dev/messages", params={"to": to}).json()["items"]

    def test_a_changed_password_and_two_step_verification_are_told_to_the_holder(self, client, db, worker):
        """Each change to how the account signs in sends its holder a notice, in the portal's
        brand and time zone, with the way to take the account back."""
        pf = create_portal(db)
        r = client.patch(
            f"/api/v1/portals/{pf.slug}/settings", json={"time_zone": "Europe/Paris"}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        r = client.post(
            "/api/v1/auth/password",
            json={"password": NEW, "current_password": OWNER_PASSWORD},
            headers=headers,
        )
        assert r.status_code == 204, r.text
        worker.drain()
        [notice] = self._mail(client, pf.owner_email)
        assert notice["subject"] == "Your password was changed at Acme Inc"
        assert (
            "The password of your account was changed.\n\nAccount: owner@acme.com at Acme Inc, on "
            in notice["text"]
        )
        assert notice["text"].split(", on ", 1)[1].split(".")[0].endswith(("CET", "CEST"))
        assert "/forgot-password" in notice["text"] and "Choose a new password" in notice["html"]

        secret = client.post("/api/v1/me/two-factor", headers=headers).json()["secret"]
        r = client.post("/api/v1/me/two-factor/confirm", json={"code": _code(secret)}, headers=headers)
        assert r.status_code == 200, r.text
        with clock.travel(timedelta(seconds=60)):
            off = client.request(
                "DELETE", "/api/v1/me/two-factor", json={"code": _code(secret)}, headers=headers
            )
            assert off.status_code == 204, off.text
            worker.drain()
        mails = self._mail(client, pf.owner_email)
        on = next(m for m in mails if m["subject"] == "Two-step verification was turned on at Acme Inc")
        assert "set up their own authenticator app" in on["text"] and "reset your two-step" in on["html"]
        subjects = [m["subject"] for m in mails]
        assert subjects == [
            "Two-step verification was turned off at Acme Inc",
            "Two-step verification was turned on at Acme Inc",
            "Your password was changed at Acme Inc",
        ]

    def test_a_reset_is_told_even_right_after_the_reset_email(self, client, db, worker, rate_limits):
        """The per-recipient cap (one message a minute) holds other messages back, never the
        notice: the reset email came seconds before it."""
        from tests.factories import last_link

        pf = create_portal(db)
        assert client.post("/api/v1/auth/password-reset", json={"email": pf.owner_email}).status_code == 202
        worker.drain()
        token = last_link(db, pf.owner_email, "reset")
        r = client.post(f"/api/v1/auth/password-reset/{token}", json={"password": NEW})
        assert r.status_code == 200, r.text
        worker.drain()
        subjects = [m["subject"] for m in self._mail(client, pf.owner_email)]
        assert subjects[0] == "Your password was changed at Acme Inc", subjects
        with db.unit_of_work() as session:
            from admit.notifications import service as notifications_service

            # Neither the reset email nor the notice is counted in the per-person caps (``UNCAPPED``)
            assert notifications_service.recipient_waits(session, [pf.owner_email]) == {}

    def test_a_reset_asked_right_after_a_notice_is_sent_and_notices_are_bounded(
        self, client, db, worker, rate_limits
    ):
        """A notice does not use up the one-a-minute cap: the reset its words ask for goes out at
        once. Ten changes in a minute send one notice, not ten."""
        pf = create_portal(db)
        headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        passwords = [OWNER_PASSWORD] + [f"{NEW}-{i}" for i in range(4)]
        for was, new in zip(passwords, passwords[1:], strict=False):
            r = client.post(
                "/api/v1/auth/password", json={"password": new, "current_password": was}, headers=headers
            )
            assert r.status_code == 204, r.text
        assert client.post("/api/v1/auth/password-reset", json={"email": pf.owner_email}).status_code == 202
        worker.drain()
        subjects = [m["subject"] for m in self._mail(client, pf.owner_email)]
        assert subjects == ["Choose a new password", "Your password was changed at Acme Inc"], subjects

    def test_someone_in_two_portals_is_told_in_both_names(self, client, db, worker):
        from admit.members import service as members_service
        from admit.members.models import User
        from admit.portals.models import Portal
        from tests.factories import active_member

        pf = create_portal(db)
        other = create_portal(db, name="Beta Co", owner_email="boss@beta.co")
        active_member(db, pf, "ada@example.org", role="member")
        with db.unit_of_work() as session:  # the same person, in the second portal too
            ada = session.scalar(select(User).where(User.email == "ada@example.org"))
            members_service.activate(
                session, portal_id=session.scalar(select(Portal.id).where(Portal.slug == other.slug)),
                user_id=ada.id, user_type="internal", role="member", products=[], via="invitation",
            )  # fmt: skip
        headers = {"X-CSRF-Token": login(client, "ada@example.org")}
        body = {"password": NEW, "current_password": PASSWORD}
        r = client.post("/api/v1/auth/password", json=body, headers=headers)
        assert r.status_code == 204, r.text
        worker.drain()
        [notice] = self._mail(client, "ada@example.org")
        assert notice["subject"] == "Your password was changed at Acme Inc · Beta Co"

    def test_the_text_message_form(self):
        """An account known by its phone number is told by text, with the way to take it back (a
        reset goes by text too) when the change was one the holder could have made."""
        from admit.notifications.render import render

        words = {
            "name": "",
            "email": "+12025550173",
            "what": "password_changed",
            "headline": "Your password was changed",
            "happened": "The password of your account was changed",
            "when_text": "5 December 2026 at 20:40 UTC",
            "reset_link": "https://admit.example/forgot-password",
            "brand": {"name": "Acme Inc"},
        }
        sms = render("security_notice", words, "sms")
        assert sms.text == (
            "Acme Inc: The password of your account was changed (5 December 2026 at 20:40 UTC). "
            "Not you? Choose a new password at https://admit.example/forgot-password and tell your "
            "portal's administrator."
        )
        by_others = {**words, "own_change": False, "happened": "Olive Owner reset your two-step verification"}
        assert render("security_notice", by_others, "sms").text == (
            "Acme Inc: Olive Owner reset your two-step verification (5 December 2026 at 20:40 UTC). "
            "If this is not right, tell your portal's administrator at once."
        )


class TestCodes:
    def _two_factor_on(self, client, db) -> tuple[dict, list[str]]:
        pf = create_portal(db)
        headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        secret = client.post("/api/v1/me/two-factor", headers=headers).json()["secret"]
        r = client.post("/api/v1/me/two-factor/confirm", json={"code": _code(secret)}, headers=headers)
        assert r.status_code == 200, r.text
        return headers, r.json()["recovery_codes"]

    def test_right_codes_never_count_and_the_refusal_says_when(
        self, client, db, change_settings, rate_limits
    ):
        """Only wrong codes use up the allowance: someone who uses right ones again and again is
        never refused; once the wrong ones are used up, even a right one waits, and the refusal
        says for how long."""
        change_settings(sign_in_code_rate_limit="3/15minutes")
        headers, codes = self._two_factor_on(client, db)

        def renew(code: str):
            return client.post("/api/v1/me/two-factor/recovery-codes", json={"code": code}, headers=headers)

        for _ in range(4):
            r = renew(codes[0])
            assert r.status_code == 200, r.text
            codes = r.json()["recovery_codes"]
        answers = [renew("123456") for _ in range(4)]
        assert [a.status_code for a in answers] == [422, 422, 422, 429]
        assert re.fullmatch(
            r"Too many wrong codes\. Try again in 1[45] minutes, with the app's code or a recovery code\.",
            answers[-1].json()["detail"],
        )
        assert int(answers[-1].headers["Retry-After"]) > 800
        assert renew(codes[0]).status_code == 429

    def test_a_recovery_code_may_be_written_as_read_out(self, client, db):
        """In capitals, with a space for its dash, or with none: the same code; once used, it
        opens nothing written any way; what cannot be a code opens nothing."""
        headers, codes = self._two_factor_on(client, db)

        def renew(code: str):
            return client.post("/api/v1/me/two-factor/recovery-codes", json={"code": code}, headers=headers)

        for way in (lambda c: c.upper().replace("-", " "), lambda c: c.replace("-", "")):
            r = renew(way(codes[0]))
            assert r.status_code == 200, r.text
            codes = r.json()["recovery_codes"]
        first = codes[0]
        assert renew(first).status_code == 200
        for again in (first, first.upper(), first.replace("-", "")):
            assert renew(again).status_code == 422, again  # used: no other spelling opens it
        for wrong in ("zzzzz-zzzzz", "abcd-efghi", "0123456789a"):
            assert renew(wrong).status_code == 422, wrong

    def test_tries_sent_at_once_are_all_counted(self, db, change_settings, rate_limits):
        """Wrong codes sent together cannot all be checked before any is counted: of 12 at once
        with 3 allowed, at most 3 are answered "not right" and the rest are refused."""
        from admit.auth import second_factor
        from admit.errors import InvalidInput, RateLimited
        from admit.members.models import User
        from tests.factories import race

        change_settings(sign_in_code_rate_limit="3/15minutes")
        pf = create_portal(db)
        with db.unit_of_work() as session:
            owner = session.scalar(select(User).where(User.email == pf.owner_email))
            enrolment = second_factor.begin(session, owner, issuer="Acme Inc")
            second_factor.confirm(session, owner, _code(enrolment.secret))
            owner_id = owner.id

        def guess(i: int):
            with db.unit_of_work() as session:
                second_factor.check(session, session.get(User, owner_id), f"{i:05d}-{i:05d}")

        outcomes = race(12, guess)
        wrong = [o for o in outcomes if isinstance(o, InvalidInput)]
        refused = [o for o in outcomes if isinstance(o, RateLimited)]
        assert len(wrong) <= 3 and len(wrong) + len(refused) == 12, outcomes

    def test_a_wrong_code_says_how_many_tries_are_left_and_the_pause_is_audited_once(
        self, client, db, change_settings, rate_limits
    ):
        """Each wrong code says how many tries are left before the pause; the one that uses the
        last up says the pause began, and the audit log shows it once (not each wrong code, nor
        the tries refused while paused); the refusal says recovery codes wait too."""
        change_settings(sign_in_code_rate_limit="3/15minutes")
        headers, _codes = self._two_factor_on(client, db)

        def renew(code: str):
            return client.post("/api/v1/me/two-factor/recovery-codes", json={"code": code}, headers=headers)

        said = [renew("123456").json()["detail"] for _ in range(3)]
        assert said[0].endswith(" 2 tries left before a pause of 15 minutes."), said
        assert said[1].endswith(" 1 try left before a pause of 15 minutes."), said
        assert said[2].endswith(" That was the last try: codes are paused for 15 minutes."), said
        refused = [renew("123456") for _ in range(2)]
        assert [r.status_code for r in refused] == [429, 429]
        assert re.fullmatch(
            r"Too many wrong codes\. Try again in 1[45] minutes, with the app's code or a recovery code\.",
            refused[0].json()["detail"],
        )
        with db.unit_of_work() as session:
            locked = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "user.second_factor_locked")
            ).all()
        assert len(locked) == 1, locked
        log = client.get(
            "/api/v1/portals/acme-inc/audit-events", params={"category": "sign-ins"}, headers=headers
        )
        assert log.status_code == 200, log.text
        summaries = [e["summary"] for e in log.json()["items"]]
        assert (
            "Olive Owner (owner@acme.com) was locked out of two-step verification for 15 minutes after "
            "3 wrong codes" in summaries
        ), summaries

    def test_the_pause_is_shown_on_the_sign_in_page_and_audited(
        self, client, db, change_settings, rate_limits
    ):
        """At sign-in's second step (the page), the try that locks is audited too."""
        change_settings(sign_in_code_rate_limit="2/15minutes")
        pf, _codes = _owner_with_app_signed_out(client, db)
        page = client.get(sign_in_page(client, pf.owner_email, OWNER_PASSWORD).headers["location"])
        assert page.url.path == "/login/two-factor", page.url
        for left in ("1 try left", "That was the last try"):
            page = client.post(
                "/login/two-factor/verify", data={"code": "123456", "csrf_token": csrf_of(page.text)}
            )
            assert left in page.text
        with db.unit_of_work() as session:
            assert (
                session.scalar(select(func.count()).where(AuditEvent.action == "user.second_factor_locked"))
                == 1
            )

    def test_a_recovery_code_has_a_field_of_its_own_at_sign_in(self, client, db):
        """The app's code keeps its digit keypad; "Use a recovery code" opens the same step with
        a text field labelled "Recovery code" (no keypad: the codes have letters), which stays
        after a wrong one and signs in with a right one."""
        pf, codes = _owner_with_app_signed_out(client, db)
        page = client.get(sign_in_page(client, pf.owner_email, OWNER_PASSWORD).headers["location"])
        field = re.search(r'<input id="code"[^>]*>', page.text).group(0)
        assert 'inputmode="numeric"' in field
        link = re.search(r'<a href="([^"]+)"[^>]*>Use a recovery code</a>', page.text)
        assert link, page.text
        page = client.get(link.group(1).replace("&amp;", "&"))
        assert page.status_code == 200 and '<label for="code">Recovery code</label>' in page.text
        field = re.search(r'<input id="code"[^>]*>', page.text).group(0)
        assert "inputmode" not in field and 'autocapitalize="none"' in field
        form = {"csrf_token": csrf_of(page.text), "way": "recovery"}
        wrong = client.post("/login/two-factor/verify", data={**form, "code": "00000-00000"})
        assert wrong.status_code == 422 and '<label for="code">Recovery code</label>' in wrong.text
        form["csrf_token"] = csrf_of(wrong.text)
        done = client.post("/login/two-factor/verify", data={**form, "code": codes[0]})
        assert done.url.path == f"/p/{pf.slug}/users", done.url


class TestOwnerResetsTwoStepVerification:
    def _with_app(self, client, db, email: str) -> tuple[str, list[str]]:
        """``email`` (an active member) signed in on ``client`` with an authenticator app set up:
        its secret and recovery codes."""
        headers = {"X-CSRF-Token": login(client, email)}
        secret = client.post("/api/v1/me/two-factor", headers=headers).json()["secret"]
        r = client.post("/api/v1/me/two-factor/confirm", json={"code": _code(secret)}, headers=headers)
        assert r.status_code == 200, r.text
        return secret, r.json()["recovery_codes"]

    def test_an_owner_resets_it_from_user_management(self, app, client, db, worker):
        """The row menu offers it for those with an app, never oneself; asked for someone with no
        app, it says there is nothing to reset. Once reset, their recovery codes open nothing,
        the next sign-in asks for no code, they are told by email, and the audit log says who did
        it."""
        from tests.factories import active_member

        pf = create_portal(db)
        active_member(db, pf, "ada@example.org")
        active_member(db, pf, "bo@example.org")
        elsewhere = TestClient(app, client=("127.0.0.1", 50003))  # Ada's browser, signed in
        _secret, codes = self._with_app(elsewhere, db, "ada@example.org")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        assert page.text.count("Reset two-step verification</button>") == 1  # Ada's row: Bo has no app

        def action(email: str) -> str:
            name = email.split("@")[0]
            found = re.search(
                r'data-confirm-action="([^"]+/reset-two-factor)"\s+data-confirm-text="Reset the two-step '
                rf"verification of {name} \({re.escape(email)}\)",
                page.text,
            )
            assert found, email
            return found.group(1)

        bo = re.search(r'/members/([0-9a-f-]+)/deactivate"\s+data-confirm-text="Deactivate bo ', page.text)
        assert bo, "Bo's row"
        bo_reset = re.sub(r"/members/[^/]+/", f"/members/{bo.group(1)}/", action("ada@example.org"))
        nothing = client.post(bo_reset, data={"csrf_token": csrf_of(page.text)})
        assert "has not set up two-step verification: there is nothing to reset" in nothing.text
        assert elsewhere.get("/api/v1/me").status_code == 200
        done = client.post(action("ada@example.org"), data={"csrf_token": csrf_of(page.text)})
        assert done.status_code == 200
        assert "The two-step verification of" in done.text and "signed out everywhere" in done.text
        assert elsewhere.get("/api/v1/me").status_code == 401  # whoever was signed in as her

        with TestClient(app, client=("127.0.0.1", 50004)) as ada:
            signed = ada.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD})
            assert signed.status_code == 200, signed.text  # no code asked any more
            headers = {"X-CSRF-Token": signed.json()["csrf_token"]}
            old = ada.post("/api/v1/me/two-factor/recovery-codes", json={"code": codes[0]}, headers=headers)
            assert old.status_code == 409, old.text  # no app: the old codes open nothing
        worker.drain()
        # An account's notice is no portal's: the owner's dev mailbox does not hold it; this
        # machine, not signed in, reads it.
        mine = client.get("/api/v1/dev/messages", params={"to": "ada@example.org"}).json()["items"]
        assert mine == []
        with TestClient(app, client=("127.0.0.1", 50005)) as here:
            told = here.get("/api/v1/dev/messages", params={"to": "ada@example.org"}).json()["items"][0]
        assert told["subject"] == "Your two-step verification was reset at Acme Inc"
        assert "Olive Owner, an owner of Acme Inc, reset the two-step verification" in told["text"]
        assert "every browser signed in as you was signed out" in told["text"]
        # An internal user signs in with a password: never told of a sign-in link they cannot use.
        assert "Sign in again with your password as before;" in told["text"], told["text"]
        assert "sign-in link" not in told["text"]
        assert "/forgot-password" not in told["text"]  # not theirs to undo with a new password
        log = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers()).json()["items"]
        summaries = [e["summary"] for e in log]
        assert "Olive Owner reset the two-step verification of ada (ada@example.org)" in summaries, summaries

    def test_a_client_without_a_password_is_told_to_use_a_sign_in_link(self, db):
        """The reset's email says the way back in that the person has: a sign-in link for a
        client with no password."""
        from admit.auth import notices
        from admit.members.models import User
        from admit.notifications.models import Notification
        from tests.factories import active_member

        pf = create_portal(db)
        active_member(db, pf, "cleo@client.io", user_type="client", role="client")
        with db.unit_of_work() as session:
            cleo = session.scalar(select(User).where(User.email == "cleo@client.io"))
            cleo.password_hash = None
            notices.tell(session, cleo, "second_factor_reset", by="Olive Owner, an owner of Acme Inc,")
            told = session.scalar(select(Notification).where(Notification.to_address == "cleo@client.io"))
            assert "Sign in again with a sign-in link as before;" in told.context["if_not"], told.context
            assert "password" not in told.context["if_not"]

    def test_refusals(self, app, client, db):
        """None set up, one's own, an account that belongs to another portal: 409, 403, 409, each
        saying why; an admin may not (owners only)."""
        from admit.members import service as members_service
        from admit.members.models import Member, User
        from admit.portals.models import Portal
        from tests.factories import active_member

        pf = create_portal(db)
        other = create_portal(db, name="Beta Co", owner_email="boss@beta.co")
        active_member(db, pf, "ada@example.org")
        active_member(db, pf, "cy@example.org", role="admin")
        with TestClient(app, client=("127.0.0.1", 50005)) as ada:
            self._with_app(ada, db, "ada@example.org")

        def member_id(email: str):
            with db.unit_of_work() as session:
                return session.scalar(
                    select(Member.id)
                    .join(User, User.id == Member.user_id)
                    .where(User.email == email, Member.portal_id == pf.portal_id)
                )

        def reset(email: str, headers=None):
            url = f"/api/v1/portals/{pf.slug}/members/{member_id(email)}/reset-two-factor"
            return client.post(url, headers=headers or pf.headers())

        # The setup's API key acts as an admin: not an owner.
        keyed = reset("ada@example.org")
        assert keyed.status_code == 403 and "Only owners" in keyed.json()["detail"], keyed.text
        headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        none = reset("cy@example.org", headers)
        assert none.status_code == 409 and "has not set up two-step verification" in none.json()["detail"]
        own = reset(pf.owner_email, headers)
        assert own.status_code == 403 and "account page" in own.json()["detail"], own.text
        with TestClient(app, client=("127.0.0.1", 50006)) as cy:
            admin = cy.post(
                f"/api/v1/portals/{pf.slug}/members/{member_id('ada@example.org')}/reset-two-factor",
                headers={"X-CSRF-Token": login(cy, "cy@example.org")},
            )
            assert admin.status_code == 403 and "Only owners" in admin.json()["detail"], admin.text
        with db.unit_of_work() as session:  # Ada joins Beta Co too: her account is not Acme's alone
            ada = session.scalar(select(User).where(User.email == "ada@example.org"))
            members_service.activate(
                session, portal_id=session.scalar(select(Portal.id).where(Portal.slug == other.slug)),
                user_id=ada.id, user_type="internal", role="member", products=[], via="invitation",
            )  # fmt: skip
        shared = reset("ada@example.org", headers)
        assert shared.status_code == 409 and "also belongs to another portal" in shared.json()["detail"]

    def test_a_reset_ends_the_pause_of_too_many_wrong_codes(
        self, app, client, db, change_settings, rate_limits
    ):
        """Ada, paused after too many wrong codes, is reset by an owner: the pause and the wrong
        codes counted go, and her new app's first code is taken."""
        from tests.factories import active_member

        change_settings(sign_in_code_rate_limit="3/15minutes")
        pf = create_portal(db)
        active_member(db, pf, "ada@example.org")
        with TestClient(app, client=("127.0.0.1", 50007)) as ada:
            self._with_app(ada, db, "ada@example.org")
        from admit.auth import second_factor
        from admit.errors import DomainError, RateLimited
        from admit.members.models import Member, User

        with db.unit_of_work() as session:
            user = session.scalar(select(User).where(User.email == "ada@example.org"))
            for _ in range(4):
                try:
                    with session.begin_nested():
                        second_factor.check(session, user, "123456")
                except DomainError as exc:
                    last = exc
            assert isinstance(last, RateLimited)
            member_id = session.scalar(select(Member.id).where(Member.user_id == user.id))
        owner = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
        r = client.post(f"/api/v1/portals/{pf.slug}/members/{member_id}/reset-two-factor", headers=owner)
        assert r.status_code == 200, r.text
        with db.unit_of_work() as session:
            user = session.scalar(select(User).where(User.email == "ada@example.org"))
            enrolment = second_factor.begin(session, user, issuer="Acme Inc")
            assert len(second_factor.confirm(session, user, _code(enrolment.secret))) == 10


def test_a_reset_of_an_account_with_an_app_says_a_code_comes_next(client, db, worker):
    """Choosing a new password by a reset link signs in, but an account with an authenticator
    app still gives its code: the page says so, not "You are signed in"."""
    from tests.factories import last_link

    pf, _codes = _owner_with_app_signed_out(client, db)
    assert client.post("/api/v1/auth/password-reset", json={"email": pf.owner_email}).status_code == 202
    worker.drain()
    token = last_link(db, pf.owner_email, "reset")
    form = client.get(f"/reset-password/{token}")
    page = client.post(f"/reset-password/{token}", data={"password": NEW, "csrf_token": csrf_of(form.text)})
    assert page.url.path == "/login/two-factor", page.url
    assert "Your password was changed. One more step: the code from your authenticator app." in page.text
    assert "You are signed in" not in page.text


def test_each_portals_audit_log_shows_its_peoples_sign_ins_and_account_changes(client, db):
    """Account events (a sign-in, a password changed) are each portal's its person belongs to:
    its Audit Log's Sign-ins lists them; a portal the person is not in shows none of them."""
    from admit.members import service as members_service
    from admit.members.models import User
    from admit.portals.models import Portal
    from tests.factories import active_member

    pf = create_portal(db)
    beta = create_portal(db, name="Beta Co", owner_email="boss@beta.co")
    gamma = create_portal(db, name="Gamma Ltd", owner_email="gil@gamma.io")
    active_member(db, pf, "ada@example.org")
    with db.unit_of_work() as session:  # Ada is in Beta Co too, not in Gamma Ltd
        ada = session.scalar(select(User).where(User.email == "ada@example.org"))
        members_service.activate(
            session, portal_id=session.scalar(select(Portal.id).where(Portal.slug == beta.slug)),
            user_id=ada.id, user_type="internal", role="member", products=[], via="invitation",
        )  # fmt: skip
    headers = {"X-CSRF-Token": login(client, "ada@example.org")}
    r = client.post(
        "/api/v1/auth/password", json={"password": NEW, "current_password": PASSWORD}, headers=headers
    )
    assert r.status_code == 204, r.text

    def sign_ins(portal) -> list[str]:
        r = client.get(
            f"/api/v1/portals/{portal.slug}/audit-events",
            params={"category": "sign-ins"},
            headers=portal.headers(),
        )
        assert r.status_code == 200, r.text
        return [e["summary"] for e in r.json()["items"] if "ada@example.org" in e["summary"]]

    for portal in (pf, beta):
        said = sign_ins(portal)
        assert any("signed in" in t for t in said) and any("changed their password" in t for t in said), said
    assert sign_ins(gamma) == []


def test_the_account_pages_code_fields_take_a_recovery_code_as_text(client, db):
    """New recovery codes and Turn off take the app's code (a digit keypad, "Code from the app")
    or, by "Use a recovery code", a recovery code in a text field (no keypad: the codes have
    letters), which stays after a wrong one and works with a right one."""
    pf, codes = _owner_with_app_signed_out(client, db)
    page = client.get(sign_in_page(client, pf.owner_email, OWNER_PASSWORD).headers["location"])
    form = {"csrf_token": csrf_of(page.text), "way": "recovery", "code": codes[0]}
    assert client.post("/login/two-factor/verify", data=form).status_code == 200
    page = client.get("/me/account")
    for at in ("code", "off_code"):
        assert f'<label for="{at}">Code from the app</label>' in page.text
        assert 'inputmode="numeric"' in re.search(rf'<input id="{at}"[^>]*>', page.text).group(0)
    link = re.search(r'<a href="([^"]+)"[^>]*>Use a recovery code</a>', page.text)
    assert link, page.text
    page = client.get(link.group(1))
    assert page.status_code == 200 and "Use the code from your app instead" in page.text
    for at in ("code", "off_code"):
        assert f'<label for="{at}">Recovery code</label>' in page.text
        field = re.search(rf'<input id="{at}"[^>]*>', page.text).group(0)
        assert "inputmode" not in field and 'autocapitalize="none"' in field
    form = {"csrf_token": csrf_of(page.text), "way": "recovery"}
    wrong = client.post("/me/account/two-factor/off", data={**form, "code": "00000-00000"})
    assert wrong.status_code == 422 and '<label for="off_code">Recovery code</label>' in wrong.text
    assert 'aria-invalid="true" autofocus' in re.search(r'<input id="off_code"[^>]*>', wrong.text).group(0)
    renewed = client.post("/me/account/recovery-codes", data={**form, "code": codes[1]})
    assert renewed.status_code == 200 and "the earlier ones no longer work" in renewed.text


def test_a_refused_code_is_said_under_its_field_and_kept(client, db):
    """New recovery codes and Turn off say a wrong code as every code form does (``code_field``):
    under the field it was typed in, which is marked, points at the words and keeps the code to
    be corrected; nothing on top, and the other form's field stays as it was."""
    pf, codes = _owner_with_app_signed_out(client, db)
    page = client.get(sign_in_page(client, pf.owner_email, OWNER_PASSWORD).headers["location"])
    form = {"csrf_token": csrf_of(page.text), "way": "recovery", "code": codes[0]}
    assert client.post("/login/two-factor/verify", data=form).status_code == 200
    page = client.get("/me/account")
    csrf = csrf_of(page.text)
    for action, typed, at, other in (
        ("/me/account/recovery-codes", "123456", "code", "off_code"),
        ("/me/account/two-factor/off", "00000-00000", "off_code", "code"),
    ):
        wrong = client.post(action, data={"csrf_token": csrf, "way": "recovery", "code": typed})
        assert wrong.status_code == 422
        assert said_under(wrong.text, at).startswith("That code is not right")
        assert f'value="{typed}"' in re.search(rf'<input id="{at}"[^>]*>', wrong.text).group(0)
        untouched = re.search(rf'<input id="{other}"[^>]*>', wrong.text).group(0)
        assert "aria-invalid" not in untouched and 'value=""' in untouched, untouched
        assert 'class="notice error"' not in wrong.text
