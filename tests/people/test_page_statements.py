"""How many SQL statements a User Management page makes (issue 13: each is a round trip, and
~0.1–0.3 ms of the page's Python). A guard, on both backends: a change that adds one shows here."""

from __future__ import annotations

from sqlalchemy import event, select

from admit.flows import members as members_flow
from admit.members.models import Member, User
from tests.factories import OWNER_PASSWORD, active_member, actor_for, create_portal, invite, sign_in_page

# The owner's page, the second time (the first makes the portal's invite link): BEGIN (SQLite's
# BEGIN IMMEDIATE; PostgreSQL's is implicit); the browser session; the portal; the owner's
# membership, with the portals they are active in (the portal switcher's:
# ``members.service.membership_and_active``); the sign-in gate's authenticator app; the roster's
# counts; its page (the invitations' reminders with it); the inviters' names; the invitations'
# last deliveries; whom a directory deactivated (a page with a deactivated member); who has an
# authenticator app to reset; the invite link with its counts (``links.service.open_portal_link``).
MOST = 12


def _statements_of(client, db, path: str) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    return [s for s in seen if s != "BEGIN (implicit)"]


def test_user_management_makes_few_statements(client, db, worker):
    pf = create_portal(db)
    active_member(db, pf, "mel@acme.com")
    active_member(db, pf, "ned@acme.com")
    invite(db, pf, ["grace@acme.com", "cleo@client.org"])
    worker.drain()
    with db.unit_of_work() as session:
        ned = session.scalar(
            select(Member.id).join(User, User.id == Member.user_id).where(User.email == "ned@acme.com")
        )
        members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), ned)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    path = f"/p/{pf.slug}/users"
    client.get(path)
    seen = _statements_of(client, db, path)
    said = "\n".join(s[:100] for s in seen)
    assert len(seen) <= MOST, said
    assert sum(s.startswith("SELECT") and "FROM invite_links" in s for s in seen) == 1, said
