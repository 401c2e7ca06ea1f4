"""``admit invite`` (addresses, or a file through a bulk import) and ``admit invitations
list|resend|revoke``."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from admit.imports.models import InvitationImport
from admit.invitations.models import Invitation
from admit.notifications.models import DevMessage, Notification
from tests.cli.helpers import count, init_portal, starts
from tests.factories import create_portal, invite
from tests.imports.helpers import FILE, pending_recipients, table_counts

# What `admit invite` now requires (--type has no default); most tests invite team members.
INTERNAL = ("--type", "internal")


class TestInvite:
    def test_invites_addresses_given_as_arguments(self, run, db):
        """``admit invite --type client a b`` invites both as clients and queues one email each."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, "--type", "client", "a@x.com", "b@y.com")
        assert result.exit_code == 0, result.output
        assert "invited  a@x.com" in result.output
        assert "invited  b@y.com" in result.output
        # The Invite box's words, as what they were invited too (a tester invited teammates as
        # clients and was never told): "2 invited as clients."
        assert "\n2 invited as clients. The messages are queued" in result.output

        with db.unit_of_work() as session:
            rows = session.execute(select(Invitation.recipient, Invitation.user_type, Invitation.role)).all()
        assert sorted(rows) == [("a@x.com", "client", "client"), ("b@y.com", "client", "client")]
        assert count(db, Notification, Notification.status == "queued") == 2

    def test_json_output(self, run):
        """``--json`` prints the API's answer: one result per recipient (the invitation for those
        invited, the code and reason for those skipped) and the counts; an invalid address needs
        fixing, so the command exits 1 (the others are invited all the same)."""
        slug = init_portal(run)["portal"]
        result = run(
            "invite",
            "--portal",
            slug,
            *INTERNAL,
            "--role",
            "admin",
            "--json",
            "a@x.com",
            "not-an-email",
        )
        assert result.exit_code == 1, result.output
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
        """Invalid addresses are reported as skipped with a reason (exit 1: they need fixing); the
        good ones are still invited."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, *INTERNAL, "good@x.com", "bad@", "good@x.com")
        assert result.exit_code == 1, result.output
        lines = [" ".join(line.split()) for line in result.output.splitlines()]
        assert any(line.startswith("skipped bad@ invalid_recipient:") for line in lines), lines
        assert any(line.startswith("skipped good@x.com duplicate:") for line in lines), lines
        # The Invite box's words (it said "1 invited, 2 skipped."): pipeline.summary.
        assert (
            "\n1 invited as an internal user · 2 skipped: 1 not a usable email or phone number,"
            " 1 listed twice. The messages" in result.output
        )
        assert count(db, Invitation) == 1

    def test_nothing_invited_exits_non_zero(self, run, db):
        """When no address could be invited the command reports why and exits 1."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, *INTERNAL, "--json", "bad@", "also bad")
        assert result.exit_code == 1
        out = json.loads(result.stdout)
        assert out["counts"]["invited"] == 0
        assert {s["code"] for s in out["results"]} == {"invalid_recipient"}
        assert count(db, Invitation) == 0
        assert count(db, Notification) == 0

    def test_already_invited_is_nothing_to_do(self, run):
        """Inviting the same address again is skipped as already_invited: nothing to do, exit 0
        (it was exit 1 before the one exit-code rule)."""
        slug = init_portal(run)["portal"]
        assert run("invite", "--portal", slug, *INTERNAL, "a@x.com").exit_code == 0
        again = run("invite", "--portal", slug, *INTERNAL, "a@x.com")
        assert again.exit_code == 0, again.output
        assert "already_invited" in again.output
        assert "\n0 invited · 1 skipped: 1 already invited.\n" in again.output
        # The command that sends it again is named, where it said "use Resend" (a button).
        said = f"use `admit invitations resend --portal {slug} a@x.com` to send it again."
        assert said in again.output and "use Resend" not in again.output, again.output

    def test_a_preview_names_the_command_that_resends_too(self, run, tmp_path):
        """``--dry-run`` and a list's rows not invited said "use Reinvite" (the pages' button),
        where ``admit invite`` names the command that sends it again (a tester)."""
        slug = init_portal(run)["portal"]
        assert run("invite", "--portal", slug, *INTERNAL, "a@x.com").exit_code == 0
        said = f"use `admit invitations resend --portal {slug} a@x.com` to send it again."
        preview = run("invite", "--portal", slug, *INTERNAL, "--dry-run", "a@x.com")
        assert said in preview.output and "Reinvite" not in preview.output, preview.output
        listed = tmp_path / "people.csv"
        listed.write_text("email\na@x.com\n")
        imported = run("invite", "--portal", slug, *INTERNAL, "--file", str(listed))
        assert said in imported.output and "Reinvite" not in imported.output, imported.output

    def test_members_and_duplicates_are_nothing_to_do(self, run):
        """Everyone skipped as already_member, already_invited or duplicate: exit 0."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, "a@x.com")
        people = ("owner@acme.com", "a@x.com", "b@y.com", "B@y.com")
        result = run("invite", "--portal", slug, *INTERNAL, "--json", *people)
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert [(r["outcome"], r["code"]) for r in out["results"]] == [
            ("skipped", "already_member"),
            ("skipped", "already_invited"),
            ("invited", None),
            ("skipped", "duplicate"),
        ]
        assert out["results"][1]["invitation"]["recipient"] == "a@x.com"  # the one that stands

    def test_file_of_addresses(self, run, db, tmp_path):
        """``--file`` imports a .txt list (one per line, names allowed) and invites each."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "people.txt"
        path.write_text(
            "ada@example.com\nBob Builder <bob@example.com>\n\ncy@example.com\r\ndee@example.com\n"
        )
        result = run("invite", "--portal", slug, *INTERNAL, "--file", str(path), "--json")
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

    def test_role_column_only_when_asked(self, run, db, tmp_path):
        """A file's role column is ignored unless ``--use-role-column``; then ``--role`` is the
        ceiling (an admin row under --role member is not invited)."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "team.csv"
        path.write_text("email,role\nada@example.com,admin\nmo@example.com,member\n")
        args = ("invite", "--portal", slug, *INTERNAL, "--file", str(path))
        ignored = run(*args, "--dry-run", "--json")
        assert json.loads(ignored.stdout)["roles"] == {"member": 2}
        capped = run(*args, "--use-role-column", "--dry-run", "--json")
        assert json.loads(capped.stdout)["counts"]["not_allowed"] == 1
        used = run(*args, "--role", "admin", "--use-role-column", "--json")
        assert used.exit_code == 0, used.output
        with db.unit_of_work() as session:
            roles = dict(session.execute(select(Invitation.recipient, Invitation.role)).all())
        assert roles == {"ada@example.com": "admin", "mo@example.com": "member"}

    def test_rows_above_the_lists_role_are_told_the_role_that_invites_them(self, run, tmp_path):
        """``--use-role-column`` without ``--role`` refused Admin and Owner rows with no way
        forward: the preview names the ``--role`` that invites them (the page's "Invite up to
        …"), ``--confirm-owners`` with it for owners, and so does the import's summary; the
        help says what the CLI allows (it said "owners: not from the CLI")."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "team.csv"
        path.write_text("email,role\nada@example.com,admin\nmo@example.com,\nli@example.com,admin\n")
        args = ("invite", "--portal", slug, *INTERNAL, "--use-role-column", "--file", str(path))
        preview = run(*args, "--dry-run")
        assert preview.exit_code == 0, preview.output
        assert (
            "2 rows ask for a role above --role, so not invited: add --role admin to invite up to Admin"
            " (rows with no role of their own get Admin too)."
        ) in preview.stdout, preview.output
        path.write_text("email,role\nivy@example.com,owner\n")
        owners = run(*args, "--role", "admin", "--dry-run")
        assert "1 row asks for a role above --role, so not invited: add --role owner --confirm-owners" in (
            owners.stdout
        ), owners.output
        done = run(*args)
        assert done.exit_code == 1, done.output
        said = (
            "Rows asking for a role above --role were not invited: --dry-run says which --role invites them."
        )
        assert said in done.stdout, done.output
        shown = " ".join(run("invite", "--help").output.split())
        assert (
            "not from the CLI" not in shown and "Owner rows with --role owner and --confirm-owners" in shown
        )

    def test_confirm_owners_without_an_owner_is_said_to_do_nothing(self, run):
        """``--confirm-owners`` where no owner is made was taken silently: a note on stderr says
        it has no effect, and the command goes on (a script that always gives it still works)."""
        slug = init_portal(run)["portal"]
        note = "Note: --confirm-owners has no effect without --role owner: nobody is made an owner here."
        invited = run("invite", "--portal", slug, *INTERNAL, "--role", "admin", "--confirm-owners", "a@x.com")
        assert invited.exit_code == 0 and note in invited.stderr, invited.output
        changed = run(
            "invitations", "change", "--portal", slug, "--role", "member", "--confirm-owners", "a@x.com"
        )
        assert changed.exit_code == 0 and note in changed.stderr, changed.output
        owner = run("invite", "--portal", slug, *INTERNAL, "--role", "owner", "--confirm-owners", "o@x.com")
        assert owner.exit_code == 0 and "Note:" not in owner.stderr, owner.output

    def test_an_unused_role_column_is_said(self, run, db, tmp_path):
        """A file with a Role column, without ``--use-role-column``: the preview and the summary
        say the column was seen and not used (it was silent: everyone became a Member)."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "p.csv"
        path.write_text("email,role\nada@example.com,admin\nmo@example.com,owner\nli@example.com,superuser\n")
        args = ("invite", "--portal", slug, *INTERNAL, "--file", str(path))
        said = "The file has a Role column (3 rows); it is not used: add --use-role-column to use it."
        preview = run(*args, "--dry-run")
        assert said in preview.stdout, preview.output
        used = run(*args, "--role", "admin", "--use-role-column", "--dry-run")
        assert "Role column" not in used.stdout, used.output
        imported = run(*args)
        assert imported.exit_code == 0, imported.output
        assert said in imported.stdout, imported.output
        with db.unit_of_work() as session:
            assert set(session.scalars(select(Invitation.role))) == {"member"}

    def test_a_role_that_is_no_role_is_said_as_one(self, run, tmp_path):
        """The operator tester's ``gina@opsco.com,superuser`` with --use-role-column read "3 not
        usable emails or phone numbers" (code invalid_recipient): the address is fine, the role
        is not (invalid_role)."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "p.csv"
        path.write_text("email,role\ngina@opsco.com,superuser\nhal@opsco.com,member\n")
        args = (
            "invite",
            "--portal",
            slug,
            *INTERNAL,
            "--role",
            "admin",
            "--use-role-column",
            "--file",
            str(path),
        )
        preview = run(*args, "--dry-run")
        assert "       1  unknown roles" in preview.stdout, preview.output
        assert (
            "row 2: gina@opsco.com — “superuser” is not a role: use owner, admin or member." in preview.stdout
        )
        done = run(*args)
        assert done.exit_code == 1, done.output
        assert done.stdout.startswith("1 invited as an internal user · 1 skipped: 1 unknown role."), (
            done.output
        )

    def test_owners_are_confirmed_with_confirm_owners(self, run, db, tmp_path):
        """A list that can make owners (a Role column's owner, or --role owner) is previewed and
        its owners confirmed, as the import page asks: --dry-run says so, the import without
        --confirm-owners is refused (exit 2) and with it sends (the operator tester had no way
        to confirm; --role owner --file made everyone an owner unasked)."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "p.csv"
        path.write_text("email,role\nivy@opsco.com,owner\n")
        for extra in (("--use-role-column",), ()):
            args = ("invite", "--portal", slug, *INTERNAL, "--role", "owner", *extra, "--file", str(path))
            preview = run(*args, "--dry-run")
            assert preview.exit_code == 0, preview.output
            assert "1 will be an owner: add --confirm-owners to send the list" in preview.stdout, (
                preview.output
            )
            refused = run(*args)
            assert refused.exit_code == 2 and "--confirm-owners" in refused.output, refused.output
            assert count(db, Invitation) == 0
        sent = run(*args, "--confirm-owners")
        assert sent.exit_code == 0, sent.output
        with db.unit_of_work() as session:
            assert dict(session.execute(select(Invitation.recipient, Invitation.role)).all()) == {
                "ivy@opsco.com": "owner"
            }

    def test_owners_given_as_addresses_are_confirmed_too(self, run, db):
        """``admit invite --role owner a@x.com`` made an owner unasked, where the same address in a
        file is previewed and confirmed: the addresses form asks the import's rule too. --dry-run
        says so, without --confirm-owners it is refused (exit 2, nothing written; with --json the
        API's problem naming ``role``) and with it sends."""
        slug = init_portal(run)["portal"]
        args = ("invite", "--portal", slug, *INTERNAL, "--role", "owner", "ivy@opsco.com")
        preview = run(*args, "--dry-run")
        assert preview.exit_code == 0, preview.output
        assert "1 will be an owner: add --confirm-owners to send the list" in preview.stdout, preview.output
        refused = run(*args)
        assert refused.exit_code == 2, refused.output
        assert "previewed first" in refused.output and "--confirm-owners" in refused.output, refused.output
        as_json = run(*args, "--json")
        assert as_json.exit_code == 2, as_json.output
        problem = json.loads(as_json.stdout)
        assert problem["field"] == "role" and "--confirm-owners" in problem["detail"], problem
        assert count(db, Invitation) == 0 and count(db, Notification) == 0
        # Admins and members are not owners: sent at once, as before.
        assert run("invite", "--portal", slug, *INTERNAL, "--role", "admin", "al@opsco.com").exit_code == 0
        sent = run(*args, "--confirm-owners")
        assert sent.exit_code == 0, sent.output
        with db.unit_of_work() as session:
            assert dict(session.execute(select(Invitation.recipient, Invitation.role)).all()) == {
                "al@opsco.com": "admin",
                "ivy@opsco.com": "owner",
            }

    def test_file_exit_codes(self, run, tmp_path):
        """An import is done (exit 0) when every row was invited or had nothing to do (the same
        list again: "already imported"); a row that needs fixing makes it exit 1."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "people.txt"
        path.write_text("ada@example.com\nowner@acme.com\nada@example.com\n")
        first = run("invite", "--portal", slug, *INTERNAL, "--file", str(path), "--json")
        assert first.exit_code == 0, first.output
        out = json.loads(first.stdout)
        assert (out["invited"], out["skipped"]) == (1, {"already_member": 1, "duplicate": 1})
        again = run("invite", "--portal", slug, *INTERNAL, "--file", str(path), "--json")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["created"] is False  # the earlier import

        bad = tmp_path / "bad.txt"
        bad.write_text("bob@example.com\nnot an address\n")
        result = run("invite", "--portal", slug, *INTERNAL, "--file", str(bad), "--json")
        assert result.exit_code == 1, result.output
        out = json.loads(result.stdout)
        assert (out["status"], out["invited"], out["skipped"]) == ("done", 1, {"invalid_recipient": 1})

    def test_dry_run_exit_codes(self, run, tmp_path):
        """A preview writes nothing and is done (exit 0) whatever it found, rows to fix included
        (it exited 1 then, as an import does: a dry run that did its work looked failed); only a
        file refused as a whole (no address column) is not (exit 2)."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, "a@x.com")
        people = ("a@x.com", "owner@acme.com", "b@x.com")
        ok = run("invite", "--portal", slug, *INTERNAL, "--dry-run", "--json", *people)
        assert ok.exit_code == 0, ok.output
        counts = json.loads(ok.stdout)["counts"]
        assert (counts["will_invite"], counts["already_invited"], counts["already_member"]) == (1, 1, 1)
        nothing = run("invite", "--portal", slug, *INTERNAL, "--dry-run", "a@x.com")
        assert nothing.exit_code == 0, nothing.output
        path = tmp_path / "people.txt"
        path.write_text("c@x.com\nnope\n")
        bad = run("invite", "--portal", slug, *INTERNAL, "--file", str(path), "--dry-run", "--json")
        assert bad.exit_code == 0, bad.output
        assert json.loads(bad.stdout)["counts"]["invalid_recipient"] == 1
        typed = run("invite", "--portal", slug, *INTERNAL, "--dry-run", "c@x.com", "nope")
        assert typed.exit_code == 0, typed.output
        path.write_text("Foo,Bar\nx,y\n")
        refused = run("invite", "--portal", slug, *INTERNAL, "--file", str(path), "--dry-run")
        assert refused.exit_code == 2, refused.output

    @pytest.mark.parametrize("dry_run", [(), ("--dry-run",)])
    def test_a_file_without_an_address_column_is_refused(self, run, db, tmp_path, dry_run):
        """Columns not named as Admit reads them: the words the upload page gives, naming the
        file's first row and the headings taken; exit 2, nothing written (it was previewed and
        imported as rows of invalid addresses, "row 1: Foo,Bar")."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "people.csv"
        path.write_text("Foo,Bar\nx,y\n")
        result = run("invite", "--portal", slug, *INTERNAL, "--file", str(path), *dry_run)
        assert result.exit_code == 2, result.output
        assert "No Email or Phone column: the first row has Foo, Bar." in result.stderr
        assert "Email Address" in result.stderr and "(option --file)" in result.stderr
        assert result.stdout == ""
        assert count(db, Invitation) == 0

    def test_missing_file_is_a_usage_error(self, run, tmp_path):
        """A --file that does not exist is refused by the option parser (exit 2)."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, *INTERNAL, "--file", str(tmp_path / "missing.txt"))
        assert result.exit_code == 2
        assert "does not exist" in result.output

    def test_no_recipients_is_a_usage_error(self, run):
        """With neither addresses nor --file the command exits 2 and says what to give."""
        slug = init_portal(run)["portal"]
        result = run("invite", "--portal", slug, *INTERNAL)
        assert result.exit_code == 2
        assert "--file" in result.output

    def test_addresses_and_file_is_a_usage_error(self, run, tmp_path):
        """Addresses and --file together: exit 2, nothing invited."""
        slug = init_portal(run)["portal"]
        path = tmp_path / "people.txt"
        path.write_text("ada@example.com\n")
        result = run("invite", "--portal", slug, *INTERNAL, "--file", str(path), "b@x.com")
        assert result.exit_code == 2
        assert "not both" in result.output

    def test_unknown_portal_fails(self, run, db):
        """An unknown portal slug exits non-zero with an error and writes nothing."""
        init_portal(run)
        result = run("invite", "--portal", "no-such-portal", *INTERNAL, "a@x.com")
        assert result.exit_code != 0
        assert "Error" in result.output
        assert count(db, Invitation) == 0

    def test_worker_once_delivers_what_invite_queued(self, run, db):
        """``admit worker --once`` delivers the queued emails to the dev mailbox and prints counts."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, "a@x.com", "b@y.com")
        result = run("worker", "--once")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == {
            "sent": 2,
            "retry": 0,
            "failed": 0,
            "expired": 0,
            "reminded": 0,
            "digests": 0,
        }
        assert count(db, DevMessage) == 2

    def test_worker_once_counts_what_expired_before_it_could_go(self, run, db):
        """The README's ``expired`` (a message whose link died while it waited: cancelled, not
        sent), which ``worker --once`` never printed."""
        from datetime import timedelta

        from admit.kit import clock

        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, "late@x.com")
        with clock.travel(timedelta(days=40)):
            result = run("worker", "--once")
        assert result.exit_code == 0, result.output
        said = json.loads(result.stdout)
        assert (said["sent"], said["expired"]) == (0, 1), said
        assert count(db, DevMessage) == 0


@pytest.fixture
def people_csv(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(FILE)
    return path


class TestInviteFile:
    """``admit invite --file`` (moved from tests/imports/test_api.py)."""

    def test_dry_run_prints_the_preview(self, run, db, people_csv):
        """``--dry-run`` prints the counts and the skipped rows, each as the import's summary
        lists them (row number, the address or the row, why: the preview printed the whole row
        even where the address was known); writes nothing. A preview that did its work is done:
        exit 0, rows to fix or not."""
        pf = create_portal(db)
        before = table_counts(db)
        result = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(people_csv), "--dry-run")
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert "6 rows" in out
        lines = [" ".join(line.split()) for line in out.splitlines()]
        assert "2 will invite" in lines
        assert "1 already members" in lines
        assert "1 duplicates in the list" in lines
        assert "2 invalid" in lines
        assert any(line.startswith("row 6: bob@gmial.com") and "bob@gmail.com" in line for line in lines)
        assert "row 4: owner@acme.com — This person is already in the portal." in lines
        assert table_counts(db) == before

    def test_dry_run_of_a_number_the_portal_does_not_text(self, run, db, tmp_path):
        """``--dry-run`` of a UK number (the portal texts US numbers) names it (it was a
        KeyError); a preview: exit 0."""
        pf = create_portal(db)
        path = tmp_path / "gg.csv"
        path.write_text("+44 7911 123456\n")
        result = run("invite", "--portal", pf.slug, "--file", str(path), "--type", "internal", "--dry-run")
        assert result.exit_code == 0, result.output
        lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
        assert "1 numbers from countries not texted" in lines, lines

    def test_dry_run_json(self, run, db, people_csv):
        """``--dry-run --json`` prints the preview as JSON (exit 0: a preview, rows to fix or not)."""
        pf = create_portal(db)
        result = run(
            "invite",
            "--portal",
            pf.slug,
            *INTERNAL,
            "--file",
            str(people_csv),
            "--dry-run",
            "--json",
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["counts"]["will_invite"] == 2

    def test_import_json_prints_the_final_counts(self, run, db, people_csv):
        """Without --dry-run, ``--json`` prints the finished import's counts; exit code 1, as two
        rows are invalid (it was 0 before the exit-code rule: some were invited)."""
        pf = create_portal(db)
        result = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(people_csv), "--json")
        assert result.exit_code == 1, result.output
        final = json.loads(result.stdout)
        assert final["status"] == "done"
        assert (final["total"], final["processed"], final["invited"]) == (6, 6, 2)
        assert final["skipped"] == {"already_member": 1, "duplicate": 1, "invalid_recipient": 2}
        assert pending_recipients(db) == ["ada@example.com", "grace@example.com"]

    def test_summary_without_json(self, run, db, people_csv):
        """The plain summary says how many were invited and skipped, by reason in words (it said
        codes: "1 already_member"), then the rows skipped: row number, address, why."""
        pf = create_portal(db)
        result = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(people_csv))
        assert result.exit_code == 1, result.output  # two invalid rows
        lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
        assert lines[0].startswith(
            "2 invited as internal users · 4 skipped: 2 not usable emails or phone numbers,"
            " 1 already a member, 1 listed twice."
        ), lines
        assert "_" not in lines[0]
        assert "row 4: owner@acme.com — This person is already in the portal." in lines
        duplicate = "row 5: ada@example.com — This address appears more than once"
        assert any(line.startswith(duplicate) for line in lines)
        assert any(line.startswith("row 6: bob@gmial.com") and "bob@gmail.com" in line for line in lines)
        assert any(line.startswith("row 7: carol@example.con") for line in lines)
        assert not any("more" in line for line in lines[1:] if not line.startswith("row"))

    def test_summary_lists_the_first_rows_skipped_and_how_many_more(self, run, db, tmp_path):
        """Many rows skipped: the first ten are listed, then "and N more"."""
        pf = create_portal(db)
        path = tmp_path / "bad.txt"
        path.write_text("".join(f"nobody{i}\n" for i in range(13)))
        result = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(path))
        assert result.exit_code == 1, result.output
        lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
        assert lines[0].startswith("0 invited · 13 skipped: 13 not usable emails or phone numbers"), lines
        assert [line.split(":")[0] for line in lines if line.startswith("row ")] == [
            f"row {n}" for n in range(1, 11)
        ]
        assert any(line.startswith("and 3 more") for line in lines), lines

    def test_exit_code_1_when_a_row_needs_fixing(self, run, db, tmp_path):
        """Exit code 1 when a row needs fixing (``nope``), whatever the others (already there), with
        the counts printed; its dry run is a preview that did its work (exit 0)."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        path = tmp_path / "nobody.txt"
        path.write_bytes(b"ada@example.com\nowner@acme.com\nnope\n")
        result = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(path), "--dry-run")
        assert result.exit_code == 0, result.output
        result = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(path), "--json")
        assert result.exit_code == 1, result.output
        final = json.loads(result.stdout)
        assert final["invited"] == 0
        assert final["skipped"] == {"already_invited": 1, "already_member": 1, "invalid_recipient": 1}

    def test_running_the_same_file_again_invites_nobody_twice(self, run, db, people_csv):
        """The same file again the same day: the earlier import is reported, ``--json`` marking it
        ``"created": false`` as the API does (it had no mark: only stderr said so); exit code 1
        as its invalid rows still need fixing (a clean list again is 0: ``test_file_exit_codes``)."""
        pf = create_portal(db)
        first = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(people_csv), "--json")
        assert first.exit_code == 1
        again = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(people_csv), "--json")
        assert again.exit_code == 1
        assert json.loads(first.stdout)["created"] is True
        out = json.loads(again.stdout)
        assert (out["created"], out["id"], out["invited"]) == (False, json.loads(first.stdout)["id"], 2)
        assert pending_recipients(db) == ["ada@example.com", "grace@example.com"]

    def test_the_same_file_again_says_it_is_the_earlier_import(self, run, db, tmp_path):
        """Its summary says the list was imported before, when and as which import, what that
        one did and that nothing is sent now (it said "2 invited. The messages are queued…",
        as if two were invited again)."""
        pf = create_portal(db)
        path = tmp_path / "people.txt"
        path.write_text("ada@example.com\nbob@example.com\n")
        run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(path))
        again = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(path))
        assert again.exit_code == 0, again.output
        said = again.stdout.strip()
        with db.unit_of_work() as session:
            (imp,) = session.scalars(select(InvitationImport))
        assert said == (
            f"Already imported on {imp.created_at:%Y-%m-%d %H:%M} UTC (import {imp.id}); nothing sent now."
            " Then: 2 invited as internal users."
        ), said
        assert count(db, Notification) == 2

    def test_bad_file_is_an_error(self, run, db, tmp_path):
        """A binary file: an error naming the field, exit code 2 (a value refused), nothing
        written; refused by its name's type when it has one, by what it holds when named as a
        list."""
        pf = create_portal(db)
        image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
        for name, said in (("photo.png", "this one is a .png"), ("photo.csv", "not a text file")):
            path = tmp_path / name
            path.write_bytes(image)
            result = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(path))
            assert result.exit_code == 2
            assert said in result.stderr and "(option --file)" in result.stderr, result.stderr
        assert count(db, Invitation) == 0

    def test_a_file_that_is_no_list_is_refused_by_its_name(self, run, db, tmp_path):
        """A one-byte .xlsx and a binary .csv with no NUL were read as text, their rows nonsense:
        each is refused, named (exit 2), previewed or imported, and nothing is written."""
        pf = create_portal(db)
        for name, data, said in (
            ("one.xlsx", b"x", "“one.xlsx” is not a spreadsheet:"),
            ("bin.csv", bytes(range(1, 32)) * 3, "“bin.csv” is not a text file:"),
        ):
            path = tmp_path / name
            path.write_bytes(data)
            for more in ((), ("--dry-run",)):
                result = run("invite", "--portal", pf.slug, *INTERNAL, "--file", str(path), *more)
                assert result.exit_code == 2, result.output
                assert said in result.stderr and "(option --file)" in result.stderr, result.stderr
        assert count(db, Invitation) == 0 and count(db, InvitationImport) == 0


