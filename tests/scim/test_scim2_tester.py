"""scim2-tester's checks, run against the real app (its SCIM client over the test client)."""

from __future__ import annotations

import uuid
from typing import Any

from scim2_client import BaseSyncSCIMClient
from scim2_tester import Status, check_server, filling


class TestClientSCIM(BaseSyncSCIMClient):
    """scim2-client's synchronous client, sending through FastAPI's TestClient (httpx)."""

    def __init__(self, client, base_url: str, token: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client
        self.base_url = base_url
        self.auth = {"Authorization": f"Bearer {token}"}

    def _stays_under_base_url(self, endpoint: str) -> bool:
        url = self.client.build_request("GET", self._url(endpoint)).url
        return str(url).startswith(self.base_url)

    def _url(self, url: str) -> str:
        return url if url.startswith("http") else self.base_url + url

    def _parse_json(self, response):
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any):
        headers = {**self.auth, **(kwargs.pop("headers", None) or {})}
        return self.client.request(method, self._url(url), headers=headers, **kwargs)


def test_scim2_tester_finds_no_failure(client, scim_token, monkeypatch):
    # A directory sends Admit an email for a userName (Okta's default, Entra's UPN): Admit
    # refuses a user it has no way to invite (no email, no phone: 400), where scim2-tester
    # makes a userName of a bare UUID. Only the tester's userName changes: a new address each.
    example = filling.get_random_example_value

    def user_name_an_email(path):
        if str(path).endswith("userName"):
            return f"{uuid.uuid4().hex[:12]}@example.com"
        return example(path)

    monkeypatch.setattr(filling, "get_random_example_value", user_name_an_email)
    scim_client = TestClientSCIM(client, "http://testserver/scim/v2", scim_token)
    results = check_server(scim_client)
    failed = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    by_status: dict[str, int] = {}
    for r in results:
        by_status[r.status.name] = by_status.get(r.status.name, 0) + 1
    print("scim2-tester:", by_status)
    for r in failed:
        print(r.status.name, r.title, r.resource_type, r.reason, r.data)
    assert results
    assert by_status.get("SUCCESS", 0) > 10
    assert not failed, [(r.title, r.resource_type, r.reason) for r in failed]
