"""The Members panel, Contacts and Notification settings on a phone (a touch screen): every button,
pill and tick box is a thumb's size (44 px), where a desktop window keeps its density; an address
breaks only where it must; the panel comes back at its top; ``#members`` opens it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from admit.flows import groups as groups_flow
from admit.flows import workspace_people
from admit.members import service as members_service
from admit.workspaces import roles as roles_service
from admit.workspaces import service as workspaces_service
from tests.browser import gestures
from tests.browser.test_phone_e2e import _owner_on
from tests.factories import actor_for, create_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
LONG = "christopher.montgomery.smith@clientcoholdingsgroup.com"
PEOPLE = ["Cara Smith <cara.smith@clientco.com>", f"Chris Long <{LONG}>"] + [
    f"Person {i:02d} <p{i:02d}@clientco.com>" for i in range(30)
]


def _workspace(db, pf) -> str:
    """Q3 Audit with 32 invited clients (none joined), and the client group Tax of two; its id."""
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        workspace = workspaces_service.create(session, owner, name="Q3 Audit", kind="chat")
        workspace_people.add_people(session, owner, workspace.id, recipients=PEOPLE)
        groups_flow.create(
            session,
            owner,
            kind="client_group",
            name="Tax",
            recipients=["p00@clientco.com", "p01@clientco.com"],
        )
        return str(workspace.id)


def _members_panel(new_context, live_server, pf, ws_id: str, options: dict):
    """A page signed in as the owner on the workspace, its Members panel opened by its link."""
    page = _owner_on(new_context(**options).new_page(), live_server, pf, f"workspaces/{ws_id}")
    page.get_by_role("link", name=re.compile(r"^Members \(\d+\)$")).click()
    expect(page.locator("dialog#members-panel")).to_be_visible()
    return page


def _height(locator) -> float:
    return locator.bounding_box()["height"]


def _targets(page) -> dict[str, float]:
    """The Members panel's small targets, their heights."""
    panel = page.locator("dialog#members-panel")
    return {
        "Resend to selected": _height(panel.get_by_role("button", name=re.compile(r"^Resend to selected"))),
        "Remove": _height(panel.get_by_role("button", name="Remove Cara Smith")),
        "Not Joined": _height(panel.get_by_role("button", name="Not Joined: Cara Smith")),
        "state filter": _height(panel.locator('[data-state-filter="all"]')),
    }


def _tick(page, label: str) -> tuple[dict, dict]:
    """A tick box's own size and the size of what a tap on it ticks (its label)."""
    return page.get_by_label(label).evaluate(
        """(box) => {
          const r = box.getBoundingClientRect();
          const hit = (box.closest('label') || box).getBoundingClientRect();
          return [{w: r.width, h: r.height}, {w: hit.width, h: hit.height}];
        }"""
    )


def test_members_panel_targets_fit_a_thumb_on_a_phone(live_server, new_context, shot):
    """At 390 px on a touch screen, Resend to selected, Remove, Not Joined and the state pills are
    44 px tall (they were 28) and a tick box 24 px with a 44 px place to tap (it was 16 px);
    a desktop window keeps 28 px and 16 px."""
    db = live_server.app.state.db
    pf = create_portal(db)
    ws_id = _workspace(db, pf)
    page = _members_panel(new_context, live_server, pf, ws_id, PHONE)
    shot(page, "members-390")
    for name, height in _targets(page).items():
        assert height >= 44, (name, height)
    box, hit = _tick(page, "Select Cara Smith")
    assert box["w"] >= 24 and box["h"] >= 24, box
    assert hit["w"] >= 44 and hit["h"] >= 44, hit
    # A tap at the edge of the 44 px place ticks the box.
    label = page.get_by_label("Select Cara Smith").locator("xpath=ancestor::label[1]")
    corner = label.bounding_box()
    page.mouse.click(corner["x"] + 2, corner["y"] + 2)
    expect(page.get_by_label("Select Cara Smith")).to_be_checked()
    gestures.expect_no_wider_than(page, 390)

    desk = _members_panel(new_context, live_server, pf, ws_id, DESKTOP)
    shot(desk, "members-1280")
    for name, height in _targets(desk).items():
        assert height <= 30, (name, height)
    box, _hit = _tick(desk, "Select Cara Smith")
    assert box["h"] <= 16, box
    # The tick box stays on the pill's line.
    tick = desk.get_by_label("Select Cara Smith").bounding_box()
    pill = desk.get_by_role("button", name="Not Joined: Cara Smith").bounding_box()
    assert pill["y"] <= tick["y"] + tick["height"] / 2 <= pill["y"] + pill["height"], (tick, pill)


