"""A refused dialog in a real browser: it opens again with what was typed, the reason under the
field at fault (marked invalid, the focus on it). A Contacts "+" dialog and the rename dialog of a
workspace's role; screenshots at a phone's width and a desktop's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import gestures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMPTY = "Enter an email address or phone number."  # it said "The address is empty."


def set_up_portal(page: Page, server) -> None:
    gestures.set_up(
        page,
        server,
        portal="Acme Inc.",
        owner_name="Olivia Owner",
        owner_email="olivia@acme.com",
        password="owner-password-123",
    )


def _invite_a_client(new_context, server):
    """The owner's page with Contacts' Invite a client dialog open, Name typed: (page, dialog)."""
    owner = new_context().new_page()
    set_up_portal(owner, server)
    owner.get_by_role("link", name="Contacts").click()
    owner.get_by_role("button", name="Add").click()
    owner.get_by_role("button", name="Invite a client", exact=True).click()
    dialog = owner.locator("dialog#contact-client")
    dialog.get_by_label("Name").fill("Quinn Client")
    return owner, dialog


def test_a_contacts_dialog_keeps_what_was_typed(live_server, new_context, shot):
    owner, dialog = _invite_a_client(new_context, live_server)
    dialog.get_by_label("Email or phone number").fill("quinn@@clientco")
    dialog.get_by_role("button", name="Next").click()
    # Next reads the address as Send will: a mistyped one is said at once, on the details (it
    # went on to the endings and was said only after one was chosen; the tester), under the
    # field as the server says it, not in the browser's bubble.
    address = dialog.get_by_label("Email or phone number")
    said = dialog.locator("#c-client-recipient_error")
    expect(said).to_have_text("Not an email address: it has two @.")
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(address).to_be_focused()
    expect(address).to_have_js_property("validationMessage", "")
    expect(dialog.get_by_role("button", name="Add to Contacts Quietly")).to_be_hidden()
    address.fill("quinn@clientco.org, ada@example.com")
    dialog.get_by_role("button", name="Next").click()
    expect(said).to_have_text("One person at a time: one email or phone number.")

    # Refused by the server (the check cannot see it: a browser without JavaScript, or a check
    # that failed), the page comes back with the dialog open on the details, as typed, the
    # reason under the address.
    owner.evaluate("document.querySelector('#c-client-recipient').removeAttribute('data-check-one')")
    address.fill("quinn.client.org")
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("button", name="Add to Contacts Quietly").click()
    expect(dialog).to_be_visible()
    address = dialog.get_by_label("Email or phone number")
    expect(address).to_have_value("quinn.client.org")
    expect(dialog.get_by_label("Name")).to_have_value("Quinn Client")
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(address).to_be_focused()
    said = dialog.locator("#c-client-recipient_error")
    expect(said).to_have_text("An email address must have an @-sign.")
    expect(address).to_have_accessible_description("An email address must have an @-sign.")
    expect(owner.locator("main .notice.error")).to_have_count(0)  # said once, in the dialog
    shot(owner, "contact-refused-desktop")
    owner.set_viewport_size({"width": 390, "height": 844})
    expect(said).to_be_in_viewport()
    shot(owner, "contact-refused-phone")

    # Corrected, it goes through.
    address.fill("quinn@client.org")
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("button", name="Add to Contacts Quietly").click()
    expect(owner.locator(".notice")).to_contain_text("Nothing was sent.")
    expect(owner.locator('#contacts tr[data-address="quinn@client.org"]')).to_have_count(1)


def test_the_rename_dialog_keeps_the_name_typed(live_server, new_context, shot):
    owner = new_context().new_page()
    set_up_portal(owner, live_server)
    owner.get_by_role("link", name="Workspaces", exact=True).click()
    owner.get_by_label("New workspace").fill("Q3 Audit")
    owner.get_by_label("Kind").select_option("flow")
    owner.get_by_label("Roles").fill("Reviewer, Client signer")
    owner.get_by_role("button", name="Create workspace").click()
    expect(owner.get_by_role("heading", name="Q3 Audit")).to_be_visible()
    workspace_url = owner.url

    owner.get_by_label("More for the role “Reviewer”").click()
    owner.get_by_role("menuitem", name="Rename").first.click()
    dialog = owner.locator("dialog#rename-dialog")
    expect(dialog.get_by_role("heading", name="Rename the role “Reviewer”")).to_be_visible()
    dialog.get_by_label("New name").fill("Client signer")
    dialog.get_by_role("button", name="Rename").click()

    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Rename the role “Reviewer”")).to_be_visible()
    name = dialog.get_by_label("New name")
    expect(name).to_have_value("Client signer")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()
    expect(dialog.locator("#rename-name_error")).to_have_text("This flow already has a role “Client signer”.")
    shot(owner, "rename-refused-desktop")
    owner.set_viewport_size({"width": 390, "height": 844})
    shot(owner, "rename-refused-phone")
    owner.set_viewport_size({"width": 1280, "height": 860})

    # Cancelled, another rename opens clean: the refusal was not about it.
    dialog.get_by_role("button", name="Cancel").click()
    owner.get_by_label("More for the role “Client signer”").click()
    owner.get_by_role("menuitem", name="Rename").last.click()
    expect(dialog.get_by_role("heading", name="Rename the role “Client signer”")).to_be_visible()
    expect(dialog.get_by_label("New name")).to_have_value("Client signer")
    expect(dialog.locator(".field-error")).to_have_count(0)
    expect(dialog.get_by_label("New name")).not_to_have_attribute("aria-invalid", "true")

    # The first, renamed to a free name, goes through.
    dialog.get_by_role("button", name="Cancel").click()
    owner.get_by_label("More for the role “Reviewer”").click()
    owner.get_by_role("menuitem", name="Rename").first.click()
    dialog.get_by_label("New name").fill("Lead reviewer")
    dialog.get_by_role("button", name="Rename").click()
    expect(owner.locator(".notice")).to_contain_text("Role “Reviewer” is now “Lead reviewer”.")

    # A refusal reloaded (it was shown at the rename's address): the workspace again, not
    # "Page not found".
    owner.get_by_label("More for the role “Lead reviewer”").click()
    owner.get_by_role("menuitem", name="Rename").first.click()
    dialog.get_by_label("New name").fill("Client signer")
    dialog.get_by_role("button", name="Rename").click()
    expect(dialog.locator("#rename-name_error")).to_be_visible()
    assert owner.url.endswith("/rename")
    owner.reload()
    expect(owner.get_by_role("heading", name="Q3 Audit")).to_be_visible()
    assert owner.url == workspace_url
    expect(dialog).to_be_hidden()


def test_an_empty_field_is_the_servers_to_say_not_a_bubble(live_server, new_context, shot):
    """A Contacts dialog and New workspace sent with their field empty, at 1280 wide: no bubble
    of the browser's (the forms are novalidate), the server's words under the field, marked,
    focused, the rest as typed. Next stops on the empty address as on a mistyped one (it went
    on to the endings, and "The address is empty." came only after one was chosen)."""
    owner, dialog = _invite_a_client(new_context, live_server)
    dialog.get_by_role("button", name="Next").click()
    address = dialog.get_by_label("Email or phone number")
    expect(dialog.locator("#c-client-recipient_error")).to_have_text(EMPTY)
    expect(dialog.get_by_role("button", name="Add to Contacts Quietly")).to_be_hidden()
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(address).to_be_focused()
    expect(address).to_have_accessible_description(EMPTY)
    expect(dialog.get_by_label("Name")).to_have_value("Quinn Client")
    shot(owner, "contact-empty-address-desktop")
    # Without the check (it failed, or no JavaScript), the server says it once an ending is chosen.
    owner.evaluate("document.querySelector('#c-client-recipient').removeAttribute('data-check-one')")
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("button", name="Add to Contacts Quietly").click()
    expect(dialog).to_be_visible()
    expect(dialog.locator("#c-client-recipient_error")).to_have_text(EMPTY)
    expect(address).to_be_focused()

    owner.goto(owner.url.replace("/contacts", "/workspaces"))
    owner.get_by_label("Kind").select_option("flow")
    owner.get_by_label("Roles").fill("Reviewer")
    owner.get_by_role("button", name="Create workspace").click()
    name = owner.get_by_label("New workspace")
    expect(owner.locator("#ws_name_error")).to_have_text("The workspace needs a name.")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()
    expect(owner.get_by_label("Roles")).to_have_value("Reviewer")
    shot(owner, "workspace-empty-name-desktop")
    owner.set_viewport_size({"width": 390, "height": 844})
    expect(owner.locator("#ws_name_error")).to_be_in_viewport()
    shot(owner, "workspace-empty-name-phone")
