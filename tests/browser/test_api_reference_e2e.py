"""The API reference at /api/docs, opened in Chromium: Swagger UI starts (its inline start-up
script is let in by its hash; the page's policy stops every other inline script) and lists the
operations, with nothing blocked (``new_context`` fails the test on any policy violation)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_api_reference_shows_the_operations(new_context, live_server):
    page = new_context().new_page()
    page.goto(live_server("/api/docs"))
    # Swagger UI fetches and lays out the whole document (~300 operations) before its heading:
    # ~1 s idle, over 5 s (the default wait) on a machine this busy with other runs.
    expect(page.get_by_role("heading", name="Admit")).to_be_visible(timeout=30_000)
    expect(page.locator("#operations-tag-invitations")).to_be_visible()
    # An operation opens, and says what it answers (its codes come from the document).
    page.locator(".opblock-post .opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_contain_text("problem+json")
