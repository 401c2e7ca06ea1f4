"""The invitations API contract (/api/v1), through the real app, on both backends."""

from __future__ import annotations

from datetime import datetime

import pytest

from admit.kit.text import moment_text
from admit.members import service as members_service
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    create_portal,
    login,
    member_joins,
    token_in,
)

PROBLEM = "application/problem+json"


def _invite(client, pf, recipients, **body):
    body = {"recipients": recipients, "user_type": "internal", **body}
    return client.post(f"/api/v1/portals/{pf.slug}/invitations", json=body, headers=pf.headers())


def _token_for(client, email):
    items = client.get("/api/v1/dev/messages", params={"to": email}).json()["items"]
    assert items, f"no mail to {email}"
    return token_in(items[0]["text"])


class TestCreate:
    def test_someone_already_invited_is_told_the_operation_that_resends(self, client, db):
        """A program inviting someone again was told to "use Reinvite" (the pages' button): the
        API names its own operation, with the invitation's id."""
        pf = create_portal(db)
        first = _invite(client, pf, ["ada@example.com"]).json()["results"][0]["invitation"]["id"]
        [again] = _invite(client, pf, ["ada@example.com"]).json()["results"]
        assert again["code"] == "already_invited", again
        assert again["detail"] == (
            "A pending invitation exists, as an internal user (Member);"
            f" use POST …/invitations/{first}/resend to send it again."
        ), again["detail"]

    def test_pasted_spreadsheet_rows_are_named_recipients(self, client, db):
        """Two columns pasted from a spreadsheet (Name ⇥ Email) invite each person by name."""
        pf = create_portal(db)
        r = _invite(client, pf, ["Ada Lovelace\tada@example.com\nGrace Hopper\tgrace@example.com"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["counts"] == {"invited": 2, "added": 0, "skipped": 0}
        assert [x["invitation"]["recipient_name"] for x in body["results"]] == [
            "Ada Lovelace",
            "Grace Hopper",
        ]

    def test_an_email_address_that_begins_with_a_plus_is_an_email(self, client, db):
        """``+x@client.org`` is a valid email address, not a phone number: it is invited by
        email (it was taken for a phone number and the SMS check raised: a 500)."""
        pf = create_portal(db)
        r = _invite(client, pf, ["+x@client.org"])
        assert r.status_code == 201, r.text
        (result,) = r.json()["results"]
        assert result["outcome"] == "invited", result
        from sqlalchemy import select

        from admit.notifications.models import Notification

        with db.unit_of_work() as session:
            channels = session.scalars(
                select(Notification.channel).where(Notification.to_address == "+x@client.org")
            ).all()
        assert channels == ["email"]

    def test_each_result_says_the_element_it_came_from(self, client, db):
        """An element may hold several recipients and a blank one holds none: each result says
        the element it came from (``index``) and a blank element has a result of its own (a
        tester's 15 elements had 14 results, none of them traceable to its element)."""
        pf = create_portal(db)
        recipients = [
            "ada@example.com",
            "bob@example.com;jim@example.com",
            "",
            "   ",
            "Grace Hopper\tgrace@example.com\nAlan Turing\talan@example.com",
            "nope",
        ]
        r = _invite(client, pf, recipients)
        assert r.status_code == 201, r.text
        results = r.json()["results"]
        assert [(x["index"], x["recipient"], x["outcome"], x["code"]) for x in results] == [
            (0, "ada@example.com", "invited", None),
            (1, "bob@example.com", "invited", None),
            (1, "jim@example.com", "invited", None),
            (2, "", "skipped", "invalid_recipient"),
            (3, "", "skipped", "invalid_recipient"),
            (4, "Grace Hopper <grace@example.com>", "invited", None),
            (4, "Alan Turing <alan@example.com>", "invited", None),
            (5, "nope", "skipped", "invalid_recipient"),
        ]
        assert results[3]["detail"] == results[4]["detail"] == "Enter an email address or phone number."
        assert {x["index"] for x in results} == set(range(len(recipients)))  # none left out
        assert r.json()["counts"] == {"invited": 5, "added": 0, "skipped": 3}

    def test_per_recipient_results(self, client, db):
        """201 with one result per recipient in order: invited ones carry the full Invitation,
        skipped ones their code; and the counts per outcome."""
        pf = create_portal(db)
        r = _invite(
            client, pf, ["Ada <ada@example.com>", "nope", "ada@example.com", pf.owner_email], role="admin"
        )
        assert r.status_code == 201
        body = r.json()
        assert body["counts"] == {"invited": 1, "added": 0, "skipped": 3}
        assert [x["outcome"] for x in body["results"]] == ["invited", "skipped", "skipped", "skipped"]
        inv = body["results"][0]["invitation"]
        for key in (
            "id",
            "recipient",
            "user_type",
            "role",
            "products",
            "status",
            "expires_at",
            "invited_by",
            "created_at",
            "last_sent_at",
            "send_count",
            "delivery_status",
        ):
            assert key in inv
        assert (inv["recipient"], inv["role"], inv["status"], inv["delivery_status"]) == (
            "ada@example.com",
            "admin",
            "pending",
            "queued",
        )
        assert inv["invited_by"]["email"] == pf.owner_email
        assert inv["invited_by_label"] == "Olive Owner"  # as User Management's Invited by says
        assert [(s["recipient"], s["code"]) for s in body["results"][1:]] == [
            ("nope", "invalid_recipient"),
            ("ada@example.com", "duplicate"),
            (pf.owner_email, "already_member"),
        ]

    def test_malformed_body_is_422_problem(self, client, db):
        """A malformed body gets 422 problem+json naming the field."""
        pf = create_portal(db)
        r = _invite(client, pf, ["a@example.com"], user_type="robot")
        assert r.status_code == 422
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["code"] == "invalid_input"
        assert r.json()["field"] == "user_type"
        r = _invite(client, pf, ["a@example.com"], products=["teleport"])
        assert (r.status_code, r.json()["field"]) == (422, "products")

    def test_every_fault_of_the_options_is_said_at_once(self, client, db):
        """A message too long, a role a client cannot have and products the portal lacks are
        all listed in ``errors``: only the first had been (the message, or the role)."""
        pf = create_portal(db)
        bogus = "Product(s) not enabled in this portal: bogus."
        r = _invite(client, pf, ["a@example.com"], message="x" * 2001, products=["billing", "bogus"])
        assert r.status_code == 422, r.text
        assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [
            ("products", bogus),
            ("message", "At most 2,000 characters; this one has 2,001."),
        ]
        r = _invite(client, pf, ["a@example.com"], user_type="client", role="admin", products=["bogus"])
        assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [
            ("role", "Clients always have the client role."),
            ("products", bogus),
        ]
        # A user type that is none does not hide the other faults (the products' had been dropped).
        r = _invite(client, pf, ["a@example.com"], user_type="robot", role="superuser", products=["nope"])
        assert [e["field"] for e in r.json()["errors"]] == ["user_type", "products", "role"], r.text
        assert (
            client.get(f"/api/v1/portals/{pf.slug}/invitations", headers=pf.headers()).json()["items"] == []
        )

    def test_no_credentials_is_401(self, client, db):
        """Without credentials: 401 problem+json; with a bad key: 401 invalid_api_key."""
        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/invitations", json={"recipients": ["a@b.org"], "user_type": "client"}
        )
        assert (r.status_code, r.json()["code"]) == (401, "not_authenticated")
        r = client.get(f"/api/v1/portals/{pf.slug}/invitations", headers={"Authorization": "Bearer adm_x_y"})
        assert (r.status_code, r.json()["code"]) == (401, "invalid_api_key")

    def test_other_portals_key_is_404(self, client, db):
        """A key of portal A asking about portal B gets 404, not 403."""
        a = create_portal(db)
        b = create_portal(db, name="Beta", owner_email="boss@beta.com")
        r = client.get(f"/api/v1/portals/{b.slug}/invitations", headers=a.headers())
        assert (r.status_code, r.json()["code"]) == (404, "portal_not_found")

    def test_member_session_cannot_invite_internal(self, client, db, worker):
        """A member signed in by cookie gets 403 for internal invitations and may invite clients."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        csrf = login(client, "mel@acme.com")
        url = f"/api/v1/portals/{pf.slug}/invitations"
        r = client.post(
            url,
            json={"recipients": ["x@example.org"], "user_type": "internal"},
            headers={"X-CSRF-Token": csrf},
        )
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
        r = client.post(
            url, json={"recipients": ["x@example.org"], "user_type": "client"}, headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == 201 and r.json()["counts"]["invited"] == 1

    def test_cookie_changes_need_csrf(self, client, db):
        """A cookie-authenticated change without X-CSRF-Token is refused (403 csrf_failed)."""
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/invitations", json={"recipients": ["a@b.org"], "user_type": "client"}
        )
        assert (r.status_code, r.json()["code"]) == (403, "csrf_failed")
        assert client.get(f"/api/v1/portals/{pf.slug}/invitations").status_code == 200


class TestListAndManage:
    def test_list_filters_and_pages(self, client, db):
        """GET invitations filters by status and pages with next_cursor."""
        pf = create_portal(db)
        _invite(client, pf, [f"p{i}@example.com" for i in range(5)])
        first = client.get(
            f"/api/v1/portals/{pf.slug}/invitations", params={"limit": 3}, headers=pf.headers()
        ).json()
        assert len(first["items"]) == 3 and first["next_cursor"]
        rest = client.get(
            f"/api/v1/portals/{pf.slug}/invitations",
            params={"limit": 3, "cursor": first["next_cursor"]},
            headers=pf.headers(),
        ).json()
        assert len(rest["items"]) == 2 and rest["next_cursor"] is None
        seen = {i["recipient"] for i in first["items"] + rest["items"]}
        assert seen == {f"p{i}@example.com" for i in range(5)}
        none = client.get(
            f"/api/v1/portals/{pf.slug}/invitations", params={"status": "accepted"}, headers=pf.headers()
        )
        assert none.json()["items"] == []

    def test_list_searches_as_user_management_does(self, client, db):
        """``q`` finds invitations by name, email or (three digits or more) phone number, any
        case, an accented letter too ("ÉMILE": SQLite's LIKE folds A–Z only), as the people
        list and User Management search (``invitations.repository.matching``); with the other
        filters, and paged; nothing matching is an empty page."""
        pf = create_portal(db)
        typed = ["Émile Zola <emile@example.com>", "Ada Lovelace <ada@example.com>", "+1 202 555 0173"]
        assert _invite(client, pf, typed).status_code == 201

        def found(q, **params):
            r = client.get(
                f"/api/v1/portals/{pf.slug}/invitations", params={"q": q, **params}, headers=pf.headers()
            )
            assert r.status_code == 200, r.text
            return [i["recipient"] for i in r.json()["items"]]

        for q in ("lovelace", "ADA@EX", " ada ", "ada lovelace"):
            assert found(q) == ["ada@example.com"], q
        for q in ("ÉMILE", "émile zola", "Émile"):
            assert found(q) == ["emile@example.com"], q
        assert found("(202) 555-0173") == found("5550173") == ["+12025550173"]
        assert found("example.com", limit=1)  # paged as ever
        assert sorted(found("example.com")) == ["ada@example.com", "emile@example.com"]
        assert found("nobody-by-this-name") == []
        assert found("ada", status="revoked") == []
        assert len(found("")) == 3  # an empty search is no filter

    def test_resend_and_revoke(self, client, db, worker):
        """Resend bumps send_count; revoke makes it revoked; resend then is 409 invitation_not_pending."""
        pf = create_portal(db)
        inv = _invite(client, pf, ["ada@example.com"]).json()["results"][0]["invitation"]
        base = f"/api/v1/portals/{pf.slug}/invitations/{inv['id']}"
        r = client.post(f"{base}/resend", headers=pf.headers())
        assert (r.status_code, r.json()["send_count"]) == (200, 2)
        assert client.post(f"{base}/revoke", headers=pf.headers()).json()["status"] == "revoked"
        r = client.post(f"{base}/resend", headers=pf.headers())
        assert (r.status_code, r.json()["code"]) == (409, "invitation_not_pending")
        assert client.get(base, headers=pf.headers()).json()["status"] == "revoked"

    def test_revoking_twice_is_nothing_to_do_and_an_accepted_one_is_refused(self, client, db, worker):
        """Revoke again: 200 with the invitation, unchanged, and no second audit event (as
        deactivating a deactivated member; it was 409); an accepted invitation: 409."""
        pf = create_portal(db)
        inv = _invite(client, pf, ["ada@example.com", "bo@example.com"]).json()["results"]
        ada, bo = (r["invitation"] for r in inv)
        base = f"/api/v1/portals/{pf.slug}/invitations"
        first = client.post(f"{base}/{ada['id']}/revoke", headers=pf.headers())
        again = client.post(f"{base}/{ada['id']}/revoke", headers=pf.headers())
        assert (again.status_code, again.json()) == (200, first.json())
        events = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers()).json()["items"]
        assert [e["action"] for e in events].count("invitation.revoked") == 1
        worker.drain()
        token = _token_for(client, "bo@example.com")
        accepted = client.post(
            f"/api/v1/invitations/{token}/accept", json={"name": "Bo", "password": PASSWORD}
        )
        assert accepted.status_code == 200, accepted.text
        client.cookies.clear()
        refused = client.post(f"{base}/{bo['id']}/revoke", headers=pf.headers())
        assert (refused.status_code, refused.json()["code"]) == (409, "invitation_not_pending")

    def test_audit_events(self, client, db):
        """Every change writes an audit event with actor, action, target and IP."""
        pf = create_portal(db)
        inv = _invite(client, pf, ["ada@example.com"]).json()["results"][0]["invitation"]
        client.post(f"/api/v1/portals/{pf.slug}/invitations/{inv['id']}/revoke", headers=pf.headers())
        items = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers()).json()["items"]
        actions = [e["action"] for e in items]
        assert actions[:2] == ["invitation.revoked", "invitation.created"]
        assert items[0]["target_label"] == "ada@example.com"
        assert items[0]["ip"] == "127.0.0.1"  # the test client comes from this machine (tests/conftest.py)
        assert items[0]["actor_label"].startswith("api key")


class TestPublicToken:
    def test_a_common_password_is_refused_at_accept(self, client, db, worker):
        """NIST SP 800-63B: a password from the common-password list is refused, naming the
        field; the invitation stays open for a better one."""
        pf = create_portal(db)
        _invite(client, pf, ["ada@example.com"], role="admin")
        worker.drain()
        token = _token_for(client, "ada@example.com")
        for common in ("password1234", "QwertyUiop", "1234567890", "password1"):
            r = client.post(f"/api/v1/invitations/{token}/accept", json={"name": "Ada", "password": common})
            assert r.status_code == 422, (common, r.text)
            assert r.json()["field"] == "password" and "common" in r.json()["detail"], r.text
        r = client.post(f"/api/v1/invitations/{token}/accept", json={"name": "Ada", "password": PASSWORD})
        assert r.status_code == 200, r.text

    def test_preview_and_accept(self, client, db, worker):
        """Preview shows portal, inviter, recipient; accept signs in and the session works."""
        pf = create_portal(db)
        _invite(client, pf, ["ada@example.com"], role="admin")
        worker.drain()
        token = _token_for(client, "ada@example.com")
        r = client.get(f"/api/v1/invitations/{token}")
        assert r.status_code == 200
        assert r.headers["referrer-policy"] == "no-referrer"
        p = r.json()
        assert (
            p["portal"]["name"],
            p["inviter"],
            p["recipient"],
            p["user_type"],
            p["password_required"],
        ) == ("Acme Inc", "Olive Owner", "ada@example.com", "internal", True)
        r = client.post(
            f"/api/v1/invitations/{token}/accept",
            json={"name": "Ada", "password": PASSWORD, "role": "owner", "user_type": "client"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["member"]["role"], body["member"]["user_type"], body["member"]["status"]) == (
            "admin",
            "internal",
            "active",
        )
        assert "admit_session" in r.cookies or client.cookies.get("admit_session")
        # Signed in as Ada (an admin now): the session cookie reaches the portal API.
        r = client.get(f"/api/v1/portals/{pf.slug}/members", params={"status": "active"})
        assert {m["user"]["email"] for m in r.json()["items"]} == {"ada@example.com", pf.owner_email}

    @pytest.mark.parametrize("path", ["", "/accept"])
    def test_unknown_token_is_410_like_any_dead_link(self, client, db, path):
        """An unknown token gets the answer every dead link gets (410 invitation_gone), the
        same for GET and POST."""
        method = client.get if not path else client.post
        kwargs = {} if not path else {"json": {}}
        r = method(f"/api/v1/invitations/{'x' * 43}{path}", **kwargs)
        assert (r.status_code, r.json()["code"]) == (410, "invitation_gone")
        assert r.headers["content-type"].startswith(PROBLEM)

    def test_a_dead_link_says_which_case_it_is_and_an_unknown_one_says_nothing(self, client, db, worker):
        """The tester: every dead invitation link read the same ("can no longer be used… look for
        a newer email"). Its holder has the secret, so it says which case it is, who invited
        them to which portal and the next step; a token that opens nothing gets the one answer
        every unknown token gets (no enumeration). All remain 410 ``invitation_gone``."""
        from datetime import timedelta

        from admit.invitations.service import DEAD_LINK
        from admit.kit import clock

        pf = create_portal(db)
        people = ["u@example.com", "r@example.com", "e@example.com", "s@example.com"]
        invs = _invite(client, pf, people, user_type="client").json()
        worker.drain()
        tokens = {e: _token_for(client, e) for e in people}
        ids = {x["recipient"]: x["invitation"]["id"] for x in invs["results"]}
        assert (
            client.post(f"/api/v1/invitations/{tokens['u@example.com']}/accept", json={}).status_code == 200
        )
        client.cookies.clear()
        client.post(
            f"/api/v1/portals/{pf.slug}/invitations/{ids['r@example.com']}/revoke", headers=pf.headers()
        )
        with clock.travel(timedelta(minutes=2)):  # past the per-person minute
            resent = client.post(
                f"/api/v1/portals/{pf.slug}/invitations/{ids['s@example.com']}/resend", headers=pf.headers()
            )
            assert resent.status_code == 200, resent.text
        expires_on = invs["results"][2]["invitation"]["expires_at"]
        answers = {
            "used": client.get(f"/api/v1/invitations/{tokens['u@example.com']}"),
            "revoked": client.get(f"/api/v1/invitations/{tokens['r@example.com']}"),
            "superseded": client.get(f"/api/v1/invitations/{tokens['s@example.com']}"),
            "unknown": client.get(f"/api/v1/invitations/{'x' * 43}"),
        }
        with clock.travel(timedelta(days=11)):
            answers["expired"] = client.post(f"/api/v1/invitations/{tokens['e@example.com']}/accept", json={})
        assert {(r.status_code, r.json()["code"]) for r in answers.values()} == {(410, "invitation_gone")}
        said = {case: r.json()["detail"] for case, r in answers.items()}
        assert said["unknown"] == DEAD_LINK
        assert len(set(said.values())) == 5, said
        inviter = invs["results"][0]["invitation"]["invited_by_label"] or "Acme Inc"
        for case in ("used", "revoked", "superseded", "expired"):
            assert "Acme Inc" in said[case] and inviter in said[case], (case, said[case])
        assert "already used" in said["used"] and "sign in" in said["used"]
        assert (
            "to join Acme Inc was cancelled." in said["revoked"]
            and f"Ask {inviter} for a new invitation" in said["revoked"]
        )
        assert "newer invitation" in said["superseded"] and "newest email" in said["superseded"]
        day = expires_on[:10]
        # The API names its request endpoint, as the page offers Request a new invitation (it
        # said "Ask … for a new invitation." only); the code stays invitation_gone.
        assert "expired on" in said["expired"] and said["expired"].endswith(
            " Request a new invitation: POST /api/v1/invitations/{token}/request-new asks "
            f"{inviter} to send you a new one."
        ), said["expired"]
        assert str(int(day[8:])) in said["expired"], (day, said["expired"])
        # and for programs: the case, in the invitation's own words (none for an unknown token)
        cases = {case: r.json().get("reason") for case, r in answers.items()}
        assert cases == {
            "used": "accepted", "revoked": "revoked", "superseded": "replaced", "expired": "expired",
            "unknown": None,
        }, cases  # fmt: skip

    def test_an_invitation_its_inviter_can_no_longer_grant_is_410(self, client, db, worker):
        """Admin X invites V as admin and is deactivated: the API preview, the API accept and
        the invitation page all say invitation_not_grantable, and V does not join."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "xavier@acme.com", role="admin")
        csrf = login(client, "xavier@acme.com")
        r = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": ["vic@example.com"], "user_type": "internal", "role": "admin"},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 201, r.text
        client.cookies.clear()
        worker.drain()
        token = _token_for(client, "vic@example.com")
        members = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
        xavier = next(m for m in members if m["user"]["email"] == "xavier@acme.com")
        client.post(f"/api/v1/portals/{pf.slug}/members/{xavier['id']}/deactivate", headers=pf.headers())
        shown = client.get(f"/api/v1/invitations/{token}")
        used = client.post(f"/api/v1/invitations/{token}/accept", json={"name": "Vic", "password": PASSWORD})
        for r in (shown, used):
            assert (r.status_code, r.json()["code"]) == (410, "invitation_not_grantable"), r.text
            assert "no longer has access" in r.json()["detail"]
        page = client.get(f"/invite/{token}")
        assert page.status_code == 410 and "no longer has access" in page.text
        members = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
        assert "vic@example.com" not in [m["user"]["email"] for m in members]

    def test_link_uses_public_url_not_host_header(self, client, db, worker, settings):
        """Links in emails come from ADMIT_PUBLIC_URL, whatever Host the request had."""
        pf = create_portal(db)
        client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": ["a@example.com"], "user_type": "client"},
            headers={**pf.headers(), "Host": "evil.example"},
        )
        worker.drain()
        text = client.get("/api/v1/dev/messages", params={"to": "a@example.com"}).json()["items"][0]["text"]
        assert f"{settings.public_url}/invite/" in text
        assert "evil.example" not in text


class TestSessions:
    def test_login_error_is_the_same_for_unknown_and_wrong(self, client, db):
        """Sign-in never tells whether an email has an account."""
        pf = create_portal(db)
        a = client.post(
            "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "whatever-123"}
        )
        b = client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": "whatever-123"})
        assert a.status_code == b.status_code == 401
        assert a.json()["detail"] == b.json()["detail"]
        assert a.json()["code"] == b.json()["code"] == "invalid_credentials"

    def test_session_cookie_flags(self, client, db):
        """The session cookie is HttpOnly and SameSite=Lax."""
        pf = create_portal(db)
        r = client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD})
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie

    def test_deactivation_ends_access_in_that_portal_only(self, client, db, worker):
        """A deactivated member loses the portal at once (403 ``member_deactivated`` on their next
        request, session and all), and only that portal: they stay signed in to the others."""
        pf = create_portal(db)
        other = create_portal(db, name="Globex", owner_email="owner@globex.com")
        member_joins(db, worker, pf, "mel@acme.com")
        with db.unit_of_work() as session:  # Mel belongs to Globex too
            members_service.activate(
                session,
                portal_id=other.portal_id,
                user_id=members_service.get_user_by_email(session, "mel@acme.com").id,
                user_type="internal",
                role="member",
                products=[],
                via="invitation",
            )
        login(client, "mel@acme.com")
        assert client.get(f"/api/v1/portals/{pf.slug}/members").status_code == 200
        assert client.get(f"/api/v1/portals/{other.slug}/members").status_code == 200
        mel = next(
            m
            for m in client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
            if m["user"]["email"] == "mel@acme.com"
        )
        r = client.post(f"/api/v1/portals/{pf.slug}/members/{mel['id']}/deactivate", headers=pf.headers())
        assert r.json()["status"] == "deactivated"
        r = client.get(f"/api/v1/portals/{pf.slug}/members")
        assert (r.status_code, r.json()["code"]) == (403, "member_deactivated")  # closed at once
        assert client.get(f"/api/v1/portals/{other.slug}/members").status_code == 200  # still signed in
        r = client.get(f"/p/{pf.slug}/users", follow_redirects=False)
        assert r.status_code == 403 and "ended your access to Acme Inc" in r.text

    def test_rate_limited_sign_in(self, client, db, rate_limits):
        """Sign-in attempts are rate limited per address (429 rate_limited)."""
        pf = create_portal(db)
        codes = [
            client.post(
                "/api/v1/auth/login", json={"email": pf.owner_email, "password": "wrong-password"}
            ).status_code
            for _ in range(11)
        ]
        assert codes[:10] == [401] * 10
        assert codes[10] == 429


