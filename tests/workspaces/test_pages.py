"""Workspace and contacts pages through the real app (no browser), with real CSRF form posts, on
both backends: creating a flow with roles, the Invite panel's form posts, the Members panel's
Resend Invitation, Assign, actions, what a client sees, and the Contacts "+" three endings.
The click-through in Chromium is tests/browser/test_workspaces_e2e.py."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

from sqlalchemy import update

from admit.invitations.models import Invitation
from admit.kit import clock
from admit.kit.text import readable_phone
from admit.pages.deps import templates
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    active_member,
    csrf_of,
    invite,
    last_link,
    said_under,
    sign_in_page,
)
from tests.workspaces.helpers import (
    add,
    api,
    create_portal,
    create_workspace,
    joined,
    mail_count,
    messages_to,
    notifications_to,
    user_id_of,
)


def _text(r) -> str:
    return html.unescape(r.text)


def _report(r) -> str:
    """The Invite panel's report as it reads: its summary, then each person's line."""
    found = re.search(r'<div class="notice[^"]*" role="status" data-report>(.*?)</div>', r.text, re.S)
    assert found, _text(r)[:3000]
    lines = found.group(1).replace("</li>", " ")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", lines)).split())


def _owner_page(client, pf, path: str):
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    return client.get(f"/p/{pf.slug}{path}")


def _client_joins(client, db, worker, pf, ws_id: str, email: str) -> None:
    """The owner invites ``email`` (a new client) into a workspace; they accept through the page."""
    r = add(client, pf, ws_id, recipients=[email], user_type="client")
    assert r.json()["counts"]["invited"] == 1, r.text
    worker.drain()
    token = last_link(db, email)
    client.cookies.clear()
    page = client.get(f"/invite/{token}")
    r = client.post(f"/invite/{token}", data={"csrf_token": csrf_of(page.text), "name": "Cleo"})
    assert r.status_code == 200 and "You joined as a client." in r.text
    assert str(r.url).endswith(f"/p/{pf.slug}/workspaces/{ws_id}"), r.url  # lands in the workspace


def _signer_workspace(client, pf, name: str, recipient: str) -> dict:
    """A flow workspace whose role "Client signer" is held by ``recipient``, a new client."""
    ws = create_workspace(client, pf, name, kind="flow", roles=["Client signer"])
    add(client, pf, ws["id"], recipients=[recipient], user_type="client")
    role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign"),
        json={"recipient": recipient},
        headers=pf.headers(),
    )
    assert r.status_code == 200, r.text
    return ws


def _avatars(text: str) -> dict:
    """A workspace page's avatars: the signer role's, the Members button's, the panel's rows'."""
    chip = re.search(r'data-role="Client signer">\s*<span class="avatar[^"]*"[^>]*>([^<]*)<', text).group(1)
    stack = re.findall(r'<span class="avatar small">([^<]*)</span>', text)
    rows = re.findall(r'"member-cell"><span class="avatar" aria-hidden="true">([^<]*)</span>', text)
    return {"role": chip, "stack": stack, "rows": rows}


