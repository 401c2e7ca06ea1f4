"""Load benchmark: invitees accepting their invitations over HTTP, the moment every invitee waits
for, driven by one load generator (wrk) for Admit and for the two peers, at 1, 8 and 32
concurrent connections.

    .venv/bin/python bench/load.py                  # N=1000 per level, c=1,8,32, all four targets
    .venv/bin/python bench/load.py --targets postgresql --workers 2 --concurrency 32
    .venv/bin/python bench/load.py --n 500 --concurrency 1 --targets sqlite,better-auth

Targets, each served by its own process(es) on a free 127.0.0.1 port:
- ``sqlite`` / ``postgresql``: Admit, ``uvicorn admit.app:create_app`` with ``--workers W``
  (environment=test, dev email backend, rate limits off, no worker in the web process), on a
  fresh database (PostgreSQL at ``ADMIT_BENCH_PG_URL``, default the local ``test`` server). Set-up:
  a portal, N client invitations per level (API requests of 1,000), delivered into the dev mailbox,
  each token read from its email. Timed: ``POST /api/v1/invitations/{token}/accept {}`` — a client
  with no password: the account is made, the invitation used, the browser signed in.
- ``better-auth``: the peer's own ``server.mjs`` (node:http, one process) on a SQLite file that
  ``bench/peers/better_auth_prepare.mjs`` filled with the peer's own configuration: N invitations
  per level and N invitees signed up and signed in. Timed: ``POST
  /api/auth/organization/accept-invitation {invitationId}`` with the invitee's session cookie.
- ``django-invitations``: gunicorn with one sync worker serving the peer's project on a SQLite
  file filled by ``bench/peers/django_prepare.py`` the same way. Timed: ``GET
  /invitations/accept-invite/{key}`` with the invitee's session (302; gunicorn's sync worker
  closes each connection, as shipped).

``--scenario`` (Admit only; the peers are measured on ``accept``):
- ``accept``: the above;
- ``password-accept``: internal invitations accepted with a password (``{"password": …}``):
  the account's password is hashed with argon2id at the production parameters;
- ``login``: ``POST /api/v1/auth/login`` by N accounts with a password (written directly, each
  with the same argon2id hash: verifying costs the same), each signed in once.
The machine's ceiling for the last two is printed beside them: argon2id's time for one hash
here, and the cores over it (argon2 runs outside Python's lock, one hash per core at a time).

The peers' accept needs the invitee's account and session first (they make neither); Admit's
makes both. The peers run SQLite as they ship (rollback journal; ``PEER_SQLITE_WAL=1`` for WAL),
Admit runs WAL. Set-up is not timed; the peers' directories are set up once (bench/bulk.py).

Timed, per level: wrk (``bench/load.lua``, one thread) sends each prepared request exactly once
over C keep-alive connections; a run counts only if every answer is 2xx/3xx and the target's
database then holds exactly as many accepted invitations as were sent. Throughput is requests /
wall time from the first request to the last answer; p50/p99 are wrk's, per request; the server's
CPU time per request is read from /proc. Prints one JSON line per (target, level) and, per level,
the ratio of each Admit backend to each peer. Everything talks to 127.0.0.1 only; every wrk run
is bounded by ``--max-seconds`` and every request is sent once.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "src"))  # this checkout's admit, for the bench and the server alike

from bench.bulk import _drop_db, _emit, _free_port, _setup_db, peer_ready, peers_dir  # noqa: E402
from bench.request import _server_rss_mb, _start_server, _stop_server  # noqa: E402

LUA = Path(__file__).resolve().parent / "load.lua"
PREPARE = Path(__file__).resolve().parent / "peers"
TOKEN = re.compile(r"/invite/([A-Za-z0-9_-]+)")
ADMIT = ("sqlite", "postgresql")
PEERS = ("better-auth", "django-invitations")
SCENARIOS = ("accept", "password-accept", "login")
PASSWORD = "Plum-orchard-47-lantern"


@dataclass
class Line:
    """One request, sent once: wrk's line (METHOD, path, JSON body, headers)."""

    method: str
    path: str
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def tsv(self) -> str:
        headers = "|".join(f"{name}: {value}" for name, value in self.headers.items())
        return f"{self.method}\t{self.path}\t{self.body}\t{headers}\n"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and of its children (uvicorn's workers), so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run_wrk(base: str, lines: list[Line], connections: int, max_seconds: float, server_pid: int) -> dict:
    """Send each of ``lines`` once to ``base`` over ``connections`` connections (wrk); what it
    measured. Raises if any answer is not 2xx/3xx or not every line was answered in time."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as file:
        file.write("".join(line.tsv() for line in lines))
    command = [
        "wrk", "-t", "1", "-c", str(connections), "-d", f"{max(1, int(max_seconds))}s", "--timeout", "30s",
        "-s", str(LUA), base, "--", file.name, "1",
    ]  # fmt: skip
    cpu_before = _cpu_seconds(server_pid)
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = stopped = None
    bad: list[str] = []
    assert wrk.stderr is not None and wrk.stdout is not None
    for text in wrk.stderr:  # the script writes START/STOP as they happen: this is the clock
        kind, _, rest = text.strip().partition(" ")
        if kind == "START":
            started = time.perf_counter()
        elif kind == "STOP":
            stopped = time.perf_counter()
            wrk.send_signal(signal.SIGINT)  # every line answered: end now, not at -d
        elif kind == "BAD":
            bad.append(rest)
    out = wrk.stdout.read()
    wrk.wait()
    cpu = _cpu_seconds(server_pid) - cpu_before
    os.unlink(file.name)
    if "RESULT" not in out:
        raise RuntimeError(f"wrk printed no result: {out[-500:]}")
    result = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", out.split("RESULT", 1)[1])}
    if bad or result["bad"]:
        raise RuntimeError(f"{result['bad']} answers were not 2xx/3xx, e.g. {bad[:2]}")
    if started is None or stopped is None or result["answered"] != len(lines):
        raise TimeoutError(f"--max-seconds reached after {result['answered']} of {len(lines)} requests")
    wall = stopped - started
    return {
        "per_s": round(len(lines) / wall, 1),
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "max_ms": result["max_us"] / 1000,
        "total_s": round(wall, 3),
        "server_cpu_ms_per_request": round(cpu / len(lines) * 1000, 2),
        "spare_requests": result["spare"],  # sent only when a thread has more connections than lines
        "socket_errors": result["socket_errors"],
    }


# ------------------------------------------------------------------------------------ targets


class Admit:
    """Admit on one backend, served by uvicorn; accepts of client invitations."""

    def __init__(self, backend: str, workers: int, workdir: Path, deadline: float, scenario: str) -> None:
        from admit.context import Context
        from admit.db import Database
        from admit.settings import Settings, configure

        self.name, self.backend, self.workers, self.scenario = backend, backend, workers, scenario
        self.url = _setup_db(backend, workdir)
        self.settings = configure(
            Settings(
                database_url=self.url, environment="test", rate_limits_enabled=False, email_backend="dev"
            )
        )
        self.db = Database(self.url, context=Context.build(self.settings))
        self.port = _free_port()
        self.server = _start_server(
            self.url, self.port, workdir / f"server-{backend}.log", deadline, workers=workers
        )
        self.base = f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.server.pid

    def prepare(self, n: int, label: str) -> list[Line]:
        import httpx
        from sqlalchemy import select

        from admit.flows import setup
        from admit.jobs import Worker
        from admit.notifications.models import DevMessage

        domain = f"{label}.bench-inc.com"
        if self.scenario == "login":
            from admit.members import passwords
            from admit.members import service as members_service

            password_hash = passwords.hash_password(PASSWORD)  # production parameters
            with self.db.unit_of_work() as session:
                for i in range(n):
                    members_service.add_user(session, f"p{i}@{domain}", password_hash=password_hash)
            body = (json.dumps({"email": f"p{i}@{domain}", "password": PASSWORD}) for i in range(n))
            return [Line("POST", "/api/v1/auth/login", text) for text in body]
        with self.db.unit_of_work() as session:
            portal, _owner, key = setup.create_portal(
                session,
                name=f"Load {label}",
                owner_email="owner@bench-inc.com",
                owner_password="bench-password-1",
            )
            slug = portal.slug
        user_type = "client" if self.scenario == "accept" else "internal"
        for start in range(0, n, 1000):  # the API's most recipients per request
            recipients = [f"p{i}@{domain}" for i in range(start, min(n, start + 1000))]
            response = httpx.post(
                f"{self.base}/api/v1/portals/{slug}/invitations",
                json={"recipients": recipients, "user_type": user_type},
                headers={"Authorization": f"Bearer {key}"},
                timeout=120,
            )
            assert response.status_code in (200, 201), (response.status_code, response.text[:300])
        Worker(self.db, self.settings).drain()
        with self.db.unit_of_work() as session:
            texts = session.scalars(select(DevMessage.text).where(DevMessage.to_address.like(f"%@{domain}")))
            tokens = [match.group(1) for text in texts if (match := TOKEN.search(text))]
        assert len(tokens) == n, f"{len(tokens)} invitation emails for {n} invitations"
        body = "{}" if self.scenario == "accept" else json.dumps({"password": PASSWORD})
        return [Line("POST", f"/api/v1/invitations/{token}/accept", body) for token in tokens]

    def accepted(self) -> int:
        """What the scenario's requests did, counted in the database."""
        from sqlalchemy import func, select

        from admit.auth.models import WebSession
        from admit.invitations.models import Invitation
        from admit.members.models import User

        with self.db.unit_of_work() as session:
            if self.scenario == "login":  # sessions of the people signing in (p…@cN.bench-inc.com)
                query = (
                    select(func.count())
                    .select_from(WebSession)
                    .join(User, User.id == WebSession.user_id)
                    .where(User.email.like("%.bench-inc.com"))
                )
            else:
                query = select(func.count()).select_from(Invitation).where(Invitation.status == "accepted")
            return session.scalar(query)

    def describe(self) -> dict:
        return {"scenario": self.scenario, "web_workers": self.workers, **_server_rss_mb(self.server.pid)}

    def close(self) -> None:
        _stop_server(self.server)
        self.db.dispose()
        _drop_db(self.url)


class Peer:
    """A peer's own HTTP server on a SQLite file its own code filled (bench/peers/*prepare*)."""

    def __init__(self, name: str, workdir: Path, levels: list[int], n: int, deadline: float) -> None:
        self.name = name
        self.peer_dir = peers_dir() / name
        self.db_path = workdir / f"{name}.db"
        env = {**os.environ, "PEER_DB_PATH": str(self.db_path)}
        # All levels' invitations at once: each level takes its own slice.
        if name == "better-auth":
            command = [
                "node",
                str(PREPARE / "better_auth_prepare.mjs"),
                str(self.peer_dir),
                str(self.db_path),
            ]
        else:
            command = [str(self.peer_dir / ".venv/bin/python"), str(PREPARE / "django_prepare.py")]
        done = subprocess.run(
            [*command, str(n * len(levels))],
            cwd=self.peer_dir, env=env, capture_output=True, text=True,
            timeout=max(60, deadline - time.monotonic()),
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"{name} set-up failed: {done.stderr[-1500:]}")
        self.prepared = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("[")]
        if name == "better-auth":
            self.server = subprocess.Popen(
                ["node", "server.mjs", str(self.db_path), str(n * len(levels))],
                cwd=self.peer_dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert self.server.stdout is not None
            ready = self.server.stdout.readline()
            if not ready.startswith("LISTENING"):
                raise RuntimeError(f"better-auth's server did not start: {ready!r}")
            self.port = int(ready.split()[1])
        else:
            self.port = _free_port()
            self.server = subprocess.Popen(
                [str(self.peer_dir / ".venv/bin/gunicorn"), "benchsite.wsgi:application",
                 "-b", f"127.0.0.1:{self.port}", "-w", "1", "--timeout", "900", "--log-level", "warning"],
                cwd=self.peer_dir, env=env, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            _wait_for_port(self.port, self.server)
        self.base = f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        # gunicorn's master forks the worker that serves: _cpu_seconds counts children too.
        return self.server.pid

    def prepare(self, n: int, label: str) -> list[Line]:  # noqa: ARG002 - the label names Admit's portals
        taken, self.prepared = self.prepared[:n], self.prepared[n:]
        if self.name == "better-auth":
            # better-auth refuses a cookie-borne change without its own origin.
            return [
                Line(
                    "POST",
                    "/api/auth/organization/accept-invitation",
                    json.dumps({"invitationId": invitation}),
                    {"Cookie": cookie, "Origin": self.base},
                )
                for cookie, invitation in taken
            ]
        return [Line("GET", path, "", {"Cookie": f"sessionid={session}"}) for session, path in taken]

    def accepted(self) -> int:
        query = {
            "better-auth": "SELECT count(*) FROM invitation WHERE status = 'accepted'",
            "django-invitations": "SELECT count(*) FROM invitations_invitation WHERE accepted = 1",
        }[self.name]
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(query).fetchone()[0]

    def describe(self) -> dict:
        journal = "wal" if os.environ.get("PEER_SQLITE_WAL") == "1" else "rollback (as shipped)"
        return {"sqlite_journal": journal}

    def close(self) -> None:
        if self.server.stdin:
            self.server.stdin.close()  # server.mjs ends when its stdin does
        _stop_server(self.server)


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    import socket

    ready_by = time.monotonic() + 30
    while time.monotonic() < ready_by and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port}")


def argon2_ceiling() -> dict:
    """One argon2id hash at the production parameters, timed here; the cores over it."""
    from admit.members import passwords

    passwords.hash_password(PASSWORD)  # warm
    started = time.perf_counter()
    for _ in range(10):
        passwords.hash_password(PASSWORD)
    seconds = (time.perf_counter() - started) / 10
    cores = os.cpu_count() or 1
    time_cost, memory_kib, parallelism = passwords.parameters()
    return {
        "parameters": {"time_cost": time_cost, "memory_kib": memory_kib, "parallelism": parallelism},
        "hash_ms": round(seconds * 1000, 1),
        "cores": cores,
        "ceiling_per_s": round(cores / seconds, 1),
    }


def run_target(name: str, args: argparse.Namespace, levels: list[int], workdir: Path) -> list[dict]:
    deadline = time.monotonic() + args.max_seconds
    if name in PEERS and not peer_ready(name):
        return []
    target: Any = (
        Admit(name, args.workers, workdir, deadline, args.scenario)
        if name in ADMIT
        else Peer(name, workdir, levels, args.n, deadline)
    )
    records = []
    try:
        sent = 0
        for level in levels:
            lines = target.prepare(args.n, f"c{level}")
            measured = run_wrk(target.base, lines, level, max(1.0, deadline - time.monotonic()), target.pid)
            sent += len(lines)
            accepted = target.accepted()
            if accepted != sent:
                raise RuntimeError(f"{name}: {accepted} accepted invitations after {sent} accepts")
            record = {
                "bench": f"load.{args.scenario}",
                "target": name,
                "n": args.n,
                "concurrency": level,
                **measured,
            }
            record.update(target.describe())
            _emit(record)
            records.append(record)
    finally:
        target.close()
    return records


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="accepts per level and target")
    parser.add_argument("--concurrency", default="1,8,32", help="connections, comma-separated")
    parser.add_argument("--targets", default=",".join((*ADMIT, *PEERS)))
    parser.add_argument("--workers", type=int, default=1, help="Admit's uvicorn web processes")
    parser.add_argument("--scenario", choices=SCENARIOS, default="accept", help="what Admit is asked (above)")
    parser.add_argument("--max-seconds", type=int, default=600, help="per target, set-up included")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c]
    targets = [t for t in args.targets.split(",") if t]
    if args.n < 1 or not levels or min(levels) < 1 or args.workers < 1:
        parser.error("--n, --concurrency and --workers must be at least 1")
    if unknown := set(targets) - {*ADMIT, *PEERS}:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    if args.scenario != "accept":
        targets = [t for t in targets if t in ADMIT]
        _emit({"bench": "load.argon2", **argon2_ceiling()})
    results: dict[tuple[str, int], dict] = {}
    with tempfile.TemporaryDirectory(prefix="admit-load-") as tmp:
        for name in targets:
            for record in run_target(name, args, levels, Path(tmp)):
                results[(name, record["concurrency"])] = record
    for (ours, level), record in sorted(results.items()):
        if ours not in ADMIT:
            continue
        for peer in PEERS:
            theirs = results.get((peer, level))
            if theirs:
                _emit(
                    {
                        "bench": "load.ratio",
                        "target": ours,
                        "versus": peer,
                        "concurrency": level,
                        "throughput": round(record["per_s"] / theirs["per_s"], 2),
                        "p50": round(record["p50_ms"] / theirs["p50_ms"], 2),
                        "p99": round(record["p99_ms"] / theirs["p99_ms"], 2),
                    }
                )


if __name__ == "__main__":
    main()
