"""Everything an admin makes can be managed: renaming and deleting teams, client groups,
contacts and flow roles through the API, on both backends (issue 10, item 8a)."""

from __future__ import annotations

import html
import re
import uuid

import pytest

from admit.policy import Role
from tests.factories import OWNER_PASSWORD, actor_for, csrf_of, sign_in_page
from tests.workspaces.helpers import (
    add,
    api,
    create_portal,
    create_workspace,
    joined,
    members,
    session_headers,
    status_of,
)


def _owner_page(client, pf, path: str):
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    return client.get(f"/p/{pf.slug}{path}")


def audit(client, pf) -> list[dict]:
    r = client.get(api(pf, "/audit-events"), params={"category": "workspaces"}, headers=pf.headers())
    assert r.status_code == 200, r.text
    return r.json()["items"]


def make(client, pf, path: str, name: str, headers=None, **body) -> dict:
    r = client.post(api(pf, path), json={"name": name, **body}, headers=headers or pf.headers())
    assert r.status_code == 201, r.text
    return r.json()["team"]


def names(client, pf, path: str, headers=None) -> list[str]:
    r = client.get(api(pf, path), headers=headers or pf.headers())
    assert r.status_code == 200, r.text
    return [t["name"] for t in r.json()["items"]]


class TestRenameTeamsAndGroups:
    def test_rename_a_team_is_audited_and_listed(self, client, db, worker):
        """A team gets its new name (trimmed) everywhere it is listed, and the log says so."""
        pf = create_portal(db)
        team = make(client, pf, "/teams", "Design")
        r = client.patch(
            api(pf, f"/teams/{team['id']}"), json={"name": "  Product design "}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "Product design"
        assert names(client, pf, "/teams") == ["Product design"]
        event = next(e for e in audit(client, pf) if e["action"] == "team.renamed")
        assert event["detail"] == {"from": "Design", "to": "Product design"}
        assert "Product design" in event["summary"] and "Design" in event["summary"]

    def test_duplicate_and_blank_names_are_refused_naming_the_field(self, client, db, worker):
        """The rules of creation hold: a blank name is 422 on ``name``; another live group's
        name is 409 ``team_exists`` on ``name``; a team and a group may share a name."""
        pf = create_portal(db)
        a = make(client, pf, "/client-groups", "Smith family")
        make(client, pf, "/client-groups", "Jones family")
        make(client, pf, "/teams", "Tax")
        path = api(pf, f"/client-groups/{a['id']}")
        blank = client.patch(path, json={"name": "   "}, headers=pf.headers())
        assert (blank.status_code, blank.json()["code"], blank.json()["field"]) == (
            422,
            "invalid_input",
            "name",
        )
        long = client.patch(path, json={"name": "x" * 201}, headers=pf.headers())
        assert (long.status_code, long.json()["field"]) == (422, "name")
        dup = client.patch(path, json={"name": "Jones family"}, headers=pf.headers())
        assert (dup.status_code, dup.json()["code"], dup.json()["field"]) == (409, "team_exists", "name")
        assert "Jones family" in dup.json()["detail"]
        assert client.patch(path, json={"name": "Tax"}, headers=pf.headers()).status_code == 200
        assert sorted(names(client, pf, "/client-groups")) == ["Jones family", "Tax"]

    def test_a_team_is_not_renamed_through_the_groups_path(self, client, db, worker):
        """Ids in paths say what they are: a team's id under /client-groups is 404."""
        pf = create_portal(db)
        team = make(client, pf, "/teams", "Tax")
        r = client.patch(api(pf, f"/client-groups/{team['id']}"), json={"name": "X"}, headers=pf.headers())
        assert (r.status_code, r.json()["code"]) == (404, "team_not_found")


class TestDeleteTeamsAndGroups:
    def test_deleted_group_people_and_history_stay(self, client, db, worker):
        """Deleting a client group that is in a workspace: its clients stay in the portal and in
        the workspace (joined or not), the audit log keeps its creation and records the delete;
        the group is gone from the list and from the Members panel's group rows."""
        pf = create_portal(db)
        joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        group = make(
            client, pf, "/client-groups", "Smith family", recipients=["cleo@client.org", "b@smith.net"]
        )
        ws = create_workspace(client, pf, "Estate")
        assert add(client, pf, ws["id"], group_ids=[group["id"]]).status_code == 201
        r = client.delete(api(pf, f"/client-groups/{group['id']}"), headers=pf.headers())
        assert r.status_code == 204, r.text
        assert names(client, pf, "/client-groups") == []
        assert status_of(client, pf, ws["id"]) == {
            "cleo@client.org": "joined",
            "b@smith.net": "not_joined",
        }
        panel = members(client, pf, ws["id"])
        assert panel["teams"] == []
        people = client.get(api(pf, "/people"), params={"user_type": "client"}, headers=pf.headers()).json()
        assert {"cleo@client.org", "b@smith.net"} <= {p["address"] for p in people["items"]}
        actions = [e["action"] for e in audit(client, pf)]
        assert "client_group.created" in actions and "client_group.deleted" in actions
        deleted = next(e for e in audit(client, pf) if e["action"] == "client_group.deleted")
        assert deleted["detail"] == {"members": 2}

    def test_deleted_team_is_unusable_and_its_name_free(self, client, db, worker):
        """A deleted team cannot be added to a workspace (422 on ``team_ids``), resent, renamed,
        added to or deleted again (404 ``team_not_found``); a new team may take its name."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        team = make(client, pf, "/teams", "Tax", user_ids=[ivy.user_id])
        ws = create_workspace(client, pf)
        assert add(client, pf, ws["id"], team_ids=[team["id"]]).json()["counts"]["added"] == 1
        assert client.delete(api(pf, f"/teams/{team['id']}"), headers=pf.headers()).status_code == 204
        other = create_workspace(client, pf, "Other")
        r = add(client, pf, other["id"], team_ids=[team["id"]])
        assert (r.status_code, r.json()["field"]) == (422, "team_ids"), r.text
        for r in (
            client.post(api(pf, f"/workspaces/{ws['id']}/teams/{team['id']}/resend"), headers=pf.headers()),
            client.patch(api(pf, f"/teams/{team['id']}"), json={"name": "X"}, headers=pf.headers()),
            client.delete(api(pf, f"/teams/{team['id']}"), headers=pf.headers()),
            client.post(api(pf, f"/teams/{team['id']}/members"), json={"user_ids": []}, headers=pf.headers()),
        ):
            assert (r.status_code, r.json()["code"]) == (404, "team_not_found"), r.text
        assert "ivy@acme.com" in status_of(client, pf, ws["id"])  # kept the workspace they joined
        again = make(client, pf, "/teams", "Tax")
        assert again["id"] != team["id"] and names(client, pf, "/teams") == ["Tax"]


class TestWhoMayManageTeams:
    def test_members_manage_groups_not_teams_and_clients_neither(self, client, db, worker):
        """As at creation: an internal member renames and deletes client groups but not teams
        (403); a client can do neither (403)."""
        pf = create_portal(db)
        joined(db, worker, client, pf, "mel@acme.com")
        joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        team = make(client, pf, "/teams", "Tax")
        group = make(client, pf, "/client-groups", "Smiths")
        h = session_headers(client, "cleo@client.org")
        for path in (f"/teams/{team['id']}", f"/client-groups/{group['id']}"):
            assert client.patch(api(pf, path), json={"name": "X"}, headers=h).status_code == 403
            assert client.delete(api(pf, path), headers=h).status_code == 403
        h = session_headers(client, "mel@acme.com")
        r = client.patch(api(pf, f"/teams/{team['id']}"), json={"name": "X"}, headers=h)
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
        assert client.delete(api(pf, f"/teams/{team['id']}"), headers=h).status_code == 403
        assert (
            client.patch(api(pf, f"/client-groups/{group['id']}"), json={"name": "S"}, headers=h).status_code
            == 200
        )
        assert client.delete(api(pf, f"/client-groups/{group['id']}"), headers=h).status_code == 204
        assert names(client, pf, "/teams") == ["Tax"] and names(client, pf, "/client-groups") == []


class TestTeamsOnTheContactsPage:
    def test_rename_and_delete_from_the_row_menu_with_csrf(self, client, db, worker):
        """The Contacts page's row menu renames a group and deletes a team by CSRF-checked posts;
        the confirmation names the count of people who stay; a post without the token is 403."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        team = make(client, pf, "/teams", "Design", user_ids=[ivy.user_id])
        group = make(client, pf, "/client-groups", "Smiths")
        make(client, pf, "/client-groups", "Lovelace LLP", recipients=["amy@lovelace.biz", "bo@lovelace.biz"])
        page = _owner_page(client, pf, "/contacts")
        text = html.unescape(page.text)
        assert "Delete the team “Design”? Its 1 member stays in the portal and keeps the workspaces" in text
        # A group's people may not have joined yet: not called "clients" of the portal.
        assert (
            "Delete the client group “Lovelace LLP”? Its 2 people stay in the portal and keep the workspaces"
            in text
        )
        assert f"/p/{pf.slug}/teams/{team['id']}/delete" in text
        csrf = csrf_of(page.text)
        forged = client.post(f"/p/{pf.slug}/client-groups/{group['id']}/rename", data={"name": "Jones"})
        assert forged.status_code == 403
        r = client.post(
            f"/p/{pf.slug}/client-groups/{group['id']}/rename", data={"csrf_token": csrf, "name": "Jones"}
        )
        assert "Client group “Smiths” is now “Jones”." in html.unescape(r.text)
        r = client.post(
            f"/p/{pf.slug}/client-groups/{group['id']}/rename", data={"csrf_token": csrf, "name": " "}
        )
        assert "The client group needs a name." in html.unescape(r.text)
        r = client.post(f"/p/{pf.slug}/teams/{team['id']}/delete", data={"csrf_token": csrf})
        text = html.unescape(r.text)
        assert "Team “Design” deleted." in text and 'data-team="Design"' not in text
        assert 'data-team="Jones"' in text


def contacts(client, pf, headers=None) -> dict:
    r = client.get(api(pf, "/contacts"), headers=headers or pf.headers())
    assert r.status_code == 200, r.text
    return {c["user"]["email"] or c["user"]["phone"]: c for c in r.json()["items"]}


def add_contact(client, pf, headers=None, **body) -> dict:
    r = client.post(api(pf, "/contacts"), json=body, headers=headers or pf.headers())
    assert r.status_code == 201, r.text
    return r.json()["contact"]


class TestContacts:
    def test_rename_keeps_the_rules_of_adding(self, client, db, worker):
        """A contact is renamed (trimmed, audited); a blank or too long name is 422 on ``name``;
        adding with a too long name is refused the same way (one rule)."""
        pf = create_portal(db)
        c = add_contact(client, pf, recipient="nora@home.net", name="Nora", then="quietly")
        path = api(pf, f"/contacts/{c['id']}")
        r = client.patch(path, json={"name": " Nora Smith "}, headers=pf.headers())
        assert r.status_code == 200 and r.json()["user"]["name"] == "Nora Smith", r.text
        assert r.json()["status"] == "not_invited"
        assert contacts(client, pf)["nora@home.net"]["user"]["name"] == "Nora Smith"
        for bad in ("  ", "x" * 201):
            r = client.patch(path, json={"name": bad}, headers=pf.headers())
            assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "invalid_input", "name")
        r = client.post(
            api(pf, "/contacts"),
            json={"recipient": "b@home.net", "name": "y" * 201, "then": "quietly"},
            headers=pf.headers(),
        )
        assert (r.status_code, r.json()["field"]) == (422, "name"), r.text
        event = next(e for e in audit(client, pf) if e["action"] == "contact.renamed")
        assert event["detail"] == {"from": "Nora", "to": "Nora Smith"}

    def test_delete_keeps_the_person_and_their_invitation(self, client, db, worker):
        """Removing a contact who was invited: gone from the list, the invitation still pending
        and in the roster, the audit log keeps both events; removing again is 404."""
        pf = create_portal(db)
        c = add_contact(client, pf, recipient="nora@home.net", name="Nora", then="contacts")
        r = client.delete(api(pf, f"/contacts/{c['id']}"), headers=pf.headers())
        assert r.status_code == 204, r.text
        assert contacts(client, pf) == {}
        invitations = client.get(api(pf, "/invitations"), headers=pf.headers()).json()["items"]
        assert [(i["recipient"], i["status"]) for i in invitations] == [("nora@home.net", "pending")]
        actions = [e["action"] for e in audit(client, pf)]
        assert "contact.added" in actions and "contact.deleted" in actions
        again = client.delete(api(pf, f"/contacts/{c['id']}"), headers=pf.headers())
        assert (again.status_code, again.json()["code"]) == (404, "contact_not_found")
        gone = client.post(api(pf, f"/contacts/{c['id']}/invite"), headers=pf.headers())
        assert gone.status_code == 404
        assert add_contact(client, pf, recipient="nora@home.net", then="quietly")["id"] != c["id"]

    def test_only_your_own_contacts_and_no_clients(self, client, db, worker):
        """Contacts are per person: a member cannot rename or delete someone else's contact (404),
        and a client can keep none (403)."""
        pf = create_portal(db)
        joined(db, worker, client, pf, "mel@acme.com")
        joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        c = add_contact(client, pf, recipient="nora@home.net", then="quietly")
        h = session_headers(client, "mel@acme.com")
        r = client.patch(api(pf, f"/contacts/{c['id']}"), json={"name": "X"}, headers=h)
        assert (r.status_code, r.json()["code"]) == (404, "contact_not_found")
        assert client.delete(api(pf, f"/contacts/{c['id']}"), headers=h).status_code == 404
        h = session_headers(client, "cleo@client.org")
        assert client.patch(api(pf, f"/contacts/{c['id']}"), json={"name": "X"}, headers=h).status_code == 403
        assert client.delete(api(pf, f"/contacts/{c['id']}"), headers=h).status_code == 403
        assert "nora@home.net" in contacts(client, pf)


