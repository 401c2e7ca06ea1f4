"""A team's and a client group's people: seen with where each stands in the portal, taken out
one by one (API and the Contacts page), added to an existing one on the page; teams take people
invited to the portal as internal users and not joined yet. Both backends."""

from __future__ import annotations

import html

from admit.teams.models import CLIENT_GROUP, TEAM
from tests.factories import OWNER_PASSWORD, csrf_of, invite, last_link, sign_in_page
from tests.workspaces.helpers import (
    PASSWORD,
    add,
    api,
    create_portal,
    create_workspace,
    joined,
    mail_count,
    members,
    session_headers,
    status_of,
)

PATHS = {TEAM: "/teams", CLIENT_GROUP: "/client-groups"}


def make(client, pf, kind: str, name: str, headers=None, **body) -> dict:
    r = client.post(api(pf, PATHS[kind]), json={"name": name, **body}, headers=headers or pf.headers())
    assert r.status_code == 201, r.text
    return r.json()


def listed(client, pf, kind: str, name: str) -> dict:
    r = client.get(api(pf, PATHS[kind]), headers=pf.headers())
    assert r.status_code == 200, r.text
    return next(t for t in r.json()["items"] if t["name"] == name)


def people(client, pf, kind: str, name: str) -> dict[str, str]:
    """``{address: status}`` of the team's people, as the API lists them."""
    return {m["email"] or m["phone"]: m["status"] for m in listed(client, pf, kind, name)["members"]}


def remove(client, pf, kind: str, team_id: str, user_id: str, headers=None):
    path = api(pf, f"{PATHS[kind]}/{team_id}/members/{user_id}")
    return client.delete(path, headers=headers or pf.headers())


def audit(client, pf) -> list[dict]:
    r = client.get(api(pf, "/audit-events"), params={"category": "workspaces"}, headers=pf.headers())
    assert r.status_code == 200, r.text
    return r.json()["items"]


