"""Workspaces and contacts in a real browser: the Invite panel ("No matches found" → Invite New
Client), a client's magic link landing on their only workspace, the Members panel's Not Joined →
Resend Invitation, and the Contacts "+" with Add to Contacts Quietly then Invite.

Emails are read at /dev/mailbox, where the live server's worker delivers them.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from admit.workspaces import service as workspaces_service
from tests.browser import gestures
from tests.factories import actor_for, create_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PORTAL = "Acme Inc."
OWNER_EMAIL = "olivia@acme.com"


def set_up_portal(page: Page, server) -> None:
    gestures.set_up(
        page,
        server,
        portal=PORTAL,
        owner_name="Olivia Owner",
        owner_email=OWNER_EMAIL,
        password="owner-password-123",
    )


def create_workspace(page: Page, name: str) -> None:
    page.get_by_role("link", name="Workspaces", exact=True).click()
    page.get_by_label("New workspace").fill(name)
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def invite_new_client(page: Page, email: str) -> None:
    """Invite → type the address → "No matches found" → Invite New Client → Add Client."""
    page.get_by_role("button", name="Invite", exact=True).click()
    panel = page.locator("dialog#invite-panel")
    expect(panel).to_be_visible()
    panel.get_by_label("Type a name, email or phone number").fill(email)
    # The first screen's (Add Team Members, behind Invite Internal Users, has its own).
    expect(panel.locator("[data-pick-form]").get_by_text("No matches found")).to_be_visible()
    panel.get_by_role("button", name="Invite New Client").click()
    expect(panel.get_by_role("heading", name="Invite a New Client")).to_be_visible()
    expect(panel.get_by_label("Email or phone number", exact=True)).to_have_value(email)
    panel.get_by_role("button", name="Add Client").click()
    expect(page.locator("[data-report]")).to_contain_text("1 invited.")


def open_members(page: Page):
    """The "Members (N)" button opens the Members panel on the right side."""
    page.wait_for_load_state("load")  # admit.js opens the panel: under load, wait for it to be there
    page.get_by_role("link", name=re.compile(r"^Members \(\d+\)$")).click()
    panel = page.locator("dialog#members-panel")
    expect(panel).to_be_visible()
    return panel


def mailbox_rows(page: Page, server, to: str, at_least: int):
    """The dev mailbox rows to ``to``, waiting until there are ``at_least`` of them."""
    gestures.mail_delivered(server, to, at_least)
    page.goto(server("/dev/mailbox"))
    rows = page.locator(f'#mailbox tbody tr[data-to="{to}"]')
    expect(rows).to_have_count(at_least)
    return rows


def newest_link(page: Page, server, to: str, count: int = 1) -> str:
    rows = mailbox_rows(page, server, to, count)
    rows.first.get_by_role("link").click()
    link = page.locator('pre.mail a[href*="/invite/"]')
    expect(link).to_have_count(1)
    return link.get_attribute("href")


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_new_client_from_the_invite_panel_sees_only_their_workspace(live_server, new_context, shot):
    server = live_server
    owner = new_context().new_page()
    set_up_portal(owner, server)
    create_workspace(owner, "Other deal")
    create_workspace(owner, "Kitchen remodel")
    invite_new_client(owner, "cleo@client.org")
    panel = open_members(owner)
    row = panel.locator('#workspace-members tr[data-address="cleo@client.org"]')
    expect(row.locator("[data-status]")).to_have_text("Not Joined")
    shot(owner, "invited")
    # On a phone the person's status and Remove stay on the screen (below the person).
    owner.set_viewport_size({"width": 390, "height": 844})
    remove = row.get_by_role("button", name="Remove")
    expect(remove).to_be_visible()
    box = remove.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390, box
    shot(owner, "members-phone")
    owner.set_viewport_size({"width": 1280, "height": 800})

    cleo = new_context().new_page()
    cleo.goto(newest_link(cleo, server, "cleo@client.org"))
    cleo.get_by_role("button", name="Accept invitation").click()
    # Invited into a workspace, she lands in it, welcomed.
    expect(cleo.get_by_role("heading", name="Kitchen remodel")).to_be_visible()
    expect(cleo.get_by_role("status")).to_contain_text(f"Welcome to {PORTAL}")
    cleo.goto(cleo.url.split("/workspaces/")[0])  # her portal's home
    expect(cleo.get_by_role("heading", name=PORTAL, exact=True)).to_be_visible()
    expect(cleo.locator("#my-workspaces tbody tr[data-workspace]")).to_have_count(1)
    expect(cleo.locator("#my-workspaces")).to_contain_text("Kitchen remodel")
    expect(cleo.locator("#my-workspaces")).not_to_contain_text("Other deal")
    expect(cleo.get_by_role("link", name="Workspaces", exact=True)).to_have_count(0)
    shot(cleo, "client-home")
    cleo.get_by_role("link", name="Kitchen remodel").click()
    expect(cleo.get_by_role("heading", name="Kitchen remodel")).to_be_visible()
    for name in ("Invite", "Create workspace", "Add action", "Assign", "Resend Invitation"):
        expect(cleo.get_by_role("button", name=name, exact=True)).to_have_count(0)
    panel = open_members(cleo)
    expect(panel.locator('#workspace-members tr[data-address="cleo@client.org"] [data-status]')).to_have_text(
        "Joined"
    )
    shot(cleo, "client-workspace")


def test_not_joined_resend_invitation(live_server, new_context, shot):
    server = live_server
    owner = new_context().new_page()
    set_up_portal(owner, server)
    create_workspace(owner, "Q3 Audit")
    workspace_url = owner.url.split("?")[0]
    invite_new_client(owner, "rita@client.org")
    mail = new_context().new_page()
    old = newest_link(mail, server, "rita@client.org")

    owner.goto(workspace_url)
    expect(owner.locator("dialog#members-panel")).to_be_hidden()
    panel = open_members(owner)
    row = panel.locator('#workspace-members tr[data-address="rita@client.org"]')
    expect(row.get_by_role("button", name="Resend Invitation")).to_be_hidden()
    # Each row's buttons say whose they are (a screen reader's list of buttons read "Not Joined",
    # "Not Joined", "Remove"…)
    panel.get_by_role("button", name="Not Joined: rita@client.org", exact=True).click()
    expect(
        panel.get_by_role("button", name="Resend Invitation to rita@client.org", exact=True)
    ).to_be_focused()
    # Escape puts the revealed Resend away, back on the button that showed it; the panel stays
    # (the tester: Escape closed the whole Members panel).
    owner.keyboard.press("Escape")
    expect(row.get_by_role("button", name="Resend Invitation")).to_be_hidden()
    expect(panel).to_be_visible()
    expect(row.get_by_role("button", name="Not Joined")).to_be_focused()
    expect(row.get_by_role("button", name="Not Joined")).to_have_attribute("aria-expanded", "false")
    row.get_by_role("button", name="Not Joined").click()
    row.get_by_role("button", name="Resend Invitation").click()
    # The page comes back with the Members panel still open, saying so there, and only there
    # (not once more on the page behind it).
    expect(panel).to_be_visible()
    expect(panel.locator(".panel-note")).to_contain_text("Invitation resent to rita@client.org.")
    expect(panel.locator(".panel-note")).to_be_focused()  # not the panel's ×
    expect(owner.locator(".notice")).to_have_count(0)
    panel.get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()
    shot(owner, "resent")

    new = newest_link(mail, server, "rita@client.org", count=2)
    assert new != old
    assert status_of(old) == 410  # the resend superseded the token: the old link is dead
    assert status_of(new) == 200
    mail.goto(old)
    expect(mail.get_by_role("button", name="Accept invitation")).to_have_count(0)


def test_contacts_quietly_then_invite(live_server, new_context, shot):
    server = live_server
    owner = new_context().new_page()
    set_up_portal(owner, server)
    owner.get_by_role("link", name="Contacts").click()
    expect(owner.get_by_role("heading", name="Contacts")).to_be_visible()
    owner.get_by_role("button", name="Add").click()
    owner.get_by_role("button", name="Invite a client", exact=True).click()
    dialog = owner.locator("dialog#contact-client")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill("Quinn Client")
    dialog.get_by_label("Email or phone number").fill("quinn@client.org")
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_role("button", name="Add to Workspace")).to_be_visible()
    expect(dialog.get_by_role("button", name="Add to Contacts", exact=True)).to_be_visible()
    shot(owner, "three-endings")
    dialog.get_by_role("button", name="Add to Contacts Quietly").click()
    expect(owner.locator(".notice")).to_contain_text("Nothing was sent.")
    row = owner.locator('#contacts tr[data-address="quinn@client.org"]')
    expect(row.locator("[data-status]")).to_have_text("Not invited")

    gestures.nothing_queued(server)  # anything sent is in the mailbox by now
    mail = new_context().new_page()
    mail.goto(server("/dev/mailbox"))
    expect(mail.locator('#mailbox tbody tr[data-to="quinn@client.org"]')).to_have_count(0)

    row.get_by_role("button", name="Invite").click()
    expect(owner.locator(".notice")).to_contain_text("Invitation sent.")
    expect(row.locator("[data-status]")).to_have_text("Invited")
    mailbox_rows(mail, server, "quinn@client.org", 1)
    shot(owner, "invited")


def test_suggestions_add_an_existing_member(live_server, new_context):
    """Typing part of a name suggests this portal's members; picking one adds them (Joined)."""
    server = live_server
    owner = new_context().new_page()
    set_up_portal(owner, server)
    create_workspace(owner, "First")
    invite_new_client(owner, "cleo@client.org")
    cleo = new_context().new_page()
    cleo.goto(newest_link(cleo, server, "cleo@client.org"))
    cleo.get_by_label("Your name").fill("Cleo Client")
    cleo.get_by_role("button", name="Accept invitation").click()
    expect(cleo.get_by_role("heading", name="First")).to_be_visible()  # the workspace she was invited to

    create_workspace(owner, "Second")
    owner.get_by_role("button", name="Invite", exact=True).click()
    panel = owner.locator("dialog#invite-panel")
    panel.get_by_label("Type a name, email or phone number").fill("cleo")
    panel.locator('[data-suggestion="cleo@client.org"]').click()
    expect(panel.locator('[data-chip="Cleo Client"]')).to_be_visible()
    # A refusal (a name typed and not picked) keeps her picked; her × still takes her out.
    panel.get_by_label("Type a name, email or phone number").fill("Nora")
    panel.locator("[data-pick-submit]").click()
    panel = owner.locator("dialog#invite-panel")
    expect(panel.locator("#invite-q")).to_have_attribute("aria-invalid", "true")
    expect(panel.locator('[data-chip="Cleo Client"]')).to_be_visible()
    panel.get_by_role("button", name="Remove Cleo Client").click()
    expect(panel.locator("[data-chip]")).to_have_count(0)
    panel.get_by_label("Type a name, email or phone number").fill("cleo")
    panel.locator('[data-suggestion="cleo@client.org"]').click()
    expect(panel.locator('[data-chip="Cleo Client"]')).to_have_count(1)
    # Someone new as well: those picked go along with them, and the form says so.
    panel.get_by_label("Type a name, email or phone number").fill("dan@client.org")
    expect(panel.locator("[data-pick-form]").get_by_text("No matches found")).to_be_visible()
    panel.get_by_role("button", name="Invite New Client").click()
    expect(panel.locator("[data-also]")).to_have_text("Also invited: Cleo Client.")
    panel.get_by_role("button", name="Add Client").click()
    expect(owner.locator("[data-report]")).to_contain_text("1 added")
    expect(owner.locator("[data-report]")).to_contain_text("1 invited")
    panel = open_members(owner)
    expect(panel.locator('#workspace-members tr[data-address="cleo@client.org"] [data-status]')).to_have_text(
        "Joined"
    )
    expect(panel.locator('#workspace-members tr[data-address="dan@client.org"] [data-status]')).to_have_text(
        "Not Joined"
    )
    expect(owner).to_have_url(re.compile(r"/workspaces/"))


