"""The invite-link API contract (/api/v1), through the real app, on both backends."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from admit.kit import clock
from tests.factories import OWNER_PASSWORD, PASSWORD, create_portal, login, member_joins

PROBLEM = "application/problem+json"
LINK_KEYS = {"url", "user_type", "role", "expires_at", "allowed_domains", "max_uses", "uses", "enabled"}


def _link(client, pf):
    """The portal's link, made first if there is none (``POST``; ``GET`` only reads)."""
    assert client.post(f"/api/v1/portals/{pf.slug}/link", headers=pf.headers()).status_code in (200, 201)
    r = client.get(f"/api/v1/portals/{pf.slug}/link", headers=pf.headers())
    assert r.status_code == 200, r.text
    return r.json()


def _link_on(client, pf):
    """The link, turned on (a new link starts off), for any address."""
    r = client.patch(
        f"/api/v1/portals/{pf.slug}/link", json={"enabled": True, "allowed_domains": []}, headers=pf.headers()
    )
    assert r.status_code == 200, r.text
    return r.json()


def _token(url: str) -> str:
    return url.rsplit("/join/", 1)[1]


def _mail(client, email, path):
    items = client.get("/api/v1/dev/messages", params={"to": email}).json()["items"]
    assert items, f"no mail to {email}"
    return items[0], re.search(rf"/{path}/([A-Za-z0-9_-]+)", items[0]["text"])


def _workspace_link(client, pf, name, kind):
    """A new workspace (its API answer) and its link (the link's)."""
    ws = client.post(
        f"/api/v1/portals/{pf.slug}/workspaces", json={"name": name, "kind": kind}, headers=pf.headers()
    ).json()
    link = client.post(f"/api/v1/portals/{pf.slug}/workspaces/{ws['id']}/link", headers=pf.headers())
    return ws, link.json()


def _signup(client, token, email, **body):
    body = {"email": email, "name": "Sam Signup", "password": PASSWORD, **body}
    return client.post(f"/api/v1/links/{token}/signup", json=body)


