"""A workspace page's cards keep their content inside them (the tester's findings at 1280 px):
the join requests' table, the Members list when one member's Resend Invitation opens, and the
flow workspace's Share card, at 1280 px and on a phone (390 px)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from admit.flows import join_requests as join_requests_flow
from admit.flows import workspace_links, workspace_people
from admit.workspaces import service as workspaces_service
from tests.browser import gestures
from tests.factories import actor_for, create_portal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
ASKING = [
    ("Bartholomew Featherstonehaugh", "bartholomew.featherstonehaugh@lawfirm-partners.co.uk"),
    ("Maximiliane Oberndorfer", "maximiliane.oberndorfer@steuerberatung-example.de"),
]
INVITED = ["christopher.montgomery@clientcompany-holdings.com", "ann@client.org"]


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def _lines(locator) -> int:
    """How many lines the element's text takes (its text's line boxes)."""
    return locator.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
    )


def _inside(inner: dict, outer: dict) -> bool:
    return inner["x"] >= outer["x"] - 0.5 and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5


@pytest.fixture
def busy_flow(live_server):
    """A flow workspace with two join requests from people with long names and addresses, and
    two clients invited who have not joined."""
    db = live_server.app.state.db
    pf = create_portal(db, owner_email="olive@acme.com")
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        workspace = workspaces_service.create(
            session, owner, name="Q3 Audit", kind="flow", roles=["Client signer"]
        )
        workspace_people.add_people(session, owner, workspace.id, recipients=INVITED, user_type="client")
        view, _ = workspace_links.open_link(session, owner, workspace.id)
        token = view.url.rsplit("/join/", 1)[1]
        workspace_id = workspace.id
    for name, email in ASKING:
        with db.unit_of_work() as session:
            join_requests_flow.request_to_join(session, token=token, email=email, name=name, note="")
    return pf, f"/p/{pf.slug}/workspaces/{workspace_id}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_join_requests_stay_inside_their_card(new_context, live_server, shot, busy_flow, viewport):
    """The tester: the table was 891 px wide in an 834 px card that hides what overflows, Decline
    clipped, names and addresses broken mid-word. Every Decline is inside the card; a name is
    not broken inside a word at 1280."""
    pf, path = busy_flow
    page = gestures.signed_in(new_context, live_server, pf, viewport, path)
    card = page.locator("section.panel", has=page.locator("#join-requests"))
    expect(card).to_be_visible()
    shot(page, f"join-requests-{viewport['width']}")
    assert _inside(_box(page.locator("#join-requests")), _box(card)), (
        _box(page.locator("#join-requests")),
        _box(card),
    )
    for decline in page.locator("#join-requests").get_by_role("button", name="Decline").all():
        assert _inside(_box(decline), _box(card)), (_box(decline), _box(card))
    if viewport is DESKTOP:
        # Each name and address on one line (they broke mid-word: "Bartholomew Feat|herstonehaugh").
        for cell in page.locator(
            "#join-requests td[data-label=Name], #join-requests td[data-label=Email]"
        ).all():
            assert _lines(cell) == 1, cell.inner_text()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_opening_resend_on_one_member_leaves_the_list_as_it_was(
    new_context, live_server, shot, busy_flow, viewport
):
    """The tester: opening "Not Joined" on one member reflowed the whole list and addresses broke
    at "@". The other rows keep their place and size, and an address is not broken at its "@"."""
    pf, path = busy_flow
    page = gestures.signed_in(new_context, live_server, pf, viewport, path)
    page.get_by_role("link", name=re.compile(r"^Members \(\d+\)$")).click()
    rows = page.locator("#workspace-members tbody tr")
    expect(rows.first).to_be_visible()
    cells = page.locator("#workspace-members tbody td[data-member]")
    before = [(_box(cell), _lines(cell.locator("strong"))) for cell in cells.all()]
    shot(page, f"members-{viewport['width']}")
    page.locator('#workspace-members tr[data-address="ann@client.org"]').get_by_role(
        "button", name="Not Joined"
    ).click()
    expect(page.get_by_role("button", name="Resend Invitation to ann@client.org")).to_be_visible()
    shot(page, f"members-resend-open-{viewport['width']}")
    after = [(_box(cell), _lines(cell.locator("strong"))) for cell in cells.all()]
    # Each person where they were, as wide, their name or address on as many lines.
    assert [(round(b["x"]), round(b["width"]), n) for b, n in after] == [
        (round(b["x"]), round(b["width"]), n) for b, n in before
    ], (before, after)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_share_cards_link_is_shown_whole(new_context, live_server, shot, busy_flow, viewport):
    """The tester: on a flow workspace the Share card was a narrow sidebar whose Link box showed
    "http://127.0.0.1:8741/jo". The box is wide enough for the whole URL at 1280 and inside its
    card at either width."""
    pf, path = busy_flow
    page = gestures.signed_in(new_context, live_server, pf, viewport, path)
    box = page.locator("#workspace-link-url")
    expect(box).to_be_visible()
    shot(page, f"share-{viewport['width']}")
    card = page.locator("section.panel", has=box)
    assert _inside(_box(box), _box(card)), (_box(box), _box(card))
    if viewport is DESKTOP:
        widths = box.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] <= widths[1], widths  # the whole URL in view


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_link_that_is_off_is_turned_on_from_the_share_card(
    new_context, live_server, shot, busy_flow, viewport
):
    """Off, the Share card says so above one button that turns the link on (no settings form to
    open): it fits the card at either width, and one click leaves the link Active."""
    pf, path = busy_flow
    db = live_server.app.state.db
    workspace_id = uuid.UUID(path.rsplit("/", 1)[1])
    with db.unit_of_work() as session:
        workspace_links.update(
            session, actor_for(session, pf.slug, pf.owner_email), workspace_id, enabled=False
        )
    page = gestures.signed_in(new_context, live_server, pf, viewport, path)
    off = page.locator("[data-link-off]")
    expect(off).to_contain_text("The workspace link is off: nobody can ask to join through it.")
    button = off.get_by_role("button", name="Turn on the workspace link")
    shot(page, f"share-off-{viewport['width']}")
    card = page.locator("section.panel", has=off)
    assert _inside(_box(button), _box(card)), (_box(button), _box(card))
    gestures.expect_no_wider_than(page, viewport["width"])
    button.click()
    expect(page.locator("[data-link-state]")).to_have_text("Active")
    expect(off).to_have_count(0)
    expect(page.locator("#workspace-link-url")).to_be_visible()