class TestGetOne:
    def test_a_team_and_a_group_are_read_by_id_as_the_list_shows_them(self, client, db, worker):
        """``GET …/teams/{id}`` and ``…/client-groups/{id}`` (405 before, where every other
        thing is read by its id): the list's item; 404 ``team_not_found`` through the other
        kind's path, and for an id that is none."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        team = make(client, pf, TEAM, "Tax", user_ids=[ivy.user_id])["team"]
        group = make(client, pf, CLIENT_GROUP, "Smiths", recipients=["Ann Lee <ann@example.net>"])["team"]
        for kind, made, other in ((TEAM, team, CLIENT_GROUP), (CLIENT_GROUP, group, TEAM)):
            r = client.get(api(pf, f"{PATHS[kind]}/{made['id']}"), headers=pf.headers())
            assert r.status_code == 200, r.text
            assert r.json() == listed(client, pf, kind, made["name"])
            wrong = client.get(api(pf, f"{PATHS[other]}/{made['id']}"), headers=pf.headers())
            assert (wrong.status_code, wrong.json()["code"]) == (404, "team_not_found"), wrong.text
        none = client.get(api(pf, f"/teams/{'0' * 8}-0000-4000-8000-{'0' * 12}"), headers=pf.headers())
        assert (none.status_code, none.json()["code"]) == (404, "team_not_found")


class TestRemoveFromATeam:
    def test_remove_one_person_from_a_team_and_from_a_group(self, client, db, worker):
        """DELETE …/members/{user_id}: 204, they are out of the list, the log names them; the
        same again (or someone never in it) is 404 ``member_not_found``; a team through the
        groups path, or an unknown team, 404 ``team_not_found``."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        mel = joined(db, worker, client, pf, "mel@acme.com")
        cleo = joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        team = make(client, pf, TEAM, "Tax", user_ids=[ivy.user_id, mel.user_id])["team"]
        group = make(client, pf, CLIENT_GROUP, "Smiths", user_ids=[cleo.user_id])["team"]

        assert remove(client, pf, TEAM, team["id"], ivy.user_id).status_code == 204
        assert people(client, pf, TEAM, "Tax") == {"mel@acme.com": "joined"}
        assert remove(client, pf, CLIENT_GROUP, group["id"], cleo.user_id).status_code == 204
        assert people(client, pf, CLIENT_GROUP, "Smiths") == {}

        events = [e for e in audit(client, pf) if e["action"].endswith(".members_removed")]
        assert [e["summary"].split(") ", 1)[1] for e in events] == [
            "removed cleo@client.org from the client group Smiths",
            "removed ivy@acme.com from the team Tax",
        ], events
        for r in (
            remove(client, pf, TEAM, team["id"], ivy.user_id),
            remove(client, pf, TEAM, team["id"], cleo.user_id),
        ):
            assert (r.status_code, r.json()["code"]) == (404, "member_not_found"), r.text
            assert r.json()["detail"] == "No such person in this team."
        for r in (
            remove(client, pf, CLIENT_GROUP, team["id"], mel.user_id),
            remove(client, pf, TEAM, group["id"], mel.user_id),
        ):
            assert (r.status_code, r.json()["code"]) == (404, "team_not_found"), r.text
        assert people(client, pf, TEAM, "Tax") == {"mel@acme.com": "joined"}
        # Put back, the log names whom too (it said "added people to the team Tax").
        back = client.post(
            api(pf, f"/teams/{team['id']}/members"), json={"user_ids": [ivy.user_id]}, headers=pf.headers()
        )
        assert back.status_code == 201, back.text
        added = [e for e in audit(client, pf) if e["action"] == "team.members_added"]
        assert added[0]["summary"].split(") ", 1)[1] == "added ivy@acme.com to the team Tax", added

    def test_who_may_take_people_out(self, client, db, worker):
        """As for adding: a team's people owners and admins (a member 403), a group's any
        internal user; a client neither."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        joined(db, worker, client, pf, "mel@acme.com")
        cleo = joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        team = make(client, pf, TEAM, "Tax", user_ids=[ivy.user_id])["team"]
        group = make(client, pf, CLIENT_GROUP, "Smiths", user_ids=[cleo.user_id])["team"]
        h = session_headers(client, "cleo@client.org")
        assert remove(client, pf, TEAM, team["id"], ivy.user_id, headers=h).status_code == 403
        assert remove(client, pf, CLIENT_GROUP, group["id"], cleo.user_id, headers=h).status_code == 403
        h = session_headers(client, "mel@acme.com")
        r = remove(client, pf, TEAM, team["id"], ivy.user_id, headers=h)
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied"), r.text
        assert remove(client, pf, CLIENT_GROUP, group["id"], cleo.user_id, headers=h).status_code == 204
        assert people(client, pf, TEAM, "Tax") == {"ivy@acme.com": "joined"}

    def test_out_of_the_team_they_keep_the_workspaces_it_brought_them_to(self, client, db, worker):
        """Taken out of a team, someone keeps every workspace they are in, joined or not (their
        invitation stands), even one the team brought them to: they are in it on their own now
        (no "via Tax"), and the team's row there counts, and resends to, only its people."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        mel = joined(db, worker, client, pf, "mel@acme.com")
        invite(db, pf, ["amy@acme.com"], user_type="internal")
        team = make(client, pf, TEAM, "Tax", user_ids=[ivy.user_id, mel.user_id], recipients=["amy@acme.com"])
        amy = next(r["user_id"] for r in team["results"] if r["recipient"] == "amy@acme.com")
        team = team["team"]
        ws = create_workspace(client, pf, "Q3 Audit")
        assert add(client, pf, ws["id"], team_ids=[team["id"]]).status_code == 201
        for user_id in (ivy.user_id, amy):
            assert remove(client, pf, TEAM, team["id"], user_id).status_code == 204
        assert status_of(client, pf, ws["id"]) == {
            "ivy@acme.com": "joined",
            "mel@acme.com": "joined",
            "amy@acme.com": "not_joined",
        }
        panel = members(client, pf, ws["id"])
        via = {m["user"]["email"]: (m["via_team"] or {}).get("name") for m in panel["items"]}
        assert via == {"ivy@acme.com": None, "mel@acme.com": "Tax", "amy@acme.com": None}
        assert [(t["team"]["name"], t["joined"], t["not_joined"]) for t in panel["teams"]] == [("Tax", 1, 0)]
        r = client.post(api(pf, f"/workspaces/{ws['id']}/teams/{team['id']}/resend"), headers=pf.headers())
        assert [x["recipient"] for x in r.json()["results"]] == ["mel@acme.com"], r.text
        # Amy's invitation stands: she joins the portal and the workspace as she was invited.
        r = client.post(api(pf, f"/workspaces/{ws['id']}/members/{amy}/resend"), headers=pf.headers())
        assert r.status_code == 200, r.text


