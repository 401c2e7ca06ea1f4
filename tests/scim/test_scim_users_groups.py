"""SCIM Users and Groups against the real app: CRUD, filters, paging, Okta and Entra ID PATCH
bodies, deactivation through flows.members, groups as internal teams, a revoked token."""

from __future__ import annotations

from sqlalchemy import select

from admit.flows import join
from admit.invitations.models import Invitation
from admit.members.models import Member, User
from admit.teams.models import Team, TeamMember
from tests.factories import last_link

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def okta_user(email: str, **extra) -> dict:
    """The body Okta sends to create a user (its provisioning guide)."""
    given, family = email.split("@")[0].split(".") if "." in email.split("@")[0] else (email, "X")
    return {
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": given.title(), "familyName": family.title()},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": f"{given.title()} {family.title()}",
        "active": True,
        **extra,
    }


def member_of(db, portal, email: str) -> Member | None:
    with db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            return None
        member = session.scalar(
            select(Member).where(Member.portal_id == portal.portal_id, Member.user_id == user.id)
        )
        if member is not None:
            session.expunge(member)
        return member


def invitation_status(db, portal, email: str) -> list[str]:
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(Invitation.status).where(
                Invitation.portal_id == portal.portal_id, Invitation.recipient == email
            )
        )
        return sorted(rows)


def accept(db, worker, email: str) -> None:
    worker.drain()
    token = last_link(db, email)
    with db.unit_of_work() as session:
        join.accept(session, token=token, name="Ann", password="a-good-password-42")


def test_create_invites_through_the_pipeline_and_reads_back(db, scim, portal):
    r = scim.post("/Users", okta_user("ann.lee@acme.com", externalId="00u1"))
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert body["userName"] == "ann.lee@acme.com" and body["active"] is True
    assert r.headers["location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert invitation_status(db, portal, "ann.lee@acme.com") == ["pending"]
    assert member_of(db, portal, "ann.lee@acme.com") is None  # a member only once they accept

    got = scim.get(f"/Users/{body['id']}").json()
    assert got["externalId"] == "00u1" and got["name"]["givenName"] == "Ann"

    again = scim.post("/Users", okta_user("ANN.LEE@acme.com"))
    assert again.status_code == 409
    assert again.json()["scimType"] == "uniqueness"
    assert again.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_filters_and_paging(scim):
    for i in range(5):
        email = f"p{i}.user@acme.com"
        scim.post("/Users", okta_user(email, externalId=f"ext{i}"))
    listed = scim.get("/Users", params={"filter": 'userName eq "P3.user@acme.com"'}).json()
    assert listed["totalResults"] == 1 and listed["Resources"][0]["userName"] == "p3.user@acme.com"
    by_ext = scim.get("/Users", params={"filter": 'externalId eq "ext2"'}).json()
    assert [u["userName"] for u in by_ext["Resources"]] == ["p2.user@acme.com"]
    by_email = scim.get("/Users", params={"filter": 'emails[type eq "work"].value eq "p1.user@acme.com"'})
    assert [u["userName"] for u in by_email.json()["Resources"]] == ["p1.user@acme.com"]
    by_name = scim.get("/Users", params={"filter": 'displayName eq "P4 User"'}).json()
    assert [u["userName"] for u in by_name["Resources"]] == ["p4.user@acme.com"]
    none = scim.get("/Users", params={"filter": 'userName eq "nobody@acme.com"'}).json()
    assert none["totalResults"] == 0 and none["Resources"] == []

    page = scim.get("/Users", params={"startIndex": 2, "count": 2}).json()
    assert page["totalResults"] == 5 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [u["userName"] for u in page["Resources"]] == ["p1.user@acme.com", "p2.user@acme.com"]

    bad = scim.get("/Users", params={"filter": 'userName eq "x" and'})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"


def test_okta_deactivate_and_reactivate_a_member(db, worker, scim, portal):
    user_id = scim.post("/Users", okta_user("bo.ray@acme.com")).json()["id"]
    accept(db, worker, "bo.ray@acme.com")
    assert member_of(db, portal, "bo.ray@acme.com").status == "active"

    # Okta deactivates with a PATCH without a path.
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    r = scim.patch(f"/Users/{user_id}", off)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert member_of(db, portal, "bo.ray@acme.com").status == "deactivated"

    on = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]}
    assert scim.patch(f"/Users/{user_id}", on).json()["active"] is True
    assert member_of(db, portal, "bo.ray@acme.com").status == "active"

    # Okta's rename: a PUT of the whole user.
    renamed = okta_user("bo.ray@acme.com", displayName="Bo Ray-Smith")
    assert scim.put(f"/Users/{user_id}", renamed).json()["displayName"] == "Bo Ray-Smith"


