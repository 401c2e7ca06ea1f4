"""What a phone shows (the tester's 390 × 844 Chromium window): fields that iOS Safari does not
zoom into, buttons a thumb can hit, lists that read as cards, an empty list said in words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from admit.flows import workspace_people
from admit.members import service as members_service
from admit.workspaces import service as workspaces_service
from tests.auth.test_sessions import IPHONE_SAFARI, WINDOWS_FIREFOX
from tests.browser import gestures
from tests.factories import OWNER_PASSWORD, actor_for, create_portal, invite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
FIELDS = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea"


def _font_sizes(page) -> list[float]:
    return page.eval_on_selector_all(FIELDS, "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")


def _height(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["height"]


def _width(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["width"]


def _owner_on(page, live_server, pf, section: str):
    """``page`` signed in as the portal's owner, on ``/p/<slug>/<section>``."""
    gestures.sign_in(page.context, live_server, pf.owner_email, OWNER_PASSWORD)
    page.goto(live_server(f"/p/{pf.slug}/{section}"))
    return page


def test_fields_do_not_zoom_and_buttons_fit_a_thumb(new_context, live_server):
    """The invitation's page on a phone: every field's text is 16 px (iOS Safari zooms the page
    into a field under 16 px when it takes the focus, where it was 14 px) and the Join button
    44 px tall (it was 36 px); a touch screen's wide window gets the taller buttons too; a
    desktop window keeps its density (14 px, 36 px)."""
    db = live_server.app.state.db
    pf = create_portal(db)
    invite(db, pf, ["rita@acme.com"])
    link = live_server(f"/invite/{gestures.delivered_link(db, 'rita@acme.com')}")

    def opened(**options):
        page = new_context(**options).new_page()
        page.goto(link)
        expect(page.get_by_label("Your name")).to_be_visible()
        return page

    page = opened(viewport=PHONE)
    assert min(_font_sizes(page)) >= 16, _font_sizes(page)
    assert _height(page.get_by_role("button", name="Accept invitation")) >= 44

    page = opened(viewport=DESKTOP, has_touch=True)
    assert _height(page.get_by_role("button", name="Accept invitation")) >= 44

    page = opened(viewport=DESKTOP)
    assert set(_font_sizes(page)) == {14}, _font_sizes(page)
    assert _height(page.get_by_role("button", name="Accept invitation")) == 36


def test_a_clients_landing_page_lists_workspaces_as_cards(new_context, live_server, shot):
    """A client who has just joined, on a phone: no workspaces is said in words, not under a
    table's Name / Kind / Latest activity header (the tester's screenshot); once they are in
    one, it reads as a card (its name across, each fact under its label), as User
    Management's rows do."""
    db = live_server.app.state.db
    pf = create_portal(db)
    invite(db, pf, ["carla@clientco.com"], user_type="client")
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server(f"/invite/{gestures.delivered_link(db, 'carla@clientco.com')}"))
    page.get_by_label("Your name").fill("Carla Client")
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_text("No workspaces yet. When someone invites you to one")).to_be_visible()
    expect(page.locator("#my-workspaces thead")).to_be_hidden()
    shot(page, "client-home-empty-390")

    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        workspace = workspaces_service.create(session, owner, name="Q3 Audit", kind="chat")
        client = members_service.get_user_by_address(session, "carla@clientco.com")
        workspace_people.add_people(session, owner, workspace.id, user_ids=[client.id])
    page.reload()
    row = page.locator('#my-workspaces tr[data-workspace="Q3 Audit"]')
    expect(row.get_by_role("link", name="Q3 Audit")).to_be_visible()
    expect(page.locator("#my-workspaces thead")).to_be_hidden()
    kind = row.locator('td[data-label="Kind"]')
    assert kind.evaluate("td => getComputedStyle(td, '::before').content") == '"Kind"'
    shot(page, "client-home-390")