class TestManageLink:
    def test_get_shape(self, client, db, settings):
        """GET gives the link and its policy; the URL is built from the public URL. A new link
        is off, with a 10-day lifetime that starts when it is turned on."""
        pf = create_portal(db)
        body = _link(client, pf)
        assert set(body) >= LINK_KEYS
        assert body["url"].startswith(f"{settings.public_url}/join/")
        assert (body["user_type"], body["role"], body["enabled"], body["status"], body["uses"]) == (
            "internal",
            "member",
            False,
            "disabled",
            0,
        )
        assert (body["lifetime_seconds"], body["expires_at"], body["never_expires"]) == (
            10 * 86400,
            None,
            False,
        )
        # The company's domain: the key's maker's (owner@acme.com).
        assert (body["max_uses"], body["allowed_domains"]) == (None, ["acme.com"])
        assert _link(client, pf)["url"] == body["url"]
        assert client.get(f"/api/v1/links/{_token(body['url'])}").status_code == 410
        on = _link_on(client, pf)
        assert on["status"] == "active" and on["expires_at"] is not None
        assert client.get(f"/api/v1/links/{_token(body['url'])}").status_code == 200

    def test_no_expiry_only_when_asked_for(self, client, db):
        """null lifetime or expiry: 422 naming the field; beyond 365 days: 422 expires_at;
        never_expires: true is the way, and says so when read back."""
        pf = create_portal(db)
        far = (clock.now() + timedelta(days=400)).isoformat()
        for body, field in [
            ({"lifetime_seconds": None}, "lifetime_seconds"),
            ({"expires_at": None}, "expires_at"),
            ({"expires_at": far}, "expires_at"),
        ]:
            r = client.patch(f"/api/v1/portals/{pf.slug}/link", json=body, headers=pf.headers())
            assert (r.status_code, r.json()["field"]) == (422, field), body
        r = client.patch(
            f"/api/v1/portals/{pf.slug}/link", json={"never_expires": True}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        assert (r.json()["never_expires"], r.json()["lifetime_seconds"], r.json()["expires_at"]) == (
            True,
            None,
            None,
        )

    def test_a_value_of_the_wrong_type_is_said_with_the_rest(self, client, db):
        """Text for ``max_uses`` beside a lifetime out of range and an unknown user type: all
        three in ``errors``, each under its field (the parsing's faults had been said alone),
        and the link is as it was."""
        pf = create_portal(db)
        at = f"/api/v1/portals/{pf.slug}/link"
        before = client.get(at, headers=pf.headers()).json()
        body = {"max_uses": "lots", "lifetime_seconds": 10, "user_type": "bogus"}
        r = client.patch(at, json=body, headers=pf.headers())
        assert r.status_code == 422, r.text
        said = {e["field"]: e["message"] for e in r.json()["errors"]}
        assert set(said) == {"max_uses", "lifetime_seconds", "user_type"}, said
        assert said["max_uses"] == "A whole number."
        assert client.get(at, headers=pf.headers()).json() == before

    def test_the_old_path_moved_for_good(self, client, db):
        """``…/invite-link`` (the name before ``…/link``) answers 308 to the new path, keeping the
        method and body, so an old client's PATCH still changes the link."""
        pf = create_portal(db)
        old = f"/api/v1/portals/{pf.slug}/invite-link"
        r = client.patch(old, json={"max_uses": 7}, headers=pf.headers(), follow_redirects=False)
        assert r.status_code == 308 and r.headers["location"].endswith(f"/api/v1/portals/{pf.slug}/link")
        assert client.patch(old, json={"max_uses": 7}, headers=pf.headers()).json()["max_uses"] == 7
        assert _link(client, pf)["max_uses"] == 7
        moved = client.get(f"{old}/signups?status=pending", headers=pf.headers(), follow_redirects=False)
        assert moved.headers["location"].endswith(f"/portals/{pf.slug}/link/signups?status=pending")

    def test_patch_and_refresh(self, client, db):
        """PATCH changes only the fields sent; refresh returns a new URL and the old one is gone."""
        pf = create_portal(db)
        old = _link_on(client, pf)["url"]
        r = client.patch(
            f"/api/v1/portals/{pf.slug}/link",
            json={"allowed_domains": ["Acme.com"], "max_uses": 10, "lifetime_seconds": 10 * 86400},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["allowed_domains"], body["max_uses"], body["url"]) == (["acme.com"], 10, old)
        assert body["expires_at"] is not None
        r = client.patch(f"/api/v1/portals/{pf.slug}/link", json={"max_uses": None}, headers=pf.headers())
        assert (r.json()["max_uses"], r.json()["allowed_domains"]) == (None, ["acme.com"])
        assert r.json()["products"] == []
        r = client.patch(
            f"/api/v1/portals/{pf.slug}/link", json={"products": ["messaging"]}, headers=pf.headers()
        )
        assert (r.status_code, r.json()["products"]) == (200, ["messaging"])

        expiry = body["expires_at"]
        with clock.travel(timedelta(days=2)):
            r = client.patch(
                f"/api/v1/portals/{pf.slug}/link",
                json={"lifetime_seconds": 10 * 86400},
                headers=pf.headers(),
            )
        assert r.json()["expires_at"] == expiry  # the same lifetime does not extend the link

        r = client.post(f"/api/v1/portals/{pf.slug}/link/refresh", headers=pf.headers())
        assert r.status_code == 200
        new = r.json()["url"]
        assert new != old
        gone = client.get(f"/api/v1/links/{_token(old)}")
        assert gone.status_code == 410
        assert gone.headers["content-type"].startswith(PROBLEM)
        assert gone.json()["code"] == "link_gone"
        assert client.get(f"/api/v1/links/{_token(new)}").status_code == 200
        events = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers()).json()["items"]
        actions = [e["action"] for e in events]
        assert "invite_link.refreshed" in actions and "invite_link.policy_changed" in actions

    def test_bad_policy_names_the_field(self, client, db):
        """422 problem+json with the field; unknown fields are refused."""
        pf = create_portal(db)
        for body, field in [
            ({"allowed_domains": ["*.acme.com"]}, "allowed_domains.0"),
            ({"max_uses": 0}, "max_uses"),
            ({"products": ["teleportation"]}, "products"),
            ({"surprise": 1}, "surprise"),
        ]:
            r = client.patch(f"/api/v1/portals/{pf.slug}/link", json=body, headers=pf.headers())
            assert r.status_code == 422, body
            assert r.json()["field"] == field
        r = client.patch(f"/api/v1/portals/{pf.slug}/link", json={"role": "owner"}, headers=pf.headers())
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied")

    def test_every_fault_is_said_at_once_and_nothing_changes(self, client, db):
        """A lifetime out of range, two bad domains and no uses: all four in ``errors`` (it took
        three tries, one fault each, and the second domain was never named); nothing changed."""
        pf = create_portal(db)
        before = client.get(f"/api/v1/portals/{pf.slug}/link", headers=pf.headers()).json()
        body = {
            "lifetime_seconds": 400 * 86400,
            "allowed_domains": ["acme..com", "not a domain"],
            "max_uses": 0,
        }
        r = client.patch(f"/api/v1/portals/{pf.slug}/link", json=body, headers=pf.headers())
        assert r.status_code == 422, r.text
        fields = [e["field"] for e in r.json()["errors"]]
        assert fields == ["lifetime_seconds", "allowed_domains.0", "allowed_domains.1", "max_uses"], r.json()
        assert r.json()["field"] == "lifetime_seconds"
        after = client.get(f"/api/v1/portals/{pf.slug}/link", headers=pf.headers()).json()
        assert after == before

    def test_every_bad_domain_is_named_in_words(self, client, db):
        """Each bad domain its own entry, in the product's words: curly quotes, lower case after
        the colon, none of the address checker's own text ("An email address cannot…")."""
        pf = create_portal(db)
        body = {"allowed_domains": ["acme..com", "@foo.com", "gmail.com", "a_b.com", "gmial.com", "-x.com"]}
        r = client.patch(f"/api/v1/portals/{pf.slug}/link", json=body, headers=pf.headers())
        assert r.status_code == 422, r.text
        # Each named by its place in the list, as any list's entry is ("recipients.2").
        assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [
            ("allowed_domains.0", "“acme..com” is not a valid email domain: it has two periods in a row."),
            (
                "allowed_domains.3",
                "“a_b.com” is not a valid email domain: it has a character no domain has: “_”.",
            ),
            (
                "allowed_domains.4",
                "“gmial.com” is not a valid email domain: it looks mistyped. Did you mean gmail.com?",
            ),
            ("allowed_domains.5", "“-x.com” is not a valid email domain: it starts with a hyphen."),
        ]
        assert r.json()["field"] == "allowed_domains.0"

    def test_members_cannot_manage_it(self, client, db, worker):
        """An internal member gets 403; nobody signed in gets 401."""
        pf = create_portal(db)
        assert client.get(f"/api/v1/portals/{pf.slug}/link").status_code == 401
        member_joins(db, worker, pf, "mel@acme.com")
        csrf = login(client, "mel@acme.com")
        assert client.get(f"/api/v1/portals/{pf.slug}/link").status_code == 403
        r = client.post(f"/api/v1/portals/{pf.slug}/link/refresh", headers={"X-CSRF-Token": csrf})
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied")


