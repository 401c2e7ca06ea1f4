"""Pages that keep their shape whatever they hold (the new-user tester's findings): a 200-letter
name with no space breaks inside its chip, its table cell and its picker instead of widening the
page, on a phone (390 px) and on a desktop (1280 px)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from admit.flows import workspace_people
from admit.members import service as members_service
from admit.workspaces import roles as roles_service
from admit.workspaces import service as workspaces_service
from tests.browser import gestures
from tests.factories import accept_with_password, active_member, actor_for, create_portal, invite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
LONG_NAME = "Carl" + "x" * 196  # 200 letters, no space


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


@pytest.fixture
def carls_flow(live_server):
    """Olive's portal; Carl joined as a client with a 200-letter name and holds the flow's
    "Client signer" role, with an action for it."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, ["carl@clientco.com"], user_type="client")
    token = gestures.delivered_link(db, "carl@clientco.com")
    with db.unit_of_work() as session:
        accept_with_password(session, token, name=LONG_NAME)
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        workspace = workspaces_service.create(
            session, owner, name="Q3 Audit", kind="flow", roles=["Client signer"]
        )
        carl = members_service.get_user_by_address(session, "carl@clientco.com")
        workspace_people.add_people(session, owner, workspace.id, user_ids=[carl.id])
        role = roles_service.list_roles(session, owner, workspace.id)[0].role
        roles_service.assign(session, owner, workspace, role, carl)
        roles_service.add_action(session, owner, workspace.id, title="Sign the letter", role_id=role.id)
        workspace_id = workspace.id
    return pf, f"/p/{pf.slug}/workspaces/{workspace_id}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_long_name_does_not_widen_the_workspace_page(new_context, live_server, shot, carls_flow, viewport):
    """The role chip holding Carl's name wraps inside the page (the phone's page was 1,971 px
    wide); the Assign picker and the Action's "For" picker stay inside their card."""
    pf, path = carls_flow
    page = gestures.signed_in(new_context, live_server, pf, viewport, path)
    chip = page.locator('.role-chip[data-role="Client signer"]')
    expect(chip).to_contain_text(LONG_NAME)
    assert _scroll_width(page) <= viewport["width"], _scroll_width(page)
    assert _box(chip)["x"] + _box(chip)["width"] <= viewport["width"]
    shot(page, f"long-name-workspace-{viewport['width']}")

    chip.get_by_role("button", name="Reassign").click()
    card = page.locator('[data-assign="Client signer"]')
    picker = card.get_by_label("An existing member")
    expect(picker).to_be_visible()
    assert _box(picker)["x"] + _box(picker)["width"] <= _box(card)["x"] + _box(card)["width"], (
        _box(picker),
        _box(card),
    )
    for_picker = page.locator("#action-role")
    section = page.locator("#actions")
    assert _box(for_picker)["x"] + _box(for_picker)["width"] <= _box(section)["x"] + _box(section)["width"]
    assert _scroll_width(page) <= viewport["width"], _scroll_width(page)
    shot(page, f"long-name-assign-{viewport['width']}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_long_name_does_not_push_the_audit_logs_columns_away(
    new_context, live_server, shot, carls_flow, viewport
):
    """Olive's Audit Log names Carl: his name breaks in its cell, When and From stay in sight
    (the page was 2,300 px wide at 1280)."""
    pf, _path = carls_flow
    page = gestures.signed_in(new_context, live_server, pf, viewport, f"/p/{pf.slug}/audit")
    expect(page.locator("#audit tbody")).to_contain_text(LONG_NAME)
    shot(page, f"long-name-audit-{viewport['width']}")
    assert _scroll_width(page) <= viewport["width"], _scroll_width(page)


