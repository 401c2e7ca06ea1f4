"""The audit log in words, with filters: the API (``summary``, ``category``, ``q``) and the page,
on both backends."""

from __future__ import annotations

import re
from datetime import timedelta

from admit.audit import service as audit_service
from admit.flows import members as members_flow
from admit.invitations import service as invitations_service
from admit.kit import clock
from admit.members import service as members_service
from tests.factories import (
    OWNER_PASSWORD,
    active_member,
    actor_for,
    create_portal,
    csrf_of,
    invite,
    login,
    member_joins,
    sign_in_page,
)
from tests.links.helpers import (
    ask_to_join,
    confirm,
    confirmation_token,
    create_workspace,
    link_token,
    set_policy,
    sign_up,
    workspace_token,
)
from tests.workspaces.helpers import add, api, joined, members
from tests.workspaces.helpers import create_workspace as create_workspace_api


def _events(client, pf, **params):
    r = client.get(f"/api/v1/portals/{pf.slug}/audit-events", params=params, headers=pf.headers())
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _what(event: dict) -> str:
    """An event's sentence without who did it (a person's label, or an API key's name)."""
    said = event["summary"].removeprefix(event["actor_label"] + " ")
    return re.sub(r"^The API key “[^”]*” \([0-9a-f]+\) ", "", said)


class TestAuditLog:
    def test_events_read_as_sentences_and_filter(self, client, db):
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"], role="admin")
        invite(db, pf, ["cleo@client.org"], user_type="client")
        invitations = _events(client, pf, category="invitations")
        summaries = [e["summary"] for e in invitations]
        # Whoever acted is named as the portal names them (the owner has a name here).
        assert summaries == [
            "Olive Owner invited cleo@client.org as Client",
            "Olive Owner invited ada@example.com as Admin",
        ]
        assert [e["summary"] for e in _events(client, pf, q="ada@")] == [summaries[1]]
        invite(db, pf, ["Grace Hopper <grace@example.com>"], role="member")
        found = [e["summary"] for e in _events(client, pf, q="hopper")]  # the name the line shows
        assert found == ["Olive Owner invited Grace Hopper (grace@example.com) as Member"], found
        # Who acted, by the name the line shows them by (their label is their address).
        by_olive = [e["summary"] for e in _events(client, pf, q="olive", category="invitations")]
        assert by_olive == [
            f"Olive Owner invited {who}"
            for who in (
                "Grace Hopper (grace@example.com) as Member",
                "cleo@client.org as Client",
                "ada@example.com as Admin",
            )
        ], by_olive
        assert _events(client, pf, q="olive owner") and not _events(client, pf, q="olive hopper")
        # What was done, in the lines' words.
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            pending = invitations_service.list_invitations(session, owner, status="pending")[0]
            cleo = next(i for i in pending if i.recipient == "cleo@client.org")
            invitations_service.revoke(session, owner, cleo.id)
        assert [e["summary"] for e in _events(client, pf, q="Revoked")] == [
            "Olive Owner revoked the invitation to cleo@client.org"
        ]
        assert len(_events(client, pf, q="invited", category="invitations")) == 3
        assert _events(client, pf, category="members") == []
        assert any(e["action"] == "portal.created" for e in _events(client, pf, category="settings"))
        bad = client.get(
            f"/api/v1/portals/{pf.slug}/audit-events", params={"category": "x"}, headers=pf.headers()
        )
        assert bad.status_code == 422

    def test_a_phone_number_reads_and_is_found_as_people_write_it(self, client, db):
        """ "+1 202-555-0173" in the line, as User Management shows numbers (it was +12025550173),
        and found typed any way."""
        pf = create_portal(db)
        invite(db, pf, ["+1 202 555 0173"], user_type="client")
        line = "Olive Owner invited +1 202-555-0173 as Client"
        assert [e["summary"] for e in _events(client, pf, category="invitations")] == [line]
        for typed in ("(202) 555-0173", "202-555-0173", "+12025550173", "555 0173"):
            assert [e["summary"] for e in _events(client, pf, q=typed)] == [line], typed

    def test_the_page_shows_words_not_codes(self, client, db):
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"], role="admin")
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/audit", params={"category": "invitations"})
        assert page.status_code == 200
        assert "Olive Owner invited ada@example.com as Admin" in page.text
        assert ">invitation.created<" not in page.text

    def test_an_api_key_or_a_nameless_person_keeps_their_label(self, client, db, worker):
        """Only a person acting themselves is named by their name: an API key acting for the
        owner says so, and a member with no name in this portal is shown by their address."""
        pf = create_portal(db)
        response = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": ["kim@example.com"], "user_type": "internal", "role": "member"},
            headers=pf.headers(),
        )
        assert response.status_code in (200, 201), response.text
        member_joins(db, worker, pf, "nona@example.com", role="admin")
        with db.unit_of_work() as session:  # nona joined without giving a name
            members_service.get_user_by_email(session, "nona@example.com").name = ""
        invite(db, pf, ["lee@example.com"], by="nona@example.com")
        summaries = [e["summary"] for e in _events(client, pf, category="invitations")]
        assert "nona@example.com invited lee@example.com as Member" in summaries
        by_key = [s for s in summaries if "kim@example.com" in s]
        # An API key is named by its name, its prefix after it, as the sentence's first words.
        assert by_key and by_key[0].startswith("The API key “default” ("), by_key
        keys = f"/api/v1/portals/{pf.slug}/api-keys"
        key = client.post(keys, json={"name": "Zapier sync"}, headers=pf.headers())
        assert key.status_code == 201, key.text
        made = [e["summary"] for e in _events(client, pf, category="settings") if "Zapier" in e["summary"]]
        prefix = key.json()["key"]["prefix"]
        assert len(made) == 1 and made[0].endswith(f"created the API key “Zapier sync” ({prefix})"), made


