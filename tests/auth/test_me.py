"""GET /api/v1/me: who is signed in, and what they may use in each portal (both backends)."""

from __future__ import annotations

from admit.policy import ALL_PRODUCTS
from tests.factories import OWNER_PASSWORD, create_portal, invite, last_link, token_in


def _me(client) -> dict:
    r = client.get("/api/v1/me")
    assert r.status_code == 200, r.text
    return r.json()


class TestMe:
    def test_the_owner_and_the_sign_in_answer_the_same(self, client, db):
        """An owner's portal: role, type, every product it offers, nothing owed; the sign-in's
        own answer lists the portals in the same shape."""
        pf = create_portal(db)
        signed = client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD})
        assert signed.status_code == 200, signed.text
        mine = {
            "slug": pf.slug,
            "name": "Acme Inc",
            "role": "owner",
            "user_type": "internal",
            "products": list(ALL_PRODUCTS),
            "sign_in_steps": [],
        }
        assert signed.json()["portals"] == [mine]
        me = _me(client)
        assert me["user"]["email"] == pf.owner_email and me["portals"] == [mine]

    def test_a_client_may_use_what_they_were_given_and_the_portal_still_offers(self, client, db, worker):
        """Products given at the invitation; one the portal stops offering is not usable any more
        (and comes back with it); a second portal is listed by name; a deactivated membership
        is not listed."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@example.org"], user_type="client", products=["messaging", "billing"])
        worker.drain()
        accepted = client.post(f"/api/v1/invitations/{last_link(db, 'cleo@example.org')}/accept", json={})
        assert accepted.status_code == 200, accepted.text
        [acme] = _me(client)["portals"]
        assert (acme["role"], acme["user_type"], acme["products"]) == (
            "client",
            "client",
            ["messaging", "billing"],
        )
        offered = [p for p in ALL_PRODUCTS if p != "billing"]
        r = client.patch(
            f"/api/v1/portals/{pf.slug}", json={"enabled_products": offered}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        assert _me(client)["portals"][0]["products"] == ["messaging"]
        r = client.patch(
            f"/api/v1/portals/{pf.slug}", json={"enabled_products": list(ALL_PRODUCTS)}, headers=pf.headers()
        )
        assert _me(client)["portals"][0]["products"] == ["messaging", "billing"]

        other = create_portal(db, name="Aardvark Ltd", owner_email="owner@aardvark.com")
        invite(db, other, ["cleo@example.org"], user_type="client")
        worker.drain()
        r = client.post(  # signed in as Cleo already: the session's CSRF token
            f"/api/v1/invitations/{last_link(db, 'cleo@example.org')}/accept",
            json={},
            headers={"X-CSRF-Token": accepted.json()["csrf_token"]},
        )
        assert r.status_code == 200, r.text
        assert [(p["name"], p["products"]) for p in _me(client)["portals"]] == [
            ("Aardvark Ltd", []),
            ("Acme Inc", ["messaging", "billing"]),
        ]
        member_id = next(
            m["id"]
            for m in client.get(f"/api/v1/portals/{other.slug}/members", headers=other.headers()).json()[
                "items"
            ]
            if m["user"]["email"] == "cleo@example.org"
        )
        r = client.post(
            f"/api/v1/portals/{other.slug}/members/{member_id}/deactivate", headers=other.headers()
        )
        assert r.status_code == 200, r.text
        assert [p["name"] for p in _me(client)["portals"]] == ["Acme Inc"]

    def test_nobody_and_an_api_key_have_no_me(self, client, db):
        pf = create_portal(db)
        for headers in ({}, pf.headers()):
            r = client.get("/api/v1/me", headers=headers)
            assert (r.status_code, r.json()["code"]) == (401, "not_authenticated"), r.text

    def test_a_portal_that_requires_a_password_says_what_is_owed(self, client, db, worker):
        """A passwordless client of a portal that then requires a password: their next sign-in
        lists the portal with the step it owes (what GET /auth/sign-in-steps/{p} says), until
        they choose one."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@example.org"], user_type="client")
        worker.drain()
        accepted = client.post(f"/api/v1/invitations/{last_link(db, 'cleo@example.org')}/accept", json={})
        assert accepted.status_code == 200
        assert _me(client)["portals"][0]["sign_in_steps"] == []
        r = client.patch(
            f"/api/v1/portals/{pf.slug}", json={"client_require_password": True}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        client.cookies.clear()
        assert client.post("/api/v1/auth/sign-in-link", json={"email": "cleo@example.org"}).status_code == 202
        worker.drain()
        items = client.get("/api/v1/dev/messages", params={"to": "cleo@example.org"}).json()["items"]
        signed = client.post(f"/api/v1/auth/sign-in-link/{token_in(items[0]['text'], 'sign_in')}")
        assert signed.status_code == 200, signed.text
        assert signed.json()["portals"][0]["sign_in_steps"] == ["choose_password"]
        assert _me(client)["portals"][0]["sign_in_steps"] == ["choose_password"]
        assert client.get(f"/api/v1/auth/sign-in-steps/{pf.slug}").json()["steps"] == ["choose_password"]
        chosen = client.post(
            "/api/v1/auth/password",
            json={"password": "a new passphrase 42"},
            headers={"X-CSRF-Token": signed.json()["csrf_token"]},
        )
        assert chosen.status_code == 204, chosen.text
        assert _me(client)["portals"][0]["sign_in_steps"] == []
