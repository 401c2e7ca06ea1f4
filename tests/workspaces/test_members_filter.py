"""A large workspace's Members panel, through the real app on both backends: found by name or
address and by state (Joined / Invited / Expired / Deactivated) with a plain GET the server
answers (the page's script filters the same rows as you type: tests/browser/test_members_panel_e2e.py),
counts per state, what a client may find, and Resend all expired with its confirmation."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from admit.kit import clock
from admit.people.workspace import fold
from tests.factories import OWNER_PASSWORD, csrf_of, sign_in_page
from tests.workspaces.helpers import PASSWORD, add, api, create_portal, create_workspace, joined, mail_count


def _rows(text: str) -> dict[str, bool]:
    """The Members panel's rows: ``{what the search looks in: shown}``."""
    rows = re.findall(r"<tr([^>]*)>\s*<td data-member ([^>]*)>", text)
    return {
        html.unescape(re.search(r'data-find="([^"]*)"', td).group(1)): "hidden" not in tr for tr, td in rows
    }


# A row's tick for Resend to selected: (user id, whom it selects).
_TICK = r'name="user_ids" value="([^"]+)" form="resend-selected" aria-label="Select ([^"]+)"'


def _words(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _shown(text: str) -> list[str]:
    return sorted(find for find, shown in _rows(text).items() if shown)


def _counts(text: str) -> dict[str, str]:
    return dict(re.findall(r'data-state-filter="(\w+)"[^>]*>[^<]*<span class="count">(\d+)</span>', text))


def _workspace(client, db, worker):
    """A workspace (made with the API key: no one in it yet) with Ann (joined), Bob and Zoë
    (invited: expired once the clock is 30 days on) and Dan (joined, then deactivated)."""
    pf = create_portal(db)
    ann = joined(db, worker, client, pf, "ann@x.org", user_type="client")
    dan = joined(db, worker, client, pf, "dan@x.org", user_type="client")
    ws = create_workspace(client, pf, "Estate")
    add(client, pf, ws["id"], user_ids=[ann.user_id, dan.user_id])
    add(client, pf, ws["id"], recipients=["bob@x.org", "Zoë Zed <zoe@x.org>"])
    items = client.get(api(pf, "/members"), headers=pf.headers()).json()["items"]
    dan_member = next(m["id"] for m in items if m["user"]["email"] == "dan@x.org")
    assert client.post(api(pf, f"/members/{dan_member}/deactivate"), headers=pf.headers()).status_code == 200
    worker.drain()
    return pf, ws


class TestMembersFilter:
    def test_found_by_name_address_and_state_with_counts(self, client, db, worker):
        """?state=expired shows only those whose invitation lapsed; ?q= finds by name or address,
        accents and case aside; each state's count is of what the search matched."""
        pf, ws = _workspace(client, db, worker)
        with clock.travel(timedelta(days=30)):
            add(client, pf, ws["id"], recipients=["cat@x.org"])
            sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
            page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
            assert len(_shown(page.text)) == 5 and 'id="members-q"' in page.text
            assert _counts(page.text) == {
                "all": "5", "joined": "1", "invited": "1", "expired": "2", "deactivated": "1"
            }  # fmt: skip
            expired = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}", params={"state": "expired"})
            assert _shown(expired.text) == ["bob@x.org", "zoe zed zoe@x.org"], _rows(expired.text)
            assert "data-autopen" in expired.text.split('id="members-panel"')[1][:200]
            found = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}", params={"q": "  ZOE "})
            assert _shown(found.text) == ["zoe zed zoe@x.org"]
            found = client.get(
                f"/p/{pf.slug}/workspaces/{ws['id']}", params={"q": "x.org", "state": "joined"}
            )
            assert _shown(found.text) == ["ann ann@x.org"], _rows(found.text)
            assert _counts(found.text)["all"] == "5"  # everyone has an x.org address
            none = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}", params={"q": "nobody"})
            assert _shown(none.text) == [] and "No one here matches “nobody”." in _words(none.text)

    def test_a_client_finds_by_name_only_and_the_states_they_see(self, client, db, worker):
        """A client's search looks in names (and their own address), never others' addresses;
        they filter by Joined and Invited only, and asking for Expired is refused naming the field."""
        pf, ws = _workspace(client, db, worker)
        sign_in_page(client, "ann@x.org", PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        assert page.status_code == 200, page.text[:300]
        assert "bob@x.org" not in page.text and "zoe@x.org" not in page.text
        assert set(_counts(page.text)) == {"all", "joined", "invited"}, _counts(page.text)
        found = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}", params={"q": "bob@x"})
        assert _shown(found.text) == []
        found = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}", params={"q": "zoe"})
        assert _shown(found.text) == ["zoe zed"]
        refused = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}", params={"state": "expired"})
        assert refused.status_code == 422 and "Choose a state: Joined or Invited." in refused.text

    def test_resend_all_expired_asks_first_then_counts_what_was_resent(self, client, db, worker):
        """Resend all expired (2): without the script, its link opens the question in the panel;
        confirming resends to those two through one Resend each and says so in the panel."""
        pf, ws = _workspace(client, db, worker)
        with clock.travel(timedelta(days=30)):
            sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
            page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
            assert "Resend all expired (2)" in page.text
            link = re.search(r'<a class="btn small" href="([^"]+)"\s+data-confirm-action', page.text).group(1)
            assert "confirm=resend_expired" in link
            filtered = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}", params={"state": "expired"})
            link = re.search(
                r'<a class="btn small" href="([^"]+)"\s+data-confirm-action', filtered.text
            ).group(1)
            ask = client.get(html.unescape(link))  # the filter is kept while asking, and after
            question = (
                "Resend the invitations of everyone in this workspace whose invitation expired (2 people,"
                " whatever the search shows)?"
            )
            assert question in html.unescape(ask.text)
            action = re.search(r'<form method="post" action="([^"]+)" data-resend-expired', ask.text).group(1)
            back = re.search(r'name="back" value="([^"]*)"', ask.text).group(1)
            r = client.post(
                html.unescape(action), data={"csrf_token": csrf_of(ask.text), "back": html.unescape(back)}
            )
            assert "Invitation resent to 2 people." in r.text, r.text[:500]
            assert str(r.url).endswith("?state=expired#members"), r.url
            assert _counts(r.text)["expired"] == "0"
            worker.drain()
        assert (mail_count(db, "bob@x.org"), mail_count(db, "zoe@x.org"), mail_count(db, "cat@x.org")) == (
            2,
            2,
            0,
        )

    def test_resend_to_selected_asks_first(self, client, db, worker):
        """Ticking two Not Joined people and Resend to selected asks first (nothing sent yet),
        naming how many; confirming resends to those two only."""
        pf, ws = _workspace(client, db, worker)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        ticks = dict(re.findall(_TICK, page.text))
        assert set(ticks.values()) == {"bob@x.org", "Zoë Zed"}, ticks  # the Not Joined ones
        action = re.search(r'<form id="resend-selected" method="post" action="([^"]+)"', page.text).group(1)
        picked = [u for u, who in ticks.items() if who == "bob@x.org"]
        with clock.travel(timedelta(minutes=5)):
            asked = {"csrf_token": csrf_of(page.text), "user_ids": picked}
            ask = client.post(html.unescape(action), data=asked)
            # Named, not only counted (the tester: "2 people selected" said nothing of whom).
            said = "Resend the invitation of the 1 person selected (bob@x.org)?"
            assert said in _words(ask.text), ask.text[:300]
            assert mail_count(db, "bob@x.org") == 1
            form = re.search(
                r'<form method="post" action="([^"]+)" data-resend-selected.*?</form>', ask.text, re.S
            )
            data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))
            r = client.post(html.unescape(form.group(1)), data={**data, "user_ids": picked})
            assert "Invitation resent to 1 person." in r.text, r.text[:300]
            # With no one ticked: said in the page's words (it was the API's "Choose the people
            # to resend to, or a state (expired).").
            none = client.post(html.unescape(action), data={"csrf_token": csrf_of(page.text)})
            assert "Tick the people to resend to first." in _words(none.text), none.text[:300]
            worker.drain()
        assert (mail_count(db, "bob@x.org"), mail_count(db, "zoe@x.org")) == (2, 1)

    def test_the_ticks_survive_the_question_and_its_cancel(self, client, db, worker):
        """The question of Resend to selected shows the rows asked about ticked; its Cancel comes
        back to the panel with them still ticked (it dropped them); and the Joined filter, where
        no one can be resent to, shows no Resend to selected (it showed the button)."""
        pf, ws = _workspace(client, db, worker)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}")
        ticks = dict(re.findall(_TICK, page.text))
        bob = next(u for u, who in ticks.items() if who == "bob@x.org")
        action = re.search(r'<form id="resend-selected" method="post" action="([^"]+)"', page.text).group(1)
        ask = client.post(html.unescape(action), data={"csrf_token": csrf_of(page.text), "user_ids": [bob]})
        assert _ticked(ask.text) == {"bob@x.org"}, ask.text[:300]
        form = re.search(r"<form [^>]*data-resend-selected.*?</form>", ask.text, re.S).group(0)
        cancel = re.search(r'<a class="btn small" href="([^"]+)">Cancel</a>', form).group(1)
        back = client.get(html.unescape(cancel))
        assert back.status_code == 200 and _ticked(back.text) == {"bob@x.org"}, html.unescape(cancel)
        assert "data-autopen" in back.text.split('id="members-panel"')[1][:200]
        assert "data-resend-selected" not in back.text  # asked no more
        assert not _resend_selected_hidden(page.text)
        joined_only = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}", params={"state": "joined"})
        assert _resend_selected_hidden(joined_only.text), joined_only.text[:300]
        invited = client.get(f"/p/{pf.slug}/workspaces/{ws['id']}", params={"state": "invited"})
        assert not _resend_selected_hidden(invited.text)

    def test_find_a_member_narrows_the_team_and_group_rows(self, client, db, worker):
        """With a search, a team's or client group's row shows when its name holds what was
        typed or one of its people is found, whoever brought them (it showed every row whatever
        was typed)."""
        pf, ws = _workspace(client, db, worker)
        groups = (("Smith family", ["b@smith.net"]), ("Jones family", ["c@jones.net", "ann@x.org"]))
        for name, people in groups:
            body = {"name": name, "recipients": people}
            group = client.post(api(pf, "/client-groups"), json=body, headers=pf.headers()).json()["team"]
            assert add(client, pf, ws["id"], group_ids=[group["id"]]).status_code == 201
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        url = f"/p/{pf.slug}/workspaces/{ws['id']}"
        assert _team_rows(client.get(url).text) == {"Smith family": True, "Jones family": True}
        assert _team_rows(client.get(url, params={"q": "smith"}).text) == {
            "Smith family": True,
            "Jones family": False,
        }
        by_person = client.get(url, params={"q": "c@jones"}).text
        assert _team_rows(by_person) == {"Smith family": False, "Jones family": True}
        # Ann was in the workspace before her group came: it is hers all the same.
        by_ann = client.get(url, params={"q": "ann"}).text
        assert _team_rows(by_ann) == {"Smith family": False, "Jones family": True}
        none = client.get(url, params={"q": "zoe"}).text
        assert _team_rows(none) == {"Smith family": False, "Jones family": False}
        assert re.search(r"<div [^>]*data-team-rows[^>]* hidden", none), "the heading goes with the rows"


