"""User Management at scale: the roster (``GET /api/v1/portals/{p}/people``) on one portal of
100,000 members and 100,000 open invitations, and its CSV export.

    .venv/bin/python bench/roster.py                                   # SQLite and PostgreSQL
    .venv/bin/python bench/roster.py --members 100000 --invitations 100000 --runs 30 \
        --backends sqlite,postgresql

For each backend: a fresh database (``_setup_db`` from bench/bulk.py; PostgreSQL at
``ADMIT_BENCH_PG_URL``, default postgresql://postgres@127.0.0.1:5432/test), one portal made by
``setup.create_portal``, then the people written straight into the tables (not timed): users
with names from a list (first x last), members (internal and client, roles, products, a few
deactivated), invitations (pending, some expired or revoked; one message each, sent, failed or
queued). Then the real app is served in this process (Starlette's TestClient, no network) and
each case below is asked ``--runs`` times for its first page (50 rows) after one untimed
warm-up. Printed per case: p50, p99 and max milliseconds of the server's time (request in, JSON
out: its ``Server-Timing`` header), the p50 and p99 of the test client's round trip (the
server's time plus ~3-5 ms of the client's own thread hops), rows and total. Then the CSV
export of the whole roster: seconds, rows, and the process's peak RSS growth while it streamed
(flat memory means it did not grow with rows).

One JSON line per case. Talks to 127.0.0.1 only (PostgreSQL); ``--max-seconds`` caps a backend.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "src"))

from bench.bulk import _drop_db, _emit, _rss_mb, _setup_db  # noqa: E402

FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Barbara",
    "Ken",
    "Margaret",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "John",
    "Katherine",
    "Tim",
    "Hedy",
    "Niklaus",
    "Adele",
    "Donald",
    "Sophie",
    "Guido",
    "Anita",
    "Bjarne",
    "Jean",
    "Claude",
    "Mary",
    "Vint",
    "Shafi",
    "Leslie",
    "Lynn",
    "Yukihiro",
]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Liskov",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Backus",
    "Johnson",
    "Lee",
    "Lamarr",
    "Wirth",
    "Goldberg",
    "Knuth",
    "Wilson",
    "Rossum",
    "Borg",
    "Stroustrup",
    "Sammet",
    "Shannon",
    "Kenyon",
    "Cerf",
    "Goldwasser",
    "Lamport",
    "Conway",
    "Matsumoto",
]
PRODUCTS = ("messaging", "workspaces", "billing", "analytics")


def _people(session, portal, owner, members: int, invitations: int, seed: int = 11) -> dict:
    from admit.db import new_id
    from admit.invitations.models import Invitation
    from admit.kit import clock
    from admit.kit.bulk import insert_rows
    from admit.members.models import Member, User
    from admit.notifications.models import Notification

    rng = random.Random(seed)
    now = clock.now()
    batch = 5000

    def name(i: int) -> str:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

    for start in range(0, members, batch):
        users, rows = [], []
        for i in range(start, min(members, start + batch)):
            uid = new_id()
            users.append(
                {"id": uid, "email": f"m{i}@client{i % 997}.example", "name": name(i), "created_at": now}
            )
            internal = i % 10 == 0
            rows.append(
                {
                    "id": new_id(),
                    "portal_id": portal.id,
                    "user_id": uid,
                    "user_type": "internal" if internal else "client",
                    "role": rng.choice(("member", "member", "admin")) if internal else "client",
                    "status": "deactivated" if i % 50 == 0 else "active",
                    "products": rng.sample(PRODUCTS, rng.randint(0, 2)),
                    "invited_by_id": owner.id,
                    "created_at": now - timedelta(seconds=members + invitations - i),
                    "activated_at": now,
                }
            )
        insert_rows(session, User.__table__, users)
        insert_rows(session, Member.__table__, rows)
    for start in range(0, invitations, batch):
        rows, notes = [], []
        for i in range(start, min(invitations, start + batch)):
            iid = new_id()
            created = now - timedelta(seconds=invitations - i)
            internal = i % 10 == 0
            status = "revoked" if i % 40 == 0 else "pending"
            rows.append(
                {
                    "id": iid,
                    "portal_id": portal.id,
                    "recipient": f"i{i}@prospect{i % 991}.example",
                    "recipient_name": name(i) if i % 3 else "",
                    "user_type": "internal" if internal else "client",
                    "role": "member" if internal else "client",
                    "products": rng.sample(PRODUCTS, rng.randint(0, 2)),
                    "message": "",
                    "status": status,
                    # One in twenty is past its expiry (shown as expired).
                    "expires_at": now - timedelta(days=1) if i % 20 == 1 else now + timedelta(days=30),
                    "invited_by_id": owner.id,
                    "created_at": created,
                    "last_sent_at": created,
                    "send_count": 1,
                }
            )
            delivered = rng.random()
            notes.append(
                {
                    "id": new_id(),
                    "portal_id": portal.id,
                    "event_key": f"bench-invite-{iid}",
                    "channel": "email",
                    "template": "invitation",
                    "to_address": f"i{i}@prospect{i % 991}.example",
                    "context": {},
                    "status": "failed" if delivered < 0.02 else "queued" if delivered < 0.05 else "sent",
                    "attempts": 1,
                    "next_attempt_at": created,
                    "last_error": "550 mailbox unavailable" if delivered < 0.02 else None,
                    "invitation_id": iid,
                    "created_at": created,
                    "sent_at": created if delivered >= 0.05 else None,
                }
            )
        insert_rows(session, Invitation.__table__, rows)
        insert_rows(session, Notification.__table__, notes)
    return {"members": members, "invitations": invitations}


CASES: list[tuple[str, dict]] = [
    ("first page (newest first)", {}),
    ("tab: clients", {"user_type": "client"}),
    ("tab: internal", {"user_type": "internal"}),
    ("status=pending", {"status": "pending"}),
    ("status=deactivated", {"status": "deactivated"}),
    ("role=admin", {"role": "admin"}),
    ("product=billing", {"product": "billing"}),
    ("delivery=failed", {"delivery": "failed"}),
    ("invited_by=owner", {"invited_by": "{owner}"}),
    ("sort=name", {"sort": "name"}),
    ("sort=-name", {"sort": "-name"}),
    ("sort=last_sent", {"sort": "-last_sent"}),
    ("sort=status", {"sort": "status"}),
    ("sort=invited (oldest first)", {"sort": "invited"}),
    ("search prefix 'grace h'", {"q": "grace h"}),
    ("search prefix 'm4242'", {"q": "m4242"}),
    ("search infix 'ovelac'", {"q": "ovelac"}),
    (
        "clients, pending, sort=name, q=ada",
        {"user_type": "client", "status": "pending", "sort": "name", "q": "ada"},
    ),
]


def _server_ms(response) -> float:
    """The server's own time for a request, from its ``Server-Timing: app;dur=…`` header (set
    by ``app.Edge``): request in, JSON out, without the test client's thread hops around it."""
    return float(response.headers["server-timing"].split("dur=", 1)[1])


