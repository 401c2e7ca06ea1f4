"""Plain-function factories: create what a test needs through the services, with defaults."""

from __future__ import annotations

import html
import re
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, event, select

from admit.actor import Actor
from admit.db import Database
from admit.flows import join, setup
from admit.invitations import service as invitations_service
from admit.members.models import Member, User
from admit.notifications import mailbox
from admit.policy import Role
from admit.portals.models import Portal

OWNER_PASSWORD = "owner-password-123"
PASSWORD = "a-good-password-42"


@dataclass
class PortalFixture:
    slug: str
    api_key: str
    owner_email: str
    portal_id: object

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.api_key}"}


def create_portal(
    db: Database, *, name: str = "Acme Inc", owner_email: str = "owner@acme.com"
) -> PortalFixture:
    with db.unit_of_work() as session:
        portal, _user, key = setup.create_portal(
            session,
            name=name,
            owner_email=owner_email,
            owner_password=OWNER_PASSWORD,
            owner_name="Olive Owner",
        )
        return PortalFixture(slug=portal.slug, api_key=key, owner_email=owner_email, portal_id=portal.id)


def actor_for(session, slug: str, email: str) -> Actor:
    """The actor of the active member ``email`` in portal ``slug``."""
    portal = session.scalar(select(Portal).where(Portal.slug == slug))
    user = session.scalar(select(User).where(User.email == email))
    member = session.scalar(select(Member).where(Member.portal_id == portal.id, Member.user_id == user.id))
    return Actor(portal=portal, role=Role(member.role), user=user, member=member, ip="127.0.0.1")


@dataclass
class Invited:
    """What ``invite`` made: the new invitations, and the recipients skipped (with their code)."""

    invited: list
    skipped: list


def invite(db: Database, pf: PortalFixture, recipients, *, user_type="internal", role=None, by=None, **kw):
    """Invite through the service every face calls (``invitations.service.invite``)."""
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, by or pf.owner_email)
        batch = invitations_service.invite(
            session, actor, recipients=recipients, user_type=user_type, role=role, **kw
        )
        return Invited(invited=[r.invitation for r in batch.invited], skipped=batch.skipped)


# The secret links Admit sends, by the path before their token.
LINK_PATHS = {
    "invite": "/invite/",
    "sign_in": "/login/link/",
    "confirm": "/confirm/",
    "join": "/join/",
    "reset": "/reset-password/",
}


def token_in(text: str, kind: str = "invite") -> str:
    """The token of the ``kind`` of link (``LINK_PATHS``) in a message's text, a URL or a page."""
    match = re.search(re.escape(LINK_PATHS[kind]) + r"([A-Za-z0-9_-]+)", text)
    assert match, f"no {kind} link in: {text[:500]}"
    return match.group(1)


def last_link(db: Database, address: str, kind: str = "invite") -> str:
    """The token of the ``kind`` of link in the newest dev-mailbox message to ``address`` (an
    email address or a phone number): the one place tests read links out of messages."""
    with db.unit_of_work() as session:
        messages = mailbox.messages(session, to=address, limit=1)
        assert messages, f"no message to {address}"
        return token_in(messages[0].text, kind)


def member_joins(
    db: Database,
    worker,
    pf: PortalFixture,
    email: str,
    *,
    role="member",
    user_type="internal",
    password=PASSWORD,
) -> str:
    """Invite ``email`` and accept; returns the token used. With a ``password`` the invitation
    does not take (a client of a portal that asks its clients for none), they accept without it
    and then have it, as a client who chose one later on their account page."""
    invite(db, pf, [email], user_type=user_type, role=role if user_type == "internal" else None)
    worker.drain()
    token = last_link(db, email)
    with db.unit_of_work() as session:
        accept_with_password(session, token, name=email.split("@")[0], password=password)
    return token


def accept_with_password(session, token: str, *, name: str | None = None, password: str | None = PASSWORD):
    """Accept ``token``'s invitation as its recipient, who then has ``password``: chosen as they
    accept where the invitation asks for one; else (a client of a portal that asks its clients
    for none: accepting refuses one) chosen afterwards, as on their account page."""
    from admit.members import passwords
    from admit.members import service as members_service

    taken = join.preview(session, token).password_required
    accepted = join.accept(session, token=token, name=name, password=password if taken else None)
    if password and not taken:
        members_service.set_password(session, accepted.user, passwords.hash_password(password))
    return accepted


def active_member(
    db: Database, pf: PortalFixture, email: str, *, role="member", user_type="internal", password=PASSWORD
) -> None:
    """``email`` an active member straight away, with no invitation or message: for tests where
    who is in the portal is the setting, not the subject (``member_joins`` goes the whole way)."""
    from admit.members import passwords
    from admit.members import service as members_service

    with db.unit_of_work() as session:
        hashed = passwords.hash_password(password) if password else None
        user = members_service.add_user(session, email, name=email.split("@")[0], password_hash=hashed)
        portal = session.scalar(select(Portal).where(Portal.slug == pf.slug))
        members_service.activate(
            session, portal_id=portal.id, user_id=user.id, user_type=user_type,
            role=role if user_type == "internal" else "client", products=list(portal.enabled_products),
            via="invitation",
        )  # fmt: skip


