"""``admit members list|deactivate|reactivate`` (and ``users``, the old name of ``members list``)."""

from __future__ import annotations

import json
import re

from admit.flows import join
from tests.cli.helpers import init_portal
from tests.factories import PortalFixture, member_joins, writes_during

# What `admit invite` now requires (--type has no default); most tests invite team members.
INTERNAL = ("--type", "internal")


def items(result) -> list:
    """The ``items`` of a list printed with --json (a bare list before ``{items, total}``)."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["items"]


class TestList:
    def test_json_lists_members_and_pending_invitations(self, run):
        """``admit members list --json`` lists the owner and everyone invited, with type, role and
        status, in ``{"items": [...], "total": N, "next_cursor": null}``."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, "--type", "client", "a@x.com")
        run("invite", "--portal", slug, *INTERNAL, "--role", "admin", "Bea <b@y.com>")

        result = run("members", "list", "--portal", slug, "--json")
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert (set(out), out["total"], out["next_cursor"]) == ({"items", "total", "next_cursor"}, 3, None)
        rows = {r["address"]: r for r in out["items"]}
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

    def test_filters_members_by_two_step_verification(self, run):
        """``--two-step not_set_up`` lists the members without an authenticator app, and no
        invitation (they have none); ``--two-step set_up``: nobody here has one yet."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, "--type", "client", "a@x.com")

        without = items(run("members", "list", "--portal", slug, "--two-step", "not_set_up", "--json"))
        assert [(r["kind"], r["address"]) for r in without] == [("member", "owner@acme.com")]
        result = run("members", "list", "--portal", slug, "--two-step", "set_up")
        assert result.exit_code == 0 and "Nobody matches." in result.output, result.output

    def test_filters_by_status_and_type(self, run):
        """``--status pending`` shows only invitations; ``--type client`` only clients."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, "--type", "client", "a@x.com")
        run("invite", "--portal", slug, *INTERNAL, "b@y.com")

        pending = items(run("members", "list", "--portal", slug, "--status", "pending", "--json"))
        assert sorted(r["address"] for r in pending) == ["a@x.com", "b@y.com"]
        clients = items(run("members", "list", "--portal", slug, "--type", "client", "--json"))
        assert [r["address"] for r in clients] == ["a@x.com"]
        active = items(run("members", "list", "--portal", slug, "--status", "active", "--json"))
        assert [r["address"] for r in active] == ["owner@acme.com"]

    def test_plain_output(self, run):
        """Without --json each person is one line with status, type, role and address."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, "a@x.com")
        result = run("members", "list", "--portal", slug)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert any(line.startswith("active") and "owner@acme.com" in line for line in lines)
        assert any(line.startswith("pending") and "a@x.com" in line for line in lines)

    def test_a_sign_ups_typed_name_is_quoted(self, run, db):
        """A pending sign-up's name is what the visitor typed: quoted, as User Management says it,
        never taken as the person's name."""
        from tests.factories import create_portal
        from tests.links.helpers import link_token, sign_up

        pf = create_portal(db)
        sign_up(db, link_token(db, pf), pf.owner_email, name="Mallory")
        result = run("members", "list", "--portal", pf.slug)
        line = next(line for line in result.output.splitlines() if "(signup " in line)
        assert re.search(rf"{pf.owner_email}  +“Mallory”  +\(signup", line), result.output

    def test_items_are_the_apis_people(self, run, client):
        """Each item is the API's PersonRead, as ``GET …/people`` serialises it."""
        out = init_portal(run)
        slug = out["portal"]
        run("invite", "--portal", slug, "--type", "client", "Cleo <c@x.com>")
        listed = items(run("members", "list", "--portal", slug, "--json"))
        api = client.get(
            f"/api/v1/portals/{slug}/people", headers={"Authorization": f"Bearer {out['api_key']}"}
        )
        assert listed == api.json()["items"]

    def test_role_and_search(self, run):
        """``--role`` and ``--search`` filter as User Management's do."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, "--role", "admin", "Ada Lovelace <ada@x.com>")
        run("invite", "--portal", slug, *INTERNAL, "grace@y.com")
        admins = items(run("members", "list", "--portal", slug, "--role", "admin", "--json"))
        assert [r["address"] for r in admins] == ["ada@x.com"]
        found = items(run("members", "list", "--portal", slug, "--search", "lovel", "--json"))
        assert [r["address"] for r in found] == ["ada@x.com"]
        assert items(run("members", "list", "--portal", slug, "--search", "nobody", "--json")) == []

    def test_every_page_unless_limit(self, run):
        """Without --limit every row comes back (past one page of 500 would too); --limit stops
        early with the total and the next_cursor, and --cursor goes on from there."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, *[f"p{i}@x.com" for i in range(6)])
        everyone = json.loads(run("members", "list", "--portal", slug, "--json").stdout)
        assert (len(everyone["items"]), everyone["total"], everyone["next_cursor"]) == (7, 7, None)

        first = json.loads(run("members", "list", "--portal", slug, "--limit", "4", "--json").stdout)
        assert (len(first["items"]), first["total"]) == (4, 7) and first["next_cursor"]
        rest = json.loads(
            run("members", "list", "--portal", slug, "--cursor", first["next_cursor"], "--json").stdout
        )
        assert (len(rest["items"]), rest["total"], rest["next_cursor"]) == (3, 7, None)
        assert first["items"] + rest["items"] == everyone["items"]

        text = run("members", "list", "--portal", slug, "--limit", "2").output
        assert "(showing 2 of 7; more with --cursor " in text
        # A later page says what it shows too ("(2 of 7" read as the second of seven).
        later = run("members", "list", "--portal", slug, "--cursor", first["next_cursor"], "--limit", "2")
        assert "(showing 2 of 7; more with --cursor " in later.output, later.output
        assert run("members", "list", "--portal", slug, "--limit", "0").exit_code == 2

    def test_walks_past_one_page(self, run, monkeypatch):
        """Pages are read until the cursor runs out (page size made small here)."""
        from admit.cli import _shared

        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, *[f"p{i}@x.com" for i in range(4)])
        monkeypatch.setattr(_shared, "PAGE_SIZE", 2)
        out = json.loads(run("members", "list", "--portal", slug, "--json").stdout)
        assert (len(out["items"]), out["total"], out["next_cursor"]) == (5, 5, None)
        out = json.loads(run("members", "list", "--portal", slug, "--limit", "3", "--json").stdout)
        assert (len(out["items"]), out["total"], bool(out["next_cursor"])) == (3, 5, True)


