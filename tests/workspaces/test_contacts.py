"""Contacts through the API, on both backends: the three endings after Next, inviting a quiet
contact later, and who may keep contacts."""

from __future__ import annotations

from tests.factories import OWNER_PASSWORD, csrf_of, sign_in_page
from tests.workspaces.helpers import (
    api,
    create_portal,
    create_workspace,
    joined,
    mail_count,
    messages_to,
    notifications_to,
    session_headers,
    status_of,
)


def add_contact(client, pf, headers=None, **body):
    return client.post(api(pf, "/contacts"), json=body, headers=headers or pf.headers())


def contacts(client, pf, headers=None) -> dict:
    items = client.get(api(pf, "/contacts"), headers=headers or pf.headers()).json()["items"]
    return {c["user"]["email"] or c["user"]["phone"]: c for c in items}


class TestThreeEndings:
    def test_quietly_sends_nothing_and_invite_later_sends_one(self, client, db, worker):
        pf = create_portal(db)
        r = add_contact(client, pf, recipient="quiet@home.net", name="Quinn", then="quietly")
        assert r.status_code == 201, r.text
        assert r.json()["outcome"] == "added_quietly"
        worker.drain()
        assert mail_count(db, "quiet@home.net") == 0
        assert notifications_to(db, "quiet@home.net") == []
        listed = contacts(client, pf)["quiet@home.net"]
        assert (listed["status"], listed["quiet"], listed["user"]["name"]) == ("not_invited", True, "Quinn")

        r = client.post(api(pf, f"/contacts/{listed['id']}/invite"), headers=pf.headers())
        assert r.status_code == 200 and r.json()["outcome"] == "invited", r.text
        worker.drain()
        assert mail_count(db, "quiet@home.net") == 1
        assert contacts(client, pf)["quiet@home.net"]["status"] == "invited"

    def test_add_to_contacts_sends_a_portal_invitation(self, client, db, worker):
        pf = create_portal(db)
        r = add_contact(client, pf, recipient="+1 202 555 0173", then="contacts")
        assert r.json()["outcome"] == "invited", r.text
        worker.drain()
        sms = messages_to(db, "+12025550173")
        assert len(sms) == 1 and sms[0].channel == "sms" and "/invite/" in sms[0].text
        again = add_contact(client, pf, recipient="(202) 555-0173", then="contacts")
        assert again.json()["outcome"] == "already_invited"
        assert len(contacts(client, pf)) == 1

    def test_add_to_a_new_workspace(self, client, db, worker):
        pf = create_portal(db)
        r = add_contact(
            client,
            pf,
            recipient="nora@home.net",
            then="workspace",
            workspace_name="Nora's move",
            user_type="client",
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["outcome"] == "invited_to_workspace" and body["workspace_id"]
        assert status_of(client, pf, body["workspace_id"]) == {"nora@home.net": "not_joined"}
        worker.drain()
        assert "Nora's move" in messages_to(db, "nora@home.net")[0].text

    def test_add_existing_member_to_an_existing_workspace(self, client, db, worker):
        pf = create_portal(db)
        joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        ws = create_workspace(client, pf, "Existing")
        r = add_contact(client, pf, recipient="cleo@client.org", then="workspace", workspace_id=ws["id"])
        assert r.json()["outcome"] == "added_to_workspace", r.text
        assert contacts(client, pf)["cleo@client.org"]["status"] == "joined"

    def test_add_someone_already_invited_to_a_workspace_says_so(self, client, db, worker):
        """Already invited to the portal: Not Joined in the workspace on that invitation, and the
        answer says "already invited", not "invited" (nothing new was sent)."""
        pf = create_portal(db)
        add_contact(client, pf, recipient="ivy@home.net", then="contacts")
        ws = create_workspace(client, pf, "Ivy's")
        r = add_contact(client, pf, recipient="ivy@home.net", then="workspace", workspace_id=ws["id"])
        assert r.status_code == 201 and r.json()["outcome"] == "already_invited", r.text
        assert status_of(client, pf, ws["id"]) == {"ivy@home.net": "not_joined"}
        worker.drain()
        assert mail_count(db, "ivy@home.net") == 1

    def test_errors_name_the_field_and_write_nothing(self, client, db, worker):
        pf = create_portal(db)
        for body, field in [
            ({"recipient": "nope", "then": "quietly"}, "recipient"),
            ({"recipient": "a@b.org", "then": "workspace"}, "workspace_id"),
            ({"recipient": "a@b.org", "then": "later"}, "then"),
            # An existing workspace and a new one's name: which was meant is not guessed.
            (
                {
                    "recipient": "a@b.org",
                    "then": "workspace",
                    "workspace_id": "00000000-0000-4000-8000-000000000001",
                    "workspace_name": "Max onboarding",
                },
                "workspace_name",
            ),
        ]:
            r = add_contact(client, pf, **body)
            assert r.status_code == 422, r.text
            assert field in r.text
        assert contacts(client, pf) == {}

    def test_one_is_not_ones_own_contact(self, client, db):
        """Adding one's own address is refused, naming it (the fifth tester had themselves in
        their contacts, "Joined")."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/contacts")
        r = client.post(
            f"/p/{pf.slug}/contacts",
            data={
                "csrf_token": csrf_of(page.text),
                "user_type": "client",
                "recipient": pf.owner_email,
                "then": "quietly",
            },
        )
        assert "That is your own address" in r.text, r.text[:500]
        assert contacts(client, pf) == {}


class TestWhoMay:
    def test_member_keeps_clients_not_new_internal_users_and_clients_none(self, client, db, worker):
        pf = create_portal(db)
        joined(db, worker, client, pf, "mel@acme.com")
        joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        h = session_headers(client, "mel@acme.com")
        assert add_contact(client, pf, h, recipient="c@home.net", then="quietly").status_code == 201
        r = add_contact(client, pf, h, recipient="staff@acme.com", user_type="internal", then="quietly")
        assert r.status_code == 403, r.text
        assert set(contacts(client, pf, h)) == {"c@home.net"}
        assert contacts(client, pf) == {}  # contacts are per person: the API key's list is its own
        h = session_headers(client, "cleo@client.org")
        assert add_contact(client, pf, h, recipient="x@home.net", then="quietly").status_code == 403
        assert client.get(api(pf, "/contacts"), headers=h).status_code == 403


def test_skipped_rows_end_in_one_full_stop():
    """The notice of rows skipped joins each row's reason: a reason that is a sentence of its own
    ends the notice with one full stop, not two (the fifth tester: "(use a team)..")."""
    from types import SimpleNamespace

    from admit.pages.contacts import _skipped_text

    row = SimpleNamespace(
        recipient="ada@acme.com",
        detail="ada@acme.com is an internal user; client groups hold clients (use a team).",
    )
    said = _skipped_text([row, SimpleNamespace(recipient="x@y.com", detail="Write something first.")], ",")
    assert said == (
        ", 2 skipped: ada@acme.com: ada@acme.com is an internal user; client groups hold clients "
        "(use a team); x@y.com: Write something first."
    )
