"""The invite link in a real browser: Share Invite Link → Copy Link (read back from the
clipboard) → Refresh Link → the old link is gone → sign up through the new one → confirm from
the dev mailbox → in. Then the admin narrows the link to one email domain and sees who joined.

Every step goes through the pages as a person would; emails are read at /dev/mailbox, where
the live server's worker delivers them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import gestures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PORTAL = "Acme Inc."
OWNER_NAME = "Olivia Owner"
OWNER_EMAIL = "olivia@acme.com"
OWNER_PASSWORD = "owner-password-123"
LIN_PASSWORD = "lin-password-2024"


def set_up_portal(page: Page, server) -> None:
    gestures.set_up(
        page, server, portal=PORTAL, owner_name=OWNER_NAME, owner_email=OWNER_EMAIL, password=OWNER_PASSWORD
    )


def share_tab(page: Page):
    """Invite Users → the modal's Share Invite Link tab."""
    dialog = page.locator("dialog#invite-dialog")
    if not dialog.is_visible():
        page.get_by_role("button", name="Invite Users").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("tab", name="Share Invite Link").click()
    expect(dialog.get_by_label("Invite link", exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name="Send Invitation")).to_be_hidden()
    # Nothing to cancel here: the footer closes it with Done (Cancel is the Invite tab's).
    expect(dialog.get_by_role("button", name="Cancel")).to_be_hidden()
    expect(dialog.get_by_role("button", name="Done")).to_be_visible()
    return dialog


def copy_link(page: Page, dialog) -> str:
    """Copy Link; the page says so; return what is on the clipboard."""
    dialog.get_by_role("button", name="Copy Link").click()
    expect(dialog.locator("[data-copied]")).to_have_text("Link copied to the clipboard.")
    return page.evaluate("navigator.clipboard.readText()")


def newest_email(page: Page, server, to: str) -> str:
    """Open the newest email to ``to`` in the dev mailbox; return its plain text."""
    gestures.mail_delivered(server, to)
    page.goto(server("/dev/mailbox"))
    rows = page.locator(f'#mailbox tbody tr[data-to="{to}"]')
    expect(rows.first).to_be_visible()
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Plain text")).to_be_visible()
    return page.locator("pre.mail").inner_text()


def person(page: Page, address: str):
    return page.locator(f'#people tbody tr[data-address="{address}"]')