def test_the_text_has_headed_columns_with_last_sent_and_delivery(run):
    """``members list`` heads its columns and shows the page's Last sent and Delivery (it had
    neither): an invitation's, "—" for a member."""
    slug = init_portal(run)["portal"]
    assert run("invite", "--portal", slug, "--type", "client", "c@x.com").exit_code == 0
    lines = run("members", "list", "--portal", slug).output.splitlines()
    assert lines[0].split()[:3] == ["Status", "Type", "Role"]
    assert re.search(r"  Last sent  +Delivery$", lines[0]), lines[0]
    (invited,) = [line for line in lines if "c@x.com" in line]
    assert re.search(r"  20\d\d-\d\d-\d\d \d\d:\d\d UTC  Queued$", invited), invited
    (owner,) = [line for line in lines if "owner@acme.com" in line]
    assert re.search(r"\)  +—  +—$", owner), owner


def _member_id(run, slug, address) -> str:
    rows = items(run("members", "list", "--portal", slug, "--json"))
    return next(r["id"] for r in rows if r["address"] == address and r["kind"] == "member")


class TestDeactivateReactivate:
    def test_deactivate_then_reactivate(self, run, db, worker, client):
        """Each prints the API's MemberRead; doing either twice is nothing to do (exit 0)."""
        out = init_portal(run)
        slug = out["portal"]
        pf = PortalFixture(slug=slug, api_key=out["api_key"], owner_email="owner@acme.com", portal_id=None)
        member_joins(db, worker, pf, "mel@acme.com")
        mel = _member_id(run, slug, "mel@acme.com")

        r = run("members", "deactivate", "--portal", slug, mel, "--json")
        assert r.exit_code == 0, r.output
        member = json.loads(r.stdout)
        assert (member["id"], member["status"], member["role"], member["user"]["email"]) == (
            mel,
            "deactivated",
            "member",
            "mel@acme.com",
        )
        assert member["deactivated_at"]
        again = run("members", "deactivate", "--portal", slug, mel)
        # Said as nothing changed (it said "is deactivated." as if it had just done it).
        assert (again.exit_code, again.output.strip()) == (
            0,
            "mel@acme.com is already deactivated: nothing changed.",
        )

        r = run("members", "reactivate", "--portal", slug, mel, "--json")
        assert r.exit_code == 0, r.output
        member = json.loads(r.stdout)
        assert (member["id"], member["status"], member["role"], member["deactivated_at"]) == (
            mel,
            "active",
            "member",
            None,
        )
        api = client.get(f"/api/v1/portals/{slug}/members", headers=pf.headers()).json()["items"]
        assert next(m for m in api if m["id"] == mel) == member  # the API's MemberRead
        again = run("members", "reactivate", "--portal", slug, mel)
        assert (again.exit_code, again.output.strip()) == (
            0,
            "mel@acme.com is already active: nothing changed.",
        )

    def test_errors(self, run):
        """An unknown member or a refusal is exit 1 with the reason; a missing member or an unknown
        portal is exit 2 (usage)."""
        slug = init_portal(run)["portal"]
        owner = _member_id(run, slug, "owner@acme.com")
        for who in (owner, "Owner@Acme.com"):
            r = run("members", "deactivate", "--portal", slug, who)
            assert r.exit_code == 1, r.output
            assert "You cannot deactivate yourself. The console acts as owner@acme.com" in r.output
        r = run("members", "reactivate", "--portal", slug, "00000000-0000-4000-8000-000000000000")
        assert r.exit_code == 1 and "No such member" in r.output
        r = run("members", "deactivate", "--portal", slug, "not-an-id")
        assert r.exit_code == 1 and "Nobody in this portal has the address not-an-id." in r.output
        # Someone invited who has not joined: where they are, and how to withdraw the invitation.
        invited = run("invite", "--portal", slug, *INTERNAL, "--json", "dup@example.com")
        assert invited.exit_code == 0, invited.output
        pending = run("invitations", "list", "--portal", slug, "--status", "pending", "--json")
        invitation_id = json.loads(pending.output)["items"][0]["id"]
        r = run("members", "deactivate", "--portal", slug, "Dup@Example.com")
        assert r.exit_code == 1, r.output
        assert (
            "They were invited and have not joined yet. To withdraw the invitation: admit invitations "
            f"revoke --portal {slug} {invitation_id}"
        ) in " ".join(r.output.split())
        assert run("members", "deactivate", "--portal", slug).exit_code == 2
        r = run("members", "deactivate", "--portal", "nope", owner)
        assert r.exit_code == 2 and "No such portal: 'nope'" in r.output

    def test_a_member_named_by_their_address(self, run, db, worker):
        """MEMBER may be the person's email address (any case) or phone number, as well as the id."""
        out = init_portal(run)
        slug = out["portal"]
        pf = PortalFixture(slug=slug, api_key=out["api_key"], owner_email="owner@acme.com", portal_id=None)
        member_joins(db, worker, pf, "mel@acme.com")
        r = run("members", "deactivate", "--portal", slug, " Mel@ACME.com ")
        assert (r.exit_code, r.output.strip()) == (0, "mel@acme.com is deactivated."), r.output
        r = run("members", "reactivate", "--portal", slug, "mel@acme.com", "--json")
        assert r.exit_code == 0 and json.loads(r.stdout)["status"] == "active", r.output


