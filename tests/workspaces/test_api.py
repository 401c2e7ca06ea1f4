"""Workspaces through the API (/api/v1), on both backends: inviting into a workspace, the
Members panel (Joined / Not Joined, Resend Invitation), teams and client groups, flow roles,
the timeline, and who may see what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from admit.kit.text import day_text
from tests.factories import OWNER_PASSWORD, csrf_of, invite, said_under, sign_in_page
from tests.workspaces.helpers import (
    PASSWORD,
    add,
    api,
    assign_role,
    create_portal,
    create_workspace,
    invite_token,
    joined,
    mail_count,
    members,
    messages_to,
    notifications_to,
    role_ids,
    session_headers,
    status_of,
    user_id_of,
)


def user_id_of_member(client, pf, ws_id, email: str) -> str:
    return next(m["user"]["id"] for m in members(client, pf, ws_id)["items"] if m["user"]["email"] == email)


def accept(client, text: str, password: str | None = None):
    r = client.post(
        f"/api/v1/invitations/{invite_token(text)}/accept", json={"password": password, "name": "N"}
    )
    assert r.status_code == 200, r.text
    return r.json()


class TestAddPeople:
    def test_existing_people_join_at_once_and_hear_about_it(self, client, db, worker):
        """Existing internal users and clients are Joined at once, get one email each, and see the
        workspace at the top of their timeline."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        older = create_workspace(client, pf, "Older")
        add(client, pf, older["id"], user_ids=[ivy.user_id])
        ws = create_workspace(client, pf, "Q3 audit")
        worker.drain()
        before = mail_count(db, "ivy@acme.com")

        r = add(client, pf, ws["id"], user_ids=[ivy.user_id], recipients=["cleo@client.org"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["counts"] == {"added": 2, "invited": 0, "skipped": 0}
        assert {x["outcome"] for x in body["results"]} == {"added"}
        worker.drain()
        assert mail_count(db, "ivy@acme.com") == before + 1
        mail = messages_to(db, "cleo@client.org")[-1]
        assert "Q3 audit" in mail.subject + mail.text
        assert status_of(client, pf, ws["id"])["cleo@client.org"] == "joined"

        h = session_headers(client, "ivy@acme.com")
        timeline = client.get("/api/v1/me/workspaces", headers=h).json()["items"]
        assert [w["name"] for w in timeline][:2] == ["Q3 audit", "Older"]
        assert timeline[0]["portal"]["slug"] == pf.slug

    def test_adding_someone_already_in_is_a_no_op_with_a_message(self, client, db, worker):
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], user_ids=[ivy.user_id])
        worker.drain()
        sent = mail_count(db, "ivy@acme.com")
        r = add(client, pf, ws["id"], recipients=["IVY@acme.com"], user_ids=[ivy.user_id])
        results = r.json()["results"]
        assert {x["code"] for x in results} == {"already_in_workspace"}
        assert "already in this workspace" in results[0]["detail"]
        worker.drain()
        assert mail_count(db, "ivy@acme.com") == sent
        assert list(status_of(client, pf, ws["id"])).count("ivy@acme.com") == 1

    def test_new_client_is_invited_and_lands_in_the_workspace(self, client, db, worker):
        """A new address gets one invitation naming the workspace; Not Joined until accepted,
        then Joined, and the workspace is on their timeline."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Kitchen remodel")
        r = add(client, pf, ws["id"], recipients=["Nora New <nora@home.net>"])
        assert r.json()["counts"]["invited"] == 1, r.text
        assert status_of(client, pf, ws["id"])["nora@home.net"] == "not_joined"
        worker.drain()
        mail = messages_to(db, "nora@home.net")
        assert len(mail) == 1 and "Kitchen remodel" in mail[0].text
        client.cookies.clear()
        token = invite_token(mail[0].text)
        assert client.get(f"/api/v1/invitations/{token}").json()["workspace"] == "Kitchen remodel"
        assert "the workspace <strong>“Kitchen remodel”</strong> in" in client.get(f"/invite/{token}").text
        accept(client, mail[0].text)
        assert status_of(client, pf, ws["id"])["nora@home.net"] == "joined"
        timeline = client.get("/api/v1/me/workspaces").json()["items"]
        assert [w["name"] for w in timeline] == ["Kitchen remodel"]

    def test_phone_number_is_stored_as_e164_and_gets_an_sms(self, client, db, worker):
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        r = add(client, pf, ws["id"], recipients=["(202) 555-0173"])
        assert r.json()["counts"]["invited"] == 1, r.text
        assert "+12025550173" in status_of(client, pf, ws["id"])
        rows = notifications_to(db, "+12025550173")
        assert [(n.channel, n.template) for n in rows] == [("sms", "invitation")]
        worker.drain()
        sms = messages_to(db, "+12025550173")
        assert [m.channel for m in sms] == ["sms"]
        client.cookies.clear()
        body = accept(client, sms[0].text)  # a client: no password needed
        assert body["user"]["phone"] == "+12025550173" and body["user"]["email"] is None
        assert status_of(client, pf, ws["id"])["+12025550173"] == "joined"
        again = add(client, pf, ws["id"], recipients=["+1 (202) 555 0173"])
        assert again.json()["results"][0]["code"] == "already_in_workspace"

    def test_a_phone_number_is_said_spaced_in_every_message(self, client, db, worker):
        """The workspace's answers name a phone number as the pages show it ("+1 202-555-0173"),
        not as stored ("+12025550173": "+12025550173 has already joined; …"); the address fields
        keep it as stored."""
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], recipients=["(202) 555-0173"])
        check = api(pf, "/recipients/check")
        r = client.post(check, json={"text": "+12025550173", "workspace_id": ws["id"]}, headers=pf.headers())
        [item] = r.json()["items"]
        assert (item["address"], item["detail"]) == (
            "+12025550173",
            "+1 202-555-0173 is already invited to this workspace; use Resend Invitation.",
        ), item
        again = add(client, pf, ws["id"], recipients=["+12025550173"]).json()["results"][0]
        assert again["detail"] == item["detail"]
        worker.drain()
        client.cookies.clear()
        body = accept(client, messages_to(db, "+12025550173")[0].text)
        user_id = body["user"]["id"]
        r = client.post(api(pf, f"/workspaces/{ws['id']}/members/{user_id}/resend"), headers=pf.headers())
        assert r.status_code == 409, r.text
        assert r.json()["detail"] == "+1 202-555-0173 has already joined; there is nothing to resend.", r.text
        again = add(client, pf, ws["id"], recipients=["+12025550173"]).json()["results"][0]
        assert (again["recipient"], again["detail"]) == (
            "+12025550173",
            "+1 202-555-0173 is already in this workspace.",
        ), again

    def test_bad_input_names_the_row_and_writes_nothing_for_it(self, client, db, worker):
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        r = add(client, pf, ws["id"], recipients=["not an address", "ok@home.net", "ok@home.net"])
        codes = [(x["recipient"], x["outcome"], x["code"]) for x in r.json()["results"]]
        assert ("not an address", "skipped", "invalid_recipient") in codes
        assert ("ok@home.net", "skipped", "duplicate") in codes
        assert set(status_of(client, pf, ws["id"])) == {"ok@home.net"}  # made by an API key: nobody else
        r = add(client, pf, ws["id"])
        assert r.status_code == 422 and r.json()["field"] == "recipients"
        r = add(client, pf, ws["id"], team_ids=["00000000-0000-0000-0000-000000000000"])
        assert r.status_code == 422 and r.json()["field"] == "team_ids"

    def test_internal_member_adds_clients_but_not_new_internal_users(self, client, db, worker):
        pf = create_portal(db)
        joined(db, worker, client, pf, "mel@acme.com")
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        h = session_headers(client, "mel@acme.com")
        ws = create_workspace(client, pf, "Mel's", headers=h)
        r = add(client, pf, ws["id"], headers=h, user_ids=[ivy.user_id], recipients=["c@home.net"])
        assert (r.json()["counts"]["added"], r.json()["counts"]["invited"]) == (1, 1), r.text
        r = add(client, pf, ws["id"], headers=h, recipients=["new-staff@acme.com"], user_type="internal")
        assert r.status_code == 403, r.text
        assert "new-staff@acme.com" not in status_of(client, pf, ws["id"], headers=h)
        assert notifications_to(db, "new-staff@acme.com") == []


class TestResend:
    def test_resend_member_sends_one_new_link_and_kills_the_old(self, client, db, worker):
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], recipients=["nora@home.net"])
        worker.drain()
        old = messages_to(db, "nora@home.net")[0].text
        nora = members(client, pf, ws["id"])["items"][-1]["user"]["id"]
        r = client.post(api(pf, f"/workspaces/{ws['id']}/members/{nora}/resend"), headers=pf.headers())
        assert r.status_code == 200 and r.json()["counts"] == {"resent": 1, "skipped": 0}, r.text
        (result,) = r.json()["results"]
        said = (result["recipient"], result["outcome"], result["user_id"])
        assert said == ("nora@home.net", "resent", nora), result
        assert result["invitation"]["send_count"] == 2, result
        worker.drain()
        mails = messages_to(db, "nora@home.net")
        assert len(mails) == 2
        client.cookies.clear()
        dead = client.post(f"/api/v1/invitations/{invite_token(old)}/accept", json={})
        assert (dead.status_code, dead.json()["code"]) == (410, "invitation_gone"), dead.text
        accept(client, mails[-1].text)
        again = client.post(api(pf, f"/workspaces/{ws['id']}/members/{nora}/resend"), headers=pf.headers())
        assert again.status_code == 409 and again.json()["code"] == "already_joined"

    def test_group_resend_reaches_exactly_those_not_joined(self, client, db, worker):
        """A client group of three is added; one joins; Resend on the group's row sends one new
        invitation to each of the other two and nothing to the one who joined."""
        pf = create_portal(db)
        r = client.post(
            api(pf, "/client-groups"),
            json={"name": "Smith family", "recipients": ["a@smith.net", "b@smith.net", "c@smith.net"]},
            headers=pf.headers(),
        )
        assert r.status_code == 201, r.text
        group = r.json()["team"]
        assert len(group["members"]) == 3
        ws = create_workspace(client, pf, "Estate")
        r = add(client, pf, ws["id"], group_ids=[group["id"]])
        # Invited to the portal when the group was made: Not Joined here, on those invitations.
        assert r.json()["counts"] == {"added": 0, "invited": 0, "skipped": 3}, r.text
        assert {x["code"] for x in r.json()["results"]} == {"already_invited"}
        worker.drain()
        accept(client, messages_to(db, "a@smith.net")[-1].text)
        panel = members(client, pf, ws["id"])
        row = panel["teams"][0]
        assert (row["team"]["name"], row["joined"], row["not_joined"], row["status"]) == (
            "Smith family",
            1,
            2,
            "not_joined",
        )
        assert {m["via_group"]["name"] for m in panel["items"] if m["via_group"]} == {"Smith family"}
        before = {e: mail_count(db, e) for e in ("a@smith.net", "b@smith.net", "c@smith.net")}
        r = client.post(api(pf, f"/workspaces/{ws['id']}/groups/{group['id']}/resend"), headers=pf.headers())
        assert r.status_code == 200 and r.json()["counts"] == {"resent": 2, "skipped": 1}, r.text
        said = [(x["recipient"], x["outcome"], x["code"]) for x in r.json()["results"]]
        assert said == [
            ("a@smith.net", "skipped", "already_joined"),  # one result per person on the row
            ("b@smith.net", "resent", None),
            ("c@smith.net", "resent", None),
        ]
        worker.drain()
        after = {e: mail_count(db, e) for e in before}
        assert after == {"a@smith.net": before["a@smith.net"], "b@smith.net": 2, "c@smith.net": 2}

    def test_a_row_resend_skips_a_person_sent_a_message_a_moment_ago_and_sends_the_rest(
        self, client, db, worker, rate_limits
    ):
        """One person on a group's row who was sent a message less than a minute ago is skipped
        (``recipient_rate_limited``, in words); the others on the row still get their new link
        (the whole row was refused, nothing sent to anyone)."""
        from datetime import timedelta

        from admit.kit import clock

        pf = create_portal(db)
        body = {"name": "Smith family", "recipients": ["b@smith.net", "c@smith.net"]}
        group = client.post(api(pf, "/client-groups"), json=body, headers=pf.headers()).json()["team"]
        ws = create_workspace(client, pf, "Estate")
        assert add(client, pf, ws["id"], group_ids=[group["id"]]).status_code == 201
        with clock.travel(timedelta(minutes=5)):
            b = next(
                m["user"]["id"]
                for m in members(client, pf, ws["id"])["items"]
                if m["user"]["email"] == "b@smith.net"
            )
            one = client.post(api(pf, f"/workspaces/{ws['id']}/members/{b}/resend"), headers=pf.headers())
            assert one.status_code == 200, one.text
            r = client.post(
                api(pf, f"/workspaces/{ws['id']}/groups/{group['id']}/resend"), headers=pf.headers()
            )
        assert r.status_code == 200 and r.json()["counts"] == {"resent": 1, "skipped": 1}, r.text
        said = {x["recipient"]: (x["outcome"], x["code"]) for x in r.json()["results"]}
        assert said == {"b@smith.net": ("skipped", "recipient_rate_limited"), "c@smith.net": ("resent", None)}
        (held,) = [x for x in r.json()["results"] if x["code"]]
        assert "b@smith.net was sent a message" in held["detail"], held

    def test_a_blank_recipient_has_a_result_of_its_own(self, client, db):
        """As for ``POST …/invitations``: a blank element is not dropped without a word."""
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        r = add(client, pf, ws["id"], recipients=["nora@home.net", "  "], user_type="client")
        assert r.status_code == 201, r.text
        assert sorted((x["recipient"], x["code"] or "") for x in r.json()["results"]) == [
            ("", "invalid_recipient"),
            ("nora@home.net", ""),
        ]

    def test_results_come_in_the_order_asked_each_with_its_element(self, client, db, worker):
        """One result per person in the order given (the README's promise for every endpoint
        that takes recipients), skipped ones in their place, each with the ``index`` of its
        element of ``recipients``; people asked for by id come first, a team's people last."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ben = joined(db, worker, client, pf, "ben@client.org", user_type="client")
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], user_ids=[ben.user_id])
        r = add(
            client,
            pf,
            ws["id"],
            user_ids=[ivy.user_id],
            recipients=["nora@home.net; nope", "ben@client.org", "", "NORA@home.net", "zoe@home.net"],
            user_type="client",
        )
        assert r.status_code == 201, r.text
        got = [(x["recipient"], x["outcome"], x["code"], x["index"]) for x in r.json()["results"]]
        assert got == [
            ("ivy", "added", None, None),
            ("nora@home.net", "invited", None, 0),
            ("nope", "skipped", "invalid_recipient", 0),
            ("ben@client.org", "skipped", "already_in_workspace", 1),
            ("", "skipped", "invalid_recipient", 2),
            ("NORA@home.net", "skipped", "duplicate", 3),
            ("zoe@home.net", "invited", None, 4),
        ]

    def test_a_client_groups_results_come_in_the_order_asked(self, client, db, worker):
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        r = client.post(
            api(pf, "/client-groups"),
            json={
                "name": "Smiths",
                "user_ids": [ivy.user_id],
                "recipients": ["ann@smith.net", "bad", "cleo@client.org", "ann@smith.net"],
            },
            headers=pf.headers(),
        )
        assert r.status_code == 201, r.text
        got = [(x["recipient"], x["code"], x["index"]) for x in r.json()["results"]]
        assert got == [
            ("ivy", "wrong_user_type", None),
            ("ann@smith.net", None, 0),
            ("bad", "invalid_recipient", 1),
            ("cleo@client.org", None, 2),
            ("ann@smith.net", "duplicate", 3),
        ]

    def test_team_of_internal_users(self, client, db, worker):
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        r = client.post(
            api(pf, "/teams"),
            json={
                "name": "Tax",
                "user_ids": [ivy.user_id],
                "recipients": ["cleo@client.org", "x@nowhere.org"],
            },
            headers=pf.headers(),
        )
        assert r.status_code == 201, r.text
        codes = {x["recipient"]: x["code"] for x in r.json()["results"]}
        assert codes["cleo@client.org"] == "wrong_user_type" and codes["x@nowhere.org"] == "not_found"
        team = r.json()["team"]
        ws = create_workspace(client, pf)
        assert add(client, pf, ws["id"], team_ids=[team["id"]]).json()["counts"]["added"] == 1
        r = client.post(api(pf, f"/workspaces/{ws['id']}/teams/{team['id']}/resend"), headers=pf.headers())
        assert r.json()["counts"] == {"resent": 0, "skipped": 1}, r.text
        said = [(x["recipient"], x["code"]) for x in r.json()["results"]]
        assert said == [("ivy@acme.com", "already_joined")]
        dup = client.post(api(pf, "/teams"), json={"name": "Tax"}, headers=pf.headers())
        assert dup.status_code == 409 and dup.json()["code"] == "team_exists"
        # The tester: a client in the workspace saw "Ivy · via Tax" and a "Tax · Team" row, how
        # the portal organises its staff (and other clients' groups). Internal users see them.
        as_owner = client.get(api(pf, f"/workspaces/{ws['id']}/members"), headers=pf.headers()).json()
        assert [t["team"]["name"] for t in as_owner["teams"]] == ["Tax"]
        assert (
            add(client, pf, ws["id"], user_ids=[user_id_of(client, pf, "cleo@client.org")]).status_code == 201
        )
        session_headers(client, "cleo@client.org")
        as_client = client.get(api(pf, f"/workspaces/{ws['id']}/members")).json()
        assert as_client["teams"] == [] and not any(m["via_team"] for m in as_client["items"]), as_client
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text
        assert "Tax" not in page and "Teams and client groups" not in page
        # A name's rules are the service's, said in its words whatever the face (not pydantic's).
        for path, body, said in (
            ("/teams", {"name": ""}, "The team needs a name."),
            ("/client-groups", {"name": "x" * 201}, "At most 200 characters; this one has 201."),
            ("/workspaces", {"name": ""}, "The workspace needs a name."),
            ("/workspaces", {"name": "w" * 201}, "At most 200 characters; this one has 201."),
        ):
            r = client.post(api(pf, path), json=body, headers=pf.headers())
            assert (r.status_code, r.json()["detail"]) == (422, said), (path, r.text)


