"""Forgot password?: a single-use link by email (by text message for an account known by its
phone number), the same answer for unknown addresses, every session ended on reset (API and
pages, both backends)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from admit.auth import service as auth_service
from admit.kit import clock
from admit.notifications import mailbox, sealed
from admit.notifications.models import Notification
from tests.factories import (
    PASSWORD,
    create_portal,
    csrf_of,
    last_link,
    login,
    member_joins,
    said_under,
    token_in,
)

NEW = "a-brand-new-password-7"
PHONE = "+12025550173"


def _ask(client, email):
    """Ask for a reset link as a person does; the worker's step that turns the request into a
    message (or nothing) runs at once (``auth.service.send_requested_links``)."""
    r = client.post("/api/v1/auth/password-reset", json={"email": email})
    assert r.status_code == 202, r.text
    db = client.app.state.db
    with db.unit_of_work() as session:
        auth_service.send_requested_links(session)
    return r.json()["detail"]


def _messages(db) -> int:
    with db.unit_of_work() as session:
        return session.scalar(
            select(func.count()).select_from(Notification).where(Notification.template == "password_reset")
        )


def _chosen_on_the_page(client, token: str, page: str) -> None:
    """Choose ``NEW`` on the reset link's page (``page``: its text), which signs the person in."""
    r = client.post(
        f"/reset-password/{token}",
        data={"csrf_token": csrf_of(page), "password": NEW},
        follow_redirects=False,
    )
    assert r.status_code == 303
    home = client.get(r.headers["location"], follow_redirects=True)
    assert "Your password was changed. You are signed in." in home.text


class TestPasswordReset:
    def test_reset_changes_the_password_once_and_ends_every_session(self, client, db, worker, app):
        from fastapi.testclient import TestClient

        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        other = TestClient(app, base_url="http://127.0.0.1")  # mel signed in elsewhere
        login(other, "mel@acme.com")
        people = f"/api/v1/portals/{pf.slug}/people"
        assert other.get(people).status_code == 200

        answer = _ask(client, "Mel@Acme.com")
        worker.drain()
        token = last_link(db, "mel@acme.com", "reset")
        [mail] = client.get("/api/v1/dev/messages", params={"to": "mel@acme.com"}).json()["items"][:1]
        assert mail["subject"] == "Choose a new password" and "Choose a new password:\nhttp" in mail["text"]
        page = client.get(f"/reset-password/{token}")  # opening the page does not use the link
        assert page.status_code == 200 and "mel@acme.com" in page.text
        weak = client.post(f"/api/v1/auth/password-reset/{token}", json={"password": "short"})
        assert weak.status_code == 422 and weak.json()["field"] == "password"  # the link still works
        done = client.post(f"/api/v1/auth/password-reset/{token}", json={"password": NEW})
        assert done.status_code == 200 and done.json()["portals"][0]["slug"] == pf.slug
        assert other.get(people).status_code == 401  # signed out everywhere else
        again = client.post(f"/api/v1/auth/password-reset/{token}", json={"password": NEW + "x"})
        assert (again.status_code, again.json()["code"]) == (410, "password_reset_gone")
        page = client.get(f"/reset-password/{token}")  # its page offers the way to a new one
        assert page.status_code == 410
        assert '<a class="btn primary" href="/forgot-password">Get a new reset link</a>' in page.text
        client.cookies.clear()
        old = client.post("/api/v1/auth/login", json={"email": "mel@acme.com", "password": PASSWORD})
        assert old.status_code == 401
        assert (
            client.post("/api/v1/auth/login", json={"email": "mel@acme.com", "password": NEW}).status_code
            == 200
        )
        assert "If this address belongs to an account" in answer

    def test_unknown_and_passwordless_addresses_get_the_same_answer_and_no_email(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "cleo@client.org", user_type="client", password=None)
        before = _messages(db)
        known = _ask(client, pf.owner_email)
        assert _ask(client, "nobody@nowhere.example") == _ask(client, "cleo@client.org") == known
        assert _messages(db) == before + 1  # the owner's only

    def test_the_link_expires_and_the_newest_wins(self, client, db):
        pf = create_portal(db)
        _ask(client, pf.owner_email)
        with db.unit_of_work() as session:
            texts = [
                sealed.opened(n.context, db.context.settings)["link"]
                for n in session.scalars(
                    select(Notification).where(Notification.template == "password_reset")
                )
            ]
        first = texts[0].rsplit("/", 1)[1]
        _ask(client, pf.owner_email)
        r = client.post(f"/api/v1/auth/password-reset/{first}", json={"password": NEW})
        assert (r.status_code, r.json()["code"]) == (410, "password_reset_gone")  # replaced
        with db.unit_of_work() as session:
            links = [
                sealed.opened(n.context, db.context.settings)["link"]
                for n in session.scalars(
                    select(Notification)
                    .where(Notification.template == "password_reset")
                    .order_by(Notification.created_at)
                )
            ]
        second = links[-1].rsplit("/", 1)[1]
        with clock.travel(timedelta(minutes=61)):
            r = client.post(f"/api/v1/auth/password-reset/{second}", json={"password": NEW})
        assert r.status_code == 410

    def test_pages_forgot_then_reset_signs_in(self, client, db, worker):
        pf = create_portal(db)
        login_page = client.get("/login")
        assert '/forgot-password">Forgot password?</a>' in login_page.text
        form = client.get("/forgot-password")
        sent = client.post(
            "/forgot-password", data={"csrf_token": csrf_of(form.text), "email": pf.owner_email}
        )
        assert sent.status_code == 200 and "Check your email" in sent.text
        worker.drain()
        token = last_link(db, pf.owner_email, "reset")
        page = client.get(f"/reset-password/{token}")
        short = client.post(
            f"/reset-password/{token}", data={"csrf_token": csrf_of(page.text), "password": "short"}
        )
        assert short.status_code == 422 and "at least 10 characters" in short.text
        _chosen_on_the_page(client, token, page.text)
        assert client.get(f"/reset-password/{token}").status_code == 410


