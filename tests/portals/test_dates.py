"""Dates on the admin pages read one way: as emails write them ("6 January 2027 at 05:00 JST",
``kit.text``), in the portal's time zone, inside a ``<time>`` with the ISO value; on both
backends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from admit.audit.models import AuditEvent
from admit.auth.models import ApiKey
from admit.links.models import InviteLink
from admit.portals.models import Portal
from tests.factories import OWNER_PASSWORD, create_portal, login
from tests.links.helpers import link_token

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "admit" / "pages" / "templates"
LATER = datetime(2027, 1, 5, 20, 0, tzinfo=UTC)  # 05:00 on 6 January in Tokyo
SAID = f'<time datetime="{LATER.isoformat()}">6 January 2027 at 05:00 JST</time>'


def test_no_page_formats_a_date_itself():
    """Every date goes through the ``day``, ``moment`` or ``when`` filter: no template writes one
    with ``strftime`` (a zero-padded day, in UTC)."""
    written = [
        str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html") if "strftime" in p.read_text()
    ]
    assert written == []


class TestInThePortalsZone:
    def _portal(self, db):
        pf = create_portal(db)
        link_token(db, pf)  # the invite link, turned on
        with db.unit_of_work() as session:
            session.execute(update(Portal).where(Portal.id == pf.portal_id).values(time_zone="Asia/Tokyo"))
            session.execute(update(ApiKey).values(expires_at=LATER))
            session.execute(
                update(InviteLink).where(InviteLink.portal_id == pf.portal_id).values(expires_at=LATER)
            )
            first = session.scalars(select(AuditEvent).where(AuditEvent.portal_id == pf.portal_id)).first()
            first.created_at = datetime(2026, 11, 5, 16, 30, tzinfo=UTC)
        return pf

    def test_api_keys_expiry(self, client, db):
        pf = self._portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/settings/api-keys")
        assert page.status_code == 200
        assert SAID in page.text, page.text

    def test_the_invite_links_expiry(self, client, db):
        pf = self._portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/invite-link")
        assert f"expires {SAID}" in page.text

    def test_the_audit_logs_times(self, client, db):
        """A moment in a list is the same text (admit.js says recent ones as "5 min ago")."""
        pf = self._portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/audit")
        assert "data-local>6 November 2026 at 01:30 JST</time>" in page.text
        assert " UTC</time>" not in page.text
