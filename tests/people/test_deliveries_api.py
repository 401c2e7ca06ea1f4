"""``GET /api/v1/portals/{p}/people/deliveries?ids=…``: the delivery of several roster rows in
one request (User Management's queued badges ask it once a round), through the real app on both
backends: each row's delivery as its own ``GET`` gives it, only the rows the caller may see."""

from __future__ import annotations

import uuid

from admit.jobs import Worker
from tests.factories import active_member, create_portal, invite, login
from tests.links.helpers import link_token, sign_up
from tests.notifications.test_delivery import free_port, smtp


def _deliveries(client, slug, ids, headers=None):
    return client.get(
        f"/api/v1/portals/{slug}/people/deliveries", params={"ids": [str(i) for i in ids]}, headers=headers
    )


def _world(db, settings, worker):
    """Portal A: Ada's invitation sent, Bob's queued after a refused try (with its reason),
    Cleo's (a client's) queued, Sam's sign-up through the link with its confirmation queued,
    Mia an internal member; portal B with an invitation of its own."""
    pf = create_portal(db)
    (ada,) = invite(db, pf, ["ada@acme.com"]).invited
    assert worker.drain()["sent"] == 1
    (bob,) = invite(db, pf, ["bob@acme.com"]).invited
    assert Worker(db, smtp(settings, free_port())).drain()["retry"] == 1
    (cleo,) = invite(db, pf, ["cleo@client.org"], user_type="client").invited
    sam = sign_up(db, link_token(db, pf), "sam@acme.com")
    active_member(db, pf, "mia@acme.com", role="member")
    other = create_portal(db, name="Beta", owner_email="owner@beta.com")
    (foreign,) = invite(db, other, ["zed@beta.com"]).invited
    return pf, other, ada, bob, cleo, sam.id, foreign


class TestDeliveries:
    def test_each_row_reads_as_its_own_get_says_in_the_order_asked(self, client, db, settings, worker):
        pf, _other, ada, bob, cleo, sam, foreign = _world(db, settings, worker)
        unknown = uuid.uuid4()
        asked = [cleo.id, sam, unknown, bob.id, foreign.id, ada.id, ada.id]
        r = _deliveries(client, pf.slug, asked, pf.headers())
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        # Unknown and other portals' ids left out; each row once, in the order asked.
        assert [(i["kind"], i["id"]) for i in items] == [
            ("invitation", str(cleo.id)),
            ("signup", str(sam)),
            ("invitation", str(bob.id)),
            ("invitation", str(ada.id)),
        ]
        got = {i["id"]: i["delivery"] for i in items}
        assert got[str(ada.id)]["status"] == "sent" and got[str(ada.id)]["at"]
        assert got[str(bob.id)]["status"] == "queued" and got[str(bob.id)]["error"]
        assert got[str(cleo.id)] == {"status": "queued", "error": None, "at": None}
        assert got[str(sam)]["status"] == "queued"
        # The very delivery each row's own GET gives.
        for inv in (ada, bob, cleo):
            one = client.get(f"/api/v1/portals/{pf.slug}/invitations/{inv.id}", headers=pf.headers())
            assert one.json()["delivery"] == got[str(inv.id)]
        one = client.get(f"/api/v1/portals/{pf.slug}/link/signups/{sam}", headers=pf.headers())
        assert one.json()["delivery"] == got[str(sam)]

    def test_none_asked_none_answered(self, client, db):
        pf = create_portal(db)
        r = _deliveries(client, pf.slug, [], pf.headers())
        assert r.status_code == 200 and r.json() == {"items": []}, r.text

    def test_a_member_sees_only_the_rows_the_roster_shows_them(self, client, db, settings, worker):
        """An internal member sees client invitations only, and no sign-up (only the link's
        managers do): the others are left out as unknown ones are, never told apart."""
        pf, _other, ada, bob, cleo, sam, _foreign = _world(db, settings, worker)
        login(client, "mia@acme.com")
        r = _deliveries(client, pf.slug, [ada.id, bob.id, cleo.id, sam])
        assert r.status_code == 200, r.text
        assert [i["id"] for i in r.json()["items"]] == [str(cleo.id)]
        # What the roster shows Mia is the same set.
        people = client.get(f"/api/v1/portals/{pf.slug}/people").json()
        assert "items" in people, people
        shown = {p["id"] for p in people["items"] if p["kind"] != "member"}
        assert shown == {str(cleo.id)}

    def test_another_portals_owner_sees_none_of_them(self, client, db, settings, worker):
        pf, other, ada, bob, cleo, sam, _foreign = _world(db, settings, worker)
        r = _deliveries(client, other.slug, [ada.id, bob.id, cleo.id, sam], other.headers())
        assert r.status_code == 200 and r.json() == {"items": []}, r.text
        # Nor through portal A's address: not theirs.
        r = _deliveries(client, pf.slug, [ada.id], other.headers())
        assert r.status_code in (403, 404), r.text
        assert "items" not in r.json()

    def test_a_client_may_not_ask(self, client, db):
        pf = create_portal(db)
        (cleo,) = invite(db, pf, ["cleo@client.org"], user_type="client").invited
        active_member(db, pf, "carl@client.org", user_type="client")
        login(client, "carl@client.org")
        r = _deliveries(client, pf.slug, [cleo.id])
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "permission_denied"

    def test_too_many_ids_is_refused_naming_the_field(self, client, db):
        from admit.people.roster import MAX_DELIVERIES

        pf = create_portal(db)
        r = _deliveries(client, pf.slug, [uuid.uuid4() for _ in range(MAX_DELIVERIES + 1)], pf.headers())
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["code"] == "invalid_input" and problem["field"] == "ids", problem
        assert str(MAX_DELIVERIES) in problem["detail"], problem
        assert _deliveries(client, pf.slug, [uuid.uuid4()] * MAX_DELIVERIES, pf.headers()).status_code == 200

    def test_an_id_that_is_not_one_is_refused_naming_the_field(self, client, db):
        pf = create_portal(db)
        r = _deliveries(client, pf.slug, ["nope"], pf.headers())
        assert r.status_code == 422 and r.json()["field"].startswith("ids"), r.text
