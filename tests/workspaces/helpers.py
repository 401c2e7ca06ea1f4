"""What the workspaces tests share: a portal with an admin key, people who joined, sessions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from admit.notifications.models import DevMessage, Notification
from tests.factories import (
    PASSWORD,
    create_portal,
    login,
    member_joins,
    token_in,  # noqa: F401
)


@dataclass
class Person:
    email: str
    user_id: str
    csrf: str | None = None


def api(pf, path: str) -> str:
    return f"/api/v1/portals/{pf.slug}{path}"


def user_id_of(client, pf, email: str) -> str:
    r = client.get(api(pf, "/people/suggestions"), params={"q": email}, headers=pf.headers())
    assert r.status_code == 200, r.text
    matches = [m for m in r.json()["items"] if m["user"]["email"] == email]
    assert matches, f"{email} is not a member"
    return matches[0]["user"]["id"]


def joined(db, worker, client, pf, email: str, *, user_type="internal", role="member") -> Person:
    """``email`` invited and accepted (with a password), as a Person with their user id."""
    member_joins(db, worker, pf, email, user_type=user_type, role=role)
    return Person(email=email, user_id=user_id_of(client, pf, email))


def session_headers(client, email: str, password: str = PASSWORD) -> dict:
    """Sign ``email`` in on ``client`` (cookie) and return the CSRF header for changes."""
    client.cookies.clear()
    return {"X-CSRF-Token": login(client, email, password)}


def create_workspace(client, pf, name="Onboarding", kind="chat", headers=None, **extra) -> dict:
    r = client.post(
        api(pf, "/workspaces"), json={"name": name, "kind": kind, **extra}, headers=headers or pf.headers()
    )
    assert r.status_code == 201, r.text
    return r.json()


def add(client, pf, ws_id, headers=None, **body):
    return client.post(api(pf, f"/workspaces/{ws_id}/members"), json=body, headers=headers or pf.headers())


def members(client, pf, ws_id, headers=None) -> dict:
    r = client.get(api(pf, f"/workspaces/{ws_id}/members"), headers=headers or pf.headers())
    assert r.status_code == 200, r.text
    return r.json()


def status_of(client, pf, ws_id, headers=None) -> dict:
    """``{email or phone: status}`` of the workspace's members."""
    items = members(client, pf, ws_id, headers)["items"]
    return {m["user"]["email"] or m["user"]["phone"]: m["status"] for m in items}


def mail_count(db, to: str) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(DevMessage).where(DevMessage.to_address == to))


def messages_to(db, to: str) -> list[DevMessage]:
    with db.unit_of_work() as session:
        rows = list(
            session.scalars(
                select(DevMessage).where(DevMessage.to_address == to).order_by(DevMessage.sent_at)
            )
        )
        session.expunge_all()
        return rows


def notifications_to(db, to: str) -> list[Notification]:
    with db.unit_of_work() as session:
        rows = list(session.scalars(select(Notification).where(Notification.to_address == to)))
        session.expunge_all()
        return rows


def invite_token(text: str) -> str:
    return token_in(text, "invite")


def role_ids(client, pf, ws_id) -> list[str]:
    """A flow's roles' ids, in order."""
    r = client.get(api(pf, f"/workspaces/{ws_id}/roles"), headers=pf.headers())
    return [role["id"] for role in r.json()["items"]]


def assign_role(client, pf, ws_id, role_id, **body):
    """Assign on a flow's role (a member by ``user_id``, or someone new by ``recipient``)."""
    r = client.post(api(pf, f"/workspaces/{ws_id}/roles/{role_id}/assign"), json=body, headers=pf.headers())
    assert r.status_code == 200, r.text
    return r


__all__ = ["PASSWORD", "create_portal"]
