"""``admit hr list|preview|sync`` on the test database (both backends), against the fake
Personio on loopback: the connection listed without its key, the plan printed, a sync queued
that the worker applies."""

from __future__ import annotations

import json

from tests.directory.hr.fakes import Person, serve
from tests.factories import create_portal, last_link

ENV = {"ADMIT_DIRECTORY_ALLOW_PRIVATE": "true"}


def test_list_preview_sync(run, db, client, worker, change_settings):
    change_settings(directory_allow_private=True)
    pf = create_portal(db)
    with serve("personio") as fake:
        fake.people = [
            Person(id="7", first_name="Ada", last_name="Lovelace", email="ada@acme.com"),
            Person(id="8", first_name="Dee", last_name="Nomail", email=""),
        ]
        c = fake.credentials
        made = client.post(
            f"/api/v1/portals/{pf.slug}/directory/connections",
            json={"provider": "personio", "api_key": c.api_key, "account": c.account, "base_url": c.base_url,
                  "fields_granted": True},
            headers=pf.headers(),
        )  # fmt: skip
        assert made.status_code == 201, made.text
        conn_id = made.json()["id"]

        listed = run("hr", "list", "--portal", pf.slug, "--json", env=ENV)
        assert listed.exit_code == 0, listed.output
        items = json.loads(listed.output)["items"]
        assert [i["title"] for i in items] == ["Personio"] and c.api_key not in listed.output

        preview = run("hr", "preview", "--portal", pf.slug, conn_id, env=ENV)
        assert preview.exit_code == 0, preview.output
        assert "1 invite · 1 skip" in preview.output and "No work email in Personio." in preview.output

        queued = run("hr", "sync", "--portal", pf.slug, conn_id, env=ENV)
        assert queued.exit_code == 0 and "Sync queued" in queued.output
        worker.drain()
        assert last_link(db, "ada@acme.com")

        fake.fail = "401"
        refused = run("hr", "preview", "--portal", pf.slug, conn_id, env=ENV)
        assert refused.exit_code == 1 and "Personio refused the credentials (401)" in refused.output
