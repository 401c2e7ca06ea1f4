"""A portal with a SCIM token, and a client that speaks SCIM to the app."""

from __future__ import annotations

import pytest

from tests.factories import create_portal

BASE = "/scim/v2"


class Scim:
    """The test client with the SCIM token: ``scim.get("/Users")``."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def headers(self, token: str | None = None) -> dict:
        return {
            "Authorization": f"Bearer {token or self.token}",
            "Content-Type": "application/scim+json",
            "Accept": "application/scim+json",
        }

    def request(self, method: str, path: str, body=None, *, token: str | None = None, params=None):
        return self.client.request(method, BASE + path, json=body, headers=self.headers(token), params=params)

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, body, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def portal(db):
    return create_portal(db)


@pytest.fixture
def scim_token(client, portal) -> str:
    r = client.post(
        f"/api/v1/portals/{portal.slug}/scim-tokens", json={"name": "Okta"}, headers=portal.headers()
    )
    assert r.status_code == 201, r.text
    return r.json()["token"]


@pytest.fixture
def scim(client, scim_token) -> Scim:
    return Scim(client, scim_token)
