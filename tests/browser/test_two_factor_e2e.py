"""Two-step verification in a real browser (issue 11): an owner turns it on for internal users
in Settings; at the next sign-in the portal asks to set up an authenticator app — the test reads
the QR code's otpauth URI from the page and computes codes with pyotp, as an app would — then
shows the recovery codes once; the sign-in after asks for a code; a recovery code works once."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.browser.test_invitations_e2e import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL, PASSWORD = "olivia@acme.com", "owner-password-123"


def sign_in_to_code(page, server) -> None:
    page.goto(server("/login"))
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/login/two-factor"))


def fresh_code(totp: pyotp.TOTP, used: set[str]) -> str:
    """The app's code now, or the next step's when now's was used (a code works once; Admit
    takes one step either side of now)."""
    for ahead in (0, 30):
        code = totp.at(time.time() + ahead)
        if code not in used:
            used.add(code)
            return code
    raise AssertionError("no fresh code")


def test_turn_on_set_up_sign_in_with_a_code_and_a_recovery_code(live_server, new_context, shot):
    server = live_server
    page = new_context().new_page()
    gestures.set_up(page, server, portal="Acme Inc", owner_name="Olivia Owner", owner_email=EMAIL,
                           password=PASSWORD)  # fmt: skip
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Require two-step verification for internal users").check()
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    sign_out(page, "Olivia Owner")

    sign_in_to_code(page, server)
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    uri = page.locator("[data-otpauth]").get_attribute("data-otpauth")
    assert uri.startswith("otpauth://totp/") and "issuer=Acme%20Inc" in uri
    totp = pyotp.parse_uri(uri)
    page.get_by_text("Can't scan it? Type this key instead").click()
    expect(page.locator("#totp-key")).to_have_attribute("data-key", totp.secret)
    # Shown in groups of four, for typing by hand; the phone's own app opens from the link.
    expect(page.locator("#totp-key")).to_have_text(" ".join(re.findall(".{1,4}", totp.secret)))
    expect(page.locator("#totp-open")).to_have_attribute("href", re.compile(r"^otpauth://totp/"))
    shot(page, "two-factor-setup")
    used: set[str] = set()
    page.get_by_label("Code from the app").fill(fresh_code(totp, used))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have saved them — continue").click()
    expect(page).to_have_url(re.compile(r"/p/[^/]+/users"))
    sign_out(page, "Olivia Owner")

    sign_in_to_code(page, server)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    expect(page.get_by_label("Code from the app")).to_have_attribute("inputmode", "numeric")
    page.get_by_label("Code from the app").fill(fresh_code(totp, used))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/p/[^/]+/users"))
    sign_out(page, "Olivia Owner")

    for attempt in range(2):
        sign_in_to_code(page, server)
        # A phone's digit keypad cannot type a recovery code: it has a text field of its own.
        page.get_by_role("link", name="Use a recovery code").click()
        expect(page.get_by_label("Recovery code")).not_to_have_attribute("inputmode", "numeric")
        page.get_by_label("Recovery code").fill(codes[0])
        page.get_by_role("button", name="Verify").click()
        if attempt == 0:
            expect(page).to_have_url(re.compile(r"/p/[^/]+/users"))
            sign_out(page, "Olivia Owner")
        else:
            # Refused under the field, the code kept as typed (it was a box above the form).
            expect(page.locator("#code_error")).to_contain_text("That code is not right")
            expect(page.get_by_label("Recovery code")).to_have_attribute("aria-invalid", "true")
            expect(page.get_by_label("Recovery code")).to_have_value(codes[0])
