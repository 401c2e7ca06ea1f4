"""``admit`` itself: what its help says, its version, and the one exit-code rule."""

from __future__ import annotations

import json
import os

import pytest

from admit.cli import _shared
from tests.factories import OWNER_PASSWORD

# What `admit invite` now requires (--type has no default); most tests invite team members.
INTERNAL = ("--type", "internal")

COMMANDS = (
    "serve", "worker", "migrate", "check-config", "init", "invite",
    "invitations", "members", "workspaces", "links", "scim-tokens", "hr", "audit",
)  # fmt: skip
OLD_NAMES = ("users", "workspace", "link")


def listed_commands(help_text: str) -> list[str]:
    """The command names ``--help`` lists under "Commands:"."""
    block = help_text.split("Commands:")[1].split("\n\n")[0]
    return [line.split()[0] for line in block.splitlines() if line.startswith("  ") and line.strip()]


class TestHelp:
    def test_main_help_lists_every_command(self, run):
        """``admit --help`` says what Admit is and lists every command group; the old names are
        hidden."""
        result = run("--help")
        assert result.exit_code == 0
        assert "invite people into your portal" in result.output
        assert sorted(listed_commands(result.output)) == sorted(COMMANDS)

    def test_it_says_what_to_run_first_and_init_what_next(self, run):
        """A first-time operator read the command list with nothing saying where to start, and
        ``init`` printed a key and stopped: ``--help`` names the first steps, ``init`` the next."""
        said = run("--help").output
        steps = said[said.index("First steps:") : said.index("Options:")]
        assert [line.split()[:2] for line in steps.splitlines()[1:] if line.strip().startswith("admit")] == [
            ["admit", "migrate"],
            ["admit", "init"],
            ["admit", "invite"],
        ], steps
        made = run(
            "init", "--portal-name", "Acme", "--owner-email", "o@acme.com", "--owner-password", OWNER_PASSWORD
        )
        assert made.exit_code == 0, made.output
        assert (
            "Next: admit invite --portal acme ADDRESS… (or admit serve, and sign in as o@acme.com)."
            in made.output
        )

    def test_python_dash_m_admit_is_the_same_command(self):
        """``python -m admit`` works where the ``admit`` script is not on the PATH."""
        import subprocess
        import sys

        done = subprocess.run(
            [sys.executable, "-m", "admit", "--help"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert sorted(listed_commands(done.stdout)) == sorted(COMMANDS)

    @pytest.mark.parametrize(
        ("command", "phrase"),
        [
            (["serve"], "Run the web app"),
            (["worker"], "Run the worker alone"),
            (["init"], "Create a portal and its owner"),
            (["invite"], "Invite people by email or phone number"),
            (["migrate"], "Create or upgrade the database schema"),
            (["check-config"], "Say what is wrong with the configuration"),
            (["invitations"], "The portal's invitations"),
            (["invitations", "list"], "Every invitation, newest first"),
            (["invitations", "resend"], "Send a pending (or expired) invitation again"),
            (["invitations", "revoke"], "Revoke a pending (or expired) invitation"),
            (["members"], "The portal's people"),
            (["members", "list"], "List the portal's people"),
            (["members", "deactivate"], "Deactivate MEMBER (their email address"),
            (["members", "reactivate"], "Reactivate MEMBER (their email address"),
            (["workspaces"], "Workspaces: create one, list them"),
            (["workspaces", "list"], "The portal's workspaces, newest first"),
            (["workspaces", "create"], "Create a workspace"),
            (["workspaces", "add"], "Add people by email or phone"),
            (["workspaces", "members"], "Who is in the workspace"),
            (["links"], "The portal's shareable invite link"),
            (["links", "show"], "Print the link"),
            (["links", "refresh"], "Refresh Link"),
            (["links", "set"], "Change the link's policy"),
            (["users"], "Old name of `admit members list`, kept for one release"),
            (["workspace"], "Old name of `admit workspaces`, kept for one release"),
            (["link"], "Old name of `admit links`, kept for one release"),
        ],
    )
    def test_each_command_help_says_what_it_does(self, run, command, phrase):
        """Every command's --help describes what it does (the old names: what they became)."""
        result = run(*command, "--help")
        assert result.exit_code == 0, result.output
        assert phrase in " ".join(result.output.split())

    def test_lists_say_their_json_shape(self, run):
        """Commands that list say their --json shape: items, total, next_cursor, the items as the
        API gives them; not "(the API's shape)", which the API's pages are not (they have no
        total)."""
        for command in (["invitations", "list"], ["members", "list"], ["workspaces", "list"], ["hr", "list"]):
            text = " ".join(run(*command, "--help").output.split())
            assert "--limit" in text and "--cursor" in text
        for command in (
            ["invitations", "list"], ["members", "list"], ["workspaces", "list"], ["workspaces", "members"],
            ["audit", "list"], ["links", "signups"], ["hr", "list"], ["scim-tokens", "list"],
        ):  # fmt: skip
            text = " ".join(run(*command, "--help").output.split())
            assert '"total": N, "next_cursor": null}: the items as the API gives them' in text, command
            assert "the API's shape" not in text, command
        # Only a command that has --limit and --cursor names them (``hr list --help`` did before
        # it had them).
        for command in (
            ["links", "signups"],
            ["scim-tokens", "list"],
            ["workspaces", "members"],
        ):
            text = " ".join(run(*command, "--help").output.split())
            assert "--limit" not in text and "--cursor" not in text, (command, text)
        text = " ".join(run("invitations", "list", "--help").output.split())
        assert "next_cursor is where --cursor goes on after a --limit" in text, text

    def test_every_list_prints_one_shape(self, run):
        """``hr list`` and ``scim-tokens list`` print the shape every list prints (they printed
        only ``{"items": [...]}``)."""
        from tests.cli.helpers import init_portal

        slug = init_portal(run)["portal"]
        for command in (["hr", "list"], ["scim-tokens", "list"], ["invitations", "list"]):
            said = json.loads(run(*command, "--portal", slug, "--json").stdout)
            assert said == {"items": [], "total": 0, "next_cursor": None}, command

    def test_version(self, run):
        """``admit --version`` prints the package version."""
        from admit import __version__

        result = run("--version")
        assert result.exit_code == 0
        assert __version__ in result.output


class TestExitCodes:
    def test_help_documents_the_rule(self, run):
        """``admit --help`` ends with the exit codes: 0 done (nothing to do included), 1 error,
        2 usage."""
        text = " ".join(run("--help").output.split())
        assert 'Exit codes: 0 done, including "nothing to do"' in text
        assert "an invitation already revoked" in text
        assert "1 an error, or a recipient refused for a reason that needs fixing" in text
        assert "2 usage: a missing or wrong option or argument, whether click or the service" in text

    @pytest.mark.parametrize(
        "code", ["already_member", "already_invited", "already_in_workspace", "already_in_team", "duplicate"]
    )
    def test_nothing_to_do_is_done(self, code):
        """A recipient already where they were asked to be is nothing to do: exit 0."""
        assert _shared.exit_code([code, code]) == 0

    @pytest.mark.parametrize(
        "code", ["invalid_recipient", "not_allowed", "wrong_user_type", "not_found", "not_invitable", "new"]
    )
    def test_a_refusal_that_needs_fixing_is_an_error(self, code):
        """Any recipient refused for a reason someone must fix (or an unknown one) makes it exit 1,
        whatever the others did."""
        assert _shared.exit_code(["already_invited", code]) == 1

    def test_no_skips_is_done_and_a_failure_is_an_error(self):
        """Nobody skipped is done; an import that failed is an error whatever its rows."""
        assert _shared.exit_code([]) == 0
        assert _shared.exit_code([], failed=True) == 1

    def test_usage_errors_are_2(self, run):
        """click's own usage errors and ours exit 2."""
        assert run("invite").exit_code == 2  # --portal missing
        assert run("no-such-command").exit_code == 2
        assert run("link", "set", "--portal", "acme", "--max-uses", "lots").exit_code == 2

    def test_a_value_the_service_refuses_is_usage_too(self, run):
        """A value refused by the service (422 ``invalid_input``) exits 2 as click's refusals do
        (``links set --role owner``), with --json too; it exited 1. A change with nothing to
        change is a missing option: 2."""
        from tests.cli.helpers import init_portal

        slug = init_portal(run)["portal"]
        assert run("links", "set", "--portal", slug, "--role", "owner").exit_code == 2  # click's
        for args in (
            ["links", "set", "--portal", slug, "--lifetime-days", "0"],
            ["links", "set", "--portal", slug, "--lifetime-days", "0", "--json"],
            ["init", "--portal-name", "X", "--owner-email", "bad", "--owner-password", OWNER_PASSWORD],
            ["members", "change", "--portal", slug, "owner@acme.com"],
        ):
            said = run(*args)
            assert said.exit_code == 2, (args, said.output)
        assert run("members", "deactivate", "--portal", slug, "owner@acme.com").exit_code == 1


class TestFreshProcess:
    def test_every_table_is_known_in_a_command_of_its_own(self, run_cli, database_url, settings, tmp_path):
        """Commands run in a process that has imported nothing else: the ORM must know every
        table (``admit workspace create`` and ``admit link show`` failed there, with
        NoReferencedTableError, while passing under pytest, which imports every model)."""
        import os
        import subprocess
        import sys

        slug = json.loads(run_cli("init", "--portal-name", "Acme", "--owner-email", "o@acme.com",
                                  "--owner-password", OWNER_PASSWORD, "--json").stdout)["portal"]  # fmt: skip
        env = {
            **os.environ,
            "ADMIT_DATABASE_URL": database_url,
            "ADMIT_ENVIRONMENT": "test",
            "ADMIT_EMAIL_BACKEND": "dev",
            "ADMIT_PUBLIC_URL": settings.public_url,
            "ADMIT_SECRET_KEY": settings.secret_key,
        }

        def admit(*args):
            return subprocess.run(
                [sys.executable, "-c", "from admit.cli import main; main()", *args],
                env=env, capture_output=True, text=True, cwd=tmp_path, timeout=120,
            )  # fmt: skip

        created = admit("workspace", "create", "--portal", slug, "--name", "Loan")
        assert created.returncode == 0, created.stderr
        shown = admit("link", "set", "--portal", slug, "--json")  # makes it (show only reads)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["status"] == "disabled"  # a new link starts off

    def test_workspace_commands_run_without_a_public_url(self, run_cli, database_url, tmp_path):
        """Without ADMIT_PUBLIC_URL a command first asks the database where a running ``admit
        serve`` answers (``_shared.from_running_server``), before its own unit of work:
        ``workspaces members`` and ``workspaces delete``, run as the README runs them, died there
        with "expression 'User' failed to locate a name" (the ORM met the workspaces' models
        before the members'), and worked once ADMIT_PUBLIC_URL was set."""
        import subprocess
        import sys

        slug = json.loads(run_cli("init", "--portal-name", "Acme", "--owner-email", "o@acme.com",
                                  "--owner-password", OWNER_PASSWORD, "--json").stdout)["portal"]  # fmt: skip
        assert run_cli("workspaces", "create", "--portal", slug, "--name", "Loan").exit_code == 0
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
        env |= {"ADMIT_DATABASE_URL": database_url, "ADMIT_ENVIRONMENT": "test", "ADMIT_EMAIL_BACKEND": "dev"}

        def admit(*args):
            return subprocess.run(
                [sys.executable, "-m", "admit", *args], env=env, cwd=tmp_path, capture_output=True,
                text=True, timeout=120,
            )  # fmt: skip

        listed = admit("workspaces", "members", "--portal", slug, "--workspace", "Loan")
        assert listed.returncode == 0 and "o@acme.com" in listed.stdout, listed.stderr[-2000:]
        deleted = admit("workspaces", "delete", "--portal", slug, "Loan", "--yes")
        assert deleted.returncode == 0 and "deleted" in deleted.stdout, deleted.stderr[-2000:]

    def test_every_way_into_the_database_knows_every_model_first(self, run_cli, database_url, tmp_path):
        """The CLI's two ways to the database (``_shared.from_running_server``, which asks where
        a running ``admit serve`` answers, and ``_shared.database``) import every model first,
        whatever the command imported before: a process that knows only the workspaces' models
        (whose relationships name the members') reads through both. Inside the net every command
        runs in (``_shared.database_errors``), neither imports Alembic (~0.1 s of each start):
        only migrating and a failing database's check of its schema need it."""
        import subprocess
        import sys
        import textwrap

        script = textwrap.dedent(
            f"""
            import sys
            import admit.workspaces.models
            from sqlalchemy import select
            from admit.cli import _shared
            from admit.settings import Settings

            with _shared.database_errors():
                settings, servers = _shared.from_running_server(Settings(database_url={database_url!r}))
                assert servers == [], servers
                db = _shared.database(settings)
                with db.unit_of_work() as session:
                    print(session.scalars(select(admit.workspaces.models.Workspace)).all())
            assert "alembic" not in sys.modules, "Alembic was imported"
            """
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr[-2000:]


class TestJsonAnswers:
    def test_every_json_answer_is_one_compact_line_as_the_api_writes_it(self, run):
        """Whatever the command, ``--json`` prints one line of compact JSON (a script may read
        it line by line; a model's and a plain answer's looked different before)."""
        init = run(
            "init", "--portal-name", "Acme Inc", "--owner-email", "owner@acme.com",
            "--owner-password", OWNER_PASSWORD, "--json",
        )  # fmt: skip
        slug = json.loads(init.stdout)["portal"]
        answers = [
            init,
            run("invite", "--portal", slug, *INTERNAL, "--json", "a@x.com"),
            run("invite", "--portal", slug, *INTERNAL, "--dry-run", "--json", "b@x.com"),
            run("invitations", "list", "--portal", slug, "--json"),
            run("links", "set", "--portal", slug, "--json"),
            run("links", "show", "--portal", slug, "--json"),
            run("worker", "--once"),
        ]
        for answer in answers:
            assert answer.exit_code == 0, answer.output
            line = answer.stdout.strip()
            assert "\n" not in line, line
            assert line == json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False), line

    def test_a_dry_run_of_one_row_says_row(self, run):
        from tests.cli.helpers import init_portal

        slug = init_portal(run)["portal"]
        said = run("invite", "--portal", slug, *INTERNAL, "--dry-run", "a@x.com")
        assert said.exit_code == 0 and said.stdout.splitlines()[0] == "1 row", said.output


class TestErrorsNameOptions:
    def test_a_refusal_names_the_option_that_gave_the_value(self, run):
        """A service names its field (``products``, ``lifetime_seconds``); the CLI says the option
        the operator typed (``--products``, ``--lifetime-days``); ``--product``, its other
        spelling, is named as the one documented."""
        init = run(
            "init", "--portal-name", "Acme Inc", "--owner-email", "owner@acme.com",
            "--owner-password", OWNER_PASSWORD, "--json",
        )  # fmt: skip
        slug = json.loads(init.stdout)["portal"]
        for spelt in ("--products", "--product"):
            r = run("invite", "--portal", slug, *INTERNAL, spelt, "nope", "a@x.com")
            assert r.exit_code == 2 and "nope" in r.stderr and "(option --products)" in r.stderr, r.output
        r = run("links", "set", "--portal", slug, "--lifetime-days", "0")
        assert r.exit_code == 2 and "(option --lifetime-days)" in r.stderr, r.output
        assert "(field:" not in r.stderr

    def test_a_field_no_option_gives_is_named_as_the_field(self):
        """Only the option of the field's own name, or the one named for it, stands for it (the
        reviewer: matching the first word took ``user_id`` for ``--type``)."""
        import click

        command = click.Command(
            "x",
            params=[
                click.Option(["--type", "user_type"]),
                click.Option(["--role"]),
                click.Option(["--product", "products"]),
            ],
        )
        with click.Context(command):
            assert [_shared._named(f) for f in ("user_id", "role_id", "products", "lifetime_seconds")] == [
                "user_id",
                "role_id",
                "--product",
                "lifetime_seconds",
            ]


class TestJsonErrors:
    """With ``--json`` an error is the API's problem on stdout (where the answer would be), with
    the exit code the text gives; it was plain text on stderr and nothing on stdout."""

    def test_a_refusal_prints_the_problem_the_api_answers(self, run, client):
        """Resending a revoked invitation: the same problem as ``POST …/resend`` answers (code,
        title, detail, status, type), on one line, exit 1, nothing on stderr."""
        from tests.cli.helpers import init_portal

        out = init_portal(run)
        slug = out["portal"]
        run("invite", "--portal", slug, "--type", "client", "a@x.com")
        (invitation,) = json.loads(run("invitations", "list", "--portal", slug, "--json").stdout)["items"]
        run("invitations", "revoke", "--portal", slug, invitation["id"])
        said = run("invitations", "resend", "--portal", slug, invitation["id"], "--json")
        assert said.exit_code == 1, said.output
        assert said.stderr == ""
        api = client.post(
            f"/api/v1/portals/{slug}/invitations/{invitation['id']}/resend",
            headers={"Authorization": f"Bearer {out['api_key']}"},
        )
        assert api.status_code == 409
        assert json.loads(said.stdout) == api.json()
        assert said.stdout.count("\n") == 1

    def test_init_run_again_and_bad_values(self, run):
        """``init --json`` run again: ``portal_exists`` with what the console adds, exit 1; a bad
        value: ``invalid_input`` with the field and every input at fault, as the API's."""
        from tests.cli.helpers import init_portal

        init_portal(run, name="Beta", email="o@beta.com")
        again = run(
            "init", "--portal-name", "Beta", "--owner-email", "o@beta.com",
            "--owner-password", OWNER_PASSWORD, "--json",
        )  # fmt: skip
        assert again.exit_code == 1 and again.stderr == "", again.output
        problem = json.loads(again.stdout)
        assert (problem["code"], problem["status"]) == ("portal_exists", 409)
        assert "Nothing was changed; --another makes a second portal" in problem["detail"]
        bad = run(
            "init", "--portal-name", "Acme", "--owner-email", "nope",
            "--owner-password", OWNER_PASSWORD, "--json",
        )  # fmt: skip
        problem = json.loads(bad.stdout)
        assert (problem["code"], problem["field"]) == ("invalid_input", "owner_email"), problem
        assert [e["field"] for e in problem["errors"]] == ["owner_email"]

    def test_a_usage_refusal_of_the_command_is_a_problem_too(self, run):
        """``members change --json`` with nothing to change (refused by the command, not by
        click before it): ``invalid_input``, exit 2, nothing on stderr (it was text there)."""
        from tests.cli.helpers import init_portal

        slug = init_portal(run)["portal"]
        said = run("members", "change", "--portal", slug, "o@acme.com", "--json")
        assert said.exit_code == 2 and said.stderr == "", said.output
        problem = json.loads(said.stdout)
        assert (problem["code"], problem["detail"]) == (
            "invalid_input",
            "Say what to change: --role, --products, or both.",
        )

    def test_no_such_portal_is_a_problem_too(self, run):
        """A --portal that names no portal: ``portal_not_found``, exit 2 as in text."""
        said = run("invitations", "list", "--portal", "no-such-portal", "--json")
        assert said.exit_code == 2 and said.stderr == "", said.output
        assert json.loads(said.stdout)["code"] == "portal_not_found"

    def test_a_portal_is_its_slug_in_any_case(self, run):
        """Slugs are lower case (``portals.service.typed_slug``): ``--portal ACME-INC`` is
        ``acme-inc`` (it was "No such portal", exit 2)."""
        from tests.cli.helpers import init_portal

        slug = init_portal(run)["portal"]
        said = run("invite", "--portal", f" {slug.upper()} ", *INTERNAL, "a@x.com")
        assert said.exit_code == 0, said.output
        listed = run("invitations", "list", "--portal", slug.upper(), "--json")
        assert listed.exit_code == 0, listed.output
        assert [i["recipient"] for i in json.loads(listed.stdout)["items"]] == ["a@x.com"]


class TestOptionsNamed:
    def test_an_option_spelt_as_the_field_is_named(self, run):
        """``audit list --actor bad@``: the service's field ``actor`` is the option ``--actor``
        (its parameter is ``by``); it said "(field: actor)"."""
        from tests.cli.helpers import init_portal

        slug = init_portal(run)["portal"]
        said = run("audit", "list", "--portal", slug, "--actor", "bad@")
        assert said.exit_code != 0 and said.stderr.rstrip().endswith("(option --actor)"), said.output

    def test_a_role_refused_names_role(self, run, client):
        """``members change … --role`` refused by the policy names ``--role`` (it named no
        option), and the API's 403 names the field ``role``."""
        from tests.cli.helpers import init_portal

        out = init_portal(run)
        said = run("members", "change", "--portal", out["portal"], "owner@acme.com", "--role", "admin")
        assert said.exit_code == 1, said.output
        assert "cannot change your own role" in said.stderr and "(option --role)" in said.stderr
        members = client.get(
            f"/api/v1/portals/{out['portal']}/members", headers={"Authorization": f"Bearer {out['api_key']}"}
        ).json()["items"]
        owner = next(m for m in members if m["user"]["email"] == "owner@acme.com")
        # The API key acts as an admin: an owner's role is not an admin's to change.
        api = client.patch(
            f"/api/v1/portals/{out['portal']}/members/{owner['id']}",
            json={"role": "member"},
            headers={"Authorization": f"Bearer {out['api_key']}"},
        )
        assert api.status_code == 403, api.text
        assert api.json()["field"] == "role" and api.json()["errors"][0]["field"] == "role"

    def test_a_role_for_a_client_is_input_refused(self, run, db):
        """``members change <client> --role admin``: a client has no role, an input refused
        (exit 2, as the API's 422 naming ``role``), where it was a refusal of the actor (exit 1)."""
        from tests.cli.helpers import init_portal
        from tests.factories import PortalFixture, active_member

        slug = init_portal(run)["portal"]
        pf = PortalFixture(slug=slug, api_key="", owner_email="owner@acme.com", portal_id=None)
        active_member(db, pf, "cleo@client.org", user_type="client", role="client")
        said = run("members", "change", "--portal", slug, "cleo@client.org", "--role", "admin")
        assert said.exit_code == 2, said.output
        assert "A client has no role to change" in said.stderr and "(option --role)" in said.stderr


class TestEmptyLists:
    def test_each_list_says_it_is_empty(self, run):
        """A list with nothing in it says so in words, where it printed nothing; --json stays
        the empty list."""
        from tests.cli.helpers import init_portal

        slug = init_portal(run)["portal"]
        for args, said in (
            (["invitations", "list"], "No invitations.\n"),
            (["invitations", "list", "--status", "revoked"], "No invitations.\n"),
            (["members", "list", "--status", "pending"], "Nobody matches.\n"),
            (["workspaces", "list"], "No workspaces.\n"),
            (["hr", "list"], "No HR connections.\n"),
        ):
            text = run(*args, "--portal", slug)
            assert (text.exit_code, text.output) == (0, said), args
            assert json.loads(run(*args, "--portal", slug, "--json").stdout)["items"] == []


def test_every_command_that_grants_products_takes_both_spellings(run, db, worker):
    """``--products a,b`` (what the change commands and ``links set`` took) and ``--product a
    --product b`` (what ``invite`` took) work on each of them, any case, and ``--help`` shows
    the one documented: ``--products``."""
    from tests.cli.helpers import init_portal
    from tests.factories import PortalFixture, member_joins

    out = init_portal(run)
    slug = out["portal"]
    invited = run(
        "invite", "--portal", slug, *INTERNAL, "--products", "messaging, Billing", "a@x.com", "--json"
    )
    assert invited.exit_code == 0, invited.output
    assert json.loads(invited.stdout)["results"][0]["invitation"]["products"] == ["messaging", "billing"]
    old = run("invite", "--portal", slug, *INTERNAL, "--product", "billing", "b@x.com", "--json")
    assert old.exit_code == 0, old.output  # a script written for `invite --product` goes on working
    assert json.loads(old.stdout)["results"][0]["invitation"]["products"] == ["billing"]
    changed = run(
        "invitations", "change", "--portal", slug, "b@x.com", "--product", "messaging", "--product", "billing"
    )
    assert changed.exit_code == 0, changed.output
    pf = PortalFixture(slug=slug, api_key=out["api_key"], owner_email="owner@acme.com", portal_id=None)
    member_joins(db, worker, pf, "mel@acme.com")
    member = run("members", "change", "--portal", slug, "mel@acme.com", "--product", "billing", "--json")
    assert member.exit_code == 0 and json.loads(member.stdout)["products"] == ["billing"], member.output
    link = run("links", "set", "--portal", slug, "--product", "messaging", "--json")
    assert link.exit_code == 0 and json.loads(link.stdout)["products"] == ["messaging"], link.output
    for command in (("invite",), ("invitations", "change"), ("members", "change"), ("links", "set")):
        shown = run(*command, "--help").output
        assert "--products" in shown and "--product " not in shown and "--product," not in shown, shown
