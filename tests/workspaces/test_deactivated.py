"""Someone whose access to the portal was ended (deactivated) stays listed in the workspaces they
were in, marked Deactivated, and is never given work or told anything there until reactivated:
not assigned a role or an action, not emailed about an action of a role they held, not told of a
mention, not offered to be picked (both databases). Found by a new-user tester."""

from __future__ import annotations

import re

from sqlalchemy import select

from admit.notifications.models import Notification
from tests.factories import OWNER_PASSWORD
from tests.workspaces.helpers import add, api, create_workspace, joined, members, session_headers

BOB = "bob@acme.com"


def _told(db, to: str, template: str) -> int:
    with db.unit_of_work() as session:
        return len(
            session.scalars(
                select(Notification).where(Notification.to_address == to, Notification.template == template)
            ).all()
        )


def _member_id(client, pf, email: str) -> str:
    items = client.get(api(pf, "/members"), headers=pf.headers()).json()["items"]
    return next(m["id"] for m in items if m["user"]["email"] == email)


def test_a_deactivated_member_is_listed_but_given_no_work_and_told_nothing(client, db, worker):
    from tests.factories import create_portal

    pf = create_portal(db)
    bob = joined(db, worker, client, pf, BOB, role="member")
    ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer"])
    assert add(client, pf, ws["id"], user_ids=[bob.user_id], user_type="internal").status_code in (200, 201)
    role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
    assign_url = api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign")
    r = client.post(assign_url, json={"user_id": bob.user_id}, headers=pf.headers())
    assert r.status_code == 200, r.text  # while active: his role

    r = client.post(api(pf, f"/members/{_member_id(client, pf, BOB)}/deactivate"), headers=pf.headers())
    assert r.status_code == 200, r.text
    [listed] = [m for m in members(client, pf, ws["id"])["items"] if m["user"]["email"] == BOB]
    assert (listed["status"], listed["access_ended"], listed["roles"]) == ("joined", True, ["Reviewer"])
    # A client of the workspace is not told whose access was ended.
    cleo = joined(db, worker, client, pf, "cleo@client.example", user_type="client")
    assert add(client, pf, ws["id"], user_ids=[cleo.user_id], user_type="client").status_code in (200, 201)
    as_cleo = session_headers(client, "cleo@client.example")
    seen = members(client, pf, ws["id"], headers=as_cleo)["items"]
    assert [m["access_ended"] for m in seen] == [False] * len(seen)
    client.cookies.clear()

    refused = client.post(assign_url, json={"user_id": bob.user_id}, headers=pf.headers())
    assert (refused.status_code, refused.json()["field"]) == (422, "user_id"), refused.text
    assert "access to Acme Inc was ended" in refused.json()["detail"]
    actions = api(pf, f"/workspaces/{ws['id']}/actions")
    refused = client.post(actions, json={"title": "Sign", "assignee_id": bob.user_id}, headers=pf.headers())
    assert (refused.status_code, refused.json()["field"]) == (422, "assignee_id"), refused.text
    # An action for the role he still holds is added, and he is not emailed about it.
    r = client.post(
        actions, json={"title": "Review the contract", "role_id": role["id"]}, headers=pf.headers()
    )
    assert r.status_code == 201, r.text
    assert _told(db, BOB, "action_assigned") == 0
    # Nor told of a mention; nor offered to be mentioned.
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/messages"), json={"text": "@bob see this"}, headers=owner
    )
    assert r.status_code == 201, r.text
    assert _told(db, BOB, "mention") == 0

    # The page: Deactivated, not offered in the role's or the action's pickers.
    page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text
    row = re.search(rf'<tr data-address="{BOB}">(.*?)</tr>', page, re.S)
    assert row and ">Deactivated</span>" in row.group(1) and ">Joined<" not in row.group(1)
    assert f'<option value="{bob.user_id}"' not in page and f'value="user:{bob.user_id}"' not in page

    # Reactivated: work may go to him again, and he hears of it.
    client.cookies.clear()
    r = client.post(api(pf, f"/members/{_member_id(client, pf, BOB)}/reactivate"), headers=pf.headers())
    assert r.status_code == 200, r.text
    r = client.post(actions, json={"title": "Sign it", "assignee_id": bob.user_id}, headers=pf.headers())
    assert r.status_code == 201, r.text
    assert _told(db, BOB, "action_assigned") == 1


def test_a_due_reminder_waits_while_they_are_deactivated(client, db, worker):
    """An action due today for someone deactivated is not reminded (nor used up): once they are
    reactivated, the reminder goes out."""
    from datetime import UTC, datetime, time, timedelta

    from admit.kit import clock
    from admit.workspaces import roles
    from tests.factories import create_portal

    pf = create_portal(db)
    bob = joined(db, worker, client, pf, BOB, role="member")
    ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer"])
    assert add(client, pf, ws["id"], user_ids=[bob.user_id], user_type="internal").status_code in (200, 201)
    tomorrow = (clock.now() + timedelta(days=1)).date()
    # Noon on its due date, whatever the time now: the day after would also be overdue.
    due_day = datetime.combine(tomorrow, time(12), UTC) - clock.now()
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/actions"),
        json={"title": "Sign", "assignee_id": bob.user_id, "due_on": tomorrow.isoformat()},
        headers=pf.headers(),
    )
    assert r.status_code == 201, r.text
    member_id = _member_id(client, pf, BOB)
    assert client.post(api(pf, f"/members/{member_id}/deactivate"), headers=pf.headers()).status_code == 200
    with clock.travel(due_day):
        with db.unit_of_work() as session:
            assert roles.remind_due_actions(session) == 0
        assert _told(db, BOB, "action_due") == 0
        assert (
            client.post(api(pf, f"/members/{member_id}/reactivate"), headers=pf.headers()).status_code == 200
        )
        with db.unit_of_work() as session:
            assert roles.remind_due_actions(session) == 1
        assert _told(db, BOB, "action_due") == 1


def test_a_teams_row_counts_a_deactivated_member_apart(client, db, worker):
    """The tester: with Bob deactivated, his row said Deactivated while his team's row still
    said "2 joined" and Joined. The row counts him apart: "1 joined, 1 deactivated"."""
    from tests.factories import create_portal

    pf = create_portal(db)
    bob = joined(db, worker, client, pf, BOB, role="member")
    ivy = joined(db, worker, client, pf, "ivy@acme.com", role="member")
    team = client.post(
        api(pf, "/teams"),
        json={"name": "Design", "user_ids": [bob.user_id, ivy.user_id]},
        headers=pf.headers(),
    ).json()["team"]
    ws = create_workspace(client, pf, "Loan")
    assert add(client, pf, ws["id"], team_ids=[team["id"]]).status_code in (200, 201)
    r = client.post(api(pf, f"/members/{_member_id(client, pf, BOB)}/deactivate"), headers=pf.headers())
    assert r.status_code == 200, r.text
    (row,) = members(client, pf, ws["id"])["teams"]
    assert (row["joined"], row["not_joined"], row["deactivated"], row["status"]) == (1, 0, 1, "joined"), row
    session_headers(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text
    assert "1 joined, 1 deactivated" in page, page