class TestFlowRoles:
    def test_roles_assign_new_client_and_reassign_keeps_history(self, client, db, worker):
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer", "Client signer"])
        roles = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"]
        assert [(r["name"], r["assignee"]) for r in roles] == [("Reviewer", None), ("Client signer", None)]
        signer = roles[1]["id"]
        # A UK number: the portal texts the United Kingdom as well as its own country.
        client.patch(f"/api/v1/portals/{pf.slug}", json={"sms_countries": ["US", "GB"]}, headers=pf.headers())

        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/roles/{signer}/assign"),
            json={"recipient": "+44 20 7946 0958", "user_type": "client"},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        assert r.json()["role"]["assignee"]["phone"] == "+442079460958"
        assert r.json()["added"]["outcome"] == "invited"
        panel = {m["user"]["phone"] or m["user"]["email"]: m for m in members(client, pf, ws["id"])["items"]}
        assert panel["+442079460958"]["roles"] == ["Client signer"]
        assert panel["+442079460958"]["status"] == "not_joined"

        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/roles/{signer}/assign"),
            json={"user_id": ivy.user_id},
            headers=pf.headers(),
        )
        role = r.json()["role"]
        assert role["assignee"]["email"] == "ivy@acme.com" and role["assigned_at"] is not None
        assert "history" not in role  # unbounded: it pages under its own address
        # Who held it, newest first, a page at a time (``{items, next_cursor}`` like every list).
        history, cursor = [], None
        for _ in range(3):
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            page = client.get(
                api(pf, f"/workspaces/{ws['id']}/roles/{signer}/history"), params=params, headers=pf.headers()
            )
            assert page.status_code == 200, page.text
            assert len(page.json()["items"]) == 1
            held = page.json()["items"]
            history += [(h["user"]["phone"] or h["user"]["email"], h["ended_at"] is None) for h in held]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert history == [("ivy@acme.com", True), ("+442079460958", False)]
        assert cursor is None
        assert status_of(client, pf, ws["id"])["ivy@acme.com"] == "joined"  # added by the assignment

    def test_the_invitation_a_role_sends_names_the_role(self, client, db, worker):
        """The tester: Assign on "Client signer", sam@smith.org, Invite New Client: the email
        said only "invited you to join the workspace “Estate Plan” … as a client". Its text and
        HTML say the role they will hold."""
        from admit.notifications import mailbox

        pf = create_portal(db)
        ws = create_workspace(client, pf, "Estate Plan", kind="flow", roles=["Client signer"])
        roles = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"]
        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/roles/{roles[0]['id']}/assign"),
            json={"recipient": "sam@smith.org", "user_type": "client"},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        worker.drain()
        with db.unit_of_work() as session:
            [mail] = mailbox.messages(session, to="sam@smith.org", limit=5)
        assert "the workspace “Estate Plan”" in mail.text, mail.text
        assert "You will hold the role “Client signer” there." in " ".join(mail.text.split()), mail.text
        html = " ".join(mail.html.split())
        assert "You will hold the role <strong>“Client signer”</strong> there." in html, mail.html

    def test_every_later_email_of_the_invitation_names_the_roles_held_as_it_is_sent(self, client, db, worker):
        """The tester: Assign on "Client signer" invited sam@smith.org and named the role; the
        Resend said only "as a client". A workspace's Resend Invitation and User Management's
        Reinvite name the roles Sam holds there as each is sent (text and HTML): both once given
        "Reviewer" too, and only "Reviewer" once "Client signer" went to Ivy."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf, "Estate Plan", kind="flow", roles=["Client signer", "Reviewer"])
        signer, reviewer = role_ids(client, pf, ws["id"])
        r = assign_role(client, pf, ws["id"], signer, recipient="sam@smith.org", user_type="client")
        invitation_id = r.json()["added"]["invitation"]["id"]
        sam = user_id_of_member(client, pf, ws["id"], "sam@smith.org")
        assign_role(client, pf, ws["id"], reviewer, user_id=sam)
        worker.drain()

        def resend(path: str) -> tuple[str, str]:
            r = client.post(path, headers=pf.headers())
            assert r.status_code == 200, r.text
            worker.drain()
            mail = messages_to(db, "sam@smith.org")[-1]
            assert "the workspace “Estate Plan”" in mail.text and "as a client" in mail.text, mail.text
            return " ".join(mail.text.split()), " ".join(mail.html.split())

        both = "You will hold the roles “Client signer” and “Reviewer” there."
        both_html = (
            "You will hold the roles <strong>“Client signer”</strong> and <strong>“Reviewer”</strong> there."
        )
        text, html = resend(api(pf, f"/workspaces/{ws['id']}/members/{sam}/resend"))
        assert both in text and both_html in html, (text, html)
        text, html = resend(f"/api/v1/portals/{pf.slug}/invitations/{invitation_id}/resend")
        assert both in text and both_html in html, (text, html)

        assign_role(client, pf, ws["id"], signer, user_id=ivy.user_id)  # taken away from Sam
        text, html = resend(api(pf, f"/workspaces/{ws['id']}/members/{sam}/resend"))
        assert "You will hold the role “Reviewer” there." in text and "Client signer" not in text, text
        assert "You will hold the role <strong>“Reviewer”</strong> there." in html, html
        r = client.delete(api(pf, f"/workspaces/{ws['id']}/roles/{reviewer}"), headers=pf.headers())
        assert r.status_code == 204, r.text
        text, html = resend(f"/api/v1/portals/{pf.slug}/invitations/{invitation_id}/resend")
        assert "You will hold" not in text and "You will hold" not in html, (text, html)

    def test_a_reminder_names_the_roles_held_as_it_is_sent(self, client, db, worker):
        """A reminder of the invitation Assign sent names the role Sam holds when it is sent; once
        the role went to Ivy, the next reminder names none."""
        from admit.kit import clock

        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf, "Estate Plan", kind="flow", roles=["Client signer"])
        (signer,) = role_ids(client, pf, ws["id"])
        assign_role(client, pf, ws["id"], signer, recipient="sam@smith.org", user_type="client")
        worker.drain()
        lifetime = timedelta(days=7)  # the portal's default; two reminders, at 1/3 and 2/3

        def reminder_at(moment: timedelta) -> tuple[str, str]:
            with clock.travel(moment):
                assert worker.run_scheduled()["reminded"] == 1
                worker.drain()
            mail = messages_to(db, "sam@smith.org")[-1]
            assert mail.subject.startswith("Reminder:"), mail.subject
            return " ".join(mail.text.split()), " ".join(mail.html.split())

        text, html = reminder_at(lifetime / 3 + timedelta(minutes=1))
        assert "as a client. You will hold the role “Client signer” there." in text, text
        assert "You will hold the role <strong>“Client signer”</strong> there." in html, html
        assign_role(client, pf, ws["id"], signer, user_id=ivy.user_id)
        text, html = reminder_at(lifetime * 2 / 3 + timedelta(minutes=1))
        assert "You will hold" not in text and "You will hold" not in html, (text, html)

    def test_roles_only_on_flows(self, client, db, worker):
        pf = create_portal(db)
        r = client.post(
            api(pf, "/workspaces"),
            json={"name": "Chat", "kind": "chat", "roles": ["X"]},
            headers=pf.headers(),
        )
        assert r.status_code == 422 and r.json()["field"] == "roles"
        ws = create_workspace(client, pf)
        r = client.post(api(pf, f"/workspaces/{ws['id']}/roles"), json={"name": "X"}, headers=pf.headers())
        assert r.status_code == 409 and r.json()["code"] == "not_a_flow"


class TestWhoSeesWhat:
    def test_client_sees_only_their_workspaces_and_may_not_act(self, client, db, worker):
        pf = create_portal(db)
        create_workspace(client, pf, "Secret")
        ws = create_workspace(client, pf, "Theirs", kind="flow")
        add(client, pf, ws["id"], recipients=["cleo@client.org"])
        worker.drain()
        client.cookies.clear()
        accept(client, messages_to(db, "cleo@client.org")[-1].text, password=None)
        listing = client.get(api(pf, "/workspaces")).json()["items"]
        assert [w["name"] for w in listing] == ["Theirs"]
        assert [w["name"] for w in client.get("/api/v1/me/workspaces").json()["items"]] == ["Theirs"]
        # the tester: who made it was shown with their address; a client sees others by name only
        one = client.get(api(pf, f"/workspaces/{ws['id']}")).json()
        for seen in (listing[0], one):
            assert (seen["created_by"]["email"], seen["created_by"]["phone"]) == (None, None), seen
            assert seen["created_by"]["name"] == "Olive Owner", seen
        as_owner = client.get(api(pf, f"/workspaces/{ws['id']}"), headers=pf.headers()).json()
        assert as_owner["created_by"]["email"] == pf.owner_email

    def test_clients_see_the_others_by_name_only(self, client, db, worker):
        """In a workspace, a client sees who else is there by name, not their email or phone."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Shared", kind="flow", roles=["Signer"])
        add(client, pf, ws["id"], recipients=["Nora <nora@home.net>", "+1 202 555 0173", "cleo@client.org"])
        role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
        client.post(
            api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign"),
            json={"recipient": "nora@home.net"},
            headers=pf.headers(),
        )
        worker.drain()
        client.cookies.clear()
        accept(client, messages_to(db, "cleo@client.org")[-1].text)
        items = client.get(api(pf, f"/workspaces/{ws['id']}/members")).json()["items"]  # as the client
        seen = {(m["user"]["name"], m["user"]["email"], m["user"]["phone"]) for m in items}
        assert ("N", "cleo@client.org", None) in seen  # herself (accept named her "N")
        assert ("Nora", None, None) in seen and ("", None, None) in seen
        assert not any(e for _n, e, _p in seen if e and e != "cleo@client.org")
        holder = client.get(api(pf, f"/workspaces/{ws['id']}/roles")).json()["items"][0]["assignee"]
        assert (holder["name"], holder["email"]) == ("Nora", None)
        held = client.get(api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/history")).json()["items"]
        assert [(h["user"]["name"], h["user"]["email"], h["user"]["phone"]) for h in held] == [
            ("Nora", None, None)
        ]
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text
        assert "nora@home.net" not in page and "+12025550173" not in page and "Nora" in page

    def test_other_workspaces_and_portals_are_404(self, client, db, worker):
        pf = create_portal(db)
        other = create_portal(db, name="Other Co", owner_email="boss@other.com")
        joined(db, worker, client, pf, "mel@acme.com")
        ws = create_workspace(client, pf, "Owner only")
        h = session_headers(client, "mel@acme.com")
        assert client.get(api(pf, f"/workspaces/{ws['id']}/members"), headers=h).status_code == 404
        assert add(client, pf, ws["id"], headers=h, recipients=["x@y.org"]).status_code == 404
        theirs = create_workspace(client, other, "Theirs")
        assert client.get(api(other, f"/workspaces/{theirs['id']}"), headers=h).status_code == 404
        assert client.get(api(pf, f"/workspaces/{theirs['id']}"), headers=pf.headers()).status_code == 404

    def test_suggestions_never_leak_other_portals(self, client, db, worker):
        pf = create_portal(db)
        other = create_portal(db, name="Other Co", owner_email="boss@other.com")
        joined(db, worker, client, pf, "sam@acme.com")
        r = client.get(api(pf, "/people/suggestions"), params={"q": "o"}, headers=pf.headers())
        emails = {m["user"]["email"] for m in r.json()["items"]}
        assert "owner@acme.com" in emails and "boss@other.com" not in emails
        r = client.get(api(other, "/people/suggestions"), params={"q": "sam"}, headers=other.headers())
        assert r.json() == {"items": [], "next_cursor": None}

    def test_a_workspaces_suggestions_leave_out_whoever_asks(self, client, db, worker):
        """Asked for a workspace's Invite box, the suggestions never offer the one adding (they
        offered Olive herself, marked in the workspace); the others are marked as they stand.
        Asked without a workspace, everyone matching is suggested."""
        pf = create_portal(db)
        joined(db, worker, client, pf, "ada@acme.com")
        joined(db, worker, client, pf, "mel@acme.com")
        h = session_headers(client, pf.owner_email, OWNER_PASSWORD)
        ws = create_workspace(client, pf, "Q3", headers=h)
        add(client, pf, ws["id"], headers=h, recipients=["ada@acme.com"])
        url = api(pf, "/people/suggestions")
        asked = client.get(url, params={"q": "acme", "workspace_id": ws["id"]}, headers=h).json()["items"]
        assert {m["user"]["email"]: m["in_workspace"] for m in asked} == {
            "ada@acme.com": True,
            "mel@acme.com": False,
        }
        everyone = client.get(url, params={"q": "acme"}, headers=h).json()["items"]
        assert {m["user"]["email"] for m in everyone} == {"ada@acme.com", "mel@acme.com", pf.owner_email}

    def test_suggestions_page_on_rather_than_stop(self, client, db):
        """Suggestions come by name, ``limit`` at a time, with a cursor to the rest: more matches
        than the page are never dropped without a word (they stopped at 50, however many)."""
        from tests.factories import active_member

        pf = create_portal(db)
        names = [f"zed{i:02d}@acme.com" for i in range(7)]
        for email in reversed(names):
            active_member(db, pf, email)
        seen, cursor = [], None
        for _ in range(5):
            params = {"q": "zed", "limit": 3, **({"cursor": cursor} if cursor else {})}
            body = client.get(api(pf, "/people/suggestions"), params=params, headers=pf.headers()).json()
            assert len(body["items"]) <= 3, body
            seen += [m["user"]["email"] for m in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == names and cursor is None  # by name, each once


__all__ = ["PASSWORD"]


class TestInvitationRevoked:
    def test_a_revoked_invitee_leaves_the_workspace_and_is_invited_afresh(self, client, db, worker):
        """The tester: after Revoke in User Management, bruno stayed in the Members panel, Not
        Joined, with a Resend that refused ("…was withdrawn"), the Invite box said "already
        invited to this workspace", and actions were still offered to him. Revoked means he is
        not coming: out of the workspace (his action there is for no one), typed again he is
        new, and adding him again invites him afresh, the new link landing him here."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, kind="flow", roles=["Signer"])
        add(client, pf, ws["id"], recipients=["nora@home.net"])
        nora = members(client, pf, ws["id"])["items"][0]["user"]["id"]
        action = client.post(
            api(pf, f"/workspaces/{ws['id']}/actions"),
            json={"title": "Sign", "assignee_id": nora},
            headers=pf.headers(),
        )
        assert action.status_code == 201, action.text
        invitation = client.get(api(pf, "/invitations"), headers=pf.headers()).json()["items"][0]
        r = client.post(api(pf, f"/invitations/{invitation['id']}/revoke"), headers=pf.headers())
        assert r.status_code == 200 and r.json()["status"] == "revoked", r.text

        assert status_of(client, pf, ws["id"]) == {}
        r = client.post(api(pf, f"/workspaces/{ws['id']}/members/{nora}/resend"), headers=pf.headers())
        assert r.status_code == 404 and r.json()["code"] == "member_not_found", r.text
        actions = client.get(api(pf, f"/workspaces/{ws['id']}/actions"), headers=pf.headers()).json()
        assert [a["assignee_id"] for a in actions["items"]] == [None]
        again = client.post(
            api(pf, f"/workspaces/{ws['id']}/actions"),
            json={"title": "Sign again", "assignee_id": nora},
            headers=pf.headers(),
        )
        assert again.status_code == 422, again.text
        checked = client.post(
            api(pf, "/recipients/check"),
            json={"text": "nora@home.net", "workspace_id": ws["id"]},
            headers=pf.headers(),
        ).json()["items"]
        assert [(c["address"], c["skip"]) for c in checked] == [("nora@home.net", None)]
        events = client.get(api(pf, "/audit-events"), headers=pf.headers()).json()["items"]
        removed = [e for e in events if e["action"] == "workspace.member_removed"]
        assert [e["detail"].get("because") for e in removed] == ["invitation_revoked"]

        again = add(client, pf, ws["id"], recipients=["nora@home.net"]).json()["results"][0]
        assert again["outcome"] == "invited", again
        assert status_of(client, pf, ws["id"])["nora@home.net"] == "not_joined"
        worker.drain()
        client.cookies.clear()
        accept(client, messages_to(db, "nora@home.net")[-1].text)
        assert status_of(client, pf, ws["id"]) == {"nora@home.net": "joined"}

    def test_revoking_a_lapsed_invitation_keeps_them_while_a_newer_one_stands(self, client, db, worker):
        """Revoking an expired invitation someone was invited past (a newer one stands) takes no
        one out: they are still coming."""
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], recipients=["nora@home.net"])
        old = client.get(api(pf, "/invitations"), headers=pf.headers()).json()["items"][0]
        with db.context.clock.travel(timedelta(days=40)):
            again = add(client, pf, ws["id"], recipients=["nora@home.net"]).json()["results"][0]
            assert again["outcome"] == "invited", again
            assert again["invitation"]["id"] != old["id"]
            r = client.post(api(pf, f"/invitations/{old['id']}/revoke"), headers=pf.headers())
            assert r.status_code == 200, r.text
            assert status_of(client, pf, ws["id"]) == {"nora@home.net": "not_joined"}


class TestReviewFindings:
    def test_another_portals_name_for_a_person_is_never_shown(self, client, db, worker):
        """Users are shared between portals: portal B adding Alice (who joined portal A under her
        own name) sees only what B typed, in contacts, workspaces, groups and roles."""
        a = create_portal(db)
        joined(db, worker, client, a, "alice@private.org", user_type="client")  # her name: "alice"
        b = create_portal(db, name="Other Co", owner_email="boss@other.com")
        contact = client.post(
            api(b, "/contacts"),
            json={"recipient": "alice@private.org", "then": "quietly"},
            headers=b.headers(),
        ).json()
        assert contact["contact"]["user"]["name"] == ""
        listed = client.get(api(b, "/contacts"), headers=b.headers()).json()["items"]
        assert [c["user"]["name"] for c in listed] == [""]
        ws = create_workspace(client, b, "B's", kind="flow", roles=["Signer"])
        add(client, b, ws["id"], recipients=["Al <alice@private.org>"])
        panel = members(client, b, ws["id"])["items"]
        assert [m["user"]["name"] for m in panel] == ["Al"]  # the name B gave in its invitation
        detail = client.get(api(b, f"/workspaces/{ws['id']}"), headers=b.headers()).json()
        assert detail["name"] == "B's" and "members" not in detail  # the panel is paged: …/members
        group = client.post(
            api(b, "/client-groups"),
            json={"name": "G", "recipients": ["alice@private.org"]},
            headers=b.headers(),
        ).json()
        assert [u["name"] for u in group["team"]["members"]] == ["Al"]
        in_a = client.get(api(a, "/people/suggestions"), params={"q": "alice"}, headers=a.headers())
        assert in_a.json()["items"][0]["user"]["name"] == "alice"  # her own portal shows her own name

    def test_member_cannot_renew_an_internal_invitation_through_a_workspace(self, client, db, worker):
        pf = create_portal(db)
        client.post(
            api(pf, "/invitations"),
            json={"recipients": ["boss@acme.com"], "user_type": "internal", "role": "admin"},
            headers=pf.headers(),
        )
        joined(db, worker, client, pf, "mia@acme.com")
        h = session_headers(client, "mia@acme.com")
        ws = create_workspace(client, pf, "Mia's", headers=h)
        r = add(client, pf, ws["id"], headers=h, recipients=["boss@acme.com"])
        result = r.json()["results"][0]
        # On the invitation that stands (nothing sent, so not "invited"), which is not handed out.
        said = (result["outcome"], result["code"], result["invitation"])
        assert said == ("skipped", "already_invited", None), result
        boss = result["user_id"]
        r = client.post(api(pf, f"/workspaces/{ws['id']}/members/{boss}/resend"), headers=h)
        assert r.status_code == 403, r.text
        r = client.post(api(pf, f"/workspaces/{ws['id']}/members/{boss}/resend"), headers=pf.headers())
        assert r.status_code == 200, r.text

    def test_a_role_goes_to_one_person(self, client, db, worker):
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Signer"])
        role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign"),
            json={"recipient": "a@x.org, b@y.org"},
            headers=pf.headers(),
        )
        assert r.status_code == 422 and r.json()["field"] == "recipient", r.text
        assert status_of(client, pf, ws["id"]) == {}


class TestGroupIntoWorkspace:
    def test_uninvited_group_is_invited_when_added_and_the_email_names_the_workspace(
        self, client, db, worker
    ):
        pf = create_portal(db)
        r = client.post(
            api(pf, "/client-groups"),
            json={"name": "Smiths", "recipients": ["a@smith.net", "b@smith.net"], "invite": False},
            headers=pf.headers(),
        )
        assert {x["outcome"] for x in r.json()["results"]} == {"added"}, r.text
        worker.drain()
        assert mail_count(db, "a@smith.net") == 0
        ws = create_workspace(client, pf, "Smith Mortgage")
        r = add(client, pf, ws["id"], group_ids=[r.json()["team"]["id"]])
        assert r.json()["counts"]["invited"] == 2, r.text
        panel = members(client, pf, ws["id"])
        assert {m["via_group"]["name"] for m in panel["items"]} == {"Smiths"}
        worker.drain()
        mail = messages_to(db, "a@smith.net")
        assert len(mail) == 1 and "Smith Mortgage" in mail[0].text

    def test_a_group_whose_people_were_all_here_already_has_its_row(self, client, db, worker):
        """A client group whose people were all in the workspace before it was added is recorded
        as added: its row shows (it had none, as nobody came "via" it), and stays after a reload."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Smith Mortgage")
        add(client, pf, ws["id"], recipients=["a@smith.net", "b@smith.net"])
        r = client.post(
            api(pf, "/client-groups"),
            json={"name": "Smiths", "recipients": ["a@smith.net", "b@smith.net"]},
            headers=pf.headers(),
        )
        assert r.status_code == 201, r.text
        r = add(client, pf, ws["id"], group_ids=[r.json()["team"]["id"]])
        assert {x["code"] for x in r.json()["results"]} == {"already_in_workspace"}, r.text
        rows = [
            (t["team"]["name"], t["not_joined"], t["status"]) for t in members(client, pf, ws["id"])["teams"]
        ]
        assert rows == [("Smiths", 2, "not_joined")]


class TestGroupTakesClients:
    """A client group holds clients, as a team holds internal users: the one rule
    (``teams.service.wrong_type``), when people are put in it and when it goes into a workspace."""

    def test_a_pending_internal_invitee_is_refused_by_a_client_group(self, client, db):
        pf = create_portal(db)
        invite(db, pf, ["Amy Adams <amy@lovelace.dev>"], user_type="internal")
        for invite_now in (True, False):
            r = client.post(
                api(pf, "/client-groups"),
                json={"name": f"L {invite_now}", "recipients": ["amy@lovelace.dev"], "invite": invite_now},
                headers=pf.headers(),
            )
            said = [(x["recipient"], x["outcome"], x["code"], x["detail"]) for x in r.json()["results"]]
            assert said == [
                (
                    "amy@lovelace.dev",
                    "skipped",
                    "wrong_user_type",
                    "Amy Adams is invited as an internal user; client groups hold clients (use a team).",
                )
            ], r.text
            assert r.json()["team"]["members"] == []

    def test_a_group_person_invited_internal_since_is_not_put_in_the_workspace(self, client, db, worker):
        """In the group before their internal invitation: adding the group to a workspace skips
        them (``wrong_user_type``) and says nothing of "invited"."""
        pf = create_portal(db)
        r = client.post(
            api(pf, "/client-groups"),
            json={"name": "Lovelace", "recipients": ["amy@lovelace.dev", "g1@lovelace.dev"], "invite": False},
            headers=pf.headers(),
        )
        group = r.json()["team"]["id"]
        invite(db, pf, ["amy@lovelace.dev"], user_type="internal")
        ws = create_workspace(client, pf, "Q3 Audit")
        r = add(client, pf, ws["id"], group_ids=[group])
        said = [(x["recipient"], x["outcome"], x["code"]) for x in r.json()["results"]]
        assert said == [
            ("Lovelace: amy@lovelace.dev", "skipped", "wrong_user_type"),
            ("g1@lovelace.dev", "invited", None),
        ], r.text
        assert status_of(client, pf, ws["id"]) == {"g1@lovelace.dev": "not_joined"}


class TestActions:
    def test_action_for_a_role_tells_its_holder_and_due_dates_are_not_in_the_past(self, client, db, worker):
        pf = create_portal(db)
        joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Client signer"])
        role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
        cleo = members(client, pf, ws["id"])  # empty: made by an API key
        assert cleo["items"] == []
        client.post(
            api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign"),
            json={"recipient": "cleo@client.org"},
            headers=pf.headers(),
        )
        worker.drain()
        before = mail_count(db, "cleo@client.org")
        due = datetime.now(UTC).date() + timedelta(days=400)  # a year and more ahead
        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/actions"),
            json={"title": "Sign the letter", "role_id": role["id"], "due_on": due.isoformat()},
            headers=pf.headers(),
        )
        assert r.status_code == 201, r.text
        worker.drain()
        assert mail_count(db, "cleo@client.org") == before + 1
        mail = messages_to(db, "cleo@client.org")[-1]
        assert (
            "Sign the letter" in mail.subject and day_text(due) in mail.text and "Client signer" in mail.text
        )
        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/actions"),
            json={"title": "Too late", "due_on": "2001-01-01"},
            headers=pf.headers(),
        )
        assert r.status_code == 422 and r.json()["field"] == "due_on", r.text
        # A year mistyped far ahead is refused too (the fifth tester: 9999-12-31 was taken).
        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/actions"),
            json={"title": "Too far", "due_on": "9999-12-31"},
            headers=pf.headers(),
        )
        assert (r.status_code, r.json()["field"]) == (422, "due_on"), r.text
        assert (
            r.json()["detail"]
            == "The due date is more than 10 years ahead (31 December 9999): check the year."
        )
        # Every fault at once, in the form's order, and nothing added; the limits are the
        # service's, in its words (a blank title is not pydantic's "at least 1 character").
        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/actions"),
            json={"title": "", "role_id": role["id"], "assignee_id": role["id"], "due_on": "2001-01-01",
                  "description": "d" * 5001},
            headers=pf.headers(),
        )  # fmt: skip
        assert r.status_code == 422, r.text
        assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [
            ("title", "The action needs a title."),
            ("assignee_id", "Assign the action to a role or to a person, not both."),
            ("due_on", r.json()["errors"][2]["message"]),
            ("description", "At most 5,000 characters; this one has 5,001."),
        ]
        assert r.json()["errors"][2]["message"].startswith("The due date is in the past")
        listed = client.get(api(pf, f"/workspaces/{ws['id']}/actions"), headers=pf.headers()).json()
        assert [a["title"] for a in listed["items"]] == ["Sign the letter"]


