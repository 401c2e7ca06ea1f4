"""Changing a member's role and products (``flows.members.change_access``): the policy's rules,
the API (``PATCH …/members/{id}``), User Management's Change role and products, and the CLI, on
both backends."""

from __future__ import annotations

import json
import re

import pytest

from admit import policy
from admit.policy import Role
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    active_member,
    create_portal,
    csrf_of,
    login,
    sign_in_page,
    writes_during,
)


def _members(client, pf) -> dict[str, dict]:
    r = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers())
    assert r.status_code == 200, r.text
    return {m["user"]["email"]: m for m in r.json()["items"]}


def _change(client, pf, email: str, headers=None, **body):
    member_id = _members(client, pf)[email]["id"]
    return client.patch(
        f"/api/v1/portals/{pf.slug}/members/{member_id}", json=body, headers=headers or pf.headers()
    )


class TestRules:
    @pytest.mark.parametrize(
        ("actor", "current", "new", "is_self", "owners", "refused"),
        [
            (Role.OWNER, Role.MEMBER, Role.ADMIN, False, 1, None),
            (Role.ADMIN, Role.MEMBER, Role.ADMIN, False, 1, None),
            (Role.ADMIN, Role.ADMIN, Role.MEMBER, False, 1, None),
            (Role.ADMIN, Role.MEMBER, Role.OWNER, False, 1, "Only an owner"),
            (Role.ADMIN, Role.OWNER, Role.MEMBER, False, 2, "Only an owner"),
            (Role.OWNER, Role.OWNER, Role.ADMIN, False, 2, None),
            (Role.OWNER, Role.OWNER, Role.ADMIN, False, 1, "The last owner"),
            (Role.OWNER, Role.ADMIN, Role.ADMIN, True, 2, "your own role"),
            (Role.OWNER, Role.OWNER, Role.ADMIN, True, 2, "your own role: ask another owner."),
            # An admin is no owner: an owner, or another admin, changes an admin's role.
            (Role.ADMIN, Role.ADMIN, Role.MEMBER, True, 2, "your own role: ask an owner or another admin."),
            (Role.OWNER, Role.CLIENT, Role.MEMBER, False, 1, "A client has no role"),
            (Role.OWNER, Role.MEMBER, Role.CLIENT, False, 1, "A client has no role"),
        ],
    )
    def test_who_may_change_whose_role(self, actor, current, new, is_self, owners, refused):
        reason = policy.check_change_role(actor, current, new, is_self=is_self, owners_left=owners)
        assert (reason is None) if refused is None else (reason is not None and refused in reason)