class TestPublic:
    def test_preview(self, client, db):
        """The preview names the portal and says whether a password is needed; no referrer leaks."""
        pf = create_portal(db)
        r = client.get(f"/api/v1/links/{_token(_link_on(client, pf)['url'])}")
        assert r.status_code == 200
        assert r.headers["referrer-policy"] == "no-referrer"
        body = r.json()
        assert (body["kind"], body["portal"]["name"], body["password_required"]) == (
            "portal",
            "Acme Inc",
            True,
        )

    def test_a_preview_names_no_domains_and_no_ids(self, client, db, worker):
        """Issue 14 item 14: a link's page says whether addresses are restricted, not which
        domains (a partner's, say); a workspace link's preview names the workspace, not its id."""
        pf = create_portal(db)
        r = client.patch(
            f"/api/v1/portals/{pf.slug}/link",
            json={"enabled": True, "allowed_domains": ["acme.com", "partner.example"]},
            headers=pf.headers(),
        )
        body = client.get(f"/api/v1/links/{_token(r.json()['url'])}").json()
        assert body["domain_restricted"] is True
        assert "partner.example" not in json.dumps(body) and "acme.com" not in json.dumps(body)
        ws, link = _workspace_link(client, pf, "Deal room", "chat")
        preview = client.get(f"/api/v1/links/{_token(link['url'])}").json()
        assert preview["workspace"] == {"name": "Deal room"} and ws["id"] not in json.dumps(preview)
        page = client.get(f"/join/{_token(r.json()['url'])}")
        assert "partner.example" not in page.text

    def test_signup_and_confirm_from_the_mailbox(self, client, db, worker):
        """202, a confirmation email; following it makes an active member, signed in."""
        pf = create_portal(db)
        token = _token(_link_on(client, pf)["url"])
        r = _signup(client, token, "Ada@Acme.com", name="Ada Lovelace", role="owner")  # role ignored
        assert r.status_code == 202, r.text
        assert r.json()["email"] == "ada@acme.com"
        members = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
        assert "ada@acme.com" not in [m["user"]["email"] for m in members]
        pending = client.get(
            f"/api/v1/portals/{pf.slug}/link/signups?status=pending", headers=pf.headers()
        ).json()["items"]
        assert [s["email"] for s in pending] == ["ada@acme.com"]

        worker.drain()
        message, match = _mail(client, "ada@acme.com", "confirm")
        assert message["subject"] == "Confirm your email to join Acme Inc"
        confirm_token = match.group(1)
        assert client.get(f"/api/v1/links/confirm/{confirm_token}").json()["email"] == "ada@acme.com"
        r = client.post(f"/api/v1/links/confirm/{confirm_token}", json={"password": PASSWORD})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["outcome"] == "joined"
        assert (body["member"]["role"], body["member"]["status"]) == ("member", "active")
        # Signed in as Ada: the session cookie works.
        assert client.get(f"/api/v1/portals/{pf.slug}/members").status_code == 200
        client.cookies.clear()
        again = client.post(f"/api/v1/links/confirm/{confirm_token}", json={"password": PASSWORD})
        assert (again.status_code, again.json()["code"]) == (410, "confirmation_used")
        assert _link(client, pf)["joined"] == 1

    def test_the_owners_address_signed_up_by_a_stranger_lets_nobody_in(self, client, db, worker):
        """The tester's steps: a stranger signs up through the open link with the owner's address.
        The confirmation link asks for the owner's password: its preview says so, Confirm is 403
        ``sign_in_required`` and no session starts (it signed the owner in with one click); the
        page offers Sign in, not Confirm. Signed in as the owner, it is theirs to confirm."""
        pf = create_portal(db)
        token = _token(_link_on(client, pf)["url"])
        assert _signup(client, token, pf.owner_email, name="Mallory").status_code == 202
        worker.drain()
        message, match = _mail(client, pf.owner_email, "confirm")
        assert "signs you in" not in message["text"]
        confirm_token = match.group(1)
        preview = client.get(f"/api/v1/links/confirm/{confirm_token}").json()
        assert (preview["already_member"], preview["sign_in_required"]) == (True, True)
        page = client.get(f"/confirm/{confirm_token}")
        assert "Sign in with your password" in page.text and "Confirm and sign in" not in page.text
        r = client.post(f"/api/v1/links/confirm/{confirm_token}", json={})
        assert (r.status_code, r.json()["code"]) == (403, "sign_in_required"), r.text
        assert client.get(f"/api/v1/portals/{pf.slug}/members").status_code == 401  # not signed in
        csrf = login(client, pf.owner_email, OWNER_PASSWORD)
        assert client.get(f"/api/v1/links/confirm/{confirm_token}").json()["sign_in_required"] is False
        r = client.post(f"/api/v1/links/confirm/{confirm_token}", json={}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        assert r.json()["outcome"] == "already_member"

    def test_a_pending_signup_is_resent_then_removed(self, client, db, worker):
        """POST …/link/signups/{id}/resend: a new confirmation email, still pending. DELETE: it
        answers the sign-up, removed; the list no longer has it, it cannot be resent, and its
        confirmation link says it was removed."""
        pf = create_portal(db)
        token = _token(_link_on(client, pf)["url"])
        assert _signup(client, token, "ada@acme.com").status_code == 202
        listed = client.get(f"/api/v1/portals/{pf.slug}/link/signups", headers=pf.headers()).json()["items"]
        resent = client.post(
            f"/api/v1/portals/{pf.slug}/link/signups/{listed[0]['id']}/resend", headers=pf.headers()
        )
        assert resent.status_code == 200 and resent.json()["status"] == "pending", resent.text
        one = f"/api/v1/portals/{pf.slug}/link/signups/{listed[0]['id']}"
        r = client.delete(one, headers=pf.headers())
        assert (r.status_code, r.content) == (204, b"")
        removed = client.get(one, headers=pf.headers()).json()
        assert (removed["email"], removed["status"]) == ("ada@acme.com", "removed")
        listed = client.get(f"/api/v1/portals/{pf.slug}/link/signups", headers=pf.headers()).json()["items"]
        assert listed == [] and _link(client, pf)["pending"] == 0
        again = client.post(f"{one}/resend", headers=pf.headers())
        assert (again.status_code, again.json()["code"]) == (404, "signup_not_found")  # not pending
        worker.drain()
        _message, match = _mail(client, "ada@acme.com", "confirm")
        gone = client.get(f"/api/v1/links/confirm/{match.group(1)}")
        assert (gone.status_code, gone.json()["code"]) == (410, "confirmation_removed")
        assert "removed by the portal's admins" in gone.json()["detail"]

    def test_one_signup_with_its_confirmation_delivery(self, client, db, worker):
        """GET …/link/signups/{id}: the sign-up whatever its status, with its confirmation email's
        delivery (queued until the worker sends it, then sent), as the list and Resend give it;
        another portal's id is not found, and only the link's managers may ask."""
        pf = create_portal(db)
        token = _token(_link_on(client, pf)["url"])
        assert _signup(client, token, "ada@acme.com", name="Ada").status_code == 202
        listed = client.get(f"/api/v1/portals/{pf.slug}/link/signups", headers=pf.headers()).json()["items"]
        signup_id = listed[0]["id"]
        url = f"/api/v1/portals/{pf.slug}/link/signups/{signup_id}"
        one = client.get(url, headers=pf.headers())
        assert one.status_code == 200, one.text
        assert (one.json()["email"], one.json()["status"]) == ("ada@acme.com", "pending")
        assert one.json()["delivery"] == {"status": "queued", "error": None, "at": None}
        assert listed == [one.json()]
        worker.drain()
        sent = client.get(url, headers=pf.headers()).json()["delivery"]
        assert sent["status"] == "sent" and sent["at"] is not None
        resent = client.post(f"{url}/resend", headers=pf.headers()).json()
        assert resent["delivery"]["status"] == "queued"  # the new confirmation email, not yet sent
        other = create_portal(db, name="Other Co", owner_email="owner@other.com")
        missing = client.get(
            f"/api/v1/portals/{other.slug}/link/signups/{signup_id}", headers=other.headers()
        )
        assert (missing.status_code, missing.json()["code"]) == (404, "signup_not_found")
        member_joins(db, worker, pf, "mo@acme.com", role="member")
        login(client, "mo@acme.com")
        refused = client.get(url)
        assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied"), refused.text

    def test_refusals(self, client, db):
        """domain_not_allowed (422, field email), link_gone (410), bad input names the field."""
        pf = create_portal(db)
        on = client.patch(
            f"/api/v1/portals/{pf.slug}/link",
            json={"enabled": True, "allowed_domains": ["acme.com"]},
            headers=pf.headers(),
        )
        token = _token(on.json()["url"])
        r = _signup(client, token, "eve@acme.com.evil.example")
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "domain_not_allowed", "email")
        assert "acme.com" in r.json()["detail"]
        r = _signup(client, token, "not-an-address")
        assert (r.status_code, r.json()["field"]) == (422, "email")
        r = _signup(client, token, "ada@acme.con")  # the reason, a sentence of its own
        assert (r.status_code, r.json()["field"]) == (422, "email")
        assert r.json()["detail"] == "The domain looks mistyped. Did you mean ada@acme.com?"
        r = _signup(client, token, "ada@acme.com", password="short")
        assert r.status_code == 202  # a sign-up takes no password: it is chosen when confirming
        r = _signup(client, "no-such-token", "ada@acme.com")
        assert (r.status_code, r.json()["code"]) == (410, "link_gone")

    def test_every_fault_of_the_form_at_once(self, client, db):
        """A sign-up or a join request with several fields wrong names each in one answer
        (address, name, note; lengths included), and nothing is written."""
        from sqlalchemy import func, select

        from admit.links.models import LinkSignup
        from admit.workspaces.models import JoinRequest

        pf = create_portal(db)
        token = _token(_link_on(client, pf)["url"])
        r = _signup(client, token, "not-an-address", name=" ")
        assert (r.status_code, r.json()["code"]) == (422, "invalid_input"), r.text
        assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [
            ("email", "An email address must have an @-sign."),
            ("name", "Tell us your name."),
        ]
        r = _signup(client, token, "a" * 400 + "@example.com", name="N" * 201)
        assert [e["field"] for e in r.json()["errors"]] == ["email", "name"], r.text
        assert r.json()["errors"][1]["message"] == "At most 200 characters; this one has 201."

        _, link = _workspace_link(client, pf, "Q3 Audit", "flow")
        r = client.post(
            f"/api/v1/links/{_token(link['url'])}/join-requests",
            json={"email": "rita@", "name": "", "note": "n" * 1001},
        )
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["email", "name", "note"]
        with db.unit_of_work() as s:
            assert s.scalar(select(func.count()).select_from(LinkSignup)) == 0
            assert s.scalar(select(func.count()).select_from(JoinRequest)) == 0

    def test_same_answer_for_members_and_strangers(self, client, db, worker):
        """Signing up with a member's address answers exactly like a new address (no enumeration)."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        token = _token(_link_on(client, pf)["url"])
        known = _signup(client, token, "mel@acme.com")
        unknown = _signup(client, token, "newbie@acme.com")
        assert known.status_code == unknown.status_code == 202
        assert known.json().keys() == unknown.json().keys()
        assert known.json()["detail"].replace("mel", "X") == unknown.json()["detail"].replace("newbie", "X")


class TestWorkspaces:
    def test_workspace_link_and_join_requests(self, client, db, worker):
        """Create a workspace, share its link, ask to join, list, approve as client, decline."""
        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/workspaces",
            json={"name": "Q3 Audit", "kind": "flow"},
            headers=pf.headers(),
        )
        assert r.status_code == 201, r.text
        ws = r.json()
        link = client.post(
            f"/api/v1/portals/{pf.slug}/workspaces/{ws['id']}/link", headers=pf.headers()
        ).json()
        assert (link["kind"], link["workspace_id"]) == ("workspace", ws["id"])
        token = _token(link["url"])
        preview = client.get(f"/api/v1/links/{token}").json()
        assert (preview["kind"], preview["workspace"]["name"]) == ("workspace", "Q3 Audit")

        for email in ("rita@example.org", "sam@example.org"):
            r = client.post(
                f"/api/v1/links/{token}/join-requests", json={"email": email, "name": "R", "note": "hello"}
            )
            assert r.status_code == 202, r.text
        r = client.post(f"/api/v1/links/{token}/signup", json={"email": "x@example.org", "name": "X"})
        assert (r.status_code, r.json()["code"]) == (409, "workspace_link")

        pending = client.get(
            f"/api/v1/portals/{pf.slug}/join-requests?status=pending", headers=pf.headers()
        ).json()["items"]
        by_email = {p["email"]: p for p in pending}
        assert set(by_email) == {"rita@example.org", "sam@example.org"}
        assert by_email["rita@example.org"]["workspace"]["name"] == "Q3 Audit"

        r = client.post(
            f"/api/v1/portals/{pf.slug}/join-requests/{by_email['rita@example.org']['id']}/approve",
            json={"user_type": "client"},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["outcome"], r.json()["user_type"]) == (
            "approved",
            "invited",
            "client",
        )
        r = client.post(
            f"/api/v1/portals/{pf.slug}/join-requests/{by_email['sam@example.org']['id']}/decline",
            headers=pf.headers(),
        )
        assert r.json()["status"] == "declined"
        r = client.post(
            f"/api/v1/portals/{pf.slug}/join-requests/{by_email['sam@example.org']['id']}/approve",
            json={"user_type": "client"},
            headers=pf.headers(),
        )
        assert (r.status_code, r.json()["code"]) == (409, "join_request_not_pending")

        worker.drain()
        message, _ = _mail(client, "sam@example.org", "x")
        assert "could not approve your request" in message["text"]
        message, match = _mail(client, "rita@example.org", "invite")
        assert match and "Q3 Audit" in message["text"]
        panel = client.get(f"/api/v1/portals/{pf.slug}/workspaces/{ws['id']}/members", headers=pf.headers())
        # Made with an API key: no person created it, so Rita (Not Joined yet) is its only member.
        assert {m["user"]["email"]: m["status"] for m in panel.json()["items"]} == {
            "rita@example.org": "not_joined"
        }

    def test_member_cannot_approve_as_internal(self, client, db, worker):
        """An internal member approves as client only; outside their workspaces they get 404."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        csrf = login(client, "mel@acme.com")
        h = {"X-CSRF-Token": csrf}
        ws = client.post(f"/api/v1/portals/{pf.slug}/workspaces", json={"name": "Mel's"}, headers=h).json()
        other = client.post(
            f"/api/v1/portals/{pf.slug}/workspaces", json={"name": "Not Mel's"}, headers=pf.headers()
        ).json()
        refused = client.post(f"/api/v1/portals/{pf.slug}/workspaces/{other['id']}/link", headers=h)
        assert refused.status_code == 404
        made = client.post(f"/api/v1/portals/{pf.slug}/workspaces/{ws['id']}/link", headers=h)
        token = _token(made.json()["url"])
        client.post(f"/api/v1/links/{token}/join-requests", json={"email": "ivan@acme.com", "name": "Ivan"})
        request_id = client.get(f"/api/v1/portals/{pf.slug}/join-requests").json()["items"][0]["id"]
        r = client.post(
            f"/api/v1/portals/{pf.slug}/join-requests/{request_id}/approve",
            json={"user_type": "internal"},
            headers=h,
        )
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
        r = client.post(
            f"/api/v1/portals/{pf.slug}/join-requests/{request_id}/approve",
            json={"user_type": "client"},
            headers=h,
        )
        assert r.status_code == 200 and r.json()["user_type"] == "client"


def test_a_workspace_link_is_turned_off_and_limited_through_patch(client, db):
    """``PATCH …/workspaces/{id}/link`` takes the portal link's settings that a workspace link
    has (on/off, lifetime or expiry, never expires, domains, maximum); who joins as what is chosen
    on approval, so user type, role and products are refused (422 naming the field)."""
    pf = create_portal(db)
    ws, link = _workspace_link(client, pf, "Q3 Audit", "flow")
    path = f"/api/v1/portals/{pf.slug}/workspaces/{ws['id']}/link"
    body = {"enabled": False, "allowed_domains": ["Example.org"], "max_uses": 3, "lifetime_seconds": 7200}
    r = client.patch(path, json=body, headers=pf.headers())
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["status"], data["allowed_domains"], data["max_uses"], data["lifetime_seconds"]) == (
        "disabled",
        ["example.org"],
        3,
        7200,
    )
    assert client.get(f"/api/v1/links/{_token(link['url'])}").status_code == 410
    for field in ("user_type", "role", "products"):
        value = ["messaging"] if field == "products" else "client"
        refused = client.patch(path, json={field: value}, headers=pf.headers())
        assert refused.status_code == 422, refused.text
        assert field in json.dumps(refused.json()["errors"]), refused.text