class TestWorkspacePage:
    def test_create_a_flow_with_roles_assign_and_add_an_action(self, client, db, worker):
        """The list page creates a flow with its roles; Assign gives a role to a new client; an
        action is added for that role."""
        pf = create_portal(db)
        page = _owner_page(client, pf, "/workspaces")
        assert 'name="roles"' in page.text and '<option value="flow"' in page.text
        r = client.post(
            f"/p/{pf.slug}/workspaces",
            data={
                "csrf_token": csrf_of(page.text),
                "name": "Q3 Audit",
                "kind": "flow",
                "roles": "Reviewer, Client signer",
            },
        )
        assert r.status_code == 200 and "Workspace “Q3 Audit” created." in r.text
        assert 'data-role="Reviewer"' in r.text and 'data-role="Client signer"' in r.text
        # two role chips, two forms' submit, and the Invite panel's Unassigned roles (both)
        assert r.text.count(">Assign</button>") == 2 + 2 + 2
        ws_url = str(r.url).split("?")[0]
        assign = re.search(r'action="(?:https?://[^/"]+)?(/p/[^"]+/roles/[^"]+/assign)"', r.text).group(1)

        r = client.post(
            assign,
            data={"csrf_token": csrf_of(r.text), "recipient": "cleo@client.org", "user_type": "client"},
        )
        assert "cleo@client.org was invited and now holds “Reviewer”." in _text(r)
        # The holder named as the portal names them, the role by its name.
        assigns = re.findall(r'action="(?:https?://[^/"]+)?(/p/[^"]+/roles/[^"]+/assign)"', r.text)
        signer = next(url for url in assigns if url != assign)
        named = client.post(
            signer,
            data={"csrf_token": csrf_of(r.text), "recipient": "Nora Client <nora@homebase.net>"},
        )
        assert "Nora Client (nora@homebase.net) was invited and now holds “Client signer”." in _text(named)
        nora = re.search(
            r'<option value="([^"]+)">Nora Client \(nora@homebase.net\)</option>', named.text
        ).group(1)
        again = client.post(assign, data={"csrf_token": csrf_of(named.text), "user_id": nora})
        assert "Nora Client (nora@homebase.net) now holds “Reviewer”." in _text(again)
        r = client.post(assign, data={"csrf_token": csrf_of(again.text), "recipient": "cleo@client.org"})
        assert "cleo@client.org now holds “Reviewer”." in _text(r)
        assert "data-holder>cleo@client.org<" in r.text
        row = re.search(r'<tr data-address="cleo@client.org">(.*?)</tr>', r.text, re.S).group(1)
        assert "Not Joined" in row and "Reviewer" in row
        worker.drain()
        assert mail_count(db, "cleo@client.org") == 1

        role_id = re.search(r'<option value="([^"]+)">Reviewer</option>', r.text).group(1)
        r = client.post(
            f"{ws_url}/actions",
            data={
                "csrf_token": csrf_of(r.text),
                "title": "Sign the letter",
                "assignee": role_id,  # "role:<id>": the For list holds roles and people
                "due_on": "2030-01-31",
            },
        )
        assert "Action “Sign the letter” added." in _text(r)
        # A day as every page writes one (as emails do), with its ISO value.
        assert 'Due <time datetime="2030-01-31">31 January 2030</time>' in r.text
        bad = client.post(
            f"{ws_url}/actions", data={"csrf_token": csrf_of(r.text), "title": "X", "due_on": "soon"}
        )
        assert "The due date is not a date" in _text(bad)

    def test_invite_panel_posts_and_already_in_message(self, client, db, worker):
        """The Invite panel adds a new client (Not Joined, one email) and an existing member
        (Joined); adding them again says they are already in, and nothing is duplicated."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        assert 'id="invite-panel"' in page.text and "Type a name, email or phone number" in page.text
        assert "No matches found" in page.text and "Invite New Client" in page.text
        assert "Invite New Internal User" in page.text  # the owner may invite internal users
        people = f"/p/{pf.slug}/workspaces/{ws['id']}/people"
        csrf = csrf_of(page.text)

        r = client.post(
            people,
            data={
                "csrf_token": csrf,
                "name": "Cleo",
                "recipient": "cleo@client.org",
                "user_type": "client",
            },
        )
        assert "1 invited." in r.text
        r = client.post(people, data={"csrf_token": csrf, "user_ids": [ivy.user_id]})
        assert "1 added." in r.text
        statuses = dict(re.findall(r'<tr data-address="([^"]+)">.*?data-status[^>]*>([^<]+)<', r.text, re.S))
        assert statuses == {  # made with the API key: no creator in it
            "ivy@acme.com": "Joined",
            "cleo@client.org": "Not Joined",
        }

        r = client.post(people, data={"csrf_token": csrf, "user_ids": [ivy.user_id]})
        assert "ivy is already in this workspace." in _text(r) or "already in this workspace." in _text(r)
        assert r.text.count('<tr data-address="ivy@acme.com">') == 1
        r = client.post(people, data={"csrf_token": csrf})
        assert "Choose at least one person" in _text(r)
        worker.drain()
        assert mail_count(db, "cleo@client.org") == 1

    def test_an_address_typed_in_the_search_box_is_the_recipient(self, client, db, worker):
        """Invite with a full address typed in the search box and no suggestion picked (no
        JavaScript needed): a new address is invited as a client, a member's is added; the new
        user tester's address was dropped with "Choose at least one person"."""
        pf = create_portal(db)
        joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        assert re.search(r'<input id="invite-q" name="q"', page.text)
        people = f"/p/{pf.slug}/workspaces/{ws['id']}/people"
        csrf = csrf_of(page.text)
        r = client.post(people, data={"csrf_token": csrf, "q": " nora@homebase.net "})
        assert "1 invited." in r.text, _text(r)[:2000]
        r = client.post(people, data={"csrf_token": csrf, "q": "ivy@acme.com"})
        assert "1 added." in r.text
        statuses = dict(re.findall(r'<tr data-address="([^"]+)">.*?data-status[^>]*>([^<]+)<', r.text, re.S))
        assert statuses == {"nora@homebase.net": "Not Joined", "ivy@acme.com": "Joined"}
        worker.drain()
        assert "Kitchen" in messages_to(db, "nora@homebase.net")[0].text

    def test_the_report_says_as_what_each_new_person_was_invited(self, client, db, worker):
        """Each new person's line in the report says as what they were invited, named as notices
        name people: a client ("tom@acmewidgets.com: Invited as a client; …", and, at a colleague's
        domain, the way to make them an internal user: said without JavaScript too), or an
        internal user with their role ("Ivy Ives (ivy@acmewidgets.com): Invited as an internal
        user (Member); …")."""
        pf = create_portal(db, name="Acme Widgets", owner_email="olive@acmewidgets.com")
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        people = f"/p/{pf.slug}/workspaces/{ws['id']}/people"
        r = client.post(people, data={"csrf_token": csrf_of(page.text), "q": "tom@acmewidgets.com"})
        assert _report(r) == (
            "1 invited. tom@acmewidgets.com: Invited as a client; they join this workspace when they accept."
            " Their address is at acmewidgets.com, your company's domain: if they work with you, revoke"
            " this invitation in User Management and invite them as an internal user."
        )
        # Many at once: the report (which crosses the redirect in a cookie) is still said whole.
        many = ", ".join(f"colleague.number{i}@acmewidgets.com" for i in range(16))
        r = client.post(people, data={"csrf_token": csrf_of(r.text), "q": many})
        said = _report(r)
        assert said.startswith("16 invited.") and said.endswith("… and 1 more."), said
        assert said.count("your company's domain") == 15, said
        new = {"name": "Ivy Ives", "recipient": "ivy@acmewidgets.com", "user_type": "internal"}
        r = client.post(people, data={"csrf_token": csrf_of(r.text), **new})
        assert _report(r) == (
            "1 invited. Ivy Ives (ivy@acmewidgets.com): Invited as an internal user (Member); they join"
            " this workspace when they accept."
        )

    def test_a_long_report_is_shortened_to_fit_not_dropped(self, client, db, worker):
        """Fifteen long addresses refused: the report (a cookie of ~3.5 KB across the redirect)
        was dropped whole and the panel said nothing. It is shortened, "… and N more" counting
        the rest."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        bad = [f"{'b' * 100}.{i}@@example.com" for i in range(15)]
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/people",
            data={"csrf_token": csrf_of(page.text), "recipients": bad},
        )
        said = _report(r)
        assert said.startswith("0 invited · 15 skipped"), said
        more = re.search(r"… and (\d+) more\.$", said)
        assert said.count("@@example.com") + (int(more.group(1)) if more else 0) == 15, said

    def test_addresses_made_chips_go_with_the_people_picked(self, client, db, worker):
        """The Invite panel's chips for addresses (Enter, comma or semicolon in the search box:
        ``recipients``) go with the people picked: Ada added, each new address invited as a
        client, a bad one said in the report with its reason, not refusing the others."""
        pf = create_portal(db)
        ada = joined(db, worker, client, pf, "ada@acme.com")
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/people",
            data={
                "csrf_token": csrf_of(page.text),
                "user_ids": [ada.user_id],
                "recipients": ["zoe@clientco.com", "+1 202 555 0173", "bad@"],
            },
        )
        said = _report(r)
        assert r.status_code == 200 and said.startswith("1 added · 2 invited · 1 skipped"), said
        assert "zoe@clientco.com: Invited as a client" in said
        assert "+1 202-555-0173: Invited as a client" in said, said
        assert re.search(r'data-code="invalid_recipient"><strong>bad@</strong>: \S', r.text), said
        statuses = dict(re.findall(r'<tr data-address="([^"]+)">.*?data-status[^>]*>([^<]+)<', r.text, re.S))
        assert statuses == {
            "ada@acme.com": "Joined",
            "zoe@clientco.com": "Not Joined",
            "+12025550173": "Not Joined",
        }

    def test_address_chips_carried_to_a_new_internal_user_stay_clients(self, client, db, worker):
        """Invite New Internal User with address chips made before it (carried along, as the
        people picked are): the new person is invited as an internal user, the chips' addresses
        as clients, as their chips said (they were invited as internal users too)."""
        pf = create_portal(db, name="Acme Widgets", owner_email="olive@acmewidgets.com")
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        data = {
            "csrf_token": csrf_of(page.text),
            "name": "Ted Teammate",
            "recipient": "ted@acmewidgets.com",
            "user_type": "internal",
            "recipients": ["una@clientco.com"],
        }
        r = client.post(f"/p/{pf.slug}/workspaces/{ws['id']}/people", data=data)
        said = _report(r)
        assert "Ted Teammate (ted@acmewidgets.com): Invited as an internal user (Member)" in said, said
        assert "una@clientco.com: Invited as a client" in said, said

    def test_a_name_typed_and_not_picked_is_kept_with_the_way_forward(self, client, db, worker):
        """Not an address and nothing picked: refused under the search box, what was typed kept,
        "No matches found" with Invite New Client shown; nothing written."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/people", data={"csrf_token": csrf_of(page.text), "q": "Nora"}
        )
        assert r.status_code == 422
        said = said_under(r.text, "invite-q")
        assert "Nora" in said and "Invite New Client" in said, said
        assert re.search(r'<input id="invite-q" name="q"[^>]*value="Nora"', r.text), r.text
        assert re.search(r"<div data-no-matches>", r.text)  # shown, not hidden
        assert re.search(r'<dialog id="invite-panel"[^>]*data-autopen', r.text)
        assert (
            client.get(api(pf, f"/workspaces/{ws['id']}/members"), headers=pf.headers()).json()["items"] == []
        )

    def test_people_picked_stay_picked_when_the_invite_is_refused(self, client, db, worker):
        """A refused Invite keeps the people picked from the suggestions as chips (each with its
        hidden ``user_ids`` and its × Remove), beside what was typed: only what was refused needs
        fixing. They were lost, and had to be searched for and picked again."""
        pf = create_portal(db)
        ivy = joined(db, worker, client, pf, "ivy@acme.com")  # named "ivy" on accepting
        max_ = joined(db, worker, client, pf, "max@acme.com")
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        people = f"/p/{pf.slug}/workspaces/{ws['id']}/people"
        picked = {"csrf_token": csrf_of(page.text), "user_ids": [ivy.user_id, max_.user_id]}

        def chips(text: str) -> list[tuple[str, str]]:
            box = re.search(r'<div class="chips" data-picked>(.*?)</div>', text, re.S).group(1)
            found = re.findall(r'data-chip="([^"]*)".*?name="user_ids" value="([^"]+)"', box, re.S)
            assert box.count("data-chip-remove") == len(found), box
            return [(html.unescape(label), user_id) for label, user_id in found]

        r = client.post(people, data={**picked, "q": "Nora"})  # the search's text: no one, no address
        assert r.status_code == 422
        assert chips(r.text) == [("ivy", str(ivy.user_id)), ("max", str(max_.user_id))]
        # Refused from the new person's form (a team gone meanwhile): the picked go along again, said so.
        gone = f"team:{uuid.uuid4()}"
        new = {"recipient": "nora@home.net", "user_type": "client", "team": gone}
        r = client.post(people, data={**picked, **new})
        assert r.status_code in (404, 422), r.status_code
        assert chips(r.text) == [("ivy", str(ivy.user_id)), ("max", str(max_.user_id))]
        assert re.search(r"<p class=\"hint\" data-also>Also invited: ivy, max.</p>", r.text), r.text
        members = client.get(api(pf, f"/workspaces/{ws['id']}/members"), headers=pf.headers())
        assert members.json()["items"] == []
        # Nobody from elsewhere is shown by a posted id: the chips are this portal's people only.
        other = create_portal(db, name="Other Co", owner_email="boss@other.com")
        stranger = joined(db, worker, client, other, "sam@other.com")
        r = client.post(people, data={**picked, "user_ids": [stranger.user_id], "q": "Nora"})
        assert chips(r.text) == [] and "sam@other.com" not in r.text

    def test_someone_already_invited_typed_as_new_is_put_in_not_refused(self, client, db, worker):
        """Invite New Client for someone with a pending portal invitation: Not Joined here on it,
        said as already invited (nothing new sent), not refused."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@client.org"], user_type="client")
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/people",
            data={"csrf_token": csrf_of(page.text), "recipient": "cleo@client.org", "user_type": "client"},
        )
        assert "0 invited · 1 put in on the invitation they have." in r.text, _text(r)[:2000]
        assert "nothing new was sent" in _text(r)
        assert 'data-code="already_invited"' in r.text
        assert re.search(r'<tr data-address="cleo@client.org">.*?Not Joined', r.text, re.S)

    def test_remove_from_the_members_panel(self, client, db, worker):
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], recipients=["cleo@client.org"])
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        assert "data-remove" in page.text
        cleo = _user_id(page.text, "cleo@client.org")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/members/{cleo}/remove",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert "cleo@client.org was removed from this workspace." in _text(r)
        assert 'data-address="cleo@client.org"' not in r.text

    def test_a_member_sees_remove_only_where_she_may_remove(self, client, db, worker):
        """An internal member's Members panel offers Remove on clients, internal members and
        herself, not on the portal's owners and admins; a post for the owner anyway is refused
        with the reason (the error page, as every refusal of what one may not do), the owner still
        there."""
        pf = create_portal(db)
        mel = joined(db, worker, client, pf, "mel@acme.com")
        ada = joined(db, worker, client, pf, "ada@acme.com", role="admin")
        ivy = joined(db, worker, client, pf, "ivy@acme.com")
        ws = create_workspace(client, pf)
        owner = client.get(
            api(pf, "/people/suggestions"), params={"q": pf.owner_email}, headers=pf.headers()
        ).json()["items"][0]["user"]["id"]
        add(client, pf, ws["id"], user_ids=[mel.user_id, ada.user_id, ivy.user_id, owner])
        add(client, pf, ws["id"], recipients=["cleo@client.org"])
        sign_in_page(client, "mel@acme.com", PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")

        def row(address: str) -> str:
            return re.search(rf'<tr data-address="{re.escape(address)}">(.*?)</tr>', page.text, re.S).group(1)

        for address in ("cleo@client.org", "ivy@acme.com", "mel@acme.com"):
            assert "data-remove" in row(address), address
        for address in (pf.owner_email, "ada@acme.com"):
            assert "data-remove" not in row(address), address
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/members/{owner}/remove",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 403 and "Only owners and admins can remove" in _text(r), _text(r)[:3000]
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        assert f'data-address="{pf.owner_email}"' in page.text

    def test_notices_name_a_person_by_name_then_address(self, client, db, worker):
        """A notice names someone whose name is known by it, their address after it (the one
        acting sees addresses): Resend Invitation and Remove in the Members panel, a contact's
        Invite in Contacts. Someone with no name known is named by their address."""
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], recipients=["Nora Newby <nora@homebase.net>", "cleo@client.org"])
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        nora = _user_id(page.text, "nora@homebase.net")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/members/{nora}/resend",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert "Invitation resent to Nora Newby (nora@homebase.net)." in _text(r), _text(r)[:3000]
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/members/{nora}/remove", data={"csrf_token": csrf_of(r.text)}
        )
        assert "Nora Newby (nora@homebase.net) was removed from this workspace." in _text(r)
        cleo = _user_id(r.text, "cleo@client.org")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/members/{cleo}/remove", data={"csrf_token": csrf_of(r.text)}
        )
        assert "cleo@client.org was removed from this workspace." in _text(r)

        quinn = client.post(
            api(pf, "/contacts"),
            json={"recipient": "quiet@home.net", "name": "Quinn Quiet", "then": "quietly"},
            headers=pf.headers(),
        ).json()["contact"]
        page = client.get(f"/p/{pf.slug}/contacts")
        r = client.post(
            f"/p/{pf.slug}/contacts/{quinn['id']}/invite", data={"csrf_token": csrf_of(page.text)}
        )
        assert "Quinn Quiet (quiet@home.net): " in _text(r), _text(r)[:3000]

    def test_resend_invitation_from_the_members_panel(self, client, db, worker):
        """Not Joined → Resend Invitation sends one new email and kills the old link; a client
        group's row resends to its not-joined people."""
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], recipients=["cleo@client.org"])
        group = client.post(
            api(pf, "/client-groups"),
            json={"name": "Smiths", "recipients": ["sam@smith.org"]},
            headers=pf.headers(),
        ).json()["team"]
        add(client, pf, ws["id"], group_ids=[group["id"]])
        worker.drain()
        old = last_link(db, "cleo@client.org")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        assert "Resend Invitation" in page.text and 'data-team="Smiths"' in page.text

        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/members/{_user_id(page.text, 'cleo@client.org')}/resend",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert "Invitation resent to cleo@client.org." in r.text
        worker.drain()
        assert mail_count(db, "cleo@client.org") == 2
        assert last_link(db, "cleo@client.org") != old
        assert client.get(f"/invite/{old}").status_code in (404, 410)

        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/groups/{group['id']}/resend",
            data={"csrf_token": csrf_of(r.text)},
        )
        assert "Invitation resent to 1 person." in r.text
        worker.drain()
        assert mail_count(db, "sam@smith.org") == 2

    def test_a_resend_refused_by_the_per_person_limit_says_why_in_the_panel(
        self, client, db, worker, rate_limits
    ):
        """Resend within a minute of the last message: back on the workspace, its Members panel
        saying why and when to try again; nothing sent (not an error page out of the portal)."""
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], recipients=["cleo@client.org"])
        worker.drain()
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/members/{_user_id(page.text, 'cleo@client.org')}/resend",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 200, r.status_code
        assert 'class="panel-note error"' in r.text and "Nothing was sent:" in _text(r)
        assert str(r.url).split("#")[0].endswith(f"/p/{pf.slug}/workspaces/{ws['id']}"), r.url
        worker.drain()
        assert mail_count(db, "cleo@client.org") == 1

    def test_resend_invitation_is_greyed_out_while_the_limit_would_refuse_it(
        self, client, db, worker, rate_limits
    ):  # noqa: ARG002
        """Within a minute of Cleo's invitation, her Resend Invitation (which that refuses, above)
        comes greyed out with the seconds left (``data-wait``, counted down by admit.js); Ned's,
        sent nothing a minute since, is offered; and Cleo's too once the minute is over."""
        pf = create_portal(db)
        ws = create_workspace(client, pf)
        add(client, pf, ws["id"], recipients=["ned@client.org"])
        worker.drain()
        button = r'<button class="btn small" type="submit" aria-label="Resend Invitation to {}"([^>]*)>'
        with clock.travel(timedelta(seconds=50)):
            add(client, pf, ws["id"], recipients=["cleo@client.org"])
        with clock.travel(timedelta(seconds=70)):
            page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
            cleo = re.search(button.format("cleo@client.org"), page.text)
            ned = re.search(button.format("ned@client.org"), page.text)
            assert cleo and ned, page.text[:2000]
            waiting = re.fullmatch(r' aria-disabled="true" data-wait="(\d+)"', cleo.group(1))
            assert waiting and 35 <= int(waiting.group(1)) <= 41, cleo.group(0)
            assert ned.group(1) == "", ned.group(0)
        with clock.travel(timedelta(seconds=111)):
            page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
            cleo = re.search(button.format("cleo@client.org"), page.text)
            assert cleo and cleo.group(1) == "", cleo.group(0) if cleo else page.text[:2000]

    def test_someone_already_invited_to_the_portal_is_put_in_without_an_error(self, client, db):
        """A workspace's Invite of someone whose portal invitation stands: they are put in the
        workspace on it (nothing new sent), said as done, not in an error's colours."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Kitchen")
        client.post(
            api(pf, "/invitations"),
            json={"recipients": ["ivy@home.net"], "user_type": "client"},
            headers=pf.headers(),
        )
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        data = {"csrf_token": csrf_of(page.text), "recipient": "ivy@home.net", "user_type": "client"}
        r = client.post(f"/p/{pf.slug}/workspaces/{ws['id']}/people", data=data)
        report = re.search(r'<div class="notice[^"]*" role="status" data-report>', r.text)
        assert report and "error" not in report.group(0), r.text
        assert "0 invited · 1 put in on the invitation they have." in r.text

    def test_a_rows_resend_sends_to_the_others_and_names_the_one_held_back(
        self, client, db, worker, rate_limits
    ):
        """A group's row where one person was sent a message a moment ago: the others get their
        new link, and the panel says who was not sent one, why and when to try again (once),
        naming them as notices do, "Name (address)" (it said the bare address)."""
        from datetime import timedelta

        from admit.kit import clock

        pf = create_portal(db)
        ws = create_workspace(client, pf)
        body = {"name": "Smiths", "recipients": ["Sam Smith <sam@smith.org>", "sue@smith.org"]}
        group = client.post(api(pf, "/client-groups"), json=body, headers=pf.headers()).json()["team"]
        add(client, pf, ws["id"], group_ids=[group["id"]])
        worker.drain()  # the first invitations go out (a resend cancels one still queued)
        with clock.travel(timedelta(minutes=5)):
            page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
            w = f"/p/{pf.slug}/workspaces/{ws['id']}"
            csrf = {"csrf_token": csrf_of(page.text)}
            client.post(f"{w}/members/{_user_id(page.text, 'sam@smith.org')}/resend", data=csrf)
            r = client.post(f"{w}/groups/{group['id']}/resend", data=csrf)
            worker.drain()
        said = (
            "Invitation resent to 1 person. Not sent: Sam Smith (sam@smith.org) was sent a message less"
            " than a minute"
        )
        assert _text(r).count(said) == 1, _text(r)
        assert (mail_count(db, "sam@smith.org"), mail_count(db, "sue@smith.org")) == (2, 2)

    def test_a_client_sees_only_their_workspace_and_no_controls(self, client, db, worker):
        """A client's home lists only the workspace they were invited to; its page has no
        Invite, Assign, Add action or Resend; another workspace is 404; the workspaces list
        redirects home, Contacts says "Not allowed"."""
        pf = create_portal(db)
        mine = create_workspace(client, pf, "Kitchen remodel", kind="flow", roles=["Client signer"])
        create_workspace(client, pf, "Secret deal")
        other = create_workspace(client, pf, "Other client")
        _client_joins(client, db, worker, pf, mine["id"], "cleo@client.org")

        home = client.get(f"/p/{pf.slug}")
        assert re.findall(r'<tr data-workspace="([^"]+)">', home.text) == ["Kitchen remodel"]
        page = client.get(f"/p/{pf.slug}/workspaces/{mine['id']}")
        assert page.status_code == 200 and "Kitchen remodel" in page.text
        for control in (
            'id="invite-panel"',
            ">Invite</button>",
            ">Assign</button>",
            "Add action",
            "Resend Invitation",
            "Invite New Client",
            "Create workspace",
            'href="/p/' + pf.slug + '/contacts"',
        ):
            assert control not in page.text, control
        assert client.get(f"/p/{pf.slug}/workspaces/{other['id']}").status_code == 404
        # Their workspaces are listed on their own page; Contacts is not for them (403, as User
        # Management: tests/test_staff_pages.py).
        r = client.get(f"/p/{pf.slug}/workspaces", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/p/{pf.slug}"
        assert client.get(f"/p/{pf.slug}/contacts", follow_redirects=False).status_code == 403
        refused = client.post(
            f"/p/{pf.slug}/workspaces", data={"csrf_token": csrf_of(page.text), "name": "Mine now"}
        )
        assert refused.status_code == 403

    def test_a_client_sees_people_they_cannot_tell_apart_as_one_line(self, client, db, worker):
        """A client sees the others by name only (``policy.sees_addresses_of``), so two invited
        with no name were two identical "? Invited guest" rows: they are one line, "2 invited
        guests"; Nina, named, keeps her row. The counts are people, from the states the rows
        carry: a client tells Joined and Invited apart only (``policy.member_states_seen``), so
        a lapsed invitation is Invited to her (Invited 3) and Expired to the owner (Invited 2,
        Expired 1), on purpose."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Kitchen remodel")
        guests = ["g1@guests.org", "g2@guests.org"]
        add(client, pf, ws["id"], recipients=[*guests, "Nina Named <nina@guests.org>"], user_type="client")
        with db.unit_of_work() as session:
            session.execute(
                update(Invitation)
                .where(Invitation.recipient == "g2@guests.org")
                .values(expires_at=clock.now() - timedelta(days=1))
            )
        _client_joins(client, db, worker, pf, ws["id"], "cleo@client.org")

        def seen(page) -> tuple[list[str], dict[str, str]]:
            table = page.split('id="workspace-members"')[1].split("</table>")[0]
            rows = re.findall(r"<strong>([^<]*)</strong>", table)
            pill = r'data-state-filter="(\w+)"[^>]*>[^<]*<span class="count">(\d+)</span>'
            counts = dict(re.findall(pill, page))
            return rows, counts

        rows, counts = seen(_text(client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")))
        assert rows == ["Cleo", "2 invited guests", "Nina Named"], rows
        assert counts == {"all": "4", "joined": "1", "invited": "3"}, counts
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text
        assert 'data-state="invited" data-find="" data-people="2"' in page
        owner = _text(_owner_page(client, pf, f"/workspaces/{ws['id']}"))
        _rows, counts = seen(owner)
        assert owner.count("<td data-member ") == 4 and "Invited guest" not in owner  # each by address
        assert counts == {"all": "4", "joined": "1", "invited": "2", "expired": "1", "deactivated": "0"}

    def test_an_avatar_is_the_same_for_staff_and_clients(self, client, db, worker):
        """Everyone sees one avatar a person: the initials of their name as the portal shows it
        ("Cleo" → C), "?" for someone with no name yet (the client saw "?" for Nora, invited by
        address, where staff saw "N": her address's first letter, which clients are not shown)."""
        pf = create_portal(db)
        ws = _signer_workspace(client, pf, "Kitchen remodel", "nora@homebase.net")
        _client_joins(client, db, worker, pf, ws["id"], "cleo@client.org")
        seen_by_cleo = _avatars(client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text)
        staff = _avatars(_owner_page(client, pf, f"/workspaces/{ws['id']}").text)
        assert seen_by_cleo == staff, (seen_by_cleo, staff)
        assert staff["role"] == "?" and sorted(staff["rows"]) == ["?", "C"], staff

    def test_a_person_with_no_name_sees_their_own_initial(self, client, db, worker):
        """Her own avatar is hers to read: a client who joined with no name sees the first letter
        of her own address (Z for zed@…), where she saw "?"; everyone else still sees "?" for her
        (clients are not shown others' addresses)."""
        pf = create_portal(db)
        ws = _signer_workspace(client, pf, "Solo", "zed@clientco.com")
        worker.drain()
        token = last_link(db, "zed@clientco.com")
        page = client.get(f"/invite/{token}")
        r = client.post(f"/invite/{token}", data={"csrf_token": csrf_of(page.text), "name": ""})
        assert r.status_code == 200 and "You joined as a client." in r.text, r.text
        mine = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text
        # Her way back to her workspaces, as internal users have All workspaces (it was only
        # the brand's name).
        assert f'<a class="crumb" href="http://testserver/p/{pf.slug}">Your workspaces</a>' in mine, mine
        assert _avatars(mine) == {"role": "Z", "stack": ["Z"], "rows": ["Z"]}, _avatars(mine)
        # A mention finds people by name: with none, she is told how to be found (the tester
        # typed "@zo" and was offered no one).
        unnamed = re.search(r'<p class="hint" data-unnamed>(.*?)</p>', mine)
        assert unnamed and 'href="http://testserver/me/account"' in unnamed.group(1), unnamed
        assert "data-unnamed" not in _owner_page(client, pf, f"/workspaces/{ws['id']}").text
        staff = _avatars(_owner_page(client, pf, f"/workspaces/{ws['id']}").text)
        assert staff == {"role": "?", "stack": ["?"], "rows": ["?"]}, staff


def test_readable_phone_filter():
    """E.164 numbers are shown in the international format; anything else passes through."""
    assert readable_phone("+12025550173") == "+1 202-555-0173"
    assert readable_phone("+442079460958") == "+44 20 7946 0958"
    for unchanged in ("ada@example.com", None, "", "+1", "+not-a-number"):
        assert readable_phone(unchanged) == unchanged
    render = templates.env.from_string("{{ a|phone }} / {{ b|phone }}").render
    assert render(a="+12025550173", b="ada@example.com") == "+1 202-555-0173 / ada@example.com"


class TestMembersPanelAndRoles:
    def test_members_panel_shows_phones_readable_and_roles_their_history(self, client, db, worker):
        """The Members (N) button opens the right-side panel (inline without JS); a phone is shown
        as "+1 202-555-0173" while data-address stays E.164; each role lists its last 3 holders."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Q3 Audit", kind="flow", roles=["Reviewer"])
        add(client, pf, ws["id"], recipients=["+1 202 555 0173", "a@client.org", "b@client.org"])
        role = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"][0]
        for who in ("a@client.org", "b@client.org", "+12025550173", "a@client.org"):
            r = client.post(
                api(pf, f"/workspaces/{ws['id']}/roles/{role['id']}/assign"),
                json={"recipient": who},
                headers=pf.headers(),
            )
            assert r.status_code == 200, r.text
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        text = _text(page)
        assert 'data-open="members-panel"' in page.text and "Members (3)" in text
        assert '<dialog id="members-panel" class="side"' in page.text and "<noscript>" in page.text
        row = re.search(r'<tr data-address="\+12025550173">(.*?)</tr>', page.text, re.S).group(1)
        assert "+1 202-555-0173" in html.unescape(row) and "Not Joined" in row
        # Nowhere on the page is a number shown as stored: the Add action's "For" list neither
        # (a tester saw "+12025550199" there, "+1 202-555-0199" everywhere else).
        assert not re.search(r">\s*\+12025550173\s*<", page.text), "E.164 shown on the workspace page"
        assert re.search(r'<option value="user:[^"]+">\+1 202-555-0173</option>', page.text)

        chip = re.search(r'data-role="Reviewer">(.*?)</div>', page.text, re.S).group(1)
        history = re.findall(r"<li>(.*?) · ", re.search(r"data-role-history.*?</ul>", chip, re.S).group(0))
        assert history == ["a@client.org", "+1 202-555-0173", "b@client.org"]  # newest first, 3 of 4
        assert "since" in chip and "and 1 earlier" in chip

        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws['id']}/members/{_user_id(page.text, '+12025550173')}/resend",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert "Invitation resent to +1 202-555-0173." in _text(r)
        assert re.search(r'<dialog id="members-panel"[^>]*data-autopen', r.text)  # reopens there
        client.post(
            f"/p/{pf.slug}/contacts",
            data={"csrf_token": csrf_of(r.text), "recipient": "+1 202 555 0173", "then": "quietly"},
        )
        for path in ("/contacts", "/users?tab=clients"):
            listed = client.get(f"/p/{pf.slug}{path}").text
            assert 'data-address="+12025550173"' in listed, path
            assert ">+1 202-555-0173</td>" in listed and ">+12025550173</td>" not in listed, path


def _user_id(page_text: str, address: str) -> str:
    row = re.search(rf'<tr data-address="{re.escape(address)}">(.*?)</tr>', page_text, re.S).group(1)
    return re.search(r"/members/([0-9a-f-]{36})/resend", row).group(1)


def _group_into_a_new_workspace(client, pf, workspace: str, group: str, recipients: str):
    """A new workspace, then Contacts → Invite a client group → Add to Workspace into it, as the
    owner: ``(workspace, the page it answers)``."""
    ws = create_workspace(client, pf, workspace)
    page = _owner_page(client, pf, "/contacts")
    answer = client.post(
        f"/p/{pf.slug}/client-groups",
        data={
            "csrf_token": csrf_of(page.text),
            "name": group,
            "recipients": recipients,
            "then": "workspace",
            "workspace_id": ws["id"],
        },
    )
    return ws, answer


class TestContactsPage:
    def test_a_bad_address_is_named_in_the_error(self, client, db, worker):
        pf = create_portal(db)
        page = _owner_page(client, pf, "/contacts")
        r = client.post(
            f"/p/{pf.slug}/contacts",
            data={"csrf_token": csrf_of(page.text), "recipient": "not-an-email", "then": "quietly"},
            follow_redirects=True,
        )
        # Said under the field, the dialog open again on what was typed.
        assert r.status_code == 422
        assert said_under(r.text, "c-client-recipient") == "An email address must have an @-sign."
        assert 'value="not-an-email" aria-invalid="true" autofocus' in r.text
        assert re.search(r'<dialog id="contact-client"[^>]*data-autopen', r.text)

    def test_a_user_type_that_is_not_one_is_said_as_everywhere(self, client, db):
        """A forged user type: refused in the words every face uses (policy.user_type_of), where
        Contacts and the Members panel's Add said "user_type must be client or internal."."""
        pf = create_portal(db)
        page = _owner_page(client, pf, "/contacts")
        r = client.post(
            f"/p/{pf.slug}/contacts",
            data={"csrf_token": csrf_of(page.text), "recipient": "q@client.org", "user_type": "boss",
                  "then": "quietly"},
        )  # fmt: skip
        assert r.status_code == 422 and "The user type must be internal or client." in r.text

    def test_three_endings_and_invite_later(self, client, db, worker):
        """Add to Contacts Quietly sends nothing (the dev mailbox is empty); Invite sends one;
        Add to Contacts invites; Add to Workspace makes a new workspace and invites into it."""
        pf = create_portal(db)
        page = _owner_page(client, pf, "/contacts")
        assert page.status_code == 200
        for words in ("Invite a client", "Invite an internal user", "Invite a client group", "Next"):
            assert words in page.text
        for ending in ("Add to Workspace", "Add to Contacts", "Add to Contacts Quietly"):
            assert f">{ending}</button>" in page.text
        csrf = csrf_of(page.text)
        add_contact = f"/p/{pf.slug}/contacts"

        r = client.post(
            add_contact,
            data={
                "csrf_token": csrf,
                "user_type": "client",
                "name": "Quinn",
                "recipient": "quinn@client.org",
                "then": "quietly",
            },
        )
        assert "Added to your contacts. Nothing was sent." in _text(r)
        row = re.search(r'<tr data-address="quinn@client.org">(.*?)</tr>', r.text, re.S).group(1)
        assert "Not invited" in row and ">Invite</button>" in row
        worker.drain()
        assert mail_count(db, "quinn@client.org") == 0
        assert notifications_to(db, "quinn@client.org") == []

        invite = re.search(r'action="(?:https?://[^/"]+)?(/p/[^"]+/contacts/[^"]+/invite)"', row).group(1)
        r = client.post(invite, data={"csrf_token": csrf})
        assert "Quinn (quinn@client.org): Invitation sent." in _text(r)
        worker.drain()
        assert mail_count(db, "quinn@client.org") == 1
        row = re.search(r'<tr data-address="quinn@client.org">(.*?)</tr>', r.text, re.S).group(1)
        assert "Invited" in row and ">Invite</button>" not in row

        r = client.post(
            add_contact,
            data={
                "csrf_token": csrf,
                "user_type": "client",
                "recipient": "cara@client.org",
                "then": "contacts",
            },
        )
        assert "Invitation sent." in _text(r)
        r = client.post(
            add_contact,
            data={
                "csrf_token": csrf,
                "user_type": "client",
                "recipient": "wes@client.org",
                "then": "workspace",
                "workspace_name": "Wes onboarding",
            },
        )
        assert "wes@client.org was invited to “Wes onboarding”." in _text(r)
        r = client.post(
            add_contact,
            data={
                "csrf_token": csrf,
                "user_type": "client",
                "recipient": "x@client.org",
                "then": "workspace",
            },
        )
        assert "Choose a workspace, or name a new one." in _text(r)
        worker.drain()
        assert mail_count(db, "cara@client.org") == 1 and mail_count(db, "wes@client.org") == 1
        assert mail_count(db, "x@client.org") == 0
        ws = client.get(f"/p/{pf.slug}/workspaces")
        assert 'data-workspace="Wes onboarding"' in ws.text

    def test_client_group_into_a_workspace(self, client, db, worker):
        """Invite a client group → Next → Add to Workspace: the group is created, its people are
        invited, and its row in the workspace is Not Joined."""
        pf = create_portal(db)
        ws, r = _group_into_a_new_workspace(
            client, pf, "Smith estate", "Smiths", "sam@smith.org, sue@smith.org"
        )
        assert "Client group “Smiths” created and added to “Smith estate”: 2 invited." in _text(r)
        assert 'data-team="Smiths"' in r.text
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        row = re.search(r'<tr data-team="Smiths"[^>]*>(.*?)</tr>', page.text, re.S).group(1)
        assert "0 joined, 2 not joined" in row and "Not Joined" in row
        worker.drain()
        assert mail_count(db, "sam@smith.org") == 1

    def test_client_group_into_a_workspace_keeps_the_names_typed(self, client, db, worker):
        """The new-user tester's finding: Invite a client group with "Nora Newby
        <nora@lovelace.co>" → Add to Workspace kept no name (``recipient_name`` "", "Hello,", the
        Members panel showing only the address). The name typed goes onto her invitation, as
        "Create Client Group" and the API's paths do."""
        pf = create_portal(db)
        ws, r = _group_into_a_new_workspace(
            client, pf, "Q3 Audit", "Lovelace LLP", "Nora Newby <nora@lovelace.co>, gus@lovelace.co"
        )
        assert "created and added to “Q3 Audit”: 2 invited." in _text(r), _text(r)[:2000]
        listed = client.get(api(pf, "/invitations"), headers=pf.headers()).json()["items"]
        names = {i["recipient"]: i["recipient_name"] for i in listed}
        assert names == {"nora@lovelace.co": "Nora Newby", "gus@lovelace.co": ""}
        worker.drain()
        assert "Hello Nora Newby," in messages_to(db, "nora@lovelace.co")[0].text
        panel = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        assert "Nora Newby" in panel.text

    def test_client_group_refuses_an_internal_invitee_and_counts_everyone(self, client, db, worker):
        """The new-user tester's group: someone with a pending internal invitation is refused, in
        words, as a team refuses a client (nothing written); without her, each person has one
        result: two invited (each sent one message naming the workspace) and one already in it."""
        pf = create_portal(db)
        invite(db, pf, ["Amy Adams <amy@lovelace.dev>"], user_type="internal")
        joined(db, worker, client, pf, "nora@homebase.net", user_type="client")
        ws = create_workspace(client, pf, "Q3 Audit")
        add(client, pf, ws["id"], recipients=["nora@homebase.net"])
        worker.drain()
        page = _owner_page(client, pf, "/contacts")
        form = {
            "csrf_token": csrf_of(page.text),
            "name": "Lovelace LLP",
            "recipients": "g1@lovelace.dev, g2@lovelace.dev, nora@homebase.net, amy@lovelace.dev",
            "then": "workspace",
            "workspace_id": ws["id"],
        }
        r = client.post(f"/p/{pf.slug}/client-groups", data=form)
        said = said_under(r.text, "g-recipients")
        amy = "amy@lovelace.dev: Amy Adams is invited as an internal user; client groups hold clients"
        assert amy in said, said
        panel = client.get(api(pf, f"/workspaces/{ws['id']}/members"), headers=pf.headers()).json()
        assert [m["user"]["email"] for m in panel["items"]] == ["nora@homebase.net"]
        assert mail_count(db, "g1@lovelace.dev") == 0

        form["recipients"] = "g1@lovelace.dev, g2@lovelace.dev, nora@homebase.net"
        r = client.post(f"/p/{pf.slug}/client-groups", data=form)
        assert (
            "Client group “Lovelace LLP” created and added to “Q3 Audit”: 2 invited · 1 skipped: "
            "Lovelace LLP: nora@homebase.net: nora@homebase.net is already in this workspace."
        ) in _text(r), _text(r)[:3000]
        worker.drain()
        sent = [mail_count(db, a) for a in ("g1@lovelace.dev", "g2@lovelace.dev", "amy@lovelace.dev")]
        assert sent == [1, 1, 1]  # Amy: only her portal invitation
        assert "Q3 Audit" in messages_to(db, "g1@lovelace.dev")[0].text

    def test_members_get_no_internal_invite(self, client, db, worker):
        """An internal member (not an admin) has no "Invite an internal user" and no "Invite New
        Internal User"; asking anyway is refused."""
        pf = create_portal(db)
        joined(db, worker, client, pf, "mel@acme.com")
        sign_in_page(client, "mel@acme.com", "a-good-password-42")
        page = client.get(f"/p/{pf.slug}/contacts")
        assert "Invite a client" in page.text and "Invite an internal user" not in page.text
        # On a phone its tables are cards, each value under its label (the fifth tester: the
        # status and buttons were off the screen).
        assert '<table class="list stack" id="contacts">' in page.text
        assert '<table class="list stack" id="teams">' in page.text
        r = client.post(
            f"/p/{pf.slug}/contacts",
            data={
                "csrf_token": csrf_of(page.text),
                "user_type": "internal",
                "recipient": "i@acme.com",
                "then": "quietly",
            },
        )
        assert r.status_code == 403
        ws = client.post(f"/p/{pf.slug}/workspaces", data={"csrf_token": csrf_of(page.text), "name": "Mel's"})
        assert "Invite New Client" in ws.text and "Invite New Internal User" not in ws.text


class TestAddTeamMembersScreen:
    """Seed 000's Invite → Invite Internal Users → "Add Team Members to this Workspace": what it
    posts (``screen=team``, internal) comes back refused on that screen, said under its box."""

    def test_the_panel_offers_the_screen(self, client, db):
        """The Invite panel's first screen has Invite Internal Users; the screen asks for the
        internal user's email address."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        assert re.search(r"<button [^>]*data-team-open[^>]*>Invite Internal Users</button>", page.text)
        screen = page.text.split("data-team-form", 1)[1].split("</form>", 1)[0]
        assert "<h3>Add Team Members to this Workspace</h3>" in screen
        assert '<label for="team-q">Email address of the internal user</label>' in screen
        assert 'data-user-type="internal"' in screen and "Invite New Internal User" in screen

    def test_a_refusal_comes_back_on_the_screen(self, client, db, worker):
        """Text that is no address, typed on the screen and not picked: refused under the
        screen's box, kept there, the screen shown (the first screen hidden); nothing written."""
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Kitchen")
        page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
        data = {"csrf_token": csrf_of(page.text), "q": "Nora", "screen": "team", "user_type": "internal"}
        r = client.post(f"/p/{pf.slug}/workspaces/{ws['id']}/people", data=data)
        assert r.status_code == 422
        assert "Nora" in said_under(r.text, "team-q")
        assert re.search(r'<input id="team-q" name="q"[^>]*value="Nora"', r.text), r.text
        assert re.search(r"<form [^>]*data-pick-form hidden>", r.text)
        assert re.search(r"<form [^>]*data-team-form>", r.text)
        listed = client.get(api(pf, f"/workspaces/{ws['id']}/members"), headers=pf.headers())
        assert listed.json()["items"] == []

    def test_a_member_is_told_who_may_invite_new_internal_users(self, client, db, worker):
        """Seed 001: a member adds existing internal users only. Her screen has no Invite New
        Internal User but the policy's words; an address of no one posted from it is refused
        by the service, said under the screen's box; nothing is sent."""
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        sign_in_page(client, "mel@acme.com", PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces")
        r = client.post(
            f"/p/{pf.slug}/workspaces",
            data={"csrf_token": csrf_of(page.text), "name": "Mel's", "kind": "chat"},
        )
        ws_path = re.search(r"/p/[^/]+/workspaces/[0-9a-f-]{36}", str(r.url)).group(0)
        page = client.get(ws_path)
        screen = page.text.split("data-team-form", 1)[1].split("</form>", 1)[0]
        assert "Invite New Internal User" not in screen
        refused = (
            "Only owners and admins can invite internal users. Ask an owner or admin to invite them, "
            "then add them here."
        )
        assert refused in html.unescape(screen)
        data = {"csrf_token": csrf_of(page.text), "q": "nina@acme.com", "screen": "team"}
        data["user_type"] = "internal"
        r = client.post(f"{ws_path}/people", data=data)
        assert r.status_code == 403
        assert "Only owners and admins can invite internal users." in html.unescape(r.text)
        assert re.search(r"<form [^>]*data-team-form>", r.text)
        assert mail_count(db, "nina@acme.com") == 0


def test_an_empty_client_group_is_offered_disabled_saying_it_has_no_people(client, db, worker):
    """The tester: "Or add a whole team or client group" offered "Busy test", a client group of
    nobody, as if picking it added someone. It is listed (it exists: looking for it, one finds it)
    but disabled, "(no people)"; a group with people is offered as before."""
    from admit.teams import service as teams_service
    from admit.teams.models import CLIENT_GROUP
    from tests.factories import actor_for

    pf = create_portal(db)
    ws = create_workspace(client, pf, "Busy")
    smiths = {"name": "Smiths", "recipients": ["a@smith.net"]}
    client.post(api(pf, "/client-groups"), json=smiths, headers=pf.headers())
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, pf.owner_email)
        teams_service.create(session, actor, kind=CLIENT_GROUP, name="Busy test")
    page = _owner_page(client, pf, f"/workspaces/{ws['id']}")
    picker = re.search(r'<select id="invite-team".*?</select>', page.text, re.S).group(0)
    options = {
        html.unescape(re.sub(r"<[^>]+>", "", o.group(2))).strip(): "disabled" in o.group(1)
        for o in re.finditer(r"<option([^>]*)>(.*?)</option>", picker, re.S)
    }
    assert options == {"—": False, "Smiths": False, "Busy test (no people)": True}, options


def test_an_unassigned_role_offers_assigning_only_to_those_who_may(client, db, worker):
    """An unassigned flow role is a dashed "+" circle to those who may assign roles, and a plain
    empty one, nothing to click, to a client (``policy``: workspace roles), who cannot: a tester
    took the client's "+" for a button."""
    pf = create_portal(db)
    ws = create_workspace(client, pf, "Tax return", kind="flow", roles=["Client signer"])
    owner = _owner_page(client, pf, f"/workspaces/{ws['id']}")
    avatar = r'data-role="Client signer">\s*(<span class="avatar[^"]*"[^>]*>[^<]*<)'
    chip = re.search(avatar, owner.text).group(1)
    assert 'class="avatar empty"' in chip and ">+<" in chip, chip
    _client_joins(client, db, worker, pf, ws["id"], "cleo@client.org")
    seen = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text
    chip = re.search(avatar, seen).group(1)
    assert "empty" not in chip and ">+<" not in chip and "vacant" in chip, chip
    assert "Unassigned" in seen


def test_invite_members_lists_the_unassigned_roles_with_assign(client, db, worker):
    """Seed 001: "Select Members, then click on + Invite Members. If certain roles are unassigned,
    click Assign": the Invite panel lists each role nobody holds with an Assign for its card, to
    those who may assign roles; a held role is not listed, and a client sees no such list."""
    pf = create_portal(db)
    ws = create_workspace(client, pf, "Tax return", kind="flow", roles=["Client signer", "Preparer"])
    owner = _owner_page(client, pf, f"/workspaces/{ws['id']}")
    panel = re.search(r'<dialog id="invite-panel".*?</dialog>', owner.text, re.S).group(0)
    listed = re.search(r"<div class=\"unassigned-roles\" data-unassigned-roles>(.*?)</div>", panel, re.S)
    assert listed, "no unassigned roles in the Invite panel"
    names = re.findall(r"<li><span>([^<]+)</span>", listed.group(1))
    assert names == ["Client signer", "Preparer"], names
    cards = set(re.findall(r'data-toggle="(assign-[^"]+)"', listed.group(1)))
    assert cards and all(f'id="{card}"' in owner.text for card in cards), cards
    _client_joins(client, db, worker, pf, ws["id"], "cleo@client.org")
    seen = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}").text
    assert "Unassigned" in seen and "data-unassigned-roles" not in seen, "the client may not assign"
    roles = client.get(api(pf, f"/workspaces/{ws['id']}/roles"), headers=pf.headers()).json()["items"]
    signer = next(r["id"] for r in roles if r["name"] == "Client signer")
    r = client.post(
        api(pf, f"/workspaces/{ws['id']}/roles/{signer}/assign"),
        json={"user_id": user_id_of(client, pf, "cleo@client.org")},
        headers=pf.headers(),
    )
    assert r.status_code == 200, r.text
    owner = _owner_page(client, pf, f"/workspaces/{ws['id']}")
    listed = re.search(r"data-unassigned-roles>(.*?)</div>", owner.text, re.S).group(1)
    assert re.findall(r"<li><span>([^<]+)</span>", listed) == ["Preparer"]
