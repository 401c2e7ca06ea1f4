"""The Invite box (User Management → Invite Users) as a new user met it: spreadsheet rows
pasted, every chip with a × that takes out its row (bad and skipped ones too: only the good ones
had one), the reasons in words; at a phone's width a long address stays inside its chip and the
chips' box shows that it scrolls."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.factories import create_portal

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
    expect(bad.locator("[data-chip-why]")).to_have_text("bad@@acme is not an email address: it has two @.")
    for chip in chips.locator("[data-chip]").all():
        expect(chip.get_by_role("button", name=re.compile(r"^Remove "))).to_be_visible()
    shot(page, "rows-every-chip-removable")
    gestures.checked(box, bad.get_by_role("button", name=re.compile(r"^Remove ")).click)
    expect(box).to_have_value("Mia Wong\tmia@acme.com\nUK Person\t+44 20 7946 0001")
    uk = chips.locator("[data-chip]").filter(has_text="UK Person")
    gestures.checked(box, uk.get_by_role("button", name=re.compile(r"^Remove ")).click)
    expect(box).to_have_value("Mia Wong\tmia@acme.com")
    expect(chips.locator("[data-chip]")).to_have_count(1)

