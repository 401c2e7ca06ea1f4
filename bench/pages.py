"""Pages under load: User Management's first page for a portal of 10,000 members, asked by C
connections at once, as an admin's browser asks for it (the HTML page, signed in) and as an
integrator does (``GET /api/v1/portals/{p}/people``).

    .venv/bin/python bench/pages.py                                   # both backends, c=1,8
    .venv/bin/python bench/pages.py --members 10000 --requests 400 --concurrency 1,8,32 --workers 2

For each backend: a fresh database (``_setup_db`` from bench/bulk.py; PostgreSQL at
``ADMIT_BENCH_PG_URL``), one portal made by ``setup.create_portal``, ``--members`` people written
straight into the tables (bench/roster.py's ``_people``: names, types, roles, products, a few
deactivated), statistics as a running system has them (the worker's refresh on SQLite, VACUUM
ANALYZE on PostgreSQL), then ``uvicorn`` serving ``admit.app:create_app`` (``--workers W``) on a
free 127.0.0.1 port. The owner is signed in by a session made in the database (its cookie); the
API is asked with the portal's key.

Timed, per (page, concurrency C): ``--requests`` GETs of the first page (50 rows) by C
keep-alive connections, sent by wrk (bench/load.py's ``run_wrk``, the load generator the accept
benchmark uses: a client in Python would take the server's CPU on a small machine), after 20
untimed ones a connection. One GET first must be 200 and name the portal's people (the session
holds); every answer after it must be 2xx or 3xx (run_wrk's rule). Printed: requests/s, p50
and p99 (wrk's, milliseconds) and the server's CPU per request. One JSON line each.
Talks to 127.0.0.1 only; every loop is bounded (``--max-seconds``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "src"))

from bench.bulk import _drop_db, _emit, _free_port, _setup_db  # noqa: E402
from bench.load import Line, run_wrk  # noqa: E402
from bench.request import _server_rss_mb, _start_server, _stop_server  # noqa: E402
from bench.roster import _people  # noqa: E402


def _shows_people(url: str, headers: dict[str, str], cookies: dict[str, str], expect: str) -> None:
    """One GET, checked: a 200 that names the portal's people."""
    import httpx

    response = httpx.get(url, headers=headers, cookies=cookies, timeout=60)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert expect in response.text, "the page does not show the portal's people"


def portal_of_people(db: Any, backend: str, members: int) -> tuple[str, str, str]:
    """A portal of ``members`` people in ``db``, with statistics as a running system has them:
    its slug, an admin API key and its owner's session cookie (also bench/page_cpu.py's)."""
    from admit.auth import service as auth_service
    from admit.flows import setup

    with db.unit_of_work() as session:
        portal, owner, key = setup.create_portal(
            session,
            name="Pages Inc",
            owner_email="owner@pages-inc.com",
            owner_password="bench-password-1",
        )
        slug = portal.slug
        _people(session, portal, owner, members, 0)
        cookie, _row = auth_service.start_session(session, owner, lifetime_hours=4)
    if backend == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.refresh_statistics()
    return slug, key, cookie


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> None:
    from admit.context import Context
    from admit.db import Database
    from admit.settings import Settings, configure

    deadline = time.monotonic() + args.max_seconds
    url = _setup_db(backend, workdir)
    settings = configure(Settings(database_url=url, environment="test", rate_limits_enabled=False))
    db = Database(url, context=Context.build(settings))
    server = None
    try:
        slug, key, cookie = portal_of_people(db, backend, args.members)
        port = _free_port()
        server = _start_server(url, port, workdir / f"server-{backend}.log", deadline, workers=args.workers)
        base = f"http://127.0.0.1:{port}"
        pages = {
            "User Management page (HTML)": (
                f"{base}/p/{slug}/users",
                {},
                {settings.session_cookie_name: cookie},
            ),
            "GET /people (API)": (
                f"{base}/api/v1/portals/{slug}/people?limit=50",
                {"Authorization": f"Bearer {key}"},
                {},
            ),
        }
        for label, (page_url, headers, cookies) in pages.items():
            for level in args.concurrency:
                if time.monotonic() > deadline:
                    _emit({"bench": "pages", "backend": backend, "page": label, "skipped": "--max-seconds"})
                    continue
                _shows_people(page_url, headers, cookies, "@client")
                sent = dict(headers)
                if cookies:
                    sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
                line = Line("GET", page_url.removeprefix(base), headers=sent)
                # Untimed first: 20 a connection (templates, statement caches, every process's pool).
                run_wrk(base, [line] * (20 * level), level, max(1.0, deadline - time.monotonic()), server.pid)
                lines = [line] * args.requests
                measured = run_wrk(base, lines, level, max(1.0, deadline - time.monotonic()), server.pid)
                _emit(
                    {
                        "bench": "pages",
                        "backend": backend,
                        "page": label,
                        "members": args.members,
                        "concurrency": level,
                        "web_workers": args.workers,
                        "requests": len(lines),
                        **measured,
                        **_server_rss_mb(server.pid),
                    }
                )
    finally:
        if server is not None:
            _stop_server(server)
        db.dispose()
        _drop_db(url)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400, help="timed requests per page and concurrency")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated connection counts")
    parser.add_argument("--workers", type=int, default=1, help="web processes (uvicorn --workers)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--max-seconds", type=float, default=300, help="cap per backend")
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory(prefix="admit-bench-pages-") as tmp:
        for backend in args.backends.split(","):
            run_backend(backend.strip(), args, Path(tmp))


if __name__ == "__main__":
    main()
