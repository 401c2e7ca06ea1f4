"""The headers that keep a page's content its own: a Content-Security-Policy on every HTML page
(scripts, styles, images, forms only from Admit itself; never framed), the dev mailbox's email
page loosened for the email's inline styles only, and Strict-Transport-Security only when the
portal's public URL is https."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from admit.jobs import Worker
from tests.factories import OWNER_PASSWORD, create_portal, invite, login
from tests.notifications.test_delivery import dev_messages
from tests.portals.images import png

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def test_a_page_carries_the_strict_policy(client, db):
    """The sign-in page: every source Admit's own, no inline script or style allowed, never
    framed; no HSTS on a plain-http public URL (local development)."""
    r = client.get("/login")
    assert r.status_code == 200
    assert r.headers["Content-Security-Policy"] == PAGE_POLICY
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in r.headers


def test_a_refused_page_and_an_error_page_carry_it_too(client, db):
    """An error page (404) is a page: the same policy."""
    r = client.get("/p/nowhere/users")
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'; ")


def test_a_branded_page_names_its_colours_style_by_nonce(client, db):
    """A portal's colours are a ``<style>`` of the page's own: allowed by a nonce made for this
    answer (never 'unsafe-inline'), a new one each time."""
    pf = create_portal(db)
    r = client.patch(f"/api/v1/portals/{pf.slug}", json={"brand_color": "#0a7d3b"}, headers=pf.headers())
    assert r.status_code == 200, r.text
    login(client, pf.owner_email, OWNER_PASSWORD)
    nonces = []
    for _ in range(2):
        page = client.get(f"/p/{pf.slug}/users")
        assert page.status_code == 200
        (nonce,) = re.findall(r'<style nonce="([^"]+)">:root \{ --brand:', page.text)
        policy = page.headers["Content-Security-Policy"]
        assert f"style-src 'self' 'nonce-{nonce}';" in policy and "unsafe-inline" not in policy
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_the_dev_mailbox_email_allows_the_emails_inline_styles(client, db, settings):
    """The email is shown in a sandboxed ``<iframe srcdoc>``, which keeps its page's policy:
    that page allows inline styles (emails are styled inline) and images from anywhere (the
    logo at the public URL); no script, and still never framed."""
    pf = create_portal(db)
    invite(db, pf, ["ada@example.com"], user_type="client")
    Worker(db, settings).drain()
    (message,) = [m for m in dev_messages(db) if m.channel == "email"]
    r = client.get(f"/dev/mailbox/{message.id}")
    assert r.status_code == 200
    policy = r.headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline';" in policy and "img-src * data:;" in policy
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    # The list of messages is an ordinary page.
    assert client.get("/dev/mailbox").headers["Content-Security-Policy"] == PAGE_POLICY


def test_the_api_and_the_logo_keep_their_own(client, db):
    """JSON needs no policy; a logo keeps the one it has always had (nothing runs in an SVG)."""
    pf = create_portal(db)
    r = client.get(f"/api/v1/portals/{pf.slug}", headers=pf.headers())
    assert r.status_code == 200 and "Content-Security-Policy" not in r.headers
    logo_file = {"logo": ("l.png", png(), "image/png")}
    r = client.put(f"/api/v1/portals/{pf.slug}/logo", files=logo_file, headers=pf.headers())
    assert r.status_code == 200, r.text
    logo = client.get(r.json()["logo_url"].removeprefix("http://127.0.0.1:8000"))
    assert logo.status_code == 200 and logo.headers["Content-Security-Policy"] == "default-src 'none'"


@pytest.fixture
def https_client(db, settings):
    from admit.app import create_app

    secure = settings.model_copy(update={"public_url": "https://admit.example.com"})
    app = create_app(secure, db=db, run_worker=False)
    with TestClient(app, base_url="https://admit.example.com", client=("127.0.0.1", 50000)) as c:
        yield c


def test_hsts_only_when_the_public_url_is_https(https_client, client, db):
    """Every answer (pages and API) of a portal served over https says so for a year; on http
    none does (a browser that once saw it would refuse a local http Admit)."""
    assert https_client.get("/login").headers["Strict-Transport-Security"] == HSTS
    assert https_client.get("/api/v1/me").headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert "Strict-Transport-Security" not in client.get("/api/v1/me").headers