def test_the_workspaces_timeline_spans_the_page_on_a_phone(new_context, live_server, shot):
    """The Workspaces page on a phone: each line of "Your timeline" is as wide as the list (its
    header's band stopped at ~216 px of 362, the width of "No workspaces yet."), a card each
    once there are workspaces."""
    db = live_server.app.state.db
    pf = create_portal(db)
    page = _owner_on(new_context(viewport=PHONE).new_page(), live_server, pf, "workspaces")
    expect(page.get_by_text("No workspaces yet.")).to_be_visible()

    def lines_span_the_list() -> None:
        width = _width(page.locator("#workspaces"))
        for line in page.locator("#workspaces tr").all():
            if line.is_visible():
                assert _width(line) >= width - 2, (line.inner_text(), _width(line), width)

    lines_span_the_list()
    shot(page, "workspaces-empty-390")
    page.get_by_label("New workspace").fill("Q3 Audit")
    page.get_by_role("button", name="Create workspace").click()
    page.goto(live_server(f"/p/{pf.slug}/workspaces"))
    expect(page.locator('#workspaces tr[data-workspace="Q3 Audit"]')).to_be_visible()
    lines_span_the_list()
    shot(page, "workspaces-390")


@pytest.mark.parametrize("logo_size", [(96, 32), (400, 64)])
def test_the_top_bar_keeps_logo_and_profile_on_one_line(new_context, live_server, shot, logo_size):
    """With a portal logo, on a phone: the logo and the profile button share the first line, the
    button at the right edge (it dropped to a line of its own, at the left); a wide logo shrinks
    to leave it room; the sections wrap below; nothing runs off the side. The desktop keeps one
    line."""
    from admit.portals import service as portals_service
    from tests.portals.images import png

    db = live_server.app.state.db
    pf = create_portal(db)
    with db.unit_of_work() as session:
        portals_service.set_logo(
            session, actor_for(session, pf.slug, pf.owner_email), data=png(*logo_size, (37, 99, 235))
        )
    for viewport in (PHONE, DESKTOP):
        page = _owner_on(new_context(viewport=viewport).new_page(), live_server, pf, "users")
        page.wait_for_function("() => document.querySelector('header.top a.brand img').naturalWidth > 0")
        shot(page, f"top-bar-logo-{logo_size[0]}-{viewport['width']}")
        logo = page.locator("header.top a.brand img").bounding_box()
        button = page.locator("header.top .profile > button").bounding_box()
        assert logo and button and logo["width"] > 0
        middle = lambda box: box["y"] + box["height"] / 2  # noqa: E731
        assert abs(middle(logo) - middle(button)) < 4, (logo, button)
        assert button["x"] + button["width"] >= viewport["width"] - 24, button
        assert logo["x"] + logo["width"] <= button["x"], (logo, button)
        gestures.expect_no_wider_than(page, viewport["width"])


def test_where_you_are_signed_in_reads_as_cards_on_a_phone(new_context, live_server, shot):
    """The account page's list of where you are signed in, on a phone: a card a browser, its
    name (and "This browser") across the card, each fact under its label, and the page no
    wider than the phone; signing the other browser out takes it off the list."""
    db = live_server.app.state.db
    pf = create_portal(db)
    pages = []
    for options in ({"user_agent": WINDOWS_FIREFOX}, {"user_agent": IPHONE_SAFARI, "viewport": PHONE}):
        page = new_context(**options).new_page()
        page.goto(live_server("/login"))
        page.get_by_label("Email", exact=True).fill(pf.owner_email)
        page.get_by_label("Password").fill(OWNER_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        pages.append(page)
    page = pages[1]
    page.goto(live_server("/me/account"))
    listed = page.locator("#sessions")
    expect(listed.locator("thead")).to_be_hidden()
    mine = listed.locator("tbody tr").first
    expect(mine).to_contain_text("Safari on iPhone")
    expect(mine).to_contain_text("This browser")
    browser = mine.locator('td[data-label="Browser"]')
    assert _width(browser) >= _width(mine) - 20, (_width(browser), _width(mine))
    ip = mine.locator('td[data-label="Signed in from"]')
    assert ip.evaluate("td => getComputedStyle(td, '::before').content") == '"Signed in from"'
    gestures.expect_no_wider_than(page, PHONE["width"])
    shot(page, "account-sessions-390")
    other = listed.locator("tbody tr", has_text="Firefox on Windows")
    other.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("Signed out of Firefox on Windows.")).to_be_visible()
    expect(listed.locator("tbody tr")).to_have_count(1)
    pages[0].reload()
    expect(pages[0].get_by_text("You were signed out. Sign in again to go on.")).to_be_visible()


