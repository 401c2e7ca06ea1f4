"""The sign-in pages' forms (sign in, a sign-in link, a sign-in code, forgot password) left
empty say which field under it, marked, keeping what was typed (the API's rule:
``auth.schemas.left_empty``), not "The email or password is incorrect." or "on its way"."""

from __future__ import annotations

from tests.factories import create_portal, csrf_of, said_under


def _post(client, path: str, **data: str):
    csrf = csrf_of(client.get("/login").text)
    return client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


class TestEmptySignInForms:
    def test_sign_in_with_nothing_typed_names_both_fields(self, client, db):
        create_portal(db)
        r = _post(client, "/login", email="", password="")
        assert r.status_code == 422, r.text
        assert said_under(r.text, "email") == "Enter your email address."
        assert said_under(r.text, "password") == "Enter your password."
        assert "2 things to fix below." in r.text
        assert "incorrect" not in r.text

    def test_an_address_typed_is_kept_and_only_the_password_named(self, client, db):
        pf = create_portal(db)
        r = _post(client, "/login", email=pf.owner_email, password="")
        assert r.status_code == 422, r.text
        assert said_under(r.text, "password") == "Enter your password."
        assert 'id="email_error"' not in r.text and "things to fix" not in r.text
        assert f'value="{pf.owner_email}"' in r.text
        assert r.text.count("autofocus") == 1

    def test_an_address_of_spaces_is_empty_a_password_of_spaces_is_not(self, client, db):
        create_portal(db)
        r = _post(client, "/login", email="   ", password="   ")
        assert r.status_code == 422, r.text
        assert said_under(r.text, "email") == "Enter your email address."
        assert 'id="password_error"' not in r.text

    def test_a_wrong_password_still_reads_as_one(self, client, db):
        pf = create_portal(db)
        r = _post(client, "/login", email=pf.owner_email, password="nope")
        assert r.status_code == 401
        assert "The email or password is incorrect." in r.text

    def test_a_sign_in_link_and_a_reset_for_nobody_are_refused(self, client, db, worker):
        create_portal(db)
        r = _post(client, "/login/link", email=" ")
        assert r.status_code == 422, r.text
        # Said under the page's one Email field, which both ways share.
        assert said_under(r.text, "email") == "Enter your email address or phone number."
        r = _post(client, "/forgot-password", email="")
        assert r.status_code == 422, r.text
        assert said_under(r.text, "email") == "Enter your email address or phone number."

    def test_sign_in_with_a_code_names_what_is_missing(self, client, db):
        create_portal(db)
        r = _post(client, "/login/code", email="", code="", page="code")
        assert r.status_code == 422, r.text
        assert said_under(r.text, "code_email") == "Enter your email address or phone number."
        assert said_under(r.text, "code") == "Enter the 6-digit code."
        r = _post(client, "/login/code", email="carl@client.com", code=" ", page="code")
        assert said_under(r.text, "code") == "Enter the 6-digit code."
        assert 'value="carl@client.com"' in r.text and 'id="code_email_error"' not in r.text
        # After asking for a link (the address hidden): the code alone.
        r = _post(client, "/login/code", email="carl@client.com", code="")
        assert r.status_code == 422, r.text
        assert said_under(r.text, "code") == "Enter the 6-digit code."