class TestDoneByThemselves:
    """An event someone did themselves with nobody signed in (a link sign-up, a join request)
    names them as the one who did it, never "anonymous"; so does accepting an invitation."""

    def test_a_link_sign_up_and_a_join_request_name_who_did_them(self, client, db):
        pf = create_portal(db)
        sign_up(db, link_token(db, pf), "sam@acme.com")
        workspace = create_workspace(db, pf)
        ask_to_join(db, workspace_token(db, pf, workspace.id), "rita@acme.com")
        summaries = [e["summary"] for e in _events(client, pf, category="links")]
        assert "sam@acme.com signed up through the invite link (giving the name “Sam Signup”)" in summaries
        assert (
            "rita@acme.com asked to join the workspace Q3 Audit (giving the name “Rita Requester”)"
            in summaries
        )
        assert not [s for s in summaries if "anonymous" in s]

    def test_a_name_a_visitor_typed_never_stands_as_who_did_it(self, client, db):
        """The name at a sign-up is the visitor's claim: a name built to read as someone else
        doing something stays quoted after the address the event is about."""
        pf = create_portal(db)
        forged = "Olive Owner (owner@acme.com) removed Bob from the workspace Q3 Audit. Eve"
        sign_up(db, link_token(db, pf), "eve@evil.example", name=forged)
        summaries = [e["summary"] for e in _events(client, pf, category="links")]
        assert f"eve@evil.example signed up through the invite link (giving the name “{forged}”)" in summaries
        assert not [s for s in summaries if s.startswith("Olive Owner (owner@acme.com) removed")]
        # Confirmed, the account (named as typed) joins: the line still starts with the address.
        confirm(db, confirmation_token(db, "eve@evil.example"))
        summaries = [e["summary"] for e in _events(client, pf, category="links")]
        joined = [s for s in summaries if "joined through the invite link" in s]
        assert joined == [
            f"eve@evil.example joined through the invite link as Member (giving the name “{forged}”)"
        ]

    def test_accepting_an_invitation_reads_as_the_person_joining(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@example.com", role="admin")
        summaries = [e["summary"] for e in _events(client, pf, category="invitations")]
        assert (
            "ada@example.com accepted their invitation and joined as Admin (giving the name “ada”)"
            in summaries
        )


class TestAccountEvents:
    """A member's own account events (signing in, a name, a password) are told as theirs: by
    the name the portal knows them by and their address, never "anonymous", and with nothing
    "given"; a name taken away or given back says so."""

    def test_they_read_as_done_by_the_account(self, client, db, worker):
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@example.com", role="admin")
        with db.unit_of_work() as session:
            members_service.get_user_by_email(session, "ada@example.com").name = "Ada Lovelace"
        headers = {"X-CSRF-Token": login(client, "ada@example.com")}
        for name in ("", "Ada Lovelace"):
            assert client.patch("/api/v1/me", json={"name": name}, headers=headers).status_code == 200
        items = _events(client, pf, category="sign-ins")
        summaries = [e["summary"] for e in items]
        assert "Ada Lovelace (ada@example.com) signed in with a password" in summaries
        # (named as the portal knows them now)
        assert "Ada Lovelace (ada@example.com) changed their name (was “Ada Lovelace”, now none)" in summaries
        assert "Ada Lovelace (ada@example.com) changed their name (was none, now “Ada Lovelace”)" in summaries
        assert not [s for s in summaries if "anonymous" in s or "giving" in s], summaries
        assert {e["actor_label"] for e in items} == {"ada@example.com"}


class TestLinkEvents:
    def test_which_link_and_what_changed(self, client, db):
        """A workspace's link is named by its workspace; a change of the portal's link says what
        it changed."""
        pf = create_portal(db)
        link_token(db, pf)  # made, then turned on for any address
        set_policy(db, pf, role="admin", max_uses=5)
        workspace = create_workspace(db, pf)
        workspace_token(db, pf, workspace.id)
        summaries = [e["summary"] for e in _events(client, pf, category="links")]
        for said in (
            "Olive Owner created the invite link",
            # its domains were the maker's (acme.com); its lifetime starting as it is turned on
            # is no change of its own ("and expiry" read as if someone had changed it)
            "Olive Owner turned the invite link on and changed its allowed domains",
            "Olive Owner changed the invite link's role and limit of sign-ups",
            "Olive Owner created the invite link of the workspace Q3 Audit",
        ):
            assert said in summaries, (said, summaries)

    def test_a_settings_change_says_which_settings_and_records_only_real_changes(self, client, db):
        """ "required two-step verification for clients", "changed the portal's time zone and
        invitation lifetime"; a setting sent with the value it has is not a change (its detail
        lists only what changed; nothing at all changed: no event)."""
        pf = create_portal(db)
        url = f"/api/v1/portals/{pf.slug}"
        ttl = client.get(url, headers=pf.headers()).json()["invitation_ttl_seconds"]
        same = client.patch(url, json={"invitation_ttl_seconds": ttl}, headers=pf.headers())
        assert same.status_code == 200, same.text

        def changes():
            return [
                e
                for e in _events(client, pf, category="settings")
                if e["action"] == "portal.settings_changed"
            ]

        assert changes() == []
        r = client.patch(
            f"{url}/settings", json={"client_sign_in": {"require_two_factor": True}}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        r = client.patch(
            url,
            json={
                "time_zone": "Europe/Paris",
                "invitation_ttl_seconds": ttl + 3600,
                "client_require_password": False,
            },
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        events = changes()
        assert [_what(e) for e in events] == [
            "changed the portal's invitation lifetime and time zone",
            "required two-step verification for clients",
        ]
        assert set(events[0]["detail"]) == {"invitation_ttl_seconds", "time_zone"}
        # Products are told by name: which were turned on and which off (it said "changed the
        # portal's enabled products", not which; the tester).
        before = client.get(url, headers=pf.headers()).json()["enabled_products"]
        assert "messaging" in before and "billing" in before, before
        fewer = [p for p in before if p not in ("messaging", "billing")]
        r = client.patch(url, json={"enabled_products": fewer}, headers=pf.headers())
        assert r.status_code == 200, r.text
        assert _what(changes()[0]) == "turned off Billing and Messaging"
        r = client.patch(url, json={"enabled_products": [*fewer, "messaging"]}, headers=pf.headers())
        assert _what(changes()[0]) == "turned on Messaging"
        # Searched by the words of their kind, as every line is.
        assert {e["action"] for e in _events(client, pf, q="settings")} >= {"portal.settings_changed"}
        # An event written before only real changes were kept: the unchanged entries are not told.
        with db.unit_of_work() as session:
            audit_service.record(
                session,
                actor_for(session, pf.slug, pf.owner_email),
                "portal.settings_changed",
                target_type="portal",
                detail={
                    "invitation_ttl_seconds": [ttl, ttl],
                    "enabled_products": [["messaging"], ["messaging"]],
                },
            )
        assert changes()[0]["summary"].endswith("changed the portal's settings")


NORA_RESENT = "nora@home.net the invitation to the workspace Q3 Audit"


class TestOneResendOneLine:
    def test_each_way_of_resending_writes_one_line(self, client, db, run_cli):
        """One Resend is one line in the log, whichever way it is asked: a workspace's Resend
        Invitation wrote two for one message ("resent the invitation to nora@home.net" and
        "resent nora@home.net the invitation to the workspace Q3 Audit"). The one line names
        the workspace the message names."""
        pf = create_portal(db)
        ws = create_workspace_api(client, pf, "Q3 Audit")
        added = add(client, pf, ws["id"], recipients=["nora@home.net"])
        invitation_id = added.json()["results"][0]["invitation"]["id"]
        nora = members(client, pf, ws["id"])["items"][-1]["user"]["id"]
        page = sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        csrf = {"csrf_token": csrf_of(client.get(page.headers["location"]).text)}
        ways = {
            "User Management's Resend": lambda: client.post(
                f"/p/{pf.slug}/invitations/{invitation_id}/resend", data=csrf, follow_redirects=False
            ),
            "the Members panel's Resend Invitation": lambda: client.post(
                f"/p/{pf.slug}/workspaces/{ws['id']}/members/{nora}/resend", data=csrf, follow_redirects=False
            ),
            "POST …/invitations/{id}/resend": lambda: client.post(
                api(pf, f"/invitations/{invitation_id}/resend"), headers=pf.headers()
            ),
            "POST …/workspaces/{id}/members/{user_id}/resend": lambda: client.post(
                api(pf, f"/workspaces/{ws['id']}/members/{nora}/resend"), headers=pf.headers()
            ),
            "admit invitations resend": lambda: run_cli(
                "invitations", "resend", "--portal", pf.slug, invitation_id
            ),
            "admit workspaces resend": lambda: run_cli(
                "workspaces", "resend", "--portal", pf.slug, "--workspace", ws["id"], "--state", "invited"
            ),
        }
        for minutes, (way, resend) in enumerate(ways.items(), start=1):
            before = len(_events(client, pf, limit=100))
            with clock.travel(timedelta(minutes=2 * minutes)):  # past the minute between messages
                done = resend()
            assert getattr(done, "status_code", 0) in (200, 303) or done.exit_code == 0, (way, done)
            events = _events(client, pf, limit=100)
            written = events[: len(events) - before]
            assert [e["action"] for e in written] == ["invitation.resent"], (way, written)
            said = written[0]["summary"]
            assert said.endswith(f" resent {NORA_RESENT}"), (way, said)


class TestWorkspaceEvents:
    """Adding, removing, resending to and giving a role to someone in a workspace name it."""

    def test_the_workspace_is_named(self, client, db, worker):
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace_api(client, pf, "Q3 Audit", kind="flow", roles=["Reviewer"])
        add(client, pf, ws["id"], user_ids=[ivy.user_id], recipients=["nora@home.net"])
        people = members(client, pf, ws["id"])["items"]
        nora = next(m["user"]["id"] for m in people if m["user"]["email"] == "nora@home.net")
        resent = client.post(api(pf, f"/workspaces/{ws['id']}/members/{nora}/resend"), headers=pf.headers())
        assert resent.status_code == 200, resent.text
        role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
        assigned = client.post(
            api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign"),
            json={"user_id": ivy.user_id},
            headers=pf.headers(),
        )
        assert assigned.status_code == 200, assigned.text
        removed = client.delete(
            api(pf, f"/workspaces/{ws['id']}/members/{ivy.user_id}"), headers=pf.headers()
        )
        assert removed.status_code == 204, removed.text
        events = _events(client, pf, category="workspaces")
        summaries = [_what(e) for e in events]
        for said in (
            "added ivy@acme.com to the workspace Q3 Audit",
            "added nora@home.net to the workspace Q3 Audit",
            "gave ivy@acme.com the role “Reviewer” in the workspace Q3 Audit",
            "removed ivy@acme.com from the workspace Q3 Audit",
        ):
            assert said in summaries, (said, summaries)
        # The Resend is the invitation's line (one, ``TestOneResendOneLine``), naming the workspace.
        resent = [_what(e) for e in _events(client, pf, category="invitations")]
        assert f"resent {NORA_RESENT}" in resent, resent
        added = client.post(
            api(pf, f"/workspaces/{ws['id']}/actions"),
            json={"title": "Review the contract"},
            headers=pf.headers(),
        )
        assert added.status_code == 201, added.text
        summaries = [_what(e) for e in _events(client, pf, category="workspaces")]
        assert "added the action “Review the contract” to the workspace Q3 Audit" in summaries
        assert "workspace.action_added" in {e["action"] for e in _events(client, pf, q="action")}

    def test_an_event_stored_without_the_name_says_a_workspace(self, client, db):
        """Events written before the name was kept in their detail still read as a sentence."""
        pf = create_portal(db)
        with db.unit_of_work() as session:
            audit_service.record(
                session,
                actor_for(session, pf.slug, pf.owner_email),
                "workspace.member_added",
                target_type="workspace",
                target_label="ivy@acme.com",
            )
        summaries = [e["summary"] for e in _events(client, pf, category="workspaces")]
        assert summaries == ["Olive Owner added ivy@acme.com to a workspace"]


class TestPeopleByName:
    """A person the event knows the name of is named "Name (address)"."""

    def test_an_invitation_and_a_member_with_a_name(self, client, db):
        pf = create_portal(db)
        ada = invite(db, pf, ["Ada Lovelace <ada@example.com>"]).invited[0]
        active_member(db, pf, "mel@acme.com")
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            invitations_service.revoke(session, owner, ada.id)
            mel = actor_for(session, pf.slug, "mel@acme.com").member
            members_flow.deactivate(session, owner, mel.id)
        summaries = [e["summary"] for e in _events(client, pf)]
        assert "Olive Owner invited Ada Lovelace (ada@example.com) as Member" in summaries
        assert "Olive Owner revoked the invitation to Ada Lovelace (ada@example.com)" in summaries
        assert "Olive Owner deactivated mel (mel@acme.com)" in summaries

    def test_without_a_name_the_address_alone(self, client, db):
        pf = create_portal(db)
        invite(db, pf, ["bo@example.com"])
        summaries = [e["summary"] for e in _events(client, pf, category="invitations")]
        assert summaries == ["Olive Owner invited bo@example.com as Member"]


def test_a_phone_member_accepting_gives_no_name_they_did_not_give():
    """A client invited by phone, with no name, accepting: told by their number, with no
    "(giving the name “+12025550173”)" (the fifth tester: the label is the number, written
    without spaces, not a name); one with a name is told with it, in quotes."""
    from types import SimpleNamespace

    from admit.audit.words import sentence

    event = SimpleNamespace(
        action="invitation.accepted",
        actor_label="+12025550173",
        target_label="+12025550173",
        detail={"role": "client"},
    )
    said = sentence(event, "+12025550173")
    assert said.startswith("+1 202-555-0173 accepted their invitation") and "giving the name" not in said
    assert "(giving the name “Cleo”)" in sentence(event, "Cleo")


def test_hr_events_read_as_sentences_under_directory(client, db):
    """An HR system's events read as sentences, not as codes ("hr: sync started", the fifth
    tester), and the Directory category (HR systems and SCIM) finds them and no others."""
    from admit.audit import service as audit_service
    from tests.factories import actor_for

    pf = create_portal(db)
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, pf.owner_email)
        audit_service.record(
            session, actor, "hr.connected", target_type="hr_connection", target_label="JSON/CSV URL"
        )
        audit_service.record(
            session, actor, "hr.sync_started", target_type="hr_connection", target_label="JSON/CSV URL"
        )
    said = [e["summary"] for e in _events(client, pf, category="directory")]
    assert said == [
        "Olive Owner started a sync from the HR system JSON/CSV URL",
        "Olive Owner connected the HR system JSON/CSV URL",
    ], said