class TestUsersAlias:
    def test_users_is_members_list(self, run):
        """``admit users`` still works for one release: the same answer as ``members list``, a
        deprecation note on stderr, hidden from ``admit --help``; its help says so."""
        slug = init_portal(run)["portal"]
        run("invite", "--portal", slug, *INTERNAL, "a@x.com")
        old = run("users", "--portal", slug, "--status", "pending", "--json")
        assert old.exit_code == 0, old.output
        new = run("members", "list", "--portal", slug, "--status", "pending", "--json")
        assert json.loads(old.stdout) == json.loads(new.stdout)
        assert "deprecated" in old.stderr and "admit members list" in old.stderr
        help_text = " ".join(run("users", "--help").output.split())
        assert "Old name of `admit members list`, kept for one release" in help_text
        assert not re.search(r"^\s+users\s", run("--help").output, re.M)  # hidden


class TestUsersByPhone:
    def test_member_who_joined_by_phone_is_listed_by_their_number(self, run, db, worker):
        """``admit members list`` shows the phone number of someone who joined by phone, never null."""
        from tests.factories import last_link

        slug = init_portal(run)["portal"]
        assert run("invite", "--portal", slug, "--type", "client", "+1 202 555 0173").exit_code == 0
        worker.drain()
        with db.unit_of_work() as session:
            join.accept(session, token=last_link(db, "+12025550173"))
        rows = items(run("members", "list", "--portal", slug, "--json"))
        member = next(r for r in rows if r["user_type"] == "client")
        assert (member["kind"], member["address"], member["status"]) == ("member", "+12025550173", "active")


