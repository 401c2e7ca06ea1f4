"""Every API error is problem+json with a stable code, whatever went wrong."""

from __future__ import annotations

from tests.factories import OWNER_PASSWORD, create_portal

PROBLEM = "application/problem+json"


class TestProblems:
    def test_unknown_route_and_method(self, client, db):
        """Unknown paths and wrong methods answer problem+json too (not a bare detail)."""
        r = client.get("/api/v1/no-such-thing")
        assert (r.status_code, r.headers["content-type"], r.json()["code"]) == (404, PROBLEM, "not_found")
        r = client.delete("/api/v1/auth/login")
        assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")

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

    def test_401_names_the_scheme(self, client, db):
        """A 401 tells clients how to authenticate (WWW-Authenticate: Bearer)."""
        pf = create_portal(db)
        r = client.get(f"/api/v1/portals/{pf.slug}/invitations")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")

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