class TestTeamsTakeInternalInvitees:
    def test_a_team_takes_someone_invited_and_not_joined_yet(self, client, db, worker):
        """Invited as an internal user and not joined: put in the team (``added``, "Invited,
        not joined yet.", with their invitation) and listed as ``invited``; when they accept they
        are simply in it, ``joined``. A new address is still refused (teams invite no one), and
        someone invited as a client too (``wrong_user_type``)."""
        pf = create_portal(db)
        invite(db, pf, ["Amy Adams <amy@acme.com>"], user_type="internal")
        invite(db, pf, ["bo@client.org"], user_type="client")
        r = client.post(
            api(pf, "/teams"),
            json={"name": "Tax", "recipients": ["amy@acme.com", "x@nowhere.org", "bo@client.org"]},
            headers=pf.headers(),
        )
        assert r.status_code == 201, r.text
        said = [(x["recipient"], x["outcome"], x["code"], x["detail"]) for x in r.json()["results"]]
        assert said == [
            ("amy@acme.com", "added", None, "Invited to the portal, not joined yet."),
            (
                "x@nowhere.org",
                "skipped",
                "not_found",
                "Not in the portal and not invited to it: teams invite no one. Invite them first "
                "(User Management), then add them.",
            ),
            (
                "bo@client.org",
                "skipped",
                "wrong_user_type",
                "bo@client.org is invited as a client; teams hold internal users (use a client group).",
            ),
        ], r.text
        assert r.json()["results"][0]["invitation"]["recipient"] == "amy@acme.com"
        assert r.json()["counts"] == {"invited": 0, "added": 1, "skipped": 2}
        assert people(client, pf, TEAM, "Tax") == {"amy@acme.com": "invited"}
        worker.drain()
        from admit.flows import join

        with db.unit_of_work() as session:
            join.accept(session, token=last_link(db, "amy@acme.com"), name="Amy", password=PASSWORD)
        assert people(client, pf, TEAM, "Tax") == {"amy@acme.com": "joined"}
        # Added by the page's form on the team's row too (by address, as on the API).
        invite(db, pf, ["dee@acme.com"], user_type="internal")
        team = listed(client, pf, TEAM, "Tax")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/contacts")
        r = client.post(
            f"/p/{pf.slug}/teams/{team['id']}/members",
            data={"csrf_token": csrf_of(page.text), "recipients": "dee@acme.com"},
        )
        assert "Team “Tax”: 1 added." in html.unescape(r.text), r.text
        assert people(client, pf, TEAM, "Tax") == {"amy@acme.com": "joined", "dee@acme.com": "invited"}

    def test_a_lapsed_invitation_is_expired_in_a_team_and_not_taken(self, client, db, worker):
        """Past its expiry (swept or not yet), an invitation no longer stands: its person reads
        ``expired`` in the team (the Members panel's Expired, one rule), and a team does not take
        someone whose invitation lapsed (``not_found``), where both read it as still pending."""
        from datetime import timedelta

        from admit.kit import clock

        pf = create_portal(db)
        invite(db, pf, ["amy@acme.com", "ben@acme.com"], user_type="internal")
        assert make(client, pf, TEAM, "Tax", recipients=["amy@acme.com"])["counts"]["added"] == 1
        with clock.travel(timedelta(days=30)):
            assert people(client, pf, TEAM, "Tax") == {"amy@acme.com": "expired"}
            team = listed(client, pf, TEAM, "Tax")
            r = client.post(
                api(pf, f"/teams/{team['id']}/members"),
                json={"recipients": ["ben@acme.com"]},
                headers=pf.headers(),
            )
            assert [(x["recipient"], x["code"]) for x in r.json()["results"]] == [
                ("ben@acme.com", "not_found")
            ]

    def test_a_client_already_invited_is_added_to_a_group_not_invited_again(self, client, db, worker):
        """A client group given someone with a pending invitation puts them in as they are:
        ``added`` ("Invited to the portal, not joined yet."), nothing sent; it said ``invited`` and
        the page "1 invited" though no email went (the tester)."""
        pf = create_portal(db)
        invite(db, pf, ["dan@client.org"], user_type="client")
        worker.drain()
        group = make(client, pf, CLIENT_GROUP, "Smiths", recipients=["dan@client.org", "eve@client.org"])
        worker.drain()
        said = [(x["recipient"], x["outcome"], x["detail"]) for x in group["results"]]
        assert said == [
            ("dan@client.org", "added", "Invited to the portal, not joined yet."),
            ("eve@client.org", "invited", ""),
        ], said
        assert group["counts"] == {"invited": 1, "added": 1, "skipped": 0}
        assert mail_count(db, "dan@client.org") == 1  # the first invitation only
        # Each result carries its invitation, the one made and the one that stands (as a team's
        # does): both had been null.
        standing = client.get(api(pf, "/invitations"), headers=pf.headers()).json()["items"]
        by_address = {i["recipient"]: i["id"] for i in standing}
        assert [(x["invitation"] or {}).get("id") for x in group["results"]] == [
            by_address["dan@client.org"],
            by_address["eve@client.org"],
        ]
        r = client.post(
            api(pf, f"/client-groups/{group['team']['id']}/members"),
            json={"recipients": ["Ann Lee <ann@example.net>"]},
            headers=pf.headers(),
        )
        [ann] = r.json()["results"]
        assert ann["outcome"] == "invited" and ann["invitation"]["recipient"] == "ann@example.net", ann

    def test_a_groups_typed_names_reach_a_later_workspaces_invitations(self, client, db, worker):
        """Made with ``invite: false`` and "Ann Lee <ann@…>", the group keeps the name: its panel
        shows it, and added to a workspace in a later request, Ann's invitation carries it (it
        went out nameless: the name lived only in the request that made the group)."""
        from tests.workspaces.helpers import messages_to

        pf = create_portal(db)
        group = make(client, pf, CLIENT_GROUP, "Lees", recipients=["Ann Lee <ann@lee.org>"], invite=False)
        assert group["team"]["members"][0]["name"] == "Ann Lee", group
        ws = create_workspace(client, pf, "Estate")
        r = add(client, pf, ws["id"], group_ids=[group["team"]["id"]])
        assert r.status_code == 201, r.text
        assert r.json()["results"][0]["invitation"]["recipient_name"] == "Ann Lee", r.text
        worker.drain()
        assert "Ann Lee" in messages_to(db, "ann@lee.org")[-1].text


