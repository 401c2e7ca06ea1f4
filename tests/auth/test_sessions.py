"""Where you are signed in (both backends): each browser session on the account page and at
``/api/v1/me/sessions``, named from its User-Agent, with where and when it signed in and was last
seen; signing one other browser out; nobody else's; "last seen" written at most every 10 minutes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from admit.audit import words
from admit.audit.models import AuditEvent
from admit.auth.models import MAX_USER_AGENT, WebSession
from admit.kit import clock
from admit.kit.user_agents import browser_named
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    active_member,
    create_portal,
    csrf_of,
    login,
    sign_in_page,
)

MAC_CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.mark.parametrize(
    ("user_agent", "named"),
    [
        (MAC_CHROME, "Chrome on macOS"),
        (IPHONE_SAFARI, "Safari on iPhone"),
        (WINDOWS_FIREFOX, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "CriOS/131.0 Mobile/15E148 Safari/604.1",
            "Chrome on iPad",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome on ChromeOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
            "Opera on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        ("curl/8.5.0", "Unknown browser"),
        ("testclient", "Unknown browser"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
    ],
)
def test_a_browser_is_named_from_its_user_agent(user_agent, named):
    assert browser_named(user_agent) == named


def _rows(page_text: str) -> dict[str, str]:
    """The account page's sessions: each row's session id and its HTML."""
    rows = re.findall(r'<tr data-session="([^"]+)"(.*?)</tr>', page_text, re.S)
    assert rows, "no sessions listed"
    return dict(rows)


class TestList:
    def test_the_page_and_the_api_list_each_browser_and_mark_this_one(self, app, client, db):
        """Two browsers of the owner's (and none of another person's) are listed, each named
        from its User-Agent, with its address and times; this browser is marked and has no
        Sign out button, the other one has."""
        pf = create_portal(db)
        active_member(db, pf, "mo@acme.com")
        with (
            TestClient(app, client=("203.0.113.7", 50020), headers={"User-Agent": IPHONE_SAFARI}) as phone,
            TestClient(app, client=("198.51.100.9", 50021)) as someone_else,
        ):
            login(phone, pf.owner_email, OWNER_PASSWORD)
            login(someone_else, "mo@acme.com", PASSWORD)
        client.headers["User-Agent"] = MAC_CHROME
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)

        page = client.get("/me/account")
        assert page.status_code == 200
        rows = _rows(page.text)
        assert len(rows) == 2, rows
        this = next(r for r in rows.values() if "Chrome on macOS" in r)
        other = next(r for r in rows.values() if "Safari on iPhone" in r)
        assert "This browser" in this and "Sign out" not in this
        assert "127.0.0.1" in this
        assert "203.0.113.7" in other and "This browser" not in other and ">Sign out<" in other
        assert "198.51.100.9" not in page.text

        listed = client.get("/api/v1/me/sessions")
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert body["next_cursor"] is None
        by_browser = {s["browser"]: s for s in body["items"]}
        assert set(by_browser) == {"Chrome on macOS", "Safari on iPhone"}
        mine, phones = by_browser["Chrome on macOS"], by_browser["Safari on iPhone"]
        assert (mine["current"], phones["current"]) == (True, False)
        assert phones["ip"] == "203.0.113.7" and phones["user_agent"] == IPHONE_SAFARI
        assert phones["created_at"] and phones["last_seen_at"]
        assert set(rows) == {s["id"] for s in body["items"]}
        with db.unit_of_work() as session:
            kept = session.scalars(select(WebSession)).all()
            assert all(s.last_seen_at is not None for s in kept)

    def test_an_api_key_has_no_sessions(self, client, db):
        pf = create_portal(db)
        r = client.get("/api/v1/me/sessions", headers={"Authorization": f"Bearer {pf.api_key}"})
        assert r.status_code == 401, r.text

    def test_a_long_user_agent_is_kept_cut_short(self, app, db):
        pf = create_portal(db)
        long_one = MAC_CHROME + " x" * 1000
        with TestClient(app, client=("127.0.0.1", 50022), headers={"User-Agent": long_one}) as c:
            login(c, pf.owner_email, OWNER_PASSWORD)
            (item,) = c.get("/api/v1/me/sessions").json()["items"]
        assert item["user_agent"] == long_one[:MAX_USER_AGENT] and item["browser"] == "Chrome on macOS"


class TestSignOutOne:
    def test_the_page_signs_one_browser_out_and_no_other(self, app, client, db):
        """Its cookie stops working; this browser and a third one stay in; audited."""
        pf = create_portal(db)
        with (
            TestClient(app, client=("127.0.0.1", 50023), headers={"User-Agent": IPHONE_SAFARI}) as phone,
            TestClient(app, client=("127.0.0.1", 50024), headers={"User-Agent": WINDOWS_FIREFOX}) as pc,
        ):
            login(phone, pf.owner_email, OWNER_PASSWORD)
            login(pc, pf.owner_email, OWNER_PASSWORD)
            client.headers["User-Agent"] = MAC_CHROME
            sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
            page = client.get("/me/account")
            phone_id = next(i for i, r in _rows(page.text).items() if "Safari on iPhone" in r)
            action = f"/me/account/sessions/{phone_id}/sign-out"
            assert client.post(action, data={}).status_code == 403  # no CSRF token
            assert phone.get("/api/v1/me").status_code == 200
            done = client.post(action, data={"csrf_token": csrf_of(page.text)})
            assert done.status_code == 200 and done.url.path == "/me/account"
            assert "Signed out of Safari on iPhone." in done.text
            assert phone.get("/api/v1/me").status_code == 401
            assert pc.get("/api/v1/me").status_code == 200
            assert client.get("/api/v1/me").status_code == 200
            assert phone_id not in _rows(client.get("/me/account").text)
        with db.unit_of_work() as session:
            (audited,) = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "user.signed_out_browser")
            ).all()
            assert audited.detail["browser"] == "Safari on iPhone"
            assert words.sentence(audited) == "owner@acme.com signed out of Safari on iPhone (127.0.0.1)"

    def test_the_api_signs_one_browser_out(self, app, client, db):
        pf = create_portal(db)
        with TestClient(app, client=("127.0.0.1", 50025), headers={"User-Agent": IPHONE_SAFARI}) as phone:
            login(phone, pf.owner_email, OWNER_PASSWORD)
            headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
            items = client.get("/api/v1/me/sessions").json()["items"]
            (phone_id,) = [s["id"] for s in items if not s["current"]]
            r = client.delete(f"/api/v1/me/sessions/{phone_id}", headers=headers)
            assert r.status_code == 204, r.text
            assert phone.get("/api/v1/me").status_code == 401
            assert client.get("/api/v1/me").status_code == 200
            again = client.delete(f"/api/v1/me/sessions/{phone_id}", headers=headers)
            assert again.status_code == 404 and again.json()["code"] == "session_not_found", again.text

    def test_another_persons_session_is_not_found(self, app, client, db):
        """Someone else's session id is 404 on the API and the page, and their browser stays in."""
        pf = create_portal(db)
        active_member(db, pf, "mo@acme.com")
        with TestClient(app, client=("127.0.0.1", 50026)) as mos:
            login(mos, "mo@acme.com", PASSWORD)
            (theirs,) = [s["id"] for s in mos.get("/api/v1/me/sessions").json()["items"]]
            headers = {"X-CSRF-Token": login(client, pf.owner_email, OWNER_PASSWORD)}
            assert theirs not in {s["id"] for s in client.get("/api/v1/me/sessions").json()["items"]}
            r = client.delete(f"/api/v1/me/sessions/{theirs}", headers=headers)
            assert r.status_code == 404 and r.json()["code"] == "session_not_found", r.text
            client.cookies.clear()
            sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
            page = client.get("/me/account")
            refused = client.post(
                f"/me/account/sessions/{theirs}/sign-out", data={"csrf_token": csrf_of(page.text)}
            )
            assert refused.status_code == 404
            assert mos.get("/api/v1/me").status_code == 200
        with db.unit_of_work() as session:
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "user.signed_out_browser")
                )
                == 0
            )


class TestLastSeen:
    def test_it_is_written_at_most_every_ten_minutes(self, client, db):
        """A signed-in request within 10 minutes of the last one written costs no statement
        more; one after writes the time once."""
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)

        def seen_at():
            with db.unit_of_work() as session:
                return session.scalar(select(WebSession.last_seen_at))

        def statements_of_a_request() -> list[str]:
            seen: list[str] = []

            def count(conn, cursor, statement, parameters, context, executemany):
                seen.append(" ".join(statement.split())[:90])

            event.listen(db.engine, "before_cursor_execute", count)
            try:
                assert client.get("/api/v1/me").status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            return seen

        started = seen_at()
        assert started is not None
        plain = statements_of_a_request()
        with clock.travel(timedelta(minutes=9, seconds=50)):
            assert statements_of_a_request() == plain
        assert seen_at() == started
        with clock.travel(timedelta(minutes=10, seconds=1)):
            later = statements_of_a_request()
            assert [s for s in later if s.startswith("UPDATE web_sessions")], later
            assert len(later) == len(plain) + 1, later
            assert seen_at() > started
            written = seen_at()
            with clock.travel(timedelta(minutes=5)):
                assert statements_of_a_request() == plain
            assert seen_at() == written
