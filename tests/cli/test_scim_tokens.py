"""``admit scim-tokens create|list|revoke`` on the test database (both backends): the token is
printed once and works on /scim/v2; list shows it without its secret; revoke ends it."""

from __future__ import annotations

import json

from tests.factories import create_portal


def test_create_list_revoke(run, db, client):
    pf = create_portal(db)
    made = run("scim-tokens", "create", "--portal", pf.slug, "--name", "Okta", "--json")
    assert made.exit_code == 0, made.output
    answer = json.loads(made.output)
    assert answer["token"].startswith("scim_") and answer["scim_token"]["name"] == "Okta"
    bearer = {"Authorization": f"Bearer {answer['token']}"}
    assert client.get("/scim/v2/Users", headers=bearer).status_code == 200
    listed = run("scim-tokens", "list", "--portal", pf.slug)
    assert listed.exit_code == 0 and "Okta" in listed.output and answer["token"] not in listed.output
    gone = run("scim-tokens", "revoke", "--portal", pf.slug, answer["id"])
    assert (gone.exit_code, gone.output) == (0, "The SCIM token “Okta” is revoked.\n")
    again = run("scim-tokens", "revoke", "--portal", pf.slug, answer["id"])
    assert (again.exit_code, again.output) == (
        0,
        "The SCIM token “Okta” was already revoked: nothing changed.\n",
    )
    assert client.get("/scim/v2/Users", headers=bearer).status_code == 401


def test_the_singular_spelling_works_too(run, db):
    pf = create_portal(db)
    made = run("scim-token", "create", "--portal", pf.slug)
    assert made.exit_code == 0 and made.output.startswith("scim_"), made.output


def test_the_list_is_a_table(run, db):
    """``scim-tokens list`` lines its columns up whatever the names' lengths: each one's
    prefix was printed right after its name, so a longer name moved the rest right."""
    pf = create_portal(db)
    for name in ("Okta", "Microsoft Entra ID"):
        assert run("scim-tokens", "create", "--portal", pf.slug, "--name", name).exit_code == 0
    lines = run("scim-tokens", "list", "--portal", pf.slug).output.splitlines()
    assert lines[0].split() == ["Status", "Name", "Prefix", "Id"], lines
    starts = {line.index("scim_") for line in lines[1:]}
    assert len(lines) == 3 and len(starts) == 1, lines