def test_copy_refresh_sign_up_and_confirm(live_server, new_context, shot):
    server = live_server
    owner_context = new_context()
    owner_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    owner = owner_context.new_page()
    owner.clock.install()  # Playwright's: the delivery badges' rounds are jumped to
    set_up_portal(owner, server)
    users_url = owner.url.split("?")[0]

    # 1. Share Invite Link: a new link is off. The tab says so, and Copy Link waits until it is
    #    on (whoever got it would meet a dead end); "Turn on the invite link" (one click: the tab
    #    has said what it lets in).
    dialog = share_tab(owner)
    shown = dialog.get_by_label("Invite link", exact=True).input_value()
    assert re.fullmatch(re.escape(server("/join/")) + r"[A-Za-z0-9_-]{43}", shown), shown
    expect(dialog).to_contain_text("0 joined through this link")
    expect(dialog.locator("[data-link-off]")).to_contain_text("The invite link is off: nobody can join")
    expect(dialog.locator("[data-link-state]")).to_have_text("Off")
    expect(dialog.get_by_role("button", name="Copy Link")).to_be_disabled()
    expect(dialog.locator("[data-copy-why]")).to_have_text("The link is off: turn it on before you share it.")
    expect(dialog.locator("[data-link-off]")).to_contain_text("Once on, anyone who has it can sign up")
    dialog.get_by_role("button", name="Turn on the invite link").click()  # one click, no question
    dialog = owner.locator("dialog#invite-dialog")
    expect(dialog.get_by_role("status")).to_contain_text("The invite link is on")  # in the dialog
    expect(dialog.locator("[data-link-state]")).to_have_text("Active")
    expect(dialog.locator("[data-link-off]")).to_have_count(0)
    assert dialog.get_by_label("Invite link", exact=True).input_value() == shown  # the same link, now on

    # 1b. Copy Link puts the link on the clipboard and says so.
    first_link = copy_link(owner, dialog)
    assert first_link == shown
    shot(owner, "share-invite-link")

    # 2. Refresh Link (asks first); the modal comes back on the same tab with a new link.
    dialog.get_by_role("button", name="Refresh Link").click()
    confirm = owner.locator("dialog#confirm-dialog")
    expect(confirm).to_contain_text("The current link stops working for everyone at once.")
    # Titled, as the Invite modal it opens over is (the tester: a question with no heading).
    expect(confirm.get_by_role("heading", name="Refresh Link?")).to_be_visible()
    expect(owner.get_by_role("dialog", name="Refresh Link?")).to_be_visible()
    confirm.get_by_role("button", name="Refresh Link").click()
    # Said inside the dialog, in a live region there that takes the focus (it stood at the top
    # of User Management, under the dimmed overlay, the focus on the dialog's ×).
    dialog = owner.locator("dialog#invite-dialog")
    expect(dialog).to_be_visible()
    said = dialog.get_by_role("status")
    expect(said).to_have_text("Invite link refreshed. The previous link no longer works.")
    expect(said).to_be_focused()
    expect(owner.locator("main > .notice, body > .notice")).to_have_count(0)
    expect(dialog.get_by_label("Invite link", exact=True)).to_be_visible()
    new_link = copy_link(owner, dialog)
    assert new_link != first_link and new_link == dialog.get_by_label("Invite link", exact=True).input_value()
    shot(owner, "refreshed")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_hidden()  # back on the link's tab
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()

    # 3. Someone opens the old link: gone, and it says so.
    lin = new_context().new_page()
    lin.goto(first_link)
    expect(lin.get_by_role("heading", name="No longer valid")).to_be_visible()
    expect(lin.get_by_text("This invite link no longer works.")).to_be_visible()
    expect(lin.get_by_role("button", name="Sign up")).to_have_count(0)
    shot(lin, "old-link-gone")

    # 4. The new link: the portal's name, a sign-up form; then "check your email".
    lin.goto(new_link)
    expect(lin.get_by_role("heading", name=f"Join {PORTAL}")).to_be_visible()
    lin.get_by_label("Email").fill("Lin@Acme.com")
    lin.get_by_label("Your name").fill("Lin Chen")
    expect(lin.get_by_label("Choose a password")).to_have_count(0)  # chosen at confirmation, not here
    shot(lin, "sign-up")
    lin.get_by_role("button", name="Sign up").click()
    expect(lin.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(lin.locator(".card")).to_contain_text("lin@acme.com")
    # Back shows the form again (it had been a dead end: "Open your link again"); the browser
    # puts back what was typed.
    lin.go_back()
    expect(lin.get_by_role("heading", name=f"Join {PORTAL}")).to_be_visible()
    expect(lin.get_by_role("button", name="Sign up")).to_be_visible()

    # Until then the owner sees Lin as Pending (joined through the invite link).
    owner.goto(users_url)
    expect(person(owner, "lin@acme.com").locator("[data-status]")).to_have_text("Pending")
    expect(person(owner, "lin@acme.com")).to_contain_text("Invite link")
    # Its confirmation email, queued or already on its way, reads Sent without a reload.
    gestures.badges_rechecked(owner, server)
    expect(person(owner, "lin@acme.com").locator("[data-delivery]")).to_have_text("Sent", timeout=20_000)

    # 5. The confirmation email, from the dev mailbox; its link; one button; in.
    text = newest_email(lin, server, "lin@acme.com")
    assert "Hello," in text and "Lin Chen" not in text and f"join {PORTAL}" in text
    shot(lin, "confirmation-email")
    confirm_href = lin.locator('pre.mail a[href*="/confirm/"]').get_attribute("href")
    second_tab = lin.context.new_page()  # the same email opened twice
    second_tab.goto(confirm_href)
    lin.locator('pre.mail a[href*="/confirm/"]').click()
    expect(lin.get_by_role("heading", name="Confirm your email")).to_be_visible()
    lin.get_by_label("Choose a password").fill(LIN_PASSWORD)  # whoever holds the email chooses it
    lin.get_by_role("button", name=f"Confirm and join {PORTAL}").click()
    expect(lin).to_have_url(re.compile(r"/p/[^/]+/workspaces"))  # a member lands on their Workspaces
    expect(lin.locator(".notice")).to_contain_text(
        f"Welcome to {PORTAL}! You joined as an internal user (Member)."
    )
    expect(lin.get_by_role("button", name="Lin Chen")).to_be_visible()  # signed in as Lin
    shot(lin, "joined")
    # The second tab's Confirm, after the first: into the portal, not "Security check failed".
    second_tab.get_by_label("Choose a password").fill(LIN_PASSWORD)
    second_tab.get_by_role("button", name=f"Confirm and join {PORTAL}").click()
    expect(second_tab.locator(".notice")).to_contain_text(f"You are already a member of {PORTAL}")
    second_tab.close()

    # 6. The owner sees Lin Active, and one person joined through the link.
    owner.reload()
    expect(person(owner, "lin@acme.com").locator("[data-status]")).to_have_text("Active")
    dialog = share_tab(owner)
    expect(dialog).to_contain_text("1 joined through this link")

    # 7. Link settings: only acme.com addresses from now on; an outsider is refused, politely.
    dialog.get_by_role("link", name="Link settings and sign-ups").click()
    expect(owner.get_by_role("heading", name="Share Invite Link")).to_be_visible()
    owner.get_by_label("Allowed email domains").fill("acme.com")
    owner.get_by_label("Link lifetime (days)").fill("10")
    owner.get_by_role("button", name="Save").click()
    expect(owner.locator(".notice")).to_contain_text("Invite link settings saved.")
    expect(owner.locator("[data-link-facts]")).to_contain_text("expires")
    expect(owner.locator("#link-signups")).to_contain_text("lin@acme.com")
    shot(owner, "link-settings")

    eve = new_context().new_page()
    eve.goto(new_link)
    # The portal's own domain, said up front under Email (the tester learnt it from a refusal);
    # a partner's domain is never told (tests/links/test_pages.py).
    expect(eve.get_by_label("Email")).to_have_accessible_description("Use your @acme.com address.")
    eve.get_by_label("Email").fill("eve@acme.com.evil.example")
    eve.get_by_label("Your name").fill("Eve")
    eve.get_by_role("button", name="Sign up").click()
    # Said under the Email field, which has the focus and is described by it.
    email = eve.get_by_label("Email")
    expect(email).to_be_focused()
    expect(email).to_have_accessible_description(
        re.compile(r"does not accept addresses at acme\.com\.evil\.example")
    )
    expect(email).to_have_value("eve@acme.com.evil.example")
    shot(eve, "domain-refused")


@pytest.mark.parametrize(
    "size", [{"width": 1280, "height": 860}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_approving_a_join_request_as_owner_asks_first(new_context, live_server, shot, size):
    """A join request approved as an internal user with the role Owner: the workspace comes back
    with the owners' confirmation in that request's form (it invited an owner at once); Client
    hides it; ticked, Approve invites them."""
    from tests.factories import create_portal
    from tests.links.helpers import ask_to_join, create_workspace, workspace_token

    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    ws = create_workspace(db, pf)
    ask_to_join(db, workspace_token(db, pf, ws.id), "rita@example.org")
    page = gestures.signed_in(new_context, live_server, pf, size, f"/p/{pf.slug}/workspaces/{ws.id}")
    form = page.locator("#join-requests form[data-approve]")
    form.get_by_label("User type for rita@example.org").select_option("internal")
    form.get_by_label("Role for rita@example.org").select_option("owner")
    form.get_by_role("button", name="Approve").click()
    confirmation = page.locator("#join-requests [data-owners]")
    gestures.expect_owners_asked(confirmation, "Rita Requester (rita@example.org) an owner")
    confirmation.scroll_into_view_if_needed()
    shot(page, f"approve-owner-confirmation-{size['width']}")
    form.get_by_label("User type for rita@example.org").select_option("client")
    expect(confirmation).to_be_hidden()
    form.get_by_label("User type for rita@example.org").select_option("internal")
    form.get_by_label("Role for rita@example.org").select_option("owner")
    form.get_by_label("Yes, make Rita Requester (rita@example.org) an owner.").check()
    form.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved.", exact=False).first).to_be_visible()
    expect(page.locator("#join-requests")).to_have_count(0)