def roles_of(client, pf, ws_id, headers=None) -> list[dict]:
    r = client.get(api(pf, f"/workspaces/{ws_id}/roles"), headers=headers or pf.headers())
    assert r.status_code == 200, r.text
    return r.json()["items"]


class TestFlowRoles:
    def test_rename_keeps_holder_and_follows_the_rules_of_adding(self, client, db, worker):
        """A role renamed keeps its holder (the Members panel shows the new name); blank is 422 and
        another role's name (any case) 409 ``role_exists``, both on ``name``; audited."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer", "Client signer"])
        reviewer = roles_of(client, pf, ws["id"])[0]["id"]
        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/roles/{reviewer}/assign"),
            json={"user_id": ivy.user_id},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        path = api(pf, f"/workspaces/{ws['id']}/roles/{reviewer}")
        r = client.patch(path, json={"name": " Approver "}, headers=pf.headers())
        assert r.status_code == 200, r.text
        assert (r.json()["name"], r.json()["assignee"]["email"]) == ("Approver", "ivy@acme.com")
        panel = {m["user"]["email"]: m["roles"] for m in members(client, pf, ws["id"])["items"]}
        assert panel["ivy@acme.com"] == ["Approver"]
        blank = client.patch(path, json={"name": ""}, headers=pf.headers())
        assert (blank.status_code, blank.json()["code"], blank.json()["field"]) == (
            422,
            "invalid_input",
            "name",
        )
        dup = client.patch(path, json={"name": "client SIGNER"}, headers=pf.headers())
        assert (dup.status_code, dup.json()["code"], dup.json()["field"]) == (409, "role_exists", "name")
        assert client.patch(path, json={"name": "APPROVER"}, headers=pf.headers()).status_code == 200
        assert [x["name"] for x in roles_of(client, pf, ws["id"])] == ["APPROVER", "Client signer"]
        event = next(e for e in audit(client, pf) if e["action"] == "workspace.role_renamed")
        assert event["detail"] == {"from": "Approver", "to": "APPROVER"}

    def test_delete_ends_the_holding_keeps_history_and_actions(self, client, db, worker):
        """Deleting a held role with an action: the holder stays in the workspace without it, the
        assignment is ended not erased, the action stays without a role; the role can no longer
        be assigned, renamed or given actions, and its name is free again."""
        from sqlalchemy import select

        from admit.workspaces.models import RoleAssignment, WorkspaceRole

        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer", "Client signer"])
        base = f"/workspaces/{ws['id']}"
        reviewer = roles_of(client, pf, ws["id"])[0]["id"]
        client.post(
            api(pf, f"{base}/roles/{reviewer}/assign"), json={"user_id": ivy.user_id}, headers=pf.headers()
        )
        r = client.post(
            api(pf, f"{base}/actions"), json={"title": "Check", "role_id": reviewer}, headers=pf.headers()
        )
        assert r.status_code == 201, r.text

        r = client.delete(api(pf, f"{base}/roles/{reviewer}"), headers=pf.headers())
        assert r.status_code == 204, r.text
        assert [x["name"] for x in roles_of(client, pf, ws["id"])] == ["Client signer"]
        panel = {m["user"]["email"]: m for m in members(client, pf, ws["id"])["items"]}
        assert (panel["ivy@acme.com"]["status"], panel["ivy@acme.com"]["roles"]) == ("joined", [])
        actions = client.get(api(pf, f"{base}/actions"), headers=pf.headers()).json()["items"]
        assert [(a["title"], a["role_id"]) for a in actions] == [("Check", None)]
        with db.unit_of_work() as session:
            role = session.scalar(select(WorkspaceRole).where(WorkspaceRole.name == "Reviewer"))
            assert role is not None and role.deleted_at is not None
            held = list(session.scalars(select(RoleAssignment).where(RoleAssignment.role_id == role.id)))
            assert [(str(a.user_id).replace("-", ""), a.ended_at is not None) for a in held] == [
                (ivy.user_id.replace("-", ""), True)
            ]
        event = next(e for e in audit(client, pf) if e["action"] == "workspace.role_deleted")
        assert (event["detail"]["role"], event["detail"]["actions"]) == ("Reviewer", ["Check"])

        for r in (
            client.post(
                api(pf, f"{base}/roles/{reviewer}/assign"),
                json={"user_id": ivy.user_id},
                headers=pf.headers(),
            ),
            client.patch(api(pf, f"{base}/roles/{reviewer}"), json={"name": "X"}, headers=pf.headers()),
            client.delete(api(pf, f"{base}/roles/{reviewer}"), headers=pf.headers()),
        ):
            assert (r.status_code, r.json()["code"]) == (404, "role_not_found"), r.text
        r = client.post(
            api(pf, f"{base}/actions"), json={"title": "Y", "role_id": reviewer}, headers=pf.headers()
        )
        assert (r.status_code, r.json()["field"]) == (422, "role_id")
        r = client.post(api(pf, f"{base}/roles"), json={"name": "Reviewer"}, headers=pf.headers())
        assert r.status_code == 201, r.text

    def test_who_may_rename_and_delete_roles(self, client, db, worker):
        """As for adding roles: an internal member of the flow may; one who is not in it gets 404;
        a client in it gets 403."""
        pf = create_portal(db)
        mel = joined(db, worker, client, pf, "mel@acme.com")
        joined(db, worker, client, pf, "nina@acme.com")
        cleo = joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer", "Signer"])
        add(client, pf, ws["id"], user_ids=[mel.user_id, cleo.user_id])
        reviewer, signer = (x["id"] for x in roles_of(client, pf, ws["id"]))
        path = api(pf, f"/workspaces/{ws['id']}/roles/{reviewer}")
        h = session_headers(client, "cleo@client.org")
        assert client.patch(path, json={"name": "X"}, headers=h).status_code == 403
        assert client.delete(path, headers=h).status_code == 403
        h = session_headers(client, "nina@acme.com")
        r = client.patch(path, json={"name": "X"}, headers=h)
        assert (r.status_code, r.json()["code"]) == (404, "workspace_not_found")
        h = session_headers(client, "mel@acme.com")
        assert client.patch(path, json={"name": "Checker"}, headers=h).status_code == 200
        assert client.delete(api(pf, f"/workspaces/{ws['id']}/roles/{signer}"), headers=h).status_code == 204
        assert [x["name"] for x in roles_of(client, pf, ws["id"])] == ["Checker"]

    def test_the_flow_page_menu_says_what_deleting_does(self, client, db, worker):
        """The role's … menu on the flow page: its confirmation names the holder and the actions
        that stay; Rename and Delete post with the page's CSRF token."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer"])
        reviewer = roles_of(client, pf, ws["id"])[0]["id"]
        base = f"/workspaces/{ws['id']}"
        client.post(
            api(pf, f"{base}/roles/{reviewer}/assign"), json={"user_id": ivy.user_id}, headers=pf.headers()
        )
        client.post(
            api(pf, f"{base}/actions"), json={"title": "Check", "role_id": reviewer}, headers=pf.headers()
        )
        page = _owner_page(client, pf, base)
        text = html.unescape(page.text)
        asked = re.search(r'data-confirm-text="(Delete the role “Reviewer”\?[^"]*)"', text)
        assert asked, text
        assert asked.group(1).endswith(
            "stops holding it (the history is kept) and stays in the workspace."
            " Its 1 action stays in the flow without a role."
        ), asked.group(1)
        url = f"/p/{pf.slug}{base}/roles/{reviewer}"
        assert client.post(f"{url}/rename", data={"name": "Approver"}).status_code == 403  # no CSRF token
        r = client.post(f"{url}/rename", data={"csrf_token": csrf_of(page.text), "name": "Approver"})
        assert "Role “Reviewer” is now “Approver”." in html.unescape(r.text)
        r = client.post(f"{url}/delete", data={"csrf_token": csrf_of(page.text)})
        text = html.unescape(r.text)
        assert "Role “Approver” deleted. Its 1 action stays without a role." in text
        assert 'data-role="Approver"' not in text