class TestResendMany:
    def test_resend_all_expired_goes_through_one_resend_each(self, client, db, worker, rate_limits):
        """POST …/invitations/resend {"state": "expired"}: each person whose invitation lapsed gets
        one new link (through one Resend's path, the workspace named), nobody else; one result
        each and the counts; a person sent a message a moment ago is skipped, said why."""
        from admit.kit import clock

        pf = create_portal(db)
        ws = create_workspace(client, pf, "Estate")
        add(client, pf, ws["id"], recipients=["a@x.org", "b@x.org", "c@x.org"])
        worker.drain()
        with clock.travel(timedelta(days=30)):
            add(client, pf, ws["id"], recipients=["d@x.org"])  # invited now: not expired
            worker.drain()
            c = user_id_of_member(client, pf, ws["id"], "c@x.org")
            one = client.post(api(pf, f"/workspaces/{ws['id']}/members/{c}/resend"), headers=pf.headers())
            assert one.status_code == 200, one.text
            # c's lapsed too, but was just sent a new one: invited, not expired.
            r = client.post(
                api(pf, f"/workspaces/{ws['id']}/invitations/resend"),
                json={"state": "expired"},
                headers=pf.headers(),
            )
            worker.drain()
        assert r.status_code == 200 and r.json()["counts"] == {"resent": 2, "skipped": 0}, r.text
        assert [(x["recipient"], x["outcome"]) for x in r.json()["results"]] == [
            ("a@x.org", "resent"),
            ("b@x.org", "resent"),
        ]
        assert [mail_count(db, e) for e in ("a@x.org", "b@x.org", "c@x.org", "d@x.org")] == [2, 2, 2, 1]
        assert "Estate" in messages_to(db, "a@x.org")[-1].text

    def test_resend_selected_names_who_was_skipped_and_why(self, client, db, worker, rate_limits):
        """{"user_ids": [...]}: the Not Joined ones picked are resent; one who joined, one sent a
        message a moment ago and an id not in the workspace are skipped, each with its code."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Estate")
        add(client, pf, ws["id"], recipients=["a@x.org", "b@x.org"])
        worker.drain()
        me = members(client, pf, ws["id"])["items"]
        ids = {m["user"]["email"]: m["user"]["id"] for m in me}
        from admit.kit import clock

        with clock.travel(timedelta(minutes=5)):
            client.post(
                api(pf, f"/workspaces/{ws['id']}/members/{ids['b@x.org']}/resend"), headers=pf.headers()
            )
            owner = user_id_of(client, pf, pf.owner_email)
            r = client.post(
                api(pf, f"/workspaces/{ws['id']}/invitations/resend"),
                json={"user_ids": [ids["a@x.org"], ids["b@x.org"], owner]},
                headers=pf.headers(),
            )
        assert r.status_code == 200, r.text
        said = [(x["recipient"], x["outcome"], x["code"]) for x in r.json()["results"]]
        assert said == [
            ("a@x.org", "resent", None),
            ("b@x.org", "skipped", "recipient_rate_limited"),
            (owner, "skipped", "not_found"),
        ], said
        r = client.post(api(pf, f"/workspaces/{ws['id']}/invitations/resend"), json={}, headers=pf.headers())
        assert r.status_code == 422 and r.json()["field"] == "user_ids", r.text
        r = client.post(
            api(pf, f"/workspaces/{ws['id']}/invitations/resend"),
            json={"state": "joined"},
            headers=pf.headers(),
        )
        assert r.status_code == 422, r.text


class TestSendingLimit:
    def test_group_resend_is_all_or_nothing_under_the_portals_limit(
        self, client, db, worker, change_settings, rate_limits
    ):
        """Resend on a group's row charges the portal's sending limit once for everyone: over the
        limit, nobody gets a message and nothing is renewed (429, rate_limited)."""
        pf = create_portal(db)
        r = client.post(
            api(pf, "/client-groups"),
            json={"name": "Big", "recipients": [f"p{i}@big.org" for i in range(5)], "invite": False},
            headers=pf.headers(),
        )
        group = r.json()["team"]["id"]
        ws = create_workspace(client, pf)
        assert add(client, pf, ws["id"], group_ids=[group]).json()["counts"]["invited"] == 5
        worker.drain()
        change_settings(invite_rate_limit="3/hour")
        r = client.post(api(pf, f"/workspaces/{ws['id']}/groups/{group}/resend"), headers=pf.headers())
        assert r.status_code == 429 and r.json()["code"] == "rate_limited", r.text
        worker.drain()
        assert [mail_count(db, f"p{i}@big.org") for i in range(5)] == [1] * 5


class TestRemove:
    def test_remove_ends_roles_keeps_history_and_is_audited(self, client, db, worker):
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer"])
        role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
        client.post(
            api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign"),
            json={"user_id": ivy.user_id},
            headers=pf.headers(),
        )
        r = client.delete(api(pf, f"/workspaces/{ws['id']}/members/{ivy.user_id}"), headers=pf.headers())
        assert r.status_code == 204, r.text
        assert status_of(client, pf, ws["id"]) == {}
        role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
        held = client.get(api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/history"), headers=pf.headers())
        assert role["assignee"] is None and role["assigned_at"] is None
        assert held.json()["items"][0]["ended_at"] is not None
        events = client.get(api(pf, "/audit-events"), headers=pf.headers()).json()["items"]
        assert any(e["action"] == "workspace.member_removed" for e in events)
        again = client.delete(api(pf, f"/workspaces/{ws['id']}/members/{ivy.user_id}"), headers=pf.headers())
        assert again.status_code == 404 and again.json()["code"] == "member_not_found"
        h = session_headers(client, "ivy@acme.com")
        assert client.get("/api/v1/me/workspaces", headers=h).json()["items"] == []

    def test_an_internal_member_removes_clients_and_members_not_owners_or_admins(self, client, db, worker):
        """An internal member of a workspace takes clients and other internal members out of it,
        and may leave it themselves, but not the portal's owners or admins (403 with the reason,
        nothing removed); an owner's admin key removes anyone."""
        pf = create_portal(db)
        mel = joined(db, worker, client, pf, "mel@acme.com")
        ada = joined(db, worker, client, pf, "ada@acme.com", role="admin")
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        cleo = joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        owner = user_id_of(client, pf, pf.owner_email)
        ws = create_workspace(client, pf, "Loan")
        everyone = [mel.user_id, ada.user_id, ivy.user_id, cleo.user_id, owner]
        assert add(client, pf, ws["id"], user_ids=everyone).json()["counts"]["added"] == 5
        h = session_headers(client, "mel@acme.com")
        for refused in (owner, ada.user_id):
            r = client.delete(api(pf, f"/workspaces/{ws['id']}/members/{refused}"), headers=h)
            assert r.status_code == 403 and r.json()["code"] == "permission_denied", r.text
            assert "Only owners and admins can remove" in r.json()["detail"], r.text
        for allowed in (cleo.user_id, ivy.user_id, mel.user_id):
            r = client.delete(api(pf, f"/workspaces/{ws['id']}/members/{allowed}"), headers=h)
            assert r.status_code == 204, r.text
        assert set(status_of(client, pf, ws["id"])) == {pf.owner_email, "ada@acme.com"}
        r = client.delete(api(pf, f"/workspaces/{ws['id']}/members/{owner}"), headers=pf.headers())
        assert r.status_code == 204, r.text

    def test_an_invited_admin_counts_as_an_admin(self, client, db, worker):
        """Someone invited to the portal as an admin, Not Joined in the workspace, is an admin to
        an internal member: no Remove on the panel, 403 from the API (it let her remove them, as
        having no role); an invited client she still removes; an owner removes the invited admin."""
        pf = create_portal(db)
        mel = joined(db, worker, client, pf, "mel@acme.com")
        invite(db, pf, ["ada@acme.com"], role="admin")
        ws = create_workspace(client, pf, "Loan")
        add(client, pf, ws["id"], user_ids=[mel.user_id])
        add(client, pf, ws["id"], recipients=["ada@acme.com", "cleo@client.org"])
        ada, cleo = (user_id_of_member(client, pf, ws["id"], e) for e in ("ada@acme.com", "cleo@client.org"))
        h = session_headers(client, "mel@acme.com")
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        assert 'aria-label="Remove cleo@client.org"' in page.text
        assert 'aria-label="Remove ada@acme.com"' not in page.text
        r = client.delete(api(pf, f"/workspaces/{ws['id']}/members/{ada}"), headers=h)
        assert r.status_code == 403 and "Only owners and admins can remove" in r.json()["detail"], r.text
        r = client.delete(api(pf, f"/workspaces/{ws['id']}/members/{cleo}"), headers=h)
        assert r.status_code == 204, r.text
        r = client.delete(api(pf, f"/workspaces/{ws['id']}/members/{ada}"), headers=pf.headers())
        assert r.status_code == 204, r.text