def test_entra_patch_with_capitalised_ops_and_string_booleans(db, worker, scim, portal):
    user_id = scim.post("/Users", okta_user("cy.dee@acme.com")).json()["id"]
    accept(db, worker, "cy.dee@acme.com")
    body = {
        "schemas": [PATCH],
        "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "title", "value": "Engineer"},
        ],
    }
    r = scim.patch(f"/Users/{user_id}", body)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["title"] == "Engineer"
    assert member_of(db, portal, "cy.dee@acme.com").status == "deactivated"

    back = {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]}
    assert scim.patch(f"/Users/{user_id}", back).json()["active"] is True
    assert member_of(db, portal, "cy.dee@acme.com").status == "active"
    remove = {"schemas": [PATCH], "Operations": [{"op": "Remove", "path": "title"}]}
    assert "title" not in scim.patch(f"/Users/{user_id}", remove).json()


def test_inactive_before_joining_revokes_the_invitation_and_delete_keeps_data(db, scim, portal):
    user_id = scim.post("/Users", okta_user("di.eve@acme.com")).json()["id"]
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    scim.patch(f"/Users/{user_id}", off)
    assert invitation_status(db, portal, "di.eve@acme.com") == ["revoked"]

    assert scim.delete(f"/Users/{user_id}").status_code == 204
    assert scim.get(f"/Users/{user_id}").status_code == 404
    assert invitation_status(db, portal, "di.eve@acme.com") == ["revoked"]  # nothing erased


