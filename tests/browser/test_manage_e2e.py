"""Managing what an admin made, in a real browser: an internal team is renamed and deleted from
its row's … menu on the Contacts page, by keyboard, through the Rename dialog and the
confirmation that says what happens to its people."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import gestures

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _team_design(owner, server) -> None:
    """A new portal, its owner on Contacts with a team Design of one: herself."""
    gestures.set_up(
        owner,
        server,
        portal="Acme Inc.",
        owner_name="Olivia Owner",
        owner_email="olivia@acme.com",
        password="owner-password-123",
    )
    owner.get_by_role("link", name="Contacts").click()
    owner.get_by_label("New internal team").fill("Design")
    owner.get_by_label("Internal users (emails)").fill("olivia@acme.com")
    owner.get_by_role("button", name="Create team").click()


def test_rename_and_delete_a_team(live_server, new_context, shot):
    server = live_server
    owner = new_context().new_page()
    _team_design(owner, server)
    expect(owner.locator(".notice")).to_contain_text("Team “Design” created with 1 person.")
    row = owner.locator('#teams tr[data-team="Design"]')

    # Rename, by keyboard: the … menu opens with Enter, Rename opens its dialog with the name
    # selected, typing replaces it and Enter saves.
    menu = row.get_by_label("Actions for the team “Design”")
    # Keys go to the page, not through a locator's gesture: wait for admit.js's handlers first
    # (tests/browser/conftest.py, _when_ready), or a busy machine presses Enter before them.
    owner.wait_for_load_state("domcontentloaded")
    menu.focus()
    owner.keyboard.press("Enter")
    rename = row.get_by_role("menuitem", name="Rename")
    expect(rename).to_be_visible()
    rename.focus()
    owner.keyboard.press("Enter")
    dialog = owner.locator("dialog#rename-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Rename the team “Design”")
    field = dialog.get_by_label("New name")
    expect(field).to_be_focused()
    expect(field).to_have_value("Design")
    owner.keyboard.type("Product design")
    shot(owner, "rename-team")
    owner.keyboard.press("Enter")
    expect(owner.locator(".notice")).to_contain_text("Team “Design” is now “Product design”.")
    row = owner.locator('#teams tr[data-team="Product design"]')
    expect(row).to_have_count(1)
    expect(owner.locator('#teams tr[data-team="Design"]')).to_have_count(0)

    # Delete: the confirmation says what happens to its people; Cancel keeps it, Delete removes it.
    row.get_by_label("Actions for the team “Product design”").click()
    row.get_by_role("menuitem", name="Delete").click()
    confirm = owner.locator("dialog#confirm-dialog")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(
        "Delete the team “Product design”? Its 1 member stays in the portal and keeps the workspaces they"
        " already joined or were invited to; they can no longer be added to new workspaces through"
        " this team."
    )
    shot(owner, "delete-team")
    confirm.get_by_role("button", name="Delete").click()
    expect(owner.locator(".notice")).to_contain_text("Team “Product design” deleted.")
    expect(owner.locator("#teams")).to_contain_text("No client groups or teams yet.")


def test_see_remove_and_add_a_teams_people(live_server, new_context, shot):
    """A team's People button opens its panel (each person and where they stand); Remove asks
    first, then the panel opens again saying so; Add people puts them back."""
    owner = new_context().new_page()
    _team_design(owner, live_server)
    row = owner.locator('#teams tr[data-team="Design"]')
    row.get_by_role("button", name="1 person in the team “Design”").click()
    panel = owner.locator('dialog[data-team-people="Design"]')
    expect(panel).to_be_visible()
    person = panel.locator('tr[data-address="olivia@acme.com"]')
    expect(person).to_contain_text("Olivia Owner")
    expect(person.locator("[data-status]")).to_have_text("Joined")
    person.get_by_role("button", name="Remove Olivia Owner from “Design”").click()
    confirm = owner.locator("dialog#confirm-dialog")
    expect(confirm).to_contain_text(
        "Remove Olivia Owner from the team “Design”? They stay in the portal and in every workspace"
        " they are in, on their own."
    )
    shot(owner, "remove-from-team")
    confirm.get_by_role("button", name="Remove").click()
    panel = owner.locator('dialog[data-team-people="Design"]')
    expect(panel).to_be_visible()
    expect(panel.locator(".panel-note")).to_have_text(
        "Olivia Owner (olivia@acme.com) was removed from the team “Design”."
    )
    expect(panel).to_contain_text("Nobody in this team yet.")
    panel.get_by_label("Add people").fill("olivia@acme.com")
    panel.get_by_role("button", name="Add people").click()
    panel = owner.locator('dialog[data-team-people="Design"]')
    expect(panel.locator(".panel-note")).to_have_text("Team “Design”: 1 added.")
    expect(panel.locator('tr[data-address="olivia@acme.com"]')).to_have_count(1)
