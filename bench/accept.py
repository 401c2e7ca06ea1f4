"""Accept benchmark: clients accepting their invitations over HTTP, the moment every invitee
waits for, at 1, 8 and 32 concurrent connections, with the peers in the same run.

    .venv/bin/python bench/accept.py                                  # N=2000, c=1,8,32, both backends
    .venv/bin/python bench/accept.py --n 1000 --concurrency 1 --backends postgresql --workers 2
    .venv/bin/python bench/accept.py --peers                          # + better-auth, django-invitations

For each backend: a fresh database (``_setup_db`` from bench/bulk.py; PostgreSQL at
``ADMIT_BENCH_PG_URL``, default postgresql://postgres@127.0.0.1:5432/test), then ``uvicorn``
serving ``admit.app:create_app`` with ``--workers W`` on a free 127.0.0.1 port (environment=test,
dev email backend, rate limits off, no worker in the web process). For each concurrency level,
set-up (not timed): a new portal, N client invitations (API requests of 1,000), the outbox delivered
into the dev mailbox by an in-process worker, and each invitation's token read from its email.
Then, timed: every token accepted once with

    POST /api/v1/invitations/{token}/accept   {}        (a client: no password)

by C connections (httpx, keep-alive) taking tokens from one queue. A run counts only if every
answer is 200 and the portal then has exactly N accepted invitations. Latencies are per request,
client side; p50/p99 by nearest rank; throughput is N / wall time.

``--peers`` runs the two peers' own benchmarks (../shared/peers, set up once in a temporary
folder by ``bench/bulk.py``'s ``run_peers``: better-auth's organization plugin and
django-invitations, over HTTP, sequential: that is all they measure) with the same N in this run
and prints the ratio of Admit's sequential accept throughput and p50 to theirs. Their accept
includes no sign-up (they time it apart and need the account first); Admit's accept of a client
creates the account and signs it in.

Prints one JSON line per (backend, concurrency), one per peer, and a ratio line. Everything talks
to 127.0.0.1 only; each backend is capped by ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "src"))  # this checkout's admit, for the bench and the server alike

from bench.bulk import _drop_db, _emit, _free_port, _setup_db, run_peers  # noqa: E402
from bench.request import _server_rss_mb, _start_server, _stop_server  # noqa: E402

TOKEN = re.compile(r"/invite/([A-Za-z0-9_-]+)")


def _nearest_rank(sorted_values: list[float], share: float) -> float:
    index = max(0, min(len(sorted_values) - 1, int(-(-share * len(sorted_values) // 1)) - 1))
    return sorted_values[index]


async def _accept_all(
    base: str, tokens: list[str], concurrency: int, deadline: float
) -> tuple[float, list[float]]:
    import httpx

    queue: asyncio.Queue[str] = asyncio.Queue()
    for token in tokens:
        queue.put_nowait(token)
    latencies: list[float] = []
    failures: list[str] = []

    async def connection() -> None:
        # One client per connection: a browser's cookie jar would make the second accept a
        # signed-in one (another account); each invitee arrives with no session.
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            while not queue.empty() and time.monotonic() < deadline:
                token = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(f"/invitations/{token}/accept", json={})
                latencies.append(time.perf_counter() - started)
                client.cookies.clear()
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} accepts failed, e.g. {failures[0]}")
    if len(latencies) != len(tokens):
        raise TimeoutError(f"--max-seconds reached after {len(latencies)} of {len(tokens)} accepts")
    return wall, latencies


def run_backend(
    backend: str, n: int, levels: list[int], workers: int, max_seconds: float, workdir: Path
) -> list[dict]:
    import httpx
    from sqlalchemy import func, select

    from admit.context import Context
    from admit.db import Database
    from admit.flows import setup
    from admit.invitations.models import Invitation
    from admit.jobs import Worker
    from admit.notifications.models import DevMessage
    from admit.settings import Settings, configure

    deadline = time.monotonic() + max_seconds
    url = _setup_db(backend, workdir)
    settings = configure(
        Settings(database_url=url, environment="test", rate_limits_enabled=False, email_backend="dev")
    )
    db = Database(url, context=Context.build(settings))
    server = None
    records = []
    try:
        port = _free_port()
        server = _start_server(url, port, workdir / f"server-{backend}.log", deadline, workers=workers)
        base = f"http://127.0.0.1:{port}/api/v1"
        for level in levels:
            with db.unit_of_work() as session:
                portal, _owner, key = setup.create_portal(
                    session,
                    name=f"Accept c{level}",
                    owner_email="owner@bench-inc.com",
                    owner_password="bench-password-1",
                )
                portal_id, slug = portal.id, portal.slug
            domain = f"c{level}.bench-inc.com"
            for start in range(0, n, 1000):  # the API's most recipients per request
                response = httpx.post(
                    f"{base}/portals/{slug}/invitations",
                    json={
                        "recipients": [f"p{i}@{domain}" for i in range(start, min(n, start + 1000))],
                        "user_type": "client",
                    },
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=120,
                )
                assert response.status_code in (200, 201), (response.status_code, response.text[:300])
            Worker(db, settings).drain()
            with db.unit_of_work() as session:
                texts = session.scalars(
                    select(DevMessage.text).where(DevMessage.to_address.like(f"%@{domain}"))
                )
                tokens = [match.group(1) for text in texts if (match := TOKEN.search(text))]
            assert len(tokens) == n, f"{len(tokens)} invitation emails for {n} invitations"
            wall, latencies = asyncio.run(_accept_all(base, tokens, level, deadline))
            with db.unit_of_work() as session:
                accepted = session.scalar(
                    select(func.count())
                    .select_from(Invitation)
                    .where(Invitation.portal_id == portal_id, Invitation.status == "accepted")
                )
            assert accepted == n, f"{accepted} accepted invitations, expected {n}"
            latencies.sort()
            record = {
                "bench": "accept",
                "backend": backend,
                "n": n,
                "concurrency": level,
                "web_workers": workers,
                "accept_per_s": round(n / wall, 1),
                "accept_p50_ms": round(_nearest_rank(latencies, 0.50) * 1000, 2),
                "accept_p99_ms": round(_nearest_rank(latencies, 0.99) * 1000, 2),
                "total_s": round(wall, 3),
                **_server_rss_mb(server.pid),
            }
            _emit(record)
            records.append(record)
    finally:
        if server is not None:
            _stop_server(server)
        db.dispose()
        _drop_db(url)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="invitations accepted per level")
    parser.add_argument("--concurrency", default="1,8,32", help="connections, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn web processes")
    parser.add_argument("--peers", action="store_true", help="run better-auth and django-invitations too")
    parser.add_argument("--max-seconds", type=int, default=600, help="per backend (and per peer)")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c]
    if args.n < 1 or not levels or min(levels) < 1 or args.workers < 1:
        parser.error("--n, --concurrency and --workers must be at least 1")
    ours: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="admit-bench-") as tmp:
        for backend in [b for b in args.backends.split(",") if b]:
            for record in run_backend(backend, args.n, levels, args.workers, args.max_seconds, Path(tmp)):
                if record["concurrency"] == 1:
                    ours[backend] = record
    if args.peers:
        for theirs in run_peers(args.n, args.max_seconds, transport="http", phase="accept"):
            for backend, record in ours.items():
                _emit(
                    {
                        "bench": "ratio.accept_sequential",
                        "backend": backend,
                        "versus": theirs["bench"],
                        "throughput": round(record["accept_per_s"] / theirs["accept_per_s"], 2),
                        "p50": round(record["accept_p50_ms"] / theirs["accept_p50_ms"], 2),
                    }
                )


if __name__ == "__main__":
    main()
