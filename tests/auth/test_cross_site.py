"""Login CSRF and cross-site changes (issue 14 item 4): a page on another site cannot sign a
visitor's browser into an account, nor change anything with their session. Every change (API
and pages) that a browser says came from another site is refused with 403 ``csrf_failed``
before it is looked at; a client that is not a browser (no ``Origin``, no ``Sec-Fetch-Site``)
and Admit's own pages pass. Both backends."""

from __future__ import annotations

import pytest

from tests.factories import create_portal, member_joins, token_in

FROM_ELSEWHERE = [
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://admit.evil.example"},  # a sibling subdomain
    {"Origin": "https://evil.example"},  # an older browser: Origin only
    {"Origin": "null"},  # a sandboxed frame or a data: page
]

# Every way a browser is given a session cookie, and the page forms that do the same.
COOKIE_SETTERS = [
    ("/api/v1/auth/login", {"email": "x@example.com", "password": "whatever-it-is"}),
    ("/api/v1/auth/sign-in-link/some-token", None),
    ("/api/v1/invitations/some-token/accept", None),
    ("/api/v1/links/confirm/some-token", None),
    ("/api/v1/auth/password-reset/some-token", {"password": "violet-harbour-42"}),
    ("/login", None),
]


@pytest.mark.parametrize("headers", FROM_ELSEWHERE, ids=["cross-site", "same-site", "origin", "null"])
@pytest.mark.parametrize("path,body", COOKIE_SETTERS, ids=[p for p, _ in COOKIE_SETTERS])
def test_a_cookie_setter_refuses_another_site(client, db, path, body, headers):
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 403, response.text
    assert "admit_session" not in response.headers.get("set-cookie", "")  # no session given
    if path.startswith("/api/"):
        assert response.json()["code"] == "csrf_failed"
    else:
        assert "came from another site" in response.text


def test_a_sign_in_link_posted_from_elsewhere_is_refused_and_stays_usable(client, db, worker):
    """The attack itself: the attacker's own sign-in link, posted by a form on their site into a
    victim's browser. Refused, and the link is not used up by the attempt."""
    pf = create_portal(db)
    member_joins(db, worker, pf, "mallory@example.org", user_type="client", password=None)
    client.cookies.clear()
    assert client.post("/api/v1/auth/sign-in-link", json={"email": "mallory@example.org"}).status_code == 202
    worker.drain()
    items = client.get("/api/v1/dev/messages", params={"to": "mallory@example.org"}).json()["items"]
    token = token_in(items[0]["text"], "sign_in")
    forged = client.post(
        f"/api/v1/auth/sign-in-link/{token}",
        headers={
            "Sec-Fetch-Site": "cross-site",
            "Origin": "https://evil.example",
            "Content-Type": "text/plain",
        },
    )
    assert forged.status_code == 403 and not client.cookies.get("admit_session")
    own = client.post(
        f"/api/v1/auth/sign-in-link/{token}",
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    )
    assert own.status_code == 200, own.text


def test_the_same_origin_and_non_browsers_pass(client, db):
    pf = create_portal(db)
    for headers in (
        {},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://testserver"},
    ):
        response = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": ["ada@example.com"], "user_type": "internal", "role": "member"},
            headers={**pf.headers(), **headers},
        )
        assert response.status_code in (200, 201), (headers, response.text)
