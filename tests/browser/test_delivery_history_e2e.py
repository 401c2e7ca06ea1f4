"""An invitation's delivery history in a real browser: User Management's row menu → Delivery
history, its messages newest first, and back to the row; on a phone, each message a card."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.browser.test_invitations_e2e import OWNER_EMAIL, invite, person, row_action, set_up_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_row_menu_opens_the_history_and_leads_back(live_server, new_context):
    server = live_server
    owner = new_context().new_page()
    set_up_portal(owner, server)
    invite(owner, ["Ada Lovelace <ada@example.com>"], role="Member")
    gestures.mail_delivered(server, "ada@example.com", 1)
    owner.reload()
    row_action(owner, "ada@example.com", "Resend Invite").click()
    owner.locator("dialog#confirm-dialog").get_by_role("button", name="Send").click()
    gestures.mail_delivered(server, "ada@example.com", 2)

    row_action(owner, "ada@example.com", "Delivery history").click()

    expect(owner.get_by_role("heading", name="Delivery history")).to_be_visible()
    expect(
        owner.get_by_text("Invitation to Ada Lovelace (ada@example.com) · Internal user · Pending")
    ).to_be_visible()
    rows = owner.locator("#deliveries tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Resend")
    expect(rows.nth(1)).to_contain_text("Invitation")
    for i in range(2):
        expect(rows.nth(i).locator("[data-delivery]")).to_have_text("Sent")
        expect(rows.nth(i)).to_contain_text("ada@example.com")
    gestures.expect_no_wider_than(owner, 1280)

    phone = new_context(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
    gestures.sign_in(phone.context, server, OWNER_EMAIL, "owner-password-123")
    phone.goto(owner.url)
    expect(phone.locator("#deliveries tbody tr")).to_have_count(2)
    gestures.expect_no_wider_than(phone, 390)

    owner.get_by_role("link", name="← Back to User Management").click()
    expect(person(owner, "ada@example.com")).to_be_visible()
    expect(person(owner, "ada@example.com").locator("details.row-menu > summary")).to_be_focused()
