"""Invite-link pages through the real app (no browser): the Share Invite Link tab, the link's
page, sign-up and confirmation pages, workspace link and join requests. The click-through in
Chromium is tests/browser/test_links_e2e.py."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from admit.invitations.models import Invitation
from admit.kit import clock
from admit.kit.text import day_text
from admit.links.models import LinkSignup
from admit.notifications import bounces
from tests.factories import (
    OWNER_PASSWORD,
    PASSWORD,
    create_portal,
    csrf_of,
    invite,
    member_joins,
    said_under,
    sign_in_page,
)
from tests.links.helpers import (
    ask_to_join,
    confirm,
    confirmation_token,
    count,
    create_workspace,
    link_token,
    set_policy,
    sign_up,
    workspace_token,
)


def _copy_why(text: str, share_id: str) -> str:
    """Why a link's Copy Link waits, as its card says it under the button (``links/_share.html``)."""
    said = re.search(rf'<p id="{share_id}-why" class="hint" data-copy-why>(.*?)</p>', text, re.S)
    assert said, f"no reason under {share_id}'s Copy Link"
    return " ".join(html.unescape(said.group(1)).split())


def _shown_link(text: str) -> str:
    match = re.search(r'value="(http[^"]+/join/[A-Za-z0-9_-]+)" data-link-url', text)
    assert match, "no invite link on the page"
    return match.group(1)


def _facts(text: str) -> list[str]:
    """The link's card's facts as read (the badge first), each fact's text with the "·" it leads with."""
    facts = re.search(r'<p class="link-facts" data-link-facts>(.*?)</p>', text, re.S).group(1)
    pieces = (re.sub(r"<[^>]+>", "", piece) for piece in facts.split('<span class="fact">'))
    return [" ".join(html.unescape(piece).split()) for piece in pieces]


def _link_for(client, pf, allowed_domains: str) -> str:
    """The portal's invite link, on, for internal members with ``allowed_domains``, set by its
    owner; the client then signed out, as whoever the link is shared with."""
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    link = _shown_link(client.get(f"/p/{pf.slug}/users").text)
    client.post(
        f"/p/{pf.slug}/invite-link",
        data={
            "csrf_token": csrf_of(client.get(f"/p/{pf.slug}/invite-link").text),
            "user_type": "internal",
            "role": "member",
            "allowed_domains": allowed_domains,
            "enabled": "1",
        },
    )
    client.cookies.clear()
    return link


def _path(url: str) -> str:
    return "/join/" + url.rsplit("/join/", 1)[1]


class TestShareTab:
    def test_tab_copy_and_refresh(self, client, db):
        """Admins see Share Invite Link with the link, Copy Link and Refresh Link; refresh kills it.
        The link starts off: the tab says so and offers "Turn on the invite link"."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        assert "Share Invite Link" in page.text and "Copy Link" in page.text and "Refresh Link" in page.text
        old = _shown_link(page.text)
        assert client.get(f"/p/{pf.slug}/users").text.count(old) == 1  # the same link every time
        assert "The invite link is off: nobody can join through it." in page.text
        assert "Turn on the invite link" in page.text
        # Said before the one click that turns it on (no question after), with the domain it is
        # limited to (the tester: "anyone who has it can sign up" while only acme.com could).
        assert (
            "Once on, anyone who has it can sign up with an address at acme.com, as an internal user "
            "(Member), for 10 days." in page.text
        ), re.findall(r"Once on[^<]*", page.text)
        assert client.get(_path(old)).status_code == 410
        r = client.post(
            f"/p/{pf.slug}/invite-link/on?back=users",
            data={"csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303 and "invite=link" in r.headers["location"]
        page = client.get(r.headers["location"])
        assert "Turn on the invite link" not in page.text
        assert (
            "The invite link is on: anyone who has it can sign up with an address at acme.com." in page.text
        )
        assert client.get(_path(old)).status_code == 200

        r = client.post(
            f"/p/{pf.slug}/invite-link/refresh?back=users",
            data={"csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303 and "invite=link" in r.headers["location"]
        page = client.get(r.headers["location"])
        assert "The previous link no longer works" in html.unescape(page.text)
        # Said in the dialog it opens on (a live region there), not on top under its overlay.
        said = re.search(r'<p class="panel-note" role="status" data-link-said>([^<]*)</p>', page.text)
        assert said, page.text
        assert html.unescape(said.group(1)) == "Invite link refreshed. The previous link no longer works."
        assert 'class="notice" role="status"' not in page.text
        assert 'data-tab="link"' in page.text
        new = _shown_link(page.text)
        assert new != old

        client.cookies.clear()
        gone = client.get(_path(old))
        assert gone.status_code == 410
        assert "This invite link no longer works" in gone.text
        assert gone.headers["referrer-policy"] == "no-referrer"
        assert client.get(_path(new)).status_code == 200

    def test_members_do_not_get_the_tab(self, client, db, worker):
        """Internal members (who may invite clients) have no Share Invite Link tab."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        sign_in_page(client, "mel@acme.com", PASSWORD)
        page = client.get(f"/p/{pf.slug}/users?tab=clients")
        assert "Invite Users" in page.text
        assert "Share Invite Link" not in page.text
        assert client.get(f"/p/{pf.slug}/invite-link").status_code == 403


