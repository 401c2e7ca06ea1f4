"""The ``admit`` command, driven through click's CliRunner against the test database.

The CLI reads its settings from ``ADMIT_*`` variables (``admit.cli._settings``), so every call
passes ADMIT_DATABASE_URL for the backend under test.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from admit.flows import join
from admit.invitations.models import Invitation
from admit.notifications.models import DevMessage, Notification
from tests.factories import OWNER_PASSWORD, create_portal

SUBCOMMANDS = ("serve", "worker", "init", "invite", "users", "migrate", "check-config")


@pytest.fixture
def run(run_cli):
    return run_cli


def count(db, model, *where) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def init_portal(run, name="Acme Inc", email="owner@acme.com") -> dict:
    result = run(
        "init", "--portal-name", name, "--owner-email", email, "--owner-password", OWNER_PASSWORD, "--json"
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


class TestHelp:
    def test_main_help_lists_every_command(self, run):
        """``admit --help`` says what Admit is and lists every subcommand."""
        result = run("--help")
        assert result.exit_code == 0
        assert "invite people into your portal" in result.output
        for name in SUBCOMMANDS:
            assert name in result.output

    @pytest.mark.parametrize(
        ("command", "phrase"),
        [
            ("serve", "Run the web app"),
            ("worker", "Run the worker alone"),
            ("init", "Create a portal and its owner"),
            ("invite", "Invite people by email"),
            ("users", "List the portal's people"),
            ("migrate", "Create or upgrade the database schema"),
            ("check-config", "Say what is wrong with the configuration"),
        ],
    )
    def test_each_subcommand_help_says_what_it_does(self, run, command, phrase):
        """Every subcommand's --help describes what it does."""
        result = run(command, "--help")
        assert result.exit_code == 0, result.output
        assert phrase in " ".join(result.output.split())

    def test_version(self, run):
        """``admit --version`` prints the package version."""
        from admit import __version__

        result = run("--version")
        assert result.exit_code == 0
        assert __version__ in result.output


