"""Actions for one person, with a description, due in the portal's time zone (issue 11 item 6),
on both databases: the person is told (before joining: when they join), marks it done, sees it
among their open actions; a due date is a day where the portal works, so Auckland's reminder
goes out while it is still the day before in UTC; bad input names its field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from admit.kit import clock
from admit.notifications.models import Notification
from admit.workspaces import roles
from tests.factories import accept_with_password, create_portal, last_link
from tests.workspaces.helpers import add, api, create_workspace, members, session_headers, user_id_of

CLEO = "cleo@client.example"


def a_flow_with_cleo_invited(client, pf):
    ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer"])
    r = add(client, pf, ws["id"], recipients=[CLEO], user_type="client")
    assert r.status_code in (200, 201), r.text
    return ws


def assigned_to(db, to: str) -> list[dict]:
    with db.unit_of_work() as session:
        return [
            n.context
            for n in session.scalars(
                select(Notification).where(
                    Notification.template == "action_assigned", Notification.to_address == to
                )
            )
        ]


def test_an_action_for_a_person_told_on_joining_done_by_them_and_listed_as_theirs(client, db, worker):
    pf = create_portal(db)
    ws = a_flow_with_cleo_invited(client, pf)
    worker.drain()
    cleo_id = next(
        m["user"]["id"] for m in members(client, pf, ws["id"])["items"] if m["user"]["email"] == CLEO
    )
    url = api(pf, f"/workspaces/{ws['id']}/actions")
    role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
    both = client.post(
        url, json={"title": "X", "role_id": role["id"], "assignee_id": cleo_id}, headers=pf.headers()
    )
    assert both.status_code == 422 and both.json()["field"] == "assignee_id"
    stranger = client.post(
        url, json={"title": "X", "assignee_id": "00000000-0000-0000-0000-000000000001"}, headers=pf.headers()
    )
    assert stranger.status_code == 422 and stranger.json()["field"] == "assignee_id"
    r = client.post(
        url,
        json={"title": "Upload your ID", "description": "A passport or an ID card,\nboth sides.",
              "assignee_id": cleo_id},
        headers=pf.headers(),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    action = r.json()
    assert action["assignee_id"] == cleo_id and action["role_id"] is None
    assert action["description"] == "A passport or an ID card,\nboth sides."
    assert assigned_to(db, CLEO) == []  # not joined yet
    with db.unit_of_work() as session:
        accept_with_password(session, last_link(db, CLEO), name="Cleo")
    told = assigned_to(db, CLEO)
    assert len(told) == 1 and told[0]["role_name"] == "" and told[0]["description"].startswith("A passport")
    worker.drain()
    with db.unit_of_work() as session:
        from admit.notifications import mailbox

        text = mailbox.messages(session, to=CLEO, limit=1)[0].text
    assert "assigned you an action" in text and ", as " not in text and "both sides." in text

    cleo = session_headers(client, CLEO)
    home = client.get(f"/p/{pf.slug}")
    assert "Upload your ID" in home.text
    done = client.post(api(pf, f"/workspaces/{ws['id']}/actions/{action['id']}/complete"), headers=cleo)
    assert done.status_code == 200 and done.json()["done_at"], done.text


def test_due_in_the_portals_time_zone(client, db, worker):
    pf = create_portal(db)
    r = client.patch(api(pf, "/settings"), json={"time_zone": "Mars/Olympus_Mons"}, headers=pf.headers())
    assert r.status_code == 422 and r.json()["field"] == "time_zone"
    r = client.patch(api(pf, "/settings"), json={"time_zone": "Pacific/Auckland"}, headers=pf.headers())
    assert r.status_code == 200 and r.json()["time_zone"] == "Pacific/Auckland", r.text
    other = create_portal(db, name="Utc Co", owner_email="owner@utc.example")  # stays UTC
    due = (clock.now() + timedelta(days=3)).date()
    for p in (pf, other):
        ws = create_workspace(client, p, "Loan", kind="flow")
        member = f"mia@{p.slug}.example"
        from tests.factories import member_joins

        member_joins(db, worker, p, member)
        add(client, p, ws["id"], recipients=[member])
        r = client.post(
            api(p, f"/workspaces/{ws['id']}/actions"),
            json={
                "title": "File it",
                "assignee_id": user_id_of(client, p, member),
                "due_on": due.isoformat(),
            },
            headers=p.headers(),
        )
        assert r.status_code == 201, r.text
    # Noon UTC the day before: it is already the due date (01:00 or so) in Auckland.
    target = datetime(due.year, due.month, due.day, 12, tzinfo=UTC) - timedelta(days=1)
    with clock.travel(target - clock.now()), db.unit_of_work() as session:
        assert roles.remind_due_actions(session) == 1
    with db.unit_of_work() as session:
        sent_to = list(
            session.scalars(select(Notification.to_address).where(Notification.template == "action_due"))
        )
    assert sent_to == [f"mia@{pf.slug}.example"]
    with clock.travel(target + timedelta(hours=13) - clock.now()), db.unit_of_work() as session:
        assert roles.remind_due_actions(session) == 1  # the UTC portal's day has come too


def test_open_actions_only_and_a_removed_assignee_leaves_the_action_for_no_one(client, db, worker):
    from tests.factories import member_joins

    pf = create_portal(db)
    ws = create_workspace(client, pf, "Loan", kind="flow")
    member_joins(db, worker, pf, "mia@acme.com")
    add(client, pf, ws["id"], recipients=["mia@acme.com", "nameless@client.example"], user_type="internal")
    mia = user_id_of(client, pf, "mia@acme.com")
    url = api(pf, f"/workspaces/{ws['id']}/actions")
    done_one = client.post(
        url, json={"title": "Done already", "assignee_id": mia}, headers=pf.headers()
    ).json()
    still = client.post(
        url, json={"title": "Still open", "assignee_id": mia, "due_on": clock.now().date().isoformat()},
        headers=pf.headers(),
    ).json()  # fmt: skip
    headers = session_headers(client, "mia@acme.com")
    client.post(api(pf, f"/workspaces/{ws['id']}/actions/{done_one['id']}/complete"), headers=headers)
    import uuid

    with db.unit_of_work() as session:  # what a person's home lists as their open actions
        mine = roles.actions_for(session, uuid.UUID(mia), [uuid.UUID(ws["id"])])
        assert [a.title for a, _role in mine] == ["Still open"]
    # The page offers everyone in the workspace, a person without a name by their address.
    from tests.factories import OWNER_PASSWORD

    session_headers(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
    assert ">nameless@client.example</option>" in page.text
    # Mia is taken out: her open action is for no one, and no reminder is used up on nobody.
    r = client.delete(api(pf, f"/workspaces/{ws['id']}/members/{mia}"), headers=pf.headers())
    assert r.status_code in (200, 204), r.text
    got = {a["title"]: a["assignee_id"] for a in client.get(url, headers=pf.headers()).json()["items"]}
    assert got == {"Done already": mia, "Still open": None} and still["title"] == "Still open"
    with db.unit_of_work() as session:
        assert roles.remind_due_actions(session) == 0


def test_a_refused_action_keeps_what_was_typed_and_says_which_day_it_is_where(client, db):
    from tests.factories import OWNER_PASSWORD, csrf_of, sign_in_page

    pf = create_portal(db)
    client.patch(api(pf, "/settings"), json={"time_zone": "Pacific/Auckland"}, headers=pf.headers())
    ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Reviewer"])
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
    role = re.search(r'<option value="(role:[^"]+)">Reviewer</option>', page.text).group(1)
    back = client.post(
        f"/p/{pf.slug}/workspaces/{ws['id']}/actions",
        data={"csrf_token": csrf_of(page.text), "title": "Check the ledger", "description": "Both years.",
              "assignee": role, "due_on": "2001-01-01"},
        follow_redirects=True,
    )  # fmt: skip
    assert "The due date is in the past: it is" in back.text
    assert re.search(r", Auckland time \(NZ[DS]T\)\.", back.text)  # the zone as people read it
    assert 'value="Check the ledger"' in back.text and ">Both years.</textarea>" in back.text
    assert f'value="{role}" selected' in back.text and 'value="2001-01-01"' in back.text