def test_contacts_and_notification_settings_fit_a_thumb_on_a_phone(live_server, new_context, shot):
    """Contacts on a touch phone: a team's "2 people" and the rows' "…" are 44 px tall; Notification
    settings' tick boxes are 24 px with a 44 px tall label to tap. The "2 people" button is named
    as it reads (WCAG 2.5.3), where it was "People of the client group Tax: 2"."""
    db = live_server.app.state.db
    pf = create_portal(db)
    _workspace(db, pf)
    page = _owner_on(new_context(**PHONE).new_page(), live_server, pf, "contacts")
    people = page.locator('tr[data-team="Tax"] td[data-label=People] button')
    expect(people).to_have_text("2 people")
    assert _height(people) >= 44
    dots = page.locator("summary[aria-label='Actions for the client group “Tax”']")
    assert _height(dots) >= 44 and dots.bounding_box()["width"] >= 44
    shot(page, "contacts-390")
    expect(people).to_have_accessible_name("2 people in the client group “Tax”")

    page.goto(live_server("/me/notifications"))
    ticks = page.locator("form input[type=checkbox]")
    assert ticks.count() > 0
    for i in range(ticks.count()):
        size = ticks.nth(i).evaluate(
            "(box) => { const r = box.getBoundingClientRect();"
            " return {w: r.width, h: r.height, lh: box.closest('label').getBoundingClientRect().height}; }"
        )
        assert size["w"] >= 24 and size["h"] >= 24 and size["lh"] >= 44, size
    shot(page, "notifications-390")


def test_addresses_break_only_where_they_must(live_server, new_context, shot):
    """At 1280 px a member's address fits its line in the Members panel, where
    "cara.smith@clientco.co / m" broke mid-word with room to spare."""
    db = live_server.app.state.db
    pf = create_portal(db)
    ws_id = _workspace(db, pf)
    page = _members_panel(new_context, live_server, pf, ws_id, DESKTOP)
    row = page.locator('dialog#members-panel tr[data-address="cara.smith@clientco.com"]')
    address = row.get_by_text("cara.smith@clientco.com", exact=True)
    lines = address.evaluate(
        """(el) => { const r = document.createRange(); r.selectNodeContents(el);
          return new Set(Array.from(r.getClientRects()).map((c) => Math.round(c.top))).size; }"""
    )
    shot(page, "address-1280")
    assert lines == 1

    # On a phone a long address breaks at its "@", not mid-word.
    phone = _members_panel(new_context, live_server, pf, ws_id, PHONE)
    long = phone.locator(f'dialog#members-panel tr[data-address="{LONG}"] .member-cell .muted')
    long.scroll_into_view_if_needed()
    shot(phone, "address-390")
    # Each line's first letter and the one before it: a line starts at "@", not mid-word.
    breaks = long.evaluate(
        """(el) => { const chars = [];
          const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            for (let i = 0; i < n.length; i++) {
              const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
              chars.push([n.data[i], Math.round(r.getBoundingClientRect().top)]);
            } }
          const starts = (c, i) => i && c[1] > chars[i - 1][1] + 2;
          return chars.flatMap((c, i) => (starts(c, i) ? [chars[i - 1][0] + c[0]] : [])); }"""
    )
    assert breaks and all(b[1] == "@" for b in breaks), breaks


