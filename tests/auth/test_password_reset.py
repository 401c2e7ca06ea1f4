"""Forgot password?: a single-use link by email, the same answer for unknown addresses, every
session ended on reset (API and pages, both backends)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from admit.auth import service as auth_service
from admit.kit import clock
from admit.notifications.models import Notification
from tests.factories import PASSWORD, create_portal, csrf_of, last_link, login, member_joins

NEW = "a-brand-new-password-7"


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
                n.context["link"]
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
                n.context["link"]
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
        r = client.post(
            f"/reset-password/{token}",
            data={"csrf_token": csrf_of(page.text), "password": NEW},
            follow_redirects=False,
        )
        assert r.status_code == 303
        home = client.get(r.headers["location"], follow_redirects=True)
        assert "Your password was changed. You are signed in." in home.text
        assert client.get(f"/reset-password/{token}").status_code == 410
