"""Every API error is problem+json with a stable code, whatever went wrong."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urljoin, urlsplit

from admit.errors import CLASSES
from tests.factories import OWNER_PASSWORD, active_member, create_portal, csrf_of, invite, last_link, login

PROBLEM = "application/problem+json"


class TestProblems:
    def test_unknown_route_and_method(self, client, db):
        """Unknown paths and wrong methods answer problem+json too (not a bare detail)."""
        r = client.get("/api/v1/no-such-thing")
        assert (r.status_code, r.headers["content-type"], r.json()["code"]) == (404, PROBLEM, "not_found")
        assert r.json()["title"] == "Not found"  # as every 404's (it had said "Not Found")
        r = client.delete("/api/v1/auth/login")
        assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")
        assert (r.json()["title"], r.headers["allow"]) == ("Method not allowed", "POST")
        assert r.json()["detail"] == "This address does not take DELETE: it takes POST."
        # Allow names every method of the address, each of its operations' (here two).
        r = client.delete("/api/v1/portals/acme/invitations")
        assert (r.status_code, r.headers["allow"]) == (405, "GET, POST")

    def test_an_unknown_page_says_so_in_words(self, client, db):
        """A page that is not there reads as a page: a title and a sentence, not "Not Found"
        twice; a form's address asked with a method it lacks likewise (GET goes to the form's
        page: tests/test_refused_forms.py)."""
        create_portal(db)
        page = client.get("/no-such-page")
        assert page.status_code == 404 and "<h1>Page not found</h1>" in page.text
        assert "There is no page at this address." in page.text and "Not Found" not in page.text
        wrong = client.put("/logout")
        assert wrong.status_code == 405 and "<h1>Page not found</h1>" in wrong.text

    def test_a_bad_id_in_a_pages_address_is_page_not_found(self, client, db):
        """A page's address whose id is not one (``/p/acme/imports/1``) is a page that is not
        there, as any unknown address is: "Page not found" (404), not pydantic's words about
        UUIDs; the API keeps answering such a path 422 naming the parameter (problem+json)."""
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        for path in (
            f"/p/{pf.slug}/imports/1",
            f"/p/{pf.slug}/workspaces/not-an-id",
            f"/p/{pf.slug}/members/{uuid.uuid4()}x/access",
        ):
            page = client.get(path)
            assert page.status_code == 404, (path, page.status_code)
            assert "<h1>Page not found</h1>" in page.text and "UUID" not in page.text, path
        r = client.get(f"/api/v1/portals/{pf.slug}/invitations/1", headers=pf.headers())
        assert (r.status_code, r.headers["content-type"]) == (422, PROBLEM)
        assert (r.json()["code"], r.json()["field"]) == ("invalid_input", "invitation_id")

    def test_a_page_not_found_in_a_portal_keeps_its_navigation(self, client, db):
        """The tester, signed in as the owner, mistyped an address under the portal: the 404
        page had the portal's name and nothing else, no way back but the start page. Under a
        portal its member belongs to, it shows that portal's navigation, as its other pages do;
        under a portal they are not in, or signed out, none (nothing said of that portal)."""
        pf = create_portal(db)
        other = create_portal(db, name="Other Co", owner_email="oscar@other.example")
        login(client, pf.owner_email, OWNER_PASSWORD)
        nav = re.compile(r"<nav>.*?User Management.*?Settings.*?</nav>", re.S)
        for path in (f"/p/{pf.slug}/no-such-page", f"/p/{pf.slug}/workspaces/{uuid.uuid4()}"):
            page = client.get(path)
            assert page.status_code == 404 and nav.search(page.text), (path, page.text[:1500])
            assert f'/p/{pf.slug}/users" class="">User Management</a>' in page.text
        for path in (f"/p/{other.slug}/no-such-page", "/no-such-page"):
            page = client.get(path)
            assert page.status_code == 404 and "<nav>" not in page.text, path
        client.cookies.clear()
        assert "<nav>" not in client.get(f"/p/{pf.slug}/no-such-page").text

    def test_parsing_words_for_any_collection_and_any_input_name(self):
        """``field_error`` (the reviewer): a collection pydantic gives no length for says none
        (it raised on it); an input named like a part of the request keeps its name; the noun
        is the input's own, in words."""
        from admit.api.errors import field_error

        err = {"type": "too_long", "loc": ("body", "mandatory_notifications"), "msg": "x"}
        said = field_error({**err, "ctx": {"max_length": 10, "actual_length": None}})
        assert said == {"field": "mandatory_notifications", "message": "At most 10 mandatory notifications."}
        said = field_error({"type": "missing", "loc": ("query", "path"), "msg": "x"})
        assert said == {"field": "path", "message": "Required."}

    def test_malformed_json(self, client, db):
        """A body that is not JSON says so, rather than naming a character position as the field."""
        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/invitations",
            content=b'{"recipients": [',
            headers={**pf.headers(), "Content-Type": "application/json"},
        )
        assert r.status_code == 422 and r.json()["detail"] == "The body is not valid JSON."
        assert r.json()["field"] is None
        assert r.json()["errors"] == [{"field": None, "message": "The body is not valid JSON."}]

    def test_parsing_errors_in_plain_words(self, client, db):
        """The commonest refusals of the request's parsing are said plainly, by their kind (too
        many, empty, too long, out of range, missing), not in pydantic's words ("List should have
        at most 1000 items after validation, not 1001")."""
        pf = create_portal(db)
        at = f"/api/v1/portals/{pf.slug}"

        def said(r) -> dict:
            assert (r.status_code, r.json()["code"]) == (422, "invalid_input"), r.text
            return {e["field"]: e["message"] for e in r.json()["errors"]}

        many = client.post(
            f"{at}/invitations",
            json={"recipients": [f"p{i}@acme.com" for i in range(1001)], "user_type": "client"},
            headers=pf.headers(),
        )
        words = "At most 1,000 recipients; this one has 1,001."
        assert said(many) == {"recipients": words} and many.json()["detail"] == words
        none = client.post(f"{at}/invitations", json={"recipients": []}, headers=pf.headers())
        assert said(none) == {"recipients": "Must not be empty.", "user_type": "Required."}
        empty = client.post(
            f"{at}/invitation-imports", json={"text": "", "user_type": "client"}, headers=pf.headers()
        )
        assert said(empty) == {"text": "Must not be empty."}
        long = client.post(
            f"{at}/invitations",
            json={"recipients": ["a@acme.com"], "user_type": "client", "message": "x" * 2001},
            headers=pf.headers(),
        )
        assert said(long)["message"].startswith("At most "), long.text
        assert said(client.get(f"{at}/invitations", params={"limit": 501}, headers=pf.headers())) == {
            "limit": "At most 500."
        }
        assert said(client.get(f"{at}/invitations", params={"limit": "ten"}, headers=pf.headers())) == {
            "limit": "A whole number."
        }

    def test_more_kinds_of_parsing_error_in_plain_words(self, client, db):
        """A choice, a list, an id, an input the request does not take, a day that does not
        exist (written right) and a true-or-false: each said in the product's words, by name,
        not pydantic's ("Input should be 'internal' or 'client'", "Extra inputs are not
        permitted", "found `n` at 0")."""
        pf = create_portal(db)
        at = f"/api/v1/portals/{pf.slug}"

        def said(r) -> dict:
            assert (r.status_code, r.json()["code"]) == (422, "invalid_input"), r.text
            return {e["field"]: e["message"] for e in r.json()["errors"]}

        # A choice names the value refused (the tester: "One of “owner”, … or “client”." for
        # "boss", not saying which input of hers was wrong).
        body = {"recipients": "a@acme.com", "user_type": "bogus", "role": "boss", "colour": "red"}
        assert said(client.post(f"{at}/invitations", json=body, headers=pf.headers())) == {
            "recipients": "A list.",
            "user_type": "“bogus” is not a user type: one of “internal” or “client”.",
            "role": "“boss” is not a role: one of “owner”, “admin”, “member” or “client”.",
            "colour": "Not something this request takes.",
        }
        id_said = said(client.get(f"{at}/invitations/not-an-id", headers=pf.headers()))
        assert id_said["invitation_id"].startswith("An id (a UUID"), id_said
        settings = {"client_require_password": "maybe"}
        assert said(client.patch(f"{at}/settings", json=settings, headers=pf.headers())) == {
            "client_require_password": "true or false."
        }
        # A day written right that does not exist (an action's ``due_on``), as pydantic refuses it.
        from datetime import date

        from pydantic import BaseModel, ValidationError

        from admit.api.errors import field_error

        class Due(BaseModel):
            due_on: date

        try:
            Due.model_validate_json('{"due_on": "2026-02-30"}')
        except ValidationError as refused:
            (error,) = refused.errors()
        assert field_error(error) == {"field": "due_on", "message": "No such day: 2026-02-30."}

    def test_401_names_the_scheme(self, client, db):
        """A 401 tells clients how to authenticate (WWW-Authenticate: Bearer), and its detail says
        it to whoever reads it: an API key in the Authorization header (it had said "Sign in
        first."); a page still goes to the sign-in page."""
        pf = create_portal(db)
        r = client.get(f"/api/v1/portals/{pf.slug}/invitations")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["detail"].startswith(
            "No credentials: send your API key as `Authorization: Bearer <API key>`"
        )
        page = client.get(f"/p/{pf.slug}/users", follow_redirects=False)
        assert page.status_code in (302, 303) and page.headers["location"].startswith("/login")

    def test_an_api_key_is_told_it_acts_as_an_admin(self, client, db):
        """The key ``admit init`` makes for the owner acts as an admin: refused what only an
        owner may do, it is told why (the policy's sentence alone read as if the owner were
        refused); a person signed in gets the policy's sentence as it is."""
        pf = create_portal(db)
        body = {"recipients": ["o2@acme.com"], "user_type": "internal", "role": "owner"}
        r = client.post(f"/api/v1/portals/{pf.slug}/invitations", json=body, headers=pf.headers())
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
        assert r.json()["detail"] == (
            "Only an owner can invite another owner. An API key acts as an admin, whoever made it."
        )
        active_member(db, pf, "ada@acme.com", role="admin")
        csrf = login(client, "ada@acme.com")
        r = client.post(f"/api/v1/portals/{pf.slug}/invitations", json=body, headers={"X-CSRF-Token": csrf})
        assert (r.status_code, r.json()["detail"]) == (403, "Only an owner can invite another owner.")

    def test_unknown_portal_anonymous_is_401(self, client, db):
        """Anonymous callers cannot tell which portal names exist: 401 either way."""
        pf = create_portal(db)
        assert client.get(f"/api/v1/portals/{pf.slug}/members").status_code == 401
        assert client.get("/api/v1/portals/no-such-portal/members").status_code == 401

    def test_signed_in_pages_are_not_cached(self, client, db):
        """Pages seen while signed in carry Cache-Control: no-store."""
        pf = create_portal(db)
        client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD})
        r = client.get(f"/p/{pf.slug}/users")
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"