def _percentiles(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def run_backend(backend: str, args, workdir: Path) -> None:
    from starlette.testclient import TestClient

    from admit.app import create_app
    from admit.context import Context
    from admit.db import Database
    from admit.flows import setup
    from admit.settings import Settings, configure

    deadline = time.monotonic() + args.max_seconds
    url = _setup_db(backend, workdir)
    try:
        settings = configure(
            Settings(database_url=url, environment="test", rate_limits_enabled=False, run_worker_in_web=False)
        )
        db = Database(url, context=Context.build(settings))
        started = time.monotonic()
        with db.unit_of_work() as session:
            portal, owner, key = setup.create_portal(
                session,
                name="Bench Inc",
                owner_email="owner@bench-inc.com",
                owner_password="bench-password-1",
            )
            slug, owner_id = portal.slug, owner.id
            sizes = _people(session, portal, owner, args.members, args.invitations)
        # Statistics (and on PostgreSQL the visibility map) as a running system has them: the
        # worker's hourly refresh on SQLite (Database.refresh_statistics), autovacuum on PostgreSQL.
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
                # The set-up's 300 MB written out now, not by the checkpointer during the cases
                # (a running system is not in the middle of flushing a bulk load).
                conn.exec_driver_sql("CHECKPOINT")
        else:
            db.refresh_statistics()
            # The setup's writes moved from the write-ahead log into the database, as SQLite
            # does as it goes on a running system (else the first write timed pays for them).
            raw = db.engine.raw_connection()  # outside a transaction (it cannot run in one)
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        _emit({"backend": backend, "setup_seconds": round(time.monotonic() - started, 1), **sizes})
        app = create_app(settings, db=db, run_worker=False)
        # As a server that has just started: what is built so far set aside from the garbage
        # collector (the app does it once per process, which here served the backend before).
        gc.collect()
        gc.freeze()
        with TestClient(app, base_url="http://127.0.0.1") as client:
            client.headers["Authorization"] = f"Bearer {key}"
            path = f"/api/v1/portals/{slug}/people"
            for label, params in CASES if not args.export_only else ():
                if time.monotonic() > deadline:
                    _emit({"backend": backend, "case": label, "skipped": "--max-seconds reached"})
                    continue
                query = {k: (str(owner_id) if v == "{owner}" else v) for k, v in params.items()}
                query["limit"] = "50"
                first = client.get(path, params=query)
                if first.status_code != 200:
                    _emit(
                        {
                            "backend": backend,
                            "case": label,
                            "error": first.status_code,
                            "body": first.text[:300],
                        }
                    )
                    continue
                times, trips = [], []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    response = client.get(path, params=query)
                    trips.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, response.text
                    times.append(_server_ms(response))
                body = first.json()
                _emit(
                    {
                        "backend": backend,
                        "case": label,
                        **_percentiles(times),
                        **{f"round_trip_{k}": v for k, v in _percentiles(trips).items() if k != "max_ms"},
                        "rows": len(body["items"]),
                        "total": body["total"],
                    }
                )
            rss_before = _rss_mb()
            t0 = time.perf_counter()
            rows = 0
            peak = rss_before
            with client.stream("GET", f"{path}.csv") as response:
                assert response.status_code == 200, response.read()[:300]
                for chunk in response.iter_bytes():  # as a browser saves it: bytes, not decoded lines
                    before = rows
                    rows += chunk.count(b"\n")
                    if rows // 20000 != before // 20000:
                        peak = max(peak, _rss_mb())
            _emit(
                {
                    "backend": backend,
                    "case": "export CSV (whole roster)",
                    "seconds": round(time.perf_counter() - t0, 2),
                    "rows": rows - 1,
                    "rss_growth_mb": round(max(peak, _rss_mb()) - rss_before, 1),
                }
            )
        db.engine.dispose()
    finally:
        _drop_db(url)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--invitations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per case")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--export-only", action="store_true", help="only the CSV export, no page cases")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="admit-bench-roster-") as tmp:
        for backend in args.backends.split(","):
            run_backend(backend.strip(), args, Path(tmp))


if __name__ == "__main__":
    main()
