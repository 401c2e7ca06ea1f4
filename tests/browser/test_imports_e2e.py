"""Bulk invitations in a real browser: upload a list in the Invite modal, read the preview,
send, watch the progress bar reach 100%, download the per-row report."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.factories import create_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER_EMAIL = "olivia@acme.com"
OWNER_PASSWORD = "owner-password-123"


def addresses(page) -> list[str]:
    """The page's rows by address (their times, "now" or "1 minute ago", move as time passes)."""
    return page.locator('#people tbody td[data-label="Email or phone"]').all_inner_texts()


def test_upload_preview_progress_and_report(new_context, live_server, tmp_path, shot):
    """An admin uploads a CSV, sees what will happen, sends, sees 100%, and downloads the report."""
    rows = ["Email Address,First Name,Last Name"]
    rows += [f"person{i}@example.com,Person,{i}" for i in range(300)]
    rows += [
        "person7@example.com,Again,Seven",
        "broken@gmial.com,Typo,Domain",
        f"{OWNER_EMAIL},Olivia,Owner",
        "=cmd@evil.example.com,Formula,Cell",
        "longname@example.com," + "A" * 247 + ",X",  # a name longer than any form takes, unbroken
    ]
    path = tmp_path / "team.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8-sig"))

    page = new_context().new_page()
    gestures.set_up(
        page,
        live_server,
        portal="Acme Inc.",
        owner_name="Olivia",
        owner_email=OWNER_EMAIL,
        password=OWNER_PASSWORD,
    )

    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    dialog.locator("#file").set_input_files(str(path))
    dialog.get_by_role("button", name="Preview").click()

    preview = page.locator("[data-preview]")
    expect(preview).to_contain_text("nothing has been sent yet")
    counts = {
        code: page.locator(f'tr[data-outcome="{code}"] [data-count]')
        for code in ("will_invite", "duplicate", "invalid_recipient", "already_member")
    }
    expect(counts["will_invite"]).to_have_text("301")
    expect(counts["duplicate"]).to_have_text("1")
    expect(counts["invalid_recipient"]).to_have_text("2")
    expect(counts["already_member"]).to_have_text("1")
    # A long unbroken name wraps in its cell: the page is no wider than the window (a tester's
    # 247-character name made it 2,114 px wide at 1,280).
    gestures.expect_no_wider_than(page, 1280)
    expect(page.locator('tr[data-outcome="invalid_recipient"]')).to_contain_text(
        "Did you mean broken@gmail.com?"
    )
    # The cell at fault stands out, the row it is in follows in grey.
    bad = page.locator('tr[data-outcome="invalid_recipient"] [data-sample]').first
    expect(bad.locator("[data-cell]")).to_have_text("broken@gmial.com")
    expect(bad).to_contain_text("(the row: “broken@gmial.com,Typo,Domain”)")
    shot(page, "import-preview")

    page.get_by_role("button", name="Send 301 invitations").click()
    box = page.locator("[data-import]")
    expect(box.locator("[data-percent]")).to_have_text("100%", timeout=30_000)
    expect(box.locator("[data-state-label]")).to_have_text("Done")
    expect(box.locator("[data-invited]")).to_have_text("301")
    # The finished page lists the rows that were not invited, in the list's order, and why.
    skipped = box.locator("[data-skipped-rows] tbody tr")
    expect(skipped).to_have_count(4)
    expect(skipped.nth(0)).to_contain_text("302")
    expect(skipped.nth(0)).to_contain_text("appears more than once in the list")
    expect(skipped.nth(1)).to_contain_text("the row: “broken@gmial.com,Typo,Domain”")
    expect(skipped.nth(1)).to_contain_text("Did you mean broken@gmail.com?")
    expect(skipped.nth(2)).to_contain_text("olivia@acme.com")
    expect(skipped.nth(3)).to_contain_text("The name is at most 200 characters.")
    gestures.expect_no_wider_than(page, 1280)
    shot(page, "import-done")

    with page.expect_download() as download_info:
        box.get_by_role("link", name="Download report (CSV)").click()
    report = list(csv.reader(io.StringIO(download_info.value.path().read_text(encoding="utf-8"))))
    assert report[0] == ["row", "recipient", "email", "name", "outcome", "detail"]
    assert len(report) == 1 + 305
    by_row = {int(r[0]): r for r in report[1:]}
    assert by_row[2][4] == "invited" and by_row[2][2] == "person0@example.com"
    assert by_row[302][4] == "duplicate"
    assert by_row[303][4] == "invalid_recipient"
    assert by_row[304][4] == "already_member"
    assert by_row[305][2].startswith("'=")  # a formula cell is escaped
    assert by_row[306][4] == "invalid_recipient"

    page.get_by_role("link", name="← User Management").click()
    expect(page.locator("[data-total]")).to_have_text("1–50 of 302")  # the owner and 301 invited
    # Paging keeps its place in the URL; First page goes back.
    first_rows = addresses(page)
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("[data-total]")).to_have_text("51–100 of 302")
    assert "cursor=" in page.url and "start=51" in page.url
    second_rows = addresses(page)
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("[data-total]")).to_have_text("101–150 of 302")
    # Previous walks back page by page, to the very rows each page showed.
    page.get_by_role("link", name="Previous page").click()
    expect(page.locator("[data-total]")).to_have_text("51–100 of 302")
    assert addresses(page) == second_rows
    page.get_by_role("link", name="Previous page").click()
    expect(page.locator("[data-total]")).to_have_text("1–50 of 302")
    assert addresses(page) == first_rows
    expect(page.get_by_role("link", name="Previous page")).to_have_count(0)
    page.get_by_role("link", name="Next page").click()
    page.get_by_role("link", name="First page").click()
    expect(page.locator("[data-total]")).to_have_text("1–50 of 302")
    # Sort by name from the list's sort menu (it applies when chosen).
    page.get_by_label("Sort").select_option("name")
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page.locator("#people tbody tr").first).to_contain_text("Formula Cell")
    names = page.locator("#people tbody tr td:first-child").all_inner_texts()
    assert names == sorted(names, key=str.lower) and len(names) == 50
    shot(page, "user-management-sorted")
    page.set_viewport_size({"width": 390, "height": 844})
    # On a phone a person takes three short lines (name and status; address and delivery; the
    # rest), within the screen's width: a card of labelled fields had been ~300 px a person.
    heights = page.locator("#people tbody tr").evaluate_all(
        "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    assert len(heights) == 50 and max(heights) < 130, heights
    gestures.expect_no_wider_than(page, 390)
    shot(page, "user-management-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    # Search as you type: no button needed, the URL keeps it.
    page.get_by_label("Search").fill("person299")
    expect(page.locator("[data-total]")).to_have_text("1–1 of 1 matching")
    expect(page.locator('tr[data-address="person299@example.com"] [data-status]')).to_have_text("Pending")
    assert "q=person299" in page.url
    # Export CSV downloads exactly what the list shows.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = Path(download.value.path()).read_text()
    assert exported.splitlines()[0].startswith("name,address") and len(exported.splitlines()) == 2
    assert "person299@example.com" in exported


def test_role_column_is_used_only_when_ticked_and_owners_need_a_yes(new_context, live_server, tmp_path, shot):
    """A list with a Role column: ignored at first (everyone gets the modal's role); ticking
    "Use the Role column" redoes the preview with each row's role, up to the list's role, which
    the preview can raise; a list that makes owners cannot be sent until the owner says yes."""
    path = tmp_path / "roles.csv"
    path.write_text(
        "email,name,role\r\na@example.com,Ada,admin\r\nm@example.com,Mo,member\r\no@example.com,Oz,owner\r\n"
    )
    page = new_context().new_page()
    gestures.set_up(
        page,
        live_server,
        portal="Acme",
        owner_name="Olivia",
        owner_email=OWNER_EMAIL,
        password=OWNER_PASSWORD,
    )
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    dialog.locator("#file").set_input_files(str(path))  # as members (the default)
    dialog.get_by_role("button", name="Preview").click()

    roles = page.locator("[data-roles]")
    expect(roles).to_have_text("Will invite: 3 as Member")  # the column is ignored
    # Unticked, the choice beside it reads as the alternative it is.
    expect(page.locator("[data-role-column]")).to_contain_text("Use the Role column or invite everyone as")
    page.get_by_label("Use the Role column").check()
    expect(roles).to_have_text("Will invite: 1 as Member")
    refused = page.locator('tr[data-outcome="not_allowed"] [data-sample]')
    # Each refused row once: its address, name and role, then why (nothing said twice).
    expect(refused.first).to_have_text(
        "row 2: a@example.com · Ada “admin” is above the role chosen for this list (member)."
    )
    # Said where the refused rows are, with the one click that lets them in (the tester had
    # to find the "up to" control below "Nobody in this list can be invited").
    raise_it = page.locator("[data-raise]")
    expect(raise_it).to_contain_text("2 rows ask for more than Member, so they are not invited.")
    raise_it.get_by_role("button", name="Invite up to Owner").click()
    expect(page.get_by_label("The most a row may ask for")).to_have_value("owner")
    expect(page.locator("[data-raise]")).to_have_count(0)
    expect(roles).to_contain_text("1 as Admin")
    expect(roles).to_contain_text("1 as Member")
    expect(roles).to_contain_text("1 as Owner")
    expect(page.get_by_label("Use the Role column")).to_be_checked()
    # The preview shows what was read from each row (address, name, role), not the raw line.
    expect(page.locator('tr[data-outcome="will_invite"] [data-sample]').first).to_have_text(
        "row 2: a@example.com · Ada · Admin"
    )
    shot(page, "role-column-used")
    # Owners need an explicit yes: the box is required, and the server checks it too.
    page.get_by_role("button", name="Send 3 invitations").click()
    expect(page.locator("[data-preview]")).to_be_visible()  # the browser refused: nothing sent
    page.get_by_label(re.compile(r"Yes, make .+ an owner\.")).check()
    page.get_by_role("button", name="Send 3 invitations").click()
    expect(page.locator("[data-import] [data-state-label]")).to_have_text("Done", timeout=30_000)
    expect(page.locator("[data-invited]")).to_have_text("3")


def test_a_paste_of_60000_addresses_becomes_an_import(new_context, live_server, shot):
    """Pasting 60,000 addresses (about 1.6 MB, more than a form field may carry) into the Invite
    box gives the import's preview, not an error page, and nothing is lost."""
    page = new_context().new_page()
    gestures.set_up(
        page,
        live_server,
        portal="Acme",
        owner_name="Olivia",
        owner_email=OWNER_EMAIL,
        password=OWNER_PASSWORD,
    )
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    text = "\n".join(f"client.number.{i}@example-company.com" for i in range(60_000))
    assert len(text) > 1024 * 1024
    # What a paste leaves in the box (typing 1.6 MB key by key would take minutes).
    dialog.locator("#recipients").evaluate("(box, text) => { box.value = text; }", text)
    dialog.get_by_role("button", name="Send Invitation").click(timeout=60_000)  # a 60,000-row preview
    expect(page.get_by_role("heading", name="Invite from a pasted list")).to_be_visible(timeout=60_000)
    expect(page.locator('tr[data-outcome="will_invite"] [data-count]')).to_have_text("60,000")


def test_excel_files_in_any_encoding_preview_their_people(new_context, live_server):
    """An .xlsx workbook and Excel's default CSVs (Windows-1252, Mac Roman) upload from the
    Invite modal and preview with their names intact."""
    page = new_context().new_page()
    gestures.set_up(
        page,
        live_server,
        portal="Acme",
        owner_name="Olivia",
        owner_email=OWNER_EMAIL,
        password=OWNER_PASSWORD,
    )
    users = page.url
    for name in ("workbook.xlsx", "excel_windows1252.csv", "excel_mac_roman.csv"):
        page.goto(users)
        page.get_by_role("button", name="Invite Users").click()
        dialog = page.locator("dialog#invite-dialog")
        dialog.locator("#file").set_input_files(
            str(Path(__file__).parent.parent / "imports" / "files" / name)
        )
        dialog.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("heading", name=f"Invite from {name}")).to_be_visible()
        will_invite = page.locator('tr[data-outcome="will_invite"]')
        expect(will_invite.locator("[data-count]")).not_to_have_text("0")
        expect(will_invite).to_contain_text("zoe@example.com")
        expect(will_invite).to_contain_text("Zoë Ångström" if name == "workbook.xlsx" else "René Lévesque")


def test_a_preview_on_a_phone_is_a_readable_list(new_context, live_server, tmp_path, shot):
    """The tester's 23-row list on a phone: "First rows" took half the card beside nothing, its
    addresses broken mid-word, and the page was 5,700 px tall. At 390 px each outcome's rows run
    across the card, an address on one line, and the rows not shown are counted."""
    path = tmp_path / "team-phone.csv"
    people = [f"ph-person{i}@acme-widgets.com,Person Import{i}" for i in range(20)]
    path.write_text(
        "email,name\r\n" + "\r\n".join([*people, "ph-bad@,Bad Row", "x@gmial.com,Ty Po"]) + "\r\n"
    )
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme-widgets.com")
    page = gestures.signed_in(new_context, live_server, pf, gestures.PHONE, f"/p/{pf.slug}/users")
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    dialog.locator("#file").set_input_files(str(path))
    dialog.locator("button[type=submit][data-for-tab=invite]").click()
    will = page.locator('tr[data-outcome="will_invite"]')
    expect(will.locator("[data-sample-more]")).to_have_text("and 15 more")
    row, cell = will.bounding_box(), will.locator('td[data-label="First rows"]').bounding_box()
    assert cell["width"] > 0.9 * row["width"], (cell, row)
    first = will.locator("[data-cell]").first
    lines = first.evaluate(
        "c => { const r = document.createRange(); r.selectNodeContents(c);"
        " return r.getClientRects().length; }"
    )
    assert lines == 1, f"ph-person0@acme-widgets.com breaks over {lines} lines"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2000, height
    gestures.expect_no_wider_than(page, 390)
    shot(page, "preview-phone")
