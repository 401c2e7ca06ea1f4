"""An endpoint's host is looked up (DNS, ``kit.netguard``) with no transaction open and no
connection held: a slow resolver does not stop every other request on SQLite (the one write
lock) nor hold a connection on PostgreSQL, when an endpoint is added or its URL changed.

The resolver here answers for ``*.slow.test`` only when the test lets it (``tests.held``)."""

from __future__ import annotations

import pytest

from tests.factories import create_portal
from tests.held import Held, held_lookups, others_go_on_while_held

EVENTS = ["invitation.created"]


@pytest.fixture
def resolver(monkeypatch) -> Held:
    return held_lookups(monkeypatch)


@pytest.fixture
def portal(db):
    return create_portal(db)


class TestLookingUpTheUrl:
    def test_a_new_endpoints_host_is_looked_up_holding_nothing(self, client, db, portal, resolver):
        """Adding an endpoint looks its host up with no transaction open; then keeps it."""
        answer = others_go_on_while_held(
            db,
            resolver,
            lambda: client.post(
                f"/api/v1/portals/{portal.slug}/webhooks",
                json={"url": "https://hooks.slow.test/admit", "events": EVENTS},
                headers=portal.headers(),
            ),
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["webhook"]["url"] == "https://hooks.slow.test/admit"

    def test_a_changed_url_is_looked_up_holding_nothing(self, client, db, portal, resolver):
        """Changing an endpoint's URL looks the new host up with no transaction open; the rest of
        the change is applied with it."""
        r = client.post(
            f"/api/v1/portals/{portal.slug}/webhooks",
            json={"url": "https://hooks.fast.test/admit", "events": EVENTS},
            headers=portal.headers(),
        )
        assert r.status_code == 201, r.text
        path = f"/api/v1/portals/{portal.slug}/webhooks/{r.json()['webhook']['id']}"
        body = {"url": "https://hooks.slow.test/admit", "description": "Moved"}
        answer = others_go_on_while_held(
            db, resolver, lambda: client.patch(path, json=body, headers=portal.headers())
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["url"] == body["url"] and answer.json()["description"] == "Moved"
