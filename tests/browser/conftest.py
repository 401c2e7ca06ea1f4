"""Browser fixtures: the real app served by uvicorn on 127.0.0.1, and a real headless Chromium.

One server per test process on a migrated SQLite file (building and starting an app cost each
test 1-5 s); each test starts from empty tables, fresh settings and a worker of its own (the
app's, ``admit.jobs.start_in_thread``), which delivers the emails into the dev mailbox a user
reads at /dev/mailbox. So no test depends on another's leftovers.

Chromium is the system one (/usr/bin/chromium); Playwright never downloads a browser here.
Screenshots (``shot``, under ADMIT_SCREENSHOTS=1) go to ``test-artifacts/`` at the repository
root (gitignored).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest


def _when_ready(action):
    """A gesture that waits for the page's scripts first. admit.js is deferred: right after a
    navigation the HTML can be on screen before its handlers are attached (a menu button, a
    dialog opener), and on a busy machine a click lands in that gap and does nothing. A person
    never clicks that fast; the tests should not either."""

    def gesture(self, *args, **kwargs):
        self.page.wait_for_load_state("domcontentloaded")
        return action(self, *args, **kwargs)

    return gesture


def _install_ready_gestures() -> None:
    from playwright.sync_api import Locator

    if getattr(Locator, "_admit_ready", False):
        return
    for name in ("click", "check", "fill", "select_option", "set_input_files"):
        setattr(Locator, name, _when_ready(getattr(Locator, name)))
    Locator._admit_ready = True
    _install_prompt_assertions()


# An assertion with this long or less to wait looks again every 0.1 s (Playwright's backoff drops
# its 0.5 s steps when they are over a fifth of the timeout).
PROMPT_MS = 2_400


def _prompt(assertion):
    """``expect(...)``'s assertion, looked at again every 0.1 s for its first 2.4 s, then as
    Playwright does until the same deadline: what it asserts and how long it may wait are
    unchanged. (Playwright looks every 0.5 s after its first 0.27 s: what a page drew at 0.6 s
    was seen at 0.83 s, at 1 s at 1.36 s; now at 0.67 s and 1.08 s.)"""

    def check(self, *args, timeout=None, **kwargs):
        if isinstance(timeout, datetime.timedelta):
            timeout = timeout.total_seconds() * 1000
        full = timeout if timeout is not None else (self._impl_obj._timeout or 5_000)
        if full <= PROMPT_MS:
            return assertion(self, *args, timeout=full, **kwargs)
        started = time.monotonic()
        try:
            return assertion(self, *args, timeout=PROMPT_MS, **kwargs)
        except AssertionError:
            left = full - (time.monotonic() - started) * 1000
            return assertion(self, *args, timeout=max(left, 1), **kwargs)

    return check


def _install_prompt_assertions() -> None:
    from playwright.sync_api import LocatorAssertions, PageAssertions

    for assertions in (LocatorAssertions, PageAssertions):
        for name in dir(assertions):
            if name.startswith(("to_", "not_to_")):
                setattr(assertions, name, _prompt(getattr(assertions, name)))


CHROMIUM = os.environ.get("ADMIT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STARTUP_TIMEOUT_SECONDS = 15.0


@dataclass
class LiveServer:
    url: str
    settings: object
    app: object

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def _wait_until_answering(url: str, server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped while starting (see the captured log)")
        if server.started:
            try:
                # /login answers 200 whatever the state of the database.
                with urllib.request.urlopen(url + "/login", timeout=2) as response:
                    if response.status == 200:
                        return
            except Exception as exc:  # noqa: BLE001 - keep polling until the deadline
                last_error = exc
        time.sleep(0.05)
    raise RuntimeError(f"the live server at {url} did not answer in time: {last_error!r}")


def _wait_until_idle(server) -> None:
    """Until uvicorn answers no request: one a finished test's page left running (its browser
    closed, the handler not yet done) must not write into the next test's empty tables."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while server.server_state.tasks:
        if time.monotonic() > deadline:
            raise RuntimeError("the live server is still answering the previous test's requests")
        time.sleep(0.02)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory, migrated_sqlite_template) -> Path:
    """A SQLite file at head, which the live server serves: a copy of the test process's
    migrated one (``tests.conftest.migrated_sqlite_template``), not migrated again."""
    from tests.conftest import copy_sqlite

    served = tmp_path_factory.mktemp("live-template") / "admit.db"
    copy_sqlite(migrated_sqlite_template, served)
    return served


