"""Activity digests (issue 11 item 7), both databases, with a moving clock: a member who has not
seen a workspace's new messages gets one summary, at most once an hour per workspace, counting
only what came since their last read or summary; someone who read them gets none; the author
none for their own; two workers at once write one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from admit.jobs import Worker
from admit.kit import clock
from admit.notifications import mailbox
from admit.notifications.models import Notification
from admit.workspaces import messages as workspace_messages
from tests.factories import OWNER_PASSWORD, create_portal, race
from tests.workspaces.helpers import add, api, create_workspace, session_headers, user_id_of
from tests.workspaces.test_messages import joins_as


def digests(db) -> list[Notification]:
    with db.unit_of_work() as session:
        return list(
            session.scalars(
                select(Notification)
                .where(Notification.template == "activity_digest")
                .order_by(Notification.created_at)
            )
        )


def test_one_summary_an_hour_of_what_was_not_seen(client, db, worker):
    pf = create_portal(db)
    joins_as(db, worker, pf, "zoe@acme.com", "Zoë Ångström")
    joins_as(db, worker, pf, "max@acme.com", "Max Reader")
    ws = create_workspace(client, pf, "Q3 Audit")
    add(client, pf, ws["id"], user_ids=[user_id_of(client, pf, e) for e in ("zoe@acme.com", "max@acme.com")])
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    for text in ("First", "Second"):
        assert (
            client.post(
                api(pf, f"/workspaces/{ws['id']}/messages"), json={"text": text}, headers=owner
            ).status_code
            == 201
        )

    def run(_i=0):
        with db.unit_of_work() as session:
            return workspace_messages.send_activity_digests(session)

    assert run() == 0  # too fresh: people may still be looking
    session_headers(client, "max@acme.com")
    client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")  # Max reads them
    with clock.travel(timedelta(minutes=11)):
        assert run() == 1
        assert run() == 0  # once an hour
    (first,) = digests(db)
    assert first.to_address == "zoe@acme.com" and first.context["count"] == 2
    assert [m["text"] for m in first.context["latest"]] == ["First", "Second"]

    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    with clock.travel(timedelta(minutes=20)):
        client.post(api(pf, f"/workspaces/{ws['id']}/messages"), json={"text": "Third"}, headers=owner)
    with clock.travel(timedelta(minutes=40)):
        assert run() == 1  # Max, who read the first two, not this one; Zoë's hour is not over
    with clock.travel(timedelta(minutes=75)):
        assert sum(r for r in race(2, run) if isinstance(r, int)) == 1  # Zoë's second, once
    later = digests(db)
    assert [(n.to_address, n.context["count"]) for n in later] == [
        ("zoe@acme.com", 2),
        ("max@acme.com", 1),
        ("zoe@acme.com", 1),  # only what came since her last summary
    ]


def test_the_worker_runs_it_and_a_preference_stops_it(client, db, worker):
    pf = create_portal(db)
    joins_as(db, worker, pf, "zoe@acme.com", "Zoë Ångström")
    ws = create_workspace(client, pf, "Q3 Audit")
    add(client, pf, ws["id"], user_ids=[user_id_of(client, pf, "zoe@acme.com")])
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    client.post(api(pf, f"/workspaces/{ws['id']}/messages"), json={"text": "Hello"}, headers=owner)
    zoe = session_headers(client, "zoe@acme.com")
    client.patch("/api/v1/me/notification-preferences", json={"activity_digest": False}, headers=zoe)
    with clock.travel(timedelta(minutes=11)):
        assert Worker(db, db.context.settings).run_scheduled()["activity_digests"] == 0
    with db.unit_of_work() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.template == "activity_digest")
            )
            == 0
        )


def test_the_summary_leaves_out_what_a_mention_email_told(client, db, worker):
    """A message that mentioned someone came to them by its own email: their summary counts and
    quotes only the others, and says how many it left out; a summary of nothing but such
    messages is not sent. Turned off, the mention email is not sent, so the summary keeps it."""
    pf = create_portal(db)
    joins_as(db, worker, pf, "zoe@acme.com", "Zoë Ångström")
    joins_as(db, worker, pf, "max@acme.com", "Max Reader")
    ws = create_workspace(client, pf, "Q3 Audit")
    add(client, pf, ws["id"], user_ids=[user_id_of(client, pf, e) for e in ("zoe@acme.com", "max@acme.com")])
    max_ = session_headers(client, "max@acme.com")
    client.patch("/api/v1/me/notification-preferences", json={"mentions": False}, headers=max_)
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    for text in ("@Zoë Ångström and @Max Reader, the ledger?", "Plain news"):
        r = client.post(api(pf, f"/workspaces/{ws['id']}/messages"), json={"text": text}, headers=owner)
        assert r.status_code == 201, r.text
    worker.drain()  # Zoë's mention email goes; Max turned his off
    with db.unit_of_work() as session:
        assert [m for m in mailbox.messages(session, to="zoe@acme.com") if "mentioned you" in m.text]
    with clock.travel(timedelta(minutes=11)):
        assert Worker(db, db.context.settings).run_scheduled()["activity_digests"] == 2
    zoe_digest, max_digest = sorted(digests(db), key=lambda n: n.to_address, reverse=True)
    assert zoe_digest.to_address == "zoe@acme.com" and zoe_digest.context["count"] == 1
    assert [m["text"] for m in zoe_digest.context["latest"]] == ["Plain news"]
    assert max_digest.context["count"] == 2  # no mention email: the summary is how he hears of it
    with clock.travel(timedelta(minutes=12)):
        worker.drain()
    with db.unit_of_work() as session:
        (summary,) = [m for m in mailbox.messages(session, to="zoe@acme.com") if "not seen" in m.text]
        assert "There is 1 new message" in summary.text, summary.text
        assert "Not counted: 1 message you were mentioned in, which came to you on its own." in summary.text
        assert "ledger" not in summary.text

    # Only a mention since: nothing to summarise for Zoë (it came by its own email).
    with clock.travel(timedelta(minutes=70)):
        client.post(
            api(pf, f"/workspaces/{ws['id']}/messages"), json={"text": "@Zoë Ångström again"}, headers=owner
        )
    with clock.travel(timedelta(minutes=90)):
        worker.drain()
        assert Worker(db, db.context.settings).run_scheduled()["activity_digests"] == 1  # Max's only
    assert [n.to_address for n in digests(db)].count("zoe@acme.com") == 1


def test_the_summary_counts_the_newer_messages_too(client, db, worker):
    """A message at least 10 minutes old brings a summary; the ones that came after it, newer
    than that, are not left out of its count (it read '1 new message … that you have not seen'
    with three more waiting) nor out of every summary after (they came before it was sent)."""
    pf = create_portal(db)
    joins_as(db, worker, pf, "zoe@acme.com", "Zoë Ångström")
    ws = create_workspace(client, pf, "Q3 Audit")
    add(client, pf, ws["id"], user_ids=[user_id_of(client, pf, "zoe@acme.com")])
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)

    def say(text: str) -> None:
        r = client.post(api(pf, f"/workspaces/{ws['id']}/messages"), json={"text": text}, headers=owner)
        assert r.status_code == 201, r.text

    say("First")
    with clock.travel(timedelta(minutes=5)):
        for text in ("Second", "Third", "Fourth"):
            say(text)
    with clock.travel(timedelta(minutes=11)):
        assert Worker(db, db.context.settings).run_scheduled()["activity_digests"] == 1
        worker.drain()
    with db.unit_of_work() as session:
        (summary,) = [m for m in mailbox.messages(session, to="zoe@acme.com") if "not seen" in m.text]
        text, subject = summary.text, summary.subject
    assert "There are 4 new messages in the workspace “Q3 Audit”" in text, text
    assert "There is 1 new message" not in text
    assert subject.startswith("4 new messages in “Q3 Audit”"), subject
    assert all(t in text for t in ("Second", "Third", "Fourth"))  # the latest three
    with clock.travel(timedelta(minutes=75)):  # nothing new since: no second summary of them
        assert Worker(db, db.context.settings).run_scheduled()["activity_digests"] == 0
