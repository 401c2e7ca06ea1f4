"""The portal's brand in a real browser: Settings sets a colour and uploads a logo; the top bar
then shows the logo (a real image, loaded) and primary buttons wear the colour."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.portals.images import png

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_settings_colour_and_logo_show_in_the_top_bar(new_context, live_server, tmp_path, shot):
    """An owner sets a yellow brand colour and uploads a PNG: the top bar shows the logo with the
    portal's name as its alt text, and the Save button is yellow with dark text."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(96, 32, (250, 204, 21)))
    page = new_context().new_page()
    gestures.set_up_portal(
        page,
        live_server,
        portal="Globex",
        owner_name="Olivia",
        owner_email="olivia@globex.com",
        password="owner-password-123",
    )
    page.locator("header.top nav").get_by_role("link", name="Settings").click()
    expect(page.locator("header.top a.brand")).to_have_text("Globex")

    page.get_by_label("Colour picker").fill("#1e3a8a")  # the picker fills the typed field
    expect(page.get_by_label("Brand colour")).to_have_value("#1e3a8a")
    page.get_by_label("Brand colour").fill("#FC1")  # three digits, typed: the picker follows
    expect(page.get_by_label("Colour picker")).to_have_value("#ffcc11")
    page.get_by_label("Brand colour").fill("#FACC15")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved.")
    expect(page.get_by_label("Brand colour")).to_have_value("#facc15")
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_have_css("background-color", "rgb(250, 204, 21)")
    expect(save).to_have_css("color", "rgb(17, 24, 39)")  # near-black reads on yellow

    page.get_by_label("Upload a logo").set_input_files(str(logo))
    page.get_by_role("button", name="Upload logo").click()
    expect(page.get_by_role("status")).to_contain_text("Logo saved.")
    image = page.locator("header.top a.brand img")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("alt", "Globex")
    expect(image).to_have_attribute("src", re.compile(r"^/brand/globex/logo-[0-9a-f]{16}\.png$"))
    page.wait_for_function("() => document.querySelector('header.top a.brand img').naturalWidth === 96")
    shot(page, "brand-settings")

    # Every signed-in page wears it, not just Settings.
    page.locator("header.top nav").get_by_role("link", name="User Management").click()
    expect(page.locator("header.top a.brand img")).to_be_visible()