def test_a_dead_invitation_link_says_its_case_on_a_phone(new_context, live_server, shot):
    """The tester: every dead invitation link read "No longer valid". On a phone (390 px) a used
    link says so, names the inviter and the portal and offers Sign in, a button a thumb can hit,
    and nothing runs off the side of the screen; a withdrawn one says so, with no Sign in."""
    from admit.invitations import service as invitations_service

    db = live_server.app.state.db
    pf = create_portal(db)
    invited = invite(db, pf, ["rita@client.org", "sam@client.org"], user_type="client").invited
    used = live_server(f"/invite/{gestures.delivered_link(db, 'rita@client.org')}")
    withdrawn = live_server(f"/invite/{gestures.delivered_link(db, 'sam@client.org')}")
    page = new_context(viewport=PHONE).new_page()
    page.goto(used)
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_role("status")).to_be_visible()
    with db.unit_of_work() as session:
        owner = actor_for(session, pf.slug, pf.owner_email)
        invitations_service.revoke(
            session, owner, next(i.id for i in invited if i.recipient == "sam@client.org")
        )

    stranger = new_context(viewport=PHONE).new_page()
    stranger.goto(used)
    expect(stranger.get_by_role("heading", name="Invitation already used")).to_be_visible()
    expect(stranger.get_by_text("to join Acme Inc was already used. If you joined, sign in")).to_be_visible()
    sign_in = stranger.get_by_role("link", name="Sign in", exact=True)
    box = sign_in.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390, box
    gestures.expect_no_wider_than(stranger, 390)
    shot(stranger, "used-link-phone")

    stranger.goto(withdrawn)
    expect(stranger.get_by_role("heading", name="Invitation cancelled")).to_be_visible()
    expect(stranger.get_by_text("to join Acme Inc was cancelled.")).to_be_visible()
    expect(stranger.get_by_role("link", name="Sign in", exact=True)).to_have_count(0)
    gestures.expect_no_wider_than(stranger, 390)
    shot(stranger, "withdrawn-link-phone")


def test_a_client_asked_for_a_password_is_told_why_on_a_phone(new_context, live_server, shot):
    """The tester's Carl: his email said no password is needed, then the portal began requiring
    one for clients. His page, on a phone, says so above "Choose a password", within the screen."""
    from admit.portals import service as portals_service

    db = live_server.app.state.db
    pf = create_portal(db)
    invite(db, pf, ["carl@client.org"], user_type="client")
    link = live_server(f"/invite/{gestures.delivered_link(db, 'carl@client.org')}")
    with db.unit_of_work() as session:
        portals_service.update_settings(
            session, actor_for(session, pf.slug, pf.owner_email), client_require_password=True
        )
    page = new_context(viewport=PHONE).new_page()
    page.goto(link)
    expect(page.get_by_label("Choose a password")).to_be_visible()
    why = page.get_by_text("Acme Inc asks its clients to choose a password.")
    expect(why).to_be_visible()
    expect(why).to_contain_text("its sign-in policy changed after your invitation was sent")
    gestures.expect_no_wider_than(page, 390)
    shot(page, "password-asked-phone")


