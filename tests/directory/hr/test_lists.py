"""The HR lists page like every list of the API (STYLE.md §12): ``{items, next_cursor}``,
never silently capped; a connection's page shows its newest runs and pages on to older ones."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from admit.directory.models import HrSyncRun
from admit.kit import clock
from tests.factories import OWNER_PASSWORD, sign_in_page


def _add_runs(db, portal, connection_id: str, n: int) -> None:
    start = clock.now() - timedelta(days=1)
    with db.unit_of_work() as s:
        for i in range(n):
            s.add(
                HrSyncRun(
                    connection_id=uuid.UUID(connection_id),
                    portal_id=portal.portal_id,
                    trigger="schedule",
                    status="done",
                    counts={"unchanged": i},
                    created_at=start + timedelta(minutes=i),
                )
            )


def _walk(client, url: str, headers: dict, limit: int) -> list[dict]:
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = client.get(url, params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor"} and len(body["items"]) <= limit
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        assert pages < 50


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_runs_and_connections_page_with_a_cursor(hr, db, portal, client):
    hr.connect()
    _add_runs(db, portal, hr.id, 25)
    runs_url = f"{hr.base}/{hr.id}/runs"
    whole = client.get(runs_url, headers=portal.headers()).json()
    assert len(whole["items"]) == 25 and whole["next_cursor"] is None  # was cut at 20, silently
    walked = _walk(client, runs_url, portal.headers(), limit=10)
    assert [r["id"] for r in walked] == [r["id"] for r in whole["items"]]
    assert [r["counts"]["unchanged"] for r in walked] == list(range(24, -1, -1))  # newest first

    for i in range(2):
        body = {"provider": "generic", "base_url": f"https://hr.example.com/{i}.json"}
        made = client.post(
            hr.base, json={**body, "fields_granted": True, "check": False}, headers=portal.headers()
        )
        assert made.status_code == 201, made.text
    connections = _walk(client, hr.base, portal.headers(), limit=1)
    assert len(connections) == 3 and connections[0]["id"] == hr.id  # in the order they were made

    providers = client.get(f"/api/v1/portals/{portal.slug}/directory/providers", headers=portal.headers())
    assert providers.json()["next_cursor"] is None
    assert {"bamboohr", "personio", "hibob", "generic"} <= {p["key"] for p in providers.json()["items"]}


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_the_connection_page_pages_on_to_older_runs(hr, db, portal, client):
    hr.connect()
    _add_runs(db, portal, hr.id, 23)
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{portal.slug}/hr/{hr.id}")
    assert page.text.count('<tr data-run="done">') == 20
    older = client.get(f"/p/{portal.slug}/hr/{hr.id}" + _older_href(page.text))
    assert older.status_code == 200 and older.text.count('<tr data-run="done">') == 3
    assert 'id="hr-older-runs"' not in older.text


def _older_href(text: str) -> str:
    import html
    import re

    found = re.search(r'href="([^"]+)" id="hr-older-runs"', text)
    assert found, "no Older runs link"
    return html.unescape(found.group(1))