class TestInit:
    def test_json_prints_slug_and_a_working_api_key(self, run, client):
        """``admit init --json`` prints the new portal's slug and an API key that the API accepts."""
        out = init_portal(run)
        assert set(out) == {"portal", "api_key"}
        assert out["portal"] == "acme-inc"

        ok = client.get(
            f"/api/v1/portals/{out['portal']}/invitations",
            headers={"Authorization": f"Bearer {out['api_key']}"},
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["items"] == []
        wrong = client.get(
            f"/api/v1/portals/{out['portal']}/invitations",
            headers={"Authorization": f"Bearer {out['api_key']}x"},
        )
        assert wrong.status_code == 401

    def test_plain_output_names_the_portal_and_key(self, run):
        """Without --json, init says which portal it created and shows the key once."""
        result = run(
            "init", "--portal-name", "Beta", "--owner-email", "o@beta.com", "--owner-password", OWNER_PASSWORD
        )
        assert result.exit_code == 0, result.output
        assert "Portal beta created" in result.output
        assert "API key" in result.output

    def test_bad_owner_email_fails_naming_the_field(self, run, db):
        """A bad owner email exits non-zero with a message naming the field, and creates nothing."""
        result = run(
            "init", "--portal-name", "Acme", "--owner-email", "nope", "--owner-password", OWNER_PASSWORD
        )
        assert result.exit_code == 1
        assert "owner_email" in result.output
        from admit.portals.models import Portal

        assert count(db, Portal) == 0

    def test_weak_password_is_refused(self, run):
        """A too-short owner password exits non-zero with a reason."""
        result = run(
            "init", "--portal-name", "Acme", "--owner-email", "o@acme.com", "--owner-password", "short"
        )
        assert result.exit_code == 1
        assert "Error:" in result.output


class TestInvite:
    def test_invites_addresses_given_as_arguments(self, run, db):
        """``admit invite --type client a b`` invites both as clients and queues one email each."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, "--type", "client", "a@x.com", "b@y.com")
        assert result.exit_code == 0, result.output
        assert "invited  a@x.com" in result.output
        assert "invited  b@y.com" in result.output
        assert "2 invited, 0 skipped" in result.output

        with db.unit_of_work() as session:
            rows = session.execute(select(Invitation.recipient, Invitation.user_type, Invitation.role)).all()
        assert sorted(rows) == [("a@x.com", "client", "client"), ("b@y.com", "client", "client")]
        assert count(db, Notification, Notification.status == "queued") == 2

    def test_json_output(self, run):
        """``--json`` prints the API's answer: one result per recipient (the invitation for those
        invited, the code and reason for those skipped) and the counts."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, "--role", "admin", "--json", "a@x.com", "not-an-email")
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert out["counts"] == {"invited": 1, "added": 0, "skipped": 1}
        first, second = out["results"]
        assert (first["recipient"], first["outcome"], first["invitation"]["role"]) == (
            "a@x.com",
            "invited",
            "admin",
        )
        assert (second["recipient"], second["outcome"], second["code"]) == (
            "not-an-email",
            "skipped",
            "invalid_recipient",
        )
        assert second["detail"] and second["invitation"] is None

    def test_bad_addresses_are_skipped_with_a_reason(self, run, db):
        """Invalid addresses are reported as skipped with a reason; the good ones are still invited."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, "good@x.com", "bad@", "good@x.com")
        assert result.exit_code == 0, result.output
        assert "skipped  bad@  invalid_recipient:" in result.output
        assert "skipped  good@x.com  duplicate:" in result.output
        assert "1 invited, 2 skipped" in result.output
        assert count(db, Invitation) == 1

    def test_nothing_invited_exits_non_zero(self, run, db):
        """When no address could be invited the command reports why and exits 1."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, "--json", "bad@", "also bad")
        assert result.exit_code == 1
        out = json.loads(result.stdout)
        assert out["counts"]["invited"] == 0
        assert {s["code"] for s in out["results"]} == {"invalid_recipient"}
        assert count(db, Invitation) == 0
        assert count(db, Notification) == 0

    def test_already_invited_exits_non_zero(self, run):
        """Inviting the same address again is skipped as already_invited and exits 1."""
        slug = init_portal(run)["portal"]
        assert run("invite", "--portal", slug, "a@x.com").exit_code == 0
        again = run("invite", "--portal", slug, "a@x.com")
        assert again.exit_code == 1
        assert "already_invited" in again.output

    def test_file_of_addresses(self, run, db, tmp_path):
        """``--file`` imports a .txt list (one per line, names allowed) and invites each."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "people.txt"
        path.write_text(
            "ada@example.com\nBob Builder <bob@example.com>\n\ncy@example.com\r\ndee@example.com\n"
        )
        result = run("invite", "--portal", slug, "--file", str(path), "--json")
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert (out["status"], out["invited"], out["skipped"]) == ("done", 4, {})
        with db.unit_of_work() as session:
            recipients = sorted(session.scalars(select(Invitation.recipient)))
        assert recipients == ["ada@example.com", "bob@example.com", "cy@example.com", "dee@example.com"]
        with db.unit_of_work() as session:
            name = session.scalar(
                select(Invitation.recipient_name).where(Invitation.recipient == "bob@example.com")
            )
        assert name == "Bob Builder"

    def test_missing_file_is_a_usage_error(self, run, tmp_path):
        """A --file that does not exist is refused by the option parser (exit 2)."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, "--file", str(tmp_path / "missing.txt"))
        assert result.exit_code == 2
        assert "does not exist" in result.output

    def test_no_recipients_is_a_usage_error(self, run):
        """With neither addresses nor --file the command exits 2 and says what to give."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug)
        assert result.exit_code == 2
        assert "--file" in result.output

    def test_unknown_portal_fails(self, run, db):
        """An unknown portal slug exits non-zero with an error and writes nothing."""
        init_portal(run)
        result = run("invite", "--portal", "no-such-portal", "a@x.com")
        assert result.exit_code != 0
        assert "Error" in result.output
        assert count(db, Invitation) == 0

    def test_worker_once_delivers_what_invite_queued(self, run, db):
        """``admit worker --once`` delivers the queued emails to the dev mailbox and prints counts."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, "a@x.com", "b@y.com")
        result = run("worker", "--once")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == {"sent": 2, "retry": 0, "failed": 0}
        assert count(db, DevMessage) == 2


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


class TestCheckConfig:
    def test_good_config_exits_zero(self, run):
        """A sound configuration with a reachable database prints OK and exits 0."""
        result = run("check-config")
        assert result.exit_code == 0, result.output
        assert "OK" in result.output

    def test_bad_public_url_names_the_variable(self, run):
        """ADMIT_PUBLIC_URL=ftp://x exits 1 with a message naming ADMIT_PUBLIC_URL."""
        result = run("check-config", env={"ADMIT_PUBLIC_URL": "ftp://x"})
        assert result.exit_code == 1
        assert "ADMIT_PUBLIC_URL" in result.output
        assert "OK" not in result.output

    def test_invalid_value_names_the_variable(self, run):
        """A value the settings cannot parse (an unknown email backend) is named and exits 1."""
        result = run("check-config", env={"ADMIT_EMAIL_BACKEND": "pigeon"})
        assert result.exit_code == 1
        assert "ADMIT_EMAIL_BACKEND" in result.output

    def test_production_with_dev_defaults_is_refused(self, run):
        """In production the dev secret and the dev mailbox are reported, naming their variables."""
        result = run("check-config", env={"ADMIT_ENVIRONMENT": "production"})
        assert result.exit_code == 1
        assert "ADMIT_SECRET_KEY" in result.output
        assert "ADMIT_EMAIL_BACKEND" in result.output


class TestMigrate:
    def test_is_idempotent_and_keeps_data(self, run, db):
        """Running ``admit migrate`` twice succeeds both times and leaves existing rows alone."""
        create_portal(db)
        first = run("migrate")
        second = run("migrate")
        assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
        assert "is at head" in second.output
        with db.engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
        assert len(versions) == 1
        from admit.portals.models import Portal

        assert count(db, Portal) == 1


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
