"""A SCIM user's name goes into their invitation (and follows a name change while it is
pending), and the invitation says who made it: the SCIM token's connection, "SCIM (Okta)", on
User Management, in the email and in the audit log, where it said the portal ("Acme Inc invited
you to join Acme Inc", "Hello,") and "—". Both databases."""

from __future__ import annotations

from admit.flows import join
from admit.notifications import mailbox
from tests.factories import PASSWORD, last_link
from tests.scim.test_scim_users_groups import PATCH, USER


def ada(**extra) -> dict:
    return {
        "schemas": [USER],
        "userName": "ada@acme.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "active": True,
        **extra,
    }


def people(client, portal) -> dict:
    r = client.get(f"/api/v1/portals/{portal.slug}/people", headers=portal.headers())
    assert r.status_code == 200, r.text
    return {row["address"]: row for row in r.json()["items"]}


def test_the_name_and_the_connection_are_on_the_invitation(db, worker, client, scim, portal):
    user_id = scim.post("/Users", ada()).json()["id"]
    row = people(client, portal)["ada@acme.com"]
    assert row["name"] == "Ada Lovelace" and row["invited_by_label"] == "SCIM (Okta)"

    worker.drain()
    with db.unit_of_work() as session:
        (email,) = mailbox.messages(session, to="ada@acme.com")
        assert email.text.startswith("Hello Ada Lovelace,")
        assert "SCIM (Okta) invited you to join Acme Inc" in email.text

    events = client.get(
        f"/api/v1/portals/{portal.slug}/audit-events",
        params={"category": "invitations"},
        headers=portal.headers(),
    ).json()["items"]
    assert events[0]["summary"].startswith("SCIM (Okta) invited Ada Lovelace (ada@acme.com)")

    renamed = {"op": "replace", "path": "name.givenName", "value": "Augusta"}
    assert scim.patch(f"/Users/{user_id}", {"schemas": [PATCH], "Operations": [renamed]}).status_code == 200
    assert people(client, portal)["ada@acme.com"]["name"] == "Augusta Lovelace"


def test_display_name_is_the_name_when_given(client, scim, portal):
    assert scim.post("/Users", ada(displayName="Countess Lovelace")).status_code == 201
    assert people(client, portal)["ada@acme.com"]["name"] == "Countess Lovelace"


def test_the_api_names_the_connection_where_no_person_invited(client, scim, portal):
    """``invited_by`` is the person who invited (null here: nobody did), and ``invited_by_label``
    says who did in words, as User Management's Invited by does."""
    assert scim.post("/Users", ada()).status_code == 201
    r = client.get(f"/api/v1/portals/{portal.slug}/invitations", headers=portal.headers())
    assert r.status_code == 200, r.text
    (inv,) = r.json()["items"]
    assert (inv["invited_by"], inv["invited_by_label"]) == (None, "SCIM (Okta)")


def test_who_joined_through_it_was_invited_by_the_connection(db, worker, client, scim, portal):
    """Once they accept, their member row on User Management still says who invited them, as a
    person's accepted invitation does (it said "—")."""
    assert scim.post("/Users", ada()).status_code == 201
    worker.drain()
    with db.unit_of_work() as session:
        join.accept(session, token=last_link(db, "ada@acme.com"), password=PASSWORD)
    row = people(client, portal)["ada@acme.com"]
    assert (row["kind"], row["invited_by_label"]) == ("member", "SCIM (Okta)")
