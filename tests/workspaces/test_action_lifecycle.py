"""Actions (issue 11 item 6), on both databases: an action assigned to a role before its holder
joined is announced when they join; the assignee (a client) marks it done, which shows in the
panel and stops its reminders; a reminder goes out on the due date and an overdue one the day
after, each once however many workers run at once (two, racing, with a moving clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select

from admit.kit import clock
from admit.kit.text import day_text
from admit.notifications.models import DevMessage, Notification
from admit.workspaces import roles
from admit.workspaces.models import WorkspaceMessage
from tests.factories import OWNER_PASSWORD, accept_with_password, create_portal, last_link, race
from tests.workspaces.helpers import api, create_workspace, session_headers

ANN = "ann@client.example"


def sent(db, template: str, to: str = ANN) -> int:
    with db.unit_of_work() as session:
        return session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.template == template, Notification.to_address == to)
        )


def flow_with_an_action_for_ann(
    client,
    db,
    worker,
    pf,
    *,
    due_in_days: int = 0,
    who: str = ANN,
    flow: str = "Loan",
    title: str = "Sign the letter",
) -> tuple[dict, str]:
    """A flow ``flow`` whose one role is given to ``who`` (invited as a client) and an action
    ``title`` of that role due in ``due_in_days``."""
    ws = create_workspace(client, pf, flow, kind="flow", roles=["Client signer"])
    role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign"),
        json={"recipient": who, "user_type": "client"},
        headers=pf.headers(),
    )
    assert r.status_code == 200, r.text
    due = (clock.now() + timedelta(days=due_in_days)).date().isoformat()
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/actions"),
        json={"title": title, "role_id": role["id"], "due_on": due},
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
        accept_with_password(session, last_link(db, ANN), name="Ann Lee")
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
        accept_with_password(session, last_link(db, ANN), name="Ann Lee")

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
        accept_with_password(session, last_link(db, ANN), name="Ann Lee")
    worker.drain()
    with db.unit_of_work() as session:
        text = session.scalar(
            select(DevMessage.text).where(DevMessage.to_address == ANN, DevMessage.subject.contains("action"))
        )
    assert f"Due 4 {due:%B %Y}" in text, text


def remind(db) -> int:
    with db.unit_of_work() as session:
        return roles.remind_due_actions(session)


def due_mail(db, worker) -> list[tuple[str, str]]:
    """Delivers what is due now, then Ann's due and overdue emails, oldest first: (subject, text)."""
    worker.drain()
    with db.unit_of_work() as session:
        rows = session.execute(
            select(DevMessage.subject, DevMessage.text)
            .where(
                DevMessage.to_address == ANN,
                or_(DevMessage.subject.startswith("Due today"), DevMessage.subject.startswith("Overdue")),
            )
            .order_by(DevMessage.sent_at)
        ).all()
    return [(subject, text) for subject, text in rows]


def statuses(db, template: str) -> list[str]:
    with db.unit_of_work() as session:
        return list(
            session.scalars(
                select(Notification.status).where(
                    Notification.template == template, Notification.to_address == ANN
                )
            )
        )


def joined_with_an_action_due(client, db, worker, pf, *, due_in_days: int) -> tuple[dict, str]:
    """Ann joins with an action due tomorrow (told of it then), whose date then moves to
    ``due_in_days`` from now: its reminders are the new date's."""
    ws, action_id = flow_with_an_action_for_ann(client, db, worker, pf, due_in_days=1)
    worker.drain()
    with db.unit_of_work() as session:
        accept_with_password(session, last_link(db, ANN), name="Ann Lee")
    url = api(pf, f"/workspaces/{ws['id']}/actions/{action_id}")
    due = (clock.now() + timedelta(days=due_in_days)).date().isoformat()
    assert client.patch(url, json={"due_on": due}, headers=pf.headers()).status_code == 200
    return ws, url


def test_told_of_an_action_on_its_due_date_the_email_is_its_reminder(client, db, worker):
    """The tester: Ann joined on the day her action was due and got two emails the same minute,
    "New action … Due 6 December 2026" and "Due today". The first now says "Due today, …" and
    is the day's reminder; the overdue one still goes the day after. Told of it after its date
    (she joined late), the email says it is overdue, and no overdue reminder follows at once."""
    pf = create_portal(db)
    flow_with_an_action_for_ann(client, db, worker, pf, due_in_days=0)
    worker.drain()
    with db.unit_of_work() as session:
        accept_with_password(session, last_link(db, ANN), name="Ann Lee")
    assert remind(db) == 0
    worker.drain()
    with db.unit_of_work() as session:
        (text,) = session.scalars(
            select(DevMessage.text).where(DevMessage.to_address == ANN, DevMessage.subject.contains("action"))
        )
    assert f"Due today, {day_text(clock.now().date())}" in text, text
    assert due_mail(db, worker) == []
    with clock.travel(timedelta(days=1)):
        assert remind(db) == 1  # overdue, the day after
        assert [s for s, _ in due_mail(db, worker)] == ["Overdue in “Loan”: Sign the letter"]

    late = "leo@client.example"
    due = clock.now().date() + timedelta(days=1)
    flow_with_an_action_for_ann(
        client, db, worker, pf, due_in_days=1, who=late, flow="Lease", title="Sign the lease"
    )
    worker.drain()
    with clock.travel(timedelta(days=3)):
        with db.unit_of_work() as session:
            accept_with_password(session, last_link(db, late), name="Leo")
        assert remind(db) == 0
        worker.drain()
        with db.unit_of_work() as session:
            subjects_and_texts = session.execute(
                select(DevMessage.subject, DevMessage.text).where(DevMessage.to_address == late)
            ).all()
    told = [t for s, t in subjects_and_texts if "Sign the lease" in s or "Sign the lease" in t]
    assert len(told) == 1 and f"Due {day_text(due)} (overdue)" in told[0], subjects_and_texts


