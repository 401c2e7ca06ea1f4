"""``GET /api/v1/portals/{p}/people`` (filters, sort, paging) and ``GET …/people.csv`` (the
export), through the real app on both backends."""

from __future__ import annotations

import csv
import io

from tests.factories import create_portal, invite, member_joins


def _people(client, pf, **params):
    response = client.get(f"/api/v1/portals/{pf.slug}/people", params=params, headers=pf.headers())
    assert response.status_code == 200, response.text
    return response.json()


class TestPeopleList:
    def test_sort_and_filters_travel_with_the_cursor(self, client, db):
        """Sorted by name, pages of 4: every client once, in name order, the total on each page."""
        pf = create_portal(db)
        names = ["Zed", "amy", "Bob", "cat", "Dee", "eve", "Fay", "gus", "Hal"]
        invite(db, pf, [f"{n} <{n.lower()}@client.org>" for n in names], user_type="client")
        seen, cursor = [], None
        while True:
            page = _people(
                client, pf, user_type="client", sort="name", limit=4, **({"cursor": cursor} if cursor else {})
            )
            assert page["total"] == 9
            seen += [p["name"] for p in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == sorted(names, key=str.lower)

    def test_bad_sort_or_filter_is_a_problem_naming_the_field(self, client, db):
        pf = create_portal(db)
        for params, field in (
            ({"sort": "age"}, "sort"),
            ({"product": "rockets"}, "product"),
            ({"delivery": "x"}, "delivery"),
        ):
            response = client.get(f"/api/v1/portals/{pf.slug}/people", params=params, headers=pf.headers())
            assert response.status_code == 422, (params, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert field in response.text

    def test_two_step_filter_lists_members_who_have_set_it_up_or_not(self, client, db, worker):
        """``two_step=set_up|not_set_up``: members only (an invitation has none), in the list,
        its total and its CSV export; any other value is a problem naming the field."""
        from sqlalchemy import select

        from admit.auth import second_factor
        from admit.kit import clock
        from admit.members.models import User

        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@acme.com", role="admin")
        invite(db, pf, ["cleo@client.org"], user_type="client")
        with db.unit_of_work() as session:
            ada = session.scalar(select(User).where(User.email == "ada@acme.com"))
            second_factor.begin(session, ada, issuer="Acme Inc")
            second_factor._factor(session, ada.id).confirmed_at = clock.now()
        page = _people(client, pf, two_step="set_up")
        assert ([p["address"] for p in page["items"]], page["total"]) == (["ada@acme.com"], 1)
        page = _people(client, pf, two_step="not_set_up")
        assert ([p["address"] for p in page["items"]], page["total"]) == ([pf.owner_email], 1)
        assert _people(client, pf)["total"] == 3
        response = client.get(
            f"/api/v1/portals/{pf.slug}/people.csv", params={"two_step": "not_set_up"}, headers=pf.headers()
        )
        assert [r["address"] for r in csv.DictReader(io.StringIO(response.text))] == [pf.owner_email]
        response = client.get(
            f"/api/v1/portals/{pf.slug}/people", params={"two_step": "maybe"}, headers=pf.headers()
        )
        assert response.status_code == 422 and "two_step" in response.text

    def test_invited_by_is_the_person_as_in_invitations_and_members(self, client, db, worker):
        """``invited_by`` is one shape across the API: the person who invited them
        ``{id, email, phone, name}`` (null when no person did), and ``invited_by_label`` the
        words User Management shows; it was the label alone, a string, on ``/people`` only."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@acme.com", role="admin")
        invite(db, pf, ["Grace Hopper <grace@acme.com>"])
        rows = {p["address"]: p for p in _people(client, pf)["items"]}
        invitations = client.get(f"/api/v1/portals/{pf.slug}/invitations", headers=pf.headers()).json()
        grace = next(i for i in invitations["items"] if i["recipient"] == "grace@acme.com")
        members = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()
        ada = next(m for m in members["items"] if m["user"]["email"] == "ada@acme.com")
        assert rows["grace@acme.com"]["invited_by"] == grace["invited_by"] == ada["invited_by"]
        assert rows["grace@acme.com"]["invited_by"]["email"] == pf.owner_email
        assert rows["grace@acme.com"]["invited_by_label"] == grace["invited_by_label"] == "Olive Owner"
        assert (rows[pf.owner_email]["invited_by"], rows[pf.owner_email]["invited_by_label"]) == (None, None)


class TestPeopleExport:
    def test_csv_holds_every_row_the_filters_match(self, client, db):
        """1,203 client invitations (three pages of the export's 500) and the owner: the export
        of clients holds exactly the clients, in the list's order, with a header."""
        pf = create_portal(db)
        for start in (0, 1000):
            end = min(start + 1000, 1203)
            invite(db, pf, [f"Person {i} <p{i}@client.org>" for i in range(start, end)], user_type="client")
        response = client.get(
            f"/api/v1/portals/{pf.slug}/people.csv", params={"user_type": "client"}, headers=pf.headers()
        )
        assert response.status_code == 200, response.text[:300]
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == 1203 and len({r["address"] for r in rows}) == 1203
        assert {r["status"] for r in rows} == {"pending"} and {r["user_type"] for r in rows} == {"client"}
        listed = _people(client, pf, user_type="client", limit=5)["items"]
        assert [r["address"] for r in rows[:5]] == [p["address"] for p in listed]

    def test_each_cell_says_what_the_list_says(self, client, db, worker):
        """The export reads the database's raw values (times, identifiers and JSON as the driver
        gives them) and formats them itself: every cell of every kind of row equals what
        ``GET …/people`` answers, on both backends."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@acme.com", role="admin")
        invite(db, pf, ["Grace Hopper <grace@acme.com>"], role="member", products=["billing"])
        worker.drain()  # grace's message is sent; bob's stays queued
        invite(db, pf, ["bob@client.org"], user_type="client")
        rows = {
            r["address"]: r
            for r in csv.DictReader(
                io.StringIO(client.get(f"/api/v1/portals/{pf.slug}/people.csv", headers=pf.headers()).text)
            )
        }
        listed = {p["address"]: p for p in _people(client, pf)["items"]}
        assert (
            set(rows) == set(listed) == {pf.owner_email, "ada@acme.com", "grace@acme.com", "bob@client.org"}
        )
        for address, person in listed.items():
            row = rows[address]
            for key in ("name", "user_type", "role", "status", "kind"):
                assert row[key] == person[key], (address, key)
            assert row["products"] == " ".join(person["products"]), address
            assert row["invited_by"] == (person["invited_by_label"] or ""), address
            assert row["created_at"] == person["created_at"], address  # the same text: ISO 8601, Z
            assert row["last_sent_at"] == (person["last_sent_at"] or ""), address
            assert row["delivery"] == (person["delivery"]["status"] if person["delivery"] else ""), address
        assert rows["grace@acme.com"]["delivery"] == "sent" and rows["bob@client.org"]["delivery"] == "queued"
        assert rows["grace@acme.com"]["invited_by"] and rows["grace@acme.com"]["last_sent_at"]
        assert "billing" in rows["grace@acme.com"]["products"]

    def test_a_name_that_looks_like_a_formula_is_written_as_text(self, client, db):
        pf = create_portal(db)
        invite(db, pf, ['"=HYPERLINK(1)" <x@client.org>'], user_type="client")
        text = client.get(f"/api/v1/portals/{pf.slug}/people.csv", headers=pf.headers()).text
        assert "'=HYPERLINK(1)" in text

    def test_an_address_that_looks_like_a_formula_is_written_as_text(self, client, db):
        """An email's local part may hold = | ' ! (a valid address): anyone who joins by the link
        could put a DDE formula in the admin's spreadsheet. A phone number (+1…) stays as it is."""
        pf = create_portal(db)
        formulas = ["=cmd|'/ccalc'!a0@client.org", "-cmd|'/ccalc'!a0@client.org"]
        invite(db, pf, [*formulas, "+12025550173"], user_type="client")
        response = client.get(f"/api/v1/portals/{pf.slug}/people.csv", headers=pf.headers())
        addresses = {row["address"] for row in csv.DictReader(io.StringIO(response.text))}
        assert {*("'" + f for f in formulas), "+12025550173"} <= addresses
        assert not any(a.startswith(("=", "-")) for a in addresses)

    def test_a_bad_filter_answers_before_any_download(self, client, db):
        pf = create_portal(db)
        response = client.get(
            f"/api/v1/portals/{pf.slug}/people.csv", params={"status": "lost"}, headers=pf.headers()
        )
        assert response.status_code == 422 and "status" in response.text
