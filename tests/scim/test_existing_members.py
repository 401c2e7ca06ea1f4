"""A directory meets people already in the portal (joined through an ordinary invitation): its
filter finds them by userName or email, which links them to the directory (the Audit Log says
when), and a POST for one of them is 409 ``uniqueness`` (RFC 7644 §3.3), never a second
invitation. Both databases."""

from __future__ import annotations

from tests.factories import invite, member_joins
from tests.scim.test_scim_users_groups import PATCH, accept, invitation_status, member_of, okta_user


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


def test_a_pending_invitee_is_taken_over_like_a_member(db, worker, client, scim, portal):
    """Invited by email, not joined yet: as an active member is, the filter finds them and links
    their invitation to the directory (audited; no second invitation, no new email), and a POST
    for them is 409 ``uniqueness`` naming the pending invitation, never the pipeline's 400. The
    directory then manages the invitation: a new name renames it, a deactivation revokes it, and
    whoever accepts theirs is the directory's member."""
    from admit.notifications import mailbox

    invite(db, portal, ["ivy@opsco.com", "ian@opsco.com"])
    worker.drain()

    posted = scim.post("/Users", okta_user("ivy@opsco.com"))
    assert posted.status_code == 409, posted.text
    assert posted.json()["scimType"] == "uniqueness"
    assert posted.json()["detail"] == (
        "ivy@opsco.com has a pending invitation to the portal (not accepted yet). Match them instead: "
        'GET /Users?filter=userName eq "ivy@opsco.com" finds them and links them and their invitation '
        "to this directory."
    )

    found = scim.get("/Users", params={"filter": 'userName eq "ivy@opsco.com"'}).json()
    assert found["totalResults"] == 1, found
    (ivy,) = found["Resources"]
    assert ivy["userName"] == "ivy@opsco.com" and ivy["active"] is True
    again = scim.get("/Users", params={"filter": 'userName eq "ivy@opsco.com"'}).json()
    assert [u["id"] for u in again["Resources"]] == [ivy["id"]]
    assert audit(client, portal, "took over") == [
        "SCIM (Okta) took over the invitation to ivy@opsco.com, not accepted yet: "
        "the directory manages it from now on"
    ]
    assert scim.post("/Users", okta_user("ivy@opsco.com")).json()["scimType"] == "uniqueness"
    assert invitation_status(db, portal, "ivy@opsco.com") == ["pending"]
    worker.drain()
    with db.unit_of_work() as session:
        assert len(mailbox.messages(session, to="ivy@opsco.com")) == 1  # theirs, not a second

    # The directory's name follows onto the invitation; she accepts the one she has.
    renamed = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"displayName": "Ivy Ng"}}]}
    assert scim.patch(f"/Users/{ivy['id']}", renamed).status_code == 200
    assert audit(client, portal, "changed the name")
    accept(db, worker, "ivy@opsco.com")
    assert scim.get(f"/Users/{ivy['id']}").json()["active"] is True
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"/Users/{ivy['id']}", off).json()["active"] is False
    assert member_of(db, portal, "ivy@opsco.com").status == "deactivated"

    # Ian, matched by his email, is deactivated before he joins: his invitation is revoked.
    by_email = scim.get("/Users", params={"filter": 'emails[type eq "work"].value eq "ian@opsco.com"'})
    (ian,) = by_email.json()["Resources"]
    assert scim.patch(f"/Users/{ian['id']}", off).json()["active"] is False
    assert invitation_status(db, portal, "ian@opsco.com") == ["revoked"]


def test_a_pending_client_invitation_is_not_the_directorys(db, worker, scim, portal):
    invite(db, portal, ["cleo@client.example"], user_type="client")
    assert (
        scim.get("/Users", params={"filter": 'userName eq "cleo@client.example"'}).json()["totalResults"] == 0
    )
    refused = scim.post("/Users", okta_user("cleo@client.example"))
    assert refused.status_code == 409 and refused.json()["scimType"] == "uniqueness", refused.text
    assert refused.json()["detail"] == (
        "cleo@client.example is invited to the portal as a client: "
        "a directory provisions internal users only."
    )
    assert invitation_status(db, portal, "cleo@client.example") == ["pending"]
