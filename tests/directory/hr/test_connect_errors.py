"""What an operator connecting a list is told: a URL on this machine is refused under
``base_url`` naming the setting that allows it; a CSV without an id or work email column names
the columns accepted (and the README lists them, from ``providers.generic.ALIASES``); every
fault of a connect is said at once, the options' values included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from admit.directory.hr.providers.generic import ALIASES
from tests.directory.hr.test_providers import static

README = Path(__file__).resolve().parents[3] / "README.md"


def _connect(client, portal, **body):
    return client.post(
        f"/api/v1/portals/{portal.slug}/directory/connections",
        json={"provider": "generic", "fields_granted": True, **body},
        headers=portal.headers(),
    )


def test_a_url_on_this_machine_is_refused_naming_the_field_and_the_setting(client, portal, change_settings):
    change_settings(directory_allow_private=False)
    r = _connect(client, portal, base_url="http://127.0.0.1:8851/people.csv")
    assert r.status_code == 422, r.text
    (fault,) = r.json()["errors"]
    assert fault["field"] == "base_url" and r.json()["field"] == "base_url"
    assert "127.0.0.1 is a private, loopback or link-local address" in fault["message"]
    assert "ADMIT_DIRECTORY_ALLOW_PRIVATE=true" in fault["message"]
    listed = client.get(f"/api/v1/portals/{portal.slug}/directory/connections", headers=portal.headers())
    assert listed.json()["items"] == []


def test_a_csv_without_an_id_or_email_column_names_the_columns_accepted(client, portal):
    text = "Full Name,Mail\nAda Lovelace,ada@acme.com\n"
    with static({"/people.csv": (200, "text/csv", text)}) as base:
        r = _connect(client, portal, base_url=f"{base}/people.csv")
    assert r.status_code == 502, r.text
    detail = r.json()["detail"]
    assert "the file has no id or work email column" in detail
    assert "an id as id, employee_id, employeeid, worker_id, employee_number" in detail
    assert "a work email as email, work_email, email_address, work_email_address" in detail


def test_the_readme_lists_every_column_a_list_is_read_from():
    section = README.read_text().split("## HR systems", 1)[1].split("\n## ", 1)[0]
    for field, aliases in ALIASES.items():
        for alias in aliases:
            assert re.search(rf"`{alias}`", section), (field, alias)


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_every_fault_of_a_connect_is_said_at_once(client, portal, fake):
    r = _connect(
        client,
        portal,
        schedule="weekly",
        new_hires="loud",
        role="boss",
        base_url="ftp://x",
        deactivate_limit_pct=150,
    )
    assert r.status_code == 422, r.text
    faults = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert set(faults) == {"schedule", "new_hires", "role", "base_url", "deactivate_limit_pct"}, faults
    assert faults["schedule"] == "The schedule is off, hourly or daily."
    r = _connect(client, portal, base_url=fake.base_url, user_type="robot", schedule="weekly")
    assert {e["field"] for e in r.json()["errors"]} == {"user_type", "schedule"}, r.text
