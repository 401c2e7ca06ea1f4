"""``admit workspaces create|list|add|members`` through click's CliRunner, on both backends."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from admit.workspaces.models import WorkspaceRole
from tests.workspaces.helpers import create_portal, mail_count


class TestWorkspaceCommands:
    def test_create_add_members_list(self, run_cli, db, worker):
        """create, add, members and list, each printing what it did."""
        pf = create_portal(db)
        r = run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Loan", "--kind", "flow",
                    "--role", "Reviewer", "--role", "Client signer", "--json")  # fmt: skip
        assert r.exit_code == 0, r.output
        ws = json.loads(r.output)
        # The API's WorkspaceRead, which has no roles (the CLI's own JSON had them before).
        assert (ws["name"], ws["kind"]) == ("Loan", "flow")
        r = run_cli("workspaces", "members", "--portal", pf.slug, "--workspace", ws["id"], "--json")
        assert [m["user"]["email"] for m in json.loads(r.output)["items"]] == ["owner@acme.com"]
        with db.unit_of_work() as session:
            roles = session.scalars(select(WorkspaceRole.name).order_by(WorkspaceRole.position)).all()
        assert roles == ["Reviewer", "Client signer"]

        r = run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", ws["id"],
                    "nora@home.net", "+1 202 555 0173", "not-an-address", "owner@acme.com")  # fmt: skip
        assert r.exit_code == 1, r.output  # not-an-address needs fixing
        # The same table as `admit invite`'s (they were "skipped  X (code: detail)" before),
        # its columns in line (``cli._shared.print_table``).
        lines = [" ".join(line.split()) for line in r.output.splitlines()]
        assert lines[0] == "Outcome Address Why", r.output
        assert "invited nora@home.net —" in lines
        assert "invited +1 202-555-0173 —" in lines  # spaced as the lists show it, not as typed
        assert any(line.startswith("skipped not-an-address invalid_recipient:") for line in lines)
        assert any(line.startswith("skipped owner@acme.com already_in_workspace:") for line in lines)
        assert (
            "2 invited · 2 skipped: 1 not a usable email or phone number, 1 already in the workspace. "
            "The messages are queued: "
            "a running `admit serve` or `admit worker` sends them." in lines
        )

        r = run_cli("workspaces", "members", "--portal", pf.slug, "--workspace", ws["id"])
        assert r.exit_code == 0, r.output
        assert "Not Joined  nora@home.net" in r.output and "Joined      owner@acme.com" in r.output

        r = run_cli("workspaces", "list", "--portal", pf.slug)
        assert r.output.splitlines()[1:] == [f"{ws['id']}  flow  Loan  1       2"], r.output
        r = run_cli("workspaces", "list", "--portal", pf.slug, "--json")
        listed = json.loads(r.output)
        assert (listed["total"], listed["next_cursor"]) == (1, None)
        assert [(w["id"], w["name"], w["kind"]) for w in listed["items"]] == [(ws["id"], "Loan", "flow")]
        worker.drain()
        assert mail_count(db, "nora@home.net") == 1

    def test_errors_name_the_field_and_an_invalid_address_is_exit_1(self, run_cli, db):
        pf = create_portal(db)
        r = run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Chat", "--role", "X")
        assert r.exit_code == 2 and "(option --role)" in r.output  # a value refused: usage
        ws = run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Chat").output.strip()
        r = run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", ws, "nope")
        assert r.exit_code == 1 and "invalid_recipient" in r.output

    def test_json_is_the_recipient_answer_and_already_in_is_nothing_to_do(self, run_cli, db):
        """``--json`` prints the API's ``{results, counts}``; adding people already there is
        nothing to do (exit 0), an address that needs fixing is exit 1."""
        pf = create_portal(db)
        ws = run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Chat").output.strip()
        r = run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", ws, "--json", "nora@home.net")
        assert r.exit_code == 0, r.output
        out = json.loads(r.stdout)
        assert out["counts"] == {"invited": 1, "added": 0, "skipped": 0}
        (nora,) = out["results"]
        assert (nora["recipient"], nora["outcome"], nora["code"]) == ("nora@home.net", "invited", None)
        assert (
            nora["invitation"]["recipient"] == "nora@home.net" and nora["invitation"]["status"] == "pending"
        )

        again = run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", ws, "--json",
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
            "workspaces", "add", "--portal", pf.slug, "--workspace", ws, "--json", "ok@home.net", "nope"
        )
        assert bad.exit_code == 1
        assert json.loads(bad.stdout)["counts"] == {"invited": 1, "added": 0, "skipped": 1}

    def test_the_console_names_its_own_commands(self, run_cli, db, worker):
        """At the console a workspace's refusals name console commands where the pages name
        buttons: someone already invited (to the portal, or to the workspace) is sent it again
        with ``admit workspaces resend``, not "Resend Invitation"; a deactivated member is
        reactivated with ``admit members reactivate`` (as ``admit invite`` says)."""
        from tests.factories import member_joins

        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@home.net")
        assert run_cli("members", "deactivate", "--portal", pf.slug, "mel@home.net").exit_code == 0
        assert run_cli("invite", "--portal", pf.slug, "--type", "client", "nora@home.net").exit_code == 0
        run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Q3 Audit")
        # The command that resends to that person only (``--state invited`` resent to everyone).
        resend = f"`admit workspaces resend --portal {pf.slug} --workspace 'Q3 Audit' nora@home.net`"

        def details(*people: str) -> dict[str, str]:
            r = run_cli(
                "workspaces", "add", "--portal", pf.slug, "--workspace", "Q3 Audit", "--json", *people
            )
            return {x["recipient"]: x["detail"] for x in json.loads(r.stdout)["results"]}

        said = details("nora@home.net", "mel@home.net")
        assert said["nora@home.net"] == (
            "Already invited to the portal, so nothing new was sent: they join this workspace when"
            f" they accept ({resend} sends them one naming it)."
        ), said
        assert (
            f"owners and admins can reactivate them (`admit members reactivate --portal {pf.slug}"
            " mel@home.net`) instead of inviting them again."
        ) in said["mel@home.net"], said
        said = details("nora@home.net")
        assert said["nora@home.net"] == f"nora@home.net is already invited to this workspace; use {resend}."
        r = run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", "Q3 Audit", "nora@home.net")
        assert resend in r.output and "Resend Invitation" not in r.output, r.output

    def test_resend_to_the_people_named(self, run_cli, db, worker):
        """``workspaces resend PERSON…`` resends to those named only (the already-invited hint's
        command); someone the portal does not know is named and nothing is sent; neither a
        person nor ``--state`` is a usage error."""
        from datetime import timedelta

        from admit.kit import clock

        pf = create_portal(db)
        run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Loan")
        run_cli(
            "workspaces", "add", "--portal", pf.slug, "--workspace", "Loan", "nora@home.net", "ivy@home.net"
        )
        worker.drain()
        with clock.travel(timedelta(minutes=2)):  # past the per-person minute
            r = run_cli("workspaces", "resend", "--portal", pf.slug, "--workspace", "Loan", "NORA@home.net")
            assert r.exit_code == 0, r.output
            assert [line.split() for line in r.output.splitlines()[1:2]] == [["resent", "nora@home.net", "—"]]
            worker.drain()
            assert (mail_count(db, "nora@home.net"), mail_count(db, "ivy@home.net")) == (2, 1)
            r = run_cli("workspaces", "resend", "--portal", pf.slug, "--workspace", "Loan", "nobody@home.net")
            assert r.exit_code != 0 and "nobody@home.net" in r.output, r.output
            r = run_cli("workspaces", "resend", "--portal", pf.slug, "--workspace", "Loan")
            assert r.exit_code == 2 and "--state" in r.output, r.output
            worker.drain()
        assert mail_count(db, "ivy@home.net") == 1


def _api(client, pf, path: str):
    response = client.get(f"/api/v1/portals/{pf.slug}/workspaces{path}", headers=pf.headers())
    assert response.status_code == 200, response.text
    return response.json()


class TestJsonShapes:
    def test_the_apis_objects(self, run_cli, db, client):
        """create prints the API's WorkspaceRead (as ``POST …/workspaces`` answers); list and
        members print ``{items, total, next_cursor}`` with the items the API gives."""
        pf = create_portal(db)
        created = json.loads(
            run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Loan", "--json").stdout
        )
        assert created == _api(client, pf, f"/{created['id']}")
        run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Chat")
        run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", created["id"], "nora@home.net")

        listed = json.loads(run_cli("workspaces", "list", "--portal", pf.slug, "--json").stdout)
        assert listed == {"items": _api(client, pf, "")["items"], "total": 2, "next_cursor": None}

        members = json.loads(
            run_cli(
                "workspaces", "members", "--portal", pf.slug, "--workspace", created["id"], "--json"
            ).stdout
        )
        assert members == {
            "items": _api(client, pf, f"/{created['id']}/members")["items"],
            "total": 2,
            "next_cursor": None,
        }

    def test_list_limit(self, run_cli, db):
        """--limit stops early: the total of all, and the cursor that goes on."""
        pf = create_portal(db)
        for name in ("One", "Two", "Three"):
            run_cli("workspaces", "create", "--portal", pf.slug, "--name", name)
        first = json.loads(
            run_cli("workspaces", "list", "--portal", pf.slug, "--limit", "2", "--json").stdout
        )
        assert ([w["name"] for w in first["items"]], first["total"]) == (["Three", "Two"], 3)
        rest = json.loads(
            run_cli(
                "workspaces", "list", "--portal", pf.slug, "--cursor", first["next_cursor"], "--json"
            ).stdout
        )
        assert ([w["name"] for w in rest["items"]], rest["total"], rest["next_cursor"]) == (["One"], 3, None)


class TestWorkspaceAlias:
    def test_workspace_is_workspaces(self, run_cli, db):
        """``admit workspace …`` still works for one release (hidden, with a deprecation note)."""
        pf = create_portal(db)
        r = run_cli("workspace", "create", "--portal", pf.slug, "--name", "Old name")
        assert r.exit_code == 0, r.output
        assert "deprecated" in r.stderr and "admit workspaces" in r.stderr
        listed = json.loads(run_cli("workspace", "list", "--portal", pf.slug, "--json").stdout)
        assert [w["name"] for w in listed["items"]] == ["Old name"]
        assert "Old name of `admit workspaces`" in " ".join(run_cli("workspace", "--help").output.split())
        assert not re.search(r"^\s+workspace\s", run_cli("--help").output, re.M)  # hidden


class TestRenameAndDelete:
    def test_rename_by_name_or_id(self, run_cli, db):
        """``workspaces rename --portal SLUG WORKSPACE NEW_NAME`` finds the workspace by its name
        (any case) or id; a clash is exit 1 naming the field; an unknown one is exit 1."""
        pf = create_portal(db)
        r = run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Q3 Audti")
        ws_id = r.output.strip()
        run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Q4 Audit")
        r = run_cli("workspaces", "rename", "--portal", pf.slug, "q3 audti", "Q3 Audit")
        assert (r.exit_code, r.output) == (0, "Q3 Audit\n"), r.output
        r = run_cli("workspaces", "rename", "--portal", pf.slug, ws_id, "Q4 AUDIT")
        assert r.exit_code == 1 and "A workspace named “Q4 Audit” exists already." in r.output, r.output
        r = run_cli("workspaces", "rename", "--portal", pf.slug, "Nope", "X")
        assert r.exit_code == 1 and "No workspace named “Nope”." in r.output, r.output
        r = run_cli("workspaces", "list", "--portal", pf.slug, "--json")
        assert sorted(w["name"] for w in json.loads(r.output)["items"]) == ["Q3 Audit", "Q4 Audit"]

    def test_delete_asks_unless_yes(self, run_cli, db):
        """``workspaces delete`` says what goes and asks; no is nothing done (exit 1); --yes
        deletes at once, and the name is free again."""
        pf = create_portal(db)
        run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Q3 Audti")
        r = run_cli("workspaces", "delete", "--portal", pf.slug, "Q3 Audti", input="n\n")
        assert r.exit_code == 1, r.output
        assert "Delete the workspace “Q3 Audti”? 1 person stays in the portal." in r.output
        r = run_cli("workspaces", "list", "--portal", pf.slug, "--json")
        assert [w["name"] for w in json.loads(r.output)["items"]] == ["Q3 Audti"]
        r = run_cli("workspaces", "delete", "--portal", pf.slug, "q3 audti", "--yes")
        assert (r.exit_code, r.output) == (0, "Workspace “Q3 Audti” deleted.\n"), r.output
        r = run_cli("workspaces", "list", "--portal", pf.slug)
        assert r.output == "No workspaces.\n"
        assert run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Q3 Audti").exit_code == 0


class TestWorkspaceByNameOrId:
    def test_every_command_takes_the_name_or_the_id(self, run_cli, db):
        """``add`` and ``members`` take ``--workspace`` as its name (any case) or its id, as
        ``rename`` and ``delete`` take theirs; ``--workspace "Q3 Audit"`` was refused as "not a
        valid UUID" (exit 2)."""
        pf = create_portal(db)
        ws_id = run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Q3 Audit").output.strip()
        r = run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", "Q3 Audit", "nora@home.net")
        assert r.exit_code == 0, r.output
        for ref in ("q3 audit", ws_id):
            r = run_cli("workspaces", "members", "--portal", pf.slug, "--workspace", ref)
            assert r.exit_code == 0, r.output
            assert "Not Joined  nora@home.net" in r.output
        r = run_cli("workspaces", "members", "--portal", pf.slug, "--workspace", "Nope")
        assert r.exit_code == 1 and "No workspace named “Nope”." in r.output, r.output

    def test_a_name_that_is_another_ones_id_is_refused(self, run_cli, db):
        """Text that is one workspace's id and another's name could mean either: refused (exit 1),
        saying so, for every command alike."""
        pf = create_portal(db)
        first = run_cli("workspaces", "create", "--portal", pf.slug, "--name", "First").output.strip()
        r = run_cli("workspaces", "create", "--portal", pf.slug, "--name", first)
        assert r.exit_code == 0, r.output
        said = f"“{first}” is the id of the workspace “First” and the name of another"
        for command in (
            ("members", "--portal", pf.slug, "--workspace", first),
            ("rename", "--portal", pf.slug, first, "Second"),
            ("delete", "--portal", pf.slug, first, "--yes"),
        ):
            r = run_cli("workspaces", *command)
            assert r.exit_code == 1 and said in r.output, r.output
        r = run_cli("workspaces", "list", "--portal", pf.slug, "--json")
        assert sorted(w["name"] for w in json.loads(r.output)["items"]) == sorted(["First", first])


