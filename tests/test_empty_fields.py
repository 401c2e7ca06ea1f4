"""The admin forms that left an empty field to the browser's "Please fill out this field" bubble
(not translated, not styled, gone at the next click): workspace create, roles, actions and
people, the Contacts dialogs and forms, the rename dialog, API keys, webhooks, the import's
owners box. Each is ``novalidate``; sent with the field empty, the server's own words are said
under it (marked invalid, the focus on it), what was typed kept, status 422, a dialog opened
again. Both databases. In Chromium: tests/browser/test_refused_forms_e2e.py."""

from __future__ import annotations

import re

from tests.factories import csrf_of, form_of, said_under
from tests.imports.helpers import create as create_import
from tests.imports.helpers import csv_bytes
from tests.test_refused_forms import _opened, _page, _tag
from tests.workspaces.helpers import create_portal, create_workspace


def _left_to_the_server(text: str, *field_ids: str) -> None:
    """Each field's form is ``novalidate``: the browser sends it as it is."""
    for field_id in field_ids:
        assert "novalidate" in form_of(text, field_id), (field_id, form_of(text, field_id))


def _refused_under(r, field_id: str, status: int = 422) -> str:
    """A 422 that says its fault under ``field_id`` alone (the focus on it, nothing on top);
    ``status`` 200: the page a refusal came back to (redirected, the fault carried)."""
    assert r.status_code == status, r.text
    said = said_under(r.text, field_id)
    assert "autofocus" in _tag(r.text, field_id), _tag(r.text, field_id)
    assert not re.search(r'class="(?:notice|panel-note) error" role="alert"', r.text)  # said once
    _left_to_the_server(r.text, field_id)
    return said


def _sent_empty(client, pf, path: str, field_id: str, data: dict):
    """The owner's page at ``path``, its form of ``field_id`` left to the server, sent back to
    ``path`` with ``data``."""
    page = _page(client, pf, path)
    _left_to_the_server(page.text, field_id)
    return client.post(f"/p/{pf.slug}{path}", data={"csrf_token": csrf_of(page.text), **data})


