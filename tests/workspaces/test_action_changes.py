"""Changing an action after it was added, through the API and the page, on both databases (the
new-user tester: a done action could not be reopened, edited or deleted): Reopen (whoever may
mark it done), Delete and Edit (whoever may add actions; Edit checked as adding is, every fault
at once), each audited."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from admit.kit import clock
from admit.kit.text import day_text
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    accept_with_password,
    csrf_of,
    last_link,
    said_under,
    sign_in_page,
)
from tests.workspaces.helpers import add, api, create_portal, create_workspace, members, session_headers

CLEO, DAN = "cleo@client.example", "dan@client.example"


def _summaries(client, pf) -> list[str]:
    """The workspaces' audit events in words, newest first."""
    r = client.get(api(pf, "/audit-events"), params={"category": "workspaces"}, headers=pf.headers())
    assert r.status_code == 200, r.text
    return [e["summary"] for e in r.json()["items"]]


def a_flow_with_an_action_for_cleo(client, db, worker, pf) -> tuple[dict, str]:
    """Q3 Audit, with Cleo and Dan (clients, joined) and "Sign the letter" for Cleo."""
    ws = create_workspace(client, pf, "Q3 Audit", kind="flow")
    for email in (CLEO, DAN):
        r = add(client, pf, ws["id"], recipients=[email], user_type="client")
        assert r.status_code in (200, 201), r.text
    worker.drain()
    for email in (CLEO, DAN):
        with db.unit_of_work() as session:
            accept_with_password(session, last_link(db, email), name=email[:3].title())
    cleo_id = next(
        m["user"]["id"] for m in members(client, pf, ws["id"])["items"] if m["user"]["email"] == CLEO
    )
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/actions"),
        json={"title": "Sign the letter", "assignee_id": cleo_id},
        headers=pf.headers(),
    )
    assert r.status_code == 201, r.text
    return ws, r.json()["id"]


def test_reopen_through_the_api(client, db, worker):
    pf = create_portal(db)
    ws, action_id = a_flow_with_an_action_for_cleo(client, db, worker, pf)
    url = api(pf, f"/workspaces/{ws['id']}/actions/{action_id}")
    cleo = session_headers(client, CLEO)
    assert client.post(f"{url}/complete", headers=cleo).json()["done_at"]
    dan = session_headers(client, DAN)
    refused = client.post(f"{url}/reopen", headers=dan)  # a client it is not for
    assert refused.status_code == 403, refused.text
    cleo = session_headers(client, CLEO)
    r = client.post(f"{url}/reopen", headers=cleo)  # its assignee, who marked it done
    assert r.status_code == 200 and r.json()["done_at"] is None, r.text
    again = client.post(f"{url}/reopen", headers=cleo)  # open already: as it is
    assert again.status_code == 200 and again.json() == r.json(), again.text
    assert client.post(f"{url}/complete", headers=pf.headers()).json()["done_at"]
    r = client.post(f"{url}/reopen", headers=pf.headers())  # an internal user of the workspace
    assert r.status_code == 200 and r.json()["done_at"] is None, r.text
    listed = client.get(api(pf, f"/workspaces/{ws['id']}/actions"), headers=pf.headers()).json()
    assert listed["items"][0]["done_at"] is None
    said = _summaries(client, pf)
    words = " reopened the action “Sign the letter” in the workspace Q3 Audit"
    reopened = [s for s in said if s.endswith(words)]
    assert len(reopened) == 2 and reopened[1].startswith("Cle"), said  # once each, Cleo's first
    missing = client.post(
        api(pf, f"/workspaces/{ws['id']}/actions/00000000-0000-0000-0000-000000000001/reopen"),
        headers=pf.headers(),
    )
    assert missing.status_code == 404, missing.text


def test_reopen_on_the_page(client, db, worker):
    pf = create_portal(db)
    ws, action_id = a_flow_with_an_action_for_cleo(client, db, worker, pf)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
    base = f"/p/{pf.slug}/workspaces/{ws['id']}/actions/{action_id}"
    assert f'{base}/reopen"' not in page.text  # open: nothing to reopen
    done = client.post(f"{base}/complete", data={"csrf_token": csrf_of(page.text)}, follow_redirects=True)
    assert f'{base}/reopen"' in done.text and f'{base}/complete"' not in done.text
    assert ">Reopen</button>" in done.text
    back = client.post(f"{base}/reopen", data={"csrf_token": csrf_of(done.text)}, follow_redirects=True)
    assert back.status_code == 200, back.text
    text = html.unescape(back.text)
    assert "“Sign the letter” is open again." in text
    assert f'{base}/complete"' in back.text and f'{base}/reopen"' not in back.text
    assert re.search(r"↺ Reopened “Sign the letter”\.", text)  # the Conversation says so


