"""Actions (issue 11 item 6), on both databases: an action assigned to a role before its holder
joined is announced when they join; the assignee (a client) marks it done, which shows in the
panel and stops its reminders; a reminder goes out on the due date and an overdue one the day
after, each once however many workers run at once (two, racing, with a moving clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from admit.flows import join
from admit.kit import clock
from admit.notifications.models import DevMessage, Notification
from admit.workspaces import roles
from admit.workspaces.models import WorkspaceMessage
from tests.factories import OWNER_PASSWORD, PASSWORD, create_portal, last_link, race
from tests.workspaces.helpers import api, create_workspace, session_headers

ANN = "ann@client.example"


def sent(db, template: str, to: str = ANN) -> int:
    with db.unit_of_work() as session:
        return session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.template == template, Notification.to_address == to)
        )


def flow_with_an_action_for_ann(client, db, worker, pf, *, due_in_days: int = 0) -> tuple[dict, str]:
    ws = create_workspace(client, pf, "Loan", kind="flow", roles=["Client signer"])
    role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign"),
        json={"recipient": ANN, "user_type": "client"},
        headers=pf.headers(),
    )
    assert r.status_code == 200, r.text
    due = (clock.now() + timedelta(days=due_in_days)).date().isoformat()
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/actions"),
        json={"title": "Sign the letter", "role_id": role["id"], "due_on": due},
        headers=pf.headers(),
    )
    assert r.status_code == 201, r.text
    return ws, r.json()["id"]


def test_announced_on_joining_done_by_the_client_shown_in_the_panel(client, db, worker):
    pf = create_portal(db)
    ws, action_id = flow_with_an_action_for_ann(client, db, worker, pf, due_in_days=3)
    worker.drain()
    assert sent(db, "action_assigned") == 0  # not joined yet: nobody to tell
    with db.unit_of_work() as session:
        join.accept(session, token=last_link(db, ANN), name="Ann Lee", password=PASSWORD)
    assert sent(db, "action_assigned") == 1  # told on joining

    done_url = api(pf, f"/workspaces/{ws['id']}/actions/{action_id}/complete")
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    ann = session_headers(client, ANN)
    r = client.post(done_url, headers=ann)
    assert r.status_code == 200 and r.json()["done_at"], r.text
    again = client.post(done_url, headers=ann)
    assert again.json()["done_at"] == r.json()["done_at"]  # done once
    with db.unit_of_work() as session:
        texts = list(session.scalars(select(WorkspaceMessage.text)))
    assert texts == ["✓ Marked “Sign the letter” done."]
    with clock.travel(timedelta(days=5)), db.unit_of_work() as session:
        assert roles.remind_due_actions(session) == 0  # done: no reminders
    assert owner


def test_due_and_overdue_reminders_go_out_once_across_workers(client, db, worker):
    pf = create_portal(db)
    flow_with_an_action_for_ann(client, db, worker, pf, due_in_days=1)
    worker.drain()
    with db.unit_of_work() as session:
        join.accept(session, token=last_link(db, ANN), name="Ann Lee", password=PASSWORD)

    def remind(_i):
        with db.unit_of_work() as session:
            return roles.remind_due_actions(session)

    with db.unit_of_work() as session:
        assert roles.remind_due_actions(session) == 0  # due tomorrow: nothing yet
    with clock.travel(timedelta(days=1)):
        assert sorted(race(2, remind)) == [0, 1]
        assert remind(0) == 0
    assert (sent(db, "action_due")) == 1
    with clock.travel(timedelta(days=2)):
        assert sorted(race(2, remind)) == [0, 1]  # overdue, once
    assert sent(db, "action_due") == 2
    with db.unit_of_work() as session:
        contexts = [
            n.context["overdue"]
            for n in session.scalars(
                select(Notification)
                .where(Notification.template == "action_due")
                .order_by(Notification.created_at)
            )
        ]
    assert contexts == [False, True]


def test_the_due_day_is_written_without_a_leading_zero(client, db, worker):
    """The new-user tester: an action's email says "Due 4 January 2027", never "Due 04 …"."""
    now = clock.now()
    month, year = (now.month % 12) + 1, now.year + (now.month == 12)
    due = datetime(year, month, 4, tzinfo=UTC).date()
    pf = create_portal(db)
    flow_with_an_action_for_ann(client, db, worker, pf, due_in_days=(due - now.date()).days)
    worker.drain()
    with db.unit_of_work() as session:
        join.accept(session, token=last_link(db, ANN), name="Ann Lee", password=PASSWORD)
    worker.drain()
    with db.unit_of_work() as session:
        text = session.scalar(
            select(DevMessage.text).where(DevMessage.to_address == ANN, DevMessage.subject.contains("action"))
        )
    assert f"Due 4 {due:%B %Y}" in text, text
