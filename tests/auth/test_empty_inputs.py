"""The sign-in endpoints refuse what was left empty as bad input (422 naming each field), not
as a wrong answer (401 "The email or password is incorrect.") or a silent 202."""

from __future__ import annotations

from tests.factories import create_portal

PROBLEM = "application/problem+json"


def _faults(r) -> dict[str, str]:
    assert (r.status_code, r.headers["content-type"], r.json()["code"]) == (422, PROBLEM, "invalid_input"), (
        r.text
    )
    return {e["field"]: e["message"] for e in r.json()["errors"]}


class TestEmptyInputs:
    def test_login_with_nothing_typed_names_both_fields(self, client, db):
        """An empty email and password: 422 on ``email`` and ``password``, each said."""
        create_portal(db)
        r = client.post("/api/v1/auth/login", json={"email": "", "password": ""})
        assert _faults(r) == {"email": "Must not be empty.", "password": "Must not be empty."}
        assert r.json()["field"] == "email"

    def test_login_with_only_spaces_for_an_email(self, client, db):
        """An email of spaces is as empty as none; a password given is not named."""
        create_portal(db)
        r = client.post("/api/v1/auth/login", json={"email": "   ", "password": "secret"})
        assert _faults(r) == {"email": "Must not be empty."}

    def test_a_wrong_password_still_reads_as_one(self, client, db):
        """Something typed in both: the same 401 whatever is wrong (no enumeration)."""
        pf = create_portal(db)
        r = client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": "nope"})
        assert (r.status_code, r.json()["code"]) == (401, "invalid_credentials")

    def test_the_other_ways_in_refuse_an_empty_address(self, client, db):
        """Sign-in link, sign-in code and password reset: an empty ``email`` (and ``code``) is
        422 naming it, not a 202 "on its way" for nobody or a 401."""
        create_portal(db)
        for path in ("/api/v1/auth/sign-in-link", "/api/v1/auth/password-reset"):
            assert _faults(client.post(path, json={"email": ""})) == {"email": "Must not be empty."}, path
        r = client.post("/api/v1/auth/sign-in-code", json={"email": " ", "code": ""})
        assert _faults(r) == {"email": "Must not be empty.", "code": "Must not be empty."}

    def test_the_second_step_refuses_an_empty_code_or_challenge(self, client, db):
        """``POST /auth/two-factor``: no code (nor recovery code) is 422 on ``code``, not a wrong
        code counted as a try; an empty ``challenge`` is 422 on it, not taken for none (this
        session's step, "Sign in first")."""
        create_portal(db)
        r = client.post("/api/v1/auth/two-factor", json={"challenge": "some-challenge", "code": ""})
        assert _faults(r) == {
            "code": "Give the 6-digit code from your authenticator app, or a recovery code."
        }
        r = client.post("/api/v1/auth/two-factor", json={"challenge": "some-challenge"})
        assert set(_faults(r)) == {"code"}
        r = client.post("/api/v1/auth/two-factor", json={"challenge": " ", "code": ""})
        assert set(_faults(r)) == {"challenge", "code"}  # both at once
