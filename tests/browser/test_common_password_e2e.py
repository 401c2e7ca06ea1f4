"""A common password refused in a real browser, under its field, on the forms that choose one:
``password1`` was stopped by the browser for its length (the field's ``minlength``), in the
browser's words, and never reached the rule that names it common; setup (which lets the server
check) said its length only. A reset, as every password form, lets the server say an empty or a
short password too (``novalidate``): no bubble of the browser's in other words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.factories import create_portal, invite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMON = "password1"
SAID = "This password is one of the most common ones, the first an attacker tries: choose another."


@pytest.mark.parametrize("width", [1280, 390])
def test_accepting_an_invitation(live_server, new_context, shot, width):
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, ["ada@acme.com"], role="member")
    token = gestures.delivered_link(db, "ada@acme.com")
    ada = new_context(viewport={"width": width, "height": 860}).new_page()
    ada.goto(live_server(f"/invite/{token}"))
    ada.get_by_label("Choose a password").fill(COMMON)
    ada.get_by_role("button", name="Accept invitation").click()
    field = ada.get_by_label("Choose a password")
    expect(ada.locator("#password_error")).to_have_text(SAID)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    shot(ada, f"common-password-{width}")


def test_setting_up(live_server, new_context, shot):
    page = new_context().new_page()
    page.goto(live_server("/setup"))
    page.get_by_label("Portal name").fill("Acme Inc")
    page.get_by_label("Your email").fill("olive@acme.com")
    page.get_by_label("Password").fill(COMMON)
    page.get_by_role("button", name="Create portal").click()
    expect(page.locator("#owner_password_error")).to_have_text(SAID)
    shot(page, "setup-common-password")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_reset_says_a_short_password_under_its_field(live_server, new_context, shot, width):
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    page = new_context(viewport={"width": width, "height": 860}).new_page()
    page.goto(live_server("/forgot-password"))
    page.get_by_label("Email").fill(pf.owner_email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(live_server(f"/reset-password/{gestures.delivered_link(db, pf.owner_email, 'reset')}"))
    field = page.get_by_label("New password")
    for typed, said in (("", "A password is required."), ("short", re.compile(r"at least \d+ characters"))):
        field.fill(typed)
        page.get_by_role("button", name="Save and sign in").click()
        expect(page.locator("#password_error")).to_have_text(said)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", "password_error password_hint")
        expect(field).to_be_focused()
    expect(page.locator(".notice.error")).to_have_count(0)
    shot(page, f"reset-short-password-{width}")
