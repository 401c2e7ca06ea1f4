"""axe-core (from its npm package, ``package.json``; ``scripts/test`` installs it) run in
Chromium on every main page: no serious or critical violation. Under ADMIT_REQUIRE_BROWSER=1 a
missing axe-core fails, like a missing Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import gestures

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
OWNER_EMAIL = "olivia@example.com"
OWNER_PASSWORD = "owner-password-123"


def _axe() -> Path:
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE} (npm ci)"
        if os.environ.get("ADMIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ADMIT_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    return AXE


def with_axe(context):
    """``context`` (a browser profile) with axe in each of its documents from their start, put
    there through Chromium's developer protocol: no request, and the page's
    Content-Security-Policy, which refuses an inline script, does not apply. Its 540 kB cross
    from the test to Chromium once, not before each check (0.1-0.4 s each). (It was served from
    a Playwright route at the page's origin: the route turned off the page's cache, and each
    check fetched all 540 kB again.)"""
    context.add_init_script(path=str(_axe()))
    return context


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is (its browser ``with_axe``):
    rule, and where."""
    found = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.id} (${v.impact}): ` +
              v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "))"""
    )
    return list(found)


def test_main_pages_have_no_serious_violations(new_context, live_server):
    page = with_axe(new_context()).new_page()
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        found = serious_violations(page)
        if found:
            problems[name] = found

    page.goto(live_server("/setup"))
    check("setup")
    gestures.set_up_portal(
        page,
        live_server,
        portal="Acme",
        owner_name="Olivia",
        owner_email=OWNER_EMAIL,
        password=OWNER_PASSWORD,
    )
    users = page.url.split("?")[0]
    page.get_by_role("button", name="Invite Users").click()
    dialog = page.locator("dialog#invite-dialog")
    dialog.locator("#recipients").fill("ada@example.com\ngrace@example.com\nnot-an-address")
    expect(dialog.locator("[data-chips-summary]")).to_be_visible()
    check("invite modal")
    # The box is named, and closes by its × as by Cancel (then opens again as it was left).
    expect(page.get_by_role("dialog", name="Invite Internal Users")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Invite Users").click()
    dialog.locator("#recipients").fill("not-an-address")
    dialog.get_by_role("button", name="Send Invitation").click()
    # Nobody to invite but an address to fix: the box opens again, its chip saying why.
    expect(dialog.locator("[data-chip=bad]")).to_contain_text("An email address must have an @-sign.")
    check("invite modal held")
    dialog.locator("#recipients").fill("ada@example.com\ngrace@example.com\nnot-an-address")
    dialog.get_by_role("button", name="Send Invitation").click()
    expect(page.locator("[data-report]")).to_be_visible()
    check("user management")
    page.locator("details.row-menu > summary").first.click()
    check("row menu")
    for path, name in (
        ("/workspaces", "workspaces"),
        ("/contacts", "contacts"),
        ("/audit", "audit log"),
        ("/settings", "settings"),
        ("/settings/api-keys", "api keys"),
        ("/settings/webhooks", "webhooks"),
        ("/settings/scim", "scim"),
        ("/hr", "hr systems"),
        ("/hr/connect/personio", "connect an hr system"),
        ("/invite-link", "invite link"),
    ):
        page.goto(users.replace("/users", path))
        check(name)
    page.goto(live_server("/me/account"))
    check("your account")
    page.goto(live_server("/dev/mailbox"))
    check("dev mailbox")
    page.get_by_role("link", name=re.compile("invited you to join Acme")).first.click()
    check("dev mailbox message")
    page.goto(users.replace("/users", "/workspaces"))
    page.get_by_label("New workspace").fill("Q3 Audit")
    page.get_by_label("Kind").select_option("flow")
    page.get_by_label("Roles").fill("Reviewer, Client signer")
    page.get_by_role("button", name="Create workspace").click()
    page.get_by_label("Add action").fill("Sign the engagement letter")
    page.get_by_role("button", name="Add action").click()
    expect(page.locator("#workspace-actions")).to_contain_text("Sign the engagement letter")
    check("flow workspace")
    page.get_by_role("link", name=re.compile(r"^Members \(\d+\)$")).click()
    expect(page.locator("dialog#members-panel")).to_be_visible()
    check("members panel")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    check("flow workspace at 390 px")
    # A 200-character name with no space (the most a name may be) wraps: nothing runs off the
    # screen (it did, in the heading beside the workspace's kind).
    page.evaluate("document.querySelector('.ws-title h1').firstChild.textContent = 'W'.repeat(200)")
    gestures.expect_no_wider_than(page, 390)
    # The new-workspace form: its fields stack at full width (the name was squeezed to ~30 px).
    page.goto(page.url.split("/workspaces/")[0] + "/workspaces")
    page.select_option("#ws_kind", "flow")
    for field in ("#ws_name", "#ws_roles"):
        box = page.locator(field).bounding_box()
        assert box and box["width"] > 250, (field, box)
    page.goto(users)
    check("user management at 390 px")
    # Every section of the top bar is in sight at that width (the links wrap, none scroll away).
    outside = page.evaluate(
        """() => Array.from(document.querySelectorAll("header.top nav a"))
             .filter((a) => {
               const r = a.getBoundingClientRect();
               return r.right > innerWidth || r.left < 0;
             })
             .map((a) => a.textContent.trim())"""
    )
    assert outside == [], f"out of sight at 390 px: {outside}"
    # A row's "…" menu opens inside the screen, every item in reach.
    page.locator("#people details.row-menu > summary").first.click()
    items = page.locator("#people details.row-menu[open] .menu [role=menuitem]")
    expect(items.first).to_be_visible()
    for box in (items.nth(i).bounding_box() for i in range(items.count())):
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.keyboard.press("Escape")
    anonymous = with_axe(new_context()).new_page()
    anonymous.goto(live_server("/login"))
    page = anonymous
    check("sign in")
    anonymous.goto(live_server("/forgot-password"))
    check("forgot password")
    assert not problems, "\n".join(f"{where}: {v}" for where, found in problems.items() for v in found)


def test_the_check_finds_a_violation(new_context, live_server):
    """The check can fail: a page with an unlabelled field and a nameless button is caught."""
    page = with_axe(new_context()).new_page()
    page.goto(live_server("/login"))
    page.evaluate(
        """() => { document.querySelector("main").insertAdjacentHTML("beforeend",
             '<input type="text"><button></button>'); }"""
    )
    found = serious_violations(page)
    assert any(v.startswith(("label", "button-name")) for v in found), found
