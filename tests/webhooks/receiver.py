"""A webhook receiver on loopback: a real HTTP server that records what it is sent and answers
as told (a status per path, in order, then 200)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # path -> the statuses to answer in turn (then 200); a (status, headers) pair adds headers
    answers: dict[str, list] = field(default_factory=dict)
    delay: float = 0.0  # seconds before each answer (a slow receiver: workers' posts overlap)

    def bodies(self, path: str = "/hook") -> list[str]:
        return [r.body for r in self.requests if r.path == path]


def start() -> tuple[Receiver, ThreadingHTTPServer]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            receiver = state["r"]
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode()
            receiver.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            queue = receiver.answers.get(self.path) or []
            answer = queue.pop(0) if queue else 200
            time.sleep(receiver.delay)
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    # Polled every 10 ms for ``shutdown``: at the default 0.5 s each test's teardown waited ~0.5 s.
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    return state["r"], server
