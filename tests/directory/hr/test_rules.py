"""The rules a sync must keep (found by review, each reproduced first): an address a listed,
employed person uses is never deactivated by another record; the portal's own address for a
person is kept when the list's changes were not applied; a run never stays running; a waiting
run holds nothing back; the deactivation limit counts members; the report says what was done;
the key goes only where it was given; an owner's sign-in email is not the HR system's to change;
allowed domains are matched as invite links match them. Both databases, the fake HiBob (it lists
former employees too) or the generic source."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from admit.directory.models import HrSyncRun
from tests.directory.hr.conftest import LATER, TODAY
from tests.directory.hr.fakes import Person
from tests.factories import active_member

ADA = Person(id="1", first_name="Ada", last_name="Lovelace", email="ada@acme.com")
BOB = Person(id="2", first_name="Bob", last_name="Builder", email="bob@acme.com")


def joined(db, portal, *addresses):
    """Members who joined another way: a connection manages them (changes them, deactivates
    them when they leave its list) only when made with ``manage_existing`` (``test_managed``)."""
    for address in addresses:
        active_member(db, portal, address)


@pytest.mark.parametrize("fake", ["hibob"], indirect=True)
def test_a_rehire_under_a_new_id_is_not_deactivated_by_the_old_record(hr, fake, db, portal):
    joined(db, portal, "ada@acme.com")
    old = dataclasses.replace(ADA, id="900", active=False, end_date=TODAY.replace(year=TODAY.year - 1))
    fake.people = [old, ADA]
    hr.connect(deactivate_limit_pct=100)
    plan = hr.preview()
    assert plan["counts"]["deactivate"] == 0 and plan["counts"]["already_member"] == 1, plan["counts"]
    assert hr.sync()["status"] == "done"
    fake.people = [ADA]  # the old record drops off the list: still nobody deactivated
    hr.sync()
    assert hr.state()["members"]["ada@acme.com"][1] == "active"


@pytest.mark.parametrize("fake", ["hibob"], indirect=True)
def test_a_leaver_whose_email_was_cleared_is_deactivated_at_the_address_the_portal_knows(
    hr, fake, db, portal
):
    joined(db, portal, "ada@acme.com")
    fake.people = [ADA]
    hr.connect(manage_existing=True, deactivate_limit_pct=100)
    hr.sync()
    fake.people = [dataclasses.replace(ADA, email="")]  # cleared first…
    hr.sync()
    fake.people = [dataclasses.replace(ADA, email="", active=False)]  # …then left
    run = hr.sync()
    assert run["counts"]["deactivated"] == 1, run["counts"]
    assert hr.state()["members"]["ada@acme.com"][1] == "deactivated"


@pytest.mark.parametrize("fake", ["hibob"], indirect=True)
def test_a_refused_email_change_keeps_tracking_the_right_person(hr, fake, db, portal):
    joined(db, portal, "ada@acme.com", "bob@acme.com")
    fake.people = [ADA, BOB]
    hr.connect(manage_existing=True, deactivate_limit_pct=100)
    hr.sync()
    fake.people = [dataclasses.replace(ADA, email="bob@acme.com"), dataclasses.replace(BOB, id="3", email="")]
    run = hr.sync()  # Ada's new address is Bob's account: refused
    report = {r["external_id"]: r for r in run["report"]}
    assert report["1"]["applied"].startswith("Not applied"), report
    fake.people = [dataclasses.replace(ADA, email="bob@acme.com", active=False), BOB]
    hr.sync()
    members = hr.state()["members"]
    assert members["ada@acme.com"][1] == "deactivated" and members["bob@acme.com"][1] == "active"


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_an_error_while_applying_never_leaves_the_run_running(hr, fake, db, portal, client):
    fake.people = [ADA, dataclasses.replace(ADA, first_name="Twice")]  # the same id twice: one is skipped
    hr.connect(products=["billing"])
    run = hr.sync()
    assert run["status"] == "done" and run["counts"]["invited"] == 1, run
    # The portal turns the connection's product off: the invitations cannot be made.
    r = client.patch(
        f"/api/v1/portals/{portal.slug}", json={"enabled_products": ["messaging"]}, headers=portal.headers()
    )
    assert r.status_code == 200, r.text
    fake.people = [ADA, BOB]
    run = hr.sync()
    assert run["status"] == "queued" and "could not be applied" in run["error"], run
    assert ("bob@acme.com", "pending") not in hr.state()["invitations"]  # nothing of it applied
    assert hr.connection()["status"] == "failing"


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_a_waiting_run_holds_auto_pilot_back_no_more(hr, fake, db, worker, portal):
    joined(db, portal, "ada@acme.com", "bob@acme.com")
    fake.people = [ADA, BOB]
    hr.connect(manage_existing=True, schedule="hourly")
    worker.drain()
    fake.people = []  # the system briefly answers an empty list: a mass deactivation waits
    from datetime import timedelta

    with db.context.clock.travel(timedelta(hours=1, minutes=1)):
        worker.drain()
    with db.unit_of_work() as s:
        assert [r.status for r in s.scalars(select(HrSyncRun).order_by(HrSyncRun.created_at))] == [
            "done",
            "waiting",
        ]
    fake.people = [ADA, BOB, Person(id="9", first_name="New", last_name="Hire", email="new@acme.com")]
    with db.context.clock.travel(timedelta(hours=2, minutes=2)):
        worker.drain()
    with db.unit_of_work() as s:
        statuses = [r.status for r in s.scalars(select(HrSyncRun).order_by(HrSyncRun.created_at))]
    assert statuses == ["done", "superseded", "done"], statuses
    assert ("new@acme.com", "pending") in hr.state()["invitations"]
    assert hr.state()["members"]["ada@acme.com"][1] == "active"


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_the_limit_counts_members_and_a_waiting_run_can_be_dismissed(hr, fake, db, portal):
    fake.people = [ADA, BOB]
    hr.connect(manage_existing=True)
    hr.sync()  # two invitations, no member but the owner
    fake.people = []
    run = hr.sync()  # revoking two invitations takes nobody's access: no confirmation
    assert run["status"] == "done" and run["counts"]["revoked"] == 2, run
    joined(db, portal, "cy@acme.com", "dee@acme.com")
    cy, dee = (
        Person(id=str(i), first_name=n, last_name="X", email=f"{n.lower()}@acme.com")
        for i, n in ((3, "Cy"), (4, "Dee"))
    )
    fake.people = [cy, dee]
    hr.sync()
    fake.people = []
    run = hr.sync()
    assert run["status"] == "waiting" and "deactivate 2 of 3 active members" in run["error"], run
    r = hr.client.post(f"{hr.base}/{hr.id}/runs/{run['id']}/dismiss", headers=portal.headers())
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    again = hr.client.post(f"{hr.base}/{hr.id}/runs/{run['id']}/confirm", headers=portal.headers())
    assert again.status_code == 409
    assert hr.state()["members"]["cy@acme.com"][1] == "active" and hr.connection()["status"] == "ok"


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_the_report_says_what_was_done_not_what_was_planned(hr, fake, db, portal):
    joined(db, portal, "ada@acme.com", "bob@acme.com")
    fake.people = [ADA, BOB]
    hr.connect(manage_existing=True, deactivate_limit_pct=100)
    hr.sync()
    fake.people = [dataclasses.replace(ADA, first_name="Augusta"), dataclasses.replace(BOB, active=False)]
    run = hr.sync(selection=["1"])  # Ada's rename only
    assert run["counts"]["updated"] == 1 and run["counts"]["deactivated"] == 0, run["counts"]
    assert run["counts"]["not_selected"] == 1
    report = {r["external_id"]: r["applied"] for r in run["report"]}
    assert report == {"1": "updated", "2": "not_selected"}
    assert hr.state()["members"]["bob@acme.com"][1] == "active"
    assert hr.preview()["counts"]["deactivate"] == 1  # still to do: it shows again


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_future_hires_wait_unless_ticked_and_the_page_sends_exclusions(hr, fake, db, portal, client):
    from tests.factories import OWNER_PASSWORD, csrf_of, sign_in_page

    eve = Person(id="5", first_name="Eve", last_name="Later", email="eve@acme.com", start_date=LATER)
    fay = Person(id="6", first_name="Fay", last_name="Later", email="fay@acme.com", start_date=LATER)
    fake.people = [ADA, BOB, eve, fay]
    conn = hr.connect()
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{portal.slug}/hr/{conn['id']}/preview")
    import re

    def ticked(xid: str) -> bool:
        box = re.search(rf'<input type="checkbox" name="selected" value="{xid}"[^>]*>', page.text)
        assert box, xid
        return "checked" in box.group(0)

    assert ticked("1") and ticked("2") and not ticked("5") and not ticked("6")
    # Select all kept, Bob unticked, Fay ticked: Ada and Fay are invited now, Bob and Eve not.
    client.post(
        f"/p/{portal.slug}/hr/{conn['id']}/sync",
        data={"csrf_token": csrf_of(page.text), "all": "on", "shown": ["1", "2"], "later": ["5", "6"],
              "selected": ["1", "6"], "user_type": "internal", "role": "member"},
    )  # fmt: skip
    hr.worker.drain()
    assert [a for a, _ in hr.state()["invitations"]] == ["ada@acme.com", "fay@acme.com"]


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_the_key_goes_only_where_it_was_given(hr, fake, portal):
    hr.connect()
    url = f"{hr.base}/{hr.id}"
    moved = hr.client.patch(
        url, json={"base_url": "https://elsewhere.example/list.json"}, headers=portal.headers()
    )
    assert moved.status_code == 422 and moved.json()["field"] == "api_key"
    ok = hr.client.patch(
        url, json={"base_url": "https://elsewhere.example/list.json", "api_key": "another-key-1234"},
        headers=portal.headers(),
    )  # fmt: skip
    assert ok.status_code == 200 and ok.json()["api_key"].endswith("1234")


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_an_owners_sign_in_email_is_not_the_hr_systems_to_change(hr, fake, db, portal):
    fake.people = [Person(id="1", first_name="Olive", last_name="Owner", email=portal.owner_email)]
    hr.connect(manage_existing=True)  # linked: even then, not the sign-in email
    hr.sync()
    fake.people = [Person(id="1", first_name="Olive", last_name="Owner", email="attacker@evil.example")]
    run = hr.sync()
    assert "Not applied" in run["report"][0]["applied"], run["report"]
    assert portal.owner_email in hr.state()["members"]


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_allowed_domains_match_as_invite_links_match(hr, fake, portal):
    fake.people = [
        Person(id="1", first_name="Jörg", last_name="B", email="jorg@bücher.de"),
        Person(id="2", first_name="Sub", last_name="D", email="sub@eu.bücher.de"),
    ]
    hr.connect(allowed_domains=["Bücher.de"])
    assert hr.connection()["allowed_domains"] == ["xn--bcher-kva.de"]
    rows = {r["external_id"]: r for r in hr.preview()["rows"]}
    assert rows["1"]["outcome"] == "invite"
    assert rows["2"]["reason"] == "outside_domains"  # subdomains only when listed


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_the_last_day_is_still_a_working_day(hr, fake, db, portal):
    joined(db, portal, "ada@acme.com")
    fake.people = [dataclasses.replace(ADA, end_date=TODAY)]
    hr.connect(deactivate_limit_pct=100)
    assert hr.preview()["counts"]["already_member"] == 1


@pytest.mark.parametrize("fake", ["hibob"], indirect=True)
def test_a_rehired_admin_whose_email_change_is_refused_is_not_deactivated_by_her_old_record(
    hr, fake, db, portal
):
    active_member(db, portal, "ada@acme.com", role="admin")
    fake.people = [ADA]
    hr.connect(deactivate_limit_pct=100)
    hr.sync()
    old = dataclasses.replace(ADA, id="900", active=False, end_date=TODAY.replace(year=TODAY.year - 1))
    fake.people = [dataclasses.replace(ADA, email="ada.l@acme.com"), old]
    run = hr.sync()
    assert run["counts"]["deactivated"] == 0, run
    assert hr.state()["members"]["ada@acme.com"][1] == "active"


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_an_id_listed_twice_counts_once_by_its_employed_record(hr, fake, db, portal):
    active_member(db, portal, "bob@acme.com")
    fake.people = [BOB, dataclasses.replace(BOB, email="old-bob@acme.com", active=False)]
    hr.connect(deactivate_limit_pct=100)
    rows = hr.preview()["rows"]
    kept = [r for r in rows if r["reason"] != "duplicate"]
    assert [(r["external_id"], r["email"], r["outcome"]) for r in kept] == [
        ("2", "bob@acme.com", "already_member")
    ]
    fake.people = [dataclasses.replace(BOB, email="old-bob@acme.com", active=False), BOB]  # either order
    kept = [r for r in hr.preview()["rows"] if r["reason"] != "duplicate"]
    assert [(r["email"], r["outcome"]) for r in kept] == [("bob@acme.com", "already_member")]


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_a_department_change_with_an_email_change_reaches_the_team(hr, fake, db, portal):
    active_member(db, portal, "ada@acme.com")
    fake.people = [dataclasses.replace(ADA, department="Sales")]
    hr.connect(manage_existing=True, map_departments=True, deactivate_limit_pct=100)
    hr.sync()
    fake.people = [dataclasses.replace(ADA, email="ada.l@acme.com", department="Engineering")]
    hr.sync()
    teams = hr.client.get(f"/api/v1/portals/{portal.slug}/teams", headers=portal.headers()).json()["items"]
    members = {t["name"]: [m["email"] for m in t["members"]] for t in teams}
    assert members == {"Sales": [], "Engineering": ["ada.l@acme.com"]}, members


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_someone_gone_from_the_list_and_not_selected_is_still_to_do(hr, fake, db, portal):
    active_member(db, portal, "ada@acme.com")
    active_member(db, portal, "bob@acme.com")
    fake.people = [ADA, BOB]
    hr.connect(manage_existing=True, deactivate_limit_pct=100)
    hr.sync()
    fake.people = [dataclasses.replace(ADA, first_name="Augusta")]  # Bob is gone from the list
    hr.sync(selection=["1"])  # the rename only
    assert hr.state()["members"]["bob@acme.com"][1] == "active"
    assert hr.preview()["counts"]["deactivate"] == 1  # still to do
    hr.sync()
    assert hr.state()["members"]["bob@acme.com"][1] == "deactivated"


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_a_worker_whose_claim_was_taken_over_applies_nothing(hr, fake, db, portal):
    from datetime import timedelta

    from admit.directory.hr import service as hr_service

    fake.people = [ADA]
    hr.connect()
    r = hr.client.post(f"{hr.base}/{hr.id}/sync", json={}, headers=portal.headers())
    assert r.status_code == 202
    with db.unit_of_work() as s:
        first = hr_service.claim_run(s)
        mine = first.attempts
    with db.context.clock.travel(timedelta(minutes=11)):  # its lease ran out while it read the list
        with db.unit_of_work() as s:
            assert hr_service.claim_run(s).attempts == mine + 1  # another worker has it now
        with db.unit_of_work() as s:
            assert hr_service.still_ours(s, first.id, mine) is None  # the first applies nothing
            assert hr_service.still_ours(s, first.id, mine + 1) is not None


@pytest.mark.parametrize("fake", ["generic"], indirect=True)
def test_leavers_ticked_in_the_preview_are_not_asked_about_again(hr, fake, db, portal, client):
    from tests.factories import OWNER_PASSWORD, csrf_of, sign_in_page

    joined(db, portal, "ada@acme.com", "bob@acme.com")
    fake.people = [ADA, BOB]
    conn = hr.connect(manage_existing=True)  # the limit: 10% of 3 active members
    hr.sync()
    fake.people = [
        dataclasses.replace(ADA, active=False),
        dataclasses.replace(BOB, first_name="Robert", active=True),
    ]
    sign_in_page(client, portal.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{portal.slug}/hr/{conn['id']}/preview")
    assert 'name="leaving" value="1"' in page.text
    client.post(
        f"/p/{portal.slug}/hr/{conn['id']}/sync",
        data={"csrf_token": csrf_of(page.text), "all": "on", "shown": ["1", "2"], "leaving": ["1"],
              "selected": ["1", "2"], "user_type": "internal", "role": "member"},
    )  # fmt: skip
    hr.worker.drain()
    with db.unit_of_work() as s:
        statuses = [r.status for r in s.scalars(select(HrSyncRun).order_by(HrSyncRun.created_at))]
    assert statuses == ["done", "done"], statuses
    assert hr.state()["members"]["ada@acme.com"][1] == "deactivated"


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_a_wrong_key_is_said_when_connecting_and_nothing_is_kept(hr, fake, portal, client):
    c = fake.credentials
    body = {
        "provider": "personio",
        "api_key": "wrong-secret-0000",
        "account": c.account,
        "base_url": c.base_url,
        "fields_granted": True,
    }
    r = client.post(hr.base, json=body, headers=portal.headers())
    assert r.status_code == 502 and r.json()["code"] == "hr_system_failed", r.text
    assert "Client secret" in r.json()["detail"]  # the system's own name for its key
    assert client.get(hr.base, headers=portal.headers()).json()["items"] == []
    unchecked = client.post(hr.base, json={**body, "check": False}, headers=portal.headers())
    assert unchecked.status_code == 201  # "check": false keeps it as given


def test_the_old_address_is_told_when_the_hr_system_changes_a_sign_in_email(hr, fake, db, portal, worker):
    """Sign-in links and resets go to the new address from then on: the account's old address
    gets a security notice naming the new one (whoever edits HR records cannot move an account
    away silently)."""
    from admit.notifications import mailbox

    active_member(db, portal, "ada@acme.com")
    fake.people = [ADA]
    hr.connect(manage_existing=True, deactivate_limit_pct=100)
    hr.sync()
    fake.people = [dataclasses.replace(ADA, email="ada.l@acme.com")]
    hr.sync()
    worker.drain()
    with db.unit_of_work() as session:
        [told] = [m for m in mailbox.messages(session, to="ada@acme.com") if "sign-in email" in m.subject]
        assert not [m for m in mailbox.messages(session, to="ada.l@acme.com") if "sign-in email" in m.subject]
    assert told.subject == "Your sign-in email was changed at Acme Inc"
    assert "changed the email address your account signs in with to ada.l@acme.com" in told.text
    assert "/forgot-password" not in told.text and "If it was you" not in told.text