def test_a_moved_due_date_is_reminded_again_on_the_new_date_once(client, db, worker):
    """The due date moved after its reminder went out: the assignee is reminded on the new date
    and the day after (each once), not the day after the old one; a date moved into the past is
    refused and sends nothing."""
    pf = create_portal(db)
    _ws, url = joined_with_an_action_due(client, db, worker, pf, due_in_days=0)
    assert remind(db) == 1  # due today
    assert [s for s, _ in due_mail(db, worker)] == ["Due today in “Loan”: Sign the letter"]
    new = (clock.now() + timedelta(days=2)).date()
    r = client.patch(url, json={"due_on": new.isoformat()}, headers=pf.headers())
    assert r.status_code == 200 and r.json()["due_on"] == new.isoformat(), r.text
    with clock.travel(timedelta(days=1)):
        assert remind(db) == 0  # the old date's overdue reminder: its date moved away
    with clock.travel(timedelta(days=2)):
        assert remind(db) == 1 and remind(db) == 0  # due on the new date, once
        assert len(due_mail(db, worker)) == 2
    with clock.travel(timedelta(days=3)):
        assert remind(db) == 1 and remind(db) == 0  # overdue, once
        mail = due_mail(db, worker)
        past = (clock.now() - timedelta(days=5)).date().isoformat()
        refused = client.patch(url, json={"due_on": past}, headers=pf.headers())
        assert refused.status_code == 422, refused.text
        assert remind(db) == 0
    assert [s for s, _ in mail] == [
        "Due today in “Loan”: Sign the letter",
        "Due today in “Loan”: Sign the letter",
        "Overdue in “Loan”: Sign the letter",
    ]
    assert "Sign the letter" in mail[1][1] and "is due today:" in mail[1][1], mail[1][1]
    assert f"was due {day_text(new)} and is still open:" in mail[2][1], mail[2][1]


def test_reopened_after_its_date_moved_reminded_on_the_new_date_never_while_done(client, db, worker):
    """Reopened with its (moved) due date not past, an action is reminded on that date again;
    while done it is not, and a reminder queued when it was marked done never goes; reopened
    once the date has passed, nothing new is sent."""
    pf = create_portal(db)
    _ws, url = joined_with_an_action_due(client, db, worker, pf, due_in_days=0)
    assert remind(db) == 1  # queued, not delivered yet
    ann = session_headers(client, ANN)
    assert client.post(f"{url}/complete", headers=ann).json()["done_at"]
    assert statuses(db, "action_due") == ["cancelled"]  # done: the queued reminder does not go
    new = (clock.now() + timedelta(days=2)).date().isoformat()
    r = client.patch(url, json={"due_on": new}, headers=pf.headers())  # moved while done
    assert r.status_code == 200, r.text
    with clock.travel(timedelta(days=2)):
        assert remind(db) == 0  # done: never
        ann = session_headers(client, ANN)
        r = client.post(f"{url}/reopen", headers=ann)
        assert r.status_code == 200 and r.json()["done_at"] is None, r.text
        assert remind(db) == 1 and remind(db) == 0
        assert [s for s, _ in due_mail(db, worker)] == ["Due today in “Loan”: Sign the letter"]
    with clock.travel(timedelta(days=3)):
        assert remind(db) == 1
        assert len(due_mail(db, worker)) == 2
    with clock.travel(timedelta(days=5)):
        ann = session_headers(client, ANN)
        assert client.post(f"{url}/complete", headers=ann).json()["done_at"]
        assert client.post(f"{url}/reopen", headers=ann).json()["done_at"] is None
        assert remind(db) == 0  # its date has passed and was reminded: nothing new
        assert len(due_mail(db, worker)) == 2


def test_deleting_an_action_cancels_its_queued_messages(client, db, worker):
    """What was queued for an action and not delivered yet (its assignment, its reminder) never
    goes once it is deleted."""
    pf = create_portal(db)
    _ws, url = joined_with_an_action_due(client, db, worker, pf, due_in_days=0)
    assert remind(db) == 1
    assert statuses(db, "action_assigned") == statuses(db, "action_due") == ["queued"]
    r = client.delete(url, headers=pf.headers())
    assert r.status_code == 204, r.text
    assert statuses(db, "action_assigned") == statuses(db, "action_due") == ["cancelled"]
    worker.drain()
    with db.unit_of_work() as session:
        subjects = list(session.scalars(select(DevMessage.subject).where(DevMessage.to_address == ANN)))
    assert not [s for s in subjects if "Sign the letter" in s], subjects
