"""Invite Users → Select from your HR system, as an admin uses the pages: choose the system,
grant the fields, enter the key; preview with selection; Send Invites; the run's report; the
key shown masked; members cannot open it. Both databases, the fake BambooHR on loopback."""

from __future__ import annotations

import re

import pytest

from tests.directory.hr.conftest import LATER
from tests.directory.hr.fakes import Person
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    active_member,
    csrf_of,
    form_of,
    said_under,
    sign_in_page,
)

STAFF = [
    Person(id="1", first_name="Ada", last_name="Lovelace", email="ada@acme.com", department="Engineering"),
    Person(id="2", first_name="Bob", last_name="Builder", email="bob@acme.com"),
    Person(id="3", first_name="Dee", last_name="Nomail", email=""),
    Person(id="4", first_name="Eve", last_name="Later", email="eve@acme.com", start_date=LATER),
]


@pytest.mark.parametrize("fake", ["bamboohr"], indirect=True)
def test_connect_preview_select_and_send(client, db, worker, portal, fake):
    fake.people = STAFF
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    users = client.get(f"/p/{portal.slug}/users")
    assert "select from your HR system" in users.text
    home = client.get(f"/p/{portal.slug}/hr")
    assert (
        "Connect BambooHR" in home.text and "Connect Personio" in home.text and "Connect HiBob" in home.text
    )
    form = client.get(f"/p/{portal.slug}/hr/connect/bamboohr")
    # Left to the server (novalidate): an empty key is its "Enter the API key." under the field.
    assert "novalidate" in form_of(form.text, "api_key")
    for field in ("Names", "Work email", "Employment status", "Start and end dates"):
        assert field in form.text
    c = fake.credentials
    data = {
        "csrf_token": csrf_of(form.text),
        "api_key": c.api_key,
        "account": c.account,
        "base_url": c.base_url,
    }
    refused = client.post(f"/p/{portal.slug}/hr/connect/bamboohr", data={**data, "api_key": ""})
    assert refused.status_code == 422
    assert (
        said_under(refused.text, "fields_granted")
        == "Grant Admit read access to the fields listed to connect."
    )
    assert said_under(refused.text, "api_key") == "Enter the API key."  # every fault at once
    assert "2 things to fix below." in refused.text
    assert f'value="{c.account}"' in refused.text  # what was typed is kept
    assert c.api_key not in refused.text  # the key is not put back into the page
    done = client.post(
        f"/p/{portal.slug}/hr/connect/bamboohr", data={**data, "fields_granted": "on"}, follow_redirects=True
    )
    assert done.status_code == 200 and "BambooHR is connected" in done.text
    assert c.api_key not in done.text and "••••••••" + c.api_key[-4:] in done.text
    conn_url = done.url.path

    preview = client.get(f"{conn_url}/preview")
    assert preview.status_code == 200, preview.text
    assert "4 employees in BambooHR" in preview.text
    rows = dict(
        re.findall(r'<tr data-outcome="([a-z_]+)">\s*<td>(?:<input[^>]*value="(\d+)")?', preview.text)
    )
    assert set(rows) == {"invite", "invite_on_start", "skip"}
    assert "No work email in BambooHR." in preview.text and "Starts on" in preview.text
    # Tick Ada only (Select all off): only she is invited.
    sent = client.post(
        f"{conn_url}/sync",
        data={"csrf_token": csrf_of(preview.text), "selected": ["1"]},
        follow_redirects=True,
    )
    assert "The sync is on its way" in sent.text
    worker.drain()
    page = client.get(conn_url)
    assert '<tr data-run="done">' in page.text and "1 invited" in page.text
    report = client.get(re.search(r'href="([^"]+/runs/[^"]+)"', page.text).group(1))
    assert "No work email in BambooHR." in report.text
    people = client.get(f"/p/{portal.slug}/users?tab=internal")
    assert "ada@acme.com" in people.text and "bob@acme.com" not in people.text

    # Settings: auto-pilot on, a new key replaces the old (shown masked).
    saved = client.post(
        conn_url,
        data={"csrf_token": csrf_of(page.text), "schedule": "daily", "new_hires": "invite",
              "user_type": "internal", "role": "member", "deactivate_limit_pct": "10",
              "api_key": "new-key-0000-9876", "products_shown": "1", "products": ["billing"],
              "manage_existing": "on"},
        follow_redirects=True,
    )  # fmt: skip
    assert "Saved." in saved.text and "••••••••9876" in saved.text
    assert re.search(r'name="manage_existing"[^>]*checked', saved.text)  # linking people already here
    hint = "A sync changes (name, email, team) and deactivates only the people it manages"
    assert hint in client.get(f"{conn_url}/preview").text
    assert 'value="daily" selected' in saved.text
    assert 'name="products" value="billing" checked' in saved.text
    # The address can be changed on the page, with the key entered again.
    moved = client.post(
        conn_url,
        data={
            "csrf_token": csrf_of(page.text),
            "account": c.account,
            "base_url": "https://hr.example.com/api",
        },
    )
    assert moved.status_code == 422 and "again to change where Admit reads the list" in said_under(
        moved.text, "api_key"
    )
    assert 'value="https://hr.example.com/api"' in moved.text  # the address typed is kept


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_a_failing_system_is_said_on_the_page(client, db, worker, portal, fake):
    fake.people = STAFF
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    form = client.get(f"/p/{portal.slug}/hr/connect/personio")
    c = fake.credentials
    done = client.post(
        f"/p/{portal.slug}/hr/connect/personio",
        data={"csrf_token": csrf_of(form.text), "api_key": c.api_key, "account": c.account,
              "base_url": c.base_url, "fields_granted": "on"},
        follow_redirects=True,
    )  # fmt: skip
    fake.fail = "401"
    preview = client.get(f"{done.url.path}/preview")
    assert preview.status_code == 502 and "Personio refused the credentials (401)" in preview.text


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_members_cannot_open_it(client, db, portal, fake):
    active_member(db, portal, "mia@acme.com")
    sign_in_page(client, "mia@acme.com", PASSWORD)
    assert client.get(f"/p/{portal.slug}/hr").status_code == 403
    assert "select from your HR system" not in client.get(f"/p/{portal.slug}/users").text


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_people_it_does_not_manage_are_one_line_with_link_them(hr, client, db, worker, portal, fake):
    """Erin joined another way and left the HR list's company: the preview said so in a skip
    row, at every preview, until she was linked. It says it once, naming her, with Link them
    (the Settings' "Link people already in the portal"); linked, she is a leaver to deactivate."""
    import dataclasses

    from tests.factories import member_joins

    erin = Person(id="9", first_name="Erin", last_name="Early", email="erin@acme.com")
    member_joins(db, worker, portal, "erin@acme.com")
    fake.people = [erin]
    hr.connect(deactivate_limit_pct=100)
    hr.sync()
    fake.people = [dataclasses.replace(erin, active=False)]
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    url = f"/p/{portal.slug}/hr/{hr.id}/preview"
    preview = client.get(url)
    assert preview.status_code == 200, preview.text
    assert '<tr data-outcome="skip"' not in preview.text  # no row of her own
    summary = re.search(r'<div[^>]*id="hr-unlinked".*?</div>', preview.text, re.S)
    assert summary is not None, preview.text
    text = " ".join(re.sub(r"<[^>]+>", " ", summary.group(0)).split())
    assert (
        "1 already in the portal joined another way, not linked to Personio: a sync will not change "
        "them, nor deactivate them when they leave it. They left or changed in Personio: Erin Early."
    ) in text, text
    assert "Link them" in text
    linked = client.post(
        f"/p/{portal.slug}/hr/{hr.id}/link", data={"csrf_token": csrf_of(preview.text)}, follow_redirects=True
    )
    assert linked.status_code == 200, linked.text
    assert "Personio now links people already in the portal" in linked.text
    assert hr.connection()["manage_existing"] is True
    assert '<tr data-outcome="deactivate"' in linked.text and 'id="hr-unlinked"' not in linked.text


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_people_gone_from_the_list_are_not_offered_link_them(hr, client, db, worker, portal, fake):
    """Erin joined another way and is no longer listed in the HR system at all: linking people
    already in the portal cannot make her the connection's (it links those it lists), so Link
    them is not offered for her (it was, and changed nothing, at every preview); her row says
    what an admin may do instead."""
    from tests.factories import member_joins

    erin = Person(id="9", first_name="Erin", last_name="Early", email="erin@acme.com")
    kay = Person(id="11", first_name="Kay", last_name="Kept", email="kay@acme.com")
    member_joins(db, worker, portal, "erin@acme.com")
    fake.people = [erin, kay]
    hr.connect(deactivate_limit_pct=100)
    hr.sync()
    fake.people = [kay]
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    preview = client.get(f"/p/{portal.slug}/hr/{hr.id}/preview")
    assert preview.status_code == 200, preview.text
    assert 'id="hr-unlinked"' not in preview.text and "Link them" not in preview.text
    row = re.search(r'<tr data-outcome="skip".*?</tr>', preview.text, re.S)
    assert row is not None, preview.text
    text = " ".join(re.sub(r"<[^>]+>", " ", row.group(0)).split())
    assert "No longer listed in Personio" in text and "deactivate them in User Management" in text, text
