"""The workspace Invite panel's suggestions are a combobox (ARIA's combobox and listbox): ↓ and
↑ move through them, Enter picks the one highlighted (its chip replaces what was typed), Escape
closes the list and not the panel; Enter on text that is no address says why under the box, in
the words of the check the box already asks (recipients/check). The tester: "ia", ↓, Enter
picked nothing and "ia" stayed, so the next address typed became "iazed@clientco.com"; and
"not-an-email" + Enter said nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from admit.workspaces import service as workspaces_service
from tests.browser import gestures
from tests.factories import active_member, actor_for, create_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open_panel(new_context, live_server, viewport, member: str, user_type: str):
    """The owner on a workspace with its Invite panel open; ``member`` is in the portal."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    active_member(db, pf, member, user_type=user_type)
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        ws_id = workspaces_service.create(session, owner, name="Q3 Audit", kind="chat").id
    path = f"/p/{pf.slug}/workspaces/{ws_id}"
    page = gestures.signed_in(new_context, live_server, pf, viewport, path)
    page.get_by_role("button", name="Invite", exact=True).click()
    panel = page.locator("dialog#invite-panel")
    expect(panel).to_be_visible()
    return page, panel


@pytest.fixture
def invite_panel(new_context, live_server):
    """The owner on a workspace with its Invite panel open; Ian Inside is a member of the portal."""
    return _open_panel(new_context, live_server, gestures.DESKTOP, "ian.inside@acme.com", "internal")


def test_arrow_down_and_enter_pick_a_suggestion(invite_panel, shot):
    page, panel = invite_panel
    box = panel.get_by_role("combobox", name="Type a name, email or phone number")
    box.press_sequentially("ia")
    listbox = panel.get_by_role("listbox")
    option = listbox.get_by_role("option", name="ian.inside (ian.inside@acme.com) · Internal user")
    expect(option).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    expect(box).to_be_focused()
    shot(page, "suggestion-highlighted")
    box.press("Enter")
    expect(panel.locator('[data-chip="ian.inside"]')).to_be_visible()
    expect(box).to_have_value("")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press_sequentially("zed@clientco.com")
    box.press("Enter")
    expect(panel.locator('[data-chip="zed@clientco.com"]')).to_be_visible()
    expect(panel.locator("[data-chip]")).to_have_count(2)

    # ↑ from the top wraps to the last; Escape closes the list, the panel stays.
    box.press_sequentially("ia")
    expect(option).to_be_visible()
    box.press("ArrowUp")
    expect(option).to_have_attribute("aria-selected", "true")
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(panel).to_be_visible()
    expect(box).to_have_value("ia")


def test_enter_on_what_is_no_address_says_why(invite_panel, shot):
    page, panel = invite_panel
    box = panel.get_by_label("Type a name, email or phone number")
    box.press_sequentially("not-an-email")
    box.press("Enter")
    said = panel.locator("#invite-q_error")
    expect(said).to_have_text(
        "No one was picked for “not-an-email”, and it is not an email address or phone number: pick"
        " someone from the suggestions, or choose Invite New Client to invite them by email or phone."
    )
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(panel.locator("[data-chip]")).to_have_count(0)
    shot(page, "no-address-said")
    box.fill("")
    box.press_sequentially("ada@clientco.com")
    box.press("Enter")
    expect(panel.locator('[data-chip="ada@clientco.com"]')).to_be_visible()
    expect(said).to_have_count(0)
    expect(box).not_to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("viewport", [gestures.DESKTOP, gestures.PHONE], ids=["1280", "390"])
def test_the_first_suggestion_is_highlighted_and_a_whole_address_is_kept(
    new_context, live_server, viewport, shot
):
    """The tester: "zo" showed only Zoe, Enter did not pick her and "zo" stayed, so the next
    address typed became "zoyan@client.org". As one types what is no whole address the first
    suggestion is highlighted and Enter picks it; a whole address typed is that address, even
    when someone like it is suggested."""
    page, panel = _open_panel(new_context, live_server, viewport, "zoe@client.com", "client")
    box = panel.get_by_role("combobox", name="Type a name, email or phone number")
    box.press_sequentially("zo")
    option = panel.get_by_role("option", name="zoe (zoe@client.com) · Client")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    shot(page, "first-highlighted")
    box.press("Enter")
    expect(panel.locator('[data-chip="zoe"]')).to_be_visible()
    expect(box).to_have_value("")
    box.press_sequentially("yan@client.org")
    box.press("Enter")
    expect(panel.locator('[data-chip="yan@client.org"]')).to_be_visible()
    expect(panel.locator('[data-chip="zoyan@client.org"]')).to_have_count(0)
    # A whole address like a suggested one's is the address typed, not the one suggested.
    box.press_sequentially("zoe@client.co")
    expect(option).to_be_visible()
    expect(box).not_to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    box.press("Enter")
    expect(panel.locator('[data-chip="zoe@client.co"]')).to_be_visible()
    expect(panel.locator("[data-chip]")).to_have_count(3)
    shot(page, "whole-address-kept")
