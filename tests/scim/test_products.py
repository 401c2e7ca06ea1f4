"""Settings → SCIM "Products new people get" (as an HR connection's): what a SCIM user's
invitation (or quiet membership) gives, where every SCIM invitation gave none. Its default is
the Invite box's (none ticked). Both databases."""

from __future__ import annotations

from sqlalchemy import select

from admit.invitations.models import Invitation
from tests.factories import OWNER_PASSWORD, csrf_of, sign_in_page
from tests.scim.test_scim_users_groups import member_of, okta_user


def products_of(db, email: str) -> list[str]:
    with db.unit_of_work() as session:
        return list(session.scalar(select(Invitation.products).where(Invitation.recipient == email)))


def test_new_people_get_the_products_chosen(db, client, scim, portal):
    assert scim.post("/Users", okta_user("before@acme.com")).status_code == 201
    assert products_of(db, "before@acme.com") == []  # the default: the Invite box's, none
    r = client.patch(
        f"/api/v1/portals/{portal.slug}/settings",
        json={"scim_products": ["billing", "messaging"]},
        headers=portal.headers(),
    )
    assert r.status_code == 200 and r.json()["scim_products"] == ["messaging", "billing"], r.text
    assert scim.post("/Users", okta_user("after@acme.com")).status_code == 201
    assert products_of(db, "after@acme.com") == ["messaging", "billing"]

    client.patch(
        f"/api/v1/portals/{portal.slug}/settings", json={"scim_new_users": "quiet"}, headers=portal.headers()
    )
    assert scim.post("/Users", okta_user("quiet@acme.com")).status_code == 201
    assert member_of(db, portal, "quiet@acme.com").products == ["messaging", "billing"]

    bad = client.patch(
        f"/api/v1/portals/{portal.slug}/settings", json={"scim_products": ["nope"]}, headers=portal.headers()
    )
    assert bad.status_code == 422


def test_the_choice_on_the_scim_page(client, portal):
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{portal.slug}/settings/scim")
    assert "Products new people get" in page.text and 'name="products" value="billing" >' in page.text
    saved = client.post(
        f"/p/{portal.slug}/settings/scim/new-users",
        data={"csrf_token": csrf_of(page.text), "scim_new_users": "invite", "products": ["billing"]},
        follow_redirects=True,
    )
    assert "Saved." in saved.text and 'name="products" value="billing" checked' in saved.text
