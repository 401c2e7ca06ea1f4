"""The dev mailbox (issue 14 item 17): it holds every email and its links, so it answers this
machine (a loopback client) and signed-in owners and admins; others signed in are refused, and
a visitor finds nothing. Both backends."""

from __future__ import annotations

import html
import re

import pytest
from starlette.testclient import TestClient

from tests.factories import OWNER_PASSWORD, PASSWORD, create_portal, invite, login, member_joins

PATHS = ["/dev/mailbox", "/api/v1/dev/messages"]


@pytest.fixture
def remote(app):
    """A browser on another machine (203.0.113.5, a documentation address)."""
    with TestClient(app, client=("203.0.113.5", 40000)) as c:
        yield c


def test_another_machine_finds_nothing(client, remote, db):
    pf = create_portal(db)
    invite(db, pf, ["ada@example.com"])
    for path in PATHS:
        assert remote.get(path).status_code == 404, path
        assert client.get(path).status_code == 200, path  # this machine


def test_an_owner_reads_it_from_anywhere_a_member_is_refused(remote, db, worker):
    pf = create_portal(db)
    member_joins(db, worker, pf, "mo@example.com", role="member")
    login(remote, "mo@example.com", PASSWORD)
    assert [remote.get(p).status_code for p in PATHS] == [403, 403]
    remote.cookies.clear()
    login(remote, pf.owner_email, OWNER_PASSWORD)
    assert [remote.get(p).status_code for p in PATHS] == [200, 200]


def test_an_owner_reads_only_their_portals_messages_and_their_own(client, remote, db, worker):
    """The security tester: Other Co's owner read Acme's invitation emails in the dev mailbox,
    their links live, and accepted one. Signed in, an owner reads the messages of the portals
    they run and those to themselves; this machine, not signed in, still reads every one."""
    from tests.factories import create_portal as portal_named

    acme = create_portal(db)
    other = portal_named(db, name="Other Co", owner_email="boss@other.com")
    invite(db, acme, ["cli@client.com"], user_type="client")
    invite(db, other, ["hire@other.com"])
    worker.drain()
    login(remote, "boss@other.com", OWNER_PASSWORD)
    seen = [m["to"] for m in remote.get("/api/v1/dev/messages").json()["items"]]
    assert seen == ["hire@other.com"], seen
    page = remote.get("/dev/mailbox").text
    assert re.findall(r'<tr data-to="([^"]+)"', page) == ["hire@other.com"]
    everything = [m for m in client.get("/api/v1/dev/messages").json()["items"]]
    acmes = next(m for m in everything if m["to"] == "cli@client.com")
    assert remote.get(f"/dev/mailbox/{acmes['id']}").status_code == 404
    assert client.get(f"/dev/mailbox/{acmes['id']}").status_code == 200
    assert {m["to"] for m in everything} == {"cli@client.com", "hire@other.com"}