class TestErrorsPage:
    def test_type_is_the_codes_entry_on_the_errors_page(self, client, db):
        """A problem's ``type`` is ``/errors#<code>``, and that page has an entry with that id."""
        pf = create_portal(db)
        r = client.get(f"/api/v1/portals/{pf.slug}/invitations/{uuid.uuid4()}", headers=pf.headers())
        body = r.json()
        assert (r.status_code, body["code"], body["type"]) == (
            404,
            "invitation_not_found",
            "/errors#invitation_not_found",
        )
        page = client.get(urljoin(str(r.url), body["type"]))
        assert page.status_code == 200 and 'id="invitation_not_found"' in page.text

    def test_unknown_route_type(self, client, db):
        """Errors from routing have a type on the page too."""
        assert client.get("/api/v1/no-such-thing").json()["type"] == "/errors#not_found"
        assert client.delete("/api/v1/auth/login").json()["type"] == "/errors#method_not_allowed"

    def test_validation_error_stays_invalid_input(self, client, db):
        """Request parsing errors are ``invalid_input`` with ``field`` and every ``errors`` entry."""
        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/invitations", json={"user_type": "nobody"}, headers=pf.headers()
        )
        body = r.json()
        assert (r.status_code, body["code"], body["type"]) == (422, "invalid_input", "/errors#invalid_input")
        assert body["field"] == "recipients" and {e["field"] for e in body["errors"]} >= {
            "recipients",
            "user_type",
        }

    def test_a_page_says_a_parsing_error_in_the_same_words(self, client, db):
        """A form the pages could not parse says it as the API does (``api.errors.field_error``)."""
        pf = create_portal(db)
        login(client, pf.owner_email, password=OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces")
        # (Settings reads its numbers itself: "a week" is said under its field there.)
        r = client.post(
            f"/p/{pf.slug}/workspaces/{uuid.uuid4()}/people",
            data={"csrf_token": csrf_of(page.text), "user_ids": "nope"},
        )
        assert r.status_code == 422 and "user_ids.0: An id (a UUID" in r.text, r.text
        assert "valid UUID" not in r.text

    def test_every_invalid_input_lists_its_errors(self, client, db):
        """Whatever refused the input (the request's parsing or a service), a 422 carries
        ``field`` and ``errors``, at least the one field with its message (a tester found a
        service's refusals with ``field`` alone)."""
        pf = create_portal(db)
        at = f"/api/v1/portals/{pf.slug}"
        refused = {
            "role": client.post(
                f"{at}/invitations",
                json={"recipients": ["c@acme.com"], "user_type": "client", "role": "admin"},
                headers=pf.headers(),
            ),
            "products": client.post(
                f"{at}/invitations",
                json={"recipients": ["c@acme.com"], "user_type": "client", "products": ["nope"]},
                headers=pf.headers(),
            ),
            "cursor": client.get(f"{at}/invitations", params={"cursor": "nope"}, headers=pf.headers()),
            "expires_in_days": client.post(
                f"{at}/api-keys", json={"name": "HR sync", "expires_in_days": -1}, headers=pf.headers()
            ),
        }
        for field, r in refused.items():
            body = r.json()
            assert (r.status_code, body["code"], body["field"]) == (422, "invalid_input", field), body
            assert body["errors"] == [{"field": field, "message": body["detail"]}], body

    def test_an_input_that_names_no_field_still_lists_it(self, client, db):
        """A refusal of no one field (a NUL the database cannot keep) has ``field: null`` and its
        one entry in ``errors``."""
        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/workspaces", json={"name": "a\x00b"}, headers=pf.headers()
        )
        if db.is_sqlite:  # SQLite keeps it (TestNulCharacters): the workspace is made
            assert r.status_code == 201, r.text
            return
        body = r.json()
        assert r.status_code == 422, r.text
        assert body["field"] is None and body["errors"] == [{"field": None, "message": body["detail"]}]

    def test_an_api_key_s_faults_are_said_together(self, client, db):
        """A blank name and a lifetime out of range: both in one answer, not the name alone."""
        pf = create_portal(db)
        keys = f"/api/v1/portals/{pf.slug}/api-keys"
        r = client.post(keys, json={"name": " ", "expires_in_days": -1}, headers=pf.headers())
        body = r.json()
        assert (r.status_code, body["field"]) == (422, "name")
        assert [e["field"] for e in body["errors"]] == ["name", "expires_in_days"]
        assert body["errors"][1]["message"] == "A key lasts between 1 and 3650 days."
        r = client.post(keys, json={"name": "", "expires_in_days": 0}, headers=pf.headers())
        assert [e["field"] for e in r.json()["errors"]] == ["name", "expires_in_days"]
        # A lifetime that is not a number is said with the blank name, not alone; no key is made.
        before = client.get(keys, headers=pf.headers()).json()["items"]
        r = client.post(keys, json={"name": "", "expires_in_days": "abc"}, headers=pf.headers())
        said = {e["field"]: e["message"] for e in r.json()["errors"]}
        assert said == {"name": "Give the key a name (what uses it).", "expires_in_days": "A whole number."}
        r = client.post(keys, json={"name": "HR sync", "expires_in_days": "abc"}, headers=pf.headers())
        assert (r.status_code, r.json()["field"]) == (422, "expires_in_days")
        assert client.get(keys, headers=pf.headers()).json()["items"] == before, "no key is made"

    def test_lists_every_code_without_sign_in(self, client, db):
        """GET /errors needs no sign-in and lists every code with its status, title and meaning."""
        r = client.get("/errors")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        rows = dict(
            re.findall(r'<tr id="(\w+)" data-code="\w+">\s*<td>.*?</td>\s*<td>(\d{3})</td>', r.text, re.S)
        )
        assert rows == {code: str(cls.status) for code, cls in CLASSES.items()}
        assert "The invitation link can no longer be used: it was used already (then sign in)" in r.text
        assert "<code>retry_after</code>" in r.text

    def test_the_same_list_for_a_program_without_sign_in(self, client, db):
        """GET /api/v1/errors is the page's list as JSON, in the page's order (an API tester found
        the codes' meanings only in HTML)."""
        r = client.get("/api/v1/errors")
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        items = r.json()["items"]
        page = re.findall(r'<tr id="(\w+)" data-code', client.get("/errors").text)
        assert [i["code"] for i in items] == page
        assert {i["code"]: i["status"] for i in items} == {code: cls.status for code, cls in CLASSES.items()}
        limited = next(i for i in items if i["code"] == "rate_limited")
        assert limited["title"] == "Too many requests"
        assert "wait `retry_after` seconds" in limited["meaning"], limited["meaning"]

    def test_works_offline(self, client, db):
        """The page loads nothing from another host: its scripts, styles and icons are the app's."""
        r = client.get("/errors")
        assets = re.findall(r'(?:src|href)="([^"#]+)"', r.text)
        assert assets and {urlsplit(urljoin(str(r.url), a)).netloc for a in assets} == {"testserver"}, assets
        for asset in assets:
            assert client.get(asset).status_code == 200, asset


