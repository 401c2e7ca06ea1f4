"""One-request benchmark: a single HTTP API call inviting N recipients, served by the real app.

    .venv/bin/python bench/request.py                       # N=1000, 5 runs, SQLite and PostgreSQL
    .venv/bin/python bench/request.py --n 1000 --runs 5 --backends sqlite,postgresql

For each backend: a fresh database (``_setup_db`` from bench/bulk.py; PostgreSQL at
``ADMIT_BENCH_PG_URL``, default postgresql://postgres@127.0.0.1:5432/test), then ``uvicorn``
serving ``admit.app:create_app`` on a free 127.0.0.1 port in a subprocess (environment=test, dev
email backend, rate limits off, no worker in the web process), then R runs. Each run makes a new
portal in that database (set-up, not timed; a new name, so nobody is already invited) and times,
wall-clock on the client (httpx), one

    POST /api/v1/portals/{slug}/invitations   Authorization: Bearer <the portal's admin key>
    {"recipients": ["Person 0 <p0@bench-inc.com>", ...N distinct...], "user_type": "client"}

A run counts only if the status is 2xx and the ``invitations`` table then holds exactly N rows
for that portal; nothing else in the response is read, so the figures stay comparable when the
response body changes. One untimed warm-up request (1 recipient, its own portal) comes first.

Prints one JSON line per backend: median and min seconds over the runs, ms per recipient (from
the median), each run's seconds, and the server's RSS (current and peak, from /proc) at the end.
Everything talks to 127.0.0.1 only; every wait is bounded and ``--max-seconds`` caps a backend.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "src"))  # this checkout's admit, for the bench and the server alike

from bench.bulk import _drop_db, _emit, _free_port, _setup_db  # noqa: E402


def _recipients(n: int) -> list[str]:
    return [f"Person {i} <p{i}@bench-inc.com>" for i in range(n)]


def _server_rss_mb(pid: int) -> dict:
    """The server's resident and peak resident memory (Linux /proc; empty elsewhere)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    out = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out["server_rss_mb" if key == "VmRSS" else "server_peak_rss_mb"] = round(
                int(value.split()[0]) / 1024, 1
            )
    return out


def _nearest_rank(sorted_values: list[float], share: float) -> float:
    """The value at ``share`` (0.5: p50) of ``sorted_values``, by nearest rank."""
    index = max(0, min(len(sorted_values) - 1, int(-(-share * len(sorted_values) // 1)) - 1))
    return sorted_values[index]


def _start_server(
    url: str, port: int, log_path: Path, deadline: float, *, workers: int = 1
) -> subprocess.Popen:
    """``uvicorn admit.app:create_app`` on 127.0.0.1:``port`` (``workers`` processes), ready."""
    import httpx

    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
    env.update(
        ADMIT_DATABASE_URL=url,
        ADMIT_ENVIRONMENT="test",
        ADMIT_EMAIL_BACKEND="dev",
        ADMIT_RATE_LIMITS_ENABLED="false",
        ADMIT_RUN_WORKER_IN_WEB="false",
        ADMIT_PUBLIC_URL=f"http://127.0.0.1:{port}",
        PYTHONPATH=str(ROOT / "src"),
    )
    command = [
        sys.executable, "-m", "uvicorn", "admit.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
        "--workers", str(workers),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    ready_by = min(deadline, time.monotonic() + 60)
    while time.monotonic() < ready_by:
        if server.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    _stop_server(server)
    raise RuntimeError(f"the server did not answer GET /login: {log_path.read_text()[-2000:]}")


def _stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def run_backend(backend: str, n: int, runs: int, max_seconds: float, workdir: Path) -> dict:
    import httpx
    from sqlalchemy import func, select

    from admit.db import Database
    from admit.flows import setup
    from admit.invitations.models import Invitation
    from admit.settings import Settings, configure

    deadline = time.monotonic() + max_seconds
    url = _setup_db(backend, workdir)
    from admit.context import Context

    settings = configure(Settings(database_url=url, environment="test", rate_limits_enabled=False))
    db = Database(url, context=Context.build(settings))
    server = None
    try:

        def new_portal(name: str):
            with db.unit_of_work() as session:
                portal, _owner, key = setup.create_portal(
                    session, name=name, owner_email="owner@bench-inc.com", owner_password="bench-password-1"
                )
                return portal.id, portal.slug, key

        def invited(portal_id) -> int:
            with db.unit_of_work() as session:
                return session.scalar(
                    select(func.count()).select_from(Invitation).where(Invitation.portal_id == portal_id)
                )

        port = _free_port()
        server = _start_server(url, port, workdir / f"server-{backend}.log", deadline)
        base = f"http://127.0.0.1:{port}/api/v1"
        seconds = []
        with httpx.Client() as client:
            for i, count in [(-1, 1)] + [(i, n) for i in range(runs)]:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{backend}: --max-seconds reached after {len(seconds)} runs")
                portal_id, slug, key = new_portal("Bench warm-up" if i < 0 else f"Bench run {i}")
                body = {"recipients": _recipients(count), "user_type": "client"}
                started = time.perf_counter()
                response = client.post(
                    f"{base}/portals/{slug}/invitations",
                    json=body,
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=remaining,
                )
                elapsed = time.perf_counter() - started
                assert 200 <= response.status_code < 300, (response.status_code, response.text[:500])
                written = invited(portal_id)
                assert written == count, f"{backend} run {i}: {written} invitations written, expected {count}"
                if i >= 0:
                    seconds.append(elapsed)
        median = statistics.median(seconds)
        record = {
            "bench": "one_request",
            "backend": backend,
            "n": n,
            "runs": runs,
            "median_s": round(median, 3),
            "min_s": round(min(seconds), 3),
            "ms_per_recipient": round(median * 1000 / n, 3),
            "runs_s": [round(s, 3) for s in seconds],
            **_server_rss_mb(server.pid),
        }
    finally:
        if server is not None:
            _stop_server(server)
        db.dispose()
        _drop_db(url)
    _emit(record)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="recipients in the one request")
    parser.add_argument("--runs", type=int, default=5, help="timed requests, each on a fresh portal")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--max-seconds", type=int, default=600, help="per backend, set-up included")
    args = parser.parse_args()
    if args.n < 1 or args.runs < 1:
        parser.error("--n and --runs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="admit-bench-") as tmp:
        for backend in [b for b in args.backends.split(",") if b]:
            run_backend(backend, args.n, args.runs, args.max_seconds, Path(tmp))


if __name__ == "__main__":
    main()