class TestResetTwoFactor:
    def test_the_console_resets_a_members_two_step_verification(self, run, db):
        """``admit members reset-two-factor`` takes the member's address; without an app set up
        it says there is nothing to reset (exit 1)."""
        from sqlalchemy import select

        from admit.auth import second_factor
        from admit.auth.models import TotpFactor
        from admit.kit import clock
        from admit.members.models import User
        from tests.factories import active_member

        slug = init_portal(run)["portal"]
        pf = PortalFixture(slug=slug, api_key="", owner_email="owner@acme.com", portal_id=None)
        active_member(db, pf, "mel@acme.com")
        r = run("members", "reset-two-factor", "--portal", slug, "mel@acme.com")
        assert r.exit_code == 1 and "has not set up two-step verification" in r.output
        with db.unit_of_work() as session:
            mel = session.scalar(select(User).where(User.email == "mel@acme.com"))
            second_factor.begin(session, mel, issuer="Acme Inc")
            session.scalar(select(TotpFactor).where(TotpFactor.user_id == mel.id)).confirmed_at = clock.now()
        r = run("members", "reset-two-factor", "--portal", slug, "mel@acme.com")
        assert (r.exit_code, r.output.strip()) == (0, "mel@acme.com's two-step verification is reset.")
        with db.unit_of_work() as session:
            assert session.scalar(select(TotpFactor.id)) is None

    def test_the_console_resets_the_owner_it_acts_as(self, run, db):
        """A sole owner who lost their phone and recovery codes has the console as the way out:
        ``reset-two-factor`` of the first owner (as whom the CLI acts) is done, told to them as
        the console's doing, and audited as done by the CLI, not by the owner."""
        from sqlalchemy import select

        from admit.audit.models import AuditEvent
        from admit.auth import second_factor
        from admit.auth.models import TotpFactor
        from admit.kit import clock
        from admit.members.models import User
        from admit.notifications.models import Notification

        slug = init_portal(run)["portal"]
        with db.unit_of_work() as session:
            owner = session.scalar(select(User).where(User.email == "owner@acme.com"))
            second_factor.begin(session, owner, issuer="Acme Inc")
            session.scalar(
                select(TotpFactor).where(TotpFactor.user_id == owner.id)
            ).confirmed_at = clock.now()
        r = run("members", "reset-two-factor", "--portal", slug, "owner@acme.com")
        assert (r.exit_code, r.output.strip()) == (0, "owner@acme.com's two-step verification is reset.")
        with db.unit_of_work() as session:
            assert session.scalar(select(TotpFactor.id)) is None
            event = session.scalar(
                select(AuditEvent).where(AuditEvent.action == "member.second_factor_reset")
            )
            assert (event.actor_label, event.actor_user_id, event.ip) == (
                "the console (admit CLI)",
                None,
                "cli",
            )
            told = session.scalar(select(Notification).where(Notification.to_address == "owner@acme.com"))
            assert "Someone at the server's console reset the two-step verification" in str(told.context)


def test_every_list_writes_times_and_addresses_one_way(run):
    """One time format across the lists (invitations and members wrote ``2026-12-07 05:34 UTC``,
    audit list ``…T05:34:10Z``, links signups no zone) and one word for the address column
    (invitations list said Recipient, members list Address): ``_shared.when``."""
    slug = init_portal(run)["portal"]
    assert run("invite", "--portal", slug, "--type", "client", "c@x.com").exit_code == 0
    stamp = r"20\d\d-\d\d-\d\d \d\d:\d\d UTC"
    audit = run("audit", "list", "--portal", slug).stdout.splitlines()
    assert audit[0].split()[0] == "When" and all(re.match(stamp + "  ", line) for line in audit[1:]), audit
    invitations = run("invitations", "list", "--portal", slug).stdout.splitlines()
    members = run("members", "list", "--portal", slug).stdout.splitlines()
    assert "Address" in invitations[0].split() and "Recipient" not in invitations[0], invitations[0]
    assert "Address" in members[0].split(), members[0]


