"""One member by id (``GET …/members/{member_id}``): the id a ``member.joined`` webhook carries
looked up, in the list's shape, with the list's rights, on both backends."""

from __future__ import annotations

import uuid

from tests.factories import active_member, create_portal, login


def test_a_member_is_read_by_id_as_the_list_shows_it(client, db):
    pf = create_portal(db)
    active_member(db, pf, "ada@acme.com")
    listed = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
    ada = next(m for m in listed if m["user"]["email"] == "ada@acme.com")
    r = client.get(f"/api/v1/portals/{pf.slug}/members/{ada['id']}", headers=pf.headers())
    assert r.status_code == 200, r.text
    assert r.json() == ada


def test_an_unknown_member_is_404_member_not_found(client, db):
    pf = create_portal(db)
    r = client.get(f"/api/v1/portals/{pf.slug}/members/{uuid.uuid4()}", headers=pf.headers())
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "member_not_found"


def test_another_portals_member_is_404(client, db):
    pf = create_portal(db)
    other = create_portal(db, name="Other Co", owner_email="boss@other.com")
    theirs = client.get(f"/api/v1/portals/{other.slug}/members", headers=other.headers()).json()["items"][0]
    r = client.get(f"/api/v1/portals/{pf.slug}/members/{theirs['id']}", headers=pf.headers())
    assert r.status_code == 404, r.text


def test_a_client_may_not_read_a_member_as_they_may_not_list_them(client, db):
    pf = create_portal(db)
    active_member(db, pf, "cal@client.org", user_type="client")
    members = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
    owner_id = members[-1]["id"]
    login(client, "cal@client.org")
    listing = client.get(f"/api/v1/portals/{pf.slug}/members")
    r = client.get(f"/api/v1/portals/{pf.slug}/members/{owner_id}")
    assert listing.status_code == 403
    assert (r.status_code, r.json()["code"]) == (403, listing.json()["code"])
