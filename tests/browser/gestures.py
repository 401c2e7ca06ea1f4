"""What a person does in the browser, shared by the browser tests."""

from __future__ import annotations

import re
import secrets
import time

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from admit.notifications import mailbox
from admit.notifications.models import QUEUED, SENDING, Notification
from admit.pages.deps import ANON_CSRF_COOKIE
from tests.factories import OWNER_PASSWORD, last_link

# The two widths every page is looked at: a phone's and a desktop window's.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def set_up_portal(
    page: Page, server, *, portal: str, owner_name: str, owner_email: str, password: str
) -> None:
    """First run: / sends you to the setup page; create the portal and its owner."""
    page.goto(server("/"))
    expect(page).to_have_url(server("/setup"))
    expect(page.get_by_role("heading", name="Set up your portal")).to_be_visible()
    page.get_by_label("Portal name").fill(portal)
    page.get_by_label("Your name").fill(owner_name)
    page.get_by_label("Your email").fill(owner_email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create portal").click()
    expect(page).to_have_url(re.compile(r"/p/[^/]+/users"))


MAIL_TIMEOUT_SECONDS = 10.0


def mail_delivered(server, to: str, count: int = 1) -> None:
    """Until the live server's own worker has put ``count`` messages to ``to`` in the dev
    mailbox, looked for in its database every 0.05 s (the worker's interval), at most 10 s: the
    dev mailbox page is then read once, and says whether they came. (It was reloaded until it
    showed them, every 0.15 s: each reload a page built, sent and laid out, on top of the wait.)"""
    db = server.app.state.db
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with db.unit_of_work() as session:
            if len(mailbox.messages(session, to=to, limit=count)) >= count:
                return
        time.sleep(0.05)


def nothing_queued(server) -> None:
    """Until the live server's worker holds no message still to send (at most 10 s): whatever
    was sent is in the dev mailbox by then, so its page can say nothing came. (It waited 0.4 s,
    which a busy machine's worker could outlast.)"""
    db = server.app.state.db
    waiting = select(func.count(Notification.id)).where(Notification.status.in_((QUEUED, SENDING)))
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with db.unit_of_work() as session:
            if not session.scalar(waiting):
                return
        time.sleep(0.05)


# User Management's delivery badges ask again this long after the last answer (admit.js; the
# first round is 1.5 s after the page opened).
BADGE_ROUND_MS = 2000


def badges_rechecked(page: Page, server) -> None:
    """Once the live server's worker holds nothing to send, the page's delivery badges' next
    round, its clock (Playwright's, ``page.clock.install()`` before the page opened) jumped to it
    instead of waited out. (Were a round under way then, the one after comes in time.)"""
    nothing_queued(server)
    page.clock.fast_forward(BADGE_ROUND_MS)


def delivered_link(db, address: str, kind: str = "invite") -> str:
    """The token of the newest ``kind`` of link sent to ``address``, once the live server's own
    worker has delivered it (a drain here raced it: the server's worker could hold the message,
    leaving the drain nothing to do and the mailbox empty yet)."""
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while True:
        try:
            return last_link(db, address, kind)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# The Invite box checks what was typed once typing pauses this long (admit.js).
CHECK_PAUSE_MS = 300


def checked(box, gesture) -> None:
    """Do ``gesture`` (a fill of the Invite box, a chip's fix or ×) and wait for the box's check
    to come back from the server, which the chips are drawn from. Waiting on the answer itself
    saves the half second an assertion's polling would leave between the chips being drawn and
    it looking again; and the box's pause after typing (``CHECK_PAUSE_MS``) is jumped over on the
    page's clock, Playwright's (installed by the first jump), not waited out."""
    with box.page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/recipients/check")
    ):
        gesture()
        box.page.clock.fast_forward(CHECK_PAUSE_MS)


def _post_form(context: BrowserContext, server, path: str, fields: dict[str, str]):
    """A page's form POSTed to ``path`` by the browser profile ``context``, as the form sends it
    (its CSRF token the anonymous one, cookie and field), without drawing the form or the page
    its answer leads to; the answer, not followed (its cookies are the profile's)."""
    token = secrets.token_urlsafe(24)
    context.add_cookies([{"name": ANON_CSRF_COOKIE, "value": token, "url": server.url}])
    return context.request.post(server(path), form={**fields, "csrf_token": token}, max_redirects=0)


def sign_in(context: BrowserContext, server, email: str, password: str) -> None:
    """The browser profile ``context`` signed in as ``email`` by the sign-in form's own POST to
    /login (``_post_form``): for tests whose subject is another page (each sign-in was two page
    loads before the one under test). The tests of signing in use the form."""
    answer = _post_form(context, server, "/login", {"email": email, "password": password})
    assert answer.status == 303 and "/login" not in answer.headers["location"], (
        f"{email} was not signed in: {answer.status} {answer.headers.get('location')}"
    )


def set_up(page: Page, server, *, portal: str, owner_name: str, owner_email: str, password: str) -> None:
    """What ``set_up_portal`` leaves (the portal made, its owner signed in on User Management)
    by the setup form's own POST (``_post_form``), for tests whose subject comes after it: the
    setup page's two loads and four fields are set_up_portal's to test."""
    fields = {"portal_name": portal, "owner_name": owner_name, "owner_email": owner_email}
    answer = _post_form(page.context, server, "/setup", {**fields, "owner_password": password})
    where = answer.headers.get("location", "")
    assert answer.status == 303 and re.fullmatch(r"/p/[^/]+/users", where), (answer.status, where)
    page.goto(server(where))


def signed_in(new_context, live_server, pf, viewport, path) -> Page:
    """A new browser at ``viewport`` signed in as the portal's owner (``pf``), at ``path``."""
    context = new_context(viewport=viewport)
    sign_in(context, live_server, pf.owner_email, OWNER_PASSWORD)
    page = context.new_page()
    page.goto(live_server(path))
    return page


def expect_owners_asked(confirmation, whom: str) -> None:
    """The owners' confirmation (``_owners.html``) is shown, asking to make ``whom`` ("Mel
    (mel@acme.com) an owner"), with what an owner can do."""
    expect(confirmation).to_be_visible()
    expect(confirmation).to_contain_text(f"Yes, make {whom}.")
    expect(confirmation).to_contain_text("Owners can do everything, including removing you.")


def expect_no_wider_than(page: Page, width: int, *, timeout: float = 5000) -> None:
    """The page, once laid out, is no wider than ``width``: waited for (a page a script is still
    filling can be wider for a moment), then, if it never is, the widest element named."""
    try:
        page.wait_for_function(f"document.documentElement.scrollWidth <= {width}", timeout=timeout)
    except Exception:
        widest = page.evaluate(
            """() => { let w = null; for (const el of document.querySelectorAll('body *')) {
                 const r = el.getBoundingClientRect();
                 if (!w || r.right > w.right) w = {right: r.right, tag: el.tagName,
                   cls: el.className, text: (el.textContent || '').slice(0, 80)}; }
               return w; }"""
        )
        width_now = page.evaluate("document.documentElement.scrollWidth")
        raise AssertionError(f"the page is {width_now} px wide (at most {width}); widest: {widest}") from None
