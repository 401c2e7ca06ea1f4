"""The Audit Log's filters in a real browser: who did it (a select that narrows at once), From
and to days (the portal's), the filters kept in the address, Export CSV carrying them, and the
page at a phone's width."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from admit.audit import service as audit_service
from admit.portals.models import Portal
from tests.browser import gestures
from tests.factories import PortalFixture, active_member, actor_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _seed(db, slug: str) -> None:
    """A week of events by the owner and by Ada, in a portal working in Europe/Paris."""
    portal = None
    with db.unit_of_work() as session:
        portal = session.scalar(select(Portal).where(Portal.slug == slug))
        portal.time_zone = "Europe/Paris"
        portal_id = portal.id
    active_member(db, PortalFixture(slug, "", "olivia@acme.com", portal_id), "ada@acme.com", role="admin")
    with db.unit_of_work() as session:
        owner = actor_for(session, slug, "olivia@acme.com")
        ada = actor_for(session, slug, "ada@acme.com")
        for day in range(1, 8):
            for who, action, target in (
                (owner, "invitation.revoked", f"guest{day}@example.com"),
                (ada, "member.deactivated", f"leaver{day}@acme.com"),
            ):
                event = audit_service.record(session, who, action, target_type="x", target_label=target)
                event.created_at = datetime(2025, 12, day, 10, 5, tzinfo=UTC)


def test_filter_the_audit_log_and_export_it(live_server, new_context, shot):
    server = live_server
    page = new_context().new_page()
    gestures.set_up(
        page, server, portal="Acme Inc.", owner_name="Olivia Owner", owner_email="olivia@acme.com",
        password="owner-password-123",
    )  # fmt: skip
    slug = re.search(r"/p/([^/]+)/", page.url).group(1)
    _seed(server.app.state.db, slug)
    page.get_by_role("link", name="Audit Log").click()
    expect(page.get_by_role("heading", name="Audit Log")).to_be_visible()

    # Who did it: choosing someone narrows the list at once.
    page.get_by_label("Who did it").select_option(label="ada")
    expect(page).to_have_url(re.compile(r"actor=ada%40acme\.com"))
    expect(page.locator("#audit [data-summary]").first).to_have_text("ada deactivated leaver7@acme.com")
    # Days, the portal's: a day typed in full narrows it too; both ends are included.
    page.get_by_label("From").fill("2025-12-03")
    expect(page).to_have_url(re.compile(r"since=2025-12-03"))
    page.get_by_label("to", exact=True).fill("2025-12-05")
    expect(page).to_have_url(re.compile(r"until=2025-12-05"))
    rows = page.locator("#audit [data-summary]")
    expect(rows).to_have_text([f"ada deactivated leaver{d}@acme.com" for d in (5, 4, 3)])
    # The form shows what the address says, after a reload too.
    page.reload()
    expect(page.get_by_label("Who did it")).to_have_value("ada@acme.com")
    expect(page.get_by_label("From")).to_have_value("2025-12-03")
    expect(page.get_by_label("to", exact=True)).to_have_value("2025-12-05")
    expect(page.get_by_text("Days are Paris time (CET).")).to_be_visible()
    shot(page, "audit-filtered-desktop")

    # A "to" day before From is the server's to say (the browser kept it back and the page
    # reloaded without it, saying nothing: the second tester).
    page.get_by_label("to", exact=True).fill("2025-12-01")
    expect(page).to_have_url(re.compile(r"until=2025-12-01"))
    expect(page.get_by_text("must be the same day as")).to_be_visible()
    page.get_by_label("to", exact=True).fill("2025-12-05")
    expect(page).to_have_url(re.compile(r"until=2025-12-05"))

    # Export CSV carries the filters: the download holds exactly the rows listed.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8") as f:
        exported = list(csv.reader(io.StringIO(f.read())))
    assert [row[4] for row in exported[1:]] == [f"ada deactivated leaver{d}@acme.com" for d in (5, 4, 3)]

    # At a phone's width the filters stack and nothing runs off the edge.
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    shot(page, "audit-filtered-390")

    page.get_by_role("link", name="Clear filters").click()
    expect(page).to_have_url(server(f"/p/{slug}/audit"))
    expect(page.get_by_label("Who did it")).to_have_value("")