class TestApi:
    def test_every_fault_is_said_at_once(self, client, db):
        """A role that is none and a product the portal lacks are both listed in ``errors``: the
        role alone had been, and nothing changes."""
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        r = _change(client, pf, "mel@acme.com", role="superuser", products=["nope"])
        assert r.status_code == 422, r.text
        assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [
            ("products", "Product(s) not enabled in this portal: nope."),
            ("role", "“superuser” is not a role: one of “owner”, “admin” or “member”."),
        ]
        assert _members(client, pf)["mel@acme.com"]["role"] == "member"

    def test_an_owner_changes_a_role_and_products_and_the_log_says_what_they_were(self, client, db):
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        r = _change(client, pf, "mel@acme.com", role="admin", products=["messaging", "billing"])
        assert r.status_code == 200, r.text
        assert (r.json()["role"], r.json()["products"]) == ("admin", ["messaging", "billing"])
        assert _members(client, pf)["mel@acme.com"]["role"] == "admin"
        events = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers()).json()["items"]
        summaries = [e["summary"] for e in events]
        assert any(
            s.endswith("changed the role of mel (mel@acme.com) (was “Member”, now “Admin”)")
            for s in summaries
        )
        was = "“messaging, workspaces, billing, analytics”"
        products = f"changed the products of mel (mel@acme.com) (was {was}, now “messaging, billing”)"
        assert any(s.endswith(products) for s in summaries), summaries
        # Nothing to change: nothing written.
        assert _change(client, pf, "mel@acme.com", role="admin").status_code == 200
        again = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers()).json()["items"]
        assert len(again) == len(events)

    def test_what_is_refused_names_why_and_changes_nothing(self, client, db):
        pf = create_portal(db)
        active_member(db, pf, "ada@acme.com", role="admin")
        active_member(db, pf, "mel@acme.com")
        active_member(db, pf, "cleo@client.org", user_type="client", role="client")
        before = _members(client, pf)
        unknown = _change(client, pf, "mel@acme.com", products=["teleport"])
        assert unknown.status_code == 422 and unknown.json()["field"] == "products", unknown.text
        # A role for a client is no input to take (as inviting a client as an admin is): 422
        # naming ``role``, with every other fault, where it was 403 "An API key acts as an admin".
        client_role = _change(client, pf, "cleo@client.org", role="admin", products=["nope"])
        said = (client_role.status_code, client_role.json()["code"])
        assert said == (422, "invalid_input"), client_role.text
        assert [(e["field"], e["message"]) for e in client_role.json()["errors"]] == [
            ("role", "A client has no role to change: an internal user's role is owner, admin or member."),
            ("products", "Product(s) not enabled in this portal: nope."),
        ]
        headers = {"X-CSRF-Token": login(client, "ada@acme.com", PASSWORD)}  # an admin, signed in
        for email, body, words in (
            ("mel@acme.com", {"role": "owner"}, "Only an owner"),
            (pf.owner_email, {"role": "member"}, "Only an owner"),
            ("ada@acme.com", {"role": "member"}, "your own role"),
        ):
            r = _change(client, pf, email, headers=headers, **body)
            assert r.status_code == 403 and words in r.json()["detail"], (email, r.text)
        assert _members(client, pf) == before
        # A client's products change.
        r = _change(client, pf, "cleo@client.org", products=["messaging"])
        assert r.status_code == 200 and r.json()["products"] == ["messaging"], r.text


