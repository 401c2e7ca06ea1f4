"""User Management as a new admin found it (the admin tester): the selection bar on a phone,
the bulk actions it offers, what a finished bulk action says, the Invite box's Send."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser import gestures
from tests.factories import OWNER_PASSWORD, active_member, create_portal, invite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture
def sixty_pending(live_server):
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, [f"p{i}@acme.com" for i in range(60)])
    return pf


def test_the_selection_bar_fits_a_phone_and_the_page_can_be_selected(
    new_context, live_server, shot, sixty_pending
):
    """At 390 px a ticked row's bar wraps inside the page (it was 423 px wide, Reactivate cut
    off), and a phone can select the whole page, then every match."""
    page = gestures.signed_in(
        new_context, live_server, sixty_pending, PHONE, f"/p/{sixty_pending.slug}/users?status=pending"
    )
    page.locator("input[data-select]").first.check()
    bar = page.locator("[data-bulk-bar]")
    expect(bar).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    for button in bar.get_by_role("button").all():
        if button.is_visible():
            box = button.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    page.get_by_label("Select this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("50 selected")
    page.get_by_role("button", name="Select all 60 matching").click()
    expect(page.locator("[data-bulk-count]")).to_have_text("All 60 people matching selected")
    gestures.expect_no_wider_than(page, PHONE["width"])
    shot(page, "bulk-bar-phone")


def test_the_bar_offers_only_the_actions_that_apply_to_those_ticked(
    new_context, live_server, shot, sixty_pending
):
    """Pending invitations can be resent or revoked, not deactivated nor reactivated: the bar
    offers those two (it offered all four, Deactivate's question then greyed out)."""
    page = gestures.signed_in(
        new_context, live_server, sixty_pending, DESKTOP, f"/p/{sixty_pending.slug}/users?status=pending"
    )
    page.locator("input[data-select]").first.check()
    bar = page.locator("[data-bulk-bar]")
    expect(bar.get_by_role("button", name="Reinvite")).to_be_visible()
    expect(bar.get_by_role("button", name="Revoke")).to_be_visible()
    expect(bar.get_by_role("button", name="Deactivate")).to_be_hidden()
    expect(bar.get_by_role("button", name="Reactivate")).to_be_hidden()
    expect(page.get_by_label("Select this page")).to_be_hidden()  # a phone's: the head has its own
    # The owner (an active member, herself) is on the unfiltered list: ticking her alone offers
    # nothing she can take, and the bar says so.
    page.goto(live_server(f"/p/{sixty_pending.slug}/users?sort=invited"))
    page.locator('tr[data-kind="member"] input[data-select]').check()
    for name in ("Reinvite", "Revoke", "Deactivate", "Reactivate"):
        expect(bar.get_by_role("button", name=name)).to_be_hidden()
    expect(bar.locator("[data-bulk-none]")).to_have_text("No action applies to those selected.")
    shot(page, "bulk-bar-only-what-applies")


def test_all_matching_offers_what_applies_on_later_pages(new_context, live_server, shot):
    """Page 1 holds only pending invitations, the active member is on page 2: ticking the page
    offers Resend and Revoke, and "Select all N matching" adds Deactivate (it stayed hidden,
    decided from the page's rows), its question counting those it takes: Mel, not Olive, who
    is signed in and cannot deactivate herself (it said "up to 2 people")."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    active_member(db, pf, "mel@acme.com")
    invite(db, pf, [f"p{i}@acme.com" for i in range(55)])  # newest first: the first page's
    for size in (DESKTOP, PHONE):
        page = gestures.signed_in(new_context, live_server, pf, size, f"/p/{pf.slug}/users")
        page.locator("input[data-select-page]:visible").check()
        bar = page.locator("[data-bulk-bar]")
        expect(bar.get_by_role("button", name="Reinvite")).to_be_visible()
        expect(bar.get_by_role("button", name="Deactivate")).to_be_hidden()
        bar.get_by_role("button", name="Select all 57 matching").click()
        expect(bar.get_by_role("button", name="Deactivate")).to_be_visible()
        expect(bar.get_by_role("button", name="Reactivate")).to_be_hidden()
        bar.get_by_role("button", name="Deactivate").click()
        expect(page.locator("[data-bulk-question]")).to_have_text(
            "Deactivate up to 1 person? They lose access at once."
            " Those matching that cannot be deactivated stay as they are."
        )
        shot(page, f"bulk-all-matching-{size['width']}")


def test_clear_stays_on_the_filters_row_and_nothing_to_export_is_not_offered(
    new_context, live_server, shot, sixty_pending
):
    """At 1280 px a search's Clear sits beside Search (it wrapped alone onto a second row);
    with nobody matching, Export CSV is not offered as a download of nothing, and the empty
    list says the tab searched."""
    page = gestures.signed_in(
        new_context,
        live_server,
        sixty_pending,
        DESKTOP,
        f"/p/{sixty_pending.slug}/users?q=zzzz&status=pending",
    )
    search = page.locator("form.filters").get_by_role("button", name="Search")
    clear = page.locator("form.filters").get_by_role("link", name="Clear")
    assert abs(search.bounding_box()["y"] - clear.bounding_box()["y"]) < 2
    query = page.get_by_placeholder("Name, email or phone")
    assert abs(query.bounding_box()["y"] - clear.bounding_box()["y"]) < 8
    expect(page.locator("[data-export]")).to_be_disabled()
    expect(page.locator("#people tbody")).to_contain_text("No internal user matches “zzzz”.")
    shot(page, "nobody-matches")


def test_a_finished_bulk_action_names_who_it_skipped(new_context, live_server, shot):
    """Resend with a revoked invitation among those ticked, on a searched list: once done the
    page is read again (a search box's focus is no work under way: it kept the page from
    reloading, the skipped unnamed) and names the person skipped with the reason; no "2 of 2"
    is left over."""
    from datetime import timedelta

    from admit.bulk.models import BulkJob
    from admit.flows import people_bulk
    from admit.invitations import service as invitations_service
    from admit.kit import clock
    from tests.factories import actor_for

    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invited = invite(db, pf, ["Ada Lovelace <ada@acme.com>", "Bob Stone <bob@acme.com>"]).invited
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        invitations_service.revoke(session, owner, invited[1].id)
        # Held as if another worker had it, so the page opens on it under way.
        job = people_bulk.start(session, owner, "resend", ids=[i.id for i in invited])
        job.status, job.lease_until = "running", clock.now() + timedelta(hours=1)
        job_id = job.id
    page = gestures.signed_in(
        new_context, live_server, pf, DESKTOP, f"/p/{pf.slug}/users?q=acme.com&bulk={job_id}"
    )
    expect(page.locator("[data-bulk-job][data-url]")).to_be_visible()
    expect(page.get_by_placeholder("Name, email or phone")).to_be_focused()
    with db.unit_of_work() as session:  # let go: the server's worker takes it
        held = session.get(BulkJob, job_id)
        held.status, held.lease_until = "queued", None
    skipped = page.locator("[data-bulk-skipped]")
    expect(skipped).to_contain_text(
        "Bob Stone (bob@acme.com): This invitation is revoked;"
        " only pending or expired invitations can be resent.",
        timeout=30_000,
    )
    box = page.locator("[data-bulk-job]")
    expect(box.locator("[data-bulk-title]")).to_have_text("1 reinvited")
    expect(box).not_to_contain_text("of 2")
    shot(page, "bulk-skipped-named")


def test_only_the_ticked_rows_an_action_applies_to_are_sent(new_context, live_server, shot):
    """The tester ticked an active member and two pending invitations and pressed Revoke: the
    job said "2 revoked · 1 skipped: 1 not one this action is for", naming nobody ("No such
    invitation"). The question counts the member apart; she is not sent, so nothing is skipped."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    active_member(db, pf, "mel@acme.com")
    invite(db, pf, ["p0@acme.com", "p1@acme.com"])
    page = gestures.signed_in(new_context, live_server, pf, DESKTOP, f"/p/{pf.slug}/users")
    for address in ("mel@acme.com", "p0@acme.com", "p1@acme.com"):
        page.locator(f'tr[data-address="{address}"] input[data-select]').check()
    page.locator("[data-bulk-bar]").get_by_role("button", name="Revoke").click()
    expect(page.locator("[data-bulk-question]")).to_have_text(
        "Revoke the invitations of 2 people? Their links stop working."
        " 1 of those selected cannot be revoked and stay as they are."
    )
    page.locator("#bulk-dialog").get_by_role("button", name="Revoke").click()
    box = page.locator("[data-bulk-job]")
    expect(box.locator("[data-bulk-title]")).to_have_text("2 revoked", timeout=20_000)
    expect(box).not_to_contain_text("skipped")
    expect(page.locator('tr[data-address="mel@acme.com"] [data-status]')).to_have_text("Active")
    shot(page, "bulk-only-what-applies-sent")


def test_back_puts_the_filters_as_the_list_shows_them(new_context, live_server, sixty_pending):
    """The tester set Status to Revoked, then pressed Back: the list was everyone's again, but
    Status still said Revoked (the browser kept the page as it was left)."""
    page = gestures.signed_in(
        new_context, live_server, sixty_pending, DESKTOP, f"/p/{sixty_pending.slug}/users"
    )
    expect(page.locator("[data-total]")).to_have_text("1–50 of 61")
    page.get_by_label("Status").select_option("revoked")
    expect(page).to_have_url(re.compile(r"status=revoked"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"status=revoked"))
    expect(page.locator("[data-total]")).to_have_text("1–50 of 61")
    expect(page.get_by_label("Status")).to_have_value("")


def test_a_long_name_breaks_no_word_in_the_table_nor_the_audit_log(new_context, live_server, shot):
    """The tester, at 1280 px, a 200-letter name in the list: Products broke inside its words
    ("Workspace / s") and the table ran past its card; the Audit Log's From read "127.0. / 0.1"."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, [f"{'W' * 200} <longname@aerowidgets.com>", "Ünïcødé Pérsön <unicode@aerowidgets.com>"])
    invite(db, pf, ["ada@aerowidgets.com"], role="admin", products=["messaging", "workspaces"])
    # The narrowest desktop width (the table's own below 1200 px), where the columns press most.
    wide = {"width": 1200, "height": 860}
    page = gestures.signed_in(new_context, live_server, pf, wide, f"/p/{pf.slug}/users")
    table = page.locator("#people").bounding_box()
    main = page.locator("main").bounding_box()
    assert table is not None and main is not None
    assert table["x"] + table["width"] <= main["x"] + main["width"], (table, main)
    # Products pressed as narrow as the row can make it: broken between its words only.
    products = page.locator('tr[data-address="ada@aerowidgets.com"] td[data-label="Products"]')
    lines = products.evaluate(
        """td => { td.style.width = "1px"; td.style.maxWidth = "1px";
        const range = document.createRange(); range.selectNodeContents(td);
        const tops = Array.from(range.getClientRects(), (r) => Math.round(r.top));
        td.style.width = td.style.maxWidth = ""; return new Set(tops).size; }"""
    )
    assert lines == 2, lines  # "Messaging," and "Workspaces", not "Workspace / s"
    shot(page, "long-name-users-1200")
    page.goto(live_server(f"/p/{pf.slug}/audit"))
    came_from = page.locator('#audit td[data-label="From"]', has_text="127.0.0.1").first
    box = came_from.bounding_box()
    assert box is not None and box["height"] < 2 * 24, box  # one line
    shot(page, "long-name-audit-1280")


def test_a_phone_card_shows_a_pending_persons_address_whole(new_context, live_server, shot):
    """At 390 px a pending person's card showed "dave@clientco.c…": the address shared its line
    with Status, Reinvite and "…" (the tester). An address without a name has a line of its own,
    the actions below it; a named person's wraps under the name; either is read whole, and
    Reinvite is still on the card."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    long_one = "bartholomew.featherstonehaugh@international-logistics.co.uk"
    invite(
        db, pf, ["dave@clientco.com", long_one, "Grace Hopper <grace.hopper-longname@acme-engineering.com>"]
    )
    page = gestures.signed_in(new_context, live_server, pf, PHONE, f"/p/{pf.slug}/users?status=pending")
    for address in ("dave@clientco.com", long_one, "grace.hopper-longname@acme-engineering.com"):
        row = page.locator(f'#people tbody tr[data-address="{address}"]')
        cell = row.locator('td[data-label="Email or phone"]')
        expect(cell).to_have_text(address)
        scroll, client = cell.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll <= client, (address, scroll, client)  # nothing cut off
        reinvite = row.get_by_role("button", name=f"Reinvite {address}")
        expect(reinvite).to_be_visible()
        box = reinvite.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    # The short one too: its line is its own, not shared with the buttons.
    dave = page.locator('#people tbody tr[data-address="dave@clientco.com"]')
    address_box = dave.locator('td[data-label="Email or phone"]').bounding_box()
    button_box = dave.get_by_role("button", name="Reinvite dave@clientco.com").bounding_box()
    assert address_box and button_box and button_box["y"] >= address_box["y"] + address_box["height"] - 1
    gestures.expect_no_wider_than(page, PHONE["width"])
    shot(page, "pending-cards-phone")


def _inviting_owners(new_context, live_server, viewport, typed):
    """A new portal's owner at ``viewport`` with the Invite box open, Owner chosen and ``typed``
    in it, its chips drawn: ``(page, dialog)``."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    page = gestures.signed_in(new_context, live_server, pf, viewport, f"/p/{pf.slug}/users")
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    dialog.get_by_label("Role").select_option("owner")
    box = dialog.locator("#recipients")
    gestures.checked(box, lambda: box.fill(typed))
    return page, dialog


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_internal_invitee_outside_the_company_is_pointed_out_not_stopped(
    new_context, live_server, shot, viewport
):
    """Inviting mallory@gmail.com as an internal user, even as Owner, looked like any other
    chip, "1 to invite" (the tester). An address the server does not call a colleague's
    (recipients/check: ``colleague``) gets an amber note naming the company's domain and what an
    internal user sees, and the summary counts them; a colleague's and a phone number's do not,
    nor does anyone invited as a client (then a colleague's is pointed out instead). Send still
    sends them all (once the owners they will be are confirmed)."""
    page, dialog = _inviting_owners(
        new_context, live_server, viewport, "mallory@gmail.com, ada@acme.com, +1 202 555 0173"
    )
    chips = dialog.locator("[data-chips]")
    outside = chips.locator("[data-outside]")
    expect(outside).to_have_count(1)
    expect(outside).to_contain_text("mallory@gmail.com")
    expect(outside.locator("[data-chip-why]")).to_have_text(
        "not at acme.com: as an internal user they will see everyone in the portal"
    )
    expect(chips.locator("[data-chips-summary]")).to_have_text("3 to invite (1 not at acme.com)")
    shot(page, "invite-outside-" + ("phone" if viewport is PHONE else "desktop"))
    dialog.get_by_label("User type").select_option("client")  # a client sees only their workspaces
    expect(chips.locator("[data-outside]")).to_have_count(0)
    # As a client, the colleague's address is the one pointed out (the other way round).
    expect(chips.locator("[data-chips-summary]")).to_have_text("3 to invite (1 at acme.com)")
    dialog.get_by_label("User type").select_option("internal")
    expect(chips.locator("[data-outside]")).to_have_count(1)
    dialog.get_by_role("button", name="Send Invitation").click()  # a note, not a block
    dialog.get_by_label(  # owners are confirmed first
        "Yes, make mallory@gmail.com, ada@acme.com and +1 202-555-0173 owners."
    ).check()
    dialog.get_by_role("button", name="Send Invitation").click()
    expect(page.locator("[data-report] [data-summary]")).to_have_text("3 invited as internal users")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_long_name_or_address_wraps_inside_its_invite_chip(new_context, live_server, shot, size):
    """The second tester: a 200-letter name (or local part) in the Invite box made a chip 1,888 px
    wide inside a 590 px box, its text cut off at the edge. It wraps inside the chip."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    page = gestures.signed_in(new_context, live_server, pf, size, f"/p/{pf.slug}/users")
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    dialog.locator("#recipients").fill(f"{'C' * 200} <c200@acme.com>, {'D' * 150}@acme.com")
    chips = dialog.locator("[data-chips] .chip")
    expect(chips).to_have_count(2)
    box = dialog.bounding_box()
    assert box is not None
    for chip in chips.all():
        cut = chip.evaluate("c => c.scrollWidth - c.clientWidth")
        assert cut <= 1, cut  # nothing runs past the chip's edge
        own = chip.bounding_box()
        assert own is not None and own["x"] + own["width"] <= box["x"] + box["width"], (own, box)
    shot(page, f"long-invite-chips-{size['width']}")


def test_making_an_owner_asks_first_and_cancel_changes_nothing(new_context, live_server, shot):
    """Change role and products with Owner chosen and saved shows the owners' confirmation (what
    an owner can do) instead of saving; Cancel goes back to the list with the role unchanged."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    active_member(db, pf, "mel@acme.com")
    page = gestures.signed_in(new_context, live_server, pf, DESKTOP, f"/p/{pf.slug}/users")
    row = page.locator("tr[data-address='mel@acme.com']")
    row.locator("summary[aria-label='Actions for mel@acme.com']").click()
    row.get_by_role("menuitem", name="Change role and products").click()
    page.get_by_label("Role").select_option("owner")
    page.get_by_role("button", name="Save").click()
    confirmation = page.locator("[data-owners]")
    gestures.expect_owners_asked(confirmation, "mel (mel@acme.com) an owner")
    shot(page, "owner-confirmation")
    page.get_by_role("link", name="Cancel").click()
    row = page.locator("tr[data-address='mel@acme.com']")
    expect(row.locator("td[data-label='Role']")).to_have_text("Member")


def test_every_rows_actions_button_lines_up(new_context, live_server, shot):
    """The "…" of every row is at one place, whether or not the row has a Reinvite beside it
    (pending rows do, members not: their "…" sat where a pending row's Reinvite starts), at
    1280 and at 390 px."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    active_member(db, pf, "mel@acme.com")
    invite(db, pf, ["Pat Pending <pat@acme.com>", "quinn@acme.com"])
    active_member(db, pf, "max@acme.com", role="admin")
    for size in (DESKTOP, PHONE):
        page = gestures.signed_in(new_context, live_server, pf, size, f"/p/{pf.slug}/users")
        menus = page.locator("#people details.row-menu > summary")
        expect(menus).to_have_count(4)
        edges = {}
        for summary in menus.all():
            box = summary.bounding_box()
            assert box is not None
            edges[summary.get_attribute("aria-label")] = round(box["x"] + box["width"])
        assert len(set(edges.values())) == 1, (size, edges)
        assert page.locator("#people [data-reinvite]").count() == 2
        shot(page, f"row-actions-{size['width']}")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_inviting_an_owner_asks_first_and_cancel_sends_nothing(new_context, live_server, shot, size):
    """The Invite box with Owner chosen: Send shows the owners' confirmation in the box instead of
    sending (it sent at once); Cancel sends nothing and the box opened again has the typed list
    and Owner still; Send with it ticked invites them as owners."""
    page, dialog = _inviting_owners(new_context, live_server, size, "Mel Ray <mel@acme.com>")
    dialog.get_by_role("button", name="Send Invitation").click()
    confirmation = dialog.locator("[data-owners]")
    gestures.expect_owners_asked(confirmation, "Mel Ray (mel@acme.com) an owner")
    confirmation.scroll_into_view_if_needed()
    shot(page, f"invite-owner-confirmation-{size['width']}")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("tr[data-address='mel@acme.com']")).to_have_count(0)
    page.get_by_role("button", name="Invite Users").click()
    expect(dialog.locator("#recipients")).to_have_value("Mel Ray <mel@acme.com>")
    expect(dialog.get_by_label("Role")).to_have_value("owner")
    dialog.get_by_label("Role").select_option("admin")  # no owner: nothing to confirm
    expect(confirmation).to_be_hidden()
    dialog.get_by_label("Role").select_option("owner")
    dialog.get_by_label("Yes, make Mel Ray (mel@acme.com) an owner.").check()
    dialog.get_by_role("button", name="Send Invitation").click()
    expect(page.locator("[data-report] [data-summary]")).to_have_text("1 invited as an internal user")
    row = page.locator("tr[data-address='mel@acme.com']")
    expect(row.locator("td[data-label='Role']")).to_have_text("Owner")


def test_queued_badges_ask_once_a_round_for_all_of_them(new_context, live_server, shot):
    """Several deliveries queued (four invitations, one a retry with its reason, and a sign-up's
    confirmation): each round the page asks all of their deliveries in one request (it was one
    request per badge, 50 every 2 s), and each badge turns as its own message goes, the reason
    under it gone once sent."""
    from datetime import timedelta

    from sqlalchemy import update

    from admit.invitations import service as invitations_service
    from admit.kit import clock
    from admit.links import signups
    from admit.notifications.models import Notification
    from tests.factories import actor_for
    from tests.links.helpers import link_token

    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    token = link_token(db, pf)
    held = Notification.portal_id == pf.portal_id
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        invitations_service.invite(
            session, owner, recipients=[f"p{i}@acme.com" for i in range(4)], user_type="internal", role=None
        )
        signups.signup(session, token=token, email="sam@acme.com", name="Sam", password=None, ip="10.0.0.1")
        # Held as if another worker were sending them, so the page opens on them queued.
        session.execute(
            update(Notification)
            .where(held)
            .values(status="sending", lease_until=clock.now() + timedelta(hours=1))
        )
        session.execute(
            update(Notification)
            .where(held, Notification.to_address == "p0@acme.com")
            .values(last_error="Connection refused")
        )
    asked: list[str] = []
    browser = new_context(viewport=DESKTOP)
    browser.on("request", lambda r: asked.append(r.url) if "/api/v1/portals/" in r.url else None)
    gestures.sign_in(browser, live_server, pf.owner_email, OWNER_PASSWORD)
    page = browser.new_page()
    # The page's clock is Playwright's: time flows, and the test jumps it to the next round
    # instead of waiting out the page's 1.5 s and 2 s.
    page.clock.install()
    page.goto(live_server(f"/p/{pf.slug}/users"))
    watched = page.locator("[data-delivery][data-watch]")
    expect(watched).to_have_count(5)
    ids = sorted(watched.evaluate_all("els => els.map((e) => e.dataset.watch)"))
    why = page.locator('tr[data-address="p0@acme.com"] [data-delivery-why]')
    expect(why).to_have_text("Retrying — Connection refused")
    for _ in range(100):  # three rounds (1.5 s, 3.5 s, 5.5 s after the page opened)
        if len(asked) >= 3:
            break
        page.clock.fast_forward(500)  # a round is set off once its answer is in: the next jump fires it
        page.wait_for_timeout(50)
    rounds = list(asked)
    assert len(rounds) >= 3, rounds
    for url in rounds:  # one request a round, for every queued badge; no badge asks alone
        assert f"/api/v1/portals/{pf.slug}/people/deliveries?" in url, rounds
        assert sorted(parse_qs(urlparse(url).query)["ids"]) == ids, url
    expect(page.locator("[data-delivery]", has_text="Queued")).to_have_count(5)
    shot(page, "deliveries-queued")
    with db.unit_of_work() as session:  # let go: the server's worker sends them
        session.execute(
            update(Notification)
            .where(held)
            .values(status="queued", lease_until=None, next_attempt_at=clock.now())
        )
    gestures.badges_rechecked(page, live_server)
    expect(page.locator("[data-delivery]", has_text="Sent")).to_have_count(5)
    expect(page.locator("[data-delivery].sent")).to_have_count(5)
    expect(why).to_have_count(0)
    expect(watched).to_have_count(0)
    shot(page, "deliveries-sent")
    assert all("/people/deliveries?" in url for url in asked), asked
    turned = len(asked)
    page.clock.fast_forward(10_000)  # five rounds' time: none left to watch, no more asking
    # A request the page makes after that time's: any round it set off has been seen by then.
    with page.expect_request(lambda r: r.url.endswith("/healthz")):
        page.evaluate("fetch('/healthz')")
    assert len(asked) == turned, asked


def _one_queued_delivery(live_server):
    """A portal whose one invitation's email is queued, held as if another worker were sending
    it (the page opens on it Queued, watched), and how to let it go (the server's worker sends it)."""
    from datetime import timedelta

    from sqlalchemy import update

    from admit.kit import clock
    from admit.notifications.models import Notification

    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, ["p0@acme.com"])
    held = Notification.portal_id == pf.portal_id
    with db.unit_of_work() as session:
        session.execute(
            update(Notification)
            .where(held)
            .values(status="sending", lease_until=clock.now() + timedelta(hours=1))
        )

    def let_go() -> None:
        with db.unit_of_work() as session:
            session.execute(
                update(Notification)
                .where(held)
                .values(status="queued", lease_until=None, next_attempt_at=clock.now())
            )

    return pf, let_go


def _refused_once(new_context, live_server, status: int):
    """User Management open on one queued delivery (``_one_queued_delivery``), its first ask for
    deliveries answered ``status`` in the browser (a fault injected there: the server is not asked
    that time), every later one going to the server: the page, the URLs asked, and ``let_go``."""
    pf, let_go = _one_queued_delivery(live_server)
    browser = new_context(viewport=DESKTOP)
    asked: list[str] = []

    def answer(route) -> None:
        asked.append(route.request.url)
        if len(asked) > 1:
            route.continue_()
            return
        route.fulfill(
            status=status,
            headers={"Retry-After": "1"} if status == 429 else {},
            content_type="application/problem+json",
            body=f'{{"status": {status}}}',
        )

    browser.route("**/people/deliveries?**", answer)
    page = gestures.signed_in(lambda **_: browser, live_server, pf, DESKTOP, f"/p/{pf.slug}/users")
    return page, asked, let_go


def test_a_badge_is_watched_again_after_a_refusal_that_passes(new_context, live_server):
    """Too many requests (429) is a refusal that passes: the page asks again a little later (it
    stopped watching every badge for good), and the badge turns once its email is sent."""
    page, asked, let_go = _refused_once(new_context, live_server, 429)
    badge = page.locator('tr[data-address="p0@acme.com"] [data-delivery]')
    expect(badge).to_have_text("Queued")
    for _ in range(100):
        if asked:
            break
        page.wait_for_timeout(100)
    assert asked, "the page never asked"
    let_go()
    expect(badge).to_have_text("Sent", timeout=20_000)
    assert len(asked) >= 2, asked


def test_a_refusal_that_stays_stops_the_watch(new_context, live_server):
    """No longer the viewer's to see (403): the page stops asking, the badge left as it was."""
    page, asked, _let_go = _refused_once(new_context, live_server, 403)
    expect(page.locator("[data-delivery][data-watch]")).to_have_count(0, timeout=10_000)
    page.wait_for_timeout(2500)  # a round's wait and more: nothing asked again
    assert len(asked) == 1, asked
    expect(page.locator('tr[data-address="p0@acme.com"] [data-delivery]')).to_have_text("Queued")
