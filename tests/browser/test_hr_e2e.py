"""Invite Users → Select from your HR system, in a real browser (issue 12): the owner opens it
from the Invite box, connects HiBob (the fake of the tests, on loopback) after granting the
fields it reads, previews the list, unticks one person and sends; the run's report and the new
invitations show. The preview is also looked at on a phone."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.directory.hr.fakes import Person, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL, PASSWORD = "olivia@acme.com", "owner-password-123"


def _run_ended(server) -> None:
    """Until the HR run is no longer waiting or running, looked for in the live server's database
    every 0.05 s, at most 10 s: the connection's page is then read once, and says how it ended.
    (The page was reloaded until it said done, every 0.1 s: each reload a page built and drawn.)"""
    from sqlalchemy import select

    from admit.directory.models import HrSyncRun

    deadline = time.monotonic() + gestures.MAIL_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with server.app.state.db.unit_of_work() as session:
            if session.scalar(select(HrSyncRun.id).where(HrSyncRun.status.not_in(("queued", "running")))):
                return
        time.sleep(0.05)


def test_connect_preview_untick_and_send(live_server, new_context, shot):
    server = live_server
    page = new_context().new_page()
    gestures.set_up(page, server, portal="Acme Inc", owner_name="Olivia Owner", owner_email=EMAIL,
                           password=PASSWORD)  # fmt: skip
    with serve("hibob") as fake:
        fake.people = [
            Person(
                id="1", first_name="Ada", last_name="Lovelace", email="ada@acme.com", department="Engineering"
            ),
            Person(id="2", first_name="Bob", last_name="Builder", email="bob@acme.com", department="Sales"),
            Person(id="3", first_name="Zoë", last_name="Ödegaard", email="zoe@acme.com", department="Sales"),
            Person(id="4", first_name="Dee", last_name="Nomail", email=""),
            Person(id="5", first_name="Cy", last_name="Gone", email="cy@acme.com", active=False),
        ]
        page.get_by_role("button", name="Invite Users").click()
        page.get_by_role("link", name="select from your HR system").click()
        expect(page.get_by_role("heading", name="Select from your HR system")).to_be_visible()
        shot(page, "hr-systems")
        page.get_by_role("link", name="Connect HiBob").click()
        expect(page.locator("#hr-fields")).to_contain_text("Employment status")
        page.get_by_label("Service user ID").fill(fake.credentials.account)
        page.get_by_label("Service user token").fill(fake.credentials.api_key)
        page.get_by_text("Advanced").click()
        page.get_by_label("API address").fill(fake.credentials.base_url)
        page.get_by_role("button", name="Connect").click()
        # Said under the box to tick, which takes the focus; what was typed stays (but the secret).
        grant = page.get_by_label("Grant Admit read access to these fields")
        expect(grant).to_have_accessible_description(
            "Grant Admit read access to the fields listed to connect."
        )
        expect(grant).to_have_attribute("aria-invalid", "true")
        expect(grant).to_be_focused()
        expect(page.get_by_label("Service user ID")).to_have_value(fake.credentials.account)
        page.get_by_label("Service user token").fill(fake.credentials.api_key)  # not kept: a secret
        page.get_by_label("Grant Admit read access to these fields").check()
        page.get_by_role("button", name="Connect").click()
        expect(page.get_by_text("HiBob is connected.")).to_be_visible()
        expect(page.locator("#api_key")).to_have_attribute("placeholder", re.compile(r"^••••••••"))

        page.get_by_role("link", name="Preview the list").click()
        expect(page.get_by_role("heading", name="5 employees in HiBob")).to_be_visible()
        expect(page.locator("#hr-counts")).to_contain_text("3 to invite")
        expect(page.locator("#hr-counts")).to_contain_text("2 skipped")
        shot(page, "hr-preview")
        page.get_by_label("Select Bob Builder").uncheck()
        expect(page.locator("#select-all")).not_to_be_checked()
        page.get_by_role("button", name="Send invitations").click()
        expect(page.get_by_text("The sync is on its way")).to_be_visible()
        _run_ended(server)  # by the live server's worker
        page.reload()
        expect(page.locator('tr[data-run="done"]')).to_contain_text("2 invited")
        shot(page, "hr-connection")
        slug = re.search(r"/p/([^/]+)/", page.url).group(1)
        page.goto(server(f"/p/{slug}/users?tab=internal"))
        expect(page.locator("#people")).to_contain_text("ada@acme.com")
        expect(page.locator("#people")).to_contain_text("zoe@acme.com")
        expect(page.locator("#people")).not_to_contain_text("bob@acme.com")

        phone_context = new_context(viewport={"width": 390, "height": 844})
        gestures.sign_in(phone_context, server, EMAIL, PASSWORD)
        phone = phone_context.new_page()
        phone.goto(server(f"/p/{slug}/hr"))
        phone.get_by_role("link", name="Open").click()
        phone.get_by_role("link", name="Preview the list").click()
        expect(phone.get_by_role("heading", name="5 employees in HiBob")).to_be_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the preview is {width}px wide on a 390px phone"
        shot(phone, "hr-preview-phone")