class TestPage:
    def test_change_role_and_products_from_user_management(self, client, db):
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users").text
        links = re.findall(r'href="([^"]+/access)">Change role and products</a>', page)
        assert len(links) == 1, links  # Mel's row; not the owner's own
        form = client.get(links[0])
        assert form.status_code == 200 and "Change role and products" in form.text
        # A people page speaks to whoever manages people: no developer's words (an API path).
        assert "/api/v1" not in form.text.split("<main", 1)[1], form.text
        assert re.search(r'<option value="member" selected>Member</option>', form.text)
        r = client.post(
            links[0],
            data={"csrf_token": csrf_of(form.text), "role": "admin", "products": ["messaging"]},
        )
        assert r.status_code == 200, r.text
        assert "Saved: mel (mel@acme.com) is an Admin." in r.text
        mel = _members(client, pf)["mel@acme.com"]
        assert (mel["role"], mel["products"]) == ("admin", ["messaging"])

    def test_making_an_owner_asks_to_confirm_first(self, client, db):
        """Choosing Owner and saving shows the owners' confirmation (what an owner can do) and
        changes nothing; only a confirmed save makes them an owner. Someone already an owner is
        asked nothing (their products changed)."""
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        active_member(db, pf, "otto@acme.com", role="owner")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users").text
        mel_id = _members(client, pf)["mel@acme.com"]["id"]
        link = f"/p/{pf.slug}/members/{mel_id}/access"
        assert f'{link}">Change role and products</a>' in page
        form = client.get(link)
        assert "data-owners" not in form.text
        asked = client.post(
            link, data={"csrf_token": csrf_of(form.text), "role": "owner", "products": ["billing"]}
        )
        assert asked.status_code == 200, asked.text
        assert "data-owners" in asked.text and "Yes, make mel (mel@acme.com) an owner." in asked.text
        assert "Owners can do everything, including removing you." in asked.text
        assert 'name="owners_confirmed"' in asked.text
        assert re.search(r'<option value="owner" selected>Owner</option>', asked.text)  # kept as chosen
        mel = _members(client, pf)["mel@acme.com"]
        assert mel["role"] == "member" and mel["products"] != ["billing"], mel
        done = client.post(
            link,
            data={
                "csrf_token": csrf_of(asked.text),
                "role": "owner",
                "products": ["billing"],
                "owners_confirmed": "1",
            },
        )
        assert "Saved: mel (mel@acme.com) is an Owner." in done.text, done.text
        assert _members(client, pf)["mel@acme.com"]["role"] == "owner"
        otto_link = f"/p/{pf.slug}/members/{_members(client, pf)['otto@acme.com']['id']}/access"
        r = client.post(
            otto_link, data={"csrf_token": csrf_of(done.text), "role": "owner", "products": ["billing"]}
        )
        assert "Saved: otto (otto@acme.com) is an Owner." in r.text, r.text
        assert _members(client, pf)["otto@acme.com"]["products"] == ["billing"]

    def test_an_unconfirmed_owner_is_asked_for_before_anything_is_written(self, client, db):
        """The save that asks the owners' confirmation writes nothing first (the change refuses
        it before writing: ``flows.members.change_access``'s ``owners_confirmed``), not a change
        written and then rolled back."""
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        link = f"/p/{pf.slug}/members/{_members(client, pf)['mel@acme.com']['id']}/access"
        form = client.get(link)
        asked, written = writes_during(
            db,
            lambda: client.post(
                link, data={"csrf_token": csrf_of(form.text), "role": "owner", "products": ["billing"]}
            ),
        )
        assert "Yes, make mel (mel@acme.com) an owner." in asked.text, asked.text
        assert written == [], written

    def test_whom_the_change_refuses_is_refused_before_any_confirmation(self, client, db):
        """An owner's role is the change's to refuse (``policy.check_change_role``) before the
        owners' confirmation is asked: an admin (or a member) who asks to make someone an owner
        is told why not, and is not asked "Yes, make … an owner." first (it was, an admin: the
        page asked only whether they may change access at all)."""
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        active_member(db, pf, "ada@acme.com", role="admin")
        active_member(db, pf, "mo@acme.com", role="member")
        mel_id = _members(client, pf)["mel@acme.com"]["id"]
        link = f"/p/{pf.slug}/members/{mel_id}/access"
        for who, why in (
            ("ada@acme.com", "Only an owner can make someone an owner"),
            ("mo@acme.com", "Only owners and admins can change someone"),
        ):
            client.cookies.clear()
            sign_in_page(client, who, PASSWORD)
            page = client.get(f"/p/{pf.slug}/users")
            r = client.post(link, data={"csrf_token": csrf_of(page.text), "role": "owner"})
            assert "Yes, make" not in r.text, who
            assert why in r.text, (who, r.text)
        assert _members(client, pf)["mel@acme.com"]["role"] == "member"


class TestCli:
    def test_members_change(self, run_cli, db, client):
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        r = run_cli("members", "change", "--portal", pf.slug, "mel@acme.com", "--role", "admin", "--json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["role"] == "admin"
        r = run_cli(
            "members", "change", "--portal", pf.slug, "mel@acme.com", "--products", "messaging,billing"
        )
        assert r.exit_code == 0, r.output
        assert _members(client, pf)["mel@acme.com"]["products"] == ["messaging", "billing"]
        nothing = run_cli("members", "change", "--portal", pf.slug, "mel@acme.com")
        assert nothing.exit_code != 0 and "--role, --products" in nothing.output

    def test_members_change_says_what_changed(self, run_cli, db):
        """The text says each change as the Audit Log does ("was “Member”, now “Admin”"); it
        said only "mel@acme.com is changed."; the same again changes nothing and says so."""
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        args = ("members", "change", "--portal", pf.slug, "mel@acme.com")
        r = run_cli(*args, "--role", "admin", "--products", "messaging")
        assert (r.exit_code, r.output) == (
            0,
            "mel@acme.com's role changed (was “Member”, now “Admin”).\n"
            "mel@acme.com's products changed (was “messaging, workspaces, billing, analytics”, now "
            "“messaging”).\n",
        )
        again = run_cli(*args, "--role", "admin")
        assert (again.exit_code, again.output) == (
            0,
            "mel@acme.com already has that access: nothing changed.\n",
        )