class TestLinkPage:
    def test_policy_form(self, client, db):
        """The link's page saves the policy and shows it; bad input is shown with the form."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/invite-link")
        assert "0 joined through this link" in page.text
        facts = [
            "0 joined through this link",
            "· no limit on uses",
            "· expires 10 days after it is turned on",
        ]
        # Each "·" before its fact, where the box clips it at a line's start (the browser test
        # test_the_link_facts_separator_never_dangles): it ended a line when it came after.
        assert _facts(page.text)[1:] == facts
        form = {
            "csrf_token": csrf_of(page.text),
            "user_type": "internal",
            "role": "member",
            "lifetime_days": "10",
            "allowed_domains": "acme.com, eu.acme.com",
            "max_uses": "",
            "enabled": "1",
        }
        r = client.post(f"/p/{pf.slug}/invite-link", data=form, follow_redirects=True)
        assert "Invite link settings saved." in r.text
        assert "expires " in r.text and "acme.com, eu.acme.com" in r.text
        r = client.post(f"/p/{pf.slug}/invite-link", data={**form, "allowed_domains": "*.acme.com"})
        assert r.status_code == 422 and said_under(r.text, "allowed_domains")
        assert ">*.acme.com</textarea>" in r.text  # what was typed is kept
        r = client.post(f"/p/{pf.slug}/invite-link", data={**form, "lifetime_days": "400"})
        assert r.status_code == 422 and 'value="400"' in r.text
        assert "between 1 and 365 days" in said_under(r.text, "lifetime_days")  # in days, as the form asks
        r = client.post(f"/p/{pf.slug}/invite-link", data={**form, "allowed_domains": "gmial.com"})
        shown = html.unescape(r.text)
        assert r.status_code == 422 and "Did you mean gmail.com?" in shown and "a@gmail" not in shown
        r = client.post(f"/p/{pf.slug}/invite-link", data={**form, "max_uses": "0"})
        shown = html.unescape(r.text)
        assert "The maximum number of sign-ups must be between 1 and 100,000 (or none)." in shown
        r = client.post(
            f"/p/{pf.slug}/invite-link",
            data={**form, "lifetime_days": "", "never_expires": "1"},
            follow_redirects=True,
        )
        assert "never expires" in r.text and re.search(r'name="never_expires" value="1"\s+checked', r.text)

    def test_the_page_says_a_refresh_keeps_the_places_taken(self, client, db):
        """Whether Refresh Link gives places back is said where the limit is set and where
        Refresh is asked: those who joined keep theirs, sign-ups waiting to confirm lose theirs."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        shown = " ".join(html.unescape(client.get(f"/p/{pf.slug}/invite-link").text).split())
        said = (
            "Refresh Link gives no places back: people who joined keep theirs; sign-ups still"
            " waiting to confirm their email lose theirs."
        )
        assert said in shown
        asked = (
            'data-confirm-title="Refresh Link?" data-confirm-text="The current link stops working for'
            " everyone at once."
        )  # the title asks; the text says what it does
        assert f"{asked} {said}" in shown

    def test_no_domain_rule_is_said_as_set(self, client, db):
        """Domains left empty (the CLI's ``--domains none``) read back as no domain rule: the
        card says any email address may join, as ``links show`` does."""
        pf = create_portal(db)
        set_policy(db, pf, allowed_domains=[], enabled=True)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        shown = " ".join(html.unescape(client.get(f"/p/{pf.slug}/invite-link").text).split())
        assert "they can sign up themselves on your portal with any email address (no domain rule)" in shown

    def test_every_fault_is_said_at_once(self, client, db):
        """A lifetime out of range, a bad domain and a limit out of range are said together, each
        under its field, the lifetime in days as the form asks (it said the lifetime alone, the
        others only once it was fixed); a limit that is no number is said with the rest too; nothing
        is saved."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/invite-link")
        form = {
            "csrf_token": csrf_of(page.text),
            "user_type": "internal",
            "role": "member",
            "lifetime_days": "400",
            "allowed_domains": "example.org, bad domain!!, *.corp.com",
            "max_uses": "-1",
            "enabled": "1",
        }
        r = client.post(f"/p/{pf.slug}/invite-link", data=form)
        assert r.status_code == 422
        assert "3 things to fix below." in html.unescape(r.text)
        assert said_under(r.text, "lifetime_days") == "The link's lifetime must be between 1 and 365 days."
        assert "domain!!" in said_under(r.text, "allowed_domains")
        assert "between 1 and 100,000" in said_under(r.text, "max_uses")
        # The first field at fault in the form's order takes the focus.
        assert re.search(r'id="lifetime_days"[^>]*autofocus', r.text)
        r = client.post(
            f"/p/{pf.slug}/invite-link", data={**form, "lifetime_days": "ten", "max_uses": "lots"}
        )
        assert r.status_code == 422 and "3 things to fix below." in html.unescape(r.text)
        assert said_under(r.text, "lifetime_days") == "Give a whole number, or leave it empty."
        assert said_under(r.text, "max_uses") == "Give a whole number, or leave it empty."
        assert "0 joined through this link" in client.get(f"/p/{pf.slug}/invite-link").text
        assert "example.org" not in client.get(f"/p/{pf.slug}/invite-link").text

    def test_every_bad_domain_is_named_under_the_field(self, client, db):
        """Every bad domain is named under the field, in the product's words (it read "'acme..com'
        is not a valid email domain: An email address cannot have…")."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        csrf = csrf_of(client.get(f"/p/{pf.slug}/invite-link").text)
        domains = "acme..com, @foo.com, gmail.com, acme."
        r = client.post(f"/p/{pf.slug}/invite-link", data={"csrf_token": csrf, "allowed_domains": domains})
        assert r.status_code == 422
        said = html.unescape(said_under(r.text, "allowed_domains"))
        assert said == (
            "“acme..com” is not a valid email domain: it has two periods in a row. "
            "“acme.” is not a valid email domain: it ends with a period."
        ), said

    def test_a_space_inside_a_domain_is_no_separator(self, client, db):
        """The tester typed "ex ample.com" and was told "“ex” is not a valid email domain: it
        needs a period…", the space taken for a separator the hint does not name. Lines and
        commas separate; the domain with its space is refused as typed."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        csrf = csrf_of(client.get(f"/p/{pf.slug}/invite-link").text)
        data = {"csrf_token": csrf, "allowed_domains": "ex ample.com\nacme.com, acme.co.uk"}
        r = client.post(f"/p/{pf.slug}/invite-link", data=data)
        assert r.status_code == 422
        said = html.unescape(said_under(r.text, "allowed_domains"))
        assert said.startswith("“ex ample.com” is not a domain.") and "“ex”" not in said, said

    def test_the_products_joiners_get(self, client, db):
        """Ticked products are saved and shown ticked; none ticked clears them; a form that
        showed none (no products field at all) leaves them as they are."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/invite-link")
        ticked = r'name="products" value="{}"\s+checked'
        form = {"csrf_token": csrf_of(page.text), "user_type": "client", "lifetime_days": "10"}
        r = client.post(
            f"/p/{pf.slug}/invite-link",
            data={**form, "products": ["messaging", "billing"], "products_shown": "1"},
            follow_redirects=True,
        )
        assert "Invite link settings saved." in r.text
        assert re.search(ticked.format("messaging"), r.text) and re.search(ticked.format("billing"), r.text)
        assert not re.search(ticked.format("analytics"), r.text)
        r = client.post(f"/p/{pf.slug}/invite-link", data=form, follow_redirects=True)
        assert re.search(ticked.format("messaging"), r.text)  # not shown, not changed
        r = client.post(
            f"/p/{pf.slug}/invite-link", data={**form, "products_shown": "1"}, follow_redirects=True
        )
        assert not re.search(r'name="products" value="[a-z]+"\s+checked', r.text)


