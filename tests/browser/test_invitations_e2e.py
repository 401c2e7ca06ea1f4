"""What people do in a real browser: set up a portal, invite, read the email, join, resend,
invite a client, deactivate.

Every step goes through the pages as a user would (labels, buttons, what is on screen). The
emails are read from the dev mailbox page, where the in-process worker delivers them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import gestures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PORTAL = "Acme Inc."
OWNER_NAME = "Olivia Owner"
OWNER_EMAIL = "olivia@example.com"
OWNER_PASSWORD = "owner-password-123"
ADA_PASSWORD = "analytical-engine-1843"


# --- what a user does, one small helper per gesture -------------------------------------


def set_up_portal(page: Page, server) -> None:
    gestures.set_up_portal(
        page, server, portal=PORTAL, owner_name=OWNER_NAME, owner_email=OWNER_EMAIL, password=OWNER_PASSWORD
    )


def invite(page: Page, recipients: list[str], *, user_type: str = "Internal user", role: str | None = None):
    """Invite Users → the modal → type the addresses (one a line) → Send Invitation."""
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#recipients").fill("\n".join(recipients))
    dialog.get_by_label("User type").select_option(label=user_type)
    if role is not None:
        dialog.get_by_label("Role").select_option(label=role)
    else:
        expect(dialog.get_by_label("Role")).to_be_hidden()
    dialog.get_by_role("button", name="Send Invitation").click()
    expect(dialog).to_be_hidden()


def person(page: Page, address: str):
    """The User Management row of one person."""
    return page.locator(f'#people tbody tr[data-address="{address}"]')


def row_action(page: Page, address: str, name: str):
    """Open the row's "…" menu and return its item ``name``."""
    person(page, address).locator("details.row-menu > summary").click()
    return person(page, address).get_by_role("menuitem", name=name)


