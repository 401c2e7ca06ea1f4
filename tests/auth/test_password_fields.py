"""Every form that chooses a password says a refused one the same way (the tester: on the
sign-up confirmation and the reset page it stood in a red box above the form, the field not
marked; on setup and an invitation, under the field): under the password field, which is marked
invalid and takes the focus, beside the hint that names every rule; nothing on top. Every such
form is ``novalidate``, as accepting an invitation is: the browser's own bubbles ("Please fill
out this field", "lengthen this text") never stand in for the server's words. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta

from admit.kit import clock
from tests.factories import (
    OWNER_PASSWORD,
    active_member,
    create_portal,
    csrf_of,
    form_of,
    invite,
    last_link,
    said_under,
    sign_in_page,
)

COMMON = "password123"


def _said_as_every_password_form_says_it(page_text: str, field: str = "password") -> str:
    said = said_under(page_text, field)
    tag = re.search(rf'<input id="{field}"[^>]*>', page_text)
    assert (
        tag
        and "autofocus" in tag.group(0)
        and f'aria-describedby="{field}_error {field}_hint"' in tag.group(0)
    ), tag
    assert f'<div class="hint" id="{field}_hint">At least 10 characters' in page_text
    assert 'class="notice error"' not in page_text
    assert "novalidate" in form_of(page_text, field), form_of(page_text, field)
    return said


def test_setup(client, db):
    page = client.get("/setup")
    data = {"portal_name": "Acme", "owner_email": "olive@acme.com", "owner_password": COMMON}
    refused = client.post("/setup", data={**data, "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 422
    assert "most common" in _said_as_every_password_form_says_it(refused.text, "owner_password")


def test_accepting_an_invitation(client, db, worker):
    pf = create_portal(db)
    invite(db, pf, ["rita@acme.com"])
    worker.drain()
    token = last_link(db, "rita@acme.com")
    page = client.get(f"/invite/{token}")
    data = {"csrf_token": csrf_of(page.text), "name": "Rita", "password": COMMON}
    refused = client.post(f"/invite/{token}", data=data)
    assert refused.status_code == 422
    assert "most common" in _said_as_every_password_form_says_it(refused.text)


def test_confirming_a_sign_up(client, db, worker):
    pf = create_portal(db)
    made = client.post(f"/api/v1/portals/{pf.slug}/link", json={}, headers=pf.headers())
    assert made.status_code in (200, 201), made.text
    on = client.patch(f"/api/v1/portals/{pf.slug}/link", json={"enabled": True}, headers=pf.headers())
    link = on.json()["url"].rsplit("/join/", 1)[1]
    form = client.get(f"/join/{link}")
    sent = client.post(
        f"/join/{link}", data={"csrf_token": csrf_of(form.text), "email": "dave@acme.com", "name": "Dave"}
    )
    assert sent.status_code == 200, sent.text
    worker.drain()
    text = client.get("/api/v1/dev/messages", params={"to": "dave@acme.com"}).json()["items"][0]["text"]
    path = re.search(r"https?://[^/]+(/confirm/[A-Za-z0-9_-]+)", text).group(1)
    page = client.get(path)
    for typed, words in (("", "A password is required."), (COMMON, "most common")):
        refused = client.post(path, data={"csrf_token": csrf_of(page.text), "password": typed})
        assert refused.status_code == 422
        assert words in _said_as_every_password_form_says_it(refused.text)


def test_a_reset(client, db, worker):
    pf = create_portal(db)
    form = client.get("/forgot-password")
    client.post("/forgot-password", data={"csrf_token": csrf_of(form.text), "email": pf.owner_email})
    worker.drain()
    token = last_link(db, pf.owner_email, "reset")
    page = client.get(f"/reset-password/{token}")
    refused = client.post(
        f"/reset-password/{token}", data={"csrf_token": csrf_of(page.text), "password": "short"}
    )
    assert refused.status_code == 422
    assert "at least 10 characters" in _said_as_every_password_form_says_it(refused.text)
    assert refused.text.count('type="password"') == 1


def test_the_sign_in_step_that_asks_for_one(client, db, worker):
    """A passwordless client, signed in by a code, in a portal that asks clients for a password."""
    pf = create_portal(db)
    active_member(db, pf, "cleo@client.org", user_type="client", password=None)
    body = {"client_sign_in": {"require_password": True}}
    assert (
        client.patch(f"/api/v1/portals/{pf.slug}/settings", json=body, headers=pf.headers()).status_code
        == 200
    )
    with clock.travel(timedelta(minutes=5)):
        client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@client.org"})
        worker.drain()
        sent = client.get("/api/v1/dev/messages", params={"to": "cleo@client.org"}).json()["items"][0]
        code = "".join(re.search(r"on the sign-in page: (\d{3}) (\d{3})", sent["text"]).groups())
        r = client.post("/api/v1/auth/sign-in-code", json={"email": "cleo@client.org", "code": code})
        assert r.status_code == 200, r.text
        page = client.get(f"/p/{pf.slug}/sign-in/steps")
        assert "<h1>Choose a password</h1>" in page.text
        data = {"csrf_token": csrf_of(page.text), "password": COMMON}
        refused = client.post(f"/p/{pf.slug}/sign-in/password", data=data)
        assert refused.status_code == 422
        assert "most common" in _said_as_every_password_form_says_it(refused.text)


def test_the_forms_share_one_field(client, db):
    """One macro draws every such field (``_fields.html``'s ``new_password``): no page draws its own."""
    from pathlib import Path

    import admit.pages

    templates = Path(admit.pages.__file__).parent / "templates"
    drawn_by_hand = [
        str(t.relative_to(templates))
        for t in templates.rglob("*.html")
        if t.name != "_fields.html" and 'autocomplete="new-password"' in t.read_text()
    ]
    assert drawn_by_hand == [], drawn_by_hand


def test_the_account_page(client, db):
    pf = create_portal(db)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get("/me/account")
    data = {"current_password": OWNER_PASSWORD, "password": COMMON, "csrf_token": csrf_of(page.text)}
    refused = client.post("/me/account/password", data=data)
    assert refused.status_code == 422
    said = _said_as_every_password_form_says_it(refused.text)
    assert "most common" in said and "Changing it signs you out of every other browser." in refused.text


def test_the_account_pages_current_password(client, db):
    """A wrong current password is said under its own field, the new one's field not marked."""
    pf = create_portal(db)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get("/me/account")
    data = {"current_password": "not-it-at-all", "password": "violet-harbour-lantern-42"}
    refused = client.post("/me/account/password", data={**data, "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 422
    assert said_under(refused.text, "current_password") == "That is not your current password."
    assert "novalidate" in form_of(refused.text, "current_password")
    assert 'class="notice error"' not in refused.text
    assert "aria-invalid" not in re.search(r'<input id="password"[^>]*>', refused.text).group(0)


def test_sign_in_and_forgot_password_say_an_empty_field_in_the_servers_words(client, db):
    """The last forms a signed-out person meets that still let the browser's "Please fill out
    this field" bubble speak for them: signing in and asking for a reset. The server already
    says it under the field ("Enter your email address."); the forms are novalidate."""
    create_portal(db)
    page = client.get("/login")
    assert "novalidate" in form_of(page.text, "email"), form_of(page.text, "email")
    refused = client.post("/login", data={"csrf_token": csrf_of(page.text), "email": "", "password": ""})
    assert refused.status_code == 422
    assert said_under(refused.text, "email") == "Enter your email address."
    assert "novalidate" in form_of(refused.text, "email")
    page = client.get("/forgot-password")
    assert "novalidate" in form_of(page.text, "email"), form_of(page.text, "email")
    refused = client.post("/forgot-password", data={"csrf_token": csrf_of(page.text), "email": ""})
    assert said_under(refused.text, "email") == "Enter your email address or phone number."