def test_groups_are_internal_teams(db, scim, portal):
    a = scim.post("/Users", okta_user("ed.fox@acme.com")).json()["id"]
    b = scim.post("/Users", okta_user("fa.gin@acme.com")).json()["id"]
    r = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Sales", "members": [{"value": a}]})
    assert r.status_code == 201, r.text
    group_id = r.json()["id"]

    with db.unit_of_work() as session:
        team = session.scalar(select(Team).where(Team.portal_id == portal.portal_id, Team.name == "Sales"))
        assert team is not None and team.kind == "team"
        team_id = team.id

    def team_people() -> set[str]:
        with db.unit_of_work() as session:
            rows = session.scalars(select(TeamMember).where(TeamMember.team_id == team_id))
            return {tm.user.email for tm in rows}

    assert team_people() == {"ed.fox@acme.com"}
    add = {"schemas": [PATCH], "Operations": [{"op": "Add", "path": "members", "value": [{"value": b}]}]}
    assert scim.patch(f"/Groups/{group_id}", add).status_code == 200
    assert team_people() == {"ed.fox@acme.com", "fa.gin@acme.com"}
    remove = {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{a}"]'}]}
    assert scim.patch(f"/Groups/{group_id}", remove).status_code == 200
    assert team_people() == {"fa.gin@acme.com"}

    found = scim.get("/Groups", params={"filter": 'displayName eq "Sales"'}).json()
    assert [g["id"] for g in found["Resources"]] == [group_id]
    assert scim.get(f"/Users/{b}").json()["groups"][0]["value"] == group_id

    put = {"schemas": [GROUP], "displayName": "Sales EMEA", "members": [{"value": a}]}
    assert scim.put(f"/Groups/{group_id}", put).json()["displayName"] == "Sales EMEA"
    assert team_people() == {"ed.fox@acme.com"}

    assert scim.delete(f"/Groups/{group_id}").status_code == 204
    assert scim.get(f"/Groups/{group_id}").status_code == 404
    with db.unit_of_work() as session:
        team = session.get(Team, team_id)
        assert team.name == "Sales EMEA"
        assert team is not None and team.deleted_at is not None  # soft: the row stays


def test_revoked_or_missing_token_is_401_in_scim_format(client, scim, portal):
    assert scim.get("/Users").status_code == 200
    assert scim.get("/Users", token="scim_nope").status_code == 401
    tokens = client.get(f"/api/v1/portals/{portal.slug}/scim-tokens", headers=portal.headers()).json()
    assert [t["name"] for t in tokens["items"]] == ["Okta"] and "token" not in tokens["items"][0]
    r = client.delete(
        f"/api/v1/portals/{portal.slug}/scim-tokens/{tokens['items'][0]['id']}", headers=portal.headers()
    )
    assert (r.status_code, r.content) == (204, b"")
    listed = client.get(f"/api/v1/portals/{portal.slug}/scim-tokens", headers=portal.headers()).json()
    assert listed["items"][0]["revoked_at"]
    refused = scim.get("/Users")
    assert refused.status_code == 401
    assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert refused.json()["status"] == "401"
    assert client.get("/scim/v2/Users").status_code == 401


def test_a_deactivated_member_posted_again_is_not_invited(db, worker, scim, portal):
    """A member the directory deleted (deactivated) and then creates again is not invited: an
    invitation does not bring a deactivated member back. The directory's view of the record
    sent again (a PUT, ``active: true``) reactivates them, the same membership, as for any
    deactivated member."""
    first = scim.post("/Users", okta_user("di.ana@acme.com")).json()["id"]
    accept(db, worker, "di.ana@acme.com")
    assert scim.delete(f"/Users/{first}").status_code == 204
    r = scim.post("/Users", okta_user("di.ana@acme.com"))
    assert r.status_code == 201, r.text
    assert invitation_status(db, portal, "di.ana@acme.com") == ["accepted"]
    assert member_of(db, portal, "di.ana@acme.com").status == "deactivated"
    assert scim.put(f"/Users/{r.json()['id']}", okta_user("di.ana@acme.com")).status_code == 200
    assert member_of(db, portal, "di.ana@acme.com").status == "active"
    assert invitation_status(db, portal, "di.ana@acme.com") == ["accepted"]


def test_out_of_a_scim_group_someone_keeps_the_workspace_it_brought_them_to(client, db, scim, portal):
    """SCIM takes people out of a team as the API and Contacts do (``groups.take_out``): they
    stay in a workspace the team brought them to, on their own (no ``via_team``, off its row)."""
    a = scim.post("/Users", okta_user("ed.fox@acme.com")).json()["id"]
    b = scim.post("/Users", okta_user("fa.gin@acme.com")).json()["id"]
    group_id = scim.post(
        "/Groups", {"schemas": [GROUP], "displayName": "Sales", "members": [{"value": a}, {"value": b}]}
    ).json()["id"]
    api = f"/api/v1/portals/{portal.slug}"
    team = client.get(f"{api}/teams", headers=portal.headers()).json()["items"][0]
    ws = client.post(f"{api}/workspaces", json={"name": "Deals"}, headers=portal.headers()).json()
    r = client.post(
        f"{api}/workspaces/{ws['id']}/members", json={"team_ids": [team["id"]]}, headers=portal.headers()
    )
    assert r.status_code == 201, r.text
    remove = {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{a}"]'}]}
    assert scim.patch(f"/Groups/{group_id}", remove).status_code == 200
    panel = client.get(f"{api}/workspaces/{ws['id']}/members", headers=portal.headers()).json()
    via = {m["user"]["email"]: (m["via_team"] or {}).get("name") for m in panel["items"]}
    assert via == {"ed.fox@acme.com": None, "fa.gin@acme.com": "Sales"}, panel
    assert [(t["team"]["name"], t["not_joined"]) for t in panel["teams"]] == [("Sales", 1)]
