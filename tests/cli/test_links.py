"""``admit links show|refresh|set|signups|remove-signup`` through click's CliRunner, on both
backends."""

from __future__ import annotations

import json
import re

from tests.factories import create_portal
from tests.links.helpers import link_token, sign_up


class TestLinkCommands:
    def test_signups_are_listed_and_a_pending_one_removed_by_its_address(self, run, db):
        pf = create_portal(db)
        sign_up(db, link_token(db, pf), "ada@acme.com", name="Ada Lovelace")
        sign_up(db, link_token(db, pf), "bo@acme.com", name="Bo")
        listed = run("links", "signups", "--portal", pf.slug)
        assert listed.exit_code == 0, listed.output
        # A table: a shorter address and name keep every column in its place.
        lines = [
            re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "WHEN", line) for line in listed.output.splitlines()
        ]
        assert sorted(lines[1:]) == [
            "ada@acme.com  Ada Lovelace  pending  WHEN",
            "bo@acme.com   Bo            pending  WHEN",
        ], listed.output
        assert lines[0] == "Address       Name          Status   Signed up", listed.output
        run("links", "remove-signup", "--portal", pf.slug, "bo@acme.com")
        r = run("links", "resend-signup", "--portal", pf.slug, "ada@acme.com")
        assert (r.exit_code, r.output) == (0, "A new confirmation email is on its way to ada@acme.com.\n")
        r = run("links", "remove-signup", "--portal", pf.slug, " ADA@acme.com ")
        assert (r.exit_code, r.output) == (0, "Removed the sign-up of ada@acme.com.\n")
        listed = json.loads(run("links", "signups", "--portal", pf.slug, "--json").output)
        assert listed == {"items": [], "total": 0, "next_cursor": None}  # every list's shape
        assert run("links", "signups", "--portal", pf.slug, "--status", "pending").output == (
            "Nobody has signed up through the link (pending).\n"
        )
        again = run("links", "remove-signup", "--portal", pf.slug, "ada@acme.com")
        assert again.exit_code == 1 and "Nobody signed up as ada@acme.com is waiting" in again.output
        # --json: the sign-up as the API gives it.
        sign_up(db, link_token(db, pf), "bea@acme.com", name="Bea")
        resent = json.loads(
            run("links", "resend-signup", "--portal", pf.slug, "--json", "bea@acme.com").output
        )
        assert (resent["email"], resent["name"], resent["status"]) == ("bea@acme.com", "Bea", "pending")
        removed = json.loads(
            run("links", "remove-signup", "--portal", pf.slug, "--json", "bea@acme.com").output
        )
        assert (removed["id"], removed["status"]) == (resent["id"], "removed")

    def test_show_before_the_link_is_made_changes_nothing(self, run, db):
        """The operator tester's ``links show`` made the link and wrote "… created the invite
        link" to the Audit Log: a read says there is none yet and how to make it."""
        from admit.audit.models import AuditEvent
        from admit.links.models import InviteLink
        from tests.cli.helpers import count

        pf = create_portal(db)
        events = count(db, AuditEvent)
        shown = run("links", "show", "--portal", pf.slug)
        assert shown.exit_code == 0, shown.output
        assert shown.stdout == (
            f"No invite link yet: `admit links set --portal {pf.slug}` makes it (turned off until"
            " --enable), as User Management's Copy Link does.\n"
        )
        as_json = run("links", "show", "--portal", pf.slug, "--json")
        assert as_json.exit_code == 1 and json.loads(as_json.stdout)["code"] == "link_not_found", (
            as_json.output
        )
        assert (count(db, InviteLink), count(db, AuditEvent)) == (0, events)
        made = run("links", "set", "--portal", pf.slug)
        assert made.exit_code == 0 and "status        disabled" in made.output, made.output
        assert run("links", "show", "--portal", pf.slug).stdout == made.stdout

    def test_show_refresh_set(self, run, db):
        """show prints the same link as the pages; refresh changes it; set changes the policy."""
        pf = create_portal(db)
        link_token(db, pf)  # made (and turned on) as Copy Link would
        shown = run("links", "show", "--portal", pf.slug)
        assert shown.exit_code == 0, shown.output
        url = shown.output.splitlines()[0]
        assert url.endswith("/join/" + link_token(db, pf))
        assert "joins as      internal (member)" in shown.output

        refreshed = run("links", "refresh", "--portal", pf.slug, "--json")
        assert refreshed.exit_code == 0, refreshed.output
        assert json.loads(refreshed.output)["url"] not in (None, url)

        r = run(
            "links", "set", "--portal", pf.slug, "--type", "client", "--lifetime-days", "10",
            "--domains", "ACME.com, eu.acme.com", "--max-uses", "25", "--products", "Billing, messaging",
            "--json",
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        data = json.loads(r.output)
        assert (data["user_type"], data["role"], data["max_uses"]) == ("client", "client", 25)
        assert data["products"] == ["messaging", "billing"]
        shown = run("links", "set", "--portal", pf.slug, "--products", "none")
        assert shown.exit_code == 0 and "products      none" in shown.output, shown.output
        assert data["allowed_domains"] == ["acme.com", "eu.acme.com"]
        assert data["expires_at"] and data["lifetime_seconds"] == 10 * 86400
        r = run("links", "set", "--portal", pf.slug, "--lifetime-days", "none", "--json")
        assert r.exit_code == 0, r.output
        data = json.loads(r.output)
        assert (data["never_expires"], data["lifetime_seconds"], data["expires_at"]) == (True, None, None)

        r = run(
            "links",
            "set",
            "--portal",
            pf.slug,
            "--domains",
            "none",
            "--max-uses",
            "none",
            "--disable",
            "--json",
        )
        data = json.loads(r.output)
        assert (data["allowed_domains"], data["max_uses"], data["enabled"], data["status"]) == (
            [],
            None,
            False,
            "disabled",
        )

    def test_bad_values_name_the_field(self, run, db):
        """A value refused exits 2 (usage) with the message and the option."""
        pf = create_portal(db)
        r = run("links", "set", "--portal", pf.slug, "--domains", "*.acme.com")
        assert r.exit_code == 2 and "(option --domains)" in r.output
        r = run("links", "set", "--portal", pf.slug, "--products", "messaging,teleportation")
        assert r.exit_code == 2 and "teleportation" in r.output and "(option --products)" in r.output
        r = run("links", "set", "--portal", pf.slug, "--max-uses", "lots")
        assert r.exit_code == 2
        r = run("links", "show", "--portal", "nope")
        assert r.exit_code == 2 and "No such portal: 'nope'" in r.output


def test_set_with_the_same_lifetime_keeps_the_expiry(run_cli, db):
    """``admit links set --lifetime-days N`` with the link's own N does not extend the link."""
    from datetime import timedelta

    from admit.kit import clock

    pf = create_portal(db)
    first = json.loads(run_cli("links", "set", "--portal", pf.slug, "--lifetime-days", "10", "--json").output)
    with clock.travel(timedelta(days=2)):
        again = json.loads(
            run_cli("links", "set", "--portal", pf.slug, "--lifetime-days", "10", "--json").output
        )
    assert again["expires_at"] == first["expires_at"]


def test_link_is_links(run_cli, db, client):
    """``admit link …`` still works for one release (hidden, with a deprecation note); ``--json``
    prints the API's InviteLinkRead."""
    pf = create_portal(db)
    run_cli("links", "set", "--portal", pf.slug)
    old = run_cli("link", "show", "--portal", pf.slug, "--json")
    assert old.exit_code == 0, old.output
    assert "deprecated" in old.stderr and "admit links" in old.stderr
    new = json.loads(run_cli("links", "show", "--portal", pf.slug, "--json").stdout)
    assert json.loads(old.stdout) == new
    api = client.get(f"/api/v1/portals/{pf.slug}/link", headers=pf.headers())
    assert api.json() == new
    assert not re.search(r"^\s+link\s", run_cli("--help").output, re.M)  # hidden


def test_domains_none_is_shown_back_as_none(run_cli, db):
    """The tester: ``links set --domains none`` was shown back as "domains any". "none" is no
    domain rule: show says so in the words that were set, and what it means."""
    pf = create_portal(db)
    set_none = run_cli("links", "set", "--portal", pf.slug, "--domains", "none")
    assert set_none.exit_code == 0, set_none.output
    assert "domains       none (any email address may join)" in set_none.output, set_none.output
    shown = run_cli("links", "show", "--portal", pf.slug)
    assert "domains       none (any email address may join)" in shown.output, shown.output
    limited = run_cli("links", "set", "--portal", pf.slug, "--domains", "acme.com")
    assert "domains       only acme.com" in limited.output, limited.output


def test_a_workspace_link_is_set_with_the_same_command(run_cli, db):
    """``links show|set|refresh --workspace`` manage a workspace's link as the portal's is."""
    from tests.links.helpers import create_workspace

    pf = create_portal(db)
    ws = create_workspace(db, pf, "Q3 Audit")
    r = run_cli(
        "links", "set", "--portal", pf.slug, "--workspace", "Q3 Audit", "--disable", "--max-uses", "5",
        "--domains", "example.org", "--lifetime-days", "3", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert (data["kind"], data["workspace_id"], data["status"], data["max_uses"]) == (
        "workspace",
        str(ws.id),
        "disabled",
        5,
    )
    assert data["allowed_domains"] == ["example.org"] and data["lifetime_seconds"] == 3 * 86400
    shown = run_cli("links", "show", "--portal", pf.slug, "--workspace", str(ws.id))
    assert "status        disabled" in shown.output and "places taken  0 of 5" in shown.output, shown.output
    refused = run_cli("links", "set", "--portal", pf.slug, "--workspace", "Q3 Audit", "--type", "client")
    assert refused.exit_code == 2 and "--type" in refused.output, refused.output
