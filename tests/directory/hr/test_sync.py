"""HR sync through the API, against each system's fake on loopback (issue 12 items 1–4): the
first sync, an unchanged second sync, a new hire, a leaver, a renamed person, a changed email,
every failure mode (nothing applied), 5,000 employees, and the rules around them."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from admit.directory.models import HrConnection, HrSyncRun
from admit.kit import clock
from tests.directory.hr.conftest import LATER, TODAY, people
from tests.directory.hr.fakes import Person
from tests.factories import last_link, member_joins

ADA = Person(id="1", first_name="Ada", last_name="Lovelace", email="ada@acme.com", department="Engineering")
BOB = Person(id="2", first_name="Bob", last_name="Builder", email="bob@acme.com", department="Sales")
CY = Person(id="3", first_name="Cy", last_name="Left", email="cy@acme.com", active=False, end_date=TODAY)
DEE = Person(id="4", first_name="Dee", last_name="Nomail", email="")
EVE = Person(id="5", first_name="Eve", last_name="Later", email="eve@acme.com", start_date=LATER)


def test_first_sync_then_unchanged_then_changes(hr, fake, db, worker, portal):
    fake.people = [ADA, BOB, CY, DEE, EVE]
    conn = hr.connect(deactivate_limit_pct=100)
    assert conn["api_key"].startswith("••••") and fake.credentials.api_key not in str(conn)

    plan = hr.preview()
    assert plan["counts"] == {
        "invite": 2,
        "invite_on_start": 1,
        "already_member": 0,
        "already_invited": 0,
        "update": 0,
        "deactivate": 0,
        "skip": 2,
    }
    by_id = {r["external_id"]: r for r in plan["rows"]}
    assert by_id["3"]["reason"] == "left" and by_id["4"]["reason"] == "no_work_email"
    assert by_id["1"]["name"] == "Ada Lovelace" and by_id["1"]["email"] == "ada@acme.com"
    assert hr.state()["invitations"] == []  # a preview writes nothing

    run = hr.sync()
    assert run["status"] == "done", run
    assert run["counts"]["invited"] == 2 and run["import_id"]
    state = hr.state()
    assert state["invitations"] == [("ada@acme.com", "pending"), ("bob@acme.com", "pending")]
    assert last_link(db, "ada@acme.com")  # the invitation email went out
    actions = hr.audit_actions()
    assert ("directory.sync_completed", f"hr:{fake.provider}") in actions
    assert ("invitation.created", f"hr:{fake.provider}") in actions

    # The same list again: nothing about anyone is written (the run and its two audit events only).
    before = hr.state()
    run = hr.sync()
    assert run["status"] == "done" and run["counts"]["invited"] == 0 and run["import_id"] is None
    after = hr.state()
    assert after["invitations"] == before["invitations"] and after["members"] == before["members"]
    assert after["seen"] == before["seen"]
    assert after["audit"] == before["audit"] + 2  # hr.sync_started and directory.sync_completed

    # Ada joins; then a new hire, Ada renamed, Bob's email changed (still invited), Ada's team.
    with db.unit_of_work() as s:
        from admit.flows import join

        join.accept(s, token=last_link(db, "ada@acme.com"), name="Ada", password="a-good-password-42")
    fay = Person(id="6", first_name="Fay", last_name="New", email="fay@acme.com")
    fake.people = [
        dataclasses.replace(ADA, first_name="Augusta Ada"),
        dataclasses.replace(BOB, email="robert@acme.com"),
        CY,
        DEE,
        EVE,
        fay,
    ]
    plan = hr.preview()
    assert plan["counts"]["invite"] == 1 and plan["counts"]["update"] == 2, plan["counts"]
    run = hr.sync()
    assert run["status"] == "done", run
    state = hr.state()
    assert state["members"]["ada@acme.com"] == ("Augusta Ada Lovelace", "active")
    assert ("bob@acme.com", "revoked") in state["invitations"]
    assert ("robert@acme.com", "pending") in state["invitations"]
    assert ("fay@acme.com", "pending") in state["invitations"]

    # Ada leaves: deactivated, never deleted; her row stays.
    fake.people = [dataclasses.replace(ADA, first_name="Augusta Ada", active=False, end_date=TODAY), BOB, EVE]
    run = hr.sync()
    assert run["status"] == "done", run
    state = hr.state()
    assert state["members"]["ada@acme.com"][1] == "deactivated"
    assert ("member.deactivated", f"hr:{fake.provider}") in hr.audit_actions()
    # Fay is gone from the list: her invitation is revoked.
    assert ("fay@acme.com", "revoked") in state["invitations"]


FAILURES = ("401", "403", "429", "500", "503", "timeout", "malformed", "page_missing")


def test_every_failure_applies_nothing_and_is_retried(hr, fake, db, worker, change_settings):
    fake.people = [ADA, BOB]
    fake.page_size = 1  # two pages where the system pages: "page_missing" loses the second
    hr.connect()
    for failure in FAILURES:
        fake.fail = failure
        fake.retry_after = 120 if failure in ("429", "503") else None
        fake.delay_seconds = 3.0
        change_settings(hr_timeout_seconds=0.2 if failure == "timeout" else 15.0)
        before = hr.state()
        run = hr.sync()
        # A refused key is not tried again (trying cannot help, and may get it locked); the rest are.
        expected = "failed" if failure in ("401", "403") else "queued"
        assert run["status"] == expected and run["attempts"] == 1, (failure, run)
        assert run["error"] and fake.credentials.api_key not in run["error"], failure
        assert hr.connection()["status"] == "failing"
        after = hr.state()
        assert after["invitations"] == before["invitations"] == [], failure
        assert after["seen"] == before["seen"] == [], failure
        if failure in ("429", "503"):  # the system's Retry-After is honoured
            waits = (clock.now() + timedelta(seconds=110)).replace(tzinfo=None)
            assert run["not_before"] > waits.isoformat(), (failure, run["not_before"])
        with db.unit_of_work() as s:  # this run is dropped; the next failure mode gets its own
            s.get(HrSyncRun, uuid.UUID(run["id"])).status = "failed"
    # The system answers again: the retried run applies everything.
    fake.fail = None
    run = hr.sync()
    assert run["status"] == "done"
    assert hr.state()["invitations"] == [("ada@acme.com", "pending"), ("bob@acme.com", "pending")]
    assert hr.connection()["status"] == "ok"


def test_a_failed_run_is_retried_by_the_worker_after_its_backoff(hr, fake, db, worker):
    fake.people = [ADA]
    hr.connect()
    fake.fail = "500"
    run = hr.sync()
    assert run["status"] == "queued" and run["attempts"] == 1
    fake.fail = None
    worker.drain()  # not due yet: still waiting
    assert hr.run(run["id"])["status"] == "queued"
    with db.context.clock.travel(timedelta(minutes=2)):
        worker.drain()
    assert hr.run(run["id"])["status"] == "done"
    assert hr.state()["invitations"] == [("ada@acme.com", "pending")]


def test_five_thousand_employees(hr, fake):
    fake.people = people(5000)
    hr.connect()
    plan = hr.preview()
    assert plan["total"] == 5000 and plan["counts"]["invite"] == 5000
    if fake.provider in ("personio", "generic"):
        assert fake.requests > 2  # read page by page


@pytest.mark.parametrize("fake", ["bamboohr"], indirect=True)
def test_mass_deactivation_waits_for_confirmation(hr, fake, db, worker, portal):
    fake.people = [ADA, BOB]
    hr.connect()
    hr.sync()
    for address in ("ada@acme.com", "bob@acme.com"):
        with db.unit_of_work() as s:
            from admit.flows import join

            join.accept(s, token=last_link(db, address), name=address[:3], password="a-good-password-42")
    fake.people = [dataclasses.replace(ADA, active=False), dataclasses.replace(BOB, active=False)]
    run = hr.sync()  # 2 of 3 active members: more than 10%
    assert run["status"] == "waiting" and "confirm" in run["error"]
    assert hr.connection()["status"] == "waiting"
    assert hr.state()["members"]["ada@acme.com"][1] == "active"
    r = hr.client.post(f"{hr.base}/{hr.id}/runs/{run['id']}/confirm", headers=portal.headers())
    assert r.status_code == 202, r.text
    worker.drain()
    assert hr.run(r.json()["id"])["status"] == "done"
    state = hr.state()
    assert state["members"]["ada@acme.com"][1] == state["members"]["bob@acme.com"][1] == "deactivated"


@pytest.mark.parametrize("fake", ["hibob"], indirect=True)
def test_quiet_new_hires_and_departments_as_teams(hr, fake, db, worker, portal):
    member_joins(db, worker, portal, "elsewhere@acme.com")  # an account that exists already
    fake.people = [ADA, dataclasses.replace(BOB, email="elsewhere@acme.com")]
    hr.connect(new_hires="quiet", map_departments=True, manage_existing=True)
    run = hr.sync()
    assert run["status"] == "done"
    state = hr.state()
    assert state["members"]["ada@acme.com"] == ("Ada Lovelace", "active")  # added, no email
    with db.unit_of_work() as s:
        from admit.notifications import mailbox

        assert mailbox.messages(s, to="ada@acme.com") == []

    def teams() -> dict[str, list[str]]:
        got = hr.client.get(f"/api/v1/portals/{portal.slug}/teams", headers=portal.headers()).json()["items"]
        return {t["name"]: sorted(m["email"] for m in t.get("members", [])) for t in got}

    # Only members are put in teams: "elsewhere" (a member already, linked) and Ada (added quietly in
    # this very run); nobody merely invited.
    assert teams() == {"Engineering": ["ada@acme.com"], "Sales": ["elsewhere@acme.com"]}
    hr.sync()  # nothing new to map
    assert teams() == {"Engineering": ["ada@acme.com"], "Sales": ["elsewhere@acme.com"]}


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_only_owners_and_admins_and_the_key_never_shown(hr, fake, db, worker, portal, client):
    from tests.factories import actor_for, login

    hr.connect()
    with db.unit_of_work() as s:
        row = s.scalar(select(HrConnection))
        assert fake.credentials.api_key not in row.api_key_sealed  # sealed at rest
    member_joins(db, worker, portal, "mem@acme.com")
    csrf = login(client, "mem@acme.com")
    r = client.get(f"{hr.base}", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
    r = client.post(f"{hr.base}/{hr.id}/preview", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
    assert actor_for  # the member's actor exists: the refusal is the policy's


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_bad_connection_input_names_the_field(client, portal, fake):
    base = f"/api/v1/portals/{portal.slug}/directory/connections"
    good = {
        "provider": fake.provider,
        "api_key": "k" * 20,
        "account": "acme",
        "base_url": fake.base_url,
        "fields_granted": True,
    }
    cases = [
        ({**good, "provider": "workday"}, "provider"),
        ({**good, "fields_granted": False}, "fields_granted"),
        ({**good, "schedule": "weekly"}, "schedule"),
        ({**good, "base_url": "ftp://x"}, "base_url"),
        ({**good, "role": "owner-ish"}, "role"),
        ({**good, "account": ""}, "account"),
        ({**good, "api_key": ""}, "api_key"),
    ]
    for body, field in cases:
        r = client.post(base, json=body, headers=portal.headers())
        assert r.status_code == 422, (field, r.text)
        assert field in r.text, (field, r.text)
    assert client.get(base, headers=portal.headers()).json()["items"] == []


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_a_connection_says_every_fault_at_once(client, portal, fake, hr):
    """Connecting or changing a connection with several things wrong names each of them in one
    answer (the page says each under its field), and nothing is kept."""
    base = f"/api/v1/portals/{portal.slug}/directory/connections"
    body = {
        "provider": fake.provider,
        "fields_granted": False,
        "account": "a" * 201,
        "base_url": "ftp://x",
        "api_key": "",
        "deactivate_limit_pct": 150,
        "role": "owner-ish",
    }
    r = client.post(base, json=body, headers=portal.headers())
    assert r.status_code == 422, r.text
    faults = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert list(faults) == [
        "fields_granted",
        "account",
        "base_url",
        "api_key",
        "deactivate_limit_pct",
        "role",
    ]
    assert faults["account"] == "At most 200 characters; this one has 201."
    assert faults["deactivate_limit_pct"] == "The share is a percentage from 0 to 100."
    assert client.get(base, headers=portal.headers()).json()["items"] == []

    conn = hr.connect()
    change = {"account": "other", "deactivate_limit_pct": -1, "schedule": "daily", "role": "owner-ish"}
    r = client.patch(f"{base}/{conn['id']}", json=change, headers=portal.headers())
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["api_key", "deactivate_limit_pct", "role"]
    assert "Enter the" in r.json()["errors"][0]["message"]
    after = client.get(f"{base}/{conn['id']}", headers=portal.headers()).json()
    assert (after["account"], after["schedule"]) == (conn["account"], conn["schedule"])  # nothing changed


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_every_bad_allowed_domain_is_named(client, portal, fake, hr):
    """A connection's allowed domains are checked as an invite link's: each bad one named (it
    stopped at the first), in the same words, by its place in the list (a blank one, left out,
    counted)."""
    conn = hr.connect()
    base = f"/api/v1/portals/{portal.slug}/directory/connections"
    change = {"allowed_domains": ["acme..com", " ", "acme.com", "a_b.com"]}
    r = client.patch(f"{base}/{conn['id']}", json=change, headers=portal.headers())
    assert r.status_code == 422, r.text
    assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [
        ("allowed_domains.0", "“acme..com” is not a valid email domain: it has two periods in a row."),
        (
            "allowed_domains.3",
            "“a_b.com” is not a valid email domain: it has a character no domain has: “_”.",
        ),
    ]


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_auto_pilot_invites_new_hires_on_their_start_date(hr, fake, db, worker):
    fake.people = [ADA, EVE]
    hr.connect(schedule="hourly")
    worker.run_once(sweep=False)  # due at once: auto-pilot's first run
    worker.drain()
    with db.unit_of_work() as s:
        runs = s.scalars(select(HrSyncRun)).all()
        assert [r.trigger for r in runs] == ["schedule"] and runs[0].status == "done"
    assert hr.state()["invitations"] == [("ada@acme.com", "pending")]  # Eve starts later
    worker.drain()  # within the hour: no second run
    assert hr.state()["runs"] == 1
    with db.context.clock.travel(timedelta(days=31)):  # Eve's start date has come
        worker.drain()
        state = hr.state()
    assert ("eve@acme.com", "pending") in state["invitations"] and state["runs"] == 2
    conn = hr.connection()
    assert conn["schedule"] == "hourly" and conn["last_sync_at"]


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_two_workers_queue_a_due_sync_once(hr, fake, db):
    from admit.directory.hr import service as hr_service

    fake.people = [ADA]
    hr.connect(schedule="daily")
    with db.unit_of_work() as s1, db.unit_of_work() as s2:
        queued = hr_service.queue_due(s1)
        s1.commit()
        queued += hr_service.queue_due(s2)
    assert queued == 1 and hr.state()["runs"] == 1


@pytest.mark.parametrize("fake", ["bamboohr"], indirect=True)
def test_the_selection_gets_its_own_type_and_role(hr, fake, db, portal):
    fake.people = [ADA, BOB]
    hr.connect()
    url = f"{hr.base}/{hr.id}/sync"
    bad = hr.client.post(url, json={"selection": ["1"], "role": "overlord"}, headers=portal.headers())
    assert bad.status_code == 422 and bad.json()["field"] == "role"
    r = hr.client.post(url, json={"selection": ["1"], "role": "admin"}, headers=portal.headers())
    assert r.status_code == 202, r.text
    r = hr.client.post(url, json={"selection": ["2"], "user_type": "client"}, headers=portal.headers())
    assert r.status_code == 202, r.text
    hr.worker.drain()
    with db.unit_of_work() as s:
        from admit.invitations.models import Invitation

        got = {i.recipient: (i.user_type, i.role) for i in s.scalars(select(Invitation))}
    assert got == {"ada@acme.com": ("internal", "admin"), "bob@acme.com": ("client", "client")}
    assert hr.connection()["role"] == "member"  # the connection's own settings are unchanged
