"""User Management as last session's new-user pages tester found it: Reinvite offered and then
refused within a minute of the first email, a typo's "Did you mean" with nothing to do after
Send, six filters filling a phone's first screen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from admit.context import Context
from admit.kit import clock
from admit.kit.ratelimit import Limiter
from tests.browser import gestures
from tests.factories import OWNER_PASSWORD, create_portal, invite

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def limits_on(live_server) -> None:
    """The live server's rate limits on (the browser tests run with them off), fresh counts."""
    db = live_server.app.state.db
    db.context = Context(settings=db.context.settings, clock=db.context.clock, limiter=Limiter(enabled=True))


def test_reinvite_waits_out_the_minute_after_an_email_counting_down(new_context, live_server, shot):
    """Cat was emailed a moment ago: the Invite report's Reinvite (Cat is already invited), her
    row's Reinvite and its menu's Resend Invite are greyed out with the time left, which counts
    down; a click asks nothing. Once the minute is over they are offered, and Reinvite sends
    (it was offered at once and then refused: 429 "Try again in 51 seconds")."""
    limits_on(live_server)
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, ["cat@acme.com"])
    context = new_context(viewport=gestures.DESKTOP)
    gestures.sign_in(context, live_server, pf.owner_email, OWNER_PASSWORD)
    page = context.new_page()
    page.clock.install()  # Playwright's: time flows, and the test jumps it over the minute
    page.goto(live_server(f"/p/{pf.slug}/users"))
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    dialog.locator("#recipients").fill("cat@acme.com")
    dialog.get_by_role("button", name="Send Invitation").click()
    report = page.locator("[data-report]")
    expect(report).to_contain_text("cat@acme.com")
    again = report.get_by_role("button", name=re.compile(r"^Reinvite cat@acme\.com"))
    expect(again).to_have_attribute("aria-disabled", "true")
    expect(again).to_have_text(re.compile(r"^Reinvite in \d+ s$"))
    before = int(again.inner_text().split()[2])
    assert 0 < before <= 60, before
    expect(again).to_have_attribute("aria-label", re.compile(r"^Reinvite cat@acme\.com in \d+ s$"))
    row = page.locator('#people tbody tr[data-address="cat@acme.com"]')
    on_row = row.get_by_role("button", name=re.compile(r"^Reinvite cat@acme\.com"))
    expect(on_row).to_have_attribute("aria-disabled", "true")
    row.locator("details.row-menu > summary").click()
    in_menu = row.get_by_role("menuitem", name=re.compile(r"^Resend Invite"))
    expect(in_menu).to_have_attribute("aria-disabled", "true")
    expect(in_menu).to_have_text(re.compile(r"^Resend Invite in \d+ s$"))
    shot(page, "reinvite-waiting")
    # Greyed out, still reached by the keyboard (read with its time left): nothing asked, nothing sent.
    again.focus()
    expect(again).to_be_focused()
    page.keyboard.press("Enter")
    again.click(force=True)
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    page.clock.fast_forward(20_000)  # counted down: 20 s (and what the test took meanwhile) fewer
    expect(again).not_to_have_text(f"Reinvite in {before} s")
    assert int(again.inner_text().split()[2]) <= before - 20
    with clock.travel(timedelta(seconds=61)):
        page.clock.fast_forward(41_000)
        expect(again).to_have_text("Reinvite")
        expect(again).not_to_have_attribute("aria-disabled", "true")
        expect(again).to_have_attribute("aria-label", "Reinvite cat@acme.com")
        expect(in_menu).to_have_text("Resend Invite")
        shot(page, "reinvite-offered")
        again.click()
        confirm = page.locator("#confirm-dialog")
        confirm.get_by_role("button", name="Reinvite").click()
        expect(page.get_by_role("status").first).to_contain_text("reinvited: a new link is on its way.")
        # Just sent again: greyed out once more, for the next minute.
        expect(row.get_by_role("button", name=re.compile(r"^Reinvite cat@acme\.com"))).to_have_attribute(
            "aria-disabled", "true"
        )


