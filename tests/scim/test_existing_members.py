"""A directory meets people already in the portal (joined through an ordinary invitation): its
filter finds them by userName or email, which links them to the directory (the Audit Log says
when), and a POST for one of them is 409 ``uniqueness`` (RFC 7644 §3.3), never a second
invitation. Both databases."""

from __future__ import annotations

from tests.factories import member_joins
from tests.scim.test_scim_users_groups import PATCH, member_of, okta_user


def audit(client, portal, q: str) -> list[str]:
    r = client.get(f"/api/v1/portals/{portal.slug}/audit-events", params={"q": q}, headers=portal.headers())
    assert r.status_code == 200, r.text
    return [e["summary"] for e in r.json()["items"]]


def test_the_filter_finds_a_member_and_links_them_post_is_409(db, worker, client, scim, portal):
    member_joins(db, worker, portal, "erin@opsco.com")

    posted = scim.post("/Users", okta_user("erin@opsco.com"))
    assert posted.status_code == 409, posted.text
    assert posted.json()["scimType"] == "uniqueness"
    assert 'filter=userName eq "erin@opsco.com"' in posted.json()["detail"]

    found = scim.get("/Users", params={"filter": 'userName eq "Erin@opsco.com"'}).json()
    assert found["totalResults"] == 1, found
    (erin,) = found["Resources"]
    assert erin["userName"] == "erin@opsco.com" and erin["active"] is True
    assert erin["emails"][0]["value"] == "erin@opsco.com"
    assert scim.get(f"/Users/{erin['id']}").json()["userName"] == "erin@opsco.com"
    # Matched again: the same record, and taken over once.
    again = scim.get("/Users", params={"filter": 'userName eq "erin@opsco.com"'}).json()
    assert [u["id"] for u in again["Resources"]] == [erin["id"]]
    assert audit(client, portal, "took over") == [
        "SCIM (Okta) took over erin (erin@opsco.com), in the portal already: "
        "the directory manages them from now on"
    ]
    assert scim.post("/Users", okta_user("erin@opsco.com")).json()["scimType"] == "uniqueness"

    # The directory now manages them: its deactivation is theirs.
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"/Users/{erin['id']}", off).json()["active"] is False
    assert member_of(db, portal, "erin@opsco.com").status == "deactivated"


def test_an_email_filter_matches_too_and_a_client_is_not_taken(db, worker, client, scim, portal):
    member_joins(db, worker, portal, "finn@opsco.com")
    member_joins(db, worker, portal, "cleo@client.example", user_type="client")

    by_email = scim.get("/Users", params={"filter": 'emails[type eq "work"].value eq "finn@opsco.com"'})
    assert [u["userName"] for u in by_email.json()["Resources"]] == ["finn@opsco.com"]

    # A client is not an internal user: the directory neither finds nor creates them.
    assert (
        scim.get("/Users", params={"filter": 'userName eq "cleo@client.example"'}).json()["totalResults"] == 0
    )
    refused = scim.post("/Users", okta_user("cleo@client.example"))
    assert refused.status_code == 409 and refused.json()["scimType"] == "uniqueness"
    assert "a client" in refused.json()["detail"]
    assert member_of(db, portal, "cleo@client.example").user_type == "client"
