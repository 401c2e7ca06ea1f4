"""Notification preferences (issue 11 item 8), both databases: every optional message (here a
mention) carries a one-click unsubscribe link for its kind, in its text and as List-Unsubscribe
headers (RFC 8058) over real SMTP; the link's page asks before it acts, a one-click POST turns
the kind off, and nothing of that kind is written after; the API reads and changes the choices;
a forged token does nothing."""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
import re

from sqlalchemy import select

from admit.members import service as members_service
from admit.notifications import jobs as notifications_jobs
from admit.notifications import sealed
from admit.notifications.models import Notification
from tests.factories import OWNER_PASSWORD, active_member, create_portal, csrf_of
from tests.notifications.test_delivery import RecordingHandler, smtp_server  # noqa: F401
from tests.workspaces.helpers import add, api, create_workspace, session_headers, user_id_of
from tests.workspaces.test_messages import joins_as


def mention_zoe(client, pf, ws, owner, n: int):
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/messages"), json={"text": f"@Zoë Ångström #{n}"}, headers=owner
    )
    assert r.status_code == 201, r.text


def zoe_in_a_workspace(client, db, worker):
    """A portal where Zoë (internal) is in the workspace Q3 Audit; its owner signed in."""
    pf = create_portal(db)
    joins_as(db, worker, pf, "zoe@acme.com", "Zoë Ångström")
    ws = create_workspace(client, pf, "Q3 Audit")
    add(client, pf, ws["id"], user_ids=[user_id_of(client, pf, "zoe@acme.com")])
    return pf, ws, session_headers(client, pf.owner_email, OWNER_PASSWORD)


