"""Settings → API keys: the page lists the portal's keys (never their secrets), makes one that
is shown once (with an optional expiry), and revokes; keys record when they were last used and
stop at their expiry (both backends)."""

from __future__ import annotations

import re
from datetime import timedelta

from admit.kit import clock
from tests.factories import OWNER_PASSWORD, create_portal, csrf_of, login


def _api(client, pf, key):
    client.cookies.clear()
    return client.get(f"/api/v1/portals/{pf.slug}/people", headers={"Authorization": f"Bearer {key}"})


class TestApiKeysPage:
    def test_make_use_and_revoke_a_key(self, client, db):
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/settings/api-keys")
        assert (
            page.status_code == 200 and 'data-key="default"' in page.text
        )  # the key made at setup is listed
        made = client.post(
            f"/p/{pf.slug}/settings/api-keys",
            data={"csrf_token": csrf_of(page.text), "name": "HR sync", "expires_in_days": "30"},
        )
        assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
        secret = re.search(r'data-secret[^>]*value="([^"]+)"|value="(adm_[^"]+)"', made.text)
        raw = next(g for g in secret.groups() if g)
        assert raw.startswith("adm_")
        again = client.get(f"/p/{pf.slug}/settings/api-keys")
        assert raw not in again.text and "HR sync" in again.text  # shown once
        assert _api(client, pf, raw).status_code == 200
        login(client, pf.owner_email, OWNER_PASSWORD)
        listed = client.get(f"/api/v1/portals/{pf.slug}/api-keys", headers={"X-CSRF-Token": ""}).json()[
            "items"
        ]
        hr = next(k for k in listed if k["name"] == "HR sync")
        assert hr["last_used_at"] is not None and hr["expires_at"] is not None
        with clock.travel(timedelta(days=31)):
            assert _api(client, pf, raw).status_code == 401  # expired
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/settings/api-keys")
        r = client.post(
            f"/p/{pf.slug}/settings/api-keys/{hr['id']}/revoke", data={"csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 200 and "“HR sync” was revoked" in r.text
        assert _api(client, pf, raw).status_code == 401

    def test_bad_input_names_the_problem(self, client, db):
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/settings/api-keys")
        bad = client.post(
            f"/p/{pf.slug}/settings/api-keys",
            data={"csrf_token": csrf_of(page.text), "name": "x", "expires_in_days": "0"},
        )
        assert bad.status_code == 422 and "between 1 and 3650 days" in bad.text