class TestMembersFilterAndResend:
    def test_members_by_state_and_resend_all_expired(self, run_cli, db, worker):
        """``members --state expired`` lists those whose invitation lapsed (marked Expired), and
        ``resend --state expired`` resends to them through one Resend each, said per person."""
        from datetime import timedelta

        from admit.kit import clock

        pf = create_portal(db)
        r = run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Loan", "--json")
        ws = json.loads(r.output)["id"]
        run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", ws, "nora@home.net", "ivy@home.net")
        worker.drain()
        with clock.travel(timedelta(days=30)):
            run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", "Loan", "cat@home.net")
            r = run_cli(
                "workspaces", "members", "--portal", pf.slug, "--workspace", "Loan", "--state", "expired"
            )
            assert r.exit_code == 0, r.output
            assert r.output.splitlines() == [
                "Status   Address        Name  Flow roles",
                "Expired  nora@home.net  —     —",
                "Expired  ivy@home.net   —     —",
            ], r.output
            r = run_cli("workspaces", "members", "--portal", pf.slug, "--workspace", "Loan", "--q", "cat")
            assert r.output.splitlines()[1:] == ["Not Joined  cat@home.net  —     —"], r.output
            r = run_cli(
                "workspaces", "resend", "--portal", pf.slug, "--workspace", "Loan", "--state", "expired"
            )
            assert r.exit_code == 0, r.output
            # A table, as every answer for several people (``cli._shared.print_results``).
            lines = r.output.splitlines()
            assert lines[0].split() == ["Outcome", "Address", "Why"], r.output
            assert sorted(line.split() for line in lines[1:3]) == [
                ["resent", "ivy@home.net", "—"],
                ["resent", "nora@home.net", "—"],
            ], r.output
            worker.drain()
        assert (mail_count(db, "nora@home.net"), mail_count(db, "cat@home.net")) == (2, 1)
        # Nobody in the state: said in words, where it printed "0 resent · 0 skipped."
        r = run_cli("workspaces", "resend", "--portal", pf.slug, "--workspace", "Loan", "--state", "expired")
        assert (r.exit_code, r.output) == (0, "No one to resend to: no one's invitation has expired.\n")
        r = run_cli("workspaces", "members", "--portal", pf.slug, "--workspace", "Loan", "--state", "gone")
        assert r.exit_code != 0 and "--state" in r.output, r.output