def test_the_messages_page_with_a_cursor(client, db, worker):
    """``GET /api/v1/dev/messages`` pages like every list (it stopped at ``limit``, at most 500,
    without a next page): newest first, every message reached."""
    pf = create_portal(db)
    addresses = [f"p{i}@example.com" for i in range(5)]
    invite(db, pf, addresses)
    worker.drain()
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/dev/messages", params=params).json()
        assert len(body["items"]) <= 2, body
        seen += [m["to"] for m in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == addresses and cursor is None
    newest = client.get("/api/v1/dev/messages").json()["items"]
    assert [m["to"] for m in newest] == seen  # the same order, a page at a time


def test_the_mailbox_page_pages_to_older_messages_and_back(client, db):
    """``/dev/mailbox`` shows a page of the newest messages and links to older ones (and back to
    newer), as User Management pages: it showed the newest 200 and no way to the rest."""
    from datetime import timedelta

    from admit.kit import clock
    from admit.notifications.models import DevMessage

    now, hour = clock.now(), timedelta(hours=1)
    with db.unit_of_work() as session:
        session.add_all(
            DevMessage(to_address=f"p{i}@example.com", subject="Hi", text="", html="", sent_at=now - hour * i)
            for i in range(205)
        )

    def shown(text: str) -> list[str]:
        return re.findall(r'<tr data-to="([^"]+)"', text)

    def link(text: str, rel: str) -> str | None:
        found = re.search(rf'<a [^>]*rel="{rel}" href="([^"]+)"', text)
        return html.unescape(found.group(1)) if found else None

    first = client.get("/dev/mailbox")
    assert first.status_code == 200
    newest = shown(first.text)
    assert newest == [f"p{i}@example.com" for i in range(len(newest))] and 0 < len(newest) < 205
    assert link(first.text, "prev") is None and "Older messages" in first.text
    older = client.get("/dev/mailbox" + link(first.text, "next"))
    rest = shown(older.text)
    assert newest + rest == [f"p{i}@example.com" for i in range(205)]  # every one, once, in order
    assert link(older.text, "next") is None and "Newer messages" in older.text
    back = client.get("/dev/mailbox" + link(older.text, "prev"))
    assert shown(back.text) == newest


def test_on_this_machine_someone_signed_in_reads_it_only_as_an_owner_or_admin(client, db, worker):
    """A client (or member) signed in on this machine is refused the mailbox, as anywhere: it
    holds everyone's emails and links (it answered them, since the machine was asked first).
    Signed out, this machine still reads it (the person running Admit, trying it out)."""
    from tests.factories import active_member

    pf = create_portal(db)
    active_member(db, pf, "cleo@client.org", user_type="client", role="client")
    member_joins(db, worker, pf, "mo@example.com", role="member")
    for email in ("cleo@client.org", "mo@example.com"):
        login(client, email, PASSWORD)
        said = [client.get(p) for p in PATHS]
        assert [r.status_code for r in said] == [403, 403], email
        words = "Only owners and admins can read the dev mailbox: it holds everyone's emails."
        assert said[1].json()["detail"] == words
        client.cookies.clear()
    assert [client.get(p).status_code for p in PATHS] == [200, 200]
    login(client, pf.owner_email, OWNER_PASSWORD)
    assert [client.get(p).status_code for p in PATHS] == [200, 200]


def test_its_link_shows_to_whom_it_answers(client, db, worker):
    """The pages' *Dev mailbox* link (every page's top bar, with the dev backend) is shown to
    whom the mailbox answers: a client or member signed in is not sent to a 403 (it showed to
    everyone); an owner, and this machine signed out, see it."""
    from tests.factories import active_member, sign_in_page

    pf = create_portal(db)
    active_member(db, pf, "cleo@client.org", user_type="client", role="client")
    member_joins(db, worker, pf, "mo@example.com", role="member")
    link = '/dev/mailbox">Dev mailbox</a>'
    assert link in client.get("/login").text  # signed out, this machine
    for email, home in (("cleo@client.org", "/"), ("mo@example.com", f"/p/{pf.slug}/workspaces")):
        sign_in_page(client, email, PASSWORD)
        page = client.get(home)
        assert page.status_code == 200 and "Sign out" in page.text, (email, page.text[:300])
        assert link not in page.text, email
        client.cookies.clear()
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    assert link in client.get(f"/p/{pf.slug}/users").text


def test_its_pages_wear_the_portals_top_bar_for_someone_signed_in(client, db, worker):
    """The mailbox and each message, opened by an owner signed in, show the portal's top bar
    (User Management, Workspaces…) and the way back to it, as their account page does: the only
    way back was the browser's Back button. Signed out (this machine), no portal's bar."""
    from tests.factories import sign_in_page

    pf = create_portal(db)
    invite(db, pf, ["ada@example.com"])
    worker.drain()
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    mailbox = client.get("/dev/mailbox")
    message = re.search(r'href="(?:http://testserver)?(/dev/mailbox/[0-9a-f-]{36})"', mailbox.text)
    assert message, mailbox.text[:2000]
    shown = client.get(message.group(1))
    for page in (mailbox, shown):
        assert page.status_code == 200
        top = page.text.split("<main", 1)[0]
        assert "User Management</a>" in top and f"/p/{pf.slug}/workspaces" in top, top
    assert "← Back to Acme Inc</a>" in mailbox.text and "← Dev mailbox</a>" in shown.text
    client.cookies.clear()
    signed_out = client.get("/dev/mailbox").text.split("<main", 1)[0]
    assert "User Management" not in signed_out


def test_an_owner_is_not_shown_messages_to_someone_of_another_portal(client, remote, db, worker):
    """The security tester: Other Co's owner invited Acme's passwordless client (or had them
    sign up through Other Co's public link), read the magic link in the dev mailbox, and was
    signed in as that client, reaching Acme. A signed-in reader is not shown messages to anyone
    whose account belongs to a portal the reader does not run (``MailboxScope.withheld``); the
    page says how many, and why, in one line. This machine, not signed in, still reads all."""
    from tests.factories import active_member

    acme = create_portal(db)
    active_member(db, acme, "cli@client.com", user_type="client", role="client", password=None)
    other = create_portal(db, name="Other Co", owner_email="boss@other.com")
    invite(db, other, ["cli@client.com", "new@client.com"], user_type="client")
    worker.drain()
    login(remote, "boss@other.com", OWNER_PASSWORD)
    seen = [m["to"] for m in remote.get("/api/v1/dev/messages").json()["items"]]
    assert seen == ["new@client.com"], seen
    assert remote.get("/api/v1/dev/messages", params={"to": "cli@client.com"}).json()["items"] == []
    page = remote.get("/dev/mailbox").text
    assert re.findall(r'<tr data-to="([^"]+)"', page) == ["new@client.com"]
    said = re.search(r'<p class="muted" id="withheld">(.*?)</p>', page, re.S)
    assert said, page
    assert " ".join(said.group(1).split()) == (
        "1 message is not shown: it is to someone who also belongs to a portal you do not run"
        " (its link would sign you in as them)."
    )
    everything = client.get("/api/v1/dev/messages").json()["items"]
    theirs = next(m for m in everything if m["to"] == "cli@client.com")
    assert remote.get(f"/dev/mailbox/{theirs['id']}").status_code == 404
    assert client.get(f"/dev/mailbox/{theirs['id']}").status_code == 200  # this machine, signed out
    assert 'id="withheld"' not in client.get("/dev/mailbox").text
    # Acme's owner runs the portal cli@client.com is in: theirs to read, nothing withheld.
    remote.cookies.clear()
    login(remote, acme.owner_email, OWNER_PASSWORD)
    assert "cli@client.com" not in [m["to"] for m in remote.get("/api/v1/dev/messages").json()["items"]]
    assert 'id="withheld"' not in remote.get("/dev/mailbox").text