def test_the_menus_stay_on_a_line_with_others_on_a_phone(new_context, live_server, shot, carls_flow):
    """On a phone, the workspace's "…" and an action's "…" share a line with the title (they
    dropped onto a line of their own, under Members and Invite, under Mark done)."""
    pf, path = carls_flow
    db = live_server.app.state.db
    with db.unit_of_work() as session:  # four avatars on the Members button
        owner = actor_for(session, pf.slug, pf.owner_email)
        workspace_id = uuid.UUID(path.rsplit("/", 1)[1])
        workspace_people.add_people(
            session, owner, workspace_id, recipients=["ann@clientco.com", "bob@clientco.com"]
        )
    page = gestures.signed_in(new_context, live_server, pf, PHONE, path)
    expect(page.get_by_role("link", name="Members (4)")).to_be_visible()
    shot(page, "menus-390")

    def shares_a_line(menu, others) -> None:
        box = _box(menu)
        middle = box["y"] + box["height"] / 2
        assert any(o["y"] <= middle <= o["y"] + o["height"] for o in map(_box, others)), box

    head = page.locator(".ws-title")
    shares_a_line(
        page.get_by_label("More for the workspace “Q3 Audit”"),
        [head.locator(".grow"), head.locator(".members-open")],
    )
    step = page.locator("#workspace-actions li.step").first
    shares_a_line(
        step.get_by_label("More for the action “Sign the letter”"),
        [step.locator(".step-title"), step.get_by_role("button", name="Mark done")],
    )
    assert _scroll_width(page) <= PHONE["width"]