class TestMembersTable:
    def test_every_row_lines_up_whatever_its_cells(self, run_cli, db, worker):
        """``workspaces members`` is a table: a Deactivated row (its word one letter longer than
        the rest were padded to) and a name in wide letters line up with the others; a missing
        name reads "—" where it left the next column one place to the left."""
        from admit.members.models import User
        from tests.factories import member_joins

        pf = create_portal(db)
        member_joins(db, worker, pf, "nora@home.net")
        with db.unit_of_work() as session:
            session.scalar(select(User).where(User.email == "nora@home.net")).name = "王小明"
        run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Loan")
        r = run_cli(
            "workspaces", "add", "--portal", pf.slug, "--workspace", "Loan", "nora@home.net", "cat@home.net"
        )
        assert r.exit_code == 0, r.output
        r = run_cli("members", "deactivate", "--portal", pf.slug, "nora@home.net")
        assert r.exit_code == 0, r.output
        r = run_cli("workspaces", "members", "--portal", pf.slug, "--workspace", "Loan")
        assert r.exit_code == 0, r.output
        assert r.output.splitlines() == [
            "Status       Address         Name         Flow roles",
            "Joined       owner@acme.com  Olive Owner  —",
            "Deactivated  nora@home.net   王小明       —",
            "Not Joined   cat@home.net    —            —",
        ], r.output

    def test_the_workspaces_list_lines_up_whatever_the_names(self, run_cli, db):
        """``workspaces list`` is a table too: a longer name moved its counts right."""
        pf = create_portal(db)
        for name in ("Loan", "Quarterly audit"):
            run_cli("workspaces", "create", "--portal", pf.slug, "--name", name)
        lines = run_cli("workspaces", "list", "--portal", pf.slug).output.splitlines()
        assert lines[0].split() == ["Id", "Kind", "Name", "Joined", "Not", "joined"], lines
        at = lines[0].index("Joined")
        assert [line[at:].split() for line in lines[1:]] == [["1", "0"], ["1", "0"]], lines