def test_members_fragment_opens_the_panel_and_it_comes_back_at_its_top(live_server, new_context, shot):
    """``…/workspaces/<id>#members`` alone opens the Members panel (it took ?q= or ?state=); after
    a resend the panel comes back at its top, its heading in full sight, where it came back
    scrolled with "Members (33)" cut off."""
    db = live_server.app.state.db
    pf = create_portal(db)
    ws_id = _workspace(db, pf)
    page = _members_panel(new_context, live_server, pf, ws_id, DESKTOP)
    panel = page.locator("dialog#members-panel")
    row = panel.locator('tr[data-address="p29@clientco.com"]')
    row.get_by_role("button", name="Not Joined: Person 29").click()
    row.get_by_role("button", name="Resend Invitation to Person 29").click()
    expect(panel.locator(".panel-note")).to_contain_text("Invitation resent to Person 29")
    page.wait_for_timeout(300)
    shot(page, "after-resend-1280")
    heading = panel.get_by_role("heading", name=re.compile(r"^Members \(\d+\)$"))
    top, heading_top = panel.bounding_box()["y"], heading.bounding_box()["y"]
    assert heading_top >= top, (heading_top, top)
    assert panel.evaluate("(d) => d.scrollTop") == 0

    page.goto(live_server(f"/p/{pf.slug}/workspaces/{ws_id}"))
    expect(panel).to_be_hidden()  # without the fragment, the page alone
    page.goto(live_server(f"/p/{pf.slug}/workspaces/{ws_id}#members"))
    page.reload()
    expect(panel).to_be_visible()


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_tabs_links_and_the_dialogs_close_fit_a_thumb_on_a_phone(live_server, new_context, shot):
    """At 390 px on a touch screen User Management's tabs (39 px), the Invite dialog's × (32 × 32),
    a page's "← Back to …" and Notification settings (16 px), a workspace's way back (20 px) and a
    role's "since …" (16 px) are 44 px tall, the × as wide; a desktop window keeps its density."""
    db = live_server.app.state.db
    pf = create_portal(db)
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        workspace = workspaces_service.create(session, owner, name="Estate", kind="flow", roles=["Reviewer"])
        role = roles_service.list_roles(session, owner, workspace.id)[0].role
        me = members_service.get_user(session, owner.user_id)
        roles_service.assign(session, owner, workspace, role, me)
        ws_id = workspace.id

    def targets(options: dict) -> dict[str, dict]:
        page = _owner_on(new_context(**options).new_page(), live_server, pf, "users")
        tabs = page.locator(".tabs")
        out = {name: _box(tabs.get_by_role("link", name=name)) for name in ("Internal Users", "Clients")}
        page.get_by_role("button", name="Invite Users").click()
        out["×"] = _box(page.locator("dialog#invite-dialog").get_by_role("button", name="Close"))
        shot(page, f"invite-{options['viewport']['width']}")
        page.goto(live_server("/me/account"))
        main = page.locator("main")
        out["Back"] = _box(main.get_by_role("link", name=re.compile(r"^← Back to ")))
        out["Notification settings"] = _box(main.get_by_role("link", name="Notification settings"))
        shot(page, f"account-{options['viewport']['width']}")
        page.goto(live_server(f"/p/{pf.slug}/workspaces/{ws_id}"))
        out["crumb"] = _box(page.locator(".crumb"))
        out["since"] = _box(page.locator("details.role-past > summary"))
        shot(page, f"workspace-{options['viewport']['width']}")
        return out

    phone = targets(PHONE)
    for name, box in phone.items():
        assert box["height"] >= 44, (name, box)
    assert phone["×"]["width"] >= 44, phone["×"]
    desk = targets(DESKTOP)
    for name in ("Internal Users", "×", "since"):
        assert desk[name]["height"] < 44, (name, desk[name])


def test_members_panel_opens_on_its_heading_find_one_tab_away(live_server, new_context, shot):
    """The Members panel opens with its heading focused, not Find a member (on a phone the keyboard
    rose over the list); one Tab reaches Find. The link is named "Members (33)" to a screen reader,
    its avatars' initials aside; the panel opened by ``#members`` starts on its heading too."""
    db = live_server.app.state.db
    pf = create_portal(db)
    ws_id = _workspace(db, pf)
    for options in (PHONE, DESKTOP):
        page = _owner_on(new_context(**options).new_page(), live_server, pf, f"workspaces/{ws_id}")
        link = page.locator("a.members-open")
        expect(link).to_have_accessible_name("Members (33)")
        link.click()
        panel = page.locator("dialog#members-panel")
        expect(panel.get_by_role("heading", name="Members (33)")).to_be_focused()
        shot(page, f"opened-{options['viewport']['width']}")
        page.keyboard.press("Tab")
        expect(panel.get_by_label("Find a member")).to_be_focused()
    page.goto(live_server(f"/p/{pf.slug}/workspaces/{ws_id}#members"))
    page.reload()
    expect(page.locator("dialog#members-panel").get_by_role("heading", name="Members (33)")).to_be_focused()