class TestNulCharacters:
    """Found by tests/test_fuzz.py: a NUL character in a search was a 500 on PostgreSQL."""

    def test_a_nul_in_the_query_is_refused_naming_the_parameter(self, client, db):
        pf = create_portal(db)
        r = client.get(f"/api/v1/portals/{pf.slug}/people.csv", params={"q": "a\x00b"}, headers=pf.headers())
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "invalid_input", "q")

    def test_a_nul_the_database_cannot_keep_is_refused_not_a_500(self, client, db):
        pf = create_portal(db)
        r = client.post(
            f"/api/v1/portals/{pf.slug}/workspaces", json={"name": "a\x00b"}, headers=pf.headers()
        )
        # SQLite keeps it as text; PostgreSQL cannot, and the request is refused whole.
        assert r.status_code == (201 if db.is_sqlite else 422), r.text


NOT_TAKEN = "Not a parameter of this operation"


class TestQueryParameters:
    def test_one_the_operation_does_not_take_is_refused_by_name(self, client, db):
        """As an unknown field of a body is: a filter that does not exist must not answer the
        whole list as if it had been applied."""
        pf = create_portal(db)
        r = client.get(
            f"/api/v1/portals/{pf.slug}/invitations?search=ada&role=admin&limit=5", headers=pf.headers()
        )
        assert r.status_code == 422, r.text
        problem = r.json()
        assert [e["field"] for e in problem["errors"]] == ["search", "role"]
        assert problem["errors"][0]["message"] == (
            "Not a parameter of this operation (it takes cursor, limit, q, status, user_type)."
        )
        r = client.post(f"/api/v1/portals/{pf.slug}/invitations?dry_run=1", headers=pf.headers(), json={})
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "dry_run")
        assert (
            client.get(f"/api/v1/portals/{pf.slug}/invitations?limit=5", headers=pf.headers()).status_code
            == 200
        )

    def test_an_operation_with_no_input_says_it_may_answer_422(self, client, db):
        """``GET /me`` takes nothing, yet ``/me?x=1`` is refused: the document says it may be."""
        pf = create_portal(db)
        assert client.get("/api/v1/me?x=1", headers=pf.headers()).status_code == 422
        document = client.get("/api/v1/openapi.json").json()
        assert "invalid_input" in document["paths"]["/api/v1/me"]["get"]["responses"]["422"]["x-error-codes"]

    def test_every_documented_one_is_taken(self, client, db):
        """Every query parameter the API's document declares, on every operation, is one the
        operation takes (whatever it then says of the value "x")."""
        pf = create_portal(db)
        document = client.get("/api/v1/openapi.json").json()
        asked = 0
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
                if not query:
                    continue
                url = re.sub(r"\{portal\}", pf.slug, path)
                url = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), url)
                r = client.request(
                    method.upper(), url, params={name: "x" for name in query}, headers=pf.headers()
                )
                asked += 1
                refused = [
                    e["field"]
                    for e in (r.json().get("errors") or [] if r.status_code == 422 else [])
                    if e["message"].startswith(NOT_TAKEN)
                ]
                assert not refused, (method, path, refused)
        assert asked > 10


