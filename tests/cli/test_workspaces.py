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
        assert r.exit_code == 1, r.output  # not-an-address needs fixing
        lines = r.output.splitlines()
        assert "invited  nora@home.net" in lines
        assert "invited  +1 202 555 0173" in lines
        # The same lines as `admit invite` (they were "skipped  X (code: detail)" before).
        assert any(line.startswith("skipped  not-an-address  invalid_recipient:") for line in lines)
        assert any(line.startswith("skipped  owner@acme.com  already_in_workspace:") for line in lines)
        assert "2 invited, 2 skipped. The worker sends the messages." in lines

        r = run_cli("workspace", "members", "--portal", pf.slug, "--workspace", ws["id"])
        assert r.exit_code == 0, r.output
        assert "Not Joined  nora@home.net" in r.output and "Joined      owner@acme.com" in r.output

        r = run_cli("workspace", "list", "--portal", pf.slug, "--json")
        assert json.loads(r.output) == [
            {"id": ws["id"], "name": "Loan", "kind": "flow", "joined": 1, "not_joined": 2}
        ]
        worker.drain()
        assert mail_count(db, "nora@home.net") == 1

    def test_errors_name_the_field_and_an_invalid_address_is_exit_1(self, run_cli, db):
        pf = create_portal(db)
        r = run_cli("workspace", "create", "--portal", pf.slug, "--name", "Chat", "--role", "X")
        assert r.exit_code == 1 and "field: roles" in r.output
        ws = run_cli("workspace", "create", "--portal", pf.slug, "--name", "Chat").output.strip()
        r = run_cli("workspace", "add", "--portal", pf.slug, "--workspace", ws, "nope")
        assert r.exit_code == 1 and "invalid_recipient" in r.output

    def test_json_is_the_recipient_answer_and_already_in_is_nothing_to_do(self, run_cli, db):
        """``--json`` prints the API's ``{results, counts}``; adding people already there is
        nothing to do (exit 0), an address that needs fixing is exit 1."""
        pf = create_portal(db)
        ws = run_cli("workspace", "create", "--portal", pf.slug, "--name", "Chat").output.strip()
        r = run_cli("workspace", "add", "--portal", pf.slug, "--workspace", ws, "--json", "nora@home.net")
        assert r.exit_code == 0, r.output
        out = json.loads(r.stdout)
        assert out["counts"] == {"invited": 1, "added": 0, "skipped": 0}
        (nora,) = out["results"]
        assert (nora["recipient"], nora["outcome"], nora["code"]) == ("nora@home.net", "invited", None)
        assert (
            nora["invitation"]["recipient"] == "nora@home.net" and nora["invitation"]["status"] == "pending"
        )

        again = run_cli("workspace", "add", "--portal", pf.slug, "--workspace", ws, "--json",
                        "nora@home.net", "owner@acme.com", "owner@acme.com")  # fmt: skip
        assert again.exit_code == 0, again.output
        out = json.loads(again.stdout)
        assert out["counts"] == {"invited": 0, "added": 0, "skipped": 3}, out
        assert sorted((r["recipient"], r["code"]) for r in out["results"]) == [
            ("nora@home.net", "already_in_workspace"),
            ("owner@acme.com", "already_in_workspace"),
            ("owner@acme.com", "duplicate"),
        ]

        bad = run_cli(
            "workspace", "add", "--portal", pf.slug, "--workspace", ws, "--json", "ok@home.net", "nope"
        )
        assert bad.exit_code == 1
        assert json.loads(bad.stdout)["counts"] == {"invited": 1, "added": 0, "skipped": 1}
