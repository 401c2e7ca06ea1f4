"""Changing what an open invitation offers (``invitations.service.change_offer``): its role and
products put right without revoking it and inviting again; the API (``PATCH …/invitations/{id}``),
on both backends."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from admit.kit import clock
from admit.notifications import mailbox
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    active_member,
    create_portal,
    csrf_of,
    invite,
    last_link,
    login,
    sign_in_page,
    writes_during,
)


def _patch(client, pf, invitation_id, headers=None, **body):
    return client.patch(
        f"/api/v1/portals/{pf.slug}/invitations/{invitation_id}", json=body, headers=headers or pf.headers()
    )


def _summaries(client, pf) -> list[str]:
    r = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers())
    return [e["summary"] for e in r.json()["items"]]


class TestApi:
    def test_an_owner_changes_the_role_and_products_and_whoever_accepts_gets_them(self, client, db, worker):
        pf = create_portal(db)
        [inv] = invite(db, pf, ["Mel Ray <mel@acme.com>"], role="member").invited
        worker.drain()
        token = last_link(db, "mel@acme.com")
        r = _patch(client, pf, inv.id, role="admin", products=["billing", "messaging"])
        assert r.status_code == 200, r.text
        worker.drain()
        with db.unit_of_work() as session:
            assert len(mailbox.messages(session, to="mel@acme.com")) == 1  # nothing sent for a change
        assert (r.json()["role"], r.json()["products"]) == ("admin", ["messaging", "billing"])
        summaries = _summaries(client, pf)
        assert any(
            s.endswith(
                "changed the role the invitation to Mel Ray (mel@acme.com) offers (was “Member”, now “Admin”)"
            )
            for s in summaries
        ), summaries
        assert any(
            "changed the products the invitation to Mel Ray (mel@acme.com) offers" in s for s in summaries
        )
        # The link sent before still works, and offers what the invitation says now.
        preview = client.get(f"/api/v1/invitations/{token}")
        assert preview.status_code == 200 and preview.json()["role"] == "admin", preview.text
        accepted = client.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD})
        assert accepted.status_code == 200, accepted.text
        members = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
        [mel] = [m for m in members if m["user"]["email"] == "mel@acme.com"]
        assert (mel["role"], mel["products"]) == ("admin", ["messaging", "billing"])
        # Accepted: closed to change. A change of nothing writes nothing.
        before = len(_summaries(client, pf))
        assert _patch(client, pf, inv.id, role="admin").status_code == 409  # accepted now

        [ivy] = invite(db, pf, ["ivy@acme.com"], role="member").invited
        after_invite = len(_summaries(client, pf))
        assert after_invite == before + 1
        assert _patch(client, pf, ivy.id, role="member", products=["analytics"]).status_code == 200
        assert len(_summaries(client, pf)) == after_invite + 1  # the products only: the role stands

    def test_every_fault_is_said_at_once_and_nothing_changes(self, client, db):
        pf = create_portal(db)
        [inv] = invite(db, pf, ["mel@acme.com"], role="member").invited
        r = _patch(client, pf, inv.id, role="superuser", products=["nope"])
        assert r.status_code == 422, r.text
        assert {e["field"] for e in r.json()["errors"]} == {"role", "products"}
        got = client.get(f"/api/v1/portals/{pf.slug}/invitations/{inv.id}", headers=pf.headers()).json()
        assert got["role"] == "member"

    def test_a_client_invitation_has_no_role_to_change(self, client, db):
        pf = create_portal(db)
        [inv] = invite(db, pf, ["cleo@client.org"], user_type="client").invited
        r = _patch(client, pf, inv.id, role="admin", products=["nope"])
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["role", "products"]
        assert "A client has no role" in r.json()["errors"][0]["message"]
        ok = _patch(client, pf, inv.id, products=["messaging"])
        assert ok.status_code == 200 and ok.json()["products"] == ["messaging"], ok.text

    def test_who_may_change_it(self, client, db):
        pf = create_portal(db)
        active_member(db, pf, "ada@acme.com", role="admin")
        active_member(db, pf, "mo@acme.com", role="member")
        [mel, own, cleo] = [
            *invite(db, pf, ["mel@acme.com"], role="member").invited,
            *invite(db, pf, ["oz@acme.com"], role="owner").invited,
            *invite(db, pf, ["cleo@client.org"], user_type="client").invited,
        ]
        admin = {"X-CSRF-Token": login(client, "ada@acme.com", PASSWORD)}
        for inv, body in ((mel, {"role": "owner"}), (own, {"role": "admin"})):
            r = _patch(client, pf, inv.id, headers=admin, **body)
            assert r.status_code == 403 and "Only an owner" in r.json()["detail"], r.text
            assert r.json()["field"] == "role"
        assert _patch(client, pf, mel.id, headers=admin, role="admin").status_code == 200
        client.cookies.clear()
        member = {"X-CSRF-Token": login(client, "mo@acme.com", PASSWORD)}
        r = _patch(client, pf, cleo.id, headers=member, products=[])
        assert r.status_code == 403 and "Only owners and admins" in r.json()["detail"], r.text

    def test_open_ones_only(self, client, db):
        pf = create_portal(db)
        [gone, lapsed] = invite(db, pf, ["gone@acme.com", "late@acme.com"], role="member").invited
        assert (
            client.post(
                f"/api/v1/portals/{pf.slug}/invitations/{gone.id}/revoke", headers=pf.headers()
            ).status_code
            == 200
        )
        r = _patch(client, pf, gone.id, role="admin")
        assert r.status_code == 409 and r.json()["code"] == "invitation_not_pending", r.text
        with clock.travel(timedelta(days=30)):  # expired, not yet swept: Reinvite will offer the new role
            r = _patch(client, pf, lapsed.id, role="admin")
            assert r.status_code == 200 and r.json()["role"] == "admin", r.text
        unknown = _patch(client, pf, "00000000-0000-0000-0000-000000000000", role="admin")
        assert unknown.status_code == 404


class TestPage:
    def test_change_role_and_products_of_a_pending_invitation_from_user_management(self, client, db):
        pf = create_portal(db)
        [mel] = invite(db, pf, ["Mel Ray <mel@acme.com>"], role="member").invited
        [cleo] = invite(db, pf, ["cleo@client.org"], user_type="client").invited
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users").text
        links = re.findall(r'href="([^"]+/access)">Change role and products</a>', page)
        assert [link.split("/p/", 1)[1] for link in links] == [f"{pf.slug}/invitations/{mel.id}/access"], (
            links
        )
        form = client.get(links[0])
        assert form.status_code == 200, form.text
        assert "Mel Ray (mel@acme.com) · Internal user · Invited, not joined yet" in form.text
        assert re.search(r'<option value="member" selected>Member</option>', form.text)
        assert "nothing is sent" in form.text
        r = client.post(
            links[0], data={"csrf_token": csrf_of(form.text), "role": "admin", "products": ["billing"]}
        )
        assert r.status_code == 200, r.text
        assert "Saved: the invitation to Mel Ray (mel@acme.com) offers an Admin." in r.text
        got = client.get(f"/api/v1/portals/{pf.slug}/invitations/{mel.id}", headers=pf.headers()).json()
        assert (got["role"], got["products"]) == ("admin", ["billing"])
        # A client's invitation: its products only, from the Clients tab.
        clients = client.get(f"/p/{pf.slug}/users?tab=clients").text
        [link] = re.findall(r'href="([^"]+/access)">Change products</a>', clients)
        assert link.endswith(f"/p/{pf.slug}/invitations/{cleo.id}/access")
        form = client.get(link).text
        assert 'name="role"' not in form
        r = client.post(link, data={"csrf_token": csrf_of(form), "products": ["messaging"]})
        assert "Saved: the products the invitation to cleo@client.org offers." in r.text

    def test_offering_owner_asks_to_confirm_first(self, client, db):
        """An invitation changed to offer Owner asks the owners' confirmation first and changes
        nothing until it is given."""
        pf = create_portal(db)
        [mel] = invite(db, pf, ["Mel Ray <mel@acme.com>"], role="member").invited
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        link = f"/p/{pf.slug}/invitations/{mel.id}/access"
        form = client.get(link)
        asked = client.post(link, data={"csrf_token": csrf_of(form.text), "role": "owner"})
        assert asked.status_code == 200, asked.text
        assert "Yes, make Mel Ray (mel@acme.com) an owner." in asked.text
        assert "Owners can do everything, including removing you." in asked.text
        got = client.get(f"/api/v1/portals/{pf.slug}/invitations/{mel.id}", headers=pf.headers()).json()
        assert got["role"] == "member"
        done = client.post(
            link, data={"csrf_token": csrf_of(asked.text), "role": "owner", "owners_confirmed": "1"}
        )
        assert "Saved: the invitation to Mel Ray (mel@acme.com) offers an Owner." in done.text, done.text
        got = client.get(f"/api/v1/portals/{pf.slug}/invitations/{mel.id}", headers=pf.headers()).json()
        assert got["role"] == "owner"

    def test_an_unconfirmed_owner_is_asked_for_before_anything_is_written(self, client, db):
        """The save that asks the owners' confirmation writes nothing first (the change refuses
        it before writing: ``invitations.service.change_offer``'s ``owners_confirmed``), not a
        change written and then rolled back."""
        pf = create_portal(db)
        [mel] = invite(db, pf, ["Mel Ray <mel@acme.com>"], role="member").invited
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        link = f"/p/{pf.slug}/invitations/{mel.id}/access"
        form = client.get(link)
        asked, written = writes_during(
            db, lambda: client.post(link, data={"csrf_token": csrf_of(form.text), "role": "owner"})
        )
        assert "Yes, make Mel Ray (mel@acme.com) an owner." in asked.text, asked.text
        assert written == [], written

    def test_an_admin_asking_to_offer_owner_is_refused_before_any_confirmation(self, client, db):
        """Offering Owner is the change's to refuse an admin (``policy.check_change_role``), before
        the owners' confirmation is asked (it was asked first, then refused)."""
        pf = create_portal(db)
        [mel] = invite(db, pf, ["Mel Ray <mel@acme.com>"], role="member").invited
        active_member(db, pf, "ada@acme.com", role="admin")
        sign_in_page(client, "ada@acme.com", PASSWORD)
        link = f"/p/{pf.slug}/invitations/{mel.id}/access"
        r = client.post(link, data={"csrf_token": csrf_of(client.get(link).text), "role": "owner"})
        assert "Yes, make" not in r.text
        assert "Only an owner can make someone an owner" in r.text, r.text
        got = client.get(f"/api/v1/portals/{pf.slug}/invitations/{mel.id}", headers=pf.headers()).json()
        assert got["role"] == "member"

    def test_an_internal_member_is_not_offered_it(self, client, db):
        pf = create_portal(db)
        active_member(db, pf, "mo@acme.com", role="member")
        [cleo] = invite(db, pf, ["cleo@client.org"], user_type="client").invited
        sign_in_page(client, "mo@acme.com", PASSWORD)
        assert "/access" not in client.get(f"/p/{pf.slug}/users?tab=clients").text
        assert client.get(f"/p/{pf.slug}/invitations/{cleo.id}/access").status_code == 403


class TestCli:
    def test_invitations_change(self, run_cli, db, client):
        pf = create_portal(db)
        invite(db, pf, ["mel@acme.com"], role="member")
        args = ("invitations", "change", "--portal", pf.slug, "mel@acme.com")
        r = run_cli(*args, "--role", "admin", "--products", "messaging")
        assert (r.exit_code, r.output) == (
            0,
            "The role the invitation to mel@acme.com offers changed (was “Member”, now “Admin”).\n"
            "The products the invitation to mel@acme.com offers changed (was none, now “messaging”).\n",
        )
        again = run_cli(*args, "--role", "admin", "--json")
        assert again.exit_code == 0 and json.loads(again.stdout)["role"] == "admin", again.output
        said = run_cli(*args, "--role", "admin")
        assert said.output == "The invitation to mel@acme.com already offers that: nothing changed.\n"
        nothing = run_cli(*args)
        assert nothing.exit_code == 2 and "--role, --products" in nothing.output
        invite(db, pf, ["cleo@client.org"], user_type="client")
        client_role = run_cli(
            "invitations", "change", "--portal", pf.slug, "cleo@client.org", "--role", "admin"
        )
        assert client_role.exit_code == 2 and "A client has no role" in client_role.output, client_role.output