class TestWhoIsInTheWorkspaceAlready:
    def test_the_check_says_what_invite_says_of_text_that_is_no_address(self, client, db, worker):
        """The Invite panel's Enter on "not-an-email" said nothing. With ``workspace_id``, the
        check's ``detail`` for text that is no address is what Invite says of it left typed in
        the search box (the panel shows it under the box on Enter); without, nothing more."""
        from admit.flows import workspace_people

        pf = create_portal(db)
        ws = create_workspace(client, pf, "Estate")
        check = api(pf, "/recipients/check")
        body = {"text": "not-an-email", "workspace_id": ws["id"]}
        [item] = client.post(check, json=body, headers=pf.headers()).json()["items"]
        assert item["detail"] == workspace_people.not_picked("not-an-email"), item
        assert item["detail"].startswith("No one was picked for “not-an-email”, and it is not an email")
        assert item["error"] == "An email address must have an @-sign."
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/people",
            data={"csrf_token": csrf_of(page.text), "q": "not-an-email"},
        )
        assert said_under(r.text, "invite-q") == item["detail"]
        [plain] = client.post(check, json={"text": "not-an-email"}, headers=pf.headers()).json()["items"]
        assert plain["detail"] is None

    def test_the_check_and_the_suggestions_know_the_workspace(self, client, db, worker):
        """With ``workspace_id``, recipients/check marks someone already in that workspace
        ``already_in_workspace`` (it said ``already_member``: "already invited to the portal" on
        the chip) and people/suggestions says ``in_workspace``; without it, both answer as
        before; a workspace the asker cannot see is 404."""
        pf = create_portal(db)
        ann = joined(db, worker, client, pf, "ann@x.org", user_type="client")
        joined(db, worker, client, pf, "amy@x.org", user_type="client")
        ws = create_workspace(client, pf, "Estate")
        add(client, pf, ws["id"], user_ids=[ann.user_id])
        add(client, pf, ws["id"], recipients=["bob@x.org"])
        check = api(pf, "/recipients/check")
        text = "ann@x.org, bob@x.org, amy@x.org, new@x.org"
        r = client.post(check, json={"text": text, "workspace_id": ws["id"]}, headers=pf.headers())
        assert r.status_code == 200, r.text
        said = [(i["address"], i["skip"], i["detail"]) for i in r.json()["items"]]
        assert said == [
            ("ann@x.org", "already_in_workspace", "ann@x.org is already in this workspace."),
            (
                "bob@x.org",
                "already_in_workspace",
                "bob@x.org is already invited to this workspace; use Resend Invitation.",
            ),
            ("amy@x.org", "already_member", "This person is already in the portal."),
            ("new@x.org", None, None),
        ], said
        plain = client.post(check, json={"text": text}, headers=pf.headers()).json()["items"]
        assert [i["skip"] for i in plain] == ["already_member", "already_invited", "already_member", None]
        suggest = api(pf, "/people/suggestions")
        found = client.get(suggest, params={"q": "x.org", "workspace_id": ws["id"]}, headers=pf.headers())
        assert found.status_code == 200, found.text
        assert {m["user"]["email"]: m["in_workspace"] for m in found.json()["items"]} == {
            "ann@x.org": True,
            "amy@x.org": False,
        }
        plain = client.get(suggest, params={"q": "x.org"}, headers=pf.headers()).json()["items"]
        assert [m["in_workspace"] for m in plain] == [None, None]
        # Mel, an internal member who is not in the workspace, learns nothing of who is.
        joined(db, worker, client, pf, "mel@acme.com")
        mel = session_headers(client, "mel@acme.com")
        refused = client.post(check, json={"text": "ann@x.org", "workspace_id": ws["id"]}, headers=mel)
        assert refused.status_code == 404, refused.text
        refused = client.get(suggest, params={"q": "ann", "workspace_id": ws["id"]}, headers=mel)
        assert refused.status_code == 404, refused.text