def _texts(db, to: str) -> list[str]:
    """The texts the dev mailbox shows for ``to``, newest first."""
    with db.unit_of_work() as session:
        return [m.text for m in mailbox.messages(session, to=to, channel="sms")]


class TestPasswordResetByText:
    """Someone known only by their phone number (invited by phone, no email address) who chose a
    password gets their reset link by text message: the same link, asked the same ways."""

    def test_a_phone_account_is_texted_a_reset_link_that_changes_its_password(self, db, worker, settings):
        pf = create_portal(db)
        member_joins(db, worker, pf, PHONE)  # an internal user invited by phone, with a password
        with db.unit_of_work() as session:
            asked = auth_service.request_password_reset(
                session, email="(202) 555-0173", minutes=settings.password_reset_minutes
            )
            assert (asked.key, asked.by_phone) == (PHONE, True)
        with db.unit_of_work() as session:
            auth_service.send_requested_links(session)
        worker.drain()
        text = _texts(db, PHONE)[0]
        token = token_in(text, "reset")
        assert text == (
            f"Your Acme Inc password reset link (works once, for 1 hour): "
            f"{settings.public_url}/reset-password/{token} Not you? Ignore it: your password stays as it is."
        )
        with db.unit_of_work() as session:
            auth_service.reset_password(session, token, NEW)
        with db.unit_of_work() as session:
            assert auth_service.login(session, email="202-555-0173", password=NEW).phone == PHONE

    def test_a_phone_account_asking_for_a_sign_in_link_is_told_to_use_its_password(
        self, db, worker, settings
    ):
        """As an account with an email address is (``test_accounts_with_a_password_get_no_link``):
        no sign-in link, but a text that says so and offers a new password."""
        pf = create_portal(db)
        member_joins(db, worker, pf, PHONE)
        with db.unit_of_work() as session:
            auth_service.request_sign_in_link(session, email=PHONE, minutes=15)
            auth_service.send_requested_links(session)
        worker.drain()
        text = _texts(db, PHONE)[0]
        assert text == (
            "Your Acme Inc account signs in with its password: no sign-in link was sent. Forgot it? "
            f"Choose a new one (works once, for 1 hour): {settings.public_url}/reset-password/"
            f"{token_in(text, 'reset')}"
        )

    def test_a_passwordless_phone_client_and_an_unknown_number_are_texted_nothing(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, PHONE, user_type="client", password=None)
        before = _messages(db)
        assert (
            _ask(client, "+1 202 555 0173") == _ask(client, "+1 202 555 0199") == _ask(client, pf.owner_email)
        )
        assert _messages(db) == before + 1  # the owner's only

    def test_the_api_refuses_a_number_that_is_not_one_under_email(self, client, db):
        """A number that cannot be one says why, as the invitations do (the members' reading of
        phone numbers), under the field it was typed in; it tells nothing about accounts."""
        create_portal(db)
        r = client.post("/api/v1/auth/password-reset", json={"email": "+1 202 555"})
        assert r.status_code == 422, r.text
        body = r.json()
        assert (body["code"], body["field"]) == ("invalid_input", "email")
        assert body["errors"] == [
            {"field": "email", "message": "Not a valid phone number: check the digits and the country code."}
        ]

    def test_pages_forgot_by_phone_then_reset_signs_in(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, PHONE)
        form = client.get("/forgot-password")
        assert 'for="email">Email or phone number</label>' in form.text
        csrf = csrf_of(form.text)
        bad = client.post("/forgot-password", data={"csrf_token": csrf, "email": "+1 202 555"})
        assert bad.status_code == 422
        assert (
            said_under(bad.text, "email")
            == "Not a valid phone number: check the digits and the country code."
        )
        assert 'value="+1 202 555"' in bad.text
        sent = client.post("/forgot-password", data={"csrf_token": csrf, "email": "(202) 555-0173"})
        assert sent.status_code == 200 and "Check your phone" in sent.text
        assert (
            "If <strong>+1 202-555-0173</strong> belongs to an account with a password, a text message"
            in sent.text
        )
        unknown = client.post("/forgot-password", data={"csrf_token": csrf, "email": "(202) 555-0199"})
        assert unknown.text.replace("0199", "0173") == sent.text  # the same answer, no account
        worker.drain()
        token = last_link(db, PHONE, "reset")
        page = client.get(f"/reset-password/{token}")
        _chosen_on_the_page(client, token, page.text)