def _ticked(text: str) -> set[str]:
    """Who is ticked for Resend to selected on a page."""
    ticks = re.findall(
        r'<input type="checkbox" name="user_ids" [^>]*aria-label="Select ([^"]+)"([^>]*)>', text
    )
    return {html.unescape(who) for who, rest in ticks if " checked" in rest}


def _team_rows(text: str) -> dict[str, bool]:
    """The panel's team and client-group rows: ``{name: shown}``."""
    rows = re.findall(r'<tr data-team="([^"]*)"([^>]*)>', text)
    return {html.unescape(name): " hidden" not in rest for name, rest in rows}


def _resend_selected_hidden(text: str) -> bool:
    """Whether Resend to selected is out of sight (its form hidden, or no form)."""
    form = re.search(r'<form id="resend-selected"[^>]*>', text)
    return form is None or " hidden" in form.group(0)


class TestMembersFilterApi:
    def test_the_api_filters_by_q_and_state_as_the_panel(self, client, db, worker):
        """GET …/members?state=expired&q=… answers what the panel shows, each item with its
        ``state`` and the page with ``counts``; a client may not ask for Expired (422 naming
        ``state``) and finds no one by another's address."""
        from tests.workspaces.helpers import session_headers

        pf, ws = _workspace(client, db, worker)
        url = api(pf, f"/workspaces/{ws['id']}/members")
        with clock.travel(timedelta(days=30)):
            r = client.get(url, params={"state": "expired"}, headers=pf.headers())
            assert r.status_code == 200, r.text
            assert [(m["user"]["email"], m["state"]) for m in r.json()["items"]] == [
                ("bob@x.org", "expired"),
                ("zoe@x.org", "expired"),
            ]
            r = client.get(url, params={"q": "zoe"}, headers=pf.headers())
            assert [m["user"]["email"] for m in r.json()["items"]] == ["zoe@x.org"]
            assert r.json()["counts"] == {"all": 1, "joined": 0, "invited": 0, "expired": 1, "deactivated": 0}
            r = client.get(url, params={"state": "gone"}, headers=pf.headers())
            assert r.status_code == 422 and r.json()["field"] == "state", r.text
        as_ann = session_headers(client, "ann@x.org")
        assert client.get(url, params={"q": "bob@x"}, headers=as_ann).json()["items"] == []
        refused = client.get(url, params={"state": "expired"}, headers=as_ann)
        assert refused.status_code == 422 and refused.json()["field"] == "state", refused.text

    def test_a_paged_first_page_counts_the_whole_workspace(self, client, db, worker):
        """``limit=1``: the first page's ``counts`` are the whole workspace's, as the panel's, with
        a search and without (without one, read without building every person's view)."""
        pf, ws = _workspace(client, db, worker)
        url = api(pf, f"/workspaces/{ws['id']}/members")
        with clock.travel(timedelta(days=30)):
            first = client.get(url, params={"limit": 1}, headers=pf.headers()).json()
            assert first["next_cursor"] and len(first["items"]) == 1
            assert first["counts"] == {"all": 4, "joined": 1, "invited": 0, "expired": 2, "deactivated": 1}
            searched = client.get(url, params={"limit": 1, "q": "zo"}, headers=pf.headers()).json()
            assert searched["counts"] == {"all": 1, "joined": 0, "invited": 0, "expired": 1, "deactivated": 0}
            later = client.get(url, params={"limit": 1, "cursor": first["next_cursor"]}, headers=pf.headers())
            assert later.json()["counts"] is None

    def test_resend_of_people_in_a_state_answers_for_each_asked(self, client, db, worker, rate_limits):
        """``{"state": "expired", "user_ids": [...]}``: one result per id asked for; one in the
        workspace but not expired is ``not_found`` "Not expired in this workspace." (it had none)."""
        pf, ws = _workspace(client, db, worker)
        items = client.get(api(pf, f"/workspaces/{ws['id']}/members"), headers=pf.headers()).json()["items"]
        ids = {m["user"]["email"]: m["user"]["id"] for m in items}
        with clock.travel(timedelta(days=30)):
            r = client.post(
                api(pf, f"/workspaces/{ws['id']}/invitations/resend"),
                json={"state": "expired", "user_ids": [ids["bob@x.org"], ids["ann@x.org"]]},
                headers=pf.headers(),
            )
        assert r.status_code == 200, r.text
        said = [(x["recipient"], x["outcome"], x.get("detail")) for x in r.json()["results"]]
        assert said[0][:2] == ("bob@x.org", "resent"), said
        assert said[1] == (ids["ann@x.org"], "skipped", "Not expired in this workspace."), said


def test_the_search_folds_as_the_pages_script():
    """Lower case as JavaScript's toLowerCase, accents dropped: "ß" stays "ß" (casefold made it
    "ss", so "Straße" typed hid a row the server found), a final sigma stays final."""
    assert fold("  Zoë   STRAẞE ") == "zoe straße"
    assert fold("ΣΊΣΥΦΟΣ") == "σισυφος"
