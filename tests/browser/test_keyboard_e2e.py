"""Keyboard use, as the keyboard tester found it: a skip link first on every page (it took about
twenty Tabs to reach User Management's first row), and a row's action confirmed by keyboard
brings the focus back to that row (it fell on the page's body after the reload)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.factories import create_portal, invite

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(params=[gestures.DESKTOP, gestures.PHONE], ids=["desktop", "phone"])
def users_page(request, new_context, live_server):
    """User Management with three pending invitations, its owner signed in, at both widths."""
    pf = create_portal(live_server.app.state.db, owner_email="olive@acme.com")
    invite(live_server.app.state.db, pf, ["ada@acme.com", "bob@acme.com", "cy@acme.com"])
    page = gestures.signed_in(new_context, live_server, pf, request.param, f"/p/{pf.slug}/users")
    page.wait_for_load_state("load")
    return page, pf, request.param


def focused(page) -> str:
    """What has the focus: its tag and text."""
    return page.evaluate("`${document.activeElement.tagName} ${document.activeElement.textContent.trim()}`")


def test_the_first_tab_reaches_skip_to_content_which_jumps_into_the_page(
    new_context, live_server, shot, users_page
):
    page, _, viewport = users_page
    skip = page.get_by_role("link", name="Skip to content")
    # Out of sight until it has the focus.
    box = skip.bounding_box()
    assert box is None or box["width"] <= 1 or box["y"] + box["height"] <= 0, box
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    shot(page, "skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab is in the page's content, not the top bar.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), focused(page)
    # So on a page with no portal's bar: sign-in.
    other = new_context(viewport=viewport).new_page()
    other.goto(live_server("/login"))
    other.wait_for_load_state("load")
    other.keyboard.press("Tab")
    expect(other.get_by_role("link", name="Skip to content")).to_be_focused()


def test_a_row_action_confirmed_by_keyboard_comes_back_to_its_row(live_server, shot, users_page):
    page, pf, _ = users_page
    row = page.locator('#people tr[data-address="bob@acme.com"]')
    menu = row.get_by_label("Actions for bob@acme.com")
    menu.focus()
    page.keyboard.press("ArrowDown")  # opens the menu on its first item (seed 000's Resend Invite)
    expect(row.get_by_role("menuitem", name="Resend Invite")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(row.get_by_role("menuitem", name="Revoke")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Revoke").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    notice = page.get_by_role("status")
    expect(notice).to_have_text("Invitation to bob@acme.com revoked.")
    row = page.locator('#people tr[data-address="bob@acme.com"]')
    expect(row.locator("[data-status]")).to_have_text("Revoked")
    # The focus is back on the row's … button (what was used), the notice read with it.
    expect(row.get_by_label("Actions for bob@acme.com")).to_be_focused()
    described = page.evaluate("document.activeElement.getAttribute('aria-describedby')")
    assert described and page.locator(f"#{described}").inner_text() == "Invitation to bob@acme.com revoked."
    shot(page, "revoked-row-focused")
    # The address keeps no fragment: reloading does not jump again.
    assert "#" not in page.url
    # A row the list no longer shows (Status: Pending, and it revoked): the notice has the focus.
    page.goto(live_server(f"/p/{pf.slug}/users?status=pending"))
    page.wait_for_load_state("load")
    row = page.locator('#people tr[data-address="cy@acme.com"]')
    row.get_by_label("Actions for cy@acme.com").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(row.get_by_role("menuitem", name="Revoke")).to_be_focused()
    page.keyboard.press("Enter")
    page.locator("#confirm-dialog").get_by_role("button", name="Revoke").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page.locator('#people tr[data-address="cy@acme.com"]')).to_have_count(0)
    expect(page.get_by_role("status")).to_be_focused()
