"""Tokens never reach logs (issue 14 item 12): the real web server's access log, with links from
emails and the API's token paths requested through it. Both backends."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request

import uvicorn

from admit.kit.logs import JsonFormatter, RequestIdFilter
from admit.kit.tokens import hide_tokens, new_token


def _get(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> None:
    request = urllib.request.Request(
        url, method=method, data=b"" if method == "POST" else None, headers=headers or {}
    )
    # 404/410: the tokens are made up; what matters is what the log says.
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=5)


def test_the_access_log_hides_every_token(app, caplog):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, access_log=True, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    ids = RequestIdFilter()  # what `admit serve`'s logging adds to every line
    logging.getLogger("uvicorn.access").addFilter(ids)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        tokens = [new_token() for _ in range(4)]
        base = f"http://127.0.0.1:{port}"
        _get(f"{base}/invite/{tokens[0]}", headers={"X-Request-ID": "trace-abc-123"})
        _get(f"{base}/login/link/{tokens[1]}?next=/p/acme")
        _get(f"{base}/api/v1/invitations/{tokens[2]}/accept", method="POST")
        _get(f"{base}/reset-password/{tokens[3]}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        logging.getLogger("uvicorn.access").removeFilter(ids)
    records = [r for r in caplog.records if r.name == "uvicorn.access"]
    lines = [r.getMessage() for r in records]
    assert len(lines) == 4, lines
    assert all("[token]" in line for line in lines), lines
    assert not any(t in line for t in tokens for line in lines), lines
    # The access line carries the request's id (the caller's, here), and reads as JSON.
    as_json = json.loads(JsonFormatter().format(records[0]))
    assert as_json["request_id"] == "trace-abc-123" and "/invite/[token]" in as_json["message"]
    assert records[1].request_id not in ("-", "trace-abc-123")  # a new id for a request without one


def test_the_request_id_comes_back(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "trace-abc-123"}).headers["x-request-id"]
        == "trace-abc-123"
    )
    made_up = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert made_up != "<script>" and len(made_up) == 16


def test_identifiers_stay_readable():
    some_id = "8a3f6c2e-1b2c-4d5e-9f00-123456789abc"
    assert hide_tokens(f"/p/acme-inc/users/{some_id}") == f"/p/acme-inc/users/{some_id}"
    assert hide_tokens(f"/x?token={new_token()}&a=1") == "/x?token=[token]&a=1"