class TestWorkspaces:
    def test_create_with_no_name(self, client, db):
        """New workspace with no name: said under it, the kind and roles kept."""
        pf = create_portal(db)
        data = {"name": "", "kind": "flow", "roles": "Lead, Signer"}
        r = _sent_empty(client, pf, "/workspaces", "ws_name", data)
        assert _refused_under(r, "ws_name") == "The workspace needs a name."
        assert (
            'value="Lead, Signer"' in _tag(r.text, "ws_roles") and '<option value="flow" selected>' in r.text
        )

    def test_roles_with_no_name_or_no_one_to_assign(self, client, db):
        """Add role with no name; Assign with no member picked, or no address typed."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Q3 Audit", kind="flow", roles=["Reviewer"])
        page = _page(client, pf, f"/workspaces/{ws['id']}")
        url = f"/p/{pf.slug}/workspaces/{ws['id']}"
        role_id = re.search(r'action="[^"]*/roles/([^"/]+)/assign"', page.text).group(1)
        _left_to_the_server(page.text, "new-role", f"pick-{role_id}", f"assign-to-{role_id}")
        r = client.post(f"{url}/roles", data={"csrf_token": csrf_of(page.text), "name": " "})
        assert _refused_under(r, "new-role") == "A role needs a name."
        r = client.post(
            f"{url}/roles/{role_id}/assign",
            data={"csrf_token": csrf_of(page.text), "picker": "1", "user_id": ""},
        )
        assert _refused_under(r, f"pick-{role_id}") == "Choose an existing member to assign."
        r = client.post(
            f"{url}/roles/{role_id}/assign",
            data={"csrf_token": csrf_of(page.text), "recipient": "", "user_type": "internal"},
        )
        assert (
            _refused_under(r, f"assign-to-{role_id}") == "Pick a member, or enter an email or phone number."
        )

    def test_actions_with_no_title(self, client, db):
        """Add action and the Edit dialog with the title emptied: said under it, the rest kept,
        the dialog open again."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Q3 Audit", kind="flow", roles=["Reviewer"])
        page = _page(client, pf, f"/workspaces/{ws['id']}")
        url = f"/p/{pf.slug}/workspaces/{ws['id']}"
        _left_to_the_server(page.text, "action-title")
        data = {
            "csrf_token": csrf_of(page.text),
            "title": "",
            "description": "Both pages",
            "due_on": "2030-01-05",
        }
        r = client.post(f"{url}/actions", data=data)
        assert _refused_under(r, "action-title") == "The action needs a title."
        assert ">Both pages</textarea>" in r.text and 'value="2030-01-05"' in _tag(r.text, "action-due")

        client.post(f"{url}/actions", data={**data, "title": "Sign the letter"})
        page = client.get(url)
        action_id = re.search(r'<dialog id="edit-action-([^"]+)"', page.text).group(1)
        _left_to_the_server(page.text, f"edit-title-{action_id}")
        r = client.post(
            f"{url}/actions/{action_id}/edit",
            data={"csrf_token": csrf_of(page.text), "title": "", "description": "One page", "due_on": ""},
        )
        assert _refused_under(r, f"edit-title-{action_id}") == "The action needs a title."
        assert _opened(r.text, f"edit-action-{action_id}") and ">One page</textarea>" in r.text

    def test_a_new_person_with_no_address(self, client, db):
        """The Invite panel's new person sent with nothing typed, or a name only: their form
        shown again, the fault under Email or phone number naming it, the name kept."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Onboarding")
        page = _page(client, pf, f"/workspaces/{ws['id']}")
        url = f"/p/{pf.slug}/workspaces/{ws['id']}/people"
        _left_to_the_server(page.text, "new-recipient")
        new_person = re.search(r"<form [^>]*data-new-person-form[^>]*>(.*?)</form>", page.text, re.S)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', new_person.group(1)))
        for typed in ({"name": "", "recipient": ""}, {"name": "Ada", "recipient": " "}):
            r = client.post(url, data={**hidden, **typed, "user_type": "client"})
            assert _opened(r.text, "invite-panel")
            assert _refused_under(r, "new-recipient") == "Enter an email address or phone number."
            assert f'value="{typed["name"]}"' in _tag(r.text, "new-name")
            assert re.search(
                r'<form method="post" action="[^"]+" data-new-person-form novalidate>', r.text
            )  # shown


def _with_the_team_tax(client, pf, page):
    """Contacts again, with a team “Tax” (nobody in it) made from ``page``."""
    data = {"csrf_token": csrf_of(page.text), "name": "Tax", "recipients": ""}
    assert client.post(f"/p/{pf.slug}/teams", data=data, follow_redirects=False).status_code == 303
    return client.get(f"/p/{pf.slug}/contacts")


class TestContacts:
    def test_a_person_with_no_address(self, client, db):
        """Invite a client / an internal user with no address: the dialog opens again on the
        details, said under the address, the name kept."""
        pf = create_portal(db)
        page = _page(client, pf, "/contacts")
        _left_to_the_server(page.text, "c-client-recipient", "c-internal-recipient")
        for user_type in ("client", "internal"):
            r = client.post(
                f"/p/{pf.slug}/contacts",
                data={"csrf_token": csrf_of(page.text), "user_type": user_type, "name": "Quinn",
                      "recipient": "", "then": "quietly"},
            )  # fmt: skip
            assert _opened(r.text, f"contact-{user_type}")
            assert _refused_under(r, f"c-{user_type}-recipient") == "Enter an email address or phone number."
            assert 'value="Quinn"' in _tag(r.text, f"c-{user_type}-name")
            dialog = re.search(rf'<dialog id="contact-{user_type}".*?</dialog>', r.text, re.S).group(0)
            assert '<div data-step="1">' in dialog and '<div data-step="2" hidden class="endings">' in dialog

    def test_a_client_group_with_no_name_or_no_one(self, client, db):
        pf = create_portal(db)
        page = _page(client, pf, "/contacts")
        _left_to_the_server(page.text, "g-name", "g-recipients")
        url = f"/p/{pf.slug}/client-groups"
        data = {"csrf_token": csrf_of(page.text), "name": "", "recipients": "a@client.org", "then": "group"}
        r = client.post(url, data=data)
        assert _opened(r.text, "group-dialog")
        assert _refused_under(r, "g-name") == "The client group needs a name."
        assert ">a@client.org</textarea>" in r.text
        r = client.post(url, data={**data, "name": "Buyers", "recipients": ""})
        assert _opened(r.text, "group-dialog")
        assert _refused_under(r, "g-recipients") == "List at least one email address or phone number."
        assert 'value="Buyers"' in _tag(r.text, "g-name")

    def test_a_team_with_no_name_and_a_team_add_with_no_one(self, client, db):
        pf = create_portal(db)
        page = _page(client, pf, "/contacts")
        _left_to_the_server(page.text, "team-name")
        data = {"csrf_token": csrf_of(page.text), "name": "", "recipients": "owner@acme.com"}
        r = client.post(f"/p/{pf.slug}/teams", data=data)
        assert _refused_under(r, "team-name") == "The team needs a name."
        assert 'value="owner@acme.com"' in _tag(r.text, "team-people")
        page = _with_the_team_tax(client, pf, page)
        team_id = re.search(r'<dialog id="people-([^"]+)"', page.text).group(1)
        _left_to_the_server(page.text, f"add-{team_id}")
        r = client.post(
            f"/p/{pf.slug}/teams/{team_id}/members", data={"csrf_token": csrf_of(page.text), "recipients": ""}
        )
        assert _opened(r.text, f"people-{team_id}")
        assert _refused_under(r, f"add-{team_id}") == "List at least one email address or phone number."
        api = client.post(f"/api/v1/portals/{pf.slug}/teams/{team_id}/members", json={}, headers=pf.headers())
        assert api.status_code == 422 and "recipients" in api.text, api.text  # the same rule

    def test_the_rename_dialog_with_no_name(self, client, db):
        pf = create_portal(db)
        page = _page(client, pf, "/contacts")
        page = _with_the_team_tax(client, pf, page)
        _left_to_the_server(page.text, "rename-name")
        rename = re.search(
            r'data-rename-action="([^"]+)"\s+data-rename-title="Rename the team “Tax”"', page.text
        )
        r = client.post(rename.group(1), data={"csrf_token": csrf_of(page.text), "name": ""})
        assert _opened(r.text, "rename-dialog")
        assert _refused_under(r, "rename-name") == "The team needs a name."


class TestSettingsForms:
    def test_an_api_key_with_no_name(self, client, db):
        pf = create_portal(db)
        r = _sent_empty(client, pf, "/settings/api-keys", "key-name", {"name": "", "expires_in_days": "30"})
        assert _refused_under(r, "key-name") == "Give the key a name (what uses it)."
        assert 'value="30"' in _tag(r.text, "key-days")

    def test_a_webhook_with_no_url(self, client, db):
        """Add an endpoint, and change one, with the URL emptied: said under it, the rest kept."""
        pf = create_portal(db)
        data = {"url": "", "description": "CRM", "events": ["member.joined"]}
        r = _sent_empty(client, pf, "/settings/webhooks", "webhook-url", data)
        no_url = "The URL must start with https:// (or http://) and name a host."
        assert _refused_under(r, "webhook-url") == no_url
        assert 'value="CRM"' in _tag(r.text, "webhook-description")
        assert 'value="member.joined" checked' in r.text
        made = {**data, "url": "https://93.184.215.14/hook", "csrf_token": csrf_of(r.text)}
        assert client.post(f"/p/{pf.slug}/settings/webhooks", data=made).status_code == 200
        listed = client.get(f"/p/{pf.slug}/settings/webhooks").text
        at = re.search(rf'href="(?:http://testserver)?/p/{pf.slug}(/settings/webhooks/[0-9a-f-]+)"', listed)
        r = _sent_empty(client, pf, at.group(1), "webhook-url", {**data, "description": "CRM 2"})
        assert _refused_under(r, "webhook-url") == no_url
        assert 'value="CRM 2"' in _tag(r.text, "webhook-description")


class TestImports:
    def test_owners_not_confirmed(self, client, db):
        """Send on a list that makes owners, the box left unticked: said under the box (it was
        the browser's bubble, and the server's words on top of the page)."""
        pf = create_portal(db)
        import_id, _ = create_import(
            db, pf, csv_bytes(["email", "ada@acme.com", "bob@acme.com"]), role="owner", start=False
        )
        page = _page(client, pf, f"/imports/{import_id}")
        _left_to_the_server(page.text, "owners_confirmed")
        r = client.post(f"/p/{pf.slug}/imports/{import_id}/confirm", data={"csrf_token": csrf_of(page.text)})
        said = _refused_under(r, "owners_confirmed", status=200)
        assert said == "This list makes 2 people owners: confirm it to send."
        # Back on the preview, not at …/confirm (a tester reloaded the refusal there), and the
        # box names whom it makes owners, as Change role and products does.
        assert str(r.url).endswith(f"/p/{pf.slug}/imports/{import_id}"), r.url
        assert "Yes, make ada@acme.com and bob@acme.com owners." in " ".join(r.text.split())
        many = csv_bytes(["email,name", *(f"p{i}@acme.com,Person {i}" for i in range(5))])
        import_id, _ = create_import(db, pf, many, role="owner", start=False)
        page = _page(client, pf, f"/imports/{import_id}")
        said = " ".join(page.text.split())
        assert (
            "Yes, make Person 0 (p0@acme.com), Person 1 (p1@acme.com), Person 2 (p2@acme.com) "
            "and 2 more owners." in said
        ), said
