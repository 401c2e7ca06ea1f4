"""A sync changes and deactivates only the people its connection manages: those it brought in
(invited, added quietly) or linked when it found them in the portal because the admin asked it
to. Erin, who joined through an ordinary invitation, is "already a member" to the sync and stays
as she is when she leaves the HR list or the list renames her: the preview says why, in words."""

from __future__ import annotations

import dataclasses

import pytest

from tests.directory.hr.conftest import TODAY
from tests.directory.hr.fakes import Person
from tests.factories import invite, member_joins

ADA = Person(id="1", first_name="Ada", last_name="Lovelace", email="ada@acme.com")
ERIN = Person(id="9", first_name="Erin", last_name="Early", email="erin@acme.com")
IVY = Person(id="10", first_name="Ivy", last_name="Invited", email="ivy@acme.com")


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_a_sync_never_deactivates_someone_who_joined_another_way(hr, fake, db, worker, portal):
    member_joins(db, worker, portal, "erin@acme.com")
    invite(db, portal, ["ivy@acme.com"])
    fake.people = [ADA, ERIN, IVY]
    hr.connect(deactivate_limit_pct=100)
    rows = {r["external_id"]: r for r in hr.preview()["rows"]}
    assert rows["9"]["outcome"] == "already_member" and rows["9"]["managed"] is False
    assert rows["9"]["detail"] == (
        "Joined another way, not linked to Personio: a sync will not change them, nor deactivate them "
        "when they leave it."
    )
    assert rows["1"]["managed"] is True
    assert rows["10"]["detail"].startswith("Invited another way, not linked to Personio")
    assert hr.sync()["status"] == "done"

    # Erin is gone from the list, Ada (whom the sync invited) too.
    fake.people = []
    plan = hr.preview()
    rows = {r["external_id"]: r for r in plan["rows"]}
    assert plan["counts"]["deactivate"] == 1 and rows["1"]["outcome"] == "deactivate"
    assert (rows["9"]["outcome"], rows["9"]["reason"]) == ("skip", "not_managed")
    assert rows["9"]["detail"] == (
        "No longer listed in Personio, but they joined another way, not through Personio: a sync "
        "leaves them as they are (deactivate them in User Management if they should go)."
    )
    assert rows["10"]["detail"].startswith("No longer listed in Personio, but they were invited another way")
    run = hr.sync()
    assert run["status"] == "done", run
    state = hr.state()
    assert state["members"]["erin@acme.com"][1] == "active"
    assert ("ivy@acme.com", "pending") in state["invitations"]
    assert ("ada@acme.com", "revoked") in state["invitations"]

    # Listed again, then marked as left: still hers to keep.
    fake.people = [ERIN]
    hr.sync()
    fake.people = [dataclasses.replace(ERIN, active=False, end_date=TODAY)]
    rows = {r["external_id"]: r for r in hr.preview()["rows"]}
    assert rows["9"]["reason"] == "not_managed", rows["9"]
    hr.sync()
    assert hr.state()["members"]["erin@acme.com"][1] == "active"


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_the_admin_may_link_people_already_in_the_portal(hr, fake, db, worker, portal):
    member_joins(db, worker, portal, "erin@acme.com")
    fake.people = [ERIN]
    hr.connect(deactivate_limit_pct=100, manage_existing=True)
    assert hr.connection()["manage_existing"] is True
    row = hr.preview()["rows"][0]
    assert row["managed"] is True and "this sync links them to Personio" in row["detail"]
    hr.sync()
    fake.people = []
    assert hr.preview()["rows"][0]["outcome"] == "deactivate"
    hr.sync()
    assert hr.state()["members"]["erin@acme.com"][1] == "deactivated"


@pytest.mark.parametrize("fake", ["personio"], indirect=True)
def test_a_sync_never_changes_someone_it_does_not_manage(hr, fake, db, worker, portal):
    """Erin joined another way and Ivy was invited another way; the HR list renames and
    re-emails them both and moves Erin to another department. The sync that does not manage
    them changes nothing of theirs (no new name, no new address, no revoked invitation, no
    team): their rows are skips saying so. Linked, the same changes are applied."""
    member_joins(db, worker, portal, "erin@acme.com")
    invite(db, portal, ["ivy@acme.com"])
    fake.people = [dataclasses.replace(ERIN, department="Sales"), IVY]
    hr.connect(deactivate_limit_pct=100, map_departments=True)
    hr.sync()
    before = hr.state()
    assert before["members"]["erin@acme.com"][1] == "active"

    fake.people = [
        dataclasses.replace(ERIN, first_name="Erina", email="erina@acme.com", department="Engineering"),
        dataclasses.replace(IVY, last_name="Ingram", email="ivy.i@acme.com"),
    ]
    plan = hr.preview()
    rows = {r["external_id"]: r for r in plan["rows"]}
    assert plan["counts"]["update"] == 0 and plan["counts"]["invite"] == 0, plan["counts"]
    assert (rows["9"]["outcome"], rows["9"]["reason"], rows["9"]["managed"]) == ("skip", "not_managed", False)
    assert rows["9"]["email"] == "erina@acme.com"  # the list's: the portal keeps erin@acme.com
    assert rows["9"]["detail"] == (
        "Changed in Personio (name: Erin Early → Erina Early; email: erin@acme.com → erina@acme.com; "
        "department: Sales → Engineering), but they joined another way, not through Personio: a sync "
        "leaves them as they are (change them in User Management if need be)."
    )
    assert rows["10"]["reason"] == "not_managed"
    assert rows["10"]["detail"].startswith("Changed in Personio (name: Ivy Invited → Ivy Ingram; email: ")
    assert "but they were invited another way" in rows["10"]["detail"]
    run = hr.sync()
    assert run["status"] == "done", run
    assert run["counts"]["updated"] == run["counts"]["reinvited"] == 0, run["counts"]
    after = hr.state()
    assert after["members"] == before["members"]
    assert after["invitations"] == before["invitations"]
    teams = hr.client.get(f"/api/v1/portals/{portal.slug}/teams", headers=portal.headers()).json()["items"]
    assert {t["name"]: [m["email"] for m in t.get("members", [])] for t in teams} == {}
    assert [r["external_id"] for r in run["report"] if r["reason"] == "not_managed"] == ["9", "10"]

    # Once linked (Settings: Link people already in the portal), the sync applies them.
    r = hr.client.patch(f"{hr.base}/{hr.id}", json={"manage_existing": True}, headers=portal.headers())
    assert r.status_code == 200, r.text
    rows = {r["external_id"]: r for r in hr.preview()["rows"]}
    assert rows["9"]["outcome"] == "update" and rows["9"]["managed"] is True, rows["9"]
    hr.sync()
    state = hr.state()
    assert state["members"]["erina@acme.com"] == ("Erina Early", "active"), state["members"]
    assert ("ivy.i@acme.com", "pending") in state["invitations"]