def test_a_failed_delivery_says_why(run, db):
    """``members list`` and ``invitations list`` said "Failed" without the reason, which the page
    shows beside it (``_shared.delivery``)."""
    from sqlalchemy import update

    from admit.notifications.models import Notification

    slug = init_portal(run)["portal"]
    assert run("invite", "--portal", slug, "--type", "client", "c@x.com").exit_code == 0
    with db.unit_of_work() as session:  # as the worker leaves a message the relay refused
        session.execute(
            update(Notification)
            .where(Notification.to_address == "c@x.com")
            .values(status="failed", last_error="550 mailbox unavailable")
        )
    for command in ("members", "invitations"):
        (line,) = [x for x in run(command, "list", "--portal", slug).stdout.splitlines() if "c@x.com" in x]
        assert line.endswith("Failed: 550 mailbox unavailable"), (command, line)


class TestOwnersConfirmed:
    """``members change --role owner`` and ``invitations change --role owner`` made owners unasked,
    where ``admit invite --role owner`` asks ``--confirm-owners``: both ask it too, by the same
    rule (``policy.owner_unconfirmed``, which the changes ask themselves); nothing is changed
    until it is given, nor written and then rolled back (they changed first and refused after)."""

    def test_members_change_to_owner_asks_confirm_owners(self, run, db, worker):
        out = init_portal(run)
        slug = out["portal"]
        pf = PortalFixture(slug=slug, api_key=out["api_key"], owner_email="owner@acme.com", portal_id=None)
        member_joins(db, worker, pf, "mel@acme.com")
        args = ("members", "change", "--portal", slug, "mel@acme.com", "--role", "owner")
        refused, written = writes_during(None, lambda: run(*args))
        assert refused.exit_code == 2, refused.output
        assert written == [], written
        said = " ".join(refused.stderr.split())
        assert "Making someone an owner is confirmed first: owners can do everything" in said, said
        assert "Add --confirm-owners to make them an owner." in said and "(option --role)" in said, said
        refused, written = writes_during(None, lambda: run(*args, "--json"))
        problem = json.loads(refused.stdout)
        assert problem["field"] == "role" and "--confirm-owners" in problem["detail"], problem
        assert problem["detail"].endswith(" Add --confirm-owners to make them an owner."), problem
        assert written == [], written
        listed = json.loads(run("members", "list", "--portal", slug, "--json").stdout)["items"]
        assert next(p["role"] for p in listed if p["address"] == "mel@acme.com") == "member"
        # Not an owner made: asked nothing, as before.
        assert run("members", "change", "--portal", slug, "mel@acme.com", "--role", "admin").exit_code == 0
        made = run(*args, "--confirm-owners")
        assert made.exit_code == 0, made.output
        assert "mel@acme.com's role changed (was “Admin”, now “Owner”)." in made.output
        # Already an owner: nothing made, nothing to confirm.
        again = run(*args)
        assert again.exit_code == 0 and "already has that access" in again.output, again.output

    def test_invitations_change_to_owner_asks_confirm_owners(self, run):
        slug = init_portal(run)["portal"]
        assert run("invite", "--portal", slug, *INTERNAL, "mel@acme.com").exit_code == 0
        args = ("invitations", "change", "--portal", slug, "mel@acme.com", "--role", "owner")
        refused, written = writes_during(None, lambda: run(*args))
        assert refused.exit_code == 2, refused.output
        assert written == [], written
        said = " ".join(refused.stderr.split())
        assert "Making someone an owner is confirmed first" in said, said
        assert "Add --confirm-owners to make them an owner." in said and "(option --role)" in said, said
        refused, written = writes_during(None, lambda: run(*args, "--json"))
        problem = json.loads(refused.stdout)
        assert problem["field"] == "role" and "--confirm-owners" in problem["detail"], problem
        assert written == [], written
        pending = json.loads(run("invitations", "list", "--portal", slug, "--json").stdout)["items"]
        assert pending[0]["role"] == "member"
        made = run(*args, "--confirm-owners")
        assert made.exit_code == 0, made.output
        assert "(was “Member”, now “Owner”)" in made.output


