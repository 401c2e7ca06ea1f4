"""The browser the tests drive reaches the live server at 127.0.0.1 and nothing else (the
``browser`` fixture): no test can send traffic elsewhere, nor pass by something off the machine."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_only_127_0_0_1_is_reachable(new_context, live_server):
    page = new_context().new_page()
    assert page.goto(live_server("/login")).ok
    port = live_server.url.rsplit(":", 1)[1]
    # The same server by another name or another loopback address, and any other host: refused.
    for elsewhere in (
        f"http://localhost:{port}/login",
        f"http://127.0.0.2:{port}/login",
        "http://example.com/",
    ):
        with pytest.raises(Error, match="net::ERR_"):
            page.goto(elsewhere)