def test_did_you_mean_after_send_opens_the_box_on_the_address_meant(new_context, live_server, shot):
    """Ann was invited and cat@gmial.com skipped, "Did you mean cat@gmail.com?": the report's
    "Invite cat@gmail.com" opens the Invite box on it, as the Send invited (an Admin, with
    Messaging), to be looked at and sent (it said so, with nothing to do after Send: the
    addresses typed were gone)."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    page = gestures.signed_in(new_context, live_server, pf, gestures.DESKTOP, f"/p/{pf.slug}/users")
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    dialog.locator("#recipients").fill("ann@acme.com\ncat@gmial.com")
    dialog.get_by_label("Role").select_option(label="Admin")
    dialog.get_by_label("Messaging").check()
    dialog.get_by_role("button", name=re.compile(r"^Send")).click()
    report = page.locator("[data-report]")
    expect(report).to_contain_text("Did you mean cat@gmail.com?")
    shot(page, "did-you-mean")
    report.get_by_role("button", name="Invite cat@gmail.com").click()
    expect(dialog).to_be_visible()
    expect(dialog.locator("#recipients")).to_have_value("cat@gmail.com")
    expect(dialog.get_by_label("Role")).to_have_value("admin")
    expect(dialog.get_by_label("Messaging")).to_be_checked()
    expect(dialog.get_by_label("Workspaces")).not_to_be_checked()
    dialog.get_by_role("button", name=re.compile(r"^Send")).click()
    expect(report).to_contain_text("1 invited")
    row = page.locator('#people tbody tr[data-address="cat@gmail.com"]')
    expect(row).to_contain_text("Admin")
    expect(row).to_contain_text("Messaging")


# User Management's six filters: Status, Role, Product, Delivery, Two-step verification, Sort.
FILTERS = ("#f-status", "#f-role", "#f-product", "#f-delivery", "#f-two-step", "#f-sort")


def test_on_a_phone_the_filters_fold_behind_one_button_counting_those_on(new_context, live_server, shot):
    """At 390 px User Management's six filters (Status, Role, Product, Delivery, Two-step, Sort)
    filled the first screen: they fold behind "Filters", which says how many are on and opens
    them; a desktop shows them as they were, with no such button."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, [f"p{i}@acme.com" for i in range(8)])
    page = gestures.signed_in(new_context, live_server, pf, gestures.PHONE, f"/p/{pf.slug}/users")
    toggle = page.get_by_role("button", name=re.compile(r"^Filters"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    for field in FILTERS:
        expect(page.locator(field)).to_be_hidden()
    expect(page.get_by_label("Search", exact=True)).to_be_visible()
    # The list starts on the first screen (under the filters, it was below it).
    first_row = page.locator("#people tbody tr").first.bounding_box()
    assert first_row is not None and first_row["y"] < 480, first_row  # it was at 590
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.get_by_label("Status", exact=True).select_option("pending")
    expect(page).to_have_url(re.compile(r"status=pending"))
    # Back with one filter on: folded again... unless it was left open (kept for the visit).
    expect(toggle).to_have_accessible_name("Filters, 1 on")
    expect(page.get_by_label("Status", exact=True)).to_be_visible()
    shot(page, "filters-phone-open")
    toggle.click()
    expect(page.get_by_label("Status", exact=True)).to_be_hidden()
    page.reload()
    expect(page.get_by_label("Status", exact=True)).to_be_hidden()
    expect(toggle).to_have_text(re.compile(r"^Filters\s*1$"))
    shot(page, "filters-phone")
    gestures.expect_no_wider_than(page, gestures.PHONE["width"])
    desktop = gestures.signed_in(new_context, live_server, pf, gestures.DESKTOP, f"/p/{pf.slug}/users")
    expect(desktop.get_by_role("button", name=re.compile(r"^Filters"))).to_be_hidden()
    for field in FILTERS:
        expect(desktop.locator(field)).to_be_visible()


def test_the_invite_box_says_products_are_not_pages(new_context, live_server):
    """A first-time admin ticked nothing (none is by default) and read the Workspaces product as
    the Workspaces page: the line under Products says what they are, read with the field."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    page = gestures.signed_in(new_context, live_server, pf, gestures.DESKTOP, f"/p/{pf.slug}/users")
    page.get_by_role("button", name="Invite Users").click()
    products = page.locator("dialog#invite-dialog").get_by_role("group", name="Products")
    expect(products).to_have_accessible_description(
        re.compile(
            r"None ticked: they can sign in but use no product until you give them one\. "
            r"Products are the apps your portal offers, not pages here: whatever you tick, they see "
            r"the workspaces they are added to\.$"
        )
    )


def test_resend_confirmation_waits_out_the_minute_after_the_sign_up(new_context, live_server, shot):
    """Sam signed up through the invite link a moment ago: his row's "…" → Resend confirmation
    is greyed out with the time left, counting down (it was offered, then refused: "Nothing was
    sent: sam@acme.com was sent a message less than a minute ago"), a click asks nothing; once
    the minute is over it is offered and sends."""
    from tests.links.helpers import link_token, sign_up

    limits_on(live_server)
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    sign_up(db, link_token(db, pf), "sam@acme.com")
    context = new_context(viewport=gestures.DESKTOP)
    gestures.sign_in(context, live_server, pf.owner_email, OWNER_PASSWORD)
    page = context.new_page()
    page.clock.install()
    page.goto(live_server(f"/p/{pf.slug}/users"))
    row = page.locator('#people tbody tr[data-address="sam@acme.com"][data-kind="signup"]')
    row.locator("details.row-menu > summary").click()
    again = row.get_by_role("menuitem", name=re.compile(r"^Resend confirmation"))
    expect(again).to_have_attribute("aria-disabled", "true")
    expect(again).to_have_text(re.compile(r"^Resend confirmation in \d+ s$"))
    shot(page, "resend-confirmation-waiting")
    again.click(force=True)
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    with clock.travel(timedelta(seconds=61)):
        page.clock.fast_forward(61_000)
        expect(again).to_have_text("Resend confirmation")
        expect(again).not_to_have_attribute("aria-disabled", "true")
        again.click()
        page.locator("#confirm-dialog").get_by_role("button", name="Send").click()
        expect(page.get_by_role("status").first).to_contain_text("A new confirmation email is on its way")


def test_a_workspaces_resend_invitation_waits_out_the_minute(new_context, live_server, shot):
    """Rita was invited into the workspace a moment ago: the Members panel's Resend Invitation
    (under Not Joined) is greyed out with the time left, counting down, and pressing it sends
    nothing (it was offered, then refused: "Nothing was sent: rita@client.org was sent a message
    less than a minute ago"); once the minute is over it is offered and resends."""
    from admit.flows import workspace_people
    from admit.workspaces import service as workspaces_service
    from tests.factories import actor_for

    limits_on(live_server)
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        workspace = workspaces_service.create(session, owner, name="Q3 Audit")
        workspace_people.add_people(
            session, owner, workspace.id, recipients=["rita@client.org"], user_type="client"
        )
        path = f"/p/{pf.slug}/workspaces/{workspace.id}"
    context = new_context(viewport=gestures.DESKTOP)
    gestures.sign_in(context, live_server, pf.owner_email, OWNER_PASSWORD)
    page = context.new_page()
    page.clock.install()
    page.goto(live_server(path))
    page.get_by_role("link", name=re.compile(r"^Members \(\d+\)$")).click()
    panel = page.locator("dialog#members-panel")
    panel.get_by_role("button", name="Not Joined: rita@client.org", exact=True).click()
    resend = panel.get_by_role("button", name=re.compile(r"^Resend Invitation to rita@client\.org"))
    expect(resend).to_have_attribute("aria-disabled", "true")
    expect(resend).to_have_text(re.compile(r"^Resend Invitation in \d+ s$"))
    expect(resend).to_have_accessible_name(re.compile(r"^Resend Invitation to rita@client\.org in \d+ s$"))
    shot(page, "workspace-resend-waiting")
    resend.click(force=True)
    page.keyboard.press("Enter")
    expect(panel.locator(".panel-note")).to_have_count(0)
    expect(resend).to_be_visible()  # the same page: nothing was posted
    with clock.travel(timedelta(seconds=61)):
        page.clock.fast_forward(61_000)
        expect(resend).to_have_text("Resend Invitation")
        expect(resend).not_to_have_attribute("aria-disabled", "true")
        resend.click()
        expect(panel.locator(".panel-note")).to_contain_text("Invitation resent to rita@client.org.")


def test_on_a_phone_without_javascript_the_filters_are_shown(new_context, live_server):
    """The Filters button needs the page's script to open them: without JavaScript a phone shows
    the filters, and no button that does nothing (they could never be opened)."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    context = new_context(viewport=gestures.PHONE, java_script_enabled=False)
    gestures.sign_in(context, live_server, pf.owner_email, OWNER_PASSWORD)
    page = context.new_page()
    page.goto(live_server(f"/p/{pf.slug}/users"))
    expect(page.get_by_role("button", name=re.compile(r"^Filters"))).to_be_hidden()
    for field in FILTERS:
        expect(page.locator(field)).to_be_visible()
    gestures.expect_no_wider_than(page, gestures.PHONE["width"])


def test_on_a_phone_the_opened_filters_are_reached_in_the_order_they_are_seen(new_context, live_server, shot):
    """With Filters open on a phone, Tab went Search box → Filters → Status … Sort → Search, while
    the filters showed below the Search button: the keyboard jumped down, then back up. Each
    press of Tab now lands below, or to the right on the same line, of where it was."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, ["p1@acme.com"])
    page = gestures.signed_in(
        new_context, live_server, pf, gestures.PHONE, f"/p/{pf.slug}/users?status=pending"
    )
    toggle = page.get_by_role("button", name=re.compile(r"^Filters"))
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(page.get_by_label("Status", exact=True)).to_be_visible()
    shot(page, "filters-phone-open-order")
    page.get_by_label("Search", exact=True).focus()
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        name, box = page.evaluate(
            "() => { const el = document.activeElement; const r = el.getBoundingClientRect();"
            " return [el.id || el.textContent.trim(), [r.x, r.y]]; }"
        )
        seen.append((name, box))
        if name == "Clear":
            break
    names = [name for name, _ in seen]
    assert names[0].startswith("Filters") and names[1] == "f-status", names
    assert names[-2:] == ["Search", "Clear"], names
    for (was, (x0, y0)), (now, (x1, y1)) in zip(seen, seen[1:], strict=False):
        assert y1 > y0 + 2 or (abs(y1 - y0) <= 2 and x1 > x0), (was, (x0, y0), now, (x1, y1), names)
