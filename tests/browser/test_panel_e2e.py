"""The interaction panel in two real browsers (issue 11 item 5): the owner and a client have the
same workspace open; "@" offers the workspace's members (a name with spaces and accents);
what one sends appears in the other's panel without reloading; text stays text."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from admit.members import service as members_service
from tests.browser import gestures
from tests.factories import OWNER_PASSWORD, PASSWORD, accept_with_password, create_portal, invite

POLL_MS = 3_000  # how often a workspace's panel asks for new messages (admit.js)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def joins_as(db, settings, pf, email: str, name: str, user_type: str) -> None:
    invite(db, pf, [email], user_type=user_type, role="member" if user_type == "internal" else None)
    token = gestures.delivered_link(db, email)
    with db.unit_of_work() as session:
        accept_with_password(session, token, name=name)


def call(server, pf, method: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        server(f"/api/v1/portals/{pf.slug}{path}"), data=json.dumps(body).encode(), method=method,
        headers={"Authorization": f"Bearer {pf.api_key}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def signed_in(new_context, server, email: str, password: str, path: str):
    """Signed in as ``email`` at ``path``, the page's clock Playwright's (``POLL_MS``)."""
    context = new_context()
    gestures.sign_in(context, server, email, password)
    page = context.new_page()
    page.clock.install()  # time flows as it does, but a test can jump it forward
    page.goto(server(path))
    return page


def test_two_people_talk_in_a_workspace(live_server, new_context, shot):
    server, db = live_server, live_server.app.state.db
    pf = create_portal(db)
    joins_as(db, server.settings, pf, "zoe@acme.com", "Zoë Ångström", "internal")
    joins_as(db, server.settings, pf, "ann@client.example", "Ann Lee", "client")
    ws = call(server, pf, "POST", "/workspaces", {"name": "Q3 Audit", "kind": "chat"})
    with db.unit_of_work() as session:
        ids = [
            str(members_service.get_user_by_address(session, a).id)
            for a in ("zoe@acme.com", "ann@client.example")
        ]
    call(server, pf, "POST", f"/workspaces/{ws['id']}/members", {"user_ids": ids, "user_type": "client"})
    path = f"/p/{pf.slug}/workspaces/{ws['id']}"
    owner = signed_in(new_context, server, pf.owner_email, OWNER_PASSWORD, path)
    client = signed_in(new_context, server, "ann@client.example", PASSWORD, path)
    expect(client.get_by_text("No messages yet.")).to_be_visible()

    box = owner.get_by_label("Message")
    box.fill("Hello @z")
    box.press("o")  # typing opens the menu: a name with a space and accents
    expect(owner.locator("#mention-list li")).to_have_text(["Zoë Ångström"])
    box.press("Enter")
    expect(box).to_have_value("Hello @Zoë Ångström ")
    box.press_sequentially("and @Ann")
    box.press("Enter")
    box.press_sequentially("<b>welcome</b>")
    box.press("Enter")  # the menu is closed: Enter sends
    expect(owner.locator("#messages li p.text")).to_have_text(
        ["Hello @Zoë Ångström and @Ann Lee <b>welcome</b>"]
    )

    # The client's panel shows it without a reload, as text: its next poll, whose interval is
    # jumped over rather than waited out (up to 3 s, twice a run).
    client.clock.fast_forward(POLL_MS)
    expect(client.locator("#messages li p.text")).to_have_text(
        ["Hello @Zoë Ångström and @Ann Lee <b>welcome</b>"], timeout=10_000
    )
    assert client.locator("#messages b").count() == 0
    client.get_by_label("Message").fill("Thanks! Sending the file today.")
    client.get_by_role("button", name="Send").click()
    expect(client.locator("#messages li p.text").last).to_have_text("Thanks! Sending the file today.")
    owner.clock.fast_forward(POLL_MS)
    expect(owner.locator("#messages li p.text").last).to_have_text(
        "Thanks! Sending the file today.", timeout=10_000
    )
    # A message sent or arriving says its time as the page's others do ("now", the exact moment
    # in its tooltip), never the browser's "Dec 6, 2026, 1:17 PM".
    for page in (owner, client):
        sent = page.locator("#messages li time").last
        expect(sent).to_have_text(re.compile(r"^(now|\d+ seconds? ago|1 minute ago)$"))
        expect(sent).to_have_attribute("title", re.compile(r"20\d\d"))
    shot(owner, "panel")