class TestPublicPages:
    def test_back_from_check_your_email_is_the_form_again(self, client, db):
        """Back from "Check your email" (or the form's page reloaded) comes to ``/join?portal=…``,
        the address the page left (the token is taken out of the address bar): it shows the
        sign-up form again, for the link this browser opened (it had said "Open your link
        again", with no form). Nothing about the sign-up is told there; a browser that never
        opened the link gets "Open your link again" as before."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        link = _shown_link(client.get(f"/p/{pf.slug}/users").text)
        client.post(
            f"/p/{pf.slug}/invite-link/on",
            data={"csrf_token": csrf_of(client.get(f"/p/{pf.slug}/users").text)},
        )
        client.cookies.clear()
        page = client.get(_path(link))
        data = {"csrf_token": csrf_of(page.text), "email": "ada@acme.com", "name": "Ada"}
        sent = client.post(_path(link), data=data)
        assert sent.status_code == 200 and "Check your email" in sent.text
        # Said as the person signing up says it, not in User Management's words ("Pending").
        assert "You join once you confirm: the link in the email works for 24 hours." in sent.text
        assert "Pending" not in sent.text
        back = client.get(f"/join?portal={pf.slug}")
        assert back.status_code == 200 and "Join Acme Inc" in back.text, back.text
        assert f'action="http://testserver{_path(link)}"' in back.text and 'name="email"' in back.text
        assert "ada@acme.com" not in back.text and "Open your link again" not in back.text
        again = client.post(
            _path(link), data={**data, "csrf_token": csrf_of(back.text), "email": "bo@acme.com"}
        )
        assert again.status_code == 200 and "Check your email" in again.text
        client.cookies.clear()
        gone = client.get(f"/join?portal={pf.slug}")
        assert "Open your link again" in gone.text and 'name="email"' not in gone.text

    def test_the_join_forms_leave_every_fault_to_the_server(self, client, db):
        """A link's form (a portal's sign-up, a workspace's request to join) is ``novalidate``:
        an empty name got the browser's "Please fill out this field." bubble. The server's words
        are said under each field at fault, marked, what was typed kept."""
        pf = create_portal(db)
        workspace = create_workspace(db, pf)
        for token in (link_token(db, pf), workspace_token(db, pf, workspace.id)):
            page = client.get(f"/join/{token}")
            assert re.search(r'<form method="post" action="[^"]*/join/[^"]*" novalidate>', page.text)
            data = {"csrf_token": csrf_of(page.text), "email": "ada@acme", "name": " "}
            refused = client.post(f"/join/{token}", data=data)
            assert refused.status_code == 422, refused.text
            assert said_under(refused.text, "name") == "Tell us your name."
            assert said_under(refused.text, "email")
            assert re.search(r'<input id="email" [^>]*value="ada@acme"', refused.text)
            refused = client.post(f"/join/{token}", data={**data, "email": "ada@acme.com", "name": ""})
            assert said_under(refused.text, "name") == "Tell us your name."
            assert re.search(r'<input id="email" [^>]*value="ada@acme.com"', refused.text)
            assert 'class="notice error"' not in refused.text

    def test_a_domain_not_the_portals_own_is_not_told(self, client, db):
        """A link for a partner's addresses (nobody in the portal is at that domain): whoever
        holds the link is told it takes work addresses, never whose."""
        pf = create_portal(db)
        link = _link_for(client, pf, "acme.com, partner.example")
        page = client.get(_path(link)).text
        hint = re.search(r'<div class="hint" id="email_hint" data-allowed-domains>([^<]+)</div>', page)
        assert hint and "only accepts addresses at the companies it was made for" in hint.group(1), page
        assert "partner.example" not in page and "acme.com" not in page

    def test_sign_up_and_confirm(self, client, db, worker):
        """Sign up through the link, see "Check your email", confirm, land in the portal signed in."""
        pf = create_portal(db)
        link = _link_for(client, pf, "acme.com")
        page = client.get(_path(link))
        # Said plainly (the tester: "certain organisations only" read as an admin's words), and
        # up front, under the Email field: the portal's own domain (its people's addresses are
        # at it), where the tester learnt it only from a refusal.
        assert "Join Acme Inc" in page.text and "certain organisations" not in page.text
        hint = re.search(r'<div class="hint" id="email_hint" data-allowed-domains>([^<]+)</div>', page.text)
        assert hint and hint.group(1) == "Use your @acme.com address.", page.text
        assert re.search(r'<input id="email" [^>]*aria-describedby="email_hint"', page.text)
        data = {
            "csrf_token": csrf_of(page.text),
            "email": "eve@evil.example",
            "name": "Eve",
            "password": PASSWORD,
        }
        refused = client.post(_path(link), data=data)
        assert refused.status_code == 422
        assert "does not accept addresses at evil.example" in refused.text
        # Said under the Email field, which takes the focus, not in a box above the form.
        said = re.search(r'<div class="field-error" id="email_error">([^<]+)</div>', refused.text)
        assert said and "does not accept addresses at evil.example" in said.group(1)
        assert 'aria-invalid="true" autofocus aria-describedby="email_error"' in refused.text
        assert 'class="notice error"' not in refused.text
        # Said once: the refusal (it says what to do), not the hint again under it in grey (the
        # tester read the domains twice, red and grey).
        assert (
            "Use your @acme.com address." not in refused.text and "data-allowed-domains" not in refused.text
        )
        assert 'value="eve@evil.example"' in refused.text  # the form keeps what was typed
        # Every fault at once, each under its field: the address and the name.
        both = client.post(_path(link), data={**data, "email": "ada@", "name": ""})
        assert both.status_code == 422 and "2 things to fix below." in both.text
        assert said_under(both.text, "email") and said_under(both.text, "name") == "Tell us your name."
        sent = client.post(_path(link), data={**data, "email": "ada@acme.com", "name": "Ada"})
        assert sent.status_code == 200 and "Check your email" in sent.text

        worker.drain()
        text = client.get("/api/v1/dev/messages", params={"to": "ada@acme.com"}).json()["items"][0]["text"]
        confirm_path = re.search(r"https?://[^/]+(/confirm/[A-Za-z0-9_-]+)", text).group(1)
        page = client.get(confirm_path)
        assert "Confirm and join Acme Inc" in page.text
        assert 'name="password"' in page.text  # a new internal user chooses a password here
        # Its hint names every rule the password is checked against, not the length alone.
        hint = "At least 10 characters, 4 of them different; not one of the most common passwords, nor your"
        assert hint in html.unescape(page.text)
        weak = client.post(confirm_path, data={"csrf_token": csrf_of(page.text), "password": "short"})
        assert weak.status_code == 422 and "at least 10 characters" in weak.text
        r = client.post(
            confirm_path,
            data={"csrf_token": csrf_of(page.text), "password": "a-good-password-42"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == f"/p/{pf.slug}"
        home = client.get(r.headers["location"], follow_redirects=True)
        assert "Welcome to Acme Inc! You joined as an internal user (Member)." in html.unescape(home.text)
        # Opened again by Ada, signed in: she is taken to the portal she joined; by anyone else
        # (here, nobody signed in), the link is used.
        again = client.get(confirm_path, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == f"/p/{pf.slug}"
        landed = client.get(again.headers["location"], follow_redirects=True)
        assert "You are already a member of Acme Inc." in html.unescape(landed.text)
        # The confirmation page left open in a second tab, its form now stale (confirming signed
        # her in): Confirm there leads her into the portal too, not to "Security check failed";
        # the same stale form from anyone else is still refused.
        second = client.post(confirm_path, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert second.status_code == 303 and second.headers["location"] == f"/p/{pf.slug}", second.text
        landed = client.get(second.headers["location"], follow_redirects=True)
        assert "You are already a member of Acme Inc." in html.unescape(landed.text)
        client.cookies.clear()
        again = client.get(confirm_path)
        assert again.status_code == 410 and "already confirmed" in again.text
        # Said in the portal's look, as its live page was; so is an unknown link's page, in a
        # deployment of one portal (as the sign-in page is).
        assert (
            '<a class="brand" href="/">Acme Inc</a>' in again.text
            and "<title>No longer valid · Acme Inc" in again.text
        )
        unknown = client.get("/confirm/" + "x" * 43)
        assert unknown.status_code == 404 and '<a class="brand" href="/">Acme Inc</a>' in unknown.text
        assert 'href="/login">Sign in</a>' in again.text  # signed out: sign in instead
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)  # someone else, signed in
        again = client.get(confirm_path, follow_redirects=False)
        assert again.status_code == 410 and 'href="/login">Sign in</a>' not in again.text
        stale = client.post(confirm_path, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert stale.status_code == 403 and "Security check failed" in stale.text

    @staticmethod
    def _ada_signed_up(client, db):
        """The owner signed in turns the link on from User Management; Ada signs up through it."""
        pf = create_portal(db)
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/users")
        link = _shown_link(page.text)
        client.post(f"/p/{pf.slug}/invite-link/on", data={"csrf_token": csrf_of(page.text)})
        sign_up(db, link.rsplit("/", 1)[1], "ada@acme.com", name="Ada Lovelace")
        return pf

    def test_a_sign_up_no_email_may_go_to_reads_as_any_other(self, client, db):
        """An address the portal no longer writes to (it bounced) gets the page everyone gets
        (it must not tell anything of the address), and nothing is stored."""
        pf = create_portal(db)
        path = "/join/" + link_token(db, pf)
        with db.unit_of_work() as session:
            bounces.suppress(
                session,
                portal_id=pf.portal_id,
                address="ada@acme.com",
                kind="bounce",
                detail="550",
                source="smtp",
            )
        page = client.get(path)
        sent = client.post(
            path, data={"csrf_token": csrf_of(page.text), "email": "ada@acme.com", "name": "Ada"}
        )
        assert sent.status_code == 200 and "Check your email" in sent.text
        assert count(db, LinkSignup) == 0

    def test_a_member_who_joined_through_the_link_is_shown_as_invited_by_it(self, client, db):
        """Confirmed, the sign-up's row is an active member's, still Invited by "Invite link"
        (marked for the phone card's "Via Invite link")."""
        pf = self._ada_signed_up(client, db)
        confirm(db, confirmation_token(db, "ada@acme.com"))
        page = client.get(f"/p/{pf.slug}/users")
        row = re.search(
            r'<tr data-address="ada@acme.com" data-kind="member"([^>]*)>(.*?)</tr>', page.text, re.S
        )
        assert row and "data-via-link" in row.group(1), page.text[-3000:]
        invited_by = re.search(r'data-label="Invited by"[^>]*>([^<]*)</td>', row.group(2))
        assert invited_by and invited_by.group(1) == "Invite link" and "Active" in row.group(2)
        owner = re.search(rf'<tr data-address="{pf.owner_email}"([^>]*)>', page.text)
        assert owner and "data-via-link" not in owner.group(1)

    def test_a_signup_by_someone_the_portal_knows_says_so(self, client, db, worker):
        """A sign-up by an active member (a client signing up through the internal link) says
        "Already a member", by someone with a pending invitation "Has an invitation"; a
        stranger's says nothing more."""
        pf = self._ada_signed_up(client, db)  # Ada is a stranger
        member_joins(db, worker, pf, "cleo@client.org", user_type="client")
        invite(db, pf, ["ivy@acme.com"])
        set_policy(db, pf, allowed_domains=[])  # any address: Cleo's is a client's
        token = re.search(r"/join/([A-Za-z0-9_-]+)", client.get(f"/p/{pf.slug}/users").text).group(1)
        sign_up(db, token, "cleo@client.org", name="Cleo")
        sign_up(db, token, "ivy@acme.com", name="Ivy")
        page = client.get(f"/p/{pf.slug}/users").text
        hints = {
            address: re.findall(r'data-since="([a-z_]+)">([^<]+)<', row)
            for row, address in re.findall(
                r'(<tr data-address="([^"]+)" data-kind="signup".*?</tr>)', page, re.S
            )
        }
        assert hints == {
            "ada@acme.com": [],
            "cleo@client.org": [("already_member", "Already a member")],
            "ivy@acme.com": [("has_invitation", "Has an invitation")],
        }, hints

    def test_resend_confirmation_is_greyed_out_while_the_limit_would_refuse_it(self, client, db, rate_limits):  # noqa: ARG002
        """A moment after Ada signed up, her row's Resend confirmation would be refused ("Try
        again in … seconds", the per-person limit): it comes greyed out with the seconds left
        (``data-wait``, which admit.js counts down), and offered once the minute is over."""
        pf = self._ada_signed_up(client, db)
        row_of = r'<tr data-address="ada@acme.com" data-kind="signup"[^>]*>(.*?)</tr>'
        with clock.travel(timedelta(seconds=20)):
            row = re.search(row_of, client.get(f"/p/{pf.slug}/users").text, re.S)
            assert row, "no row for Ada"
            waiting = re.search(
                r'<button [^>]*aria-disabled="true" data-wait="(\d+)"[^>]*>Resend confirmation</button>',
                row.group(1),
            )
            assert waiting and 35 <= int(waiting.group(1)) <= 41, row.group(1)
        with clock.travel(timedelta(seconds=61)):
            row = re.search(row_of, client.get(f"/p/{pf.slug}/users").text, re.S)
            assert row and "Resend confirmation" in row.group(1) and "data-wait" not in row.group(1), row

    def test_pending_signups_show_in_user_management(self, client, db):
        """Until they confirm, people who signed up are Pending in User Management."""
        pf = self._ada_signed_up(client, db)
        page = client.get(f"/p/{pf.slug}/users")
        row = re.search(
            r'<tr data-address="ada@acme.com" data-kind="signup"[^>]*>(.*?)</tr>', page.text, re.S
        )
        assert row and "Pending" in row.group(1) and "Invite link" in row.group(1)
        # The name is what the visitor typed about themselves: quoted, as the audit log has it.
        assert '<td data-label="Name" class="clip" title="“Ada Lovelace”">“Ada Lovelace”</td>' in row.group(1)
        assert "Remove the sign-up of “Ada Lovelace” (ada@acme.com)?" in row.group(1)
        # Its confirmation email is queued: the page asks its delivery again (with the page's
        # other queued badges, in one request a round) until it is sent, with the signed-in
        # person's session.
        watch = re.search(r'data-delivery data-watch="([^"]+)"', row.group(1))
        asking = re.search(r'id="people"[^>]* data-deliveries="([^"]+)"', page.text)
        assert watch and asking and asking.group(1) == f"/api/v1/portals/{pf.slug}/people/deliveries"
        asked = client.get(asking.group(1), params={"ids": watch.group(1)})
        assert asked.status_code == 200, asked.text
        queued = {"status": "queued", "error": None, "at": None}
        assert asked.json()["items"] == [{"kind": "signup", "id": watch.group(1), "delivery": queued}]
        one = client.get(f"/api/v1/portals/{pf.slug}/link/signups/{watch.group(1)}")
        assert one.status_code == 200 and one.json()["email"] == "ada@acme.com", one.text
        # Its menu sends a new confirmation email (a confirm dialog's form posts to the action).
        resend = re.search(r'data-confirm-action="http://testserver(/p/[^"]+/resend)"', row.group(1))
        assert resend and "Resend confirmation" in row.group(1), row.group(1)
        r = client.post(resend.group(1), data={"csrf_token": csrf_of(page.text), "back": ""})
        assert "A new confirmation email is on its way to Ada Lovelace (ada@acme.com)." in r.text
        # Its menu removes it (a confirm dialog's form posts to the action): gone from the list,
        # the reason on top; through the API, the same sign-up is no longer pending.
        action = re.search(r'data-confirm-action="http://testserver(/p/[^"]+/remove)"', row.group(1))
        assert action and "Remove sign-up" in row.group(1), row.group(1)
        r = client.post(action.group(1), data={"csrf_token": csrf_of(page.text), "back": ""})
        assert r.status_code == 200 and "The sign-up of Ada Lovelace (ada@acme.com) was removed." in r.text
        assert 'data-address="ada@acme.com"' not in r.text
        # Ada's confirmation link says so, headed as a replaced or expired one is.
        opened = client.get(f"/confirm/{confirmation_token(db, 'ada@acme.com')}")
        assert opened.status_code == 410 and "<h1>No longer valid</h1>" in opened.text
        assert "removed by the portal" in html.unescape(opened.text)
        again = client.post(action.group(1), data={"csrf_token": csrf_of(page.text), "back": ""})
        assert "no sign-up waiting for its confirmation by that id" in again.text  # refused on top
        signup_id = action.group(1).split("/")[-2]
        api = client.delete(f"/api/v1/portals/{pf.slug}/link/signups/{signup_id}", headers=pf.headers())
        assert (api.status_code, api.json()["code"]) == (404, "signup_not_found")


class TestWorkspacePages:
    def test_workspace_link_and_requests(self, client, db, worker):
        """A member creates a workspace, shares its link, approves one request as a client, declines one."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "mel@acme.com")
        sign_in_page(client, "mel@acme.com", PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces")
        r = client.post(
            f"/p/{pf.slug}/workspaces",
            data={"csrf_token": csrf_of(page.text), "name": "Q3 Audit", "kind": "flow"},
            follow_redirects=True,
        )
        assert "Workspace “Q3 Audit” created." in r.text and "Workspace Link" in r.text
        ws_url = str(r.url).split("?")[0]
        link = _shown_link(r.text)
        client.cookies.clear()
        join = client.get(_path(link))
        assert "Ask to join Q3 Audit" in join.text
        for email in ("rita@example.org", "sam@example.org"):
            page = client.get(_path(link))
            sent = client.post(
                _path(link),
                data={"csrf_token": csrf_of(page.text), "email": email, "name": "R", "note": "hi"},
            )
            assert "Request sent" in sent.text

        sign_in_page(client, "mel@acme.com", PASSWORD)
        page = client.get(ws_url)
        assert "Join requests" in page.text and "rita@example.org" in page.text
        # Each fact unbroken with its "·" at its end: wrapped, no line starts with the dot.
        assert _facts(page.text)[1:] == [
            "0 approved through this link",
            "· 2 waiting for approval",
            "· no limit on uses",  # its settings are the portal link's (Link settings)
            "· never expires",
        ]
        assert '<option value="internal">' not in page.text  # a member approves as client only
        approve = re.search(
            r'action="(?:https?://[^/"]+)?(/p/[^"]+/join-requests/[^"]+/approve)"', page.text
        ).group(1)
        r = client.post(
            approve, data={"csrf_token": csrf_of(page.text), "user_type": "client"}, follow_redirects=True
        )
        assert "Approved." in html.unescape(r.text)
        decline = re.search(
            r'data-confirm-action="(?:https?://[^/"]+)?(/p/[^"]+/join-requests/[^"]+/decline)"', r.text
        ).group(1)
        r = client.post(decline, data={"csrf_token": csrf_of(r.text)}, follow_redirects=True)
        assert "Declined." in html.unescape(r.text)
        assert "Not Joined" in r.text

    def test_approving_as_owner_asks_to_confirm_first(self, client, db, worker):
        """Approve as an internal user with the role Owner: nothing is made; the workspace comes
        back with that request's form showing Owner and the owners' confirmation (the wording
        every page that makes owners asks by); only an Approve with it ticked invites them as an
        owner. Another role is approved at once, as before."""
        pf = create_portal(db)
        ws = create_workspace(db, pf)
        token = workspace_token(db, pf, ws.id)
        ask_to_join(db, token, "rita@example.org")
        ask_to_join(db, token, "sam@example.org", name="Sam")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws.id}")
        assert "data-owners" not in page.text
        rows = dict(
            re.findall(
                r'<tr data-address="([^"]+)">.*?action="(?:https?://[^/"]+)?(/p/[^"]+/approve)"',
                page.text,
                re.S,
            )
        )
        data = {"csrf_token": csrf_of(page.text), "user_type": "internal", "role": "owner"}
        asked = client.post(rows["rita@example.org"], data=data, follow_redirects=True)
        assert asked.status_code == 200, asked.text[:2000]
        table = asked.text[asked.text.index('id="join-requests"') :]
        row = table[table.index('<tr data-address="rita@example.org">') :]
        row = row[: row.index("</tr>")]
        assert "Yes, make Rita Requester (rita@example.org) an owner." in row
        assert "Owners can do everything, including removing you." in row
        assert 'name="owners_confirmed"' in row
        assert '<option value="internal" selected>' in row
        assert re.search(r'<option value="owner" selected>Owner</option>', row)
        assert asked.text.count("data-owners") == 1  # Sam's form asks nothing
        assert count(db, Invitation) == 0 and "rita@example.org" in asked.text
        sam = client.post(
            rows["sam@example.org"],
            data={**data, "role": "admin", "csrf_token": csrf_of(asked.text)},
            follow_redirects=False,
        )
        assert sam.status_code == 303 and "approve_owner" not in sam.headers["location"]
        done = client.post(
            rows["rita@example.org"],
            data={**data, "owners_confirmed": "1", "csrf_token": csrf_of(asked.text)},
            follow_redirects=True,
        )
        assert "Approved." in html.unescape(done.text), done.text[:2000]
        with db.unit_of_work() as session:
            made = session.execute(select(Invitation.recipient, Invitation.role)).all()
        assert dict(made) == {"rita@example.org": "owner", "sam@example.org": "admin"}

    def test_approving_someone_already_invited_asks_no_confirmation_and_says_what_it_does(
        self, client, db, worker
    ):
        """The tester: Rita, invited as a client already, asked to join through the workspace
        link; Approve as an internal Owner asked for the owners' tick, though approving makes no
        owner and nothing new: her invitation stands (``join_requests.approve``). Her row says so
        instead of asking a type and role, with the day she was invited, and Approve, whatever is
        posted, asks nothing and puts her in the workspace on that invitation, as a client still."""
        pf = create_portal(db)
        ws = create_workspace(db, pf)
        token = workspace_token(db, pf, ws.id)
        (invitation,) = invite(db, pf, ["rita@example.org"], user_type="client").invited
        ask_to_join(db, token, "rita@example.org")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws.id}")
        table = page.text[page.text.index('id="join-requests"') :]
        row = table[table.index('<tr data-address="rita@example.org">') :]
        row = " ".join(row[: row.index("</tr>")].split())
        words = re.sub(r"<[^>]+>", "", html.unescape(row))
        day = day_text(invitation.created_at, "UTC")
        assert (
            f"Invited on {day} as a client, not accepted yet: approving puts them in this workspace" in words
        ), words
        assert 'name="user_type"' not in row and 'name="role"' not in row, row
        approve = re.search(r'action="(?:https?://[^/"]+)?(/p/[^"]+/approve)"', row).group(1)
        data = {"csrf_token": csrf_of(page.text), "user_type": "internal", "role": "owner"}
        done = client.post(approve, data=data, follow_redirects=False)
        assert done.status_code == 303 and "approve_owner" not in done.headers["location"], done.headers
        page = client.get(done.headers["location"])
        assert "will be in the workspace once they accept their invitation" in html.unescape(page.text)
        with db.unit_of_work() as session:
            made = session.execute(select(Invitation.recipient, Invitation.user_type, Invitation.role)).all()
        assert made == [("rita@example.org", "client", "client")], made

    def test_approve_is_refused_when_what_its_row_said_changed_meanwhile(self, client, db, worker):
        """The reviewer: Rita's row said her invitation stands and "is not sent again"; it was
        revoked between the page and the click, and Approve sent her a NEW invitation as a client
        (the type and role the row never asked). The row posts what it said (``shown``); the
        approval, finding otherwise now, does nothing and says to look again."""
        from admit.flows import invitations as invitations_flow
        from tests.factories import actor_for

        pf = create_portal(db)
        ws = create_workspace(db, pf)
        token = workspace_token(db, pf, ws.id)
        (invitation,) = invite(db, pf, ["rita@example.org"], user_type="internal", role="admin").invited
        ask_to_join(db, token, "rita@example.org")
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws.id}")
        table = page.text[page.text.index('id="join-requests"') :]
        row = table[table.index('<tr data-address="rita@example.org">') :]
        row = row[: row.index("</tr>")]
        assert "The invitation is not sent again" in row
        approve = re.search(r'action="(?:https?://[^/"]+)?(/p/[^"]+/approve)"', row).group(1)
        form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', row))
        with db.unit_of_work() as session:
            invitations_flow.revoke(session, actor_for(session, pf.slug, pf.owner_email), invitation.id)
        refused = client.post(approve, data=form, follow_redirects=False)
        assert refused.status_code == 409, refused.status_code
        assert "changed since the page was shown" in html.unescape(refused.text)
        with db.unit_of_work() as session:
            made = session.execute(select(Invitation.status, Invitation.user_type, Invitation.role)).all()
        assert [tuple(m) for m in made] == [("revoked", "internal", "admin")], made
        # Shown again, the row now asks a type and role (inviting anew), and Approve does it.
        page = client.get(f"/p/{pf.slug}/workspaces/{ws.id}")
        table = page.text[page.text.index('id="join-requests"') :]
        row = table[table.index('<tr data-address="rita@example.org">') :]
        row = row[: row.index("</tr>")]
        assert 'name="user_type"' in row and 'value="new"' in row
        done = client.post(
            approve, data={"csrf_token": csrf_of(page.text), "user_type": "client", "shown": "new"}
        )
        assert done.status_code == 200 and "Approved." in html.unescape(done.text)

    def test_outsiders_get_404(self, client, db, worker):
        """A member who is not in a workspace cannot open it."""
        pf = create_portal(db)
        member_joins(db, worker, pf, "otto@acme.com")
        ws = create_workspace(db, pf)
        ask_to_join(db, workspace_token(db, pf, ws.id), "rita@example.org")
        sign_in_page(client, "otto@acme.com", PASSWORD)
        assert client.get(f"/p/{pf.slug}/workspaces/{ws.id}").status_code == 404
        assert "Q3 Audit" not in client.get(f"/p/{pf.slug}/workspaces").text


def test_the_workspace_share_card_has_the_portal_links_settings(client, db):
    """The workspace's Share card sets its link as the portal's page does, with the same form
    (``links/_settings.html``): off, lifetime, domains, maximum; no user type, role or products
    (chosen on approval). Saved, the card says it; a fault is said under its field."""
    pf = create_portal(db)
    ws = create_workspace(db, pf)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/workspaces/{ws.id}")
    form = re.search(r'<form[^>]*id="link-policy".*?</form>', page.text, re.S)
    assert form, "no link settings on the workspace page"
    for name in ("lifetime_days", "never_expires", "allowed_domains", "max_uses", "enabled"):
        assert f'name="{name}"' in form.group(0), name
    for name in ("user_type", "role", "products"):
        assert f'name="{name}"' not in form.group(0), name
    action = re.search(r'action="http://testserver(/p/[^"]+)"', form.group(0)).group(1)
    data = {
        "csrf_token": csrf_of(page.text),
        "lifetime_days": "5",
        "allowed_domains": "example.org",
        "max_uses": "2",
        "enabled": "",
    }
    r = client.post(action, data=data, follow_redirects=True)
    shown = " ".join(html.unescape(r.text).split())
    assert "Workspace link settings saved." in shown
    # The badge says the text's word ("off", not "Disabled"), and Refresh Link, still offered,
    # says what it does to a link that is off.
    assert "Off" in _facts(r.text)[0] and "· 0 of 2 places taken" in _facts(r.text)
    assert re.search(
        r"<p [^>]*data-refresh-off>The link is off: Refresh Link gives it a new address now", r.text
    )
    assert client.get(_path(_shown_link(r.text))).status_code == 410
    refused = client.post(action, data={**data, "max_uses": "0"})
    assert refused.status_code == 422 and "between 1 and 100,000" in html.unescape(
        said_under(refused.text, "max_uses")
    )


def test_a_workspace_link_that_is_off_is_turned_on_in_one_click(client, db):
    """Where the workspace's Share card says its link is off, one button turns it on (a small
    form post, no settings form to fill): the same change as the settings form's "Link on", the
    same audit event, and its lifetime runs from then."""
    from admit.audit.models import AuditEvent

    pf = create_portal(db)
    ws = create_workspace(db, pf)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/workspaces/{ws.id}")
    form = re.search(r'<form[^>]*id="link-policy".*?</form>', page.text, re.S).group(0)
    action = re.search(r'action="http://testserver(/p/[^"]+)"', form).group(1)
    off = {"csrf_token": csrf_of(page.text), "lifetime_days": "5", "allowed_domains": "example.org"}
    page = client.post(action, data={**off, "enabled": ""}, follow_redirects=True)
    said = re.search(r"<div class=\"notice warn\" data-link-off>(.*?)</div>", page.text, re.S)
    assert said, "the card does not say the link is off"
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", said.group(1))).split())
    assert words.startswith("The workspace link is off: nobody can ask to join through it."), words
    assert "Once on, anyone who has it can ask to join this workspace with an address at example.org" in words
    assert "for 5 days" in words and "Turn on the workspace link" in words, words
    on = re.search(r'data-post-action="http://testserver(/p/[^"]+)"', said.group(1)).group(1)
    r = client.post(on, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(f"/workspaces/{ws.id}"), r.headers
    page = client.get(r.headers["location"])
    shown = " ".join(html.unescape(page.text).split())
    assert (
        "The workspace link is on: anyone who has it can ask to join with an address at example.org." in shown
    )
    assert "data-link-off" not in page.text and "Active" in _facts(page.text)[0]
    assert client.get(_path(_shown_link(page.text))).status_code == 200
    with db.unit_of_work() as session:
        changed = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "invite_link.policy_changed", AuditEvent.target_label == ws.name)
            .order_by(AuditEvent.created_at)
        ).all()
    assert changed[-1].detail["enabled"] == [False, True], [e.detail for e in changed]


def test_turning_on_a_link_whose_fixed_expiry_passed_while_off_says_it_still_lets_nobody_in(client, db):
    """The reviewer: a workspace link with a fixed expiry (the API's ``expires_at``), turned off,
    its expiry passed: Turn on answered "The workspace link is on: anyone who has it can ask to
    join" while the link stayed expired. It says what is so now, and what to do."""
    from datetime import timedelta

    from admit.flows import workspace_links
    from admit.kit import clock
    from tests.factories import actor_for

    pf = create_portal(db)
    ws = create_workspace(db, pf)
    with db.unit_of_work() as session:
        actor = actor_for(session, pf.slug, pf.owner_email)
        ends = clock.now() + timedelta(hours=2)
        workspace_links.update(session, actor, ws.id, enabled=False, expires_at=ends)
    with clock.travel(timedelta(hours=3)):
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/workspaces/{ws.id}")
        r = client.post(
            f"/p/{pf.slug}/workspaces/{ws.id}/link/on",
            data={"csrf_token": csrf_of(page.text)},
            follow_redirects=True,
        )
        shown = " ".join(html.unescape(r.text).split())
        assert "anyone who has it can ask to join" not in shown, shown[:3000]
        assert (
            f"The workspace link is on, but it expired on {day_text(ends, 'UTC')}: "
            "set a new lifetime to let people in." in shown
        )
        # The card says why Copy Link waits in the same words (``LinkView.shut``): it said
        # "refresh it" where the notice said "set a new lifetime".
        why = _copy_why(r.text, "workspace-link")
        day = day_text(ends, "UTC")
        assert why == f"The link expired on {day}: set a new lifetime before you share it.", why


def test_turning_on_a_link_whose_places_are_taken_says_it_as_the_card_does(client, db):
    """A portal link with every place taken, turned off and on again: the notice and the card's
    reason under Copy Link say the same state and the same remedy (they said "every place is
    taken: raise its maximum" and "Every place on the link is taken: raise its limit")."""
    pf = create_portal(db)
    token = link_token(db, pf)
    set_policy(db, pf, max_uses=1)
    sign_up(db, token, "sam@example.org")
    set_policy(db, pf, enabled=False)
    sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
    page = client.get(f"/p/{pf.slug}/invite-link")
    r = client.post(
        f"/p/{pf.slug}/invite-link/on", data={"csrf_token": csrf_of(page.text)}, follow_redirects=True
    )
    shown = " ".join(html.unescape(r.text).split())
    assert "The invite link is on, but it has every place taken: raise its maximum to let people in." in shown
    why = _copy_why(r.text, "portal-link")
    assert why == "The link has every place taken: raise its maximum before you share it.", why