def test_a_returning_client_signs_in_by_link_from_the_one_email_field(new_context, live_server, shot):
    """The sign-in page has one Email field: a client with no password types her address there
    and takes **Send me a sign-in link**, where a second card asked for the address again and the
    first form stopped her on its empty password ("fill out this field")."""
    from tests.factories import active_member

    db = live_server.app.state.db
    pf = create_portal(db)
    active_member(db, pf, "cleo@client.org", user_type="client", password=None)
    page = new_context(viewport=PHONE, has_touch=True).new_page()
    page.goto(live_server("/login"))
    expect(page.locator("input[name=email]")).to_have_count(1)
    page.get_by_label("Email", exact=True).fill("cleo@client.org")
    shot(page, "sign-in-phone")
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    # The password way is the same field's: an empty password is still asked for.
    page.goto(live_server("/login"))
    page.get_by_label("Email", exact=True).fill("cleo@client.org")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_server("/login"))
    assert page.get_by_label("Password").evaluate("e => e.validity.valueMissing")


def test_the_password_step_keeps_sign_out_off_its_card(new_context, live_server, shot):
    """A client whose portal now asks clients for a password, signing in by link on a phone:
    "Choose a password" says the portal asks clients, and its Sign out stands apart from the
    card above it (it touched it)."""
    from admit.portals import service as portals_service
    from tests.factories import active_member

    db = live_server.app.state.db
    pf = create_portal(db)
    active_member(db, pf, "cleo@client.org", user_type="client", password=None)
    with db.unit_of_work() as session:
        portals_service.update_settings(
            session, actor_for(session, pf.slug, pf.owner_email), client_require_password=True
        )
    page = new_context(viewport=PHONE, has_touch=True).new_page()
    page.goto(live_server("/login"))
    page.get_by_label("Email", exact=True).fill("cleo@client.org")
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(live_server(f"/login/link/{gestures.delivered_link(db, 'cleo@client.org', 'sign_in')}"))
    page.get_by_role("button", name="Sign in as cleo").click()
    expect(page.get_by_role("heading", name="Choose a password")).to_be_visible()
    expect(page.get_by_text("Acme Inc asks clients to sign in with a password.")).to_be_visible()
    card = page.locator("form.card").bounding_box()
    sign_out = page.get_by_role("main").get_by_role("button", name="Sign out").bounding_box()
    assert card is not None and sign_out is not None
    assert sign_out["y"] - (card["y"] + card["height"]) >= 12, (card, sign_out)
    shot(page, "password-step-phone")


def test_the_dev_mailbox_shows_a_whole_email_that_fits_a_phone(new_context, live_server, shot):
    """The tester: on a phone the dev mailbox's frame cut off the bottom of every email (a fixed
    480 px), and a message of one long word made the email wider than the phone. The frame is as
    tall as the email it shows, and the email wraps within it."""
    db = live_server.app.state.db
    pf = create_portal(db)
    invite(db, pf, ["fay@client.com"], user_type="client", message="x" * 300)
    gestures.delivered_link(db, "fay@client.com")
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server("/dev/mailbox"))
    page.get_by_role("link", name="Olive Owner invited you to join Acme Inc").first.click()
    frame = page.get_by_title("HTML body")
    expect(frame).to_be_visible()
    email = page.frame_locator("iframe.mail").locator("body")
    expect(email).to_contain_text("If you did not expect this invitation")
    inner = page.frames[1]
    # The frame is fitted when its email has loaded; wait for that rather than read it at once.
    page.wait_for_function(
        "() => { const f = document.querySelector('iframe.mail'); const d = f.contentDocument;"
        " return d && d.readyState === 'complete' && f.style.height !== ''; }",
        timeout=5000,
    )
    content = inner.evaluate("[document.documentElement.scrollHeight, document.documentElement.scrollWidth]")
    seen = inner.evaluate("[window.innerHeight, window.innerWidth]")
    assert content[0] <= seen[0], (content, seen)  # nothing cut off at the bottom
    assert content[1] <= seen[1], (content, seen)  # nothing runs off the side
    gestures.expect_no_wider_than(page, 390)
    shot(page, "dev-mailbox-email-phone")