class TestRemove:
    def test_remove_takes_someone_out_as_the_panel_does(self, run_cli, db, worker):
        """``workspaces remove --workspace W PERSON`` (an email, a phone number or a user id)
        takes them out through the service the panel and the API call: roles end, a portal
        invitation stands, the audit log says so; someone not in it is exit 1 naming them."""
        pf = create_portal(db)
        ws = run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Loan", "--kind", "flow",
                     "--role", "Reviewer").output.strip()  # fmt: skip
        run_cli("workspaces", "add", "--portal", pf.slug, "--workspace", ws,
                "nora@home.net", "+1 202 555 0173", "ivy@home.net")  # fmt: skip
        listed = run_cli("workspaces", "members", "--portal", pf.slug, "--workspace", ws, "--json").output
        ids = {m["user"]["email"]: m["user"]["id"] for m in json.loads(listed)["items"]}
        ivy = ids["ivy@home.net"]
        r = run_cli("workspaces", "remove", "--portal", pf.slug, "--workspace", "Loan", "NORA@home.net")
        assert r.exit_code == 0, r.output
        assert r.output == "nora@home.net was removed from “Loan”.\n", r.output
        r = run_cli("workspaces", "remove", "--portal", pf.slug, "--workspace", ws, "(202) 555-0173")
        assert r.exit_code == 0 and "+1 202-555-0173 was removed" in r.output, r.output
        r = run_cli("workspaces", "remove", "--portal", pf.slug, "--workspace", ws, ivy)
        assert r.exit_code == 0 and "ivy@home.net was removed" in r.output, r.output
        r = run_cli("workspaces", "members", "--portal", pf.slug, "--workspace", ws)
        assert r.output.splitlines()[1:] == ["Joined  owner@acme.com  Olive Owner  —"], r.output
        r = run_cli("invitations", "list", "--portal", pf.slug)
        assert "nora@home.net" in r.output  # the portal invitation stands
        r = run_cli("workspaces", "remove", "--portal", pf.slug, "--workspace", ws, "nora@home.net")
        assert r.exit_code == 1 and "nora@home.net is not in the workspace “Loan”." in r.output, r.output
        r = run_cli("workspaces", "remove", "--portal", pf.slug, "--workspace", ws, "nobody@home.net")
        assert r.exit_code == 1 and "nobody@home.net is not in the workspace “Loan”." in r.output, r.output
        r = run_cli("audit", "list", "--portal", pf.slug)
        assert "removed nora@home.net from" in r.output, r.output
