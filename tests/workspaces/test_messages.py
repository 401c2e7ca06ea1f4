"""The interaction panel (issue 11 item 5), through the API on both databases: members write
(clients too), messages come back newest first with their author, ``@Their Name`` mentions are
stored as ids and tell the member named (not the author, not someone outside the workspace),
polling with ``after`` gives only what is new, read marks make unread counts, and someone who
cannot reach the workspace reads nothing. Text is never HTML."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from admit.notifications.models import Notification
from admit.workspaces import messages as workspace_messages
from tests.factories import OWNER_PASSWORD, accept_with_password, create_portal, invite, last_link
from tests.workspaces.helpers import add, api, create_workspace, session_headers, user_id_of


def joins_as(db, worker, pf, email: str, name: str, *, user_type: str = "internal") -> None:
    invite(db, pf, [email], user_type=user_type, role="member" if user_type == "internal" else None)
    worker.drain()
    with db.unit_of_work() as session:
        accept_with_password(session, last_link(db, email), name=name)


ZOE, ANN, BOB = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PEOPLE = [(ZOE, "Zoë Ångström"), (ANN, "Ann Lee"), (BOB, "Ann")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Hi @Zoë Ångström!", [ZOE]),
        ("hi @zoe angstrom, see below", [ZOE]),  # any case, with or without the accents
        ("@Ann Lee and @Ann", [ANN, BOB]),  # the longest name that fits wins
        ("@Annabel is not Ann", []),  # a name ends at a word's end
        ("write to ann@lee.example", []),  # an address is not a mention
        ("@Nobody Here", []),
        ("@Ann Lee @Ann Lee", [ANN]),  # each once
    ],
)
def test_mentions_are_found_by_name(text, found):
    assert workspace_messages.find_mentions(text, PEOPLE) == found


def test_the_panel_through_the_api(client, db, worker):
    pf = create_portal(db)
    joins_as(db, worker, pf, "zoe@acme.com", "Zoë Ångström")
    joins_as(db, worker, pf, "ann@client.example", "Ann Lee", user_type="client")
    joins_as(db, worker, pf, "bob@acme.com", "Bob Stone")  # in the portal, not in the workspace
    ws = create_workspace(client, pf, "Q3 Audit")
    zoe, ann = user_id_of(client, pf, "zoe@acme.com"), user_id_of(client, pf, "ann@client.example")
    r = add(client, pf, ws["id"], user_ids=[zoe, ann], user_type="client")
    assert r.status_code in (200, 201), r.text
    url = api(pf, f"/workspaces/{ws['id']}/messages")

    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    for empty, said in (
        ("", "Write something first."),
        ("x" * 4001, "At most 4,000 characters; this one has 4,001."),
    ):
        r = client.post(url, json={"text": empty}, headers=owner)  # the service's words, not pydantic's
        assert (r.status_code, r.json()["field"], r.json()["detail"]) == (422, "text", said), r.text
    text = "Hi @zoe angstrom and @Ann Lee <b>bold</b>, cc @Bob Stone"
    r = client.post(url, json={"text": text}, headers=owner)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["text"] == text  # kept as written: plain text, never HTML
    assert sorted(first["mentions"]) == sorted([zoe, ann]) and first["author"]["name"] == "Olive Owner"
    with db.unit_of_work() as session:
        told = sorted(
            session.scalars(select(Notification.to_address).where(Notification.template == "mention"))
        )
    assert told == ["ann@client.example", "zoe@acme.com"]  # not Bob (outside), not the author

    ann_h = session_headers(client, "ann@client.example")
    with db.unit_of_work() as session:
        assert workspace_messages.unread_counts(session, uuid.UUID(ann), [uuid.UUID(ws["id"])]) == {
            uuid.UUID(ws["id"]): 1
        }
    page = client.get(url).json()
    assert [m["id"] for m in page["items"]] == [first["id"]]
    assert client.post(url + "/read", headers=ann_h).status_code == 204
    with db.unit_of_work() as session:
        assert workspace_messages.unread_counts(session, uuid.UUID(ann), [uuid.UUID(ws["id"])]) == {}
    reply = client.post(url, json={"text": "Thanks, @Zoë Ångström"}, headers=ann_h)  # clients write, mention
    assert reply.status_code == 201 and reply.json()["mentions"] == [zoe]
    newer = client.get(url, params={"after": first["id"]}).json()["items"]
    assert [m["id"] for m in newer] == [reply.json()["id"]]
    reads = {r["user_id"] for r in client.get(url).json()["reads"]}
    assert ann in reads and zoe not in reads  # Ann has read; Zoë has not opened it yet

    assert client.post(url, json={"text": "   "}, headers=ann_h).status_code == 422
    assert client.post(url, json={"text": "x" * 4001}, headers=ann_h).status_code == 422

    session_headers(client, "bob@acme.com")
    assert client.get(url).status_code == 404  # outside the workspace: nothing to read


def test_the_clients_portal_lists_newest_activity_first_with_unread_counts(client, db, worker):
    """Issue 11 item 4: a client's home lists the workspaces they are in, the one with the newest
    message first, with how many messages they have not read."""
    pf = create_portal(db)
    joins_as(db, worker, pf, "ann@client.example", "Ann Lee", user_type="client")
    ann = user_id_of(client, pf, "ann@client.example")
    first = create_workspace(client, pf, "Older workspace")
    second = create_workspace(client, pf, "Newer workspace")
    for ws in (first, second):
        assert add(client, pf, ws["id"], user_ids=[ann], user_type="client").status_code in (200, 201)
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    for text in ("One", "Two"):
        r = client.post(api(pf, f"/workspaces/{first['id']}/messages"), json={"text": text}, headers=owner)
        assert r.status_code == 201

    session_headers(client, "ann@client.example")
    home = client.get(f"/p/{pf.slug}").text
    assert home.index("Older workspace") < home.index("Newer workspace")  # it has the newest message
    assert 'data-unread="2"' in home and home.count("data-unread=") == 1
    client.get(f"/p/{pf.slug}/workspaces/{first['id']}")  # opening it reads it
    assert "data-unread=" not in client.get(f"/p/{pf.slug}").text


def test_at_offers_the_joined_others_by_the_portals_names(client, db, worker):
    """The tester: "@" offered the writer themself, and people who had not joined (whom a mention
    tells nothing), by the name they have elsewhere. It offers those a mention tells: the
    workspace's joined members but the writer, by the names this portal shows."""
    import html
    import json
    import re

    pf = create_portal(db)
    other = create_portal(db, name="Other Co", owner_email="owner@other.example")
    joins_as(db, worker, other, "nina@home.net", "Nina Elsewhere", user_type="client")  # not in Acme
    joins_as(db, worker, pf, "zoe@acme.com", "Zoë Ångström")
    joins_as(db, worker, pf, "ann@client.example", "Ann Lee", user_type="client")
    ws = create_workspace(client, pf, "Q3 Audit")
    zoe, ann = user_id_of(client, pf, "zoe@acme.com"), user_id_of(client, pf, "ann@client.example")
    r = add(client, pf, ws["id"], user_ids=[zoe, ann], recipients=["nina@home.net"], user_type="client")
    assert r.status_code in (200, 201), r.text
    session_headers(client, "ann@client.example")
    page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text
    offered = json.loads(html.unescape(re.search(r"data-mentionable='([^']*)'", page).group(1)))
    assert offered == ["Zoë Ångström"], offered
    # and a message finds the same people: Nina's other name confirms nothing, Ann's own is none
    said = client.post(
        api(pf, f"/workspaces/{ws['id']}/messages"), json={"text": "@Nina Elsewhere @Ann Lee @Zoë Ångström"},
        headers=session_headers(client, "ann@client.example"),
    )  # fmt: skip
    assert (said.status_code, said.json()["mentions"]) == (201, [zoe]), said.text


def test_a_polled_message_names_a_phone_author_as_the_page_does(client, db):
    """The reviewer: the workspace page shows an author known only by a phone number spaced
    ("+1 202-555-0173", ``User.shown``), but a message the panel polls for came with the stored
    "+12025550173", and the panel shows the name as it comes."""
    from admit.members.models import User

    pf = create_portal(db)
    ws = create_workspace(client, pf, "Q3 Audit")
    url = api(pf, f"/workspaces/{ws['id']}/messages")
    owner = session_headers(client, pf.owner_email, OWNER_PASSWORD)
    assert client.post(url, json={"text": "hello"}, headers=owner).status_code in (200, 201)
    with db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.email == pf.owner_email))
        user.name, user.email, user.phone = "", None, "+12025550173"
    polled = client.get(url, headers=pf.headers()).json()["items"][0]["author"]["name"]
    assert polled == "+1 202-555-0173", polled
