"""An owner's own account and keys, in a real browser: Forgot password? from the sign-in page
(the emailed link works once; the old password stops working), and Settings → API keys (a key
is shown once, works on the API, and stops working when it is revoked)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.browser.test_invitations_e2e import invite, open_mailbox, sign_in, sign_out
from tests.factories import create_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER = {"portal": "Acme Inc.", "owner_name": "Olivia Owner", "owner_email": "olivia@acme.com"}


def _api_status(url: str, key: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_forgot_password_sends_a_link_that_works_once(live_server, new_context, shot):
    server = live_server
    page = new_context().new_page()
    gestures.set_up(page, server, **OWNER, password="owner-password-123")
    sign_out(page, "Olivia Owner")

    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.get_by_label("Email").fill("olivia@acme.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.locator("main")).to_contain_text("olivia@acme.com")
    shot(page, "reset-sent")

    # An unknown address gets the very same answer (nothing tells who has an account).
    page.goto(server("/forgot-password"))
    page.get_by_label("Email").fill("nobody@acme.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    rows = open_mailbox(page, server, "olivia@acme.com", 1)  # the reset (nobody-at-all got none)
    rows.first.get_by_role("link").click()
    link = page.locator('pre.mail a[href*="/reset-password/"]').get_attribute("href")
    assert link and link.startswith(server("/reset-password/")), link
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password").fill("a-brand-new-secret-42")
    page.get_by_role("button", name="Save and sign in").click()
    expect(page).to_have_url(re.compile(r"/p/[^/]+/users"))
    sign_out(page, "Olivia Owner")

    # The link worked once; the old password no longer signs in; the new one does.
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).not_to_be_visible()
    page.goto(server("/login"))
    page.get_by_label("Email", exact=True).fill("olivia@acme.com")
    page.get_by_label("Password").fill("owner-password-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/login"))
    sign_in(page, server, "olivia@acme.com", "a-brand-new-secret-42")
    expect(page).to_have_url(re.compile(r"/p/[^/]+/users"))


def test_an_api_key_is_shown_once_works_and_is_revoked(live_server, new_context, shot):
    server = live_server
    page = new_context().new_page()
    gestures.set_up(page, server, **OWNER, password="owner-password-123")
    slug = re.search(r"/p/([^/]+)/", page.url).group(1)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name", exact=True).fill("HR sync")
    page.get_by_label("Expires after (days, optional)").fill("30")
    page.get_by_role("button", name="Create key").click()

    shown = page.locator("[data-new-key]")
    expect(shown).to_contain_text("shown this once")
    secret = page.get_by_label("The new API key").input_value()
    assert len(secret) > 20
    row = page.locator('#api-keys tr[data-key="HR sync"]')
    expect(row).to_contain_text("Olivia Owner")
    expect(row).to_contain_text("Never")  # not used yet
    shot(page, "api-key-created")
    people = server(f"/api/v1/portals/{slug}/people")
    assert _api_status(people, secret) == 200

    # Shown once: after a reload the page lists the key by its prefix only, now used.
    page.reload()  # a plain GET: reloading never sends the form again (no second key)
    expect(page.locator("[data-new-key]")).to_have_count(0)
    expect(page.locator("#api-keys tbody tr[data-key]")).to_have_count(1)  # this one: setup makes none
    assert secret not in page.content()
    expect(row.locator('td[data-label="Last used"]')).not_to_have_text("Never")

    row.get_by_role("button", name="Revoke").click()
    confirm = page.locator("dialog#confirm-dialog")
    expect(confirm).to_contain_text("Revoke the key “HR sync”?")
    confirm.get_by_role("button", name="Revoke").click()
    expect(row.locator(".badge")).to_have_text("Revoked")
    assert _api_status(people, secret) == 401


def test_your_account_changes_the_password_and_turns_two_step_verification_on(live_server, new_context, shot):
    """From the profile menu: Your account. A wrong current password is refused beside its field;
    the right one changes it and signs another browser out. Two-step verification is set up there
    (the QR code's otpauth URI read off the page, codes computed as an app would), its recovery
    codes shown once, and the next sign-in asks for a code. At 390 px every control is on screen."""
    import pyotp

    server = live_server
    context = new_context()
    page = context.new_page()
    gestures.set_up(page, server, **OWNER, password="owner-password-123")
    elsewhere = new_context()
    gestures.sign_in(elsewhere, server, "olivia@acme.com", "owner-password-123")

    # The profile menu by keyboard: Tab passes over its items until its button opens it (they
    # were four Tab stops on every page); Escape closes it and gives the focus back.
    profile = page.get_by_role("button", name="Olivia Owner")
    menu = page.locator("#profile-menu")
    profile.focus()
    expect(menu).to_be_hidden()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#profile-menu') === null")
    profile.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(profile).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#profile-menu') !== null")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(profile).to_be_focused()

    profile.hover()
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_label("Current password").fill("not-my-password-1")
    # Show / Hide inside a password field: what was typed, seen, and hidden again.
    current = page.get_by_label("Current password")
    show = page.locator(".reveal:has(#current_password) .reveal-toggle")
    # aria-pressed says the state to a screen reader: true while the password is shown.
    expect(show).to_have_text("Show")
    expect(show).to_have_attribute("aria-pressed", "false")
    show.click()
    expect(current).to_have_attribute("type", "text")
    expect(current).to_have_value("not-my-password-1")
    expect(show).to_have_text("Hide")
    expect(show).to_have_attribute("aria-pressed", "true")
    show.click()
    expect(current).to_have_attribute("type", "password")
    expect(show).to_have_attribute("aria-pressed", "false")
    page.get_by_label("New password").fill("a-brand-new-secret-42")
    page.get_by_role("button", name="Change password").click()
    # Said under the field, as every password form says a refusal.
    expect(page.locator("#current_password_error")).to_have_text("That is not your current password.")
    expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Current password").fill("owner-password-123")
    page.get_by_label("New password").fill("a-brand-new-secret-42")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed. Every other browser is signed out.")).to_be_visible()
    other = elsewhere.new_page()
    other.goto(server("/me/account"))
    expect(other.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_role("link", name="Set up two-step verification").click()
    uri = page.locator("[data-otpauth]").get_attribute("data-otpauth")
    totp = pyotp.TOTP(re.search(r"secret=([A-Z2-7]+)", uri).group(1))
    # Letters in the code: the browser refuses them in the server's words for a wrong code, not
    # its generic "Please match the requested format."
    code = page.get_by_label("Code from the app")
    code.fill("12ab")
    page.get_by_role("button", name="Turn on").click()
    said = code.evaluate("e => e.validationMessage")
    assert said == "Use the 6-digit code your authenticator app shows now.", said
    code.fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    shot(page, "account-recovery-codes")
    page.get_by_role("link", name="I have saved them — continue").click()
    expect(page.locator("#two-factor .badge")).to_have_text("On")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "account-390")
    wide = page.evaluate(
        """() => Array.from(document.querySelectorAll("main input, main button, main a.btn"))
             .filter((e) => e.getBoundingClientRect().right > innerWidth).length"""
    )
    assert wide == 0

    sign_out(page, "Olivia Owner")
    page.get_by_label("Email", exact=True).fill("olivia@acme.com")
    page.get_by_label("Password").fill("a-brand-new-secret-42")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()


def test_the_dev_mailbox_reads_on_a_phone(live_server, new_context, shot):
    """The new-user tester: at 390 px the dev mailbox's rows stand as cards, every cell on the
    screen (the table had run off it, cutting the subject: here a text message's link)."""
    server = live_server
    page = new_context().new_page()
    gestures.set_up(page, server, **OWNER, password="owner-password-123")
    invite(page, ["+1 202 555 0173"], user_type="Client")
    page.set_viewport_size({"width": 390, "height": 844})
    rows = open_mailbox(page, server, "+12025550173", 1)
    shot(page, "mailbox-390")
    cells = rows.first.locator("td")
    expect(cells).to_have_count(3)
    for i in range(3):
        box = cells.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (i, box)
    expect(rows.first.get_by_role("link")).to_be_in_viewport()
    table = "document.querySelector('#mailbox')"
    assert page.evaluate(f"{table}.scrollWidth <= {table}.clientWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_refusal_on_the_account_page_is_said_under_its_field_which_has_the_focus(
    live_server, new_context, shot, width
):
    """The account page's forms come back at their section (``#password-section``,
    ``#two-factor-section``), whose scroll took the focus from the field at fault: it is given
    back, so that the field said to be wrong is the one typed in next; a wrong code stays in it."""
    pf = create_portal(live_server.app.state.db)
    page = gestures.signed_in(new_context, live_server, pf, {"width": width, "height": 860}, "/me/account")
    page.get_by_label("Current password").fill("owner-password-123")
    page.get_by_role("button", name="Change password").click()
    field = page.get_by_label("New password")
    expect(page.locator("#password_error")).to_have_text("A password is required.")
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()

    page.goto(live_server("/me/account/two-factor"))
    secret = page.locator("#totp-key").get_attribute("data-key")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("link", name=re.compile("I have saved them")).click()
    page.locator("#code").fill("123456")
    page.get_by_role("button", name="Get new recovery codes").click()
    expect(page.locator("#code_error")).to_contain_text("That code is not right.")
    expect(page.locator("#code")).to_have_value("123456")
    expect(page.locator("#code")).to_be_focused()
    expect(page.locator("#off_code")).to_have_value("")
    expect(page.locator(".notice.error")).to_have_count(0)
    shot(page, f"account-wrong-code-{width}")