class TestPaging:
    def test_a_workspaces_people_and_the_timeline_come_a_page_at_a_time(self, client, db, worker):
        """Five people, pages of two: every person once, in the order added, and the last page
        says there is no next; the timeline pages the same way, newest first."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Big")
        emails = [f"p{i}@client.org" for i in range(5)]
        for email in emails:  # one by one: the order they were added is the order listed
            assert add(client, pf, ws["id"], recipients=[email]).status_code == 201
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            r = client.get(api(pf, f"/workspaces/{ws['id']}/members"), params=params, headers=pf.headers())
            assert r.status_code == 200, r.text
            body = r.json()
            assert len(body["items"]) <= 2
            seen += [m["user"]["email"] for m in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert pages == 3 and seen == emails
        bad = client.get(
            api(pf, f"/workspaces/{ws['id']}/members"), params={"limit": 0}, headers=pf.headers()
        )
        assert bad.status_code == 422 and bad.json()["field"] == "limit"

        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        names = ["W1", "W2", "W3"]
        for name in names:
            other = create_workspace(client, pf, name)
            add(client, pf, other["id"], user_ids=[ivy.user_id])
        h = session_headers(client, "ivy@acme.com")
        first = client.get("/api/v1/me/workspaces", params={"limit": 2}, headers=h).json()
        second = client.get(
            "/api/v1/me/workspaces", params={"limit": 2, "cursor": first["next_cursor"]}, headers=h
        ).json()
        assert [w["name"] for w in first["items"] + second["items"]] == ["W3", "W2", "W1"]
        assert second["next_cursor"] is None