def test_a_row_menus_items_look_alike(new_context, live_server, shot):
    """User Management's row menu: "Change role and products" (a link) reads as the item beside
    it, Deactivate (a button), not as an underlined link in another colour and size."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    active_member(db, pf, "ivy@acme.com")
    page = gestures.signed_in(new_context, live_server, pf, DESKTOP, f"/p/{pf.slug}/users")
    row = page.locator("#people tbody tr", has_text="ivy@acme.com")
    row.get_by_label("Actions for ivy").click()
    link = row.get_by_role("menuitem", name="Change role and products")
    button = row.get_by_role("menuitem", name="Deactivate")
    expect(link).to_be_visible()
    shot(page, "row-menu")
    looks = """e => { const s = getComputedStyle(e), box = e.getBoundingClientRect(); return {
        display: s.display, underline: s.textDecorationLine, padding: s.padding,
        font: s.fontSize + ' ' + s.fontWeight, width: Math.round(box.width),
        height: Math.round(box.height) }; }"""
    assert link.evaluate(looks) == button.evaluate(looks)
    text_colour = row.locator(".menu").evaluate("e => getComputedStyle(e).color")
    assert link.evaluate("e => getComputedStyle(e).color") == text_colour


def test_the_personal_message_says_its_limit(new_context, live_server, shot):
    """The Invite box's personal message counts its characters, and says so when a paste runs
    past 2,000 and is cut there (the browser cut it with nothing shown)."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    page = gestures.signed_in(new_context, live_server, pf, DESKTOP, f"/p/{pf.slug}/users")
    page.get_by_role("button", name="Invite Users").click()
    message = page.get_by_label("Personal message (optional)")
    count = page.locator("#message-count")
    expect(count).to_have_text("Up to 2,000 characters.")
    message.click()
    page.keyboard.insert_text("Welcome aboard!")
    expect(count).to_have_text("15 of 2,000 characters.")
    page.keyboard.insert_text("x" * 2100)
    assert len(message.input_value()) == 2000
    expect(count).to_have_text("2,000 of 2,000 characters: the limit. What went past it was cut.")
    shot(page, "message-limit")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_two_step_notice_leads_to_who_has_not_set_it_up(new_context, live_server, shot, viewport):
    """Settings → Require two-step verification for internal users: the notice counts who has
    not set it up and links to them, User Management with the Two-step verification filter
    chosen; the filter's row wraps with the others and the page keeps its width."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    active_member(db, pf, "ivy@acme.com")
    invite(db, pf, ["pat@acme.com"])
    page = gestures.signed_in(new_context, live_server, pf, viewport, f"/p/{pf.slug}/settings")
    page.get_by_label("Require two-step verification for internal users").check()
    page.get_by_role("button", name="Save").first.click()
    notice = page.get_by_role("status").filter(has_text="Settings saved.")
    expect(notice).to_contain_text("2 internal users, you among them, have not set up two-step verification")
    notice.get_by_role("link", name="Show them in User Management").click()
    if viewport == PHONE:  # a phone folds the filters behind Filters, which counts those on
        page.get_by_role("button", name=re.compile(r"^Filters, \d on$")).click()
    expect(page.get_by_label("Two-step verification")).to_have_value("not_set_up")
    rows = page.locator("#people tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#people")).not_to_contain_text("pat@acme.com")  # an invitation: none
    shot(page, "two-step-filter")
    assert _scroll_width(page) <= viewport["width"]
    filter_box = _box(page.get_by_label("Two-step verification"))
    assert filter_box["x"] >= 0 and filter_box["x"] + filter_box["width"] <= viewport["width"]


# Each link of the top bar as laid out: its text, top, height and right edge; the bar's items'
# furthest right edge, against the window's; the bar's own width and what it holds.
_TOP_BAR = """() => {
  const bar = document.querySelector("header.top");
  const links = [...bar.querySelectorAll("nav a")].map((a) => {
    const r = a.getBoundingClientRect();
    const text = a.textContent.trim();
    return { text, top: Math.round(r.top), height: Math.round(r.height), right: r.right };
  });
  const items = [...bar.children]
    .filter((el) => getComputedStyle(el).display !== "none" && el.getBoundingClientRect().width > 0);
  return { links, right: Math.max(...items.map((el) => el.getBoundingClientRect().right)), width: innerWidth,
           scroll: bar.scrollWidth, room: bar.clientWidth };
}"""


@pytest.mark.parametrize("name", ["Acme Inc", "Northwind Traders International Holdings"])
def test_the_top_bar_lays_out_cleanly_at_every_width(new_context, live_server, shot, name):
    """From a phone to a desktop the top bar's sections read each on one line, all on one row,
    inside the window (at 712 px "User Management" and "Audit Log" broke over two lines each
    and the bar ran 70 px past the window's edge); a long portal name is cut short, not the nav."""
    pf = create_portal(live_server.app.state.db, owner_email="olive@acme.com", name=name)
    wide = {"width": 1280, "height": 400}
    page = gestures.signed_in(new_context, live_server, pf, wide, f"/p/{pf.slug}/users")
    for width in (390, 600, 712, 800, 960, 1024, 1280):
        page.set_viewport_size({"width": width, "height": 400})
        bar = page.evaluate(_TOP_BAR)
        assert bar["scroll"] <= bar["room"] and bar["right"] <= width + 0.5, (width, bar)
        lines = {link["height"] for link in bar["links"]}
        assert max(lines) <= 36, (width, bar["links"])  # one line of text each
        rows = {link["top"] for link in bar["links"]}
        assert len(rows) == 1 or width < 600, (width, bar["links"])  # a phone may take two rows
        if width in (390, 712, 1280):
            shot(page, f"top-bar-{width}")


def _card_line(row) -> str:
    """A User Management card's last line on a phone as it reads: its fields' words (what CSS puts
    before them too), those shown, in their order."""
    return row.evaluate(
        """(tr) => Array.from(tr.querySelectorAll("td"))
          .filter((td) => getComputedStyle(td).order === "8" && getComputedStyle(td).display !== "none")
          .map((td) => {
            const before = getComputedStyle(td, "::before").content;
            const words = before === "none" || before === "normal" ? "" : JSON.parse(before);
            return words + td.innerText.trim();
          }).join(" ").replace(/\\s+/g, " ")"""
    )


def test_a_clients_card_starts_its_line_without_a_separator(new_context, live_server, shot, carls_flow):
    """User Management's cards on a phone: a client's last line reads "Invited by Olive Owner · Sent
    …", where it started "· Invited by" (a client has no role before it); an internal user's
    still reads "Member · Invited by …"."""
    pf, _path = carls_flow
    invite(live_server.app.state.db, pf, ["ivy@acme.com"])
    page = gestures.signed_in(new_context, live_server, pf, PHONE, f"/p/{pf.slug}/users?tab=clients")
    line = _card_line(page.locator("#people tbody tr", has_text="carl@clientco.com"))
    shot(page, "clients-390")
    assert line.startswith("Invited by "), line
    page.goto(live_server(f"/p/{pf.slug}/users"))
    line = _card_line(page.locator("#people tbody tr", has_text="ivy@acme.com"))
    assert line.startswith("Member · Invited by "), line


# Where the page's content ends: the main column's right edge, inside its padding.
_CONTENT_RIGHT = """(() => { const main = document.querySelector("main");
  return main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight); })()"""


def test_the_people_table_fits_the_window_at_every_width(new_context, live_server, shot):
    """User Management's people table (``#people``) between the phone's cards and a desktop: at
    712 px it ran ~70 px past the window (and with a long address, ~390 px, up to ~1130 px). Its
    names and addresses are cut short ("…", whole in their tooltips), its cells closer, so that
    it fits inside the page's margins at every width."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, ["ada.lovelace@acme.com", "a-very-long-address-for-width@acme-subsidiary.example"])
    invite(db, pf, ["cleo@client.org", "+12025550173"], user_type="client")
    wide = {"width": 1280, "height": 800}
    for tab in ("", "?tab=clients"):
        page = gestures.signed_in(new_context, live_server, pf, wide, f"/p/{pf.slug}/users{tab}")
        for width in (700, 701, 712, 760, 800, 900, 960, 1100, 1200, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            right = page.evaluate("document.querySelector('#people').getBoundingClientRect().right")
            room = page.evaluate(_CONTENT_RIGHT)
            # (a pixel's rounding)
            assert _scroll_width(page) <= width and right <= room + 1, (tab, width, right, room)
            if width in (712, 760) and not tab:
                shot(page, f"people-{width}")


def test_the_people_tables_headers_stay_on_one_line_at_1280(new_context, live_server, shot):
    """At 1280 px the people table's headers keep to one line however full its rows are (the
    tester: after a Reinvite, with an "Invite link" row and "16 minutes ago", "EMAIL OR PHONE"
    wrapped onto two lines; here long names and addresses wrapped "LAST SENT")."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    invite(db, pf, ["a-very-long-address-for-width@acme-subsidiary.example", "bob@gmail.com"])
    invite(db, pf, ["Margaret Hamilton-Lovelace <margaret.hamilton@acme-subsidiary.example>"])
    page = gestures.signed_in(new_context, live_server, pf, DESKTOP, f"/p/{pf.slug}/users")
    lines = page.evaluate(
        """() => [...document.querySelectorAll("#people thead th:not(:has(.sr-only))")].map((th) => {
            const range = document.createRange();
            range.selectNodeContents(th);
            const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            return [th.textContent.trim(), tops.size];
        })"""
    )
    wrapped = [name for name, n in lines if name and n > 1]
    assert not wrapped, lines
    shot(page, "people-headers-1280")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_new_flows_cards_are_evenly_spaced_and_its_words_aligned(new_context, live_server, shot, viewport):
    """A new flow workspace: the Conversation and Actions cards are as far apart as the cards above
    (the tester measured ~40 px against ~16), and "No messages yet…" starts where the box below
    it does (a few px left of it)."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        workspace = workspaces_service.create(
            session, owner, name="Tax return", kind="flow", roles=["Signer"]
        )
        path = f"/p/{pf.slug}/workspaces/{workspace.id}"
    page = gestures.signed_in(new_context, live_server, pf, viewport, path)
    gaps = page.evaluate(
        """() => {
            const cards = [...document.querySelectorAll("main .card")].filter((c) => c.offsetParent !== null
                && !c.closest("dialog"));
            const out = [];
            for (let i = 1; i < cards.length; i++) {
                const above = cards[i - 1].getBoundingClientRect(), below = cards[i].getBoundingClientRect();
                out.push([cards[i].id || cards[i].className, Math.round(below.top - above.bottom)]);
            }
            return out;
        }"""
    )
    assert gaps and len({gap for _, gap in gaps}) == 1, gaps
    words = page.locator("#messages [data-empty]")
    empty, box = _box(words), _box(page.locator("#message-text"))
    padding = words.evaluate("(li) => parseFloat(getComputedStyle(li).paddingLeft)")
    assert abs(empty["x"] + padding - box["x"]) <= 1, (empty, padding, box)
    shot(page, f"workspace-new-{viewport['width']}")
