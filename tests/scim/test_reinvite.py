"""Reactivation before joining (the new-user tester's t6): every ``active: true`` after a
deactivation leaves the person with a pending invitation, even within a minute of the message
before (its message waits its turn under the per-person limit, never dropped), and the answer
never says more than what happened. A userName change invites the new address. Both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from admit.kit import clock
from admit.notifications import mailbox
from admit.notifications.models import Notification
from tests.scim.test_scim_users_groups import PATCH, invitation_status


def off_and_on(scim, user_id: str) -> dict:
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"/Users/{user_id}", off).status_code == 200
    on = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]}
    r = scim.patch(f"/Users/{user_id}", on)
    assert r.status_code == 200, r.text
    return r.json()


def test_reactivated_within_the_minute_is_invited_and_the_message_waits_its_turn(
    db,
    worker,
    scim,
    portal,
    rate_limits,  # noqa: ARG001
):
    user_id = scim.post("/Users", {"userName": "t6@acme.com", "active": True}).json()["id"]
    worker.drain()  # the first message went out: it counts under the per-person limit
    assert off_and_on(scim, user_id)["active"] is True
    assert invitation_status(db, portal, "t6@acme.com") == ["pending", "revoked"]
    with db.unit_of_work() as session:
        waiting = session.scalars(
            select(Notification).where(
                Notification.to_address == "t6@acme.com", Notification.status == "queued"
            )
        ).all()
        assert len(waiting) == 1 and waiting[0].next_attempt_at > clock.now()
    with clock.travel(timedelta(seconds=90)):
        worker.drain()
    with db.unit_of_work() as session:
        assert len(mailbox.messages(session, to="t6@acme.com")) == 2


def test_a_user_name_change_invites_the_new_address(db, worker, scim, portal, rate_limits):  # noqa: ARG001
    user_id = scim.post("/Users", {"userName": "t7@acme.com", "active": True}).json()["id"]
    worker.drain()
    off_and_on(scim, user_id)
    renamed = {"op": "replace", "path": "userName", "value": "t8@acme.com"}
    rename = {"schemas": [PATCH], "Operations": [renamed]}
    assert scim.patch(f"/Users/{user_id}", rename).json()["userName"] == "t8@acme.com"
    assert invitation_status(db, portal, "t8@acme.com") == ["pending"]
    assert "pending" not in invitation_status(db, portal, "t7@acme.com")
    worker.drain()
    with db.unit_of_work() as session:
        assert len(mailbox.messages(session, to="t8@acme.com")) == 1


def test_a_reactivation_the_day_limit_refuses_is_an_error_and_changes_nothing(
    db,
    worker,
    scim,
    portal,
    rate_limits,
    change_settings,  # noqa: ARG001
):
    change_settings(recipient_day_limit=1)
    user_id = scim.post("/Users", {"userName": "t9@acme.com", "active": True}).json()["id"]
    worker.drain()
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"/Users/{user_id}", off).status_code == 200
    on = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]}
    r = scim.patch(f"/Users/{user_id}", on)
    assert r.status_code == 429, r.text
    assert "as many messages today" in r.json()["detail"]
    assert scim.get(f"/Users/{user_id}").json()["active"] is False  # nothing claimed, nothing kept
    assert invitation_status(db, portal, "t9@acme.com") == ["revoked"]