def test_lists_show_phone_numbers_as_the_pages_do(run):
    """The lists' text printed a number as stored ("+12025550173") where every page shows it
    spaced ("+1 202-555-0173", ``kit.text.readable_phone``): ``members list``, ``invitations
    list`` and ``workspaces members`` print it so; ``--json`` keeps it as stored."""
    slug = init_portal(run)["portal"]
    workspace = run("workspaces", "create", "--portal", slug, "--name", "Loan").output.strip()
    added = run("workspaces", "add", "--portal", slug, "--workspace", workspace, "+1 (202) 555-0173")
    assert added.exit_code == 0, added.output
    for args in (
        ("members", "list"),
        ("invitations", "list"),
        ("workspaces", "members", "--workspace", workspace),
    ):
        text = run(*args, "--portal", slug)
        assert text.exit_code == 0, text.output
        assert "+1 202-555-0173" in text.stdout and "+12025550173" not in text.stdout, (args, text.stdout)
        stored = run(*args, "--portal", slug, "--json")
        assert "+12025550173" in stored.stdout and "202-555" not in stored.stdout, (args, stored.stdout)


class TestPhoneNumbersSaid:
    """Every line the CLI prints about someone reached by phone shows the number spaced, as
    the lists and the pages do (``kit.text.readable_phone``): never as typed, never as stored."""

    SHOWN, STORED = "+1 202-555-0173", "+12025550173"

    def said(self, result, code: int = 0) -> str:
        assert result.exit_code == code, result.output
        assert self.SHOWN in result.stdout and self.STORED not in result.stdout.replace(
            f"resend --portal acme-inc {self.STORED}",
            "",  # a command to copy keeps it unspaced
        ), result.stdout
        return result.stdout

    def test_invite_and_an_invitations_commands(self, run):
        """``invite`` (someone invited, someone already invited), ``invitations resend``,
        ``change`` and ``revoke`` say the number spaced."""
        slug = init_portal(run)["portal"]
        none = run("invitations", "revoke", "--portal", slug, self.STORED)
        assert none.exit_code == 1, none.output
        assert f"No invitation to {self.SHOWN} in this portal." in none.stderr, none.output
        self.said(run("invite", "--portal", slug, *INTERNAL, self.STORED))
        again = self.said(run("invite", "--portal", slug, *INTERNAL, "+1 (202) 555 0173"))
        assert f"admit invitations resend --portal {slug} {self.STORED}" in again, again
        self.said(run("invitations", "resend", "--portal", slug, self.STORED))
        self.said(run("invitations", "change", "--portal", slug, "--role", "admin", self.STORED))
        self.said(run("invitations", "revoke", "--portal", slug, self.STORED))
        self.said(run("invitations", "revoke", "--portal", slug, self.STORED))  # already revoked

    def test_a_members_and_a_workspaces_commands(self, run, db, worker):
        """``members deactivate|reactivate|change`` of a member who joined by phone, and
        ``workspaces add|resend|remove``, say the number spaced."""
        from tests.factories import last_link

        slug = init_portal(run)["portal"]
        workspace = run("workspaces", "create", "--portal", slug, "--name", "Loan").output.strip()
        self.said(run("workspaces", "add", "--portal", slug, "--workspace", workspace, self.STORED))
        resent = run("workspaces", "resend", "--portal", slug, "--workspace", workspace, "--state", "invited")
        self.said(resent)
        worker.drain()
        with db.unit_of_work() as session:
            join.accept(session, token=last_link(db, self.STORED))
        self.said(run("members", "deactivate", "--portal", slug, self.STORED))
        self.said(run("members", "deactivate", "--portal", slug, self.STORED))  # already
        self.said(run("members", "reactivate", "--portal", slug, self.STORED))
        self.said(run("members", "change", "--portal", slug, "--products", "", self.STORED))
        self.said(run("workspaces", "remove", "--portal", slug, "--workspace", workspace, self.STORED))