def login(client, email: str, password: str = PASSWORD) -> str:
    """Sign in through the API; returns the CSRF token."""
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def race(n: int, fn, *, timeout: float = 120) -> list:
    """Run ``fn(i)`` in ``n`` threads released together; return each result or exception."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "COPY")


def _tag(command_complete: str) -> str:
    """The command a PostgreSQL server says it completed (``"INSERT 0 2"``: INSERT)."""
    return command_complete.strip('"').split(" ")[0]


def writes_during(db: Database | None, do):
    """What ``do`` answers, and the statements it sent that write (INSERT, UPDATE, DELETE, and
    PostgreSQL's COPY), each cut short: a save that must write nothing before it asks something
    says so. Read from the driver's own connection (SQLite's trace callback, libpq's trace of
    what the server answered), so that the rows ``kit.bulk.insert_rows`` writes past
    SQLAlchemy count too. ``db`` None: every engine's (a CLI command opens its own). A
    connection taken before it is not traced: one out already is refused, not left unseen."""
    if db is not None and db.engine.pool.checkedout():
        raise AssertionError("writes_during: a connection is out already; its writes would go unseen")
    seen: list[str] = []
    engines = Engine if db is None else db.engine
    traced: dict[int, Callable[[], None]] = {}

    def sqlite_said(statement: str) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in _WRITES:
            seen.append(" ".join(statement.split())[:120])

    def checkout(dbapi_connection, record, proxy) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(sqlite_said)
            traced[id(dbapi_connection)] = lambda: dbapi_connection.set_trace_callback(None)
            return
        import psycopg

        trace = tempfile.TemporaryFile()  # noqa: SIM115 - closed when the connection comes back (read)
        pgconn = dbapi_connection.pgconn
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)

        def read() -> None:
            pgconn.untrace()
            trace.seek(0)
            asked = ""
            for line in trace.read().decode(errors="replace").splitlines():
                parts = line.split("\t", 3)
                if len(parts) < 3:  # a statement's next line (its text goes on)
                    continue
                direction, kind, text = parts[0], parts[2], parts[3].strip() if len(parts) > 3 else ""
                if direction == "F" and kind in ("Query", "Parse"):
                    asked = text
                elif direction == "B" and kind == "CommandComplete" and _tag(text) in _WRITES:
                    seen.append(f"{text}: {' '.join(asked.split())[:120]}")
            trace.close()

        traced[id(dbapi_connection)] = read

    def checkin(dbapi_connection, record) -> None:
        done = traced.pop(id(dbapi_connection), None) if dbapi_connection is not None else None
        if done is not None:
            done()

    event.listen(engines, "checkout", checkout)
    event.listen(engines, "checkin", checkin)
    try:
        return do(), seen
    finally:
        event.remove(engines, "checkout", checkout)
        event.remove(engines, "checkin", checkin)
        for done in list(traced.values()):  # a connection still out (none should be)
            done()


def csrf_of(html_text: str) -> str:
    """The csrf_token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html_text)
    assert match, "no csrf_token in the form"
    return match.group(1)


def said_under(page_text: str, field_id: str) -> str:
    """What a refused form's page says under the field ``field_id`` (``_fields.html``), after
    checking that the field is marked invalid and points at it."""
    at = re.escape(field_id)
    attrs = r'(?:[^>"]|"[^"]*")*'  # a quoted value may hold a ">"
    tag = re.search(rf'<(?:input|select|textarea|fieldset)\b{attrs}?\bid="{at}"{attrs}>', page_text)
    assert tag, f"no field {field_id}"
    assert 'aria-invalid="true"' in tag.group(0) and f"{field_id}_error" in tag.group(0), tag.group(0)
    said = re.search(rf'<div class="field-error" id="{at}_error">(.*?)</div>', page_text, re.S)
    assert said, f"nothing said under {field_id}"
    return html.unescape(said.group(1))


def form_of(page_text: str, field_id: str) -> str:
    """The opening tag of the form that holds the field ``field_id``."""
    at = page_text.find(f'id="{field_id}"')
    assert at >= 0, f"no field {field_id}"
    start = page_text.rfind("<form", 0, at)
    assert start >= 0 and page_text.rfind("</form>", 0, at) < start, f"{field_id} is in no form"
    return page_text[start : page_text.index(">", start) + 1]


def sign_in_page(client, email: str, password: str):
    """Sign in through the sign-in page (a real form post with its CSRF token)."""
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r