def test_a_body_sent_as_anything_but_json_is_415(client, db):
    """An integrator's first curl often forgets ``-H 'Content-Type: application/json'`` (curl's
    ``-d`` sends a form): a body that is not sent as JSON to an operation that takes JSON is 415
    ``unsupported_media_type`` saying what to send, where it was 422 ``invalid_input`` (what is
    wrong is the kind of body, not one of its values). An import takes a multipart form too.
    Nothing is done; no body is still none."""
    pf = create_portal(db)
    at = f"/api/v1/portals/{pf.slug}"
    said = (
        "This operation takes a JSON body, sent with Content-Type: application/json; this one was sent as {}."
    )
    refused = {
        "text/plain": client.post(
            f"{at}/invitations",
            content=b'{"recipients": ["ada@example.com"], "user_type": "client"}',
            headers={**pf.headers(), "content-type": "text/plain"},
        ),
        "application/x-www-form-urlencoded": client.post(
            f"{at}/invitations",
            data={"recipients": "ada@example.com", "user_type": "client"},
            headers=pf.headers(),
        ),
        "application/xml": client.patch(
            f"{at}/settings",
            content=b"<settings/>",
            headers={**pf.headers(), "content-type": "application/xml"},
        ),
    }
    for media, r in refused.items():
        assert (r.status_code, r.headers["content-type"], r.json()["code"]) == (
            415,
            PROBLEM,
            "unsupported_media_type",
        ), (media, r.text)
        assert r.json()["detail"] == said.format(media), media
        assert r.json()["type"] == "/errors#unsupported_media_type"
    r = client.post(f"{at}/invitation-imports", data={"text": "ada@example.com"}, headers=pf.headers())
    assert (r.status_code, r.json()["detail"]) == (
        415,
        "This operation takes a JSON body, sent with Content-Type: application/json, or a multipart form "
        "(multipart/form-data); this one was sent as application/x-www-form-urlencoded.",
    )
    assert client.get(f"{at}/invitations", headers=pf.headers()).json()["items"] == []
    body = b'{"recipients": ["ada@example.com"], "user_type": "client"}'
    r = client.post(f"{at}/invitations", content=body, headers=pf.headers())
    assert (r.status_code, r.json()["detail"]) == (
        415,
        "This operation takes a JSON body, sent with Content-Type: application/json; this one was "
        "sent with no Content-Type.",
    )
    assert client.get(f"{at}/invitations", headers=pf.headers()).json()["items"] == []
    # JSON passes, with its charset too; no body, sent as a form, is none (here: no recipients).
    kind = {"content-type": "application/json; charset=utf-8"}
    r = client.post(f"{at}/invitations", content=body, headers={**pf.headers(), **kind})
    assert r.status_code == 201, r.text
    kind = {"content-type": "application/x-www-form-urlencoded"}
    r = client.post(f"{at}/invitations", content=b"", headers={**pf.headers(), **kind})
    assert (r.status_code, r.json()["field"]) == (422, "recipients"), r.text
    # The document declares it for every operation that takes a body.
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/portals/{portal}/invitations"][
        "post"
    ]
    assert "unsupported_media_type" in operation["responses"]["415"]["x-error-codes"]