def test_typed_addresses_become_chips_and_a_colleagues_is_said(live_server, new_context, shot):
    """The Invite panel: an address typed and not picked is said before Invite ("… is not in
    the portal: they will be invited as a client"), and one at the company's domain offers
    Invite New Internal User first; Enter (or a comma) makes each address a chip, a bad one
    marked with its reason, beside the people picked; Invite then adds, invites and reports
    each (Enter did nothing, and the next address ran into the first)."""
    server = live_server
    owner = new_context().new_page()
    set_up_portal(owner, server)
    create_workspace(owner, "Kitchen")
    owner.get_by_role("button", name="Invite", exact=True).click()
    panel = owner.locator("dialog#invite-panel")
    box = panel.get_by_label("Type a name, email or phone number")
    box.fill("tom@acme.com")
    note = panel.locator("[data-typed-note]")
    expect(note).to_contain_text("tom@acme.com is not in the portal: they will be invited as a client.")
    expect(note).to_contain_text("Their address is at acme.com, your company's domain.")
    expect(panel.get_by_role("button", name="Invite New Internal User")).to_have_class(
        re.compile(r"\bprimary\b")
    )
    shot(owner, "colleague-said")
    box.fill("zoe@clientco.com")
    expect(note).to_contain_text("zoe@clientco.com is not in the portal")
    expect(note.locator("[data-typed-colleague]")).to_be_hidden()
    box.press("Enter")
    expect(panel.locator('[data-chip="zoe@clientco.com"]')).to_contain_text("invited as a client")
    expect(box).to_have_value("")
    # A name typed with the address shows on the chip, as in User Management's Invite box (the
    # chip said only "cleo@client.example").
    box.press_sequentially("Cleo Client <cleo@client.example>")
    box.press("Enter")
    cleo = panel.locator('[data-chip="Cleo Client <cleo@client.example>"]')
    expect(cleo).to_contain_text("Cleo Client <cleo@client.example>")
    expect(cleo).to_contain_text("new: invited as a client")
    shot(owner, "named-chip")
    panel.get_by_role("button", name="Remove Cleo Client <cleo@client.example>").click()
    expect(cleo).to_have_count(0)
    box.press_sequentially("+1 202 555 0173")
    box.press("Enter")
    box.press_sequentially("bad@")
    box.press(",")
    expect(panel.locator('[data-typed-chip="bad"]')).to_contain_text(
        "There must be something after the @-sign."
    )
    box.press_sequentially("tom@acme.com")
    box.press("Enter")
    tom = panel.locator('[data-chip="tom@acme.com"]')
    expect(tom.get_by_role("button", name="Invite tom@acme.com as an internal user instead")).to_be_visible()
    expect(panel.locator("[data-typed-chip]")).to_have_count(4)
    for width, name in ((390, "chips-phone"), (1280, "chips")):
        owner.set_viewport_size({"width": width, "height": 844})
        shot(owner, name)
    panel.get_by_role("button", name="Remove bad@").click()
    # Tom is a colleague: his chip opens Invite New Internal User on him; the other chips go
    # along as clients, and the form says so.
    tom.get_by_role("button", name="Invite tom@acme.com as an internal user instead").click()
    expect(panel.get_by_role("heading", name="Invite a New Internal User")).to_be_visible()
    expect(panel.get_by_label("Email or phone number", exact=True)).to_have_value("tom@acme.com")
    expect(panel.locator("[data-also]")).to_have_text(
        "Also invited: zoe@clientco.com (as a client), +1 202 555 0173 (as a client)."
    )
    panel.get_by_label("Name", exact=True).fill("Tom Teammate")
    panel.get_by_role("button", name="Add Internal User").click()
    report = owner.locator("[data-report]")
    expect(report).to_contain_text("3 invited.")
    expect(report).to_contain_text("Tom Teammate (tom@acme.com): Invited as an internal user (Member);")
    expect(report).to_contain_text(
        "zoe@clientco.com: Invited as a client; they join this workspace when they accept."
    )
    expect(report).to_contain_text("+1 202-555-0173: Invited as a client")


def test_invite_members_assign_opens_the_roles_card(live_server, new_context, shot):
    """Seed 001: Members → + Invite Members → (a role unassigned) Assign: the panel is put away
    and the role's Assign card is on screen, its picker ready."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        workspace_id = workspaces_service.create(
            session, owner, name="Tax return", kind="flow", roles=["Client signer"]
        ).id
    page = gestures.signed_in(
        new_context, live_server, pf, {"width": 390, "height": 844}, f"/p/{pf.slug}/workspaces/{workspace_id}"
    )
    members = open_members(page)
    members.get_by_role("button", name="+ Invite Members").click()
    panel = page.locator("dialog#invite-panel")
    expect(panel.locator("[data-unassigned-roles]")).to_contain_text("Client signer")
    shot(page, "invite-members-unassigned-roles-390")
    panel.get_by_role("button", name="Assign Client signer").click()
    expect(panel).to_be_hidden()
    card = page.locator('[data-assign="Client signer"]')
    expect(card).to_be_in_viewport()
    expect(card.get_by_label("An existing member")).to_be_focused()
    shot(page, "invite-members-assign-card-390")
