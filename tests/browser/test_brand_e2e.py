"""The portal's brand in a real browser: Settings sets a colour and uploads a logo; the top bar
then shows the logo (a real image, loaded) and primary buttons wear the colour."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.portals.images import png

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _set_up_globex(page, live_server) -> None:
    gestures.set_up(
        page,
        live_server,
        portal="Globex",
        owner_name="Olivia",
        owner_email="olivia@globex.com",
        password="owner-password-123",
    )


def test_settings_colour_and_logo_show_in_the_top_bar(new_context, live_server, tmp_path, shot):
    """An owner sets a yellow brand colour and uploads a PNG: the top bar shows the logo with the
    portal's name as its alt text, and the Save button is yellow with dark text."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(96, 32, (250, 204, 21)))
    page = new_context().new_page()
    _set_up_globex(page, live_server)
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


def test_settings_says_an_empty_name_under_it_at_a_phones_width(new_context, live_server, shot):
    """At 390 px, Save with the portal name emptied and an invitation lifetime of 0: no bubble of
    the browser's ("Please fill out this field." stopped the form); the server's words under each
    field, marked invalid, the focus on the name, the typed values kept."""
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    _set_up_globex(page, live_server)
    page.goto(live_server("/p/globex/settings"))
    name = page.get_by_label("Portal name")
    name.fill("")
    lifetime = page.locator("#invitation_ttl_hours")
    lifetime.fill("0")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#name_error")).to_have_text("The portal needs a name.")
    expect(page.locator("#invitation_ttl_hours_error")).to_have_text(
        "The invitation lifetime must be between 1 hour and 30 days."
    )
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()
    expect(name).to_have_value("")
    expect(lifetime).to_have_value("0")
    expect(page.get_by_role("alert")).to_have_text("2 things to fix below.")
    # Under the field, in the phone's width: nothing wider than the screen.
    box, field = page.locator("#name_error").bounding_box(), name.bounding_box()
    assert box and field and box["y"] >= field["y"] + field["height"] - 1 and box["x"] + box["width"] <= 390
    gestures.expect_no_wider_than(page, 390)
    shot(page, "settings-name-refused-390")