class TestRefusalsNameTheNextCommand:
    """A refusal names the command that does what was meant (a new operator's findings): the
    one for an invitation when MEMBER is only invited, for a member when an invitation was
    accepted or its person deactivated; and one the policy says to "you" says who that is."""

    @staticmethod
    def mel_joins(run, db, worker) -> str:
        """A portal (its slug) where mel@acme.com was invited and joined."""
        out = init_portal(run)
        pf = PortalFixture(
            slug=out["portal"], api_key=out["api_key"], owner_email="owner@acme.com", portal_id=None
        )
        member_joins(db, worker, pf, "mel@acme.com")
        return out["portal"]

    @staticmethod
    def said(result, stream: str = "stderr") -> str:
        """What a command refused with (exit 1), on one line."""
        assert result.exit_code == 1, result.output
        return " ".join(getattr(result, stream).split())

    def test_changing_someone_only_invited_names_invitations_change(self, run):
        """``members change`` of someone invited who has not joined names ``admit invitations
        change`` (it named ``revoke``, which is not what was asked); ``deactivate`` still names
        ``revoke``."""
        slug = init_portal(run)["portal"]
        invited = run("invite", "--portal", slug, *INTERNAL, "--json", "dup@example.com")
        invitation_id = json.loads(invited.stdout)["results"][0]["invitation"]["id"]
        said = self.said(run("members", "change", "--portal", slug, "dup@example.com", "--role", "admin"))
        assert (
            "They were invited and have not joined yet. To change what their invitation offers: "
            f"admit invitations change --portal {slug} {invitation_id}"
        ) in said, said
        said = self.said(run("members", "deactivate", "--portal", slug, "dup@example.com"))
        assert f"admit invitations revoke --portal {slug} {invitation_id}" in said, said

    def test_the_console_changing_its_own_owners_role_says_who_it_acts_as(self, run):
        """The console acts as the first owner: "You cannot change your own role" says so, as
        ``deactivate`` does, and how it is done instead."""
        slug = init_portal(run)["portal"]
        said = self.said(run("members", "change", "--portal", slug, "owner@acme.com", "--role", "admin"))
        assert said.startswith("Error: You cannot change your own role: ask another owner."), said
        assert (
            "The console acts as owner@acme.com, the portal's first owner: change their role signed in"
            " as another owner."
        ) in said, said

    def test_revoking_an_accepted_invitation_names_members_deactivate(self, run, db, worker):
        """Revoking an invitation already accepted is refused (exit 1) and names the command that
        ends the member's access."""
        slug = self.mel_joins(run, db, worker)
        said = self.said(run("invitations", "revoke", "--portal", slug, "mel@acme.com"))
        assert "only pending or expired invitations can be revoked." in said, said
        assert (
            f"They have joined: `admit members deactivate --portal {slug} mel@acme.com` ends their access."
        ) in said, said

    def test_inviting_a_deactivated_member_names_members_reactivate(self, run, db, worker):
        """Inviting a deactivated member is skipped, its reason naming ``admit members
        reactivate`` where the pages have Reactivate."""
        slug = self.mel_joins(run, db, worker)
        assert run("members", "deactivate", "--portal", slug, "mel@acme.com").exit_code == 0
        said = self.said(run("invite", "--portal", slug, *INTERNAL, "Mel@acme.com"), "stdout")
        assert (
            "owners and admins can reactivate them "
            f"(`admit members reactivate --portal {slug} mel@acme.com`) instead of inviting them again."
        ) in said, said
        problem = json.loads(run("invite", "--portal", slug, *INTERNAL, "mel@acme.com", "--json").stdout)
        assert "admit members reactivate" in problem["results"][0]["detail"], problem


def test_nobody_with_a_number_is_said_as_the_number_read(run):
    """A member named by a number nobody has: the refusal says the number as read, spaced as
    every line shows one (it echoed it as typed, "(202) 555 0173"), an email address as read."""
    slug = init_portal(run)["portal"]
    r = run("members", "deactivate", "--portal", slug, "(202) 555 0173")
    assert r.exit_code == 1, r.output
    assert "Nobody in this portal has the address +1 202-555-0173." in r.stderr, r.stderr
    r = run("members", "reactivate", "--portal", slug, " Zed@Example.COM ")
    assert "Nobody in this portal has the address zed@example.com." in r.stderr, r.stderr
