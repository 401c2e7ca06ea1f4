"""Server-rendered pages through the real app (no browser): setup, sign-in, CSRF, token pages.

The full click-through in Chromium lives in tests/browser/.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from admit.errors import InvalidInput
from admit.flows import members as members_flow
from admit.flows import setup
from admit.invitations import service as invitations_service
from admit.invitations.models import Invitation
from admit.members.models import Member, User
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    active_member,
    actor_for,
    create_portal,
    csrf_of,
    invite,
    last_link,
    login,
    member_joins,
    said_under,
    sign_in_page,
    writes_during,
)


class TestSetup:
    def test_first_visit_sets_up_once(self, client, db):
        """/ leads to setup on an empty install; after setup, setup is closed."""
        r = client.get("/", follow_redirects=False)
        assert r.headers["location"] == "/setup"
        page = client.get("/setup")
        assert "Set up your portal" in page.text
        r = client.post(
            "/setup",
            data={
                "portal_name": "Acme Inc",
                "owner_name": "Olive",
                "owner_email": "olive@acme.com",
                "owner_password": OWNER_PASSWORD,
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/p/acme-inc/users")
        assert "User Management" in client.get(r.headers["location"]).text
        # No API key nobody asked for, whose secret nobody saw (Settings → API keys makes one).
        with db.unit_of_work() as session:
            from sqlalchemy import func, select

            from admit.auth.models import ApiKey

            assert session.scalar(select(func.count()).select_from(ApiKey)) == 0
        client.cookies.clear()
        assert client.get("/setup", follow_redirects=False).headers["location"] == "/login"

    def test_setup_errors_name_the_problem(self, client, db):
        """A weak password is refused with the rule, and nothing is created."""
        page = client.get("/setup")
        r = client.post(
            "/setup",
            data={
                "portal_name": "Acme",
                "owner_email": "olive@acme.com",
                "owner_password": "short",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert r.status_code == 422
        assert "at least 10 characters" in r.text
        assert client.get("/", follow_redirects=False).headers["location"] == "/setup"
        # One fault is said once, under its field; a name kept for tests says what to do instead.
        r = client.post(
            "/setup",
            data={
                "portal_name": "Acme",
                "owner_email": "olive@acme.test",
                "owner_password": "a-long-enough-password",
                "csrf_token": csrf_of(page.text),
            },
        )
        card = r.text.split('<div class="card">')[1].split("</form>")[0]
        assert r.status_code == 422 and 'class="notice error"' not in card, card
        said = (
            "“acme.test” is a name kept for tests and examples, and no mail reaches it. "
            "Use an address at a real domain."
        )
        assert r.text.count(said) == 1, card
        assert re.search(rf'<div class="field-error" id="owner_email_error">[^<]*{said}</div>', card), card

    def test_setup_says_everything_wrong_at_once(self, client, db):
        """No name, a bad email and a short password: three errors, each under its field, in
        one answer (``flows.setup.create_portal`` lists them in the error's ``errors``, which
        ``admit init`` prints as one sentence)."""
        page = client.get("/setup")
        r = client.post(
            "/setup",
            data={
                "portal_name": " ",
                "owner_email": "olive@",
                "owner_password": "short",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert r.status_code == 422 and "3 things to fix below." in r.text
        assert "novalidate" in page.text  # the browser's checks would stop at the first field
        assert re.search(r'id="portal_name"[^>]*aria-invalid="true"[^>]*autofocus', r.text)  # the first
        errors = dict(re.findall(r'<div class="field-error" id="(\w+)_error">([^<]+)</div>', r.text))
        assert set(errors) == {"portal_name", "owner_email", "owner_password"}, r.text
        assert errors["portal_name"] == "The portal needs a name."
        assert "at least 10 characters" in errors["owner_password"]
        assert (
            'id="owner_email" name="owner_email" type="email" required value="olive@" aria-invalid="true"'
            in r.text
        )
        with db.unit_of_work() as session, pytest.raises(InvalidInput) as caught:
            setup.create_portal(
                session, name="", owner_email="olive@", owner_password="short", first_run=True
            )
        assert [e["field"] for e in caught.value.fields["errors"]] == [
            "portal_name",
            "owner_email",
            "owner_password",
        ]

    def test_the_example_reads_as_one_and_the_optional_name_says_so(self, client, db):
        """ "Acme Inc." in the empty Portal name looked typed; "Your name" did not say it may be
        left empty (the owner's name is optional)."""
        page = client.get("/setup").text
        assert 'placeholder="e.g. Acme Inc."' in page
        assert '<label for="owner_name">Your name (optional)</label>' in page

    def test_forms_need_the_csrf_token(self, client, db):
        """A form post without its CSRF token is refused."""
        client.get("/setup")
        r = client.post(
            "/setup",
            data={"portal_name": "Acme", "owner_email": "olive@acme.com", "owner_password": OWNER_PASSWORD},
        )
        assert r.status_code == 403
        assert "form expired" in r.text


class TestSignIn:
    def test_next_is_same_site_only(self, client, db):
        """After sign-in, ?next= is followed only for same-site paths (no open redirect)."""
        pf = create_portal(db)
        page = client.get("/login")
        r = client.post(
            "/login",
            data={
                "email": pf.owner_email,
                "password": OWNER_PASSWORD,
                "next": "//evil.example/x",
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert r.headers["location"] == f"/p/{pf.slug}"

    def test_wrong_password_message(self, client, db):
        """A wrong password shows one generic message."""
        pf = create_portal(db)
        page = client.get("/login")
        r = client.post(
            "/login",
            data={"email": pf.owner_email, "password": "nope-nope-nope", "csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 401
        assert "email or password is incorrect" in r.text
        # The address kept, the password box focused, to type it again (the focus was lost).
        assert f'value="{pf.owner_email}"' in r.text
        assert 'autocomplete="current-password" autofocus' in r.text

    def test_signing_out_says_so(self, client, db):
        """Sign out lands on the sign-in page saying "You are signed out." (it said nothing)."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        users = client.get(f"/p/{pf.slug}/users")
        out = client.post("/logout", data={"csrf_token": csrf_of(users.text)})
        assert out.url.path == "/login" and "You are signed out." in out.text
        assert client.get(f"/p/{pf.slug}/users", follow_redirects=False).status_code == 303

    def test_pages_needsign_in_page(self, client, db):
        """User Management without a session redirects to sign in, then back."""
        pf = create_portal(db)
        r = client.get(f"/p/{pf.slug}/users", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next=/p/{pf.slug}/users"


class TestDialogs:
    def test_a_page_holds_only_the_dialogs_it_opens(self, client, db):
        """The sign-in page held the workspace's hidden Rename dialog and the Confirm one (base.html
        gave every page both): now a page holds the dialogs its buttons open, and no other."""
        from tests.workspaces.helpers import create_workspace

        def dialogs(text: str) -> set[str]:
            return set(re.findall(r'<dialog id="(rename-dialog|confirm-dialog)"', text))

        assert "<dialog" not in client.get("/login").text
        pf = create_portal(db)
        ws = create_workspace(client, pf, "Q3 Audit")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        pages = {
            f"/p/{pf.slug}/workspaces/{ws['id']}": {"rename-dialog", "confirm-dialog"},
            f"/p/{pf.slug}/contacts": {"rename-dialog", "confirm-dialog"},
            f"/p/{pf.slug}/users": {"confirm-dialog"},
            f"/p/{pf.slug}/workspaces": set(),
            f"/p/{pf.slug}/audit": set(),
            "/me/account": set(),
        }
        for path, expected in pages.items():
            text = client.get(path).text
            assert dialogs(text) == expected, path
            for kind in ("rename", "confirm"):  # each button finds its dialog
                assert (f"data-{kind}-action=" in text) <= (f"{kind}-dialog" in expected), (path, kind)

    def test_every_page_with_such_a_button_holds_its_dialog(self):
        """Read from the templates: a page whose buttons (its own or an included partial's) open
        the Confirm or Rename dialog includes that dialog in its ``dialogs`` block."""
        from pathlib import Path

        root = Path(__file__).resolve().parents[1] / "src/admit/pages/templates"
        texts = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.html")}

        def whole(name: str, seen: frozenset = frozenset()) -> str:
            included = re.findall(r'{%\s*include "([^"]+)"', texts[name])
            return texts[name] + "".join(whole(i, seen | {name}) for i in included if i not in seen)

        for name in texts:
            if Path(name).name.startswith("_") or name == "base.html":
                continue
            text = whole(name)
            for kind in ("confirm", "rename"):
                if f"data-{kind}-action=" in text.replace(texts.get(f"_{kind}_dialog.html", ""), ""):
                    assert f'include "_{kind}_dialog.html"' in texts[name], (name, kind)


def _mel_active_and_ned_deactivated(db, pf) -> None:
    active_member(db, pf, "mel@example.com")
    active_member(db, pf, "ned@example.com")
    with db.unit_of_work() as session:
        ned = session.scalar(
            select(Member.id).join(User, User.id == Member.user_id).where(User.email == "ned@example.com")
        )
        members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), ned)


def _grace_pending(client, db, worker):
    """grace@acme.com invited and sent to; the owner signed in on User Management: the page, her
    row's HTML and her first link."""
    pf = create_portal(db)
    invite(db, pf, ["grace@acme.com"])
    worker.drain()
    first = last_link(db, "grace@acme.com")
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/users")
    return page, page.text.split('data-address="grace@acme.com"', 1)[1].split("</tr>", 1)[0], first


def _resent(client, db, worker, page, action: str, said: str, first: str) -> None:
    """Posting ``action`` says ``said`` and sends grace@acme.com a new link."""
    done = client.post(action, data={"csrf_token": csrf_of(page.text)})
    assert said in done.text, done.text[-2000:]
    worker.drain()
    assert last_link(db, "grace@acme.com") != first


def _clients_invited_from_the_box(client, db, recipients: str):
    """A new portal's owner (olive@acme-widgets.com) sends the Invite box's ``recipients`` as
    clients, from the Clients tab: the page that answers."""
    pf = create_portal(db, owner_email="olive@acme-widgets.com")
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/users?tab=clients")
    data = {"recipients": recipients, "user_type": "client", "csrf_token": csrf_of(page.text)}
    return client.post(f"/p/{pf.slug}/invitations", data=data)


class TestUserManagement:
    def test_a_members_invite_box_states_its_one_type_and_has_no_tab_bar(self, client, db):
        """A member invites clients only: her Invite box says so in its title ("Invite Clients"),
        where it showed a "User type" select of one option and a tab bar of one tab; an owner
        keeps the choice."""
        pf = create_portal(db)
        active_member(db, pf, "mel@acme.com")
        login(client, "mel@acme.com")
        box = client.get(f"/p/{pf.slug}/users").text.split('<dialog id="invite-dialog"', 1)[1]
        box = box.split("</dialog>", 1)[0]
        assert 'class="tabs"' not in box and "data-tab=" not in box, box
        assert '<select id="user_type"' not in box
        assert '<input type="hidden" name="user_type" value="client">' in box
        assert re.search(r'<h2 class="dialog-title"[^>]*>Invite Clients</h2>', box), box
        client.cookies.clear()
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        box = client.get(f"/p/{pf.slug}/users").text.split('<dialog id="invite-dialog"', 1)[1]
        assert '<select id="user_type"' in box
        # Titled as seed 000's pop-up, after the type chosen (internal by default on this tab).
        assert re.search(r'<h2 class="dialog-title"[^>]*>Invite Internal Users</h2>', box), box

    def test_the_clients_invite_box_offers_nothing_for_internal_users(self, client, db):
        """Opened on the Clients tab, the Invite box does not offer the HR system's auto-pilot nor
        a Role column (internal users' things), and its Share Invite Link tab says plainly that
        the portal's link brings in internal users and how clients come in (the tester read
        "they join as an internal user (Member)" under "Invite Clients"). Each is hidden, not
        left out: the User type select brings it back (admit.js)."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)

        def box(tab: str) -> str:
            page = client.get(f"/p/{pf.slug}/users?tab={tab}").text
            return page.split('<dialog id="invite-dialog"', 1)[1].split("</dialog>", 1)[0]

        clients, internal = box("clients"), box("internal")
        hr = re.compile(r"<p [^>]*data-internal-only[^>]*hidden[^>]*>Or <a [^>]*>select from your HR system")
        role = re.compile(r"columns such as Email, Name<span data-internal-only hidden>, Role</span>")
        assert hr.search(clients) and role.search(clients), clients
        assert not hr.search(internal) and not role.search(internal)
        assert "select from your HR system" in internal and ", Role</span>" in internal
        note = re.search(r"<p [^>]*data-client-only[^>]*>(.*?)</p>", clients, re.S)
        assert note and "hidden" not in note.group(0).split(">", 1)[0], clients
        said = " ".join(html.unescape(re.sub(r"<[^>]+>", "", note.group(1))).split())
        assert said.startswith("This link brings in internal users (as Member), not clients."), said
        assert "Invite clients by email or phone" in said and "a workspace's link" in said
        assert re.search(r"<p [^>]*data-client-only[^>]*hidden", internal), internal

    def test_an_empty_search_names_the_other_tab_and_accents_only_when_typed(self, client, db):
        """Searching "gus" on Internal Users, Gus a client, said "Nobody matches “gus”. Letters
        are matched as written, accents included: “g” does not find “ǵ”." (the tester): the tab
        searched is named, and the other tab's matches, with a link there; the accents sentence
        only for a query with an accented letter (its plain form is not found by it)."""
        pf = create_portal(db)
        invite(db, pf, ["Gus Gray <gus@client.example>"], user_type="client")
        invite(db, pf, ["gustav@acme.example", "gustavo@acme.example"])
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)

        def empty(q: str, tab: str = "internal") -> str:
            page = client.get(f"/p/{pf.slug}/users", params={"q": q, "tab": tab}).text
            return " ".join(html.unescape(page.split('class="muted">', 1)[1].split("</td>", 1)[0]).split())

        said = empty("gus gray")
        assert (
            re.sub(r"<[^>]+>", "", said) == "No internal user matches “gus gray”; 1 client does: see Clients."
        )
        link = re.search(r'<a href="([^"]+)">see Clients</a>', said)
        assert link and "tab=clients" in link.group(1) and "q=gus+gray" in link.group(1), said
        assert re.sub(r"<[^>]+>", "", empty("gustav", "clients")) == (
            "No client matches “gustav”; 2 internal users do: see Internal Users."
        )
        assert empty("zzz") == "No internal user matches “zzz”."
        assert empty("Ólá") == (
            "No internal user matches “Ólá”. Letters are matched as written, accents included:"
            " “Ó” does not find “O”."
        )
        assert empty("42-99", "clients") == "No client matches “42-99”."

    def test_a_pending_row_shows_reinvite_once(self, client, db, worker):
        """Seed 004: a "Reinvite" button next to any pending user, asked first, that sends a new
        invitation and kills every earlier link; said done in its word. The row's … menu has no
        second Reinvite (its Resend Invite, seed 000's, is the test below)."""
        page, row, first = _grace_pending(client, db, worker)
        shown, menu = row.split('<details class="row-menu">', 1)
        button = re.search(r"<button [^>]*data-reinvite[^>]*>Reinvite</button>", shown)
        assert button, shown
        assert (
            'data-confirm-text="Reinvite grace@acme.com? A new link goes out, and every earlier link '
            'stops working."' in button.group(0)
        )
        assert "Reinvite" not in menu and ">Revoke</button>" in menu
        action = html.unescape(re.search(r'data-confirm-action="([^"]+)"', button.group(0)).group(1))
        said = "grace@acme.com reinvited: a new link is on its way."
        _resent(client, db, worker, page, action, said, first)

    def test_a_pending_rows_menu_resends_as_seed_000_says(self, client, db, worker):
        """Seed 000's help article: "…" → Resend Invite → a pop-up asking to confirm → Send. The
        … menu of a pending row has it (users follow the articles), the same resend as the row's
        Reinvite (the same route), said done in its own words."""
        page, row, first = _grace_pending(client, db, worker)
        menu = row.split('<details class="row-menu">', 1)[1]
        item = re.search(r'<button [^>]*role="menuitem"[^>]*>Resend Invite</button>', menu)
        assert item, menu
        assert 'data-confirm-button="Send"' in item.group(0)
        assert (
            'data-confirm-text="Resend the invitation to grace@acme.com? A new link goes out, and '
            'every earlier link stops working."' in item.group(0)
        )
        action = html.unescape(re.search(r'data-confirm-action="([^"]+)"', item.group(0)).group(1))
        reinvite = re.search(r"<button [^>]*data-reinvite[^>]*>", row).group(0)
        assert action + "?as=reinvite" == html.unescape(
            re.search(r'data-confirm-action="([^"]+)"', reinvite).group(1)
        )
        _resent(client, db, worker, page, action, "Invitation resent to grace@acme.com.", first)

    def test_the_invite_box_knows_the_inviters_company_domain(self, client, db):
        """The Invite box names the inviter's company domain ("not at acme.com", admit.js), as
        members.service reads it for colleagues; an inviter at a personal mail service has none
        to name (the box then says "your company's domain")."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        box = (
            client.get(f"/p/{pf.slug}/users")
            .text.split('<textarea id="recipients"', 1)[1]
            .split("</textarea>")[0]
        )
        assert 'data-company-domain="acme.com"' in box, box
        client.cookies.clear()
        personal = create_portal(db, name="Solo", owner_email="solo@gmail.com")
        sign_in_page(client, personal.owner_email, OWNER_PASSWORD)
        box = client.get(f"/p/{personal.slug}/users").text.split('<textarea id="recipients"', 1)[1]
        assert (
            "data-check-url" in box.split("</textarea>")[0]
            and "data-company-domain" not in box.split("</textarea>")[0]
        )

    def test_the_portal_switcher_names_the_other_portals_one_is_active_in(self, client, db):
        """Every page's switcher: the portals the signed-in person is an active member of, but
        the one shown, by name; one where their access was ended is not offered."""
        shown = create_portal(db, name="Zeta Works")
        for name in ("Beta Labs", "Acme Inc", "Gamma Co"):
            create_portal(db, name=name)  # the same owner: one account, four portals
        with db.unit_of_work() as session:
            gamma = actor_for(session, "gamma-co", shown.owner_email)
            session.get(Member, gamma.member.id).status = "deactivated"
        sign_in_page(client, shown.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{shown.slug}/users").text
        offered = re.findall(r'<a href="[^"]*/p/([a-z-]+)"[^>]*>Switch to ([^<]+)</a>', page)
        assert offered == [("acme-inc", "Acme Inc"), ("beta-labs", "Beta Labs")], offered

    def test_the_clients_tab_has_no_role_column(self, client, db):
        """Every client's role is Client: the tab's Role column said it on every row."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@client.org"], user_type="client")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        clients = client.get(f"/p/{pf.slug}/users?tab=clients").text
        assert "<th>Role</th>" not in clients and 'data-label="Role"' not in clients
        assert "<th>Role</th>" in client.get(f"/p/{pf.slug}/users").text

    def test_a_long_inviter_name_stays_on_one_line(self, client, db):
        """Invited by is cut with "…" (the whole name in its tooltip), as Name is: a long inviter's
        name wrapped onto three lines while Products had room (the tester)."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@client.org"], user_type="client")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users?tab=clients").text
        assert '<td data-label="Invited by" class="clip" title="Olive Owner">Olive Owner</td>' in page

    def test_a_rows_products_are_named_as_the_filter_and_the_invite_box_name_them(self, client, db):
        """ "Messaging, Billing", not the stored "messaging, billing"; none reads "—"."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@client.org"], user_type="client", products=["messaging", "billing"])
        invite(db, pf, ["nopro@client.org"], user_type="client", products=[])
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users?tab=clients").text
        cells = dict(
            re.findall(r'<tr data-address="([^"]+)".*?data-label="Products"[^>]*>([^<]*)</td>', page, re.S)
        )
        assert cells == {"cleo@client.org": "Messaging, Billing", "nopro@client.org": "—"}, cells
        assert '<option value="messaging" >Messaging</option>' in page

    def test_the_count_line_of_an_empty_list(self, client, db):
        """No "0 of 0 matching": a search that finds nobody says "0 matching", a tab with nobody
        in it "No one yet"; a page of rows says which rows of how many."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)

        def count_line(query: str) -> str:
            page = client.get(f"/p/{pf.slug}/users?{query}").text
            return re.search(r"<p class=\"muted grow\" data-total[^>]*>([^<]*)</p>", page).group(1)

        assert count_line("tab=clients") == "No one yet"
        invite(db, pf, ["cleo@client.org"], user_type="client")
        # The Clients tab shows no role filter: a role left in its URL filters nothing out.
        assert count_line("tab=clients&role=owner") == "1–1 of 1"
        assert count_line("tab=internal&q=nobody-here") == "0 matching"
        assert count_line("tab=internal") == "1–1 of 1"

    def test_invite_from_the_modal(self, client, db):
        """The Invite modal's form invites and reports who was skipped and why."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        assert "Internal Users" in page.text and "Clients" in page.text and "Invite Users" in page.text
        r = client.post(
            f"/p/{pf.slug}/invitations",
            data={
                "recipients": f"Ada Lovelace <ada@example.com>\ngrace@example.com, {pf.owner_email}",
                "user_type": "internal",
                "role": "admin",
                "products": ["messaging"],
                "message": "Welcome!",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert r.status_code == 200
        assert "2 invited as internal users · 1 skipped: 1 already a member" in r.text
        assert 'data-skip-code="already_member"' in r.text
        rows = re.findall(r'<tr data-address="([^"]+)" data-kind="invitation"[^>]*>', r.text)
        assert sorted(rows) == ["ada@example.com", "grace@example.com"]
        assert "Pending" in r.text

    def test_the_invite_report_says_as_what_they_were_invited(self, client, db):
        """The tester pasted 8 colleagues into a box left on Client: the report said "5
        invited", never as what. It says the user type."""
        r = _clients_invited_from_the_box(client, db, "gus@acme-widgets.com, fay@outlook.com")
        assert "<strong data-summary>2 invited as clients</strong>." in r.text

    def test_a_pasted_row_with_a_bad_address_is_one_row_left_out(self, client, db):
        """ "Eve Eng ⇥ not-an-email" was reported as two people left out ("Eve Eng: An email
        address must have an @-sign." and "not-an-email: …"): one, named with the person."""
        r = _clients_invited_from_the_box(client, db, "Eve Eng\tnot-an-email\nAda Able\tada@example.com")
        report = html.unescape(r.text[r.text.index("data-report") :])
        assert "<strong data-summary>1 invited as a client · 1 skipped: 1 not a usable" in report
        assert report.count("<li") == 1 and "<strong>Eve Eng <not-an-email></strong>:" in report, report[
            :1500
        ]

    def test_tabs_and_the_products_group_say_what_they_are_to_a_screen_reader(self, client, db):
        """The tester, with a screen reader: Internal Users and Clients are links to views (the
        current one ``aria-current="page"``); the Invite box's Invite and Share Invite Link
        switch panels in place, so they are tabs (``role=tab``, ``aria-selected``, each
        controlling its ``tabpanel``); "Products" labelled no control: a fieldset's legend."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users?tab=clients").text
        assert re.search(r'<a href="[^"]*\?tab=clients"[^>]* aria-current="page">Clients</a>', page), page
        internal = re.search(r'<a href="[^"]*\?tab=internal"[^>]*>Internal Users</a>', page).group(0)
        assert "aria-current" not in internal
        dialog = page[page.index('<dialog id="invite-dialog"') :]
        assert re.search(r'<div class="tabs" role="tablist"[^>]*>', dialog), dialog[:3000]
        tabs = re.findall(r"<button [^>]*role=\"tab\"[^>]*>", dialog)
        assert len(tabs) == 2 and 'aria-selected="true"' in tabs[0] and 'aria-selected="false"' in tabs[1], (
            tabs
        )
        for tab in tabs:
            panel = re.search(r'aria-controls="([^"]+)"', tab).group(1)
            tab_id = re.search(r'id="([^"]+)"', tab).group(1)
            assert re.search(rf'<div id="{panel}" role="tabpanel" aria-labelledby="{tab_id}"', dialog), panel
        assert re.search(r"<fieldset [^>]*>\s*<legend>Products</legend>", dialog), dialog
        assert "<label>Products</label>" not in page

    def test_a_row_action_returns_to_the_list_as_it_was(self, client, db):
        """Revoke from a filtered, sorted list comes back to it (the query the page had), at the
        row; any other return address is not followed: the person's tab instead."""
        pf = create_portal(db)
        batch = invite(db, pf, ["ada@example.com", "bob@example.com"], user_type="client")
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users?tab=clients&status=pending&sort=name")
        for invitation, back, landing in (
            (
                batch.invited[0],
                "?tab=clients&status=pending&sort=name",
                "?tab=clients&status=pending&sort=name",
            ),
            (batch.invited[1], "//evil.example/x", "?tab=clients"),
        ):
            r = client.post(
                f"/p/{pf.slug}/invitations/{invitation.id}/revoke",
                data={"csrf_token": csrf_of(page.text), "back": back},
                follow_redirects=False,
            )
            # At the row it was done from (``#row-<id>``): the page gives it the focus back.
            at = f"/p/{pf.slug}/users{landing}#row-{invitation.id}"
            assert r.status_code == 303 and r.headers["location"] == at, r.headers

    def test_each_ticked_row_says_which_bulk_actions_it_would_take(self, client, db):
        """The selection's question counts from them: a pending invitation can be resent or
        revoked, an active member deactivated, a deactivated one reactivated, and the owner's own
        row nothing."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        _mel_active_and_ned_deactivated(db, pf)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users").text
        applies = dict(re.findall(r'<tr data-address="([^"]+)".*?data-applies="([^"]*)"', page, re.S))
        assert applies == {
            "ada@example.com": "resend revoke",
            "mel@example.com": "deactivate",
            "ned@example.com": "reactivate",
            pf.owner_email: "",
        }

    def test_select_all_matching_offers_what_applies_beyond_the_page(self, client, db):
        """Every match, not the page's rows, says what "Select all N matching" offers: an
        active and a deactivated member past the first page still count (the bar showed only
        what the page's rows took). The page names where to ask, with its own filters, and
        counts nothing for it until asked (it was counted for every page: a third of its CPU)."""
        pf = create_portal(db)
        _mel_active_and_ned_deactivated(db, pf)
        invite(db, pf, [f"p{i}@example.com" for i in range(55)])  # newest first: page 1 all theirs
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users").text
        url = re.search(r'data-preview-url="([^"]*)"', page)
        assert (
            url
            and html.unescape(url.group(1))
            == f"/api/v1/portals/{pf.slug}/people/bulk-preview?user_type=internal"
        )
        r = client.get(html.unescape(url.group(1)))
        assert r.status_code == 200, r.text
        assert r.json() == {
            "total": 58,
            "applies": {
                "resend": 55,
                "revoke": 55,
                "deactivate": 1,  # Mel: not the owner, who is signed in (``people_bulk.applies``)
                "reactivate": 1,
            },
        }
        filtered = client.get(f"/p/{pf.slug}/users?status=deactivated&q=ned").text
        url = re.search(r'data-preview-url="([^"]*)"', filtered)
        assert url and html.unescape(url.group(1)).endswith("?q=ned&status=deactivated&user_type=internal"), (
            url
        )
        assert client.get(html.unescape(url.group(1))).json() == {
            "total": 1,
            "applies": {"resend": 0, "revoke": 0, "deactivate": 0, "reactivate": 1},
        }

    def test_invite_again_carries_the_person_as_invited(self, client, db):
        """A revoked invitation's Invite again holds its type, role and products, and the name
        without the commas the Invite box would split it at ("Lovelace, Ada")."""
        pf = create_portal(db)
        batch = invite(db, pf, ["ada@example.com"], role="admin", products=["billing"])
        with db.unit_of_work() as session:  # as an imported file's "Name" cell may give it
            session.get(Invitation, batch.invited[0].id).recipient_name = "Lovelace, Ada"
            invitations_service.revoke(
                session, actor_for(session, pf.slug, pf.owner_email), batch.invited[0].id
            )
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users?tab=internal&status=revoked").text
        button = re.search(r'<button[^>]*data-open="invite-dialog"[^>]*>Invite again</button>', page, re.S)
        assert button, page
        attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', button.group(0)))
        assert attributes == {
            "open": "invite-dialog",
            "user-type": "internal",
            "role": "admin",
            "products": "billing",
            "recipients": "Lovelace  Ada &lt;ada@example.com&gt;",
        }

    def test_a_refused_invite_says_why_inside_the_open_invite_box(self, client, db):
        """Send with nothing typed: the reason is in the Invite box, which stays open (it was on
        the page behind the dimmed box); the form's address reloaded leads back to the list."""
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        r = client.post(
            f"/p/{pf.slug}/invitations", data={"csrf_token": csrf_of(page.text), "recipients": " "}
        )
        assert r.status_code == 422
        dialog = r.text[r.text.index('<dialog id="invite-dialog"') :]
        assert "data-autopen" in dialog[:80]
        # Said under the box of addresses (which takes the focus), once.
        assert said_under(dialog, "recipients") == "Give at least one recipient."
        assert "autofocus" in re.search(r'<textarea id="recipients"(?:[^>"]|"[^"]*")*>', dialog).group(0)
        assert r.text.count("Give at least one recipient.") == 1
        reloaded = client.get(f"/p/{pf.slug}/invitations", follow_redirects=False)
        assert (reloaded.status_code, reloaded.headers["location"]) == (303, f"/p/{pf.slug}/users")

    def test_a_role_that_is_not_one_comes_back_as_member_not_owner(self, client, db):
        """A forged role ("superadmin"): refused in words under Role, and the box comes back with
        Member chosen; it came back with no option marked, so the browser showed the first, Owner,
        and a second Send would have invited an owner (the tester)."""
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        data = {"csrf_token": csrf_of(page.text), "recipients": "ada@example.com", "role": "superadmin"}
        r = client.post(f"/p/{pf.slug}/invitations", data=data)
        assert r.status_code == 422
        dialog = r.text[r.text.index('<dialog id="invite-dialog"') :]
        assert said_under(dialog, "role") == "An internal user's role must be owner, admin or member."
        select = dialog[dialog.index('<select id="role"') :]
        select = select[: select.index("</select>")]
        assert re.findall(r'<option value="(\w+)" selected>', select) == ["member"]

    def test_inviting_owners_asks_to_confirm_first(self, client, db):
        """Owner chosen and Send: nothing is sent; the box stays open, everything typed kept, with
        the owners' confirmation for those Send would make owners (someone already a member is
        not one); only a Send with it ticked invites them. It sent typed owners at once."""
        pf = create_portal(db)
        active_member(db, pf, "otto@acme.com")
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        typed = "Mel Ray <mel@acme.com>"
        data = {"csrf_token": csrf_of(page.text), "recipients": typed, "role": "owner"}
        r = client.post(f"/p/{pf.slug}/invitations", data=data)
        assert r.status_code == 200, r.text[:2000]
        dialog = r.text[r.text.index('<dialog id="invite-dialog"') :]
        assert "data-autopen" in dialog[:80]
        owners = dialog[dialog.index("data-owners") :]
        assert "Yes, make Mel Ray (mel@acme.com) an owner." in owners
        assert "Owners can do everything, including removing you." in owners
        assert 'name="owners_confirmed"' in owners
        assert f"{html.escape(typed, quote=False)}</textarea>" in dialog
        assert re.search(r'<option value="owner" selected>Owner</option>', dialog)
        assert 'data-address="mel@acme.com"' not in client.get(f"/p/{pf.slug}/users").text
        data["recipients"] = "Mel Ray <mel@acme.com>, ned@acme.com, otto@acme.com"
        r = client.post(f"/p/{pf.slug}/invitations", data=data)
        assert "Yes, make Mel Ray (mel@acme.com) and ned@acme.com owners." in r.text, r.text[:2000]
        data["role"] = "admin"  # no owner: sent at once, as before
        r = client.post(f"/p/{pf.slug}/invitations", data={**data, "recipients": "ada@acme.com"})
        assert "data-owners" not in r.text and 'data-address="ada@acme.com"' in r.text
        r = client.post(f"/p/{pf.slug}/invitations", data={**data, "role": "owner", "owners_confirmed": "1"})
        assert "data-owners" not in r.text
        with db.unit_of_work() as session:
            asked = ("ada@acme.com", "mel@acme.com", "ned@acme.com", "otto@acme.com")
            made = select(Invitation.recipient, Invitation.role).where(Invitation.recipient.in_(asked))
            roles = dict(session.execute(made).all())
        assert roles == {"ada@acme.com": "admin", "mel@acme.com": "owner", "ned@acme.com": "owner"}, roles

    def test_the_owners_question_is_asked_before_anything_is_written(self, client, db):
        """Send with Owner unticked asks the owners' confirmation having written nothing (it
        invited, then rolled the invitations back): whom it would invite is decided as Send
        decides it, writing nothing (``invitations.service.would_invite``). A mistyped address
        beside them is left out as Send leaves it out, and still asked about: it made the good
        rows owners unasked once Send sent them despite a row to fix. An admin's Owner is
        refused first."""
        pf = create_portal(db)
        active_member(db, pf, "otto@acme.com")
        active_member(db, pf, "ada@acme.com", role="admin")
        login(client, pf.owner_email, OWNER_PASSWORD)
        typed = "Mel Ray <mel@acme.com>, ned@acme.com, otto@acme.com, ned@acme.com"
        users = client.get(f"/p/{pf.slug}/users")
        data = {"recipients": typed, "role": "owner", "csrf_token": csrf_of(users.text)}
        r, written = writes_during(db, lambda: client.post(f"/p/{pf.slug}/invitations", data=data))
        assert "Yes, make Mel Ray (mel@acme.com) and ned@acme.com owners." in r.text, r.text[:2000]
        assert written == [], written
        typo = {**data, "recipients": "mel@acme.com, not-an-email"}
        r, written = writes_during(db, lambda: client.post(f"/p/{pf.slug}/invitations", data=typo))
        assert "Yes, make mel@acme.com an owner." in r.text, r.text[:2000]
        assert written == [], written
        client.cookies.clear()
        login(client, "ada@acme.com", PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        r = client.post(f"/p/{pf.slug}/invitations", data={**data, "csrf_token": csrf_of(page.text)})
        assert "data-owners" not in r.text and "Only an owner can" in r.text, r.text[:2000]
        with db.unit_of_work() as session:
            assert session.scalars(select(Invitation.recipient)).all() == []

    def test_owners_made_unasked_in_a_race_are_asked_and_nothing_kept(self, client, db, monkeypatch):
        """Send asks the owners' question of whom it would invite before writing; another request
        can make someone invitable between that question and the invitation (a revoke). Stood
        in for here by the question finding nobody: Send then asks after inviting, and keeps
        nothing (it made them owners unasked)."""
        from admit.invitations import service as invitations_service

        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        users = client.get(f"/p/{pf.slug}/users")
        monkeypatch.setattr(invitations_service, "would_invite", lambda *a, **k: [])
        data = {"recipients": "Mel Ray <mel@acme.com>", "role": "owner", "csrf_token": csrf_of(users.text)}
        r = client.post(f"/p/{pf.slug}/invitations", data=data)
        assert "Yes, make Mel Ray (mel@acme.com) an owner." in r.text, r.text[:2000]
        with db.unit_of_work() as session:
            assert session.scalars(select(Invitation.recipient)).all() == []

    def test_an_invite_of_no_one_usable_stays_in_the_open_box(self, client, db):
        """Every address mistyped: nothing to send, so the box stays open with each named under
        the addresses and the message kept (it closed on a red report, the typing gone)."""
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        data = {"csrf_token": csrf_of(page.text), "recipients": "not-an-email; also@bad@x",
                "message": "Welcome aboard"}  # fmt: skip
        # Refused before anything is written (it wrote the batch, then rolled it back).
        r, written = writes_during(db, lambda: client.post(f"/p/{pf.slug}/invitations", data=data))
        assert written == [], written
        assert r.status_code == 422
        dialog = r.text[r.text.index('<dialog id="invite-dialog"') :]
        assert "data-autopen" in dialog[:80]
        said = said_under(dialog, "recipients")
        assert said.startswith("Fix or remove these first:\nnot-an-email: ") and "\nalso@bad@x: " in said, (
            said
        )
        assert "Welcome aboard" in dialog and "not-an-email; also@bad@x</textarea>" in dialog

    def test_an_invite_sends_the_good_rows_and_says_who_was_left_out_and_why(self, client, db):
        """One bad row pasted among good ones held the whole Send (the API and the CLI invite the
        rest): the good rows go, and the report names who was invited and who was left out, and
        why, each address once (it read "x@@y.com: x@@y.com is not an email address…")."""
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        rows = "Mia Wong\tmia@example.com\nBad Person\tx@@y.com\nsam@example.com"
        data = {"csrf_token": csrf_of(page.text), "recipients": rows}
        r = client.post(f"/p/{pf.slug}/invitations", data=data)
        assert r.status_code == 200 and str(r.url).endswith(f"/p/{pf.slug}/users?tab=internal"), r.url
        report = r.text[r.text.index("data-report") :]
        report = report[: report.index("</div>")]
        assert 'data-tone="some"' in report
        assert re.search(
            r"<strong data-summary>2 invited as internal users · 1 skipped: 1 [^<]+</strong>", report
        ), report
        invited = re.search(r"<p[^>]*data-invited>(.*?)</p>", report, re.S)
        assert invited and html.unescape(invited.group(1)) == (
            "Invited: Mia Wong (mia@example.com), sam@example.com."
        ), report
        skipped = [
            html.unescape(re.sub(r"<[^>]+>", "", li))
            for li in re.findall(r"<li[^>]*>(.*?)</li>", report, re.S)
        ]
        assert skipped == ["Bad Person <x@@y.com>: Not an email address: it has two @."], skipped
        listed = r.text[r.text.index('id="people"') :]
        assert 'data-address="mia@example.com"' in listed and 'data-address="sam@example.com"' in listed

    def test_a_long_report_is_shortened_to_fit_not_dropped(self, client, db):
        """The report crosses the redirect in a cookie of ~3.5 KB: one longer (ten people named,
        fifteen long addresses skipped) was dropped whole, and the page said nothing of what was
        sent. Its lists are shortened instead, their "and N more" still counting everyone."""
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        good = [f"Person Number {i}\tperson.number.{i}@example.com" for i in range(10)]
        bad = [f"{'a' * 70}.{i}@@example.com" for i in range(15)]
        data = {"csrf_token": csrf_of(page.text), "recipients": "\n".join(good + bad)}
        r = client.post(f"/p/{pf.slug}/invitations", data=data)
        assert "data-report" in r.text, "the report was not shown"
        report = r.text[r.text.index("data-report") :]
        report = html.unescape(report[: report.index("</div>")])
        assert re.search(r"<strong data-summary>10 invited as internal users · 15 skipped", report), report
        invited = re.search(r"<p[^>]*data-invited>Invited: (.*?)\.</p>", report, re.S)
        shown_invited = invited.group(1).count("(person.number.") if invited else 0
        more_invited = re.search(r", and (\d+) more$", invited.group(1)) if invited else None
        assert shown_invited + (int(more_invited.group(1)) if more_invited else 0) == 10, report
        shown_skipped = report.count("@@example.com")
        more_skipped = re.search(r"… and (\d+) more\.", report)
        assert (
            shown_skipped >= 1 and shown_skipped + int(more_skipped.group(1) if more_skipped else 0) == 15
        ), report

    def test_inviting_someone_already_invited_is_nothing_to_do_not_an_error(self, client, db):
        """The tester: inviting ada@ again came back as a red report ("0 invited · 1 skipped: 1
        already invited"), as if something had failed; the CLI calls it nothing to do. Amber, with
        the Reinvite it offers (seed 004's word for sending a pending invitation again, as the row
        says it: it said "Resend?"); a mistyped address among them is still red."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        data = {"csrf_token": csrf_of(page.text), "recipients": "ada@example.com, owner@acme.com"}
        r = client.post(f"/p/{pf.slug}/invitations", data=data)
        report = re.search(r'<div class="([^"]*)" role="status" data-report data-tone="(\w+)"', r.text)
        assert report and report.groups() == ("notice warn", "nothing"), r.text[:3000]
        said = r.text.split("data-report", 1)[1].split("</div>", 1)[0]
        assert "Resend" not in said and "use Reinvite to send it again" in said, said
        [asked] = re.findall(r'data-confirm-action="([^"]+)"\s+aria-label="Reinvite ada@example.com"', said)
        assert asked.endswith("/resend?as=reinvite"), asked

    def test_a_refused_row_action_returns_to_the_list_with_the_reason(self, client, db, worker, rate_limits):
        """Resend inside the per-person limit: back on the list as it was, the reason on top (it
        was a bare "Too many requests" page outside the app); nothing was sent."""
        pf = create_portal(db)
        invitation = invite(db, pf, ["ada@example.com"], user_type="client").invited[0]
        worker.drain()
        login(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users?tab=clients&q=ada")
        r = client.post(
            f"/p/{pf.slug}/invitations/{invitation.id}/resend",
            data={"csrf_token": csrf_of(page.text), "back": "?tab=clients&q=ada"},
        )
        at = f"/p/{pf.slug}/users?tab=clients&q=ada#row-{invitation.id}"  # at the row
        assert r.status_code == 200 and str(r.url).endswith(at), r.url
        notice = re.search(r'class="notice error" role="alert">(.*?)</', r.text, re.S)
        assert notice and "ada@example.com was sent a message less than a minute ago." in notice.group(1), (
            r.text[:3000]
        )
        assert re.search(r"Try again in \d+ (seconds?|minutes?)\.$", notice.group(1).strip()), notice.group(1)
        with db.unit_of_work() as session:
            assert session.get(Invitation, invitation.id).send_count == 1

    def test_a_revoked_row_says_the_person_was_invited_again_or_joined(self, client, db, worker):
        """After Invite again the old row says "Invited again" (and offers it no more); once the
        person has joined, "Has joined". A revoked row with neither stays as it was."""
        pf = create_portal(db)
        first = invite(db, pf, ["ada@example.com", "bob@example.com"], user_type="client").invited
        with db.unit_of_work() as session:
            owner = actor_for(session, pf.slug, pf.owner_email)
            for invitation in first:
                invitations_service.revoke(session, owner, invitation.id)
        invite(db, pf, ["ada@example.com"], user_type="client")
        worker.drain()
        login(client, pf.owner_email, OWNER_PASSWORD)

        def revoked_rows():
            page = client.get(f"/p/{pf.slug}/users?tab=clients&status=revoked").text
            return {
                address: (since, "Invite again</button>" in row)
                for row, address in re.findall(r'(<tr data-address="([^"]+)".*?</tr>)', page, re.S)
                for since in [(re.findall(r'data-since="([a-z_]+)">([^<]+)<', row) or [None])[0]]
            }

        assert revoked_rows() == {
            "ada@example.com": (("invited_again", "Invited again"), False),
            "bob@example.com": (None, True),
        }
        client.cookies.clear()
        accepted = client.post(f"/api/v1/invitations/{last_link(db, 'ada@example.com')}/accept", json={})
        assert accepted.status_code == 200, accepted.text
        login(client, pf.owner_email, OWNER_PASSWORD)
        assert revoked_rows()["ada@example.com"] == (("joined_since", "Has joined"), False)

    def test_a_delivery_reads_the_same_in_its_badge_its_filter_and_its_live_update(self, client, db, worker):
        """One set of words (``notifications.models.DELIVERY_WORDS``): a sent invitation's badge
        and the filter's option both say Sent (the filter said Delivered), and the table hands
        the same words to the script that updates a queued badge in place."""
        import html

        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        badge = re.search(r'<span class="badge sent" data-delivery[^>]*>([^<]+)</span>', page.text)
        option = re.search(r'<option value="sent"[^>]*>([^<]+)</option>', page.text)
        assert badge and option and badge.group(1) == option.group(1) == "Sent"
        words = json.loads(html.unescape(re.search(r'data-delivery-words="([^"]+)"', page.text).group(1)))
        assert words["sent"] == "Sent" and words["queued"] == "Queued" and words["none"] == "Not sent"

    def test_the_two_step_filter_lists_members_only_and_travels_with_the_list(self, client, db, worker):
        """Two-step verification: Not set up lists the members without an authenticator app (no
        invitation: they have none); the choice stays selected, and the export, the pages and
        "Select all N matching" keep it (a bulk action takes only those listed)."""
        from admit.auth import second_factor
        from admit.bulk.models import BulkJob
        from admit.kit import clock

        pf = create_portal(db)
        member_joins(db, worker, pf, "ada@example.com")
        member_joins(db, worker, pf, "bo@example.com")
        invite(db, pf, ["cy@example.com"])
        with db.unit_of_work() as session:
            bo = session.scalar(select(User).where(User.email == "bo@example.com"))
            second_factor.begin(session, bo, issuer="Acme Inc")
            second_factor._factor(session, bo.id).confirmed_at = clock.now()
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users?tab=internal&two_step=not_set_up").text
        table = page[page.index('id="people"') :]
        assert "ada@example.com" in table and pf.owner_email in table
        assert "bo@example.com" not in table and "cy@example.com" not in table
        assert re.search(r'<option value="not_set_up" selected>No two-step</option>', page), page
        assert "1–2 of 2 matching" in page
        assert "people.csv?user_type=internal&amp;two_step=not_set_up" in page
        assert '<input type="hidden" name="two_step" value="not_set_up">' in page
        r = client.post(
            f"/p/{pf.slug}/people/bulk",
            data={
                "csrf_token": csrf_of(page),
                "action": "deactivate",
                "all_matching": "1",
                "tab": "internal",
                "two_step": "set_up",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and "two_step=set_up" in r.headers["location"], r.text
        with db.unit_of_work() as session:
            assert [job.total for job in session.scalars(select(BulkJob))] == [1]  # bo; not the invitation

    def test_client_sees_no_admin_pages(self, client, db, worker):
        """A client lands on their home page; User Management and Audit Log say "Not allowed" (403)."""
        pf = create_portal(db)
        invite(db, pf, ["c@example.org"], user_type="client")
        worker.drain()
        token = last_link(db, "c@example.org")
        page = client.get(f"/invite/{token}")
        assert 'name="password"' not in page.text  # magic link: no password for clients
        r = client.post(
            f"/invite/{token}",
            data={"name": "Cleo", "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert r.headers["location"] == f"/p/{pf.slug}"  # the welcome rides in a signed cookie
        home = client.get(r.headers["location"])
        assert "Welcome to Acme Inc! You joined as a client." in home.text
        assert 'role="status">Welcome' not in client.get(r.headers["location"]).text  # shown once
        assert "data-client-home" in home.text and "Invite Users" not in home.text
        assert home.text.count("Welcome") == 1 and "You're in" not in home.text  # said once
        assert client.get(f"/p/{pf.slug}/users", follow_redirects=False).status_code == 403
        assert client.get(f"/p/{pf.slug}/audit").status_code == 403

    def test_a_clients_home_lists_what_it_promises(self, client, db, worker):
        """The home page says it shows "your workspaces … and the actions waiting for you"; with
        none waiting it showed no actions at all (the tester read it as a promise it did not
        keep): the actions are listed, or said to be none, under their heading."""
        pf = create_portal(db)
        invite(db, pf, ["c@example.org"], user_type="client")
        worker.drain()
        token = last_link(db, "c@example.org")
        page = client.get(f"/invite/{token}")
        r = client.post(f"/invite/{token}", data={"name": "Cleo", "csrf_token": csrf_of(page.text)})
        home = r.text
        assert "data-client-home" in home and "the actions waiting for you" in home
        section = home[home.index("<h2>Your open actions</h2>") :]
        none = re.search(r'<p class="muted" data-no-actions>Nothing is waiting for you\.', section)
        assert none, section[:400]

    def test_other_portal_is_not_found(self, client, db, worker):
        """A member of one portal gets 404 for another portal's pages."""
        a = create_portal(db)
        b = create_portal(db, name="Beta", owner_email="boss@beta.com")
        member_joins(db, worker, a, "ada@example.com")
        sign_in_page(client, "ada@example.com", PASSWORD)
        assert client.get(f"/p/{b.slug}/users").status_code == 404


class TestTokenPages:
    def test_an_invitation_by_text_names_its_number_as_the_list_does(self, client, db, worker):
        """The invitation page of a number reads it as User Management does (+1 202-555-0173)."""
        pf = create_portal(db)
        invite(db, pf, ["+12025550173"], user_type="client")
        worker.drain()
        page = client.get(f"/invite/{last_link(db, '+12025550173')}").text
        assert "invited <strong>+1 202-555-0173</strong>" in page and "+12025550173" not in page

    def test_a_secret_links_page_takes_the_token_out_of_the_address_bar(self, client, db, worker):
        """Issue 14 item 12: the page names the token-less path for admit.js to put in the
        address bar; its form still posts to the link; that path, reloaded, says what to do."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")
        page = client.get(f"/invite/{token}")
        # It names the portal the page wore, whose look the page reloaded wears (Back to it
        # from the portal the person joined said "Admit": the tester on a phone).
        assert f'data-secret-path="/invite?portal={pf.slug}"' in page.text
        create_portal(db, name="Beta", owner_email="boss@beta.com")
        reloaded = client.get("/invite", params={"portal": pf.slug})
        assert "Open your link again" in reloaded.text
        assert '<a class="brand" href="/">Acme Inc</a>' in reloaded.text
        assert re.search(rf'action="[^"]*/invite/{re.escape(token)}"', page.text)
        assert (
            'history.replaceState(null, "", document.body.dataset.secretPath)'
            in client.get("/static/admit.js").text
        )
        for path in ("/invite", "/login/link", "/join", "/confirm", "/reset-password"):
            reloaded = client.get(path)
            assert reloaded.status_code == 200 and "Open your link again" in reloaded.text, path
            # An invite link was shared, not sent to this person (the fifth tester).
            said = (
                ("an invite link", "from where it was shared")
                if path == "/join"
                else ("a personal link", "in your email")
            )
            assert all(words in reloaded.text for words in said), path
        assert "data-secret-path" not in client.get("/login").text

    def test_unknown_link_is_a_clear_page(self, client, db):
        """An unknown link shows the page every dead link shows (410: it can no longer be used;
        sign in if you joined), with no referrer leaks."""
        r = client.get("/invite/" + "x" * 43)
        assert r.status_code == 410
        assert "can no longer be used" in r.text and 'href="/login"' in r.text
        assert r.headers["referrer-policy"] == "no-referrer"

    def test_a_used_link_opened_by_the_one_who_joined_leads_into_the_portal(self, client, db, worker):
        """Signed in as the person who used it, an invitation link goes to the portal they joined
        ("You are already a member of …"), not to "no longer valid … sign in". Anyone else, signed in or
        not, sees the page every dead link shows."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@client.org"], user_type="client")
        worker.drain()
        token = last_link(db, "cleo@client.org")
        page = client.get(f"/invite/{token}")
        client.post(f"/invite/{token}", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
        again = client.get(f"/invite/{token}", follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == f"/p/{pf.slug}"
        assert (again.headers["referrer-policy"], again.headers["cache-control"]) == (
            "no-referrer",
            "no-store",
        )
        assert "You are already a member of Acme Inc." in client.get(again.headers["location"]).text
        client.cookies.clear()
        assert client.get(f"/invite/{token}").status_code == 410
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        assert client.get(f"/invite/{token}", follow_redirects=False).status_code == 410

    def test_already_a_member_reads_right_whatever_the_portal_name_ends_with(self, client, db, worker):
        """The tester: "You are a member of Ærø Widgets & Co. already", a full stop in mid-sentence.
        The name ends the sentence, with one full stop, its own when it has one."""
        for name, said, owner in (
            ("Ærø Widgets & Co", "Ærø Widgets &amp; Co.", "olive@aero.com"),
            ("Beta Ltd.", "Beta Ltd.", "boss@beta.com"),
        ):
            client.cookies.clear()
            pf = create_portal(db, name=name, owner_email=owner)
            invite(db, pf, ["cleo@client.org"], user_type="client")
            worker.drain()
            token = last_link(db, "cleo@client.org")
            page = client.get(f"/invite/{token}")
            client.post(f"/invite/{token}", data={"csrf_token": csrf_of(page.text)})
            landed = client.get(f"/invite/{token}").text
            assert f"You are already a member of {said}<" in landed, name
            assert "Co. already" not in landed and "Ltd.." not in landed

    def test_join_in_a_second_tab_after_the_first_leads_into_the_portal(self, client, db, worker):
        """The invitation open in two tabs, Join in the first, then in the second: the second
        tab's form carries the token of before joining (joining signed them in, which changed
        it), yet its sender is the person who joined with that very invitation: they land in the
        portal ("You are already a member of …"), not on "Security check failed". Any other stale
        or missing token is still refused: not signed in, signed in as someone else, or an
        invitation this person has not used (and the form is never acted on: it only leads in)."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@client.org", "dora@client.org"], user_type="client")
        worker.drain()
        token, other = last_link(db, "cleo@client.org"), last_link(db, "dora@client.org")
        first = client.get(f"/invite/{token}")
        second = client.get(f"/invite/{token}")  # the second tab, before the first joins
        stale = csrf_of(second.text)
        joined = client.post(
            f"/invite/{token}", data={"csrf_token": csrf_of(first.text)}, follow_redirects=False
        )
        assert joined.status_code == 303
        again = client.post(f"/invite/{token}", data={"csrf_token": stale}, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == f"/p/{pf.slug}", again.text
        landed = client.get(again.headers["location"])
        assert "You are already a member of Acme Inc." in landed.text
        assert "Security check failed" not in landed.text
        # Only that: whatever the form carries, nothing is done but lead her in (as opening the
        # link does); every other CSRF failure stays one (another invitation, not hers to use).
        forged = client.post(f"/invite/{token}", data={"csrf_token": "forged"}, follow_redirects=False)
        assert forged.status_code == 303 and forged.headers["location"] == f"/p/{pf.slug}"
        refused = client.post(f"/invite/{other}", data={"csrf_token": stale}, follow_redirects=False)
        assert refused.status_code == 403 and "Security check failed" in refused.text
        client.cookies.clear()
        refused = client.post(f"/invite/{token}", data={"csrf_token": stale}, follow_redirects=False)
        assert refused.status_code == 403 and "Security check failed" in refused.text
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        refused = client.post(f"/invite/{token}", data={"csrf_token": stale}, follow_redirects=False)
        assert refused.status_code == 403 and "Security check failed" in refused.text

    def test_a_used_link_opened_by_its_deactivated_recipient_leads_nowhere(self, client, db, worker):
        """The one who joined, deactivated since, is not led into the portal by their old link:
        it is a dead link to them as to anyone."""
        pf = create_portal(db)
        invite(db, pf, ["cleo@client.org"], user_type="client")
        worker.drain()
        token = last_link(db, "cleo@client.org")
        page = client.get(f"/invite/{token}")
        client.post(f"/invite/{token}", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
        with db.unit_of_work() as session:
            cleo = session.scalar(
                select(Member).join(User, User.id == Member.user_id).where(User.email == "cleo@client.org")
            )
            members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), cleo.id)
        assert client.get(f"/invite/{token}", follow_redirects=False).status_code == 410

    def test_a_deactivated_person_is_told_their_access_ended_not_refused_or_sent_to_sign_in(
        self, client, db, worker
    ):
        """The tester: Grace, deactivated, got "Not allowed" after signing in. Her open session,
        and signing in again, land on a page that says what happened and whom to ask, headed so
        ("Your access has ended"), never "Not allowed", nor "Sign in again"."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "grace@acme.com")
        sign_in_page(client, "grace@acme.com", PASSWORD)
        with db.unit_of_work() as session:
            grace = session.scalar(
                select(Member).join(User, User.id == Member.user_id).where(User.email == "grace@acme.com")
            )
            members_flow.deactivate(session, actor_for(session, pf.slug, pf.owner_email), grace.id)
        open_session = client.get(f"/p/{pf.slug}/users")
        client.cookies.clear()
        signed_in = sign_in_page(client, "grace@acme.com", PASSWORD)
        for page in (open_session, client.get(signed_in.headers["location"])):
            assert page.status_code == 403
            assert "<h1>Your access has ended</h1>" in page.text
            assert (
                "An administrator ended your access to Acme Inc. Ask one of its owners or admins" in page.text
            )
            assert "Not allowed" not in page.text and "Sign in again" not in page.text

    @pytest.mark.parametrize(
        "method,path",
        [
            ("GET", "/invite/{t}"),
            ("POST", "/invite/{t}/switch"),
            ("GET", "/join/{t}"),
            ("GET", "/confirm/{t}"),
            ("GET", "/login/link/{t}"),
            ("GET", "/reset-password/{t}"),
            ("GET", "/unsubscribe/{t}"),
            ("GET", "/invite/{t}/not-a-page"),
            ("GET", "/api/v1/invitations/{t}"),
            ("POST", "/api/v1/invitations/{t}/accept"),
            ("GET", "/api/v1/links/{t}"),
            ("POST", "/api/v1/links/{t}/signup"),
            ("GET", "/api/v1/links/confirm/{t}"),
            ("POST", "/api/v1/auth/sign-in-link/{t}"),
            ("POST", "/api/v1/auth/password-reset/{t}"),
        ],
    )
    def test_every_answer_to_a_secret_link_keeps_its_address_to_itself(self, client, db, method, path):
        """Whatever the answer (a page, an error, a refusal), an address holding a token is not
        sent on as the referrer nor kept by the browser (``app.holds_a_secret``)."""
        create_portal(db)
        r = client.request(method, path.format(t="x" * 43), json={}, follow_redirects=False)
        assert r.status_code >= 300, r.text
        assert (r.headers.get("referrer-policy"), r.headers.get("cache-control")) == (
            "no-referrer",
            "no-store",
        ), (r.status_code, r.headers)
        assert "referrer-policy" not in client.get("/login").headers

    def test_a_refusal_before_routing_keeps_a_secret_links_address_too(self, client, db):
        """A change from another site is refused before the app sees the route: the answer to
        an address holding a token still neither passes it on nor is kept."""
        create_portal(db)
        r = client.post(
            "/api/v1/invitations/" + "x" * 43 + "/accept", json={}, headers={"Origin": "https://evil.example"}
        )
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed", r.text
        assert (r.headers["referrer-policy"], r.headers["cache-control"]) == ("no-referrer", "no-store")

    def test_wrong_account_offers_to_switch(self, client, db, worker):
        """Signed in as someone else, the link offers to sign out and continue, and stays unused."""
        pf = create_portal(db)
        invite(db, pf, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/invite/{token}")
        assert "Sign out and continue as ada@example.com" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        r = client.post(
            f"/invite/{token}/switch", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
        )
        assert r.headers["location"] == f"/invite/{token}"
        page = client.get(f"/invite/{token}")
        assert 'name="password"' in page.text and "Olive Owner" in page.text

    def test_signed_in_as_the_recipient_the_page_asks_only_to_join(self, client, db, worker):
        """Having signed in to accept, the person is asked nothing more and told nothing of a
        link that signs them in (they are signed in): one button, Accept invitation."""
        a = create_portal(db)
        b = create_portal(db, name="Beta", owner_email="boss@beta.com")
        member_joins(db, worker, a, "ada@example.com")
        invite(db, b, ["ada@example.com"], user_type="client")
        worker.drain()
        sign_in_page(client, "ada@example.com", PASSWORD)
        page = client.get(f"/invite/{last_link(db, 'ada@example.com')}")
        assert ">Accept invitation</button>" in page.text
        assert "No password needed" not in page.text and 'id="name" name="name"' not in page.text

    def test_existing_account_is_asked_to_sign_in_in_the_portals_look(self, client, db, worker):
        """An address that has an account is sent to sign in; no password form is offered."""
        a = create_portal(db)
        b = create_portal(db, name="Beta", owner_email="boss@beta.com")
        member_joins(db, worker, a, "ada@example.com")
        invite(db, b, ["ada@example.com"])
        worker.drain()
        token = last_link(db, "ada@example.com")
        page = client.get(f"/invite/{token}")
        assert "Sign in to accept" in page.text
        assert 'name="password"' not in page.text

        # Its sign-in page wears Beta and says what it is for; the token leaves the address bar
        # as the page lands (the form carries it), and the page is neither kept nor referred.
        sign_in = html.unescape(re.search(r'href="https?://[^/"]+(/login\?next=[^"]+)"', page.text).group(1))
        page = client.get(sign_in)
        assert '<a class="brand" href="/">Beta</a>' in page.text
        assert "Sign in to accept your invitation to Beta" in page.text
        # Its password is what is asked (no sign-in link instead), the field ready for it.
        assert "Send me a sign-in link" not in page.text
        assert 'autocomplete="current-password" autofocus' in page.text
        assert 'data-secret-path="/login"' in page.text and f'value="/invite/{token}"' in page.text
        assert (page.headers.get("referrer-policy"), page.headers.get("cache-control")) == (
            "no-referrer",
            "no-store",
        )
        r = client.post(
            "/login",
            data={
                "csrf_token": csrf_of(page.text),
                "email": "ada@example.com",
                "password": PASSWORD,
                "next": f"/invite/{token}",
            },
            follow_redirects=False,
        )
        assert r.headers["location"] == f"/invite/{token}"
        # A link that does not work: no portal is named (nor its look), the token still leaves.
        page = client.get("/login?next=/invite/" + "x" * 43)
        assert "Beta" not in page.text and "Sign in to accept" not in page.text
        assert 'data-secret-path="/login"' in page.text
        # However the address writes ``next`` (its name percent-encoded, as the app reads it).
        page = client.get("/login?ne%78t=/invite/" + token)
        assert page.headers.get("referrer-policy") == "no-referrer" and "Sign in to accept" in page.text

    def test_someone_invited_by_phone_signs_in_to_accept_by_a_field_said_as_their_number(
        self, client, db, worker
    ):
        """A phone invitee with an account: Sign in to accept opens the sign-in page filled in
        with their number, under "Phone number" (it said "Email", "Invited by phone? Type your
        phone number instead." under a field holding it already)."""
        phone = "+12025550173"
        a = create_portal(db)
        b = create_portal(db, name="Beta", owner_email="boss@beta.com")
        member_joins(db, worker, a, phone)
        invite(db, b, [phone])
        worker.drain()
        page = client.get(f"/invite/{last_link(db, phone)}")
        assert "Sign in to accept" in page.text
        sign_in = html.unescape(re.search(r'href="https?://[^/"]+(/login\?next=[^"]+)"', page.text).group(1))
        page = client.get(sign_in)
        assert '<label for="email">Phone number</label>' in page.text, page.text
        assert f'value="{phone}"' in page.text and "Invited by phone?" not in page.text
        assert "Or type your email address instead." in page.text
        plain = client.get("/login")
        assert '<label for="email">Email</label>' in plain.text and "Invited by phone?" in plain.text


class TestNotices:
    def test_text_in_the_url_is_never_shown_as_a_notice(self, client, db):
        """A crafted link cannot make the app say something: ``?notice=`` is ignored, and a
        notice cookie whose signature does not hold is too."""
        pf = create_portal(db)
        login(client, pf.owner_email, OWNER_PASSWORD)
        crafted = "Security alert: re-enter your password at evil.example"
        page = client.get(f"/p/{pf.slug}/users", params={"notice": crafted})
        assert page.status_code == 200 and "Security alert" not in page.text
        client.cookies.set("admit_notice", "Security%20alert.0123456789abcdef0123456789abcdef")
        assert "Security alert" not in client.get(f"/p/{pf.slug}/users").text


def test_head_of_the_home_page_answers_like_get(client, db):
    """Uptime monitors send HEAD /: it answers as GET does (a redirect), not 405."""
    create_portal(db)
    response = client.head("/", follow_redirects=False)
    assert response.status_code == client.get("/", follow_redirects=False).status_code == 303


def test_addresses_are_shown_in_their_own_letters():
    from admit.pages.deps import readable_phone

    assert readable_phone("zoë@xn--exmple-cua.com") == "zoë@exämple.com"
    assert readable_phone("+12025550173") == "+1 202-555-0173"
    assert readable_phone("ada@example.com") == "ada@example.com"


def test_pages_url_for_gives_what_starlettes_gives(app):
    """pages.deps.url_for finds each route's path once; what it writes must be what Starlette's
    own url_for writes, for every page route, whatever its parameters."""
    import uuid

    from jinja2 import Template
    from starlette.requests import Request
    from starlette.routing import NoMatchFound

    from admit.pages.deps import url_for

    plain = {
        "type": "http",
        "app": app,
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "path": "/",
        "headers": [],
    }
    # Behind a proxy at a sub-path: the scheme, host, port and root path lead every URL.
    mounted = {**plain, "scheme": "https", "server": ("admit.example.com", 8443), "root_path": "/admit"}
    values = {"slug": "acme", "path": "admit.css"}

    def every(routes):
        for route in routes:
            yield route
            inner = getattr(route, "routes", None) or getattr(
                getattr(route, "original_router", None), "routes", None
            )
            if inner:
                yield from every(inner)

    checked = 0
    for scope in (plain, mounted):
        request = Request(dict(scope))
        for route in every(app.routes):
            name, params = getattr(route, "name", None), getattr(route, "param_convertors", None)
            if not name or params is None or ":" not in name and name != "static":
                continue
            given = {p: values.get(p, str(uuid.uuid4())) for p in params}
            try:
                expected = str(request.url_for(name, **given))
            except NoMatchFound:
                continue
            rendered = Template("{{ url_for(name, **given) }}").render(
                url_for=lambda n, r=request, **kw: url_for({"request": r}, n, **kw), name=name, given=given
            )
            assert rendered == expected, name
            assert str(url_for({"request": request}, name, **given)) == expected  # cached the second time
            checked += 1
    assert checked > 100