class TestRecipientsCheck:
    def test_each_recipient_as_the_box_will_read_it(self, client, db):
        from tests.factories import create_portal

        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/recipients/check",
            json={"text": "Ada Lovelace <ada@example.com>, typo@gmial.com\nnot-an-address; ADA@example.com"},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [(i["address"], i["duplicate"]) for i in items] == [
            ("ada@example.com", False),
            (None, False),
            (None, False),
            ("ada@example.com", True),
        ]
        assert items[0]["name"] == "Ada Lovelace"
        assert items[1]["suggestion"] == "typo@gmail.com" and "Did you mean" in items[1]["error"]
        assert items[2]["error"] and items[2]["suggestion"] is None
        assert [i["skip"] for i in items] == [None] * 4

    def test_it_says_whom_send_would_invite(self, client, db):
        """``sendable``: Send would invite this recipient (an address, not to fix, not listed
        before, not skipped): what the Invite box counts on its Send, so that the page never
        decides it again."""
        from tests.factories import create_portal

        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/recipients/check",
            json={"text": f"ada@example.com, x@@y.com, ADA@example.com, {pf.owner_email}, +1 202 555 0173"},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        assert [(i["text"], i["sendable"]) for i in r.json()["items"]] == [
            ("ada@example.com", True),
            ("x@@y.com", False),
            ("ADA@example.com", False),
            (pf.owner_email, False),
            ("+1 202 555 0173", True),
        ]
        # And where each is counted (the box's "2 to invite · 1 to fix · 1 listed twice · 1 will
        # be skipped"): the server's word, so the page counts nothing itself.
        assert [i["state"] for i in r.json()["items"]] == [
            "to_invite", "to_fix", "listed_twice", "skipped", "to_invite",
        ]  # fmt: skip

    def test_one_persons_text_left_empty_is_said_as_send_says_it(self, client, db):
        """A Contacts dialog's Next went on with the address empty (the check found no one in
        "" and said nothing). ``one``: the text is one person's, so an empty one is that person's
        address, refused as Send refuses it ("Enter an email address or phone number."); without, nobody."""
        from tests.factories import create_portal

        pf = create_portal(db)
        check = f"/api/v1/portals/{pf.slug}/recipients/check"
        for text in ("", "   "):
            r = client.post(check, json={"text": text, "one": True}, headers=pf.headers())
            assert r.status_code == 200, r.text
            said = [(i["address"], i["error"]) for i in r.json()["items"]]
            assert said == [(None, "Enter an email address or phone number.")], said
            assert client.post(check, json={"text": text}, headers=pf.headers()).json()["items"] == []
        r = client.post(check, json={"text": "ada@example.com", "one": True}, headers=pf.headers())
        assert [(i["address"], i["error"]) for i in r.json()["items"]] == [("ada@example.com", None)]

    def test_a_pasted_row_with_a_bad_address_is_one_row_to_fix(self, client, db):
        """ "Eve Eng ⇥ not-an-email" pasted was two rows to fix, "Eve Eng" said to need an @-sign:
        it is one, its error on the address, named with the person; Send counts it once."""
        from tests.factories import create_portal

        pf = create_portal(db)
        text = "Eve Eng\tnot-an-email\nAda Able\tada@example.com"
        r = client.post(
            f"/api/v1/portals/{pf.slug}/recipients/check", json={"text": text}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [(i["name"], i["state"]) for i in items] == [("Eve Eng", "to_fix"), ("Ada Able", "to_invite")]
        assert items[0]["text"] == "Eve Eng <not-an-email>" and "@" in items[0]["error"], items[0]
        sent = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": [text], "user_type": "client"},
            headers=pf.headers(),
        )
        assert sent.json()["counts"] == {"invited": 1, "added": 0, "skipped": 1}, sent.text

    def test_a_name_too_long_is_refused_before_send_as_send_refuses_it(self, client, db):
        """The tester: a 210-letter name made a fine chip ("1 to invite"), then Send refused it
        ("The name is at most 200 characters"). The check says it first, as an error."""
        from tests.factories import create_portal

        pf = create_portal(db)
        text = f"{'W' * 201} <long@example.com>, {'W' * 200} <fits@example.com>"
        r = client.post(
            f"/api/v1/portals/{pf.slug}/recipients/check", json={"text": text}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [(i["address"], i["error"], i["skip"]) for i in items] == [
            ("long@example.com", "The name is at most 200 characters.", None),
            ("fits@example.com", None, None),
        ]
        sent = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": [items[0]["text"]], "user_type": "client"},
            headers=pf.headers(),
        )
        assert "The name is at most 200 characters." in sent.text, sent.text

    def test_it_gives_each_address_as_the_pages_show_it(self, client, db):
        """``shown``: a number spaced, as every page shows one (the Invite box's chip said
        "+12025550173", as it is stored); an email address as it is; null for no address."""
        from tests.factories import create_portal

        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/recipients/check",
            json={"text": "+1 (202) 555-0173, Pat <+12025550174>, ada@example.com, bad@"},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        assert [(i["address"], i["shown"]) for i in r.json()["items"]] == [
            ("+12025550173", "+1 202-555-0173"),
            ("+12025550174", "+1 202-555-0174"),
            ("ada@example.com", "ada@example.com"),
            (None, None),
        ]

    def test_it_says_which_addresses_look_like_a_colleagues(self, client, db, worker):
        """An address at the company domain of the inviter's own address, or of one of the
        portal's internal users', is ``colleague`` (the workspace Invite panel offers Invite New
        Internal User for it); one at a client's domain, a personal mail service's (gmail.com)
        or a phone number is not."""
        from tests.factories import create_portal, member_joins

        pf = create_portal(db, name="Acme Widgets", owner_email="olive@acmewidgets.com")
        member_joins(db, worker, pf, "mel@acme-labs.io")
        member_joins(db, worker, pf, "cleo@clientco.com", user_type="client")
        member_joins(db, worker, pf, "gus@gmail.com")
        text = "tom@AcmeWidgets.com, zoe@clientco.com, amy@gmail.com, rae@acme-labs.io, +1 202 555 0173, bad@"
        r = client.post(
            f"/api/v1/portals/{pf.slug}/recipients/check", json={"text": text}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        assert [i["colleague"] for i in r.json()["items"]] == [True, False, False, True, False, False]

    def test_it_says_whom_send_would_skip_and_why(self, client, db, worker):
        """A member (yourself included), someone already invited, a number from a country the
        portal does not text: marked before Send, as Send decides it (they read "to invite")."""
        from tests.factories import create_portal, invite, member_joins

        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        invite(db, pf, ["cleo@client.org"], user_type="client")
        r = client.post(
            f"/api/v1/portals/{pf.slug}/recipients/check",
            json={
                "text": "owner@acme.com, Mel <MEL@acme.com>, cleo@client.org, new@client.org, cleo@client.org"
            },
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [(i["address"], i["skip"], i["duplicate"]) for i in items] == [
            ("owner@acme.com", "already_member", False),
            ("mel@acme.com", "already_member", False),
            ("cleo@client.org", "already_invited", False),
            ("new@client.org", None, False),
            ("cleo@client.org", None, True),  # listed twice says it; the first says the skip
        ]
        assert items[0]["detail"] == "This person is already in the portal."
        assert "use Reinvite" in items[2]["detail"]  # the button's word (seed 004)
        sent = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": [i["text"] for i in items], "user_type": "client"},
            headers=pf.headers(),
        ).json()
        assert sent["counts"]["invited"] == 1  # the one the check left unmarked


class TestWhatAcceptingAsks:
    def test_the_email_says_what_accepting_will_ask_by_the_portal_policy(self, client, db, worker):
        """A client of a portal that asks no password is told the link signs them in; once the
        portal requires a password, or two-step verification, the email says so instead (both
        parts, text and HTML); an internal user is told of two-step verification only."""
        pf = create_portal(db)

        def email_to(address: str, user_type: str = "client") -> tuple[str, str]:
            body = {"recipients": [address], "user_type": user_type}
            if user_type == "internal":
                body["role"] = "member"
            r = client.post(f"/api/v1/portals/{pf.slug}/invitations", json=body, headers=pf.headers())
            assert r.status_code == 201, r.text
            worker.drain()
            [item] = client.get("/api/v1/dev/messages", params={"to": address}).json()["items"]
            return item["text"], item["html"]

        def policy(**sign_in) -> None:
            r = client.patch(f"/api/v1/portals/{pf.slug}/settings", json=sign_in, headers=pf.headers())
            assert r.status_code == 200, r.text

        text, html = email_to("ada@example.org")
        assert "No password is needed: the link signs you in." in text and "No password is needed" in html
        assert "two-step" not in text

        policy(client_sign_in={"require_password": True})
        text, html = email_to("bea@example.org")
        assert "No password" not in text and "No password" not in html
        assert "Accepting asks you for a password." in text and "Accepting asks you for a password." in html

        policy(client_sign_in={"require_two_factor": True})
        text, _html = email_to("cy@example.org")
        assert (
            "Accepting asks you for a password and sets up two-step verification with an authenticator app."
            in text
        )
        policy(client_sign_in={"require_password": False})
        text, _html = email_to("dee@example.org")
        assert (
            "No password is needed: the link signs you in. You will then set up two-step verification" in text
        )

        text, _html = email_to("eve@example.org", "internal")
        assert "password" not in text.lower().replace("eve@example.org", "")
        policy(internal_sign_in={"require_two_factor": True})
        text, _html = email_to("fay@example.org", "internal")
        assert "sets up two-step verification" in text

    def test_someone_whose_account_has_a_password_is_told_to_sign_in_with_it(self, client, db, worker):
        """Accepting asks an account with a password to sign in first (an invitation never sets
        it): the email says so, not "No password is needed", and so does a resend. An address
        with no account, in the same request, still reads the portal's policy."""
        pf = create_portal(db)
        other = create_portal(db, name="Other Co", owner_email="olga@other.org")
        base = f"/api/v1/portals/{pf.slug}/invitations"
        r = client.post(
            base,
            json={
                "recipients": [other.owner_email, "+14155550123", "ada@example.org"],
                "user_type": "client",
            },
            headers=pf.headers(),
        )
        assert r.status_code == 201, r.text
        worker.drain()
        words = "You already have an account: sign in with your password to accept."

        def newest(address: str) -> dict:
            return client.get("/api/v1/dev/messages", params={"to": address}).json()["items"][0]

        mail = newest(other.owner_email)
        assert words in mail["text"] and words in mail["html"]
        assert "No password" not in mail["text"] and "No password" not in mail["html"]
        # The inviter gave no name: the account's own greets them; an address with none, nothing.
        assert mail["text"].startswith("Hello Olive Owner,")
        assert newest("ada@example.org")["text"].startswith("Hello,")
        assert "No password is needed" in newest("ada@example.org")["text"]
        assert words not in newest("ada@example.org")["text"]

        olga = next(i for i in r.json()["results"] if i["recipient"] == other.owner_email)
        r = client.post(f"{base}/{olga['invitation']['id']}/resend", headers=pf.headers())
        assert r.status_code == 200, r.text
        worker.drain()
        resent = newest(other.owner_email)
        assert resent["id"] != mail["id"] and words in resent["text"]

        # And the page the link opens asks the same: sign in to accept.
        page = client.get(f"/invite/{token_in(resent['text'])}")
        assert "Sign in to accept" in page.text

    def test_a_password_the_portal_does_not_ask_a_client_for_is_refused(self, client, db, worker):
        """A client of a portal that asks clients for no password accepts by the link alone: a
        password sent anyway is refused, 422 naming ``password`` (it was set silently, and the
        account, now one with a password, got no sign-in links); nothing is used up, and the
        same link then joins without one, leaving the account passwordless."""
        pf = create_portal(db)
        r = _invite(client, pf, ["carl@example.org"], user_type="client")
        assert r.status_code == 201, r.text
        worker.drain()
        token = _token_for(client, "carl@example.org")
        assert client.get(f"/api/v1/invitations/{token}").json()["password_required"] is False
        r = client.post(f"/api/v1/invitations/{token}/accept", json={"name": "Carl", "password": PASSWORD})
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "password"
        assert r.json()["detail"] == "This portal signs clients in by email link; no password is needed."
        assert client.get(f"/api/v1/invitations/{token}").status_code == 200  # still open
        r = client.post(f"/api/v1/invitations/{token}/accept", json={"name": "Carl", "password": ""})
        assert r.status_code == 200, r.text
        with db.unit_of_work() as session:
            assert members_service.get_user_by_address(session, "carl@example.org").password_hash is None

    def test_the_refusal_says_a_text_link_to_a_client_invited_by_phone(self, client, db, worker):
        """The same refusal for a client invited by phone: their links come by text message, so it
        does not tell them of an email link."""
        from tests.factories import invite, last_link

        pf = create_portal(db)
        invite(db, pf, ["+12025550173"], user_type="client")
        worker.drain()
        token = last_link(db, "+12025550173")
        r = client.post(f"/api/v1/invitations/{token}/accept", json={"name": "Pat", "password": PASSWORD})
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "password"
        assert r.json()["detail"] == (
            "This portal signs clients in by a link sent by text message; no password is needed."
        )

    def test_the_expiry_is_written_in_the_portals_time_zone(self, client, db, worker):
        """Set to Europe/Paris, the invitation email's expiry reads in Paris time (CET in winter)."""
        pf = create_portal(db)
        r = client.patch(
            f"/api/v1/portals/{pf.slug}/settings", json={"time_zone": "Europe/Paris"}, headers=pf.headers()
        )
        assert r.status_code == 200, r.text
        r = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            json={"recipients": ["ada@example.org"], "user_type": "client"},
            headers=pf.headers(),
        )
        assert r.status_code == 201, r.text
        expires = datetime.fromisoformat(r.json()["results"][0]["invitation"]["expires_at"])
        worker.drain()
        [item] = client.get("/api/v1/dev/messages", params={"to": "ada@example.org"}).json()["items"]
        assert f"It expires on {moment_text(expires, 'Europe/Paris')}." in item["text"]
        assert moment_text(expires, "Europe/Paris").endswith((" CET", " CEST"))
        # The page the link opens says the same moment, in the same words (it said UTC).
        page = client.get(f"/invite/{token_in(item['text'])}")
        said = f'This invitation expires on <time datetime="{expires.isoformat()}">'
        assert f"{said}{moment_text(expires, 'Europe/Paris')}</time>." in page.text


