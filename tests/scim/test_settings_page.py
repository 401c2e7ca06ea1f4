"""Settings → SCIM, as an admin uses it: the base URL to give the identity provider, a token
shown once that works on /scim/v2, and Revoke; members cannot open it. Both databases."""

from __future__ import annotations

import re

from tests.factories import OWNER_PASSWORD, PASSWORD, active_member, create_portal, csrf_of, sign_in_page


def test_make_use_and_revoke_a_scim_token(client, db):
    pf = create_portal(db)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/settings/scim")
    assert page.status_code == 200 and "/scim/v2" in page.text and "No SCIM tokens yet." in page.text
    made = client.post(f"/p/{pf.slug}/settings/scim", data={"name": "Okta", "csrf_token": csrf_of(page.text)})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(scim_[^"]+)"', made.text).group(1)
    assert '<td data-label="Made by">Olive Owner</td>' in made.text
    assert secret not in client.get(f"/p/{pf.slug}/settings/scim").text  # shown once
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/scim/v2/Users", headers=bearer).status_code == 200
    revoke = re.search(r'data-confirm-action="[^"]*?(/p/[^"]+/revoke)"', made.text).group(1)
    done = client.post(revoke, data={"csrf_token": csrf_of(page.text)}, follow_redirects=True)
    assert "was revoked" in done.text
    assert client.get("/scim/v2/Users", headers=bearer).status_code == 401


def test_members_cannot_open_it(client, db):
    pf = create_portal(db)
    active_member(db, pf, "mia@acme.com")
    sign_in_page(client, "mia@acme.com", PASSWORD)
    assert client.get(f"/p/{pf.slug}/settings/scim").status_code == 403