def words_of(html: str) -> str:
    """A page's words, its markup gone and its spaces tidied."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def mentions(db) -> list[Notification]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(Notification).where(Notification.template == "mention")))


def unsubscribe_token(db) -> str:
    """The unsubscribe link's token in the first mention queued (its secrets opened as the
    worker opens them: ``notifications.sealed``)."""
    url = sealed.opened(mentions(db)[0].context, db.context.settings)["unsubscribe_url"]
    return url.rsplit("/unsubscribe/", 1)[1]


def test_unsubscribe_from_mentions(client, db, worker, change_settings, smtp_server):  # noqa: F811
    pf, ws, owner = zoe_in_a_workspace(client, db, worker)
    mention_zoe(client, pf, ws, owner, 1)
    (first,) = mentions(db)
    url = sealed.opened(first.context, db.context.settings)["unsubscribe_url"]
    token = url.rsplit("/unsubscribe/", 1)[1]

    handler = RecordingHandler()
    change_settings(
        email_backend="smtp", smtp_host="127.0.0.1", smtp_port=smtp_server(handler), smtp_security="none"
    )
    assert notifications_jobs.deliver_due(db, db.context.settings)["sent"] >= 1
    sent = [email.message_from_bytes(e.content) for e in handler.envelopes]
    message = next(m for m in sent if m["Message-ID"] == f"<{first.id}@admit>")
    assert all(m["List-Unsubscribe"] is None for m in sent if m is not message)  # only optional kinds
    assert "".join(message["List-Unsubscribe"].split()) == f"<{url}>"  # a long one is folded
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert f"Stop these emails: {url}" in text.decode()

    client.cookies.clear()
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "Someone mentions you in a workspace" in page.text
    assert len(mentions(db)) == 1  # opening the link changed nothing (mail scanners open links)
    forged = client.post(f"/unsubscribe/{token[:-2]}xx")
    assert forged.status_code == 404
    done = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text

    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    mention_zoe(client, pf, ws, owner, 2)
    assert len(mentions(db)) == 1  # turned off: not written

    zoe = session_headers(client, "zoe@acme.com")
    # Every page's profile menu leads to the settings page, which shows the choice made.
    home = client.get(f"/p/{pf.slug}/workspaces")
    assert '<a href="http://testserver/me/notifications">Notification settings</a>' in home.text, home.text[
        :300
    ]
    settings_page = client.get("/me/notifications")
    assert settings_page.status_code == 200
    assert ">← Back to Acme Inc</a>" in settings_page.text  # a page about the person leads back
    assert ">Workspaces</a>" in settings_page.text  # and wears their portal's navigation
    prefs = client.get("/api/v1/me/notification-preferences").json()["items"]
    assert {p["kind"]: p["enabled"] for p in prefs}["mentions"] is False
    bad = client.patch("/api/v1/me/notification-preferences", json={"spam": True}, headers=zoe)
    assert bad.status_code == 422 and bad.json()["field"] == "spam"
    # A boolean as JSON has it ("false" had turned them off: kit.json_body).
    bad = client.patch("/api/v1/me/notification-preferences", json={"mentions": "false"}, headers=zoe)
    assert bad.status_code == 422 and bad.json()["errors"] == [
        {"field": "mentions", "message": "true or false."}
    ]
    back = client.patch("/api/v1/me/notification-preferences", json={"mentions": True}, headers=zoe)
    assert {p["kind"]: p["enabled"] for p in back.json()["items"]}["mentions"] is True
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    mention_zoe(client, pf, ws, owner, 3)
    assert len(mentions(db)) == 2
    # user, kind, portal, the address's fingerprint, the signature
    assert re.match(r"http://.+/unsubscribe/[0-9a-f]{32}\.mentions\.[0-9a-f]{32}\.[\w-]{8}\.[\w-]{24}$", url)


def test_a_portal_can_make_a_kind_mandatory(client, db, worker):
    pf = create_portal(db)
    joins_as(db, worker, pf, "zoe@acme.com", "Zoë Ångström")
    ws = create_workspace(client, pf, "Q3 Audit")
    add(client, pf, ws["id"], user_ids=[user_id_of(client, pf, "zoe@acme.com")])
    zoe = session_headers(client, "zoe@acme.com")
    client.patch("/api/v1/me/notification-preferences", json={"mentions": False}, headers=zoe)
    r = client.patch(
        f"/api/v1/portals/{pf.slug}/settings",
        json={"mandatory_notifications": ["mentions"]},
        headers=pf.headers(),
    )
    assert r.status_code == 200 and r.json()["mandatory_notifications"] == ["mentions"], r.text
    bad = client.patch(
        f"/api/v1/portals/{pf.slug}/settings",
        json={"mandatory_notifications": ["spam"]},
        headers=pf.headers(),
    )
    assert bad.status_code == 422 and bad.json()["field"] == "mandatory_notifications"
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    mention_zoe(client, pf, ws, owner, 1)
    (sent,) = mentions(db)  # sent although Zoë turned mentions off
    assert "unsubscribe_url" not in sent.context  # and nothing to unsubscribe from

    # Her settings say so: the API's item is what happens, and who sends it anyway; the page's
    # box is ticked and cannot be changed, with the portal named. Saving the page keeps her choice.
    session_headers(client, "zoe@acme.com")
    items = {p["kind"]: p for p in client.get("/api/v1/me/notification-preferences").json()["items"]}
    assert items["mentions"]["enabled"] is True and items["mentions"]["required_by"] == ["Acme Inc"]
    assert items["assigned"]["enabled"] is True and items["assigned"]["required_by"] == []
    page = client.get("/me/notifications")
    box = re.search(r'<input[^>]*value="mentions"[^>]*>', page.text)
    assert box and "checked" in box[0] and "disabled" in box[0], page.text
    assert "Acme Inc always sends these" in page.text
    kinds = re.findall(r'name="kinds" value="([a-z_]+)"', page.text)
    assert "mentions" not in kinds  # a disabled box is not sent with the form
    r = client.post(
        "/me/notifications", data={"kinds": kinds, "csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text

    client.patch(
        f"/api/v1/portals/{pf.slug}/settings", json={"mandatory_notifications": []}, headers=pf.headers()
    )
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    mention_zoe(client, pf, ws, owner, 2)
    assert len(mentions(db)) == 1  # her choice holds again
    session_headers(client, "zoe@acme.com")
    items = {p["kind"]: p for p in client.get("/api/v1/me/notification-preferences").json()["items"]}
    assert items["mentions"]["enabled"] is False and items["mentions"]["required_by"] == []
    assert 'value="mentions" >' in client.get("/me/notifications").text  # hers again, unticked


def test_no_email_title_carries_markup():
    """An email's <title> is text: a paragraph (the unsubscribe line once was) inside the title
    block shows as raw HTML in some clients' tabs and previews."""
    import re
    from pathlib import Path

    import admit.notifications

    folder = Path(admit.notifications.__file__).parent / "templates"
    for path in folder.glob("*.html"):
        title = re.search(r"\{% block title %\}(.*?)\{% endblock %\}", path.read_text(), re.S)
        if title:
            assert "<" not in title.group(1), path.name


