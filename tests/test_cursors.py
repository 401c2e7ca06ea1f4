"""A list's cursor belongs to that list (``kit.pagination``): another list refuses it, 422
naming ``cursor``, rather than reading it as a place in its own rows; on both backends."""

from __future__ import annotations

from tests.factories import active_member, create_portal, invite


def _next(client, pf, path: str) -> str:
    r = client.get(f"/api/v1/portals/{pf.slug}/{path}", params={"limit": 1}, headers=pf.headers())
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"], r.text
    return r.json()["next_cursor"]


def test_a_cursor_of_invitations_is_refused_by_members(client, db):
    pf = create_portal(db)
    invite(db, pf, ["ada@acme.com", "grace@acme.com"])
    active_member(db, pf, "mel@acme.com")
    cursor = _next(client, pf, "invitations")
    r = client.get(f"/api/v1/portals/{pf.slug}/members", params={"cursor": cursor}, headers=pf.headers())
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "cursor"
    assert "another list" in r.json()["detail"]
    members_cursor = _next(client, pf, "members")
    r = client.get(
        f"/api/v1/portals/{pf.slug}/invitations", params={"cursor": members_cursor}, headers=pf.headers()
    )
    assert (r.status_code, r.json()["field"]) == (422, "cursor")


def test_a_lists_own_cursor_still_pages(client, db):
    pf = create_portal(db)
    invite(db, pf, ["ada@acme.com", "grace@acme.com"])
    cursor = _next(client, pf, "invitations")
    r = client.get(f"/api/v1/portals/{pf.slug}/invitations", params={"cursor": cursor}, headers=pf.headers())
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == 1


def test_a_cursor_of_one_order_is_refused_by_the_other(db):
    """The reviewer: cursors were bound by the model's name only, so an oldest-first list and a
    newest-first list of one model read each other's as a place in their own rows."""
    import pytest
    from sqlalchemy import select

    from admit.errors import InvalidInput
    from admit.invitations.models import Invitation
    from admit.kit.pagination import page

    pf = create_portal(db)
    invite(db, pf, ["ada@acme.com", "grace@acme.com", "alan@acme.com"])
    with db.unit_of_work() as session:
        query = select(Invitation).where(Invitation.portal_id == pf.portal_id)
        _rows, oldest = page(session, query, Invitation, cursor=None, limit=1, oldest_first=True)
        _rows, newest = page(session, query, Invitation, cursor=None, limit=1)
        assert len(page(session, query, Invitation, cursor=oldest, limit=1, oldest_first=True)[0]) == 1
        with pytest.raises(InvalidInput) as refused:
            page(session, query, Invitation, cursor=oldest, limit=1)
        assert refused.value.fields.get("field") == "cursor"
        with pytest.raises(InvalidInput):
            page(session, query, Invitation, cursor=newest, limit=1, oldest_first=True)