class TestRequestNew:
    """The tester: an expired or revoked invitation's page said "Ask Olivia Owner for a new
    invitation" and gave no way to. An expired one's holder asks from the page (or the API):
    whoever invited them gets an email with a link to Reinvite them, once a day, audited."""

    def test_an_expired_invitations_holder_asks_its_inviter_once_a_day(self, client, db, worker):
        from datetime import timedelta

        pf = create_portal(db)
        _invite(
            client, pf, ["Theo <theo@client.org>", "rita@client.org", "sam@client.org"], user_type="client"
        )
        worker.drain()
        theo, rita, sam = (
            _token_for(client, a) for a in ("theo@client.org", "rita@client.org", "sam@client.org")
        )
        invitations = client.get(f"/api/v1/portals/{pf.slug}/invitations", headers=pf.headers()).json()[
            "items"
        ]
        ids = {i["recipient"]: i["id"] for i in invitations}
        revoked = client.post(
            f"/api/v1/portals/{pf.slug}/invitations/{ids['rita@client.org']}/revoke", headers=pf.headers()
        )
        assert revoked.status_code == 200, revoked.text
        live = client.post(f"/api/v1/invitations/{sam}/request-new")
        assert (live.status_code, live.json()["code"]) == (409, "conflict"), live.text
        with db.context.clock.travel(timedelta(days=40)):
            before = client.get("/api/v1/dev/messages", params={"to": pf.owner_email}).json()["items"]
            asked = client.post(f"/api/v1/invitations/{theo}/request-new")
            assert asked.status_code == 202, asked.text
            assert asked.json() == {
                "inviter": "Olive Owner",
                "sent": True,
                "detail": "We've asked Olive Owner to send you a new invitation.",
            }
            again = client.post(f"/api/v1/invitations/{theo}/request-new")
            assert again.status_code == 202 and again.json()["sent"] is False, again.text
            worker.drain()
            mail = client.get("/api/v1/dev/messages", params={"to": pf.owner_email}).json()["items"]
            assert len(mail) == len(before) + 1, mail
            assert mail[0]["subject"] == "Theo asks for a new invitation to Acme Inc"
            assert "status=expired" in mail[0]["text"] and "q=theo%40client.org" in mail[0]["text"]
            gone = client.post(f"/api/v1/invitations/{rita}/request-new")
            assert (gone.status_code, gone.json()["reason"]) == (410, "revoked"), gone.text
            unknown = client.post("/api/v1/invitations/not-a-token/request-new")
            assert unknown.status_code == 410 and "reason" not in unknown.json()
        events = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers()).json()["items"]
        requested = [e for e in events if e["action"] == "invitation.new_requested"]
        assert [e["summary"] for e in requested] == [
            "theo@client.org asked for a new invitation (theirs had expired)"
        ], requested

    def test_once_in_24_hours_from_the_last_request_not_once_a_utc_day(self, client, db, worker):
        """Asked at 23:30 UTC, asking again at 00:30 (another UTC day) sent a second message: the
        limit is 24 hours from the last request, whatever the date."""
        from datetime import UTC, timedelta

        pf = create_portal(db)
        _invite(client, pf, ["theo@client.org"], user_type="client")
        worker.drain()
        theo = _token_for(client, "theo@client.org")
        later = datetime.now(UTC) + timedelta(days=40)
        late_evening = later.replace(hour=23, minute=30) - datetime.now(UTC)

        def ask(after: timedelta) -> bool:
            with db.context.clock.travel(late_evening + after):
                asked = client.post(f"/api/v1/invitations/{theo}/request-new")
            assert asked.status_code == 202, asked.text
            return asked.json()["sent"]

        assert ask(timedelta(0)) is True
        assert ask(timedelta(hours=1)) is False  # 00:30, the next UTC day
        assert ask(timedelta(hours=23, minutes=59)) is False
        assert ask(timedelta(hours=24, minutes=1)) is True  # 24 hours on: asked again
        assert ask(timedelta(hours=25)) is False  # and the 24 hours run from then
        with db.context.clock.travel(late_evening + timedelta(hours=26)):
            worker.drain()
        mail = client.get("/api/v1/dev/messages", params={"to": pf.owner_email}).json()["items"]
        assert sum("asks for a new invitation" in m["subject"] for m in mail) == 2, mail

    def test_the_expired_page_asks_and_says_so_and_a_revoked_one_offers_no_ask(self, client, db, worker):
        from datetime import timedelta

        from tests.factories import csrf_of

        pf = create_portal(db)
        _invite(client, pf, ["theo@client.org", "rita@client.org"], user_type="client")
        worker.drain()
        theo, rita = _token_for(client, "theo@client.org"), _token_for(client, "rita@client.org")
        invitations = client.get(f"/api/v1/portals/{pf.slug}/invitations", headers=pf.headers()).json()[
            "items"
        ]
        rita_id = next(i["id"] for i in invitations if i["recipient"] == "rita@client.org")
        client.post(f"/api/v1/portals/{pf.slug}/invitations/{rita_id}/revoke", headers=pf.headers())
        with db.context.clock.travel(timedelta(days=40)):
            page = client.get(f"/invite/{theo}")
            assert page.status_code == 410 and "Request a new invitation</button>" in page.text
            # One next step: the button (it said "Ask Olive Owner for a new invitation." above it).
            assert "Ask Olive Owner for a new invitation" not in page.text
            assert "ask Olive Owner for one" not in page.text
            assert "We'll ask Olive Owner to send you a new one." in page.text
            asked = client.post(f"/invite/{theo}/request-new", data={"csrf_token": csrf_of(page.text)})
            assert "We&#39;ve asked Olive Owner to send you a new invitation." in asked.text, asked.text
            assert "Request a new invitation</button>" not in asked.text
        # Asked already: the page says when, whom to ask meanwhile, and when it may ask again,
        # with no button (it offered one that sent nothing); asking again says the same.
        with db.context.clock.travel(timedelta(days=40, hours=2)):
            again = client.get(f"/invite/{theo}")
            assert "Request a new invitation</button>" not in again.text
            assert "You asked Olive Owner for a new invitation on <time" in again.text, again.text
            fallback = "If none has come, ask Olive Owner for one. You can request one here again after"
            assert fallback in again.text
            posted = client.post(f"/invite/{theo}/request-new", data={"csrf_token": csrf_of(page.text)})
            assert "You asked Olive Owner for a new invitation on <time" in posted.text, posted.text
        with db.context.clock.travel(timedelta(days=41, minutes=1)):
            page = client.get(f"/invite/{theo}")
            assert "Request a new invitation</button>" in page.text and "You asked" not in page.text
        with db.context.clock.travel(timedelta(days=40)):
            cancelled = client.get(f"/invite/{rita}")
            assert (
                "Invitation cancelled" in cancelled.text and "Request a new invitation" not in cancelled.text
            )