def sign_in(page: Page, server, email: str, password: str) -> None:
    if "/login" not in page.url:
        page.goto(server("/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def sign_out(page: Page, shown_name: str) -> None:
    """The profile menu (top right) opens on hover; Sign out is in it."""
    page.get_by_role("button", name=shown_name).hover()
    page.get_by_role("button", name="Sign out", exact=True).click()  # not "Sign out of every other…"
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def open_mailbox(page: Page, server, to: str, count: int):
    """The dev mailbox, once ``count`` messages to ``to`` have arrived (newest first)."""
    gestures.mail_delivered(server, to, count)
    page.goto(server("/dev/mailbox"))
    rows = page.locator(f'#mailbox tbody tr[data-to="{to}"]')
    expect(rows).to_have_count(count)
    return rows


def read_newest_email(page: Page, server, to: str, count: int = 1) -> tuple[str, str]:
    """Open the newest email to ``to``; return (its plain text, the invitation link in it)."""
    rows = open_mailbox(page, server, to, count)
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Plain text")).to_be_visible()
    text = page.locator("pre.mail").inner_text()
    links = page.locator('pre.mail a[href*="/invite/"]')
    expect(links).to_have_count(1)
    link = links.get_attribute("href")
    assert link and link.startswith(server("/invite/")), f"unexpected link in the email: {link!r}"
    # The HTML part carries the same link behind its Accept invitation button.
    button = page.frame_locator('iframe[title="HTML body"]').get_by_role("link", name="Accept invitation")
    expect(button).to_have_attribute("href", link)
    return text, link


# --- the journeys -----------------------------------------------------------------------


def test_invite_join_resend_and_deactivate(live_server, new_context, shot):
    server = live_server
    owner = new_context().new_page()

    # 1. First visit: setup, then User Management, signed in as the owner.
    set_up_portal(owner, server)
    shot(owner, "user-management-first-run")
    expect(owner.get_by_role("heading", name="User Management")).to_be_visible()
    expect(owner.get_by_role("status")).to_contain_text(f"{PORTAL} is ready. Invite your team.")
    expect(owner.get_by_role("button", name=OWNER_NAME)).to_be_visible()
    expect(owner.locator(".tabs").get_by_role("link", name="Internal Users")).to_be_visible()
    expect(owner.locator(".tabs").get_by_role("link", name="Clients")).to_be_visible()
    expect(person(owner, OWNER_EMAIL).locator("[data-status]")).to_have_text("Active")
    expect(person(owner, OWNER_EMAIL)).to_contain_text("Owner")
    users_url = owner.url.split("?")[0]

    # 2. Invite two internal users as admins.
    owner.get_by_role("button", name="Invite Users").click()
    expect(owner.locator("dialog#invite-dialog")).to_be_visible()
    shot(owner, "invite-modal")
    owner.locator("dialog#invite-dialog").get_by_role("button", name="Cancel").click()
    expect(owner.locator("dialog#invite-dialog")).to_be_hidden()
    invite(owner, ["Ada Lovelace <ada@example.com>", "grace@example.com"], role="Admin")
    report = owner.locator("[data-report]")
    expect(report).to_contain_text("2 invited")
    for address in ("ada@example.com", "grace@example.com"):
        expect(person(owner, address).locator("[data-status]")).to_have_text("Pending")
        expect(person(owner, address)).to_contain_text("Admin")
        expect(person(owner, address)).to_contain_text(OWNER_NAME)  # Invited by
    expect(person(owner, "ada@example.com")).to_contain_text("Ada Lovelace")
    shot(owner, "invite-report")

    # 3. Ada's laptop: her email says who invited her, to what; it carries her link.
    ada = new_context().new_page()
    text, ada_link = read_newest_email(ada, server, "ada@example.com")
    shot(ada, "email-to-ada")
    expect(ada.get_by_role("heading", level=1)).to_have_text(f"{OWNER_NAME} invited you to join {PORTAL}")
    assert "Hello Ada Lovelace," in text
    assert f"{OWNER_NAME} invited you to join {PORTAL}" in text
    assert "works once" in text
    ada.locator('pre.mail a[href*="/invite/"]').click()

    # 4. The invitation page: inviter, portal, her address; she picks a password and joins.
    # The link's token leaves the address bar once the page has landed (issue 14 item 12); the
    # address left names the portal, whose look the page reloaded wears.
    expect(ada).to_have_url(server("/invite?portal=acme-inc"))
    assert ada_link.rsplit("/", 1)[1] not in ada.url
    expect(ada.get_by_role("heading", name=f"Join {PORTAL}")).to_be_visible()
    expect(ada.locator(".card")).to_contain_text(
        f"{OWNER_NAME} invited ada@example.com to join {PORTAL} as an internal user (Admin)."
    )
    expect(ada.get_by_label("Your name")).to_have_value("Ada Lovelace")
    shot(ada, "invitation-page")
    ada.get_by_label("Choose a password").fill(ADA_PASSWORD)
    ada.get_by_role("button", name="Accept invitation").click()
    expect(ada).to_have_url(re.compile(re.escape(users_url) + "$"))  # the notice is not in the URL
    expect(ada.get_by_role("status")).to_contain_text("You joined as an internal user (Admin).")
    expect(ada.get_by_role("heading", name="User Management")).to_be_visible()
    expect(ada.get_by_role("button", name="Ada Lovelace")).to_be_visible()  # signed in as Ada
    shot(ada, "ada-joined")
    # An admin is offered no button that can only fail: only an owner can deactivate an owner.
    expect(person(ada, OWNER_EMAIL).locator("details.row-menu")).to_have_count(0)
    # The link works once: opened again by Ada, signed in, it leads back into the portal;
    # opened by anyone else, it says it was used (its holder has the secret) and offers Sign in.
    ada.goto(ada_link)
    expect(ada.get_by_role("status")).to_contain_text("You are already a member of Acme Inc.")
    someone = new_context().new_page()
    someone.goto(ada_link)
    expect(someone.get_by_role("heading", name="Invitation already used")).to_be_visible()
    expect(someone.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    someone.close()
    expect(ada.get_by_role("button", name="Accept invitation")).to_have_count(0)
    shot(ada, "used-link")

    # 5. Ada signs out; the owner signs in on that same browser and sees Ada Active.
    ada.goto(users_url)
    sign_out(ada, "Ada Lovelace")
    ada.goto(users_url)
    expect(ada).to_have_url(re.compile(r"/login\?next="))  # signed out for real
    sign_in(ada, server, OWNER_EMAIL, OWNER_PASSWORD)
    laptop = ada  # now the owner's session
    expect(laptop).to_have_url(users_url)
    expect(person(laptop, "ada@example.com").locator("[data-status]")).to_have_text("Active")
    expect(person(laptop, "ada@example.com")).to_contain_text("Ada Lovelace")
    expect(person(laptop, "ada@example.com")).to_contain_text("Admin")
    expect(person(laptop, "grace@example.com").locator("[data-status]")).to_have_text("Pending")

    # Grace's first email, then Reinvite, the row's button (a confirmation pop-up).
    _text, grace_first_link = read_newest_email(laptop, server, "grace@example.com")
    laptop.goto(users_url + "?tab=internal&status=pending&q=grace")  # a filtered list…
    person(laptop, "grace@example.com").get_by_role("button", name="Reinvite grace@example.com").click()
    confirm = laptop.locator("dialog#confirm-dialog")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(
        "Reinvite grace@example.com? A new link goes out, and every earlier link stops working."
    )
    shot(laptop, "resend-confirm")
    confirm.get_by_role("button", name="Reinvite").click()
    expect(laptop.get_by_role("status")).to_contain_text(
        "grace@example.com reinvited: a new link is on its way."
    )
    expect(laptop).to_have_url(users_url + "?tab=internal&status=pending&q=grace")  # …kept
    expect(person(laptop, "grace@example.com").locator("[data-status]")).to_have_text("Pending")

    _text, grace_second_link = read_newest_email(laptop, server, "grace@example.com", count=2)
    assert grace_second_link != grace_first_link
    grace = new_context().new_page()
    grace.goto(grace_first_link)
    expect(grace.get_by_role("heading", name="Invitation replaced")).to_be_visible()
    expect(grace.get_by_text("Use the link in the newest email.")).to_be_visible()
    expect(grace.get_by_role("button", name="Accept invitation")).to_have_count(0)
    shot(grace, "replaced-link")
    grace.goto(grace_second_link)
    expect(grace.get_by_role("heading", name=f"Join {PORTAL}")).to_be_visible()
    expect(grace.locator(".card")).to_contain_text(f"{OWNER_NAME} invited grace@example.com to join {PORTAL}")
    expect(grace.get_by_role("button", name="Accept invitation")).to_be_visible()

    # (6., the client, is test_client_joins_with_one_click.)
    # 7. Ada signs in on another browser; the owner deactivates her; she loses access at once.
    ada2 = new_context().new_page()
    sign_in(ada2, server, "ada@example.com", ADA_PASSWORD)
    expect(ada2).to_have_url(users_url)
    expect(ada2.get_by_role("button", name="Ada Lovelace")).to_be_visible()

    owner.goto(users_url)  # the owner's first browser is still signed in
    # Dismissed with Escape, the question gives the focus back to the row's menu button (the
    # menu it came from has closed), not to the page.
    row_action(owner, "ada@example.com", "Deactivate").click()
    owner.keyboard.press("Escape")
    expect(person(owner, "ada@example.com").locator("details.row-menu > summary")).to_be_focused()
    # The menu moves by arrows: down from its button opens it on its first item, and goes round.
    ada_row = person(owner, "ada@example.com")
    owner.keyboard.press("ArrowDown")
    items = ada_row.get_by_role("menuitem")
    expect(items.first).to_be_focused()
    owner.keyboard.press("ArrowUp")
    expect(items.last).to_be_focused()
    owner.keyboard.press("Escape")
    row_action(owner, "ada@example.com", "Deactivate").click()
    confirm = owner.get_by_role(
        "dialog", name="Deactivate Ada Lovelace (ada@example.com)?"
    )  # its question names it
    expect(confirm).to_contain_text("Deactivate Ada Lovelace (ada@example.com)? They lose access at once.")
    confirm.get_by_role("button", name="Deactivate").click()
    expect(owner.get_by_role("status")).to_contain_text("Ada Lovelace (ada@example.com) was deactivated.")
    expect(person(owner, "ada@example.com").locator("[data-status]")).to_have_text("Deactivated")
    expect(row_action(owner, "ada@example.com", "Reactivate")).to_be_visible()  # and no Deactivate
    expect(person(owner, "ada@example.com").get_by_role("menuitem", name="Deactivate")).to_have_count(0)
    shot(owner, "ada-deactivated")

    ada2.reload()
    # The portal is closed to her at her very next request, and she is told why; her session
    # stays (it is hers, for the other portals she may belong to).
    expect(ada2.get_by_role("heading", name="Your access has ended")).to_be_visible()
    expect(ada2.get_by_text("An administrator ended your access to Acme Inc.")).to_be_visible()
    expect(ada2.get_by_role("heading", name="User Management")).to_have_count(0)
    shot(ada2, "deactivated-sign-in")
    # No start page to go to (it would lead back here): Sign out; signing in again lands on the
    # same words, not on "ask an admin to invite you".
    expect(ada2.get_by_role("link", name="Go to the start page")).to_have_count(0)
    ada2.locator("main").get_by_role("button", name="Sign out").click()
    sign_in(ada2, server, "ada@example.com", ADA_PASSWORD)
    expect(ada2.get_by_text("An administrator ended your access to Acme Inc.")).to_be_visible()
    expect(ada2.get_by_text("not an active member of any portal")).to_have_count(0)
    shot(ada2, "deactivated-start-page")


def test_client_joins_with_one_click(live_server, new_context, shot):
    server = live_server
    owner = new_context().new_page()
    gestures.set_up(
        owner, server, portal=PORTAL, owner_name=OWNER_NAME, owner_email=OWNER_EMAIL, password=OWNER_PASSWORD
    )

    # 6. Invite a client from the Clients tab.
    owner.locator(".tabs").get_by_role("link", name="Clients").click()
    expect(owner).to_have_url(re.compile(r"tab=clients"))
    invite(owner, ["carol@example.org"], user_type="Client")
    expect(owner.locator("[data-report]")).to_contain_text("1 invited")
    expect(owner.locator(".tabs a.active")).to_have_text("Clients")
    expect(person(owner, "carol@example.org").locator("[data-status]")).to_have_text("Pending")
    # (no Role column on the Clients tab: every client's role is Client)
    expect(person(owner, "carol@example.org").locator('[data-label="Role"]')).to_have_count(0)
    shot(owner, "client-invited")
    # Clients are not listed with internal users.
    owner.locator(".tabs").get_by_role("link", name="Internal Users").click()
    expect(person(owner, "carol@example.org")).to_have_count(0)

    carol = new_context().new_page()
    text, link = read_newest_email(carol, server, "carol@example.org")
    assert "as a client" in text
    assert "No password is needed" in text
    carol.goto(link)
    expect(carol.get_by_role("heading", name=f"Join {PORTAL}")).to_be_visible()
    expect(carol.locator(".card")).to_contain_text(
        f"{OWNER_NAME} invited carol@example.org to join {PORTAL} as a client."
    )
    expect(carol.locator("input[type=password]")).to_have_count(0)
    expect(carol.get_by_text("No password needed")).to_be_visible()
    shot(carol, "client-invitation")
    carol.get_by_role("button", name="Accept invitation").click()

    # Welcomed once, on top; the page itself is the client's home, the same on every visit.
    expect(carol.get_by_role("status")).to_have_text(f"Welcome to {PORTAL}! You joined as a client.")
    expect(carol.get_by_role("heading", name=PORTAL, exact=True)).to_be_visible()
    expect(carol.get_by_text("Welcome to")).to_have_count(1)
    expect(carol.get_by_role("link", name="User Management")).to_have_count(0)
    shot(carol, "client-home")

    owner.locator(".tabs").get_by_role("link", name="Clients").click()
    expect(person(owner, "carol@example.org").locator("[data-status]")).to_have_text("Active")


def test_bulk_resend_from_the_selection_with_progress(live_server, new_context, shot):
    """Tick people in User Management, Resend, confirm the count, watch the progress reach the
    end; "Select all N matching" covers the rows beyond the page."""
    page = new_context().new_page()
    page.clock.install()  # Playwright's: time flows, and the test can jump it to a timer's end
    gestures.set_up(
        page,
        live_server,
        portal=PORTAL,
        owner_name=OWNER_NAME,
        owner_email=OWNER_EMAIL,
        password=OWNER_PASSWORD,
    )
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    dialog.locator("#recipients").fill("\n".join(f"p{i}@example.com" for i in range(60)))
    dialog.get_by_role("button", name="Send Invitation").click()
    expect(page.locator("[data-total]")).to_have_text("1–50 of 61")
    # Deliveries still on their way update in place as the worker sends them (no reload).
    watched = page.locator("[data-delivery][data-watch]").count()
    gestures.badges_rechecked(page, live_server)
    expect(page.locator("[data-delivery]", has_text="Queued")).to_have_count(0, timeout=20_000)
    if watched:
        expect(page.locator("[data-delivery]", has_text="Sent").first).to_be_visible()
    # Times are the viewer's: "now", "2 minutes ago", the exact moment in the tooltip.
    sent = page.locator('tr[data-kind="invitation"] time[data-local]').first
    expect(sent).to_have_text(re.compile(r"^(now|\d+ seconds? ago|\d+ minutes? ago|1 minute ago)$"))
    expect(sent).to_have_attribute("title", re.compile(r"2026|20\d\d"))
    report = page.locator("[data-report]")
    expect(report.locator("[data-summary]")).to_have_text("60 invited as internal users")
    expect(report).to_have_attribute("data-tone", "all")
    # The report reads like a sentence, amber when some were skipped; a standing invitation can
    # be resent from it.
    page.get_by_role("button", name="Invite Users").click()
    # Each recipient becomes a chip, checked as it is typed; a mistyped domain is one click away.
    box = dialog.locator("#recipients")
    gestures.checked(box, lambda: box.fill("p0@example.com\nnew@gmial.com\nnot-an-address, p0@example.com"))
    chips = dialog.locator("[data-chips]")
    expect(chips.locator("[data-chip=bad]")).to_have_count(2)
    expect(chips.locator("[data-chip=duplicate]")).to_have_count(1)
    # p0 is invited already: Send would skip it, and its chip says so before anything is sent.
    expect(chips.locator("[data-chip=skip]")).to_have_attribute("data-skip", "already_invited")
    expect(chips.locator("[data-chip=skip] [data-chip-why]")).to_have_text(
        "A pending invitation exists, as an internal user (Member); use Reinvite to send it again."
    )
    expect(chips.locator("[data-chips-summary]")).to_have_text(
        "0 to invite · 2 to fix · 1 listed twice · 1 will be skipped"
    )
    gestures.checked(
        box, chips.get_by_role("button", name="Use new@gmail.com instead of new@gmial.com").click
    )
    expect(box).to_have_value("p0@example.com\nnew@gmail.com\nnot-an-address, p0@example.com")
    expect(chips.locator("[data-chips-summary]")).to_have_text(
        "1 to invite (1 not at example.com) · 1 to fix · 1 listed twice · 1 will be skipped"
    )
    # The reason is on the chip itself, and × takes a recipient out of the text.
    bad = chips.locator("[data-chip=bad]")
    expect(bad.locator("[data-chip-why]")).to_have_text("An email address must have an @-sign.")
    shot(page, "invite-chips")
    gestures.checked(box, bad.get_by_role("button", name="Remove not-an-address").click)
    expect(box).to_have_value("p0@example.com\nnew@gmail.com\np0@example.com")
    expect(chips.locator("[data-chips-summary]")).to_have_text(
        "1 to invite (1 not at example.com) · 1 listed twice · 1 will be skipped"
    )
    gestures.checked(
        box, lambda: box.fill("aa@example.com, a@example.com")
    )  # × takes a whole entry, never part of a longer one
    gestures.checked(box, chips.get_by_role("button", name="Remove a@example.com").click)
    expect(box).to_have_value("aa@example.com")
    # A number's chip shows it spaced, as every page shows one (it said "+12025550173", as
    # stored); its × still takes out what was typed.
    gestures.checked(box, lambda: box.fill("+12025550173, Pat Phone <+1 202 555 0174>"))
    phones = chips.locator("[data-chip=ok]")
    expect(phones.nth(0)).to_have_text(re.compile(r"^\+1 202-555-0173"))
    expect(phones.nth(1)).to_have_text(re.compile(r"^Pat Phone <\+1 202-555-0174>"))
    shot(page, "invite-phone-chips")
    gestures.checked(box, chips.get_by_role("button", name="Remove +1 202-555-0173").click)
    expect(box).to_have_value("Pat Phone <+1 202 555 0174>")
    # The typo fix changes the mistyped address where it stands alone, not inside a longer one,
    # and like typing: Ctrl+Z takes it back.
    gestures.checked(box, lambda: box.fill("xnew@gmial.com\nnew@gmial.com"))
    gestures.checked(
        box, chips.get_by_role("button", name="Use new@gmail.com instead of new@gmial.com").click
    )
    expect(box).to_have_value("xnew@gmial.com\nnew@gmail.com")
    box.press("Control+z")
    expect(box).to_have_value("xnew@gmial.com\nnew@gmial.com")
    # A long paste's chips scroll in their own box, the summary in sight at its foot; what
    # needs a look comes first, however late in the text, and the row at the fold fades out
    # while more are below it.
    gestures.checked(
        box,
        lambda: box.fill(
            "\n".join([*(f"Person {i}\tperson{i}@example.org" for i in range(40)), "late@gmial.com"])
        ),
    )
    # (Internal users at example.org, not the owner's example.com: each is pointed out.)
    expect(chips.locator("[data-chips-summary]")).to_have_text(
        "40 to invite (40 not at example.com) · 1 to fix"
    )
    expect(chips.locator("[data-chip]").first).to_have_attribute("data-chip", "bad")
    expect(chips.locator("[data-chip]").nth(1)).to_have_text(re.compile(r"^Person 0 <person0@example.org>"))
    height = chips.evaluate("c => c.getBoundingClientRect().height")
    assert height <= 11 * 16 + 1, height
    expect(chips.locator("[data-chips-summary]")).to_be_in_viewport()
    expect(chips).to_have_class(re.compile(r"\bmore\b"))
    chips.evaluate("c => { c.scrollTop = c.scrollHeight; }")
    expect(chips).not_to_have_class(re.compile(r"\bmore\b"))
    # A row pasted from a spreadsheet: its chip's × takes out the whole row (its name too).
    # (Colleagues, at the owner's example.com: no note on their chips.)
    gestures.checked(
        box, lambda: box.fill("Ada Lovelace\tada@example.com\nBob Stone\tBob@Example.com\nCy\tcy@example.com")
    )
    expect(chips.locator("[data-chips-summary]")).to_have_text("3 to invite")
    gestures.checked(box, chips.get_by_role("button", name=re.compile(r"^Remove Bob Stone")).click)
    expect(box).to_have_value("Ada Lovelace\tada@example.com\nCy\tcy@example.com")
    expect(chips.locator("[data-chips-summary]")).to_have_text("2 to invite")
    # On a phone the chip keeps the address whole; its fix and × go to the next line instead.
    page.set_viewport_size({"width": 390, "height": 844})
    gestures.checked(box, lambda: box.fill("someone@gmial.com, Ada Lovelace <ada@example.com>"))
    typo = chips.locator("[data-chip=bad]")
    expect(
        typo.get_by_role("button", name="Use someone@gmail.com instead of someone@gmial.com")
    ).to_be_visible()
    lines = typo.evaluate(
        "c => { const r = document.createRange(); r.selectNodeContents(c.querySelector('.chip-text'));"
        " return r.getClientRects().length; }"
    )
    assert lines == 1, f"the address breaks over {lines} lines"
    # A thumb's targets (the README's 44 px): the fix and the ×, where they were 20 and 14 px.
    fix = typo.get_by_role("button", name="Use someone@gmail.com instead of someone@gmial.com")
    remove = typo.get_by_role("button", name=re.compile(r"^Remove"))
    for target in (fix, remove):
        box_of = target.bounding_box()
        assert box_of is not None and box_of["height"] >= 44, box_of
    box_of = remove.bounding_box()
    assert box_of is not None and box_of["width"] >= 44, box_of
    shot(page, "invite-chips-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    gestures.checked(box, lambda: box.fill("p0@example.com\nnew@example.com\nnot-an-address"))
    # Send invites the others and leaves the address to fix out, said beside it first and
    # named in the report after (it held the whole Send).
    expect(dialog.locator("[data-send-note]")).to_have_text(
        "1 will be invited; 1 row with errors is left out."
    )
    dialog.get_by_role("button", name="Send Invitation").click()
    expect(report.locator("[data-summary]")).to_have_text(
        "1 invited as an internal user · 2 skipped: 1 already invited, 1 not a usable email or phone number"
    )
    expect(report).to_have_attribute("data-tone", "some")
    expect(report.locator("[data-invited]")).to_have_text("Invited: new@example.com.")
    expect(report.locator('li[data-skip-code="invalid_recipient"]')).to_have_text(
        "not-an-address: An email address must have an @-sign."
    )
    expect(report.get_by_role("button", name="Reinvite p0@example.com")).to_have_count(1)

    # (a batch's invitations share their time; which 50 are on the first page is theirs to say)
    ticks = page.locator('tr[data-kind="invitation"] input[data-select]')
    ticks.nth(0).check()
    ticks.nth(1).check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    page.locator("[data-bulk-bar]").get_by_role("button", name="Reinvite").click()
    expect(page.locator("#bulk-dialog")).to_contain_text("Reinvite 2 people?")
    page.locator("#bulk-dialog").get_by_role("button", name="Reinvite").click()
    box = page.locator("[data-bulk-job]")
    expect(box.locator("[data-bulk-title]")).to_have_text("2 reinvited", timeout=20_000)
    shot(page, "bulk-resend-done")

    page.get_by_role("link", name="Close this summary").click()
    expect(box).to_have_count(0)
    # The bar offers what applies to those ticked (each row says which actions it would take):
    # invitations cannot be deactivated.
    ticks.nth(0).check()
    ticks.nth(1).check()
    expect(page.locator("[data-bulk-bar]").get_by_role("button", name="Deactivate")).to_be_hidden()
    page.get_by_label("Select everyone on this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("50 selected")
    page.get_by_role("button", name="Select all 62 matching").click()
    expect(page.locator("[data-bulk-count]")).to_have_text("All 62 people matching selected")
    page.locator("[data-bulk-bar]").get_by_role("button", name="Revoke").click()
    expect(page.locator("#bulk-dialog")).to_contain_text(
        "Revoke the invitations of up to 61 people? Their links stop working. "
        "Those matching that cannot be revoked stay as they are."
    )
    page.locator("#bulk-dialog").get_by_role("button", name="Revoke").click()
    # The owner is a member, not an invitation: 61 revoked, and nobody else touched.
    expect(box.locator("[data-bulk-title]")).to_have_text("61 revoked", timeout=20_000)
    # Once the job ends the page is read again: the rows behind the summary are as they are now.
    rows = page.locator('#people tbody tr[data-kind="invitation"]')
    expect(rows.locator("[data-status]").first).to_have_text("Revoked")
    expect(rows.locator("[data-status]", has_text="Pending")).to_have_count(0)
    expect(page.locator("[data-bulk-count]")).not_to_be_visible()  # the selection went with them
    page.get_by_role("link", name="Close this summary").click()
    page.get_by_label("Status").select_option("revoked")
    expect(page.locator("[data-total]")).to_have_text("1–50 of 61 matching")
    # A revoked invitation's row offers "Invite again": the Invite box, filled in as it was.
    revoked = page.locator('#people tbody tr[data-kind="invitation"]').first.get_attribute("data-address")
    dialog = page.locator("dialog#invite-dialog")
    products = dialog.locator("input[name=products]")
    products.first.evaluate("box => { box.checked = true; }")  # left ticked by an earlier invite
    row_action(page, revoked, "Invite again").click()
    expect(dialog).to_be_visible()
    expect(dialog.locator("#recipients")).to_have_value(revoked)
    expect(products.first).not_to_be_checked()  # as the revoked invitation had: none
    expect(dialog.locator("[data-chips-summary]")).to_have_text("1 to invite")
    dialog.get_by_role("button", name="Send Invitation").click()
    expect(page.locator("[data-report] [data-summary]")).to_have_text("1 invited as an internal user")
