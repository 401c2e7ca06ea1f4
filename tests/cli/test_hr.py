"""``admit hr list|preview|sync|runs|run|confirm|dismiss`` on the test database (both backends),
against the fake Personio on loopback: the connection listed without its key, the plan printed
in the page's words, a sync queued that the worker applies, a waiting one confirmed or dismissed."""

from __future__ import annotations

import json

from tests.cli.helpers import starts
from tests.directory.hr.fakes import Person, serve
from tests.factories import create_portal, last_link

ENV = {"ADMIT_DIRECTORY_ALLOW_PRIVATE": "true"}


def _connect(client, pf, fake, **options) -> str:
    """Connect the fake Personio through the API; returns the connection's id."""
    c = fake.credentials
    made = client.post(
        f"/api/v1/portals/{pf.slug}/directory/connections",
        json={"provider": "personio", "api_key": c.api_key, "account": c.account, "base_url": c.base_url,
              "fields_granted": True, **options},
        headers=pf.headers(),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_list_preview_sync(run, db, client, worker, change_settings):
    from tests.factories import member_joins

    change_settings(directory_allow_private=True)
    pf = create_portal(db)
    member_joins(db, worker, pf, "erin@acme.com")
    with serve("personio") as fake:
        fake.people = [
            Person(id="7", first_name="Ada", last_name="Lovelace", email="ada@acme.com"),
            Person(id="8", first_name="Dee", last_name="Nomail", email=""),
            Person(id="9", first_name="Erin", last_name="Early", email="erin@acme.com"),
        ]
        c = fake.credentials
        conn_id = _connect(client, pf, fake)

        listed = run("hr", "list", "--portal", pf.slug, "--json", env=ENV)
        assert listed.exit_code == 0, listed.output
        items = json.loads(listed.output)["items"]
        assert [i["title"] for i in items] == ["Personio"] and c.api_key not in listed.output
        # --limit and --cursor, which its help offers, work.
        assert "--limit" in run("hr", "list", "--help").output
        again = _connect(client, pf, fake, check=False)
        first = json.loads(run("hr", "list", "--portal", pf.slug, "--limit", "1", "--json", env=ENV).output)
        assert [i["id"] for i in first["items"]] == [conn_id] and first["total"] == 2, first
        rest = run("hr", "list", "--portal", pf.slug, "--cursor", first["next_cursor"], "--json", env=ENV)
        assert [i["id"] for i in json.loads(rest.output)["items"]] == [again], rest.output
        client.delete(f"/api/v1/portals/{pf.slug}/directory/connections/{again}", headers=pf.headers())

        preview = run("hr", "preview", "--portal", pf.slug, conn_id, env=ENV)
        assert preview.exit_code == 0, preview.output
        # The preview page's words, not codes.
        lines = preview.output.splitlines()
        assert lines[0] == "1 to invite · 1 already a member · 1 skipped", preview.output
        # A table, its columns in line whatever each row's words (padded by hand, they were not).
        assert lines[1].split() == ["Change", "Name", "Address", "Detail"], preview.output
        assert lines[2].startswith("Invite ") and "ada@acme.com" in lines[2]
        assert lines[3].startswith("Skip ") and "No work email in Personio." in lines[3]
        assert (
            len({line.index(word) for line, word in zip(lines[1:4], ("Name", "Ada", "Dee"), strict=True)})
            == 1
        )
        assert lines[4] == (
            "1 already in the portal joined another way, not linked to Personio: a sync will not "
            "change them, nor deactivate them when they leave it."
        )
        assert lines[5] == (
            f"Link them (and everyone else already in the portal): admit hr link --portal {pf.slug} {conn_id}"
        )
        assert "invite_on_start" not in preview.output and "already_member" not in preview.output

        queued = run("hr", "sync", "--portal", pf.slug, conn_id, env=ENV)
        assert queued.exit_code == 0 and "Sync queued" in queued.output
        worker.drain()
        assert last_link(db, "ada@acme.com")

        fake.fail = "401"
        refused = run("hr", "preview", "--portal", pf.slug, conn_id, env=ENV)
        assert refused.exit_code == 1 and "Personio refused the credentials (401)" in refused.output


def test_a_waiting_sync_is_seen_and_confirmed_or_dismissed_from_the_console(
    run, db, client, worker, change_settings
):
    """A sync that would deactivate too many waits: ``hr list`` says so and where to look,
    ``hr runs`` and ``hr run`` show what it would do in the page's words, ``hr confirm`` applies
    it as the page's Confirm does (a new run), ``hr dismiss`` turns the next one down."""
    import dataclasses

    from tests.factories import member_joins

    change_settings(directory_allow_private=True)
    pf = create_portal(db)
    for address in ("ada@acme.com", "bob@acme.com", "cy@acme.com"):
        member_joins(db, worker, pf, address)
    ada, bob, cy = (
        Person(id=str(i), first_name=n, last_name="X", email=f"{n.lower()}@acme.com")
        for i, n in ((1, "Ada"), (2, "Bob"), (3, "Cy"))
    )
    with serve("personio") as fake:
        fake.people = [ada, bob, cy]
        conn_id = _connect(client, pf, fake, manage_existing=True)
        assert run("hr", "sync", "--portal", pf.slug, conn_id, env=ENV).exit_code == 0
        worker.drain()
        fake.people = [dataclasses.replace(ada, active=False), dataclasses.replace(bob, active=False), cy]
        assert run("hr", "sync", "--portal", pf.slug, conn_id, env=ENV).exit_code == 0
        worker.drain()

        listed = run("hr", "list", "--portal", pf.slug, env=ENV)
        # A table (``cli._shared.print_table``), what to do next said under its row.
        lines = listed.output.splitlines()
        assert lines[0].split() == ["Status", "System", "Auto-pilot", "Last", "sync", "Id"], lines
        assert lines[1].startswith("waiting  Personio") and lines[1].endswith(conn_id), lines
        assert lines[2] == f"  A sync waits for confirmation: admit hr runs --portal {pf.slug} {conn_id}"
        assert starts(lines[0], "Last sync", "Id") == starts(lines[1], "2", conn_id), lines

        runs = run("hr", "runs", "--portal", pf.slug, conn_id, env=ENV)
        assert runs.exit_code == 0, runs.output
        # Runs of different words (waiting, done) in line under the headers, the way to confirm
        # the waiting one said under it.
        lines = runs.output.splitlines()
        assert lines[0].split() == ["Status", "When", "Trigger", "What", "it", "did", "Id"], lines
        rows = [line for line in lines[1:] if not line.startswith("  ")]
        assert [row.split()[0] for row in rows] == ["waiting", "done"], lines
        ids = [
            item["id"]
            for item in json.loads(run("hr", "runs", "--portal", pf.slug, conn_id, "--json", env=ENV).output)[
                "items"
            ]
        ]
        assert [starts(row, run_id) for row, run_id in zip(rows, ids, strict=True)] == [
            starts(lines[0], "Id")
        ] * 2
        assert lines[2].startswith("  This sync would deactivate 2 of 4"), lines  # its error, then what to do
        assert lines[3].startswith("  Confirm it: admit hr confirm"), lines
        assert (
            "would deactivate 2 of 4 active members" in runs.output
            and "2 to deactivate (left)" in runs.output
        )
        waiting_id = json.loads(run("hr", "runs", "--portal", pf.slug, conn_id, "--json", env=ENV).output)[
            "items"
        ][0]["id"]
        assert f"admit hr confirm --portal {pf.slug} {conn_id} {waiting_id}" in runs.output

        shown = run("hr", "run", "--portal", pf.slug, conn_id, waiting_id, env=ENV)
        assert shown.exit_code == 0, shown.output
        assert "Sync waiting" in shown.output and "Deactivate (left)" in shown.output
        assert "Left: will be deactivated." in shown.output and "ada@acme.com" in shown.output

        confirmed = run("hr", "confirm", "--portal", pf.slug, conn_id, waiting_id, env=ENV)
        assert confirmed.exit_code == 0 and "Confirmed: the sync applies it now" in confirmed.output
        worker.drain()
        members = client.get(f"/api/v1/portals/{pf.slug}/members", headers=pf.headers()).json()["items"]
        statuses = {m["user"]["email"]: m["status"] for m in members}
        assert statuses["ada@acme.com"] == statuses["bob@acme.com"] == "deactivated"
        assert statuses["cy@acme.com"] == "active"
        again = run("hr", "confirm", "--portal", pf.slug, conn_id, waiting_id, env=ENV)
        assert again.exit_code == 1 and "only a run waiting for confirmation" in again.output
        done = run("hr", "runs", "--portal", pf.slug, conn_id, "--limit", "1", env=ENV)
        assert done.output.splitlines()[1].startswith("done") and "2 deactivated" in done.output, done.output

        # Cy leaves too (1 of 2 active members): waits, and is dismissed.
        fake.people = [dataclasses.replace(cy, active=False)]
        run("hr", "sync", "--portal", pf.slug, conn_id, env=ENV)
        worker.drain()
        waiting_id = json.loads(run("hr", "runs", "--portal", pf.slug, conn_id, "--json", env=ENV).output)[
            "items"
        ][0]["id"]
        dismissed = run("hr", "dismiss", "--portal", pf.slug, conn_id, waiting_id, env=ENV)
        assert dismissed.exit_code == 0 and "Dismissed: nothing of that sync was applied." in dismissed.output
        assert run("hr", "list", "--portal", pf.slug, env=ENV).output.splitlines()[1].startswith("ok  ")


def test_people_it_does_not_manage_are_one_line_with_the_command_that_links_them(
    run, db, client, worker, change_settings
):
    """Erin and Ivy joined (or were invited) another way, then left or were renamed in the HR
    system: the preview said so in a skip row each, every time, until they were linked. It
    says it once, naming them, with the command that links them (``hr link``: the Settings'
    "Link people already in the portal"); linked, their changes are the sync's to apply."""
    import dataclasses

    from tests.factories import invite, member_joins

    change_settings(directory_allow_private=True)
    pf = create_portal(db)
    member_joins(db, worker, pf, "erin@acme.com")
    member_joins(db, worker, pf, "kay@acme.com")
    invite(db, pf, ["ivy@acme.com"])
    erin = Person(id="9", first_name="Erin", last_name="Early", email="erin@acme.com")
    ivy = Person(id="10", first_name="Ivy", last_name="Invited", email="ivy@acme.com")
    kay = Person(id="11", first_name="Kay", last_name="Kept", email="kay@acme.com")
    with serve("personio") as fake:
        fake.people = [erin, ivy, kay]
        conn_id = _connect(client, pf, fake, deactivate_limit_pct=100)
        assert run("hr", "sync", "--portal", pf.slug, conn_id, env=ENV).exit_code == 0
        worker.drain()
        left, renamed = dataclasses.replace(erin, active=False), dataclasses.replace(ivy, last_name="Ingram")
        fake.people = [left, renamed, kay]

        preview = run("hr", "preview", "--portal", pf.slug, conn_id, env=ENV)
        assert preview.exit_code == 0, preview.output
        lines = preview.output.splitlines()
        assert lines[0] == "1 already a member · 2 skipped", preview.output
        assert not any(line.startswith("Skip") for line in lines), preview.output  # no row each
        assert lines[1:] == [
            "3 already in the portal joined another way, not linked to Personio: a sync will not "
            "change them, nor deactivate them when they leave it. 2 of them left or changed in "
            "Personio: Erin Early, Ivy Ingram.",
            "Link them (and everyone else already in the portal): "
            f"admit hr link --portal {pf.slug} {conn_id}",
        ], preview.output

        linked = run("hr", "link", "--portal", pf.slug, conn_id, env=ENV)
        assert linked.exit_code == 0, linked.output
        assert linked.output.startswith("Personio now links people already in the portal"), linked.output
        url = f"/api/v1/portals/{pf.slug}/directory/connections/{conn_id}"
        connection = client.get(url, headers=pf.headers())
        assert connection.json()["manage_existing"] is True
        after = run("hr", "preview", "--portal", pf.slug, conn_id, env=ENV).output
        assert after.splitlines()[0] == "1 already a member · 1 to update · 1 to deactivate (left)", after
        assert "not linked" not in after
        again = run("hr", "link", "--portal", pf.slug, conn_id, env=ENV)
        assert again.exit_code == 0 and "already links" in again.output, again.output


def test_people_gone_from_the_list_are_not_told_to_be_linked(run, db, client, worker, change_settings):
    """Erin joined another way and is no longer listed: ``hr link`` cannot make her the
    connection's (it links those the system lists), so the preview shows her row and no
    command to link her (it did, and ``hr link`` then answered "nothing changed" for ever)."""
    from tests.factories import member_joins

    change_settings(directory_allow_private=True)
    pf = create_portal(db)
    member_joins(db, worker, pf, "erin@acme.com")
    erin = Person(id="9", first_name="Erin", last_name="Early", email="erin@acme.com")
    kay = Person(id="11", first_name="Kay", last_name="Kept", email="kay@acme.com")
    with serve("personio") as fake:
        fake.people = [erin, kay]
        conn_id = _connect(client, pf, fake, deactivate_limit_pct=100)
        assert run("hr", "sync", "--portal", pf.slug, conn_id, env=ENV).exit_code == 0
        worker.drain()
        fake.people = [kay]
        assert run("hr", "link", "--portal", pf.slug, conn_id, env=ENV).exit_code == 0
        preview = run("hr", "preview", "--portal", pf.slug, conn_id, env=ENV)
    assert preview.exit_code == 0, preview.output
    assert "hr link" not in preview.output and "not linked" not in preview.output, preview.output
    erin_line = next(line for line in preview.output.splitlines() if "erin@acme.com" in line)
    assert erin_line.startswith("Skip") and "No longer listed in Personio" in erin_line, preview.output
