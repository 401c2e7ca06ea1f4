"""A burst on the embedded default (issue 14 item 11): 60 requests at once that each touch the
SQLite database (an anonymous logout with a made-up cookie) are all answered within seconds,
never with a 500; any the server cannot take in time answer 503 with Retry-After. A real server
on 127.0.0.1, a bounded burst."""

from __future__ import annotations

import concurrent.futures
import socket
import threading
import time
import urllib.error
import urllib.request

import uvicorn

BURST = 60


def _logout(url: str, i: int) -> tuple[int, str | None, float]:
    started = time.monotonic()
    request = urllib.request.Request(
        url + "/api/v1/auth/logout", method="POST", data=b"", headers={"Cookie": f"admit_session=made-up-{i}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=40) as response:
            return response.status, None, time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After"), time.monotonic() - started


def test_a_burst_is_answered_quickly_and_never_with_a_500(tmp_path, migrated_sqlite_template):
    from admit.app import create_app
    from admit.settings import Settings
    from tests.conftest import copy_sqlite

    url = copy_sqlite(migrated_sqlite_template, tmp_path / "admit.db")
    app = create_app(
        Settings(database_url=url, environment="test", rate_limits_enabled=False), run_worker=False
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        with concurrent.futures.ThreadPoolExecutor(BURST) as pool:
            answers = list(pool.map(lambda i: _logout(base, i), range(BURST)))
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        app.state.db.dispose()
    statuses = sorted({status for status, _, _ in answers})
    assert set(statuses) <= {204, 503}, statuses
    assert all(retry for status, retry, _ in answers if status == 503)
    slowest = max(seconds for _, _, seconds in answers)
    assert slowest < 5, f"the slowest answer took {slowest:.1f} s"  # 0.35 s on a quiet machine