class TestBodies:
    def test_an_operation_without_a_body_refuses_one(self, client, db, change_settings):
        """An operation that takes no body refuses one, as a body's unknown field is refused:
        Resend with ``{"message": "hi"}`` had answered 200 with the message dropped, and a
        rotation with a body that is not JSON rotated the secret. 422 naming each field; a body
        that is not a JSON object says so; none, or ``{}``, is no body."""
        change_settings(webhooks_allow_private=True)
        pf = create_portal(db)
        invited = invite(db, pf, ["ada@example.com", "bob@example.com"]).invited
        base = f"/api/v1/portals/{pf.slug}"
        resend = f"{base}/invitations/{invited[0].id}/resend"
        r = client.post(resend, json={"message": "hi", "days": 3}, headers=pf.headers())
        assert (r.status_code, r.headers["content-type"]) == (422, PROBLEM), r.text
        assert r.json()["errors"] == [
            {"field": "message", "message": "Not something this request takes."},
            {"field": "days", "message": "Not something this request takes."},
        ]
        revoke = f"{base}/invitations/{invited[1].id}/revoke"
        r = client.post(revoke, json={"reason": "x"}, headers=pf.headers())
        assert (r.status_code, r.json()["field"]) == (422, "reason")
        webhook = client.post(
            f"{base}/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["invitation.created"]},
            headers=pf.headers(),
        ).json()["webhook"]
        rotate = f"{base}/webhooks/{webhook['id']}/rotate-secret"
        for body in (b"this is not json at all", b"[1, 2]", b"null"):
            r = client.post(rotate, content=body, headers={**pf.headers(), "Content-Type": "text/plain"})
            assert (r.status_code, r.json()["code"]) == (422, "invalid_input"), (body, r.text)
            assert r.json()["field"] is None, body
        said = "The body must be a JSON object, sent with Content-Type: application/json."
        assert r.json()["detail"] == said
        # Nothing was done by the refused requests; no body, or an empty object, is none.
        listed = client.get(f"{base}/invitations", headers=pf.headers()).json()["items"]
        assert {i["status"] for i in listed} == {"pending"}
        assert client.post(rotate, headers=pf.headers()).status_code == 200
        assert client.post(rotate, json={}, headers=pf.headers()).status_code == 200
        assert client.post(revoke, content=b" ", headers=pf.headers()).status_code == 200
        assert client.post(resend, json={}, headers=pf.headers()).status_code == 200

    def test_no_body_is_an_empty_object_where_an_operation_takes_one(self, client, db, worker):
        """An operation whose body is optional takes no body as ``{}``, as one that takes none
        does: accepting an invitation with no body (or an empty one sent as JSON) had been 422
        "Required." with no field, and approving a join request likewise, where ``{}`` names the
        field it lacks (``user_type``)."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@example.org", "dan@example.org"], user_type="client")
        worker.drain()
        r = client.post(f"/api/v1/invitations/{last_link(db, 'cleo@example.org')}/accept")
        assert r.status_code == 200, r.text
        client.cookies.clear()
        r = client.post(
            f"/api/v1/invitations/{last_link(db, 'dan@example.org')}/accept",
            content=b"",
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.text
        client.cookies.clear()
        base = f"/api/v1/portals/{pf.slug}"
        ws = client.post(f"{base}/workspaces", json={"name": "W"}, headers=pf.headers())
        link = client.post(f"{base}/workspaces/{ws.json()['id']}/link", headers=pf.headers())
        token = link.json()["url"].rsplit("/join/", 1)[1]
        client.post(f"/api/v1/links/{token}/join-requests", json={"email": "ivan@acme.com", "name": "Ivan"})
        [asked] = client.get(f"/api/v1/portals/{pf.slug}/join-requests", headers=pf.headers()).json()["items"]
        approve = f"/api/v1/portals/{pf.slug}/join-requests/{asked['id']}/approve"
        for sent in ({}, {"content": b""}, {"content": b"", "headers": {"Content-Type": "application/json"}}):
            headers = {**pf.headers(), **sent.pop("headers", {})}
            r = client.post(approve, headers=headers, **sent)
            assert (r.status_code, r.json()["errors"]) == (
                422,
                [{"field": "user_type", "message": "Required."}],
            ), sent
        # The document says so: a body is required only where ``{}`` is not one.
        paths = client.get("/api/v1/openapi.json").json()["paths"]
        assert paths["/api/v1/invitations/{token}/accept"]["post"]["requestBody"].get("required") is None
        approving = paths["/api/v1/portals/{portal}/join-requests/{request_id}/approve"]["post"]
        assert approving["requestBody"]["required"] is True

    def test_a_blank_body_where_one_is_required_says_a_body_is_required(self, client, db, worker):
        """No body, or one of blanks only, to an operation that needs one says so and what it
        needs (422, each field it lacks in ``errors``): blanks sent as JSON had been "The body is
        not valid JSON.", and none "recipients: Required.", as if a body had been sent. A body of
        blanks is none, as where the body is optional (accepting an invitation) and where there
        is no body; ``{}`` sent is a body, its faults its own."""
        pf = create_portal(db)
        at = f"/api/v1/portals/{pf.slug}/invitations"
        lacks = [
            {"field": "recipients", "message": "Required."},
            {"field": "user_type", "message": "Required."},
        ]
        said = "A JSON body is required: an object with “recipients” and “user_type”."
        for body in (b"", b" ", b"\n\t \r\n"):
            r = client.post(at, content=body, headers={**pf.headers(), "Content-Type": "application/json"})
            assert (r.status_code, r.json()["code"], r.json()["detail"]) == (422, "invalid_input", said), body
            assert (r.json()["field"], r.json()["errors"]) == ("recipients", lacks), body
        r = client.post(at, headers=pf.headers())
        assert (r.status_code, r.json()["detail"], r.json()["errors"]) == (422, said, lacks)
        r = client.post(at, json={}, headers=pf.headers())
        assert (r.status_code, r.json()["detail"], r.json()["errors"]) == (
            422,
            "recipients: Required. user_type: Required.",
            lacks,
        )
        assert client.get(at, headers=pf.headers()).json()["items"] == []
        # Blanks where the body is optional: none, so {}.
        invite(db, pf, ["cleo@example.org"], user_type="client")
        worker.drain()
        r = client.post(
            f"/api/v1/invitations/{last_link(db, 'cleo@example.org')}/accept",
            content=b"  \n",
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.text

    def test_a_string_is_not_a_number_nor_a_boolean(self, client, db, change_settings):
        """A JSON API takes a number as a number and a boolean as a boolean: ``"30"`` for a
        key's lifetime had made one of 30 days, ``"true"`` had turned a webhook on, while ``1.5``
        and ``"maybe"`` were refused. Refused in the words of any fault of type."""
        change_settings(webhooks_allow_private=True)
        pf = create_portal(db)
        base = f"/api/v1/portals/{pf.slug}"
        r = client.post(
            f"{base}/api-keys", json={"name": "HR", "expires_in_days": "30"}, headers=pf.headers()
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"] == [{"field": "expires_in_days", "message": "A whole number."}]
        webhook = client.post(
            f"{base}/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["invitation.created"], "enabled": 1},
            headers=pf.headers(),
        )
        assert webhook.status_code == 422 and webhook.json()["field"] == "enabled", webhook.text
        webhook = client.post(
            f"{base}/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["invitation.created"], "enabled": False},
            headers=pf.headers(),
        ).json()["webhook"]
        r = client.patch(f"{base}/webhooks/{webhook['id']}", json={"enabled": "true"}, headers=pf.headers())
        assert r.status_code == 422, r.text
        assert r.json()["errors"] == [{"field": "enabled", "message": "true or false."}]
        r = client.patch(
            f"{base}/settings",
            json={"invitation_ttl_seconds": "86400", "client_sign_in": {"require_password": "yes"}},
            headers=pf.headers(),
        )
        assert r.status_code == 422, r.text
        assert {e["field"] for e in r.json()["errors"]} == {
            "invitation_ttl_seconds",
            "client_sign_in.require_password",
        }
        # Numbers and booleans as JSON has them still pass.
        ok = client.post(f"{base}/api-keys", json={"name": "HR", "expires_in_days": 30}, headers=pf.headers())
        assert ok.status_code == 201, ok.text
        ok = client.patch(f"{base}/webhooks/{webhook['id']}", json={"enabled": True}, headers=pf.headers())
        assert (ok.status_code, ok.json()["enabled"]) == (200, True)


def test_a_204_carries_no_body_and_no_content_type(client, db):
    """A 204 is nothing: no body and no ``Content-Type`` (RFC 9110 §15.3.5). An operation whose
    endpoint returns nothing had answered ``Content-Type: application/json`` with its 204 (a
    key's revocation, a team's deletion, the logo's removal), where one answering its own
    response (signing out, a webhook's deletion) sent none."""
    pf = create_portal(db)
    base = f"/api/v1/portals/{pf.slug}"
    key = client.post(f"{base}/api-keys", json={"name": "HR", "expires_in_days": 5}, headers=pf.headers())
    team = client.post(f"{base}/teams", json={"name": "Tax"}, headers=pf.headers())
    answers = {
        "revoke a key": client.delete(f"{base}/api-keys/{key.json()['key']['id']}", headers=pf.headers()),
        "delete a team": client.delete(f"{base}/teams/{team.json()['team']['id']}", headers=pf.headers()),
        "remove the logo": client.delete(f"{base}/logo", headers=pf.headers()),
    }
    csrf = login(client, pf.owner_email, OWNER_PASSWORD)
    answers["sign out"] = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    for what, r in answers.items():
        assert r.status_code == 204, (what, r.text)
        assert (r.content, r.headers.get("content-type"), r.headers.get("content-length")) == (
            b"",
            None,
            None,
        ), what


def test_a_problem_of_several_faults_names_each_field_in_its_detail(client, db):
    """A service's refusal of several inputs says each after its field's name, as one parsing
    error does ("status: One of…"): a tester read "One of “internal” or “client”. Product(s)
    not enabled in this portal: nope. One of “owner”…" and could not tell which was which."""
    pf = create_portal(db)
    at = f"/api/v1/portals/{pf.slug}"
    r = client.post(
        f"{at}/invitations",
        json={"recipients": ["c@acme.com"], "user_type": "client", "role": "admin", "products": ["nope"]},
        headers=pf.headers(),
    )
    body = r.json()
    assert r.status_code == 422 and len(body["errors"]) >= 2, body
    for fault in body["errors"]:
        assert f"{fault['field']}: {fault['message']}" in body["detail"], body
    # Several parsing errors: each named, not the first alone.
    r = client.post(f"{at}/invitations", json={}, headers=pf.headers())
    assert r.json()["detail"] == "recipients: Required. user_type: Required.", r.text