class TestTeamPeopleOnTheContactsPage:
    def test_see_add_and_remove_a_groups_people(self, client, db, worker):
        """Each team's and group's row opens its people: name, address, Joined / Invited / Not
        invited; Remove asks first (naming what they keep) and posts with the CSRF token; Add
        people puts more in and says what happened to each."""
        pf = create_portal(db)
        cleo = joined(db, worker, client, pf, "cleo@client.org", user_type="client")
        r = client.post(
            api(pf, "/client-groups"),
            json={"name": "Smiths", "recipients": ["Ann Smith <ann@smith.net>"], "invite": False},
            headers=pf.headers(),
        )
        group = r.json()["team"]
        make(client, pf, CLIENT_GROUP, "Lovelace", recipients=["bo@lovelace.biz"])
        client.post(
            api(pf, f"/client-groups/{group['id']}/members"),
            json={"user_ids": [cleo.user_id]},
            headers=pf.headers(),
        )
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/contacts")
        text = html.unescape(page.text)
        assert 'data-team-people="Smiths"' in text
        for said in (
            "ann@smith.net",
            "Not invited",
            "cleo@client.org",
            "Joined",
            "bo@lovelace.biz",
            "Invited",
        ):
            assert said in text, said
        assert (
            "Remove cleo from the client group “Smiths”? They stay in the portal and in every "
            "workspace they are in, on their own." in text
        )
        cleo_out = f"/p/{pf.slug}/client-groups/{group['id']}/members/{cleo.user_id}/remove"
        assert cleo_out in text
        csrf = csrf_of(page.text)
        assert client.post(cleo_out, data={}).status_code == 403  # no token
        r = client.post(cleo_out, data={"csrf_token": csrf})
        assert "was removed from the client group “Smiths”." in html.unescape(r.text), r.text
        assert set(people(client, pf, CLIENT_GROUP, "Smiths")) == {"ann@smith.net"}
        again = client.post(cleo_out, data={"csrf_token": csrf})
        assert "No such person in this client group." in html.unescape(again.text)
        # All or nothing, as a new group: a typo refuses the form, under its field, as typed.
        r = client.post(
            f"/p/{pf.slug}/client-groups/{group['id']}/members",
            data={"csrf_token": csrf, "recipients": "cleo@client.org, nope"},
        )
        said = html.unescape(r.text)
        assert r.status_code == 422 and "Fix or remove this first: nope:" in said, said
        assert "cleo@client.org, nope</textarea>" in said
        assert set(people(client, pf, CLIENT_GROUP, "Smiths")) == {"ann@smith.net"}
        r = client.post(
            f"/p/{pf.slug}/client-groups/{group['id']}/members",
            data={"csrf_token": csrf, "recipients": "cleo@client.org"},
        )
        assert "Client group “Smiths”: 1 added." in html.unescape(r.text), r.text
        assert set(people(client, pf, CLIENT_GROUP, "Smiths")) == {"ann@smith.net", "cleo@client.org"}
