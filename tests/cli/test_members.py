"""``admit users``: the roster."""

from __future__ import annotations

import json

from admit.flows import join
from tests.cli.helpers import init_portal


class TestUsers:
    def test_json_lists_members_and_pending_invitations(self, run):
        """``admit users --json`` lists the owner and everyone invited, with type, role and status."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, "--type", "client", "a@x.com")
        run("invite", "--portal", slug, "--role", "admin", "Bea <b@y.com>")

        result = run("users", "--portal", slug, "--json")
        assert result.exit_code == 0, result.output
        rows = {r["address"]: r for r in json.loads(result.stdout)}
        assert set(rows) == {"owner@acme.com", "a@x.com", "b@y.com"}
        owner = rows["owner@acme.com"]
        assert {k: owner[k] for k in ("kind", "address", "name", "user_type", "role", "status")} == {
            "kind": "member",
            "address": "owner@acme.com",
            "name": "",
            "user_type": "internal",
            "role": "owner",
            "status": "active",
        }
        assert (rows["a@x.com"]["kind"], rows["a@x.com"]["user_type"], rows["a@x.com"]["role"]) == (
            "invitation",
            "client",
            "client",
        )
        assert rows["a@x.com"]["status"] == "pending"
        assert (rows["b@y.com"]["role"], rows["b@y.com"]["name"]) == ("admin", "Bea")

    def test_filters_by_status_and_type(self, run):
        """``--status pending`` shows only invitations; ``--type client`` only clients."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, "--type", "client", "a@x.com")
        run("invite", "--portal", slug, "b@y.com")

        pending = json.loads(run("users", "--portal", slug, "--status", "pending", "--json").stdout)
        assert sorted(r["address"] for r in pending) == ["a@x.com", "b@y.com"]
        clients = json.loads(run("users", "--portal", slug, "--type", "client", "--json").stdout)
        assert [r["address"] for r in clients] == ["a@x.com"]
        active = json.loads(run("users", "--portal", slug, "--status", "active", "--json").stdout)
        assert [r["address"] for r in active] == ["owner@acme.com"]

    def test_plain_output(self, run):
        """Without --json each person is one line with status, type, role and address."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, "a@x.com")
        result = run("users", "--portal", slug)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert any(line.startswith("active") and "owner@acme.com" in line for line in lines)
        assert any(line.startswith("pending") and "a@x.com" in line for line in lines)


class TestUsersByPhone:
    def test_member_who_joined_by_phone_is_listed_by_their_number(self, run, db, worker):
        """``admit users`` shows the phone number of someone who joined by phone, never null."""
        from tests.factories import last_link

        slug = init_portal(run)["portal"]
        assert run("invite", "--portal", slug, "--type", "client", "+1 202 555 0173").exit_code == 0
        worker.drain()
        with db.unit_of_work() as session:
            join.accept(session, token=last_link(db, "+12025550173"))
        rows = json.loads(run("users", "--portal", slug, "--json").stdout)
        member = next(r for r in rows if r["user_type"] == "client")
        assert (member["kind"], member["address"], member["status"]) == ("member", "+12025550173", "active")
