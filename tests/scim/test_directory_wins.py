"""SCIM's ``active`` is the member's real status (one source of truth), and a person the
directory deactivated is reactivated in the directory, not in Admit: the API, the CLI and User
Management refuse it naming the connection (``policy.check_reactivate_held``), where they reactivated
them and SCIM went on saying ``active: false``. Both databases."""

from __future__ import annotations

from tests.factories import OWNER_PASSWORD, csrf_of, sign_in_page
from tests.scim.test_scim_users_groups import PATCH, accept, member_of, okta_user

OFF = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}


def member_id(client, portal, email: str) -> str:
    r = client.get(f"/api/v1/portals/{portal.slug}/members", headers=portal.headers())
    return next(m["id"] for m in r.json()["items"] if m["user"]["email"] == email)


def test_active_is_the_members_status(db, worker, client, scim, portal):
    user_id = scim.post("/Users", okta_user("ann.lee@acme.com")).json()["id"]
    accept(db, worker, "ann.lee@acme.com")
    mid = member_id(client, portal, "ann.lee@acme.com")
    api = f"/api/v1/portals/{portal.slug}/members/{mid}"

    assert client.post(f"{api}/deactivate", headers=portal.headers()).status_code == 200
    assert scim.get(f"/Users/{user_id}").json()["active"] is False
    off = scim.get("/Users", params={"filter": "active eq false"}).json()
    assert [u["id"] for u in off["Resources"]] == [user_id]
    # The directory still says active: reactivating in Admit agrees with it.
    assert client.post(f"{api}/reactivate", headers=portal.headers()).status_code == 200
    assert scim.get(f"/Users/{user_id}").json()["active"] is True


def test_whom_the_directory_deactivated_is_not_reactivated_in_admit(
    db, worker, client, run_cli, scim, portal
):
    user_id = scim.post("/Users", okta_user("bo.ray@acme.com")).json()["id"]
    accept(db, worker, "bo.ray@acme.com")
    assert scim.patch(f"/Users/{user_id}", OFF).json()["active"] is False
    mid = member_id(client, portal, "bo.ray@acme.com")

    r = client.post(f"/api/v1/portals/{portal.slug}/members/{mid}/reactivate", headers=portal.headers())
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "permission_denied"
    assert r.json()["detail"].startswith("SCIM (Okta) deactivated them and manages them")
    # Refused for the directory, not for the role an API key acts as: nothing said of that.
    assert r.json()["detail"].endswith("they would be deactivated again at its next sync."), r.text

    cli = run_cli("members", "reactivate", "--portal", portal.slug, "bo.ray@acme.com")
    assert cli.exit_code != 0 and "SCIM (Okta) deactivated them" in cli.output

    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{portal.slug}/users", params={"status": "deactivated"})
    reactivate = f"/p/{portal.slug}/members/{mid}/reactivate"
    assert "bo.ray@acme.com" in page.text and f'data-confirm-action="{reactivate}"' not in page.text
    assert "By SCIM (Okta): reactivate them there" in page.text  # why there is no Reactivate
    said = client.post(
        f"/p/{portal.slug}/members/{mid}/reactivate",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=True,
    )
    assert "SCIM (Okta) deactivated them and manages them" in said.text

    assert member_of(db, portal, "bo.ray@acme.com").status == "deactivated"
    assert scim.get(f"/Users/{user_id}").json()["active"] is False
    # The directory's own word brings them back.
    on = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]}
    assert scim.patch(f"/Users/{user_id}", on).json()["active"] is True
    assert member_of(db, portal, "bo.ray@acme.com").status == "active"