@functools.cache
def _live_settings(database_url: str, url: str):
    """The live server's settings, read once (``Settings`` reads the environment: ms each);
    each test takes a copy of its own."""
    from admit.settings import Settings

    return Settings(
        database_url=database_url,
        public_url=url,
        email_backend="dev",
        rate_limits_enabled=False,
        run_worker_in_web=True,
        # Woken by what a request writes (jobs.start_in_thread); the poll is for what falls due.
        worker_poll_seconds=1.0,
        environment="test",
        directory_allow_private=True,  # the fake HR systems answer on loopback
    )


@pytest.fixture(scope="session")
def _served(migrated_sqlite):
    """The real app (pages, API) on a free port of 127.0.0.1, once per test process; its
    worker is the test's (``live_server``)."""
    import uvicorn

    from admit import settings as settings_module
    from admit.app import create_app

    database_url = f"sqlite:///{migrated_sqlite}"
    # Bind first, so the port is ours before the settings (public_url) are built: no race.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    previous_settings = settings_module._override
    app = create_app(_live_settings(database_url, url), run_worker=False)
    # create_app() made its settings process-wide; the other tests of this process run between
    # the browser tests: put back what was there before (``live_server`` sets them per test).
    settings_module._override = previous_settings
    settings_module.get_settings.cache_clear()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    try:
        _wait_until_answering(url, server, thread)
        yield url, database_url, app, server
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        app.state.db.dispose()
        assert not thread.is_alive(), "the live server did not stop"


@pytest.fixture
def live_server(_served):
    """The real app (pages, API, a worker delivering its emails) at 127.0.0.1, as a fresh one:
    empty tables, its own settings, rate limiter and worker."""
    from admit import settings as settings_module
    from admit.context import Context
    from admit.jobs import start_in_thread
    from tests.conftest import _empty_all_tables

    url, database_url, app, server = _served
    db = app.state.db
    _wait_until_idle(server)
    _empty_all_tables(db)
    settings = _live_settings(database_url, url).model_copy()
    previous_settings = settings_module._override
    settings_module.configure(settings)
    db.context = Context.build(settings)
    worker, stop = start_in_thread(db, settings)
    try:
        yield LiveServer(url=url, settings=settings, app=app)
    finally:
        stop.set()
        worker.join(timeout=30)
        settings_module._override = previous_settings
        settings_module.get_settings.cache_clear()
        assert not worker.is_alive(), "the live server's worker did not stop"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("ADMIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ADMIT_REQUIRE_BROWSER=1 but Chromium is not at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    _install_ready_gestures()
    with _nowhere() as proxy, sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            # Only 127.0.0.1 is reachable: every other address (localhost, another loopback
            # address, the internet) goes to a proxy that answers nothing, so it fails at once.
            # "<-loopback>" first: Chromium otherwise sends every loopback address direct.
            proxy={"server": proxy, "bypass": "<-loopback>,127.0.0.1"},
        )
        yield chromium
        chromium.close()


@contextlib.contextmanager
def _nowhere():
    """A proxy address where nothing answers: a port of 127.0.0.1 held, never listened on (so
    no other program can take it), its connections refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


@pytest.fixture
def new_context(browser, live_server):
    """Open a fresh browser profile (its own cookies), like another person's laptop.

    Only 127.0.0.1 is reachable (``browser``: by a proxy, not a route, which would turn off
    the browser's cache: every page would fetch its script, stylesheet and icon again, three
    requests a navigation on a server that serves the page too). Whatever a page's
    Content-Security-Policy blocked (an inline script, style or handler, an image from
    elsewhere: Chromium says so on the console) fails the test when it ends.
    """
    contexts = []
    blocked: list[str] = []

    def watch(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            blocked.append(f"{message.location.get('url', '?')}: {message.text}")

    def open_context(**options):
        """``options``: Playwright's for the context (a phone's ``viewport``, ``has_touch``)."""
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 860}, **options})
        context.set_default_timeout(8_000)
        context.on("console", watch)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert not blocked, "The Content-Security-Policy blocked:\n" + "\n".join(blocked)


SCREENSHOTS = os.environ.get("ADMIT_SCREENSHOTS") == "1"


@pytest.fixture
def shot(request):
    """``shot(page, "name")`` saves a full-page screenshot to test-artifacts/<test>-NN-name.png
    under ADMIT_SCREENSHOTS=1, to look at the pages a change touched; otherwise nothing (a
    screenshot checks nothing, and cost each ~0.2-0.3 s: ~170 a run, ~40 s of test time)."""
    counter = {"n": 0}

    def take(page, name: str) -> Path | None:
        counter["n"] += 1
        if not SCREENSHOTS:
            return None
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