def workspace_names(client, pf, headers=None) -> list[str]:
    r = client.get(api(pf, "/workspaces"), headers=headers or pf.headers())
    assert r.status_code == 200, r.text
    return [w["name"] for w in r.json()["items"]]


class TestRenameWorkspaces:
    def test_rename_is_audited_and_frees_the_old_name(self, client, db, worker):
        """A misspelt workspace gets its new name (tidied) wherever it is read; the log says
        “renamed the workspace “Q3 Audti” to “Q3 Audit””; the old name is free for another."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Q3 Audti")
        r = client.patch(
            api(pf, f"/workspaces/{ws['id']}"), json={"name": "  Q3   Audit "}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        assert (r.json()["id"], r.json()["name"]) == (ws["id"], "Q3 Audit")
        got = client.get(api(pf, f"/workspaces/{ws['id']}"), headers=pf.headers()).json()
        assert got["name"] == "Q3 Audit"
        event = next(e for e in audit(client, pf) if e["action"] == "workspace.renamed")
        assert event["detail"] == {"from": "Q3 Audti", "to": "Q3 Audit"}
        assert event["summary"].endswith("renamed the workspace “Q3 Audti” to “Q3 Audit”"), event["summary"]
        create_workspace(client, pf, "Q3 Audti")
        assert sorted(workspace_names(client, pf)) == ["Q3 Audit", "Q3 Audti"]

    def test_the_rules_of_creation_hold_and_name_the_field(self, client, db, worker):
        """Blank or too long: 422 on ``name``; another workspace's name in any case: 409
        ``workspace_exists`` on ``name``, naming it; its own name in another case is allowed."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Loan")
        create_workspace(client, pf, "Estate")
        path = api(pf, f"/workspaces/{ws['id']}")
        for bad in ("   ", "x" * 201):
            r = client.patch(path, json={"name": bad}, headers=pf.headers())
            assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "invalid_input", "name")
        dup = client.patch(path, json={"name": "ESTATE "}, headers=pf.headers())
        assert (dup.status_code, dup.json()["code"], dup.json()["field"]) == (409, "workspace_exists", "name")
        assert "“Estate”" in dup.json()["detail"]
        assert client.patch(path, json={"name": "LOAN"}, headers=pf.headers()).json()["name"] == "LOAN"
        assert sorted(workspace_names(client, pf)) == ["Estate", "LOAN"]

    def test_who_may_rename_and_delete(self, client, db, worker):
        """As for the workspace's other settings: an internal member of it may rename it; one not
        in it gets 404; a client in it gets 403. Deleting: owners and admins any, a member one
        they created."""
        pf = create_portal(db)
        mel = joined(db, worker, client, pf, "mel@acme.com")
        joined(db, worker, client, pf, "nina@acme.com")
        cleo = joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        ws = create_workspace(client, pf, "Loan")
        add(client, pf, ws["id"], user_ids=[mel.user_id, cleo.user_id])
        path = api(pf, f"/workspaces/{ws['id']}")
        for who, status, code in (
            ("cleo@client.org", 403, "permission_denied"),
            ("nina@acme.com", 404, "workspace_not_found"),
        ):
            h = session_headers(client, who)
            r = client.patch(path, json={"name": "X"}, headers=h)
            assert (r.status_code, r.json()["code"]) == (status, code), who
            r = client.delete(path, headers=h)
            assert (r.status_code, r.json()["code"]) == (status, code), who
        h = session_headers(client, "mel@acme.com")
        r = client.patch(path, json={"name": "Home loan"}, headers=h)
        assert r.status_code == 200, r.text
        assert workspace_names(client, pf) == ["Home loan"]
        # Deleting takes its messages and actions with it: a member only one they created.
        r = client.delete(path, headers=h)
        words = "Only owners, admins and the person who created a workspace can delete it."
        assert (r.status_code, r.json()["detail"]) == (403, words), r.text
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        assert "Rename</button>" in page.text and 'data-confirm-button="Delete"' not in page.text
        made = client.post(api(pf, "/workspaces"), json={"name": "Mel's"}, headers=h).json()
        assert client.delete(api(pf, f"/workspaces/{made['id']}"), headers=h).status_code == 204
        assert client.delete(path, headers=pf.headers()).status_code == 204  # an admin's key: any
        assert workspace_names(client, pf) == []

    def test_the_workspace_page_renames_through_its_menu(self, client, db, worker):
        """The workspace's … menu offers Rename (the rename dialog, with its name); the post needs
        the CSRF token; a refused name opens the dialog again with the reason under the field."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Q3 Audti")
        create_workspace(client, pf, "Q4 Audit")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        text = html.unescape(page.text)
        url = f"/p/{pf.slug}/workspaces/{ws['id']}/rename"
        assert re.search(rf'data-rename-action="[^"]*{url}"', text), text
        assert 'data-rename-title="Rename the workspace “Q3 Audti”"' in text
        # A name someone gave is quoted in the menu's label and every question, as in the notices.
        assert 'aria-label="More for the workspace “Q3 Audti”"' in text
        assert client.post(url, data={"name": "Q3 Audit"}).status_code == 403  # no CSRF token
        csrf = csrf_of(page.text)
        r = client.post(url, data={"csrf_token": csrf, "name": "q4 audit"})
        text = html.unescape(r.text)
        assert r.status_code == 409
        assert "A workspace named “Q4 Audit” exists already." in text
        assert f'data-renamed="{url}"' in text  # the dialog opens again on the refused post
        r = client.post(url, data={"csrf_token": csrf, "name": "Q3 Audit"})
        text = html.unescape(r.text)
        assert "Workspace “Q3 Audti” is now “Q3 Audit”." in text
        assert "<h1>Q3 Audit" in text


def _full_flow(client, db, worker, pf) -> dict:
    """A flow "Q3 Audti" with everything a workspace holds: a joined member holding a role, a
    client invited into it (not joined), an action, a message, a pending join request through its
    link; and another workspace the member is in. Returns what the test looks at."""
    ivy = joined(db, worker, client, pf, "ivy@acme.com")
    ws = create_workspace(client, pf, "Q3 Audti", kind="flow", roles=["Reviewer"])
    other = create_workspace(client, pf, "Estate")
    assert add(client, pf, other["id"], user_ids=[ivy.user_id]).status_code == 201
    r = add(client, pf, ws["id"], user_ids=[ivy.user_id], recipients=["nora@home.net"])
    assert r.json()["counts"]["added"] == 1 and r.json()["counts"]["invited"] == 1, r.text
    base = f"/workspaces/{ws['id']}"
    reviewer = roles_of(client, pf, ws["id"])[0]["id"]
    r = client.post(
        api(pf, f"{base}/roles/{reviewer}/assign"), json={"user_id": ivy.user_id}, headers=pf.headers()
    )
    assert r.status_code == 200, r.text
    r = client.post(api(pf, f"{base}/actions"), json={"title": "Check"}, headers=pf.headers())
    assert r.status_code == 201, r.text
    ivy_session = session_headers(client, "ivy@acme.com")  # messages are written by people
    r = client.post(api(pf, f"{base}/messages"), json={"text": "Hello"}, headers=ivy_session)
    assert r.status_code == 201, r.text
    link = client.post(api(pf, f"{base}/link"), headers=pf.headers()).json()
    token = link["url"].rsplit("/join/", 1)[1]
    r = client.post(
        f"/api/v1/links/{token}/join-requests", json={"email": "rita@example.org", "name": "Rita"}
    )
    assert r.status_code == 202, r.text
    return {"ws": ws, "other": other, "token": token, "ivy": ivy}


class TestDeleteWorkspaces:
    def test_everything_in_it_goes_people_and_invitations_stay(self, client, db, worker):
        """Deleting a workspace: it is 404 and gone from the list; its memberships, roles and
        their history, actions, messages, join requests and link are gone (the link 410); its
        people stay in the portal and in their other workspaces; the invitation of the client
        who had not joined stands (a portal invitation); audited with what went; the name is
        free again and deleting again is 404."""
        from sqlalchemy import func, select

        from admit.links.models import InviteLink
        from admit.workspaces.models import (
            JoinRequest,
            RoleAssignment,
            WorkspaceAction,
            WorkspaceMember,
            WorkspaceMessage,
            WorkspaceRead,
            WorkspaceRole,
        )

        pf = create_portal(db)
        made = _full_flow(client, db, worker, pf)
        ws, other = made["ws"], made["other"]
        r = client.delete(api(pf, f"/workspaces/{ws['id']}"), headers=pf.headers())
        assert r.status_code == 204, r.text

        gone = client.get(api(pf, f"/workspaces/{ws['id']}"), headers=pf.headers())
        assert (gone.status_code, gone.json()["code"]) == (404, "workspace_not_found")
        assert workspace_names(client, pf) == ["Estate"]
        assert client.get(f"/api/v1/links/{made['token']}").status_code == 410
        with db.unit_of_work() as session:
            left = {
                model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (
                    WorkspaceMember,
                    WorkspaceRole,
                    RoleAssignment,
                    WorkspaceAction,
                    WorkspaceMessage,
                    WorkspaceRead,
                    JoinRequest,
                )
            }
            links = session.scalar(
                select(func.count()).select_from(InviteLink).where(InviteLink.workspace_id.is_not(None))
            )
        # Only the other workspace's one person is left (Ivy: an API key made them both).
        assert left == {
            "WorkspaceMember": 1,
            "WorkspaceRole": 0,
            "RoleAssignment": 0,
            "WorkspaceAction": 0,
            "WorkspaceMessage": 0,
            "WorkspaceRead": 0,
            "JoinRequest": 0,
        }, left
        assert links == 0
        assert status_of(client, pf, other["id"]) == {"ivy@acme.com": "joined"}
        people = client.get(api(pf, "/people"), headers=pf.headers()).json()["items"]
        assert "ivy@acme.com" in {p["address"] for p in people}
        invitations = client.get(api(pf, "/invitations"), headers=pf.headers()).json()["items"]
        assert {(i["recipient"], i["status"]) for i in invitations} >= {("nora@home.net", "pending")}

        event = next(e for e in audit(client, pf) if e["action"] == "workspace.deleted")
        assert event["detail"] == {
            "kind": "flow",
            "joined": 1,
            "not_joined": 1,
            "messages": 1,
            "actions": 1,
            "join_requests": 1,
        }
        assert event["summary"].endswith("deleted the workspace Q3 Audti"), event["summary"]
        again = client.delete(api(pf, f"/workspaces/{ws['id']}"), headers=pf.headers())
        assert (again.status_code, again.json()["code"]) == (404, "workspace_not_found")
        again = create_workspace(client, pf, "Q3 Audti")
        assert again["id"] != ws["id"]
        # Made again and Nora added again: her standing invitation brings her in, nothing new sent.
        nora = next(i for i in invitations if i["recipient"] == "nora@home.net")
        r = add(client, pf, again["id"], recipients=["nora@home.net"])
        assert r.json()["results"][0]["invitation"]["id"] == nora["id"], r.text
        assert status_of(client, pf, again["id"]) == {"nora@home.net": "not_joined"}

    def test_pending_requesters_are_told_with_the_delete_and_only_then(self, client, db, worker, monkeypatch):
        """Each person whose join request was still waiting is emailed that the workspace was
        deleted, and by whom; someone already answered is not. Written in the delete's own
        transaction: a delete refused, or failing after the emails were written, sends nothing."""
        from sqlalchemy import select

        from admit.audit import service as audit_service
        from admit.notifications.models import DevMessage, Notification
        from admit.workspaces import service as workspaces_service

        pf = create_portal(db)
        made = _full_flow(client, db, worker, pf)  # Rita asked to join
        ws, token = made["ws"], made["token"]
        for email, name in (("sam@example.org", "Sam"), ("tom@example.org", "Tom")):
            r = client.post(f"/api/v1/links/{token}/join-requests", json={"email": email, "name": name})
            assert r.status_code == 202, r.text
        asked = client.get(api(pf, "/join-requests"), headers=pf.headers()).json()["items"]
        tom = next(j for j in asked if j["email"] == "tom@example.org")
        r = client.post(api(pf, f"/join-requests/{tom['id']}/decline"), headers=pf.headers())
        assert r.status_code == 200, r.text
        worker.drain()

        def told() -> list[str]:
            with db.unit_of_work() as session:
                return sorted(
                    session.scalars(
                        select(Notification.to_address).where(
                            Notification.template == "join_request_workspace_deleted"
                        )
                    )
                )

        path = api(pf, f"/workspaces/{ws['id']}")
        ivy = session_headers(client, "ivy@acme.com")  # a member who did not create it
        assert client.delete(path, headers=ivy).status_code == 403
        assert told() == []

        def broken(*_args, **_kwargs):
            raise RuntimeError("the audit log is down")

        with monkeypatch.context() as m:
            m.setattr(audit_service, "record", broken)
            with pytest.raises(RuntimeError), db.unit_of_work() as session:
                owner = actor_for(session, pf.slug, pf.owner_email)
                workspaces_service.delete_workspace(session, owner, uuid.UUID(ws["id"]))
        assert told() == []
        assert client.get(path, headers=pf.headers()).status_code == 200  # still there

        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        r = client.post(f"/p/{pf.slug}/workspaces/{ws['id']}/delete", data={"csrf_token": csrf_of(page.text)})
        assert "Workspace “Q3 Audti” deleted." in html.unescape(r.text)
        assert told() == ["rita@example.org", "sam@example.org"]
        worker.drain()
        with db.unit_of_work() as session:
            mail = {
                m.to_address: m
                for m in session.scalars(select(DevMessage).where(DevMessage.subject.contains("deleted")))
            }
        assert sorted(mail) == ["rita@example.org", "sam@example.org"]
        rita = mail["rita@example.org"]
        assert rita.subject == "The workspace “Q3 Audti” was deleted"
        assert rita.text.startswith("Hello,\n\n"), rita.text  # not by the name she typed
        portal = client.get(api(pf, ""), headers=pf.headers()).json()["name"]
        assert (
            f"The workspace “Q3 Audti” you asked to join in {portal} was deleted by Olive Owner, so your"
            " request to join it is closed." in " ".join(rita.text.split())
        ), rita.text
        assert "contact the person who shared the link with you" in rita.text
        assert "Q3 Audti" in rita.html and "Olive Owner" in rita.html

    def test_the_confirmation_counts_in_the_plural_too(self):
        """Several invitations not accepted yet stand as portal invitations, each named so."""
        from admit.workspaces.service import Contents

        said = Contents(joined=0, not_joined=3, messages=0, actions=0, join_requests=0).question(
            "Q3", Role.ADMIN
        )
        assert (
            "3 people stay in the portal. 3 invitations not accepted yet stand as portal invitations"
            " (revoke them in User Management)." in said
        ), said

    def test_the_confirmation_tells_a_member_who_can_revoke(self):
        """A member (who may delete the workspace she made, not revoke portal invitations) is
        told who can revoke them, not sent to a Revoke she does not have."""
        from admit.workspaces.service import Contents

        one = Contents(joined=0, not_joined=1, messages=0, actions=0, join_requests=0)
        said = one.question("Q3", Role.MEMBER)
        assert (
            "1 invitation not accepted yet stands as a portal invitation (an owner or admin can revoke it)."
            in said
        ), said
        assert "User Management" not in said
        said = Contents(joined=0, not_joined=2, messages=0, actions=0, join_requests=0).question(
            "Q3", Role.MEMBER
        )
        assert "stand as portal invitations (an owner or admin can revoke them)." in said, said
        assert "(revoke it in User Management)" in one.question("Q3", Role.OWNER)

    def test_the_workspace_page_confirms_what_goes_then_deletes(self, client, db, worker):
        """The … menu's Delete asks first, saying what stays and what goes; the post needs the
        CSRF token and lands on the workspaces list saying it was deleted."""
        pf = create_portal(db)
        ws = _full_flow(client, db, worker, pf)["ws"]
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        text = html.unescape(page.text)
        asked = re.search(r'data-confirm-text="(Delete the workspace “Q3 Audti”\?[^"]*)"', text)
        assert asked, text
        # Removing someone names the workspace quoted, as the notices do.
        assert re.search(r'data-confirm-text="Remove [^"]+ from “Q3 Audti”\? Roles they hold here end', text)
        assert asked.group(1) == (
            "Delete the workspace “Q3 Audti”? 2 people stay in the portal. 1 invitation not accepted yet"
            " stands as a portal invitation (revoke it in User Management). Its 1 message, 1 action"
            " and 1 join request waiting for an answer will be deleted, and its workspace link stops"
            " working. Whoever asked to join is told by email. This cannot be undone."
        )
        url = f"/p/{pf.slug}/workspaces/{ws['id']}/delete"
        assert re.search(rf'data-confirm-action="[^"]*{url}"', text)
        assert client.post(url).status_code == 403  # no CSRF token
        r = client.post(url, data={"csrf_token": csrf_of(page.text)})
        text = html.unescape(r.text)
        assert r.url.path == f"/p/{pf.slug}/workspaces"
        assert "Workspace “Q3 Audti” deleted." in text
        assert client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").status_code == 404
