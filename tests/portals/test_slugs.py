"""A portal's address (its slug) from its name: letters that have no accent to drop are written
as their usual ASCII spelling, never lost (a tester's "Ærø Widgets & Co" became r-widgets-co).
Both backends: a second portal of the same name gets the next free address."""

from __future__ import annotations

import pytest

from admit.portals import service as portals_service


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Ærø Widgets & Co", "aero-widgets-co"),
        ("Straße Œuvre", "strasse-oeuvre"),
        ("Łódź Þing Ðagur", "lodz-thing-dagur"),
        ("Crème Brûlée Ltd.", "creme-brulee-ltd"),
        ("東京", "portal"),  # nothing to spell in ASCII: a plain word
    ],
)
def test_a_name_is_spelled_in_ascii_not_cut(db, name, slug):
    with db.unit_of_work() as session:
        first = portals_service.new_portal(session, name)
        second = portals_service.new_portal(session, name)
        assert (first.slug, second.slug) == (slug, f"{slug}-2")


def test_a_portals_address_in_capitals_is_the_portal(client, db):
    """Slugs are lower case, so ``/p/ACME-INC`` is ``/p/acme-inc`` (as ``--portal ACME-INC`` is
    at the console): a page's address in capitals is sent to the portal's own (its query kept),
    an API call in capitals is answered as in lower case; someone signed out is asked to sign in
    first (nothing says the portal exists); an address no portal has is still not found."""
    from tests.factories import OWNER_PASSWORD, create_portal, login

    pf = create_portal(db)
    assert pf.slug == "acme-inc"
    signed_out = client.get("/p/ACME-Inc/users?tab=clients", follow_redirects=False)
    assert signed_out.status_code == 303 and "/login" in signed_out.headers["location"], signed_out.headers
    login(client, pf.owner_email, OWNER_PASSWORD)
    r = client.get("/p/ACME-Inc/users?tab=clients", follow_redirects=False)
    assert r.status_code == 308, r.text
    assert r.headers["location"] == "/p/acme-inc/users?tab=clients"
    assert client.get(r.headers["location"]).status_code == 200
    assert client.get("/p/ACME-Inc", follow_redirects=False).headers["location"] == "/p/acme-inc"
    assert client.get("/p/NOPE/users", follow_redirects=False).status_code == 404

    client.cookies.clear()
    api = client.get("/api/v1/portals/ACME-INC/invitations", headers=pf.headers())
    assert api.status_code == 200, api.text
    assert client.get("/api/v1/portals/NOPE/invitations", headers=pf.headers()).status_code == 404
