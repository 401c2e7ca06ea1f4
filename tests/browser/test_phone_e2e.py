"""What a phone shows (the tester's 390 × 844 Chromium window): fields that iOS Safari does not
zoom into, buttons a thumb can hit, lists that read as cards, an empty list said in words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.factories import create_portal, invite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
FIELDS = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea"


def _font_sizes(page) -> list[float]:
    return page.eval_on_selector_all(FIELDS, "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")


def _height(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["height"]


def test_fields_do_not_zoom_and_buttons_fit_a_thumb(new_context, live_server):
    """The invitation's page on a phone: every field's text is 16 px (iOS Safari zooms the page
    into a field under 16 px when it takes the focus, where it was 14 px) and the Join button
    44 px tall (it was 36 px); a touch screen's wide window gets the taller buttons too; a
    desktop window keeps its density (14 px, 36 px)."""
    db = live_server.app.state.db
    pf = create_portal(db)
    invite(db, pf, ["rita@acme.com"])
    link = live_server(f"/invite/{gestures.delivered_link(db, 'rita@acme.com')}")

    def opened(**options):
        page = new_context(**options).new_page()
        page.goto(link)
        expect(page.get_by_label("Your name")).to_be_visible()
        return page

    page = opened(viewport=PHONE)
    assert min(_font_sizes(page)) >= 16, _font_sizes(page)
    assert _height(page.get_by_role("button", name="Create account and join")) >= 44

    page = opened(viewport=DESKTOP, has_touch=True)
    assert _height(page.get_by_role("button", name="Create account and join")) >= 44

    page = opened(viewport=DESKTOP)
    assert set(_font_sizes(page)) == {14}, _font_sizes(page)
    assert _height(page.get_by_role("button", name="Create account and join")) == 36