def test_delete_through_the_api(client, db, worker):
    pf = create_portal(db)
    ws, action_id = a_flow_with_an_action_for_cleo(client, db, worker, pf)
    url = api(pf, f"/workspaces/{ws['id']}/actions/{action_id}")
    cleo = session_headers(client, CLEO)
    refused = client.delete(url, headers=cleo)  # its assignee, a client: may not add, may not delete
    assert refused.status_code == 403, refused.text
    r = client.delete(url, headers=pf.headers())
    assert r.status_code == 204, r.text
    listed = client.get(api(pf, f"/workspaces/{ws['id']}/actions"), headers=pf.headers()).json()
    assert listed["items"] == []
    gone = client.delete(url, headers=pf.headers())
    assert gone.status_code == 404, gone.text
    said = _summaries(client, pf)
    assert (
        sum(s.endswith(" deleted the action “Sign the letter” from the workspace Q3 Audit") for s in said)
        == 1
    )


def test_delete_on_the_page(client, db, worker):
    pf = create_portal(db)
    ws, action_id = a_flow_with_an_action_for_cleo(client, db, worker, pf)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
    url = f"/p/{pf.slug}/workspaces/{ws['id']}/actions/{action_id}/delete"
    asked = html.unescape(page.text)
    assert f'data-confirm-action="http://testserver{url}"' in asked
    assert "Delete the action “Sign the letter”? It goes for good, with its reminders." in asked
    back = client.post(url, data={"csrf_token": csrf_of(page.text)}, follow_redirects=True)
    assert back.status_code == 200, back.text
    text = html.unescape(back.text)
    assert "Action “Sign the letter” deleted." in text and "No actions yet." in text
    client.cookies.clear()
    sign_in_page(client, CLEO, PASSWORD)  # the client it was for sees no Delete
    client.post(
        api(pf, f"/workspaces/{ws['id']}/actions"), json={"title": "Upload your ID"}, headers=pf.headers()
    )
    theirs = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
    assert "Upload your ID" in theirs.text and "/delete" not in theirs.text.split('id="workspace-actions"')[1]


def test_edit_through_the_api(client, db, worker):
    pf = create_portal(db)
    ws, action_id = a_flow_with_an_action_for_cleo(client, db, worker, pf)
    url = api(pf, f"/workspaces/{ws['id']}/actions/{action_id}")
    cleo = session_headers(client, CLEO)
    refused = client.patch(url, json={"title": "Mine now"}, headers=cleo)  # a client may not add: nor edit
    assert refused.status_code == 403, refused.text
    bad = client.patch(
        url, json={"title": " ", "due_on": "2001-01-01", "description": "x" * 5001}, headers=pf.headers()
    )
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["title", "due_on", "description"]  # all at once
    due = (clock.now() + timedelta(days=3)).date().isoformat()
    r = client.patch(url, json={"title": "Sign both letters", "due_on": due}, headers=pf.headers())
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["due_on"], r.json()["description"]) == ("Sign both letters", due, "")
    r = client.patch(url, json={"description": "Both pages.", "due_on": None}, headers=pf.headers())
    assert (r.json()["title"], r.json()["due_on"], r.json()["description"]) == (
        "Sign both letters",
        None,
        "Both pages.",
    )
    same = client.patch(url, json={"title": "Sign both letters"}, headers=pf.headers())  # nothing changes
    assert same.status_code == 200 and same.json() == r.json()
    said = _summaries(client, pf)
    edited = [s for s in said if " edited the action “Sign both letters” in the workspace Q3 Audit" in s]
    assert len(edited) == 2, said
    assert edited[1].endswith(" (was “Sign the letter”, now “Sign both letters”)"), edited


def test_edit_on_the_page(client, db, worker):
    pf = create_portal(db)
    ws, action_id = a_flow_with_an_action_for_cleo(client, db, worker, pf)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
    url = f"/p/{pf.slug}/workspaces/{ws['id']}/actions/{action_id}/edit"
    assert f'data-open="edit-action-{action_id}"' in page.text and f'{url}"' in page.text
    refused = client.post(
        url,
        data={
            "csrf_token": csrf_of(page.text),
            "title": "",
            "description": "Both pages.",
            "due_on": "2001-01-01",
        },
    )
    assert refused.status_code == 422, refused.text
    text = html.unescape(refused.text)
    assert (
        f'<dialog id="edit-action-{action_id}" aria-labelledby="edit-title-heading-{action_id}" data-autopen>'
        in text
    )
    assert said_under(refused.text, f"edit-title-{action_id}") == "The action needs a title."
    assert said_under(refused.text, f"edit-due_on-{action_id}").startswith("The due date is in the past")
    assert ">Both pages.</textarea>" in text and 'value="2001-01-01"' in text  # what was typed stays
    due = (clock.now() + timedelta(days=3)).date()
    saved = client.post(
        url,
        data={"csrf_token": csrf_of(page.text), "title": "Sign both letters", "description": "Both pages.",
              "due_on": due.isoformat()},
        follow_redirects=True,
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    text = html.unescape(saved.text)
    assert "Action “Sign both letters” saved." in text and "Both pages." in text
    assert f'Due <time datetime="{due.isoformat()}">{day_text(due)}</time>' in text