def _api(client, out: dict, path: str = "", method: str = "get"):
    response = getattr(client, method)(
        f"/api/v1/portals/{out['portal']}/invitations{path}",
        headers={"Authorization": f"Bearer {out['api_key']}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestInvitationsCommands:
    def test_list_is_the_apis_list_of_every_page(self, run, client, monkeypatch):
        """``invitations list --json`` prints ``{items, total, next_cursor}``, the items as
        ``GET …/invitations`` serialises them, all pages of them."""
        from admit.cli import _shared

        out = init_portal(run)
        run("invite", "--portal", out["portal"], *INTERNAL, "a@x.com")
        run("invite", "--portal", out["portal"], *INTERNAL, "b@x.com")
        run("invite", "--portal", out["portal"], "--type", "client", "Cleo <c@x.com>")
        monkeypatch.setattr(_shared, "PAGE_SIZE", 2)
        result = run("invitations", "list", "--portal", out["portal"], "--json")
        assert result.exit_code == 0, result.output
        listed = json.loads(result.stdout)
        assert (listed["total"], listed["next_cursor"]) == (3, None)
        assert listed["items"] == _api(client, out)["items"]
        assert [i["recipient"] for i in listed["items"]] == ["c@x.com", "b@x.com", "a@x.com"]

    def test_filters_limit_and_plain_output(self, run):
        """--status and --type filter; --limit stops early with the total and next_cursor; each
        plain line starts with the id resend and revoke take."""
        out = init_portal(run)
        slug = out["portal"]
        run("invite", "--portal", slug, *INTERNAL, "a@x.com")
        run("invite", "--portal", slug, *INTERNAL, "b@x.com")
        run("invite", "--portal", slug, "--type", "client", "c@x.com")

        def listed(*args):
            result = run("invitations", "list", "--portal", slug, "--json", *args)
            assert result.exit_code == 0, result.output
            return json.loads(result.stdout)

        clients = listed("--type", "client")
        assert ([i["recipient"] for i in clients["items"]], clients["total"]) == (["c@x.com"], 1)
        assert listed("--status", "revoked")["items"] == []
        first = listed("--limit", "2")
        assert (len(first["items"]), first["total"]) == (2, 3) and first["next_cursor"]
        rest = listed("--cursor", first["next_cursor"])
        assert [i["recipient"] for i in rest["items"]] == ["a@x.com"] and rest["total"] == 3

        lines = run("invitations", "list", "--portal", slug).output.splitlines()
        ids = [i["id"] for i in listed()["items"]]
        # Headed columns, with the page's Last sent and Delivery (it had neither).
        assert (
            lines[0].split("  ")[:1] == ["ID"] and "Last sent" in lines[0] and lines[0].endswith("Delivery")
        )
        assert [line.split()[0] for line in lines[1:]] == ids
        assert lines[1].split()[1:5] == ["pending", "client", "client", "c@x.com"]
        assert re.search(r"  20\d\d-\d\d-\d\d \d\d:\d\d UTC  Queued$", lines[1]), lines[1]
        assert run("invitations", "list", "--portal", slug, "--status", "gone").exit_code == 2

    def test_search_finds_what_the_api_finds(self, run, client):
        """``--search`` narrows the list as ``GET …/invitations?q=`` does (name, email or phone
        number, in part; the text trimmed), with the total of what it found."""
        out = init_portal(run)
        slug = out["portal"]
        run("invite", "--portal", slug, *INTERNAL, "Ada Lovelace <ada@x.com>", "grace@y.com")
        run("invite", "--portal", slug, "--type", "client", "Cleo <lovely@z.com>")

        def searched(q):
            result = run("invitations", "list", "--portal", slug, "--search", q, "--json")
            assert result.exit_code == 0, result.output
            return json.loads(result.stdout)

        found = searched("  lovel ")
        assert sorted(i["recipient"] for i in found["items"]) == ["ada@x.com", "lovely@z.com"]
        assert found["total"] == 2
        api = client.get(
            f"/api/v1/portals/{slug}/invitations",
            params={"q": "  lovel "},
            headers={"Authorization": f"Bearer {out['api_key']}"},
        )
        assert found["items"] == api.json()["items"]
        assert (searched("nobody")["items"], searched("nobody")["total"]) == ([], 0)

    def test_resend_and_revoke_print_the_invitation(self, run, client):
        """resend and revoke print the API's InvitationRead; resending one that is no longer
        pending is an error (exit 1, invitation_not_pending); revoking a revoked one is nothing to
        do (exit 0)."""
        out = init_portal(run)
        slug = out["portal"]
        run("invite", "--portal", slug, *INTERNAL, "a@x.com")
        (invitation,) = json.loads(run("invitations", "list", "--portal", slug, "--json").stdout)["items"]

        r = run("invitations", "resend", "--portal", slug, invitation["id"], "--json")
        assert r.exit_code == 0, r.output
        resent = json.loads(r.stdout)
        assert (resent["id"], resent["status"], resent["send_count"]) == (invitation["id"], "pending", 2)
        assert resent == _api(client, out, f"/{invitation['id']}")

        r = run("invitations", "revoke", "--portal", slug, invitation["id"])
        assert (r.exit_code, r.output.strip()) == (0, "Invitation to a@x.com revoked.")
        assert _api(client, out, f"/{invitation['id']}")["status"] == "revoked"

        # Already revoked: nothing to do (exit 0, as deactivating twice); it was exit 1.
        again = run("invitations", "revoke", "--portal", slug, invitation["id"])
        assert (again.exit_code, again.output.strip()) == (
            0,
            "The invitation to a@x.com was already revoked: nothing changed.",
        )
        resend = run("invitations", "resend", "--portal", slug, invitation["id"], "--json")
        assert resend.exit_code == 1 and json.loads(resend.stdout)["code"] == "invitation_not_pending"

    def test_an_invitation_named_by_its_address(self, run):
        """resend and revoke take the recipient's address as well as the id (as ``members``
        commands take an address): the invitation that stands; none is said, and an address
        with two expired invitations is told to give the id, naming both."""
        from datetime import timedelta

        from admit.kit import clock

        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, "a@x.com", "b@x.com")
        r = run("invitations", "resend", "--portal", slug, " A@x.com ", "--json")
        assert r.exit_code == 0, r.output
        assert (json.loads(r.stdout)["recipient"], json.loads(r.stdout)["send_count"]) == ("a@x.com", 2)
        r = run("invitations", "revoke", "--portal", slug, "a@x.com")
        assert (r.exit_code, r.output.strip()) == (0, "Invitation to a@x.com revoked."), r.output
        # Twice, as by its id: nothing to do (the operator tester's second revoke by address was
        # exit 1, "No invitation to a@x.com that is pending or expired"); the latest one is taken
        # when none is open.
        again = run("invitations", "revoke", "--portal", slug, "a@x.com")
        assert (again.exit_code, again.output.strip()) == (
            0,
            "The invitation to a@x.com was already revoked: nothing changed.",
        ), again.output
        r = run("invitations", "revoke", "--portal", slug, "nobody@x.com")
        assert r.exit_code == 1 and "No invitation to nobody@x.com in this portal" in r.output, r.output
        # Two lapsed invitations to b@x.com: inviting again after the first lapsed made another.
        with clock.travel(timedelta(days=40)):
            assert run("invite", "--portal", slug, *INTERNAL, "b@x.com").exit_code == 0
        with clock.travel(timedelta(days=80)):
            r = run("invitations", "resend", "--portal", slug, "b@x.com")
        assert r.exit_code == 2, r.output
        listed = json.loads(run("invitations", "list", "--portal", slug, "--json").stdout)["items"]
        ids = [i["id"] for i in listed if i["recipient"] == "b@x.com"]
        assert len(ids) == 2 and "b@x.com has 2 expired invitations" in r.output, r.output
        assert all(i in r.output for i in ids), r.output

    def test_unknown_or_malformed_id(self, run):
        """An id of no invitation here is exit 1 (not found); one that is no id at all is exit 2."""
        slug = init_portal(run)["portal"]
        r = run("invitations", "revoke", "--portal", slug, "00000000-0000-4000-8000-000000000000")
        assert r.exit_code == 1 and "No such invitation" in r.output
        assert run("invitations", "resend", "--portal", slug, "nope").exit_code == 2
        assert run("invitations", "list", "--portal", "no-such-portal").exit_code == 2  # usage

    def test_a_piece_of_an_id_is_told_to_give_the_whole_id(self, run):
        """The first characters of an id were read as an address ("must have an @-sign"):
        refused as not a whole id (exit 2, a wrong argument), saying where the whole ones are;
        ``members`` commands, which said "Nobody in this portal has the address …" (exit 1),
        alike."""
        slug = init_portal(run)["portal"]
        invited = json.loads(run("invite", "--portal", slug, *INTERNAL, "--json", "a@x.com").stdout)
        short = invited["results"][0]["invitation"]["id"][:13]  # with its dash: never digits alone
        for command in ("revoke", "resend"):
            r = run("invitations", command, "--portal", slug, short)
            assert r.exit_code == 2, r.output
            said = " ".join(r.stderr.split())
            assert f"“{short}” is not a whole id: give the invitation's full id, or its" in said, said
            assert f"`admit invitations list --portal {slug}` shows each one's id." in said, said
        r = run("invitations", "change", "--portal", slug, "--role", "admin", short, "--json")
        assert r.exit_code == 2 and "is not a whole id" in json.loads(r.stdout)["detail"], r.output
        people = json.loads(run("members", "list", "--portal", slug, "--json").stdout)["items"]
        member = next(p["id"] for p in people if p["kind"] == "member")[:13]
        r = run("members", "reactivate", "--portal", slug, member)
        assert r.exit_code == 2, r.output
        said = " ".join(r.stderr.split())
        assert f"“{member}” is not a whole id: give the member's full id (`admit members list" in said, said


def test_the_type_must_be_given(run, db):
    """``admit invite`` without ``--type`` is a usage error that names it, and invites nobody
    (it invited as internal: a client forgotten that way became a team member)."""
    slug = init_portal(run)["portal"]
    said = run("invite", "--portal", slug, "x@clientco.com")
    assert said.exit_code == 2 and "Missing option '--type'" in said.stderr, said.output
    assert count(db, Invitation) == 0
    assert "internal|client" in " ".join(run("invite", "--help").output.split())


def test_a_malformed_number_or_an_empty_recipient_is_named(run, client):
    """A number too short or too long to be one ("+44", "123", 35 digits) was refused as an
    email address without an @-sign, and an empty recipient printed a blank where its name
    goes: each is named, and told what is wrong with it as what it was meant to be. The
    pipeline's words, so the API's answer (and the Invite box's report) say the same."""
    out = init_portal(run)
    slug, long = out["portal"], "+" + "1" * 35
    said = run("invite", "--portal", slug, *INTERNAL, "ok@x.com", "", "+44", "123", long, "abc")
    assert said.exit_code == 1, said.output
    lines = said.output.splitlines()

    # A table (``cli._shared.print_table``): the reasons in line whatever the address's length.
    def row(outcome: str, shown: str, why: str) -> str:
        return f"{outcome}  {shown.ljust(len(long))}  {why}"

    few = "invalid_recipient: Not a valid phone number: too few digits."
    assert lines[:7] == [
        row("Outcome", "Address", "Why"),
        row("invited", "ok@x.com", "—"),
        row("skipped", "(recipient 2)", "invalid_recipient: Enter an email address or phone number."),
        row("skipped", "+44", few),
        row("skipped", "123", few),
        row("skipped", long, "invalid_recipient: Not a valid phone number: too many digits."),
        row("skipped", "abc", "invalid_recipient: An email address must have an @-sign."),
    ], said.output

    api = client.post(
        f"/api/v1/portals/{slug}/invitations",
        json={"recipients": ["+44"], "user_type": "internal"},
        headers={"Authorization": f"Bearer {out['api_key']}"},
    )
    assert api.json()["results"][0]["detail"] == "Not a valid phone number: too few digits.", api.text


def test_the_answer_lines_up_whatever_the_addresses(run):
    """``invite`` answers in a table: an address in wide letters, or a long one, leaves the
    reasons in line under Why (padded by hand, each reason started where its address ended)."""
    slug = init_portal(run)["portal"]
    addresses = ("王小明@例え.jp", "a-very-long-address.of.someone@x.com", "a@x.com", "a@x.com")
    lines = run("invite", "--portal", slug, *INTERNAL, *addresses).output.splitlines()
    assert lines[0].split() == ["Outcome", "Address", "Why"], lines
    rows = lines[1:5]
    assert [row.split()[1] for row in rows] == list(addresses), lines

    def why(row: str, address: str) -> list[int]:
        after = row.index(address) + len(address)
        return starts(row, row[after:].strip())

    assert [why(row, address) for row, address in zip(rows, addresses, strict=True)] == [
        starts(lines[0], "Why")
    ] * 4, lines


def test_inviting_as_a_client_someone_invited_as_internal_says_the_type(run, client):
    """Someone with a pending internal invitation, invited again as a client: already invited
    (nothing to do, exit 0), as the API answers (the pipeline decides for both), and the reason
    says as what they were invited, so the operator knows why."""
    out = init_portal(run)
    slug = out["portal"]
    assert run("invite", "--portal", slug, *INTERNAL, "ada@x.com").exit_code == 0
    again = run("invite", "--portal", slug, "--type", "client", "ada@x.com", "--json")
    assert again.exit_code == 0, again.output
    (said,) = json.loads(again.stdout)["results"]
    assert said["code"] == "already_invited", said
    assert said["detail"].startswith(
        "A pending invitation exists, as an internal user (Member); use `admit"
    ), said
    api = client.post(
        f"/api/v1/portals/{slug}/invitations",
        json={"recipients": ["ada@x.com"], "user_type": "client"},
        headers={"Authorization": f"Bearer {out['api_key']}"},
    )
    assert api.json()["results"][0]["code"] == "already_invited", api.text
