"""``admit workspace create|list|add|members`` through click's CliRunner, on both backends."""

from __future__ import annotations

import json

from tests.workspaces.helpers import create_portal, mail_count


class TestWorkspaceCommands:
    def test_create_add_members_list(self, run_cli, db, worker):
        pf = create_portal(db)
        r = run_cli("workspace", "create", "--portal", pf.slug, "--name", "Loan", "--kind", "flow",
                    "--role", "Reviewer", "--role", "Client signer", "--json")  # fmt: skip
        assert r.exit_code == 0, r.output
        ws = json.loads(r.output)
        assert ws["roles"] == ["Reviewer", "Client signer"]

        r = run_cli("workspace", "add", "--portal", pf.slug, "--workspace", ws["id"],
                    "nora@home.net", "+1 202 555 0173", "not-an-address", "owner@acme.com")  # fmt: skip
        assert r.exit_code == 0, r.output
        lines = r.output.splitlines()
        assert "invited  nora@home.net" in lines
        assert "invited  +1 202 555 0173" in lines
        assert any(line.startswith("skipped  not-an-address (invalid_recipient") for line in lines)
        assert any(line.startswith("skipped  owner@acme.com (already_in_workspace") for line in lines)

        r = run_cli("workspace", "members", "--portal", pf.slug, "--workspace", ws["id"])
        assert r.exit_code == 0, r.output
        assert "Not Joined  nora@home.net" in r.output and "Joined      owner@acme.com" in r.output

        r = run_cli("workspace", "list", "--portal", pf.slug, "--json")
        assert json.loads(r.output) == [
            {"id": ws["id"], "name": "Loan", "kind": "flow", "joined": 1, "not_joined": 2}
        ]
        worker.drain()
        assert mail_count(db, "nora@home.net") == 1

    def test_errors_name_the_field_and_nobody_added_is_exit_1(self, run_cli, db):
        pf = create_portal(db)
        r = run_cli("workspace", "create", "--portal", pf.slug, "--name", "Chat", "--role", "X")
        assert r.exit_code == 1 and "field: roles" in r.output
        ws = run_cli("workspace", "create", "--portal", pf.slug, "--name", "Chat").output.strip()
        r = run_cli("workspace", "add", "--portal", pf.slug, "--workspace", ws, "nope")
        assert r.exit_code == 1 and "invalid_recipient" in r.output
