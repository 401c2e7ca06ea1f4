"""The Invite box (User Management → Invite Users) as a new user met it: spreadsheet rows
pasted, every chip with a × that takes out its row (bad and skipped ones too: only the good ones
had one), the reasons in words; at a phone's width a long address stays inside its chip and the
chips' box shows that it scrolls."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.factories import OWNER_PASSWORD, active_member, create_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROWS = "Mia Wong\tmia@acme.com\nBad Person\tbad@@acme\nUK Person\t+44 20 7946 0001"


def _invite_box(new_context, live_server, viewport):
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    page = gestures.signed_in(new_context, live_server, pf, viewport, f"/p/{pf.slug}/users")
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    expect(dialog).to_be_visible()
    return page, dialog, dialog.locator("textarea[data-check-url]"), dialog.locator("[data-chips]")


@pytest.mark.parametrize("viewport", [gestures.DESKTOP, gestures.PHONE], ids=["1280", "390"])
def test_every_pasted_row_has_a_remove(new_context, live_server, viewport, shot):
    page, dialog, box, chips = _invite_box(new_context, live_server, viewport)
    gestures.checked(box, lambda: box.fill(ROWS))
    expect(chips.locator("[data-chip]")).to_have_count(3)
    bad = chips.locator("[data-chip=bad]")
    expect(bad.locator("[data-chip-why]")).to_have_text("Not an email address: it has two @.")
    for chip in chips.locator("[data-chip]").all():
        expect(chip.get_by_role("button", name=re.compile(r"^Remove "))).to_be_visible()
    shot(page, "rows-every-chip-removable")
    gestures.checked(box, bad.get_by_role("button", name=re.compile(r"^Remove ")).click)
    expect(box).to_have_value("Mia Wong\tmia@acme.com\nUK Person\t+44 20 7946 0001")
    uk = chips.locator("[data-chip]").filter(has_text="UK Person")
    # Its reason names the setting truly (it said "Settings → Texts": there is no such tab), and
    # links to it, the Portal tab's Texts (SMS) section.
    expect(uk.locator("[data-chip-why]")).to_contain_text("add GB in Settings → Portal, under Texts (SMS).")
    texts = uk.get_by_role("link", name="Open Texts (SMS) settings")
    expect(texts).to_have_attribute("href", re.compile(r"/settings#texts$"))
    texts_url = texts.evaluate("a => a.href")
    gestures.checked(box, uk.get_by_role("button", name=re.compile(r"^Remove ")).click)
    expect(box).to_have_value("Mia Wong\tmia@acme.com")
    expect(chips.locator("[data-chip]")).to_have_count(1)
    page.goto(texts_url)
    expect(page.locator("#texts")).to_have_text("Texts (SMS)")
    expect(page.locator("#texts")).to_be_in_viewport()


PASTED = "Mia Wong\tmia@acme.com\nBad Person\tx@@y.com\nSam Doe\tsam@acme.com"
TWO_AT = "Not an email address: it has two @."


@pytest.mark.parametrize("viewport", [gestures.DESKTOP, gestures.PHONE], ids=["1280", "390"])
def test_send_invites_the_good_rows_and_says_whom_it_leaves_out(new_context, live_server, viewport, shot):
    """One bad row pasted held the whole Send (the API and the CLI invite the rest), and its
    reason was said twice, under the box and on its chip, naming its address twice ("x@@y.com:
    x@@y.com is not…"). Beside Send: how many it invites and how many rows with errors it leaves
    out (counted from the server's check); the report then names who was invited and who was
    left out, and why, once each."""
    page, dialog, box, chips = _invite_box(new_context, live_server, viewport)
    gestures.checked(box, lambda: box.fill(PASTED))
    bad = chips.locator("[data-chip=bad]")
    expect(bad.locator("[data-chip-why]")).to_have_text(TWO_AT)
    send = dialog.get_by_role("button", name="Send Invitation")
    note = dialog.locator("[data-send-note]")
    expect(note).to_have_text("2 will be invited; 1 row with errors is left out.")
    expect(note).to_be_in_viewport()
    # The note is the button's description: a screen reader hears it with Send.
    described = send.evaluate("b => b.getAttribute('aria-describedby')")
    assert note.evaluate("(n, id) => n.id === id", described), described
    gestures.expect_no_wider_than(page, viewport["width"])
    shot(page, "send-leaves-out")
    send.click()
    report = page.locator("[data-report]")
    expect(report).to_have_attribute("data-tone", "some")
    expect(report.locator("[data-invited]")).to_have_text(
        "Invited: Mia Wong (mia@acme.com), Sam Doe (sam@acme.com)."
    )
    expect(report.locator("li")).to_have_text([f"Bad Person <x@@y.com>: {TWO_AT}"])
    expect(page.get_by_text("Not an email address")).to_have_count(1)
    expect(page.locator('tr[data-address="mia@acme.com"]')).to_have_count(1)
    shot(page, "report")


def test_a_send_with_nobody_to_invite_says_each_error_once(new_context, live_server, shot):
    """Only rows with errors: nothing is sent and the box opens again; each reason is said once,
    on its chip (the list under the box said them all again, beside the chips)."""
    page, dialog, box, chips = _invite_box(new_context, live_server, gestures.DESKTOP)
    gestures.checked(box, lambda: box.fill("x@@y.com\nnot-an-address"))
    expect(dialog.locator("[data-send-note]")).to_have_text(
        "Nobody to invite yet: fix or remove the 2 rows with errors."
    )
    dialog.get_by_role("button", name="Send Invitation").click()
    expect(dialog).to_be_visible()
    expect(chips.locator("[data-chip=bad]")).to_have_count(2)
    expect(dialog.get_by_text(TWO_AT)).to_have_count(1)
    expect(dialog.get_by_text("An email address must have an @-sign.")).to_have_count(1)
    expect(dialog.locator(".field-error")).to_have_count(0)
    expect(box).to_have_attribute("aria-invalid", "true")
    shot(page, "nobody-to-invite")


def test_the_counts_are_the_servers_states(new_context, live_server):
    """The summary under the chips and the note beside Send count each row where the server's
    check puts it (its ``state``: ``CheckedRecipient.state``, the one rule), not from the row's
    flags in the page (it counted "listed twice" and "will be skipped" itself): one row of each
    state, each counted once. (The server's answer is not rewritten to tell the page otherwise:
    the web layer is not stood in for.)"""
    page, dialog, box, chips = _invite_box(new_context, live_server, gestures.DESKTOP)
    summary, note = chips.locator("[data-chips-summary]"), dialog.locator("[data-send-note]")
    typed = "mia@acme.com\nMIA@acme.com\nolive@acme.com\nx@@y.com"
    gestures.checked(box, lambda: box.fill(typed))
    expect(summary).to_have_text("1 to invite · 1 to fix · 1 listed twice · 1 will be skipped")
    expect(note).to_have_text("1 will be invited; 1 row with errors is left out.")


UPLOAD = "Or upload a list of email addresses or phone numbers"
LONG = "averyveryveryverylongaddressname.with.dots@subdomain.example-company-domain.com"


def test_a_long_address_keeps_its_remove_at_its_end_on_a_phone(new_context, live_server, shot):
    """At 390 px the long address broke with its × alone on a middle line, and the chips' box
    (11rem) hid the other chips under the summary with nothing to say it scrolls."""
    page, dialog, box, chips = _invite_box(new_context, live_server, gestures.PHONE)
    gestures.checked(box, lambda: box.fill(f"sam@acme.com, {LONG}, +1 202 555 0100"))
    expect(chips.locator("[data-chip]")).to_have_count(3)
    long_chip = chips.locator("[data-chip]").filter(has_text=LONG)
    remove = long_chip.get_by_role("button", name=f"Remove {LONG}")
    # The × on the address's last line, at the chip's end (it was on a line of its own).
    where = long_chip.evaluate(
        """c => { const r = document.createRange();
        r.selectNodeContents(c.querySelector('.chip-text') || c.firstChild);
        const lines = [...r.getClientRects()]; const x = c.querySelector('.chip-x').getBoundingClientRect();
        const chip = c.getBoundingClientRect(); const last = lines[lines.length - 1];
        return {xTop: x.top, xBottom: x.bottom, firstTop: lines[0].top, lastBottom: last.bottom,
                xRight: x.right, chipRight: chip.right, textRight: Math.max(...lines.map(l => l.right))}; }"""
    )
    assert where["xTop"] < where["lastBottom"] and where["xBottom"] > where["firstTop"], where
    assert where["xRight"] >= where["chipRight"] - 16, where
    assert where["textRight"] <= where["xRight"] - 20, where
    expect(remove).to_be_visible()
    # Every chip is in sight, or the box says that more are below.
    scrolls = chips.evaluate("c => c.scrollHeight > c.clientHeight + 2")
    if scrolls:
        expect(chips).to_have_class(re.compile(r"\bmore\b"))
        said = chips.locator("[data-chips-summary]").evaluate("s => getComputedStyle(s, '::after').content")
        assert "more below" in said, said
    else:
        for chip in chips.locator("[data-chip]").all():
            expect(chip).to_be_in_viewport()
            inside = (
                "c => c.getBoundingClientRect().bottom <= c.parentElement.getBoundingClientRect().bottom + 1"
            )
            assert chip.evaluate(inside), "a chip is hidden under the box's fold"
    shot(page, "long-address-phone")


def test_the_box_says_it_takes_phone_numbers_and_a_members_list_has_no_role(new_context, live_server):
    """Seed 001: people are invited "via email address or phone number"; the box said "Email
    addresses" and "Or upload email list", and a member's Invite Clients hint offered a Role
    column, though a client has no role to choose."""
    page, dialog, _box, _chips = _invite_box(new_context, live_server, gestures.DESKTOP)
    expect(dialog.get_by_label("Email addresses or phone numbers", exact=True)).to_be_visible()
    upload = dialog.get_by_label(UPLOAD, exact=True)
    expect(upload).to_be_visible()
    expect(dialog.locator("#file ~ .hint").first).to_contain_text("columns such as Email, Name, Role")
    db = live_server.app.state.db
    pf = create_portal(db, name="Beta Co", owner_email="bo@beta.com")
    active_member(db, pf, "mel@beta.com", password=OWNER_PASSWORD)
    mel = replace(pf, owner_email="mel@beta.com")
    member = gestures.signed_in(new_context, live_server, mel, gestures.DESKTOP, f"/p/{pf.slug}/users")
    member.get_by_role("button", name="Invite Users").click()
    box = member.locator("dialog#invite-dialog")
    expect(box.get_by_label(UPLOAD, exact=True)).to_be_visible()
    hint = box.locator("#file ~ .hint").first
    expect(hint).to_contain_text("columns such as Email, Name.")
    expect(hint).not_to_contain_text("Role")


def test_tab_stays_in_the_open_dialog(new_context, live_server):
    """Tab from Send Invitation went to the page's BODY, then to the dialog itself, before ×:
    in an open dialog the focus cycles within it, both ways, at both widths."""
    page, dialog, _box, _chips = _invite_box(new_context, live_server, gestures.DESKTOP)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        send = dialog.get_by_role("button", name="Send Invitation")
        close = dialog.get_by_role("button", name="Close")
        send.focus()
        page.keyboard.press("Tab")
        expect(close).to_be_focused()
        page.keyboard.press("Shift+Tab")
        expect(send).to_be_focused()


@pytest.mark.parametrize("viewport", [gestures.DESKTOP, gestures.PHONE], ids=["1280", "390"])
def test_colleagues_invited_as_clients_are_pointed_out(new_context, live_server, viewport, shot):
    """The tester pasted colleagues at the portal's own domain into a box left on Client (the
    last invite's): they went as clients without a word, where an outside address invited as an
    internal user gets a note. A colleague's address (recipients/check's ``colleague``, the
    workspace Invite panel's rule) gets one when the box invites clients, with the way to invite
    internal users instead; the user type is said beside Send, in sight on a phone."""
    page, dialog, box, chips = _invite_box(new_context, live_server, viewport)
    dialog.get_by_label("User type").select_option("client")
    said = dialog.locator("[data-invites-as]")
    expect(said).to_have_text("Invites clients")
    expect(said).to_be_in_viewport()
    gestures.checked(box, lambda: box.fill("Gus Gray\tgus@acme.com\nFay Fox\tfay@outlook.com"))
    colleague = chips.locator("[data-colleague]")
    expect(colleague).to_have_count(1)
    expect(colleague).to_contain_text("Gus Gray")
    expect(colleague.locator("[data-chip-why]")).to_have_text("at acme.com, your company's domain")
    expect(chips.locator("[data-chips-summary]")).to_have_text("2 to invite (1 at acme.com)")
    shot(page, "invite-colleague-as-client-" + ("phone" if viewport is gestures.PHONE else "desktop"))
    colleague.get_by_role("button", name="Invite internal users instead").click()
    expect(dialog.get_by_label("User type")).to_have_value("internal")
    expect(said).to_have_text("Invites internal users")
    expect(chips.locator("[data-colleague]")).to_have_count(0)
    expect(chips.locator("[data-outside]")).to_have_count(1)  # fay@outlook.com, now


def test_the_invite_boxs_tabs_are_tabs_to_a_screen_reader(new_context, live_server, shot):
    """Invite and Share Invite Link switch panels in place: Chromium's accessibility tree has
    them as tabs, the one shown selected, its panel named by it; the arrow keys move between
    them, as a screen reader's user expects of tabs (they were two plain buttons)."""
    page, dialog, box, chips = _invite_box(new_context, live_server, gestures.DESKTOP)
    invite = dialog.get_by_role("tab", name="Invite", exact=True)
    share = dialog.get_by_role("tab", name="Share Invite Link")
    expect(invite).to_have_attribute("aria-selected", "true")
    expect(dialog.get_by_role("tabpanel", name="Invite", exact=True)).to_be_visible()
    invite.focus()
    page.keyboard.press("ArrowRight")
    expect(share).to_be_focused()
    expect(share).to_have_attribute("aria-selected", "true")
    expect(invite).to_have_attribute("aria-selected", "false")
    expect(dialog.get_by_role("tabpanel", name="Share Invite Link")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(invite).to_be_focused()
    expect(dialog.get_by_role("group", name="Products")).to_be_visible()
    shot(page, "invite-box-products-group")


def test_a_file_chosen_makes_send_say_preview(new_context, live_server, tmp_path):
    """After choosing a file the button still said "Send Invitation", though it opens a preview
    and sends nothing: it says "Preview", and "Send Invitation" again once the file is gone."""
    path = tmp_path / "team.csv"
    path.write_text("email\r\nada@acme.com\r\n")
    page, dialog, box, chips = _invite_box(new_context, live_server, gestures.DESKTOP)
    send = dialog.locator("button[type=submit][data-for-tab=invite]")
    expect(send).to_have_text("Send Invitation")
    dialog.locator("#file").set_input_files(str(path))
    expect(send).to_have_text("Preview")
    dialog.locator("#file").set_input_files([])
    expect(send).to_have_text("Send Invitation")


TESTERS_ROWS = "\n".join(
    [
        "Ann Able\tann@acme.com",
        "Ben Berg\tben@acme.com",
        "Cat Cole\tcat@gmial.com",
        "Dev Dahl\tdev@acme.com",
        "Eve Eng\tnot-an-email",
        "Fay Fox\tfay@outlook.com",
        "Gus Gray\tgus@acme.com",
        "Hal Hunt\thal@acme.com",
    ]
)


def test_the_chips_grow_on_a_phone_not_a_scroller_of_one_and_a_half(new_context, live_server, shot):
    """The tester's 8 rows at 390 × 844: the chips were a scroller 11rem tall inside the
    scrolling dialog, a chip and a half in sight (j1-bulk-chips-phone.png). On a phone the
    chips' box grows to 60% of the screen's height before it scrolls on its own."""
    page, dialog, box, chips = _invite_box(new_context, live_server, gestures.PHONE)
    gestures.checked(box, lambda: box.fill(TESTERS_ROWS))
    expect(chips.locator("[data-chips-summary]")).to_be_attached()
    height, full = chips.evaluate("c => [c.clientHeight, c.scrollHeight]")
    assert height >= min(full, 0.55 * 844) - 2, (height, full)
    shot(page, "chips-phone")
