"""The audit log in words, with filters: the API (``summary``, ``category``, ``q``) and the page,
on both backends."""

from __future__ import annotations

from tests.factories import OWNER_PASSWORD, create_portal, invite, login


def _events(client, pf, **params):
    r = client.get(f"/api/v1/portals/{pf.slug}/audit-events", params=params, headers=pf.headers())
    assert r.status_code == 200, r.text
    return r.json()["items"]


class TestAuditLog:
    def test_events_read_as_sentences_and_filter(self, client, db):
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"], role="admin")
        invite(db, pf, ["cleo@client.org"], user_type="client")
        invitations = _events(client, pf, category="invitations")
        summaries = [e["summary"] for e in invitations]
        assert summaries == [
            "owner@acme.com invited cleo@client.org as Client",
            "owner@acme.com invited ada@example.com as Admin",
        ]
        assert [e["summary"] for e in _events(client, pf, q="ada@")] == [summaries[1]]
        assert _events(client, pf, category="members") == []
        assert any(e["action"] == "portal.created" for e in _events(client, pf, category="settings"))
        bad = client.get(
            f"/api/v1/portals/{pf.slug}/audit-events", params={"category": "x"}, headers=pf.headers()
        )
        assert bad.status_code == 422

    def test_the_page_shows_words_not_codes(self, client, db):
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"], role="admin")
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/audit", params={"category": "invitations"})
        assert page.status_code == 200
        assert "owner@acme.com invited ada@example.com as Admin" in page.text
        assert ">invitation.created<" not in page.text
