"""The help articles' steps (/seeds) walked in a real browser, where a tester found a step the
screens did not match: the words a person reads there are on the screen they reach."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import gestures
from tests.factories import OWNER_PASSWORD as FACTORY_PASSWORD
from tests.factories import PASSWORD, active_member, create_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER_EMAIL = "olivia@acme.com"
OWNER_PASSWORD = "owner-password-123"

# Where each visible separator of the link's facts sits against the facts on its line: a dot
# shown with no fact after it on its line dangles; one with none before it starts a line.
_DANGLING_DOTS = """(box) => {
  const clip = box.getBoundingClientRect();
  const facts = [...box.querySelectorAll(".fact, [data-link-state]")].map((el) => el.getBoundingClientRect());
  const line = (a, b) => Math.abs((a.top + a.bottom) / 2 - (b.top + b.bottom) / 2) < 4;
  const bad = [];
  for (const dot of box.querySelectorAll(".dot")) {
    if (getComputedStyle(dot).display === "none") continue;
    const r = dot.getBoundingClientRect();
    if (r.width === 0 || r.right <= clip.left + 0.5 || r.left >= clip.right - 0.5) continue;  // not seen
    const before = facts.some((f) => line(f, r) && f.right <= r.left + 1 && f.width > 0);
    const after = facts.some((f) => line(f, r) && f.left >= r.right - 1 && f.width > 0);
    const where = `${Math.round(r.left)},${Math.round(r.top)}`;
    if (!before || !after) bad.push(`${where}: ${before ? "ends" : "starts"} a line`);
  }
  return bad;
}"""


def _owner(page: Page, server) -> None:
    gestures.set_up(
        page, server, portal="Acme Inc.", owner_name="Olivia Owner", owner_email=OWNER_EMAIL,
        password=OWNER_PASSWORD,
    )  # fmt: skip


def test_the_link_facts_separator_never_dangles(live_server, new_context):
    """Share Invite Link's facts ("0 joined through this link · no limit on uses · expires …")
    wrap whole at any width, and the "·" between two of them is seen only between two: never
    at the end of a line (the tester's dangling dot) nor at the start of one."""
    page = new_context().new_page()
    _owner(page, live_server)
    users = page.url.split("?")[0]
    page.goto(users + "?invite=link")
    page.get_by_role("button", name="Turn on the invite link").click()
    if page.locator("dialog#confirm-dialog").is_visible():
        page.locator("dialog#confirm-dialog").get_by_role("button", name="Turn on").click()
    link = page.locator("dialog#invite-dialog").get_by_label("Invite link", exact=True).input_value()
    # Someone signs up and has not confirmed yet: a fourth fact, "1 waiting to confirm…".
    lin = new_context().new_page()
    lin.goto(link)
    lin.get_by_label("Email").fill("lin@acme.com")
    lin.get_by_label("Your name").fill("Lin Chen")
    lin.get_by_role("button", name="Sign up").click()
    expect(lin.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(users + "?invite=link")
    box = page.locator("dialog#invite-dialog [data-link-facts]")
    expect(box).to_contain_text("1 waiting to confirm their email")
    expect(box).to_be_visible()
    wrapped = 0
    for width in range(400, 1000, 12):
        page.set_viewport_size({"width": width, "height": 860})
        lines, dangling = box.evaluate(
            f"(box) => [new Set([...box.querySelectorAll('.fact')]"
            f".map((f) => Math.round(f.getBoundingClientRect().top))).size, ({_DANGLING_DOTS})(box)]"
        )  # one look at each width, not two
        wrapped += lines > 1
        assert dangling == [], f"at {width} px"
    assert wrapped, "no width wrapped the facts: the test saw no line end"


def test_share_invite_link_says_the_seed_and_turns_on_in_one_click(live_server, new_context):
    """Seed 000: Share Invite Link → Copy Link; "when an internal user receives this link, they
    can sign up themselves on your portal". A new link starts off (issue 14: its 10 days run from
    when someone means to share it); the tab says what turning it on lets in, and the one button
    does it, with no question after (it was two clicks: the button, then a confirmation)."""
    page = new_context().new_page()
    _owner(page, live_server)
    page.goto(page.url.split("?")[0] + "?invite=link")
    dialog = page.locator("dialog#invite-dialog")
    off = dialog.locator("[data-link-off]")
    expect(off).to_contain_text(
        "Once on, anyone who has it can sign up with an address at acme.com, as an internal user"
        " (Member), for 10 days."
    )
    expect(dialog).to_contain_text(
        "When someone receives this link, they can sign up themselves on your portal"
    )
    off.get_by_role("button", name="Turn on the invite link").click()
    expect(page.locator("dialog#invite-dialog [role=status]")).to_contain_text("The invite link is on")
    expect(page.locator("dialog#confirm-dialog")).to_be_hidden()
    expect(dialog.locator("[data-link-state]")).to_have_text("Active")
    expect(dialog.get_by_role("button", name="Copy Link")).to_be_enabled()


def test_the_invite_box_from_the_profile_menu_has_a_title(live_server, new_context):
    """Seed 000: Profile → Invite Internal User → "a pop up in which you can invite an individual
    internal user": the box is titled so above its tabs (it had tabs and no title), and its title
    follows the user type chosen in it."""
    page = new_context().new_page()
    _owner(page, live_server)
    page.locator(".profile > button").click()
    page.get_by_role("link", name="Invite Internal User").click()
    expect(page.get_by_role("dialog", name="Invite Internal Users")).to_be_visible()
    dialog = page.locator("dialog#invite-dialog")
    expect(dialog.get_by_role("heading", name="Invite Internal Users")).to_be_visible()
    expect(dialog.get_by_role("tab", name="Share Invite Link")).to_be_visible()
    dialog.get_by_label("User type").select_option("client")
    expect(dialog.get_by_role("heading", name="Invite Clients")).to_be_visible()
    expect(page.get_by_role("dialog", name="Invite Clients")).to_be_visible()


def test_reinvite_next_to_a_pending_user_and_resend_invite_in_its_menu(live_server, new_context):
    """Seed 004: User Management has a Reinvite button next to a pending user (asked first);
    seed 000's help article: "…" → Resend Invite → a pop-up to confirm → Send, the same resend
    (users follow the articles); the menu keeps Revoke."""
    page = new_context().new_page()
    _owner(page, live_server)
    page.get_by_role("button", name="Invite Users").click()
    page.locator("dialog#invite-dialog").locator("#recipients").fill("grace@acme.com")
    page.locator("dialog#invite-dialog").get_by_role("button", name="Send Invitation").click()
    row = page.locator('#people tbody tr[data-address="grace@acme.com"]')
    expect(row.locator("[data-status]")).to_have_text("Pending")
    confirm = page.locator("dialog#confirm-dialog")
    row.get_by_role("button", name="Reinvite grace@acme.com").click()
    expect(confirm).to_contain_text(
        "Reinvite grace@acme.com? A new link goes out, and every earlier link stops working."
    )
    confirm.get_by_role("button", name="Reinvite").click()
    expect(page.get_by_role("status")).to_contain_text("grace@acme.com reinvited: a new link is on its way.")
    row.locator("details.row-menu > summary").click()
    expect(row.get_by_role("menuitem", name="Revoke")).to_be_visible()
    expect(row.get_by_role("menuitem", name="Reinvite")).to_have_count(0)
    row.get_by_role("menuitem", name="Resend Invite").click()
    expect(confirm).to_contain_text(
        "Resend the invitation to grace@acme.com? A new link goes out, and every earlier link stops working."
    )
    confirm.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation resent to grace@acme.com.")


def _workspace(page: Page, name: str = "Q3 Audit") -> str:
    """A flow workspace made on the Workspaces page; its address."""
    page.goto(page.url.split("/p/")[0] + "/p/" + page.url.split("/p/")[1].split("/")[0] + "/workspaces")
    page.get_by_label("New workspace").fill(name)
    page.get_by_label("Kind").select_option("flow")
    page.get_by_label("Roles").fill("Reviewer")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    return page.url.split("?")[0].split("#")[0]


def test_the_workspace_ellipsis_menu_has_members(live_server, new_context):
    """Seed 001: "Click on the '...' ellipses icon … Select Members, then click on + Invite
    Members": the workspace's … menu has Members, which opens the Members panel (as its avatars
    do), and the panel has + Invite Members, which opens the Invite panel."""
    page = new_context().new_page()
    _owner(page, live_server)
    _workspace(page)
    page.get_by_label("More for the workspace “Q3 Audit”").click()
    page.get_by_role("menuitem", name="Members").click()
    panel = page.locator("dialog#members-panel")
    expect(panel).to_be_visible()
    expect(page.locator(".ws-title details.row-menu")).not_to_have_attribute("open", "")
    panel.get_by_role("button", name="+ Invite Members").click()
    expect(page.locator("dialog#invite-panel")).to_be_visible()


def _signed_in_to_a_workspace(live_server, new_context, email: str, password: str) -> Page:
    """Olive's portal with Ada (an internal user), Cleo (a client) and Mel (an internal member),
    all active; ``email`` signed in, on a new flow workspace they made."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    active_member(db, pf, "ada@acme.com")
    active_member(db, pf, "mel@acme.com")
    active_member(db, pf, "cleo@clientco.com", user_type="client")
    context = new_context()
    gestures.sign_in(context, live_server, email, password)
    page = context.new_page()
    page.goto(live_server(f"/p/{pf.slug}/workspaces"))
    _workspace(page)
    return page


def test_invite_internal_users_from_a_workspace(live_server, new_context):
    """Seed 000, "Invite New Internal Users from a Workspace": Invite → the panel on the right →
    Invite Internal Users → a screen titled "Add Team Members to this Workspace" whose box
    suggests internal users only; an address no one has says "No matches found" with Invite New
    Internal User at the bottom → "Invite a New Internal User" → Add Internal User."""
    page = _signed_in_to_a_workspace(live_server, new_context, "olive@acme.com", FACTORY_PASSWORD)
    page.get_by_role("button", name="Invite", exact=True).click()
    panel = page.locator("dialog#invite-panel")
    panel.get_by_role("button", name="Invite Internal Users").click()
    screen = panel.locator("[data-team-form]")
    expect(screen.get_by_role("heading", name="Add Team Members to this Workspace")).to_be_visible()
    box = screen.get_by_label("Email address of the internal user")
    expect(box).to_be_focused()
    box.press_sequentially("c", delay=20)  # Cleo (a client) and Ada both have a "c"
    expect(screen.locator("[data-suggestions]")).to_contain_text("ada@acme.com")
    expect(screen.locator("[data-suggestions]")).not_to_contain_text("cleo@clientco.com")
    screen.get_by_role("option", name="ada (ada@acme.com) · Internal user").click()
    expect(screen.locator("[data-picked]")).to_contain_text("ada")
    box.fill("")
    box.press_sequentially("nina@acme.com", delay=10)
    none = screen.locator("[data-no-matches]")
    expect(none).to_contain_text("No matches found")
    none.get_by_role("button", name="Invite New Internal User").click()
    new = panel.locator("[data-new-person-form]")
    expect(new.get_by_role("heading", name="Invite a New Internal User")).to_be_visible()
    expect(new.get_by_label("Email or phone number")).to_have_value("nina@acme.com")
    expect(new.locator("[data-also]")).to_have_text("Also invited: ada.")
    new.get_by_label("Name").fill("Nina New")
    new.get_by_role("button", name="Add Internal User").click()
    report = page.locator("[data-report]")
    expect(report).to_contain_text("Nina New (nina@acme.com): Invited as an internal user (Member)")
    expect(report).to_contain_text("ada")


def test_add_team_members_offers_neither_yourself_nor_who_is_in_already(live_server, new_context, shot):
    """Add Team Members does not suggest the one adding (they offered Olive herself), and shows
    someone in the workspace already as such, not to be picked (Ada, once added), as the first
    screen does: the suggestions asked with the workspace's id mark them."""
    page = _signed_in_to_a_workspace(live_server, new_context, "olive@acme.com", FACTORY_PASSWORD)
    page.get_by_role("button", name="Invite", exact=True).click()
    panel = page.locator("dialog#invite-panel")
    panel.get_by_role("button", name="Invite Internal Users").click()
    screen = panel.locator("[data-team-form]")
    box = screen.get_by_label("Email address of the internal user")
    box.press_sequentially("ada", delay=20)
    screen.get_by_role("option", name="ada (ada@acme.com) · Internal user").click()
    screen.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("[data-report]")).to_contain_text("ada")
    workspace = page.url.split("?")[0].split("#")[0]
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 860})
        page.goto(workspace)
        page.get_by_role("button", name="Invite", exact=True).click()
        panel.get_by_role("button", name="Invite Internal Users").click()
        box.fill("")
        box.press_sequentially("acme", delay=20)
        suggestions = screen.locator("[data-suggestions]")
        expect(suggestions).to_contain_text("mel@acme.com")
        expect(suggestions).not_to_contain_text("olive@acme.com")
        ada = suggestions.locator('[data-suggestion="ada@acme.com"]')
        expect(ada).to_contain_text("Already in this workspace")
        expect(ada).to_have_attribute("aria-disabled", "true")
        shot(page, f"add-team-members-{width}")


def test_a_member_adds_existing_internal_users_only(live_server, new_context):
    """Seed 001: internal users without admin rights "can only add existing internal users that
    are already in the platform": Mel's Add Team Members screen offers no Invite New Internal
    User, and says who can (policy.who_may), where an address matches no one."""
    page = _signed_in_to_a_workspace(live_server, new_context, "mel@acme.com", PASSWORD)
    page.get_by_role("button", name="Invite", exact=True).click()
    panel = page.locator("dialog#invite-panel")
    panel.get_by_role("button", name="Invite Internal Users").click()
    screen = panel.locator("[data-team-form]")
    screen.get_by_label("Email address of the internal user").press_sequentially("nina@acme.com", delay=10)
    none = screen.locator("[data-no-matches]")
    expect(none).to_contain_text("No matches found")
    expect(none).to_contain_text(
        "Only owners and admins can invite internal users. Ask an owner or admin to invite them, then add"
        " them here."
    )
    expect(panel.get_by_role("button", name="Invite New Internal User")).to_have_count(0)
    screen.get_by_label("Email address of the internal user").fill("ada")
    screen.get_by_role("option", name="ada (ada@acme.com) · Internal user").click()
    screen.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("[data-report]")).to_contain_text("ada")
