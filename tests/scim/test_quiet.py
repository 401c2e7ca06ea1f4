"""Settings → SCIM "Add them quietly" (issue 12 item 5): a new SCIM user becomes a member at once
with no email, then signs in with a sign-in link through the sign-in gate like anyone; an
account that exists already (another portal's) is invited all the same. Both databases."""

from __future__ import annotations

from admit.notifications import mailbox
from tests.factories import OWNER_PASSWORD, create_portal, csrf_of, member_joins, sign_in_page, token_in
from tests.scim.test_names import people
from tests.scim.test_scim_users_groups import invitation_status, member_of, okta_user


def test_quiet_users_are_members_at_once_and_sign_in_by_link(db, worker, client, scim, portal):
    r = client.patch(
        f"/api/v1/portals/{portal.slug}/settings", json={"scim_new_users": "quiet"}, headers=portal.headers()
    )
    assert r.status_code == 200 and r.json()["scim_new_users"] == "quiet", r.text
    other = create_portal(db, name="Other Co", owner_email="owner@other.example")
    member_joins(db, worker, other, "known@acme.com")  # an account of another portal

    assert scim.post("/Users", okta_user("quiet.one@acme.com")).status_code == 201
    assert scim.post("/Users", okta_user("known@acme.com")).status_code == 201
    worker.drain()
    assert member_of(db, portal, "quiet.one@acme.com").status == "active"
    # Added by the connection, as an invitation of it would say (User Management's Invited by).
    assert people(client, portal)["quiet.one@acme.com"]["invited_by_label"] == "SCIM (Okta)"
    assert invitation_status(db, portal, "quiet.one@acme.com") == []
    with db.unit_of_work() as s:
        assert mailbox.messages(s, to="quiet.one@acme.com") == []  # no email
    assert invitation_status(db, portal, "known@acme.com") == ["pending"]  # theirs: invited
    assert member_of(db, portal, "known@acme.com") is None

    # They come: a sign-in link, through the gate, into the portal.
    assert client.post("/api/v1/auth/sign-in-link", json={"email": "quiet.one@acme.com"}).status_code == 202
    worker.drain()
    with db.unit_of_work() as s:
        token = token_in(mailbox.messages(s, to="quiet.one@acme.com")[0].text, "sign_in")
    signed = client.post(f"/api/v1/auth/sign-in-link/{token}")
    assert signed.status_code == 200, signed.text
    assert [p["slug"] for p in signed.json()["portals"]] == [portal.slug]


def test_the_setting_on_the_scim_page(db, client, portal):
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{portal.slug}/settings/scim")
    assert 'value="invite" checked' in page.text
    saved = client.post(
        f"/p/{portal.slug}/settings/scim/new-users",
        data={"csrf_token": csrf_of(page.text), "scim_new_users": "quiet"},
        follow_redirects=True,
    )
    assert "Saved." in saved.text and 'value="quiet" checked' in saved.text
    bad = client.post(
        f"/p/{portal.slug}/settings/scim/new-users",
        data={"csrf_token": csrf_of(page.text), "scim_new_users": "x"},
    )
    assert bad.status_code == 422 and "added quietly" in bad.text