def test_a_person_is_offered_only_the_kinds_they_can_get(client, db, worker):
    """The inviters' digest of expired invitations goes to those who may invite: a client, who
    may not invite in any of their portals, is not offered it (not on the page, not in the API,
    refused by PATCH naming it); the same person made a member of another portal is."""
    pf = create_portal(db)
    active_member(db, pf, "cleo@client.com", user_type="client")
    cleo = session_headers(client, "cleo@client.com")
    kinds = [p["kind"] for p in client.get("/api/v1/me/notification-preferences").json()["items"]]
    assert kinds == ["assigned", "due_reminders", "mentions", "activity_digest"]
    page = client.get("/me/notifications")
    assert "expired unaccepted" not in page.text and "Someone mentions you" in page.text
    r = client.patch(
        "/api/v1/me/notification-preferences",
        json={"mentions": False, "expired_invitations": False},
        headers=cleo,
    )
    assert r.status_code == 422 and r.json()["field"] == "expired_invitations", r.text
    assert "expired_invitations" in r.json()["detail"] and "invite" in r.json()["detail"]
    items = {
        p["kind"]: p["enabled"] for p in client.get("/api/v1/me/notification-preferences").json()["items"]
    }
    assert items["mentions"] is True  # refused: nothing of it was kept
    r = client.post("/me/notifications", data={"kinds": ["assigned"], "csrf_token": csrf_of(page.text)})
    assert r.status_code == 200, r.text  # the page's own form (what it offers) saves
    # A hand-made form with a kind the page does not offer her: refused as the API does, by name.
    r = client.post(
        "/me/notifications",
        data={"kinds": ["expired_invitations"], "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    said = words_of(r.text)
    assert r.status_code == 422 and "Notification settings saved" not in said, said
    assert "expired_invitations is not a message you can get: it goes to those who may invite" in said
    assert '<input type="checkbox" name="kinds" value="assigned" checked>' in r.text  # kept: nothing saved
    assert "Someone mentions you" in said

    other = create_portal(db, name="Bolt Ltd", owner_email="owner@bolt.com")
    with db.unit_of_work() as session:  # she joins Bolt Ltd as an internal member
        cleo_id = members_service.get_user_by_email(session, "cleo@client.com").id
        members_service.activate(
            session, portal_id=other.portal_id, user_id=cleo_id,
            user_type="internal", role="member", products=[], via="invitation",
        )  # fmt: skip
    session_headers(client, "cleo@client.com")
    kinds = [p["kind"] for p in client.get("/api/v1/me/notification-preferences").json()["items"]]
    assert "expired_invitations" in kinds  # she may invite clients in Bolt Ltd
    assert "expired unaccepted" in client.get("/me/notifications").text


def test_the_unsubscribe_page_names_the_address_the_kind_and_the_portal(client, db, worker):
    """The link's page, before and after its one click, says which address stops getting what,
    from which portal, and how to undo it; a portal that sends the kind anyway is named as
    still sending it. Someone else holding the link learns no more than the email showed:
    once the account's address has changed, the old link's page does not name the new one."""
    pf, ws, owner = zoe_in_a_workspace(client, db, worker)
    mention_zoe(client, pf, ws, owner, 1)
    token = unsubscribe_token(db)

    client.cookies.clear()
    ask = client.get(f"/unsubscribe/{token}")
    assert ask.status_code == 200
    said = words_of(ask.text)
    assert "Stop emails to zoe@acme.com for: Someone mentions you in a workspace" in said, said
    assert "This email came from Acme Inc." in said
    done = client.post(f"/unsubscribe/{token}")
    said = words_of(done.text)
    assert done.status_code == 200 and "You are unsubscribed" in said
    assert (
        "zoe@acme.com will no longer get emails for: Someone mentions you in a workspace, "
        "from Acme Inc or any other portal that lets you choose." in said
    ), said
    assert 'href="http://testserver/me/notifications"' in done.text and "Changed your mind?" in said

    # The portal makes mentions mandatory meanwhile: the page says it still sends them.
    client.patch(
        f"/api/v1/portals/{pf.slug}/settings",
        json={"mandatory_notifications": ["mentions"]},
        headers=pf.headers(),
    )
    said = words_of(client.post(f"/unsubscribe/{token}").text)
    assert "Acme Inc still sends these whatever you choose: it makes them mandatory." in said, said

    with db.unit_of_work() as session:  # her address changes (the portal's HR system, say)
        user = members_service.get_user_by_email(session, "zoe@acme.com")
        assert members_service.change_details(session, pf.portal_id, user, email="zoe@newmail.com") is None
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "zoe@newmail.com" not in page.text and "zoe@acme.com" not in page.text
    said = words_of(page.text)
    # (Stopped already: the page says so, to the address it was sent to.)
    assert "The address this email was sent to no longer gets emails for: Someone mentions you" in said, said

    # A link written before links named the portal and the address (user, kind, signature, as
    # they were signed then) still works, and its page names neither.
    secret = db.context.settings.secret_key.encode()
    mac = hmac.new(secret, f"unsubscribe:{user.id}:activity_digest".encode(), hashlib.sha256).digest()
    old = f"{user.id.hex}.activity_digest.{base64.urlsafe_b64encode(mac[:18]).decode()}"
    page = client.post(f"/unsubscribe/{old}")
    said = words_of(page.text)
    assert page.status_code == 200 and "zoe@" not in said and "Acme Inc" not in said.split("Dev mailbox")[-1]
    assert "The address this email was sent to will no longer get emails for: A summary of new" in said, said


def test_a_used_link_says_they_are_stopped_and_a_mandatory_kind_offers_no_button(client, db, worker):
    """Reopened after its click, the link's page says the emails are already stopped (to which
    address, what, from where) and how to turn them on again, with no button. When every portal
    of theirs that sends the kind makes it mandatory, the page says so plainly and offers no
    button (it would change nothing); when another portal lets them choose, it says what the
    button still stops."""
    pf, ws, owner = zoe_in_a_workspace(client, db, worker)
    mention_zoe(client, pf, ws, owner, 1)
    token = unsubscribe_token(db)
    client.cookies.clear()
    assert client.post(f"/unsubscribe/{token}").status_code == 200

    again = client.get(f"/unsubscribe/{token}")
    said = words_of(again.text)
    assert again.status_code == 200 and "Stop these emails?" not in said, said
    assert "These emails are already stopped" in said, said
    assert (
        "zoe@acme.com no longer gets emails for: Someone mentions you in a workspace, "
        "from Acme Inc or any other portal that lets you choose." in said
    ), said
    assert "<button" not in again.text.split("</header>")[-1]
    assert 'href="http://testserver/me/notifications"' in again.text and "Turn them on again" in said

    # She turns them on again; Acme Inc makes mentions mandatory, and it is her only portal.
    zoe = session_headers(client, "zoe@acme.com")
    r = client.patch("/api/v1/me/notification-preferences", json={"mentions": True}, headers=zoe)
    assert r.status_code == 200, r.text
    client.patch(
        f"/api/v1/portals/{pf.slug}/settings",
        json={"mandatory_notifications": ["mentions"]},
        headers=pf.headers(),
    )
    client.cookies.clear()
    page = client.get(f"/unsubscribe/{token}")
    said = words_of(page.text)
    assert "Stop these emails?" not in said and "<button" not in page.text.split("</header>")[-1], said
    assert (
        "Emails to zoe@acme.com for: Someone mentions you in a workspace come whatever you choose: "
        "Acme Inc makes them mandatory. There is nothing to unsubscribe from." in said
    ), said

    # In another portal, where mentions are hers to choose, the button stops them there.
    other = create_portal(db, name="Bolt Ltd", owner_email="owner@bolt.com")
    with db.unit_of_work() as session:
        zoe_id = members_service.get_user_by_email(session, "zoe@acme.com").id
        members_service.activate(
            session, portal_id=other.portal_id, user_id=zoe_id,
            user_type="internal", role="member", products=[], via="invitation",
        )  # fmt: skip
    page = client.get(f"/unsubscribe/{token}")
    said = words_of(page.text)
    assert "Stop these emails?" in said and "<button" in page.text, said
    assert (
        "This email came from Acme Inc. It sends these whatever you choose: it makes them mandatory. "
        "Unsubscribing stops them from your other portals, which let you choose." in said
    ), said
