"""Bulk invitation benchmark: preview, import, streaming memory, email delivery, and the peers.

    .venv/bin/python bench/bulk.py                      # N=100000 on SQLite and PostgreSQL
    .venv/bin/python bench/bulk.py --n 10000 --peers    # plus better-auth and django-invitations
    .venv/bin/python bench/bulk.py --million            # plus 1,000,000 rows streamed (peak RSS)

Prints one JSON line per measurement on stdout. Each measurement runs in a child process of
its own, so ``peak_rss_mb`` is that measurement's own peak. Everything talks to 127.0.0.1 only
and every loop is bounded (``--max-seconds`` per child).

The list is synthetic and realistic: a header, names, 2% duplicates, 1% invalid addresses
(typos such as ``gmial.com``, ``.con``, a missing ``@``), 1% existing members and 1% people
already invited (both set up before timing starts).

What is timed:
- ``preview``: reading the file and deciding every row (nothing written);
- ``import``: from the upload to "all invitations written and all notifications queued"
  (storing the list, checking it, and the worker's ``run`` to the end); ``cpu_s`` is this
  process's CPU time for it (a shared machine's wall time varies with its neighbours; this less);
- ``deliver``: one worker delivering queued invitation emails to an SMTP server on loopback
  in a separate process, rendering text + HTML for each. ``--sink aiosmtpd`` (the default, as
  the tests use) is Python and uses a core's worth of CPU at ~800 messages/s, so the worker waits
  on it; ``--sink smtp-sink`` is Postfix's C test server (``apt-get install postfix``, no
  configuration; it only answers), which measures the worker.
- ``peers``: ../shared/peers' benches (one invitation per call through their APIs) at the same
  N, in the same run; the ratio is their seconds per invitation over ours.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS_SRC = ROOT.parent / "shared" / "peers"
PG_URL = os.environ.get("ADMIT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


# ---------------------------------------------------------------- the data


def write_list(path: Path, n: int, *, seed: int = 7) -> dict:
    """Write an N-row CSV list; returns which addresses must exist beforehand."""
    rng = random.Random(seed)
    members, invited = [], []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Email,Name\r\n")
        earlier: list[str] = []
        for i in range(n):
            roll = rng.random()
            if roll < 0.02 and earlier:
                address = rng.choice(earlier)  # duplicate within the file
            elif roll < 0.03:
                address = rng.choice(
                    [f"person{i}@gmial.com", f"person{i}@example.con", f"person{i}.example.com"]
                )
            else:
                address = f"person{i}@example{i % 97}.com"
                if roll < 0.04:
                    members.append(address)
                elif roll < 0.05:
                    invited.append(address)
                if len(earlier) < 5000:
                    earlier.append(address)
            out.write(f"{address},Person {i}\r\n")
    return {"members": members, "invited": invited}


# ---------------------------------------------------------------- the children


def _setup_db(backend: str, workdir: Path) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from admit.db import normalize_url
    from admit.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.db'}"
    else:
        name = f"admit_bench_{uuid.uuid4().hex[:8]}"
        engine = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        url = make_url(normalize_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def _drop_db(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from admit.db import normalize_url

    name = make_url(url).database
    engine = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _portal_with_people(db, seeds: dict):
    """A portal, its owner, the existing members and the pending invitations (not timed)."""
    from admit.actor import Actor
    from admit.db import new_id
    from admit.flows import setup
    from admit.invitations import service as invitations_service
    from admit.kit import clock
    from admit.kit.bulk import insert_rows
    from admit.members.models import Member, User
    from admit.policy import Role

    with db.unit_of_work() as session:
        portal, owner, _key = setup.create_portal(
            session, name="Bench Inc", owner_email="owner@bench-inc.com", owner_password="bench-password-1"
        )
        now = clock.now()
        users = [{"id": new_id(), "email": e, "name": "", "created_at": now} for e in seeds["members"]]
        insert_rows(session, User.__table__, users)
        insert_rows(
            session,
            Member.__table__,
            [
                {
                    "id": new_id(),
                    "portal_id": portal.id,
                    "user_id": u["id"],
                    "user_type": "internal",
                    "role": "member",
                    "status": "active",
                    "products": [],
                    "created_at": now,
                    "activated_at": now,
                }
                for u in users
            ],
        )
        actor = Actor(portal=portal, role=Role.OWNER, user=owner)
        for start in range(0, len(seeds["invited"]), 1000):
            invitations_service.invite(
                session, actor, recipients=seeds["invited"][start : start + 1000], user_type="internal"
            )
        return portal.slug


def _actor(session, slug: str):
    from admit.members import service as members_service

    return members_service.operator_actor(session, slug, ip="bench")


def _chunks(path: Path):
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk


def child(args) -> None:
    """One measurement, in this process."""
    from admit.db import Database
    from admit.settings import Settings, configure

    workdir = Path(args.workdir)
    seeds = json.loads((workdir / "seeds.json").read_text())
    url = _setup_db(args.backend, workdir)
    try:
        from admit.context import Context

        # Rate limits off: the set-up invites more than an hour's sending limit.
        settings = configure(
            Settings(database_url=url, rate_limits_enabled=False, public_url="http://127.0.0.1:8000")
        )
        db = Database(url, context=Context.build(settings))
        slug = _portal_with_people(db, seeds)
        path = Path(args.file)
        n = args.n
        record = {"bench": f"admit.{args.what}", "backend": args.backend, "n": n}
        if args.what == "preview":
            from admit.imports import service as imports_service

            started = time.perf_counter()
            with db.unit_of_work() as session:
                preview = imports_service.preview(
                    session, _actor(session, slug), chunks=_chunks(path), user_type="internal", role="member"
                )
            seconds = time.perf_counter() - started
            record.update(seconds=round(seconds, 3), rows_per_s=round(n / seconds), counts=preview["counts"])
        elif args.what == "import":
            from admit.imports import service as imports_service

            started, cpu = time.perf_counter(), time.process_time()
            with db.unit_of_work() as session:
                imp, _created = imports_service.create(
                    session,
                    _actor(session, slug),
                    chunks=_chunks(path),
                    filename=path.name,
                    user_type="internal",
                    role="member",
                )
                import_id = imp.id
            stored = time.perf_counter() - started
            from admit.imports import jobs as imports_jobs

            claimed = imports_jobs.claim(db, import_id)
            assert claimed is not None, "the import was not claimable"
            final = imports_jobs.run(db, *claimed)
            seconds = time.perf_counter() - started
            record.update(
                seconds=round(seconds, 3),
                cpu_s=round(time.process_time() - cpu, 3),
                stored_s=round(stored, 3),
                rows_per_s=round(n / seconds),
                ms_per_invitation=round(seconds * 1000 / max(final["invited"], 1), 4),
                invited=final["invited"],
                skipped=final["skipped"],
            )
        elif args.what == "deliver":
            record.update(_deliver(db, slug, path, n, args))
        record["peak_rss_mb"] = _rss_mb()
        _emit(record)
        db.dispose()
    finally:
        _drop_db(url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _deliver(db, slug, path: Path, n: int, args) -> dict:
    """Queue N invitation emails (an import), then time ``--delivery-workers`` workers (1: in
    this process; more: as many processes, started before the clock) delivering them over SMTP."""
    from sqlalchemy import func, select

    from admit.imports import jobs as imports_jobs
    from admit.imports import service as imports_service
    from admit.notifications.models import Notification

    with db.unit_of_work() as session:
        imp, _ = imports_service.create(
            session, _actor(session, slug), chunks=_chunks(path), user_type="internal"
        )
        import_id = imp.id
    claimed = imports_jobs.claim(db, import_id)
    assert claimed is not None, "the import was not claimable"
    imports_jobs.run(db, *claimed)

    def count(status: str) -> int:
        with db.unit_of_work() as session:
            return session.scalar(
                select(func.count()).select_from(Notification).where(Notification.status == status)
            )

    queued = count("queued")
    port = _free_port()
    sink_command = {
        "aiosmtpd": [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        "smtp-sink": [
            shutil.which("smtp-sink") or "/usr/sbin/smtp-sink",
            "-u",
            "nobody",
            f"127.0.0.1:{port}",
            "256",
        ],
    }[args.sink]
    sink = subprocess.Popen(sink_command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        cpu = None
        if args.delivery_workers == 1:
            started, cpu = time.perf_counter(), time.process_time()
            _deliver_all(db, port, started + args.max_seconds)
            cpu = time.process_time() - cpu
        else:
            command = [sys.executable, __file__, "--child", "deliver-worker", "--backend", args.backend]
            command += [
                "--url",
                str(db.engine.url.render_as_string(hide_password=False)),
                "--smtp-port",
                str(port),
            ]
            command += ["--max-seconds", str(args.max_seconds)]
            workers = [
                subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for _ in range(args.delivery_workers)
            ]
            for worker in workers:  # each has started and made its worker: then the clock
                assert worker.stdout is not None and worker.stdout.readline().strip() == "READY"
            started = time.perf_counter()
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write("GO\n")
                worker.stdin.close()
            for worker in workers:
                worker.wait(timeout=args.max_seconds + 60)
        seconds = time.perf_counter() - started
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    sent = count("sent")
    return {
        "sink": args.sink,
        "workers": args.delivery_workers,
        "queued": queued,
        "sent": sent,
        "seconds": round(seconds, 3),
        "emails_per_s": round(sent / seconds),
        # The worker's own CPU (one worker, in this process): what a busy machine's wall time hides.
        **({"cpu_s": round(cpu, 3), "cpu_ms_per_email": round(cpu * 1000 / max(sent, 1), 3)} if cpu else {}),
    }


def _deliver_all(db, port: int, deadline: float) -> None:
    """One worker delivering to 127.0.0.1:``port`` until nothing is left to send."""
    from admit.jobs import Worker
    from admit.settings import current

    settings = current().model_copy(
        update={
            "email_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "delivery_batch_size": 500,
        }
    )
    worker = Worker(db, settings)
    while time.perf_counter() < deadline:
        counts = worker.run_once(sweep=False)
        if not counts.get("sent") and not counts.get("retry"):
            break


def deliver_worker(args) -> None:
    """A delivery worker process for ``_deliver``: ready, waits for GO on stdin, delivers."""
    from admit.context import Context
    from admit.db import Database
    from admit.settings import Settings, configure

    settings = configure(
        Settings(database_url=args.url, rate_limits_enabled=False, public_url="http://127.0.0.1:8000")
    )
    db = Database(args.url, context=Context.build(settings))
    print("READY", flush=True)
    sys.stdin.readline()
    _deliver_all(db, args.smtp_port, time.perf_counter() + args.max_seconds)
    db.dispose()


# ---------------------------------------------------------------- the peers


PEER_SETUP = {
    # peer: (what exists once it is set up, its set-up script), in the copy run_peers makes
    "better-auth": ("better-auth/node_modules/better-auth", "better-auth/setup.sh"),
    "django-invitations": ("django-invitations/.venv/bin/python", "django-invitations/setup.sh"),
}


def peers_dir() -> Path:
    """A writable copy of ../shared/peers (made once per machine, in the temporary folder)."""
    work = Path(tempfile.gettempdir()) / "admit-peers"
    if not work.exists():
        # Their installed dependencies are not copied: each is set up here, for this path.
        shutil.copytree(PEERS_SRC, work, ignore=shutil.ignore_patterns("node_modules", ".venv"))
        subprocess.run(["chmod", "-R", "u+w", str(work)], check=True)
    return work


def peer_ready(peer: str) -> bool:
    """Set ``peer`` up in ``peers_dir()`` if it is not yet (not timed); False if that fails."""
    ready, setup = PEER_SETUP[peer]
    work = peers_dir()
    if (work / ready).exists():
        return True
    print(f"# setting up {peer} (not timed)", file=sys.stderr)
    if subprocess.run([str(work / setup)], stdout=sys.stderr, stderr=sys.stderr).returncode != 0:
        print(f"# SKIP {peer}: setup failed", file=sys.stderr)
        return False
    return True


def run_peers(n: int, max_seconds: int, *, transport: str = "inproc", phase: str = "create") -> list[dict]:
    """Run the two peers' benches at N, in this run (``transport`` inproc or http: their own
    switch); their set-up is not timed. Each JSON line is labelled ``peer.<name>.<phase>``."""
    work = peers_dir()
    results = []
    commands = {
        "better-auth": ["node", "better-auth/bench.mjs"],
        "django-invitations": [
            str(work / "django-invitations/.venv/bin/python"),
            "django-invitations/bench.py",
        ],
    }
    for peer, command in commands.items():
        if not peer_ready(peer):
            continue
        command = [*command, str(n), f"--transport={transport}", f"--max-seconds={max_seconds}"]
        done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=max_seconds + 120)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            print(f"# SKIP {peer}: {done.stderr[-500:]}", file=sys.stderr)
            continue
        record = json.loads(lines[-1])
        record["bench"] = f"peer.{peer}.{phase}"
        _emit(record)
        results.append(record)
    return results


# ---------------------------------------------------------------- the parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--deliver", type=int, default=5000, help="emails for the delivery measurement (0: skip)"
    )
    parser.add_argument(
        "--sink", choices=["aiosmtpd", "smtp-sink"], default="aiosmtpd", help="the SMTP server delivered to"
    )
    parser.add_argument("--million", action="store_true", help="also stream 1,000,000 rows through preview")
    parser.add_argument("--peers", action="store_true", help="also run the peers at N (use --n 10000)")
    parser.add_argument("--max-seconds", type=int, default=600)
    parser.add_argument(
        "--delivery-workers",
        default="1",
        help="worker processes delivering at once, comma-separated (1,2: each)",
    )
    parser.add_argument(
        "--child", choices=["preview", "import", "deliver", "deliver-worker"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--smtp-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "deliver-worker":
        deliver_worker(args)
        return
    if args.child:
        args.what = args.child
        args.delivery_workers = int(args.delivery_workers)
        child(args)
        return

    workdir = Path(tempfile.mkdtemp(prefix="admit-bench-"))
    try:
        ours: dict[str, dict] = {}
        plans = [("preview", args.n, 1), ("import", args.n, 1)]
        if args.deliver:
            plans += [("deliver", args.deliver, int(k)) for k in args.delivery_workers.split(",") if k]
        if args.million:
            plans.append(("preview", 1_000_000, 1))
        for n in sorted({n for _, n, _ in plans}):
            seeds = write_list(workdir / f"list-{n}.csv", n)
            (workdir / f"seeds-{n}.json").write_text(json.dumps(seeds))
        for backend in [b for b in args.backends.split(",") if b]:
            for what, n, workers in plans:
                shutil.copy(workdir / f"seeds-{n}.json", workdir / "seeds.json")
                command = [
                    sys.executable,
                    __file__,
                    "--child",
                    what,
                    "--backend",
                    backend,
                    "--n",
                    str(n),
                    "--file",
                    str(workdir / f"list-{n}.csv"),
                    "--workdir",
                    str(workdir),
                    "--max-seconds",
                    str(args.max_seconds),
                    "--sink",
                    args.sink,
                    "--delivery-workers",
                    str(workers),
                ]
                done = subprocess.run(command, capture_output=True, text=True, timeout=args.max_seconds + 120)
                lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
                if done.returncode != 0 or not lines:
                    print(f"# FAILED {what} {backend} n={n}: {done.stderr[-2000:]}", file=sys.stderr)
                    continue
                print(lines[-1], flush=True)
                ours[f"{what}:{backend}:{n}:{workers}"] = json.loads(lines[-1])
        if args.peers:
            ours_import = ours.get(f"import:sqlite:{args.n}:1")
            for peer in run_peers(args.n, args.max_seconds):
                if not ours_import:
                    continue
                peer_s_per_inv = peer["create_total_s"] / peer["N"]
                admit_s_per_inv = ours_import["seconds"] / max(ours_import["invited"], 1)
                _emit(
                    {
                        "bench": "ratio.create_per_invitation",
                        "peer": peer["peer"],
                        "n": args.n,
                        "peer_ms_per_invitation": round(peer_s_per_inv * 1000, 4),
                        "admit_ms_per_invitation": round(admit_s_per_inv * 1000, 4),
                        "admit_faster_x": round(peer_s_per_inv / admit_s_per_inv, 1),
                    }
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
