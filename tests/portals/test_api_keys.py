"""API keys as their owners see them: the Settings → API keys page, the audit log's words for a
key, and revoking one; on both backends."""

from __future__ import annotations

from tests.factories import OWNER_PASSWORD, create_portal, login


def _summaries(client, pf, action: str) -> list[str]:
    r = client.get(f"/api/v1/portals/{pf.slug}/audit-events", headers=pf.headers())
    assert r.status_code == 200, r.text
    return [e["summary"] for e in r.json()["items"] if e["action"] == action]


def test_the_setup_key_is_told_by_its_name_as_every_key_is(client, db):
    """``admit init``'s key (setup) reads "created the API key “default” (prefix)", where it read
    "created the API key 1fe2a34a", without its name."""
    pf = create_portal(db)
    keys = f"/api/v1/portals/{pf.slug}/api-keys"
    prefix = client.get(keys, headers=pf.headers()).json()["items"][0]["prefix"]
    made = client.post(keys, json={"name": "Zapier sync"}, headers=pf.headers())
    assert made.status_code == 201, made.text
    zapier = made.json()["key"]["prefix"]
    said = _summaries(client, pf, "api_key.created")
    assert f"Olive Owner created the API key “default” ({prefix})" in said
    assert f"The API key “default” ({prefix}) created the API key “Zapier sync” ({zapier})" in said


def test_the_page_says_a_key_acts_as_an_admin(client, db):
    """Settings → API keys says what the API does: a key acts as an admin whoever made it, and
    what it does is recorded as its maker's; it said keys act "as the person who made them"."""
    pf = create_portal(db)
    login(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/settings/api-keys")
    assert page.status_code == 200
    assert "as the person who made them" not in page.text
    assert "acts as an admin, whoever made it" in page.text
