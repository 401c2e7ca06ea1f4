"""HR sync benchmark (issue 12): a first sync of 50,000 employees from a local fake HR system
(the fake BambooHR of the tests, in a process of its own so its memory is not counted), and
SCIM user creates per second over the app's HTTP interface.

    .venv/bin/python bench/hr_sync.py                            # SQLite and PostgreSQL, 50,000
    .venv/bin/python bench/hr_sync.py --n 5000 --backends sqlite

Prints one JSON line per measurement:

- ``preview_s``: read the list (one HTTP answer of 50,000 records), normalise every address,
  look up the portal's members and invitations, and plan (``flows.hr_sync.preview``).
- ``apply_s``: the worker's run: read the list again, plan, write the last-list snapshot and
  store the invitations as an import (``flows.hr_sync.run_due``).
- ``invite_s``: the import that run made, carried out by the worker (the invitation pipeline).
- ``peak_rss_mb``: this process's peak resident memory over the whole sync (the fake excluded).
- SCIM: ``POST /scim/v2/Users`` through the app in-process (TestClient), each its own request
  and transaction: ``creates_per_s``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bulk import _drop_db, _emit, _setup_db  # noqa: E402


def _serve_fake(n: int, conn) -> None:  # the fake's own process
    from tests.directory.hr.fakes import Person, serve

    with serve("bamboohr") as fake:
        fake.people = [
            Person(
                id=str(i),
                first_name=f"First{i}",
                last_name=f"Last{i}",
                email=f"employee{i}@bench.example",
                department=f"Dept {i % 40}",
            )
            for i in range(n)
        ]
        c = fake.credentials
        conn.send((c.api_key, c.account, c.base_url))
        conn.recv()  # until the bench is done


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_backend(backend: str, n: int, scim_n: int, workdir: Path) -> list[dict]:
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from admit.app import create_app
    from admit.context import Context
    from admit.db import Database
    from admit.directory import service as directory_service
    from admit.directory.models import HrSyncRun
    from admit.flows import hr_sync, setup
    from admit.imports.models import InvitationImport
    from admit.jobs import Worker
    from admit.members import service as members_service
    from admit.settings import Settings, configure

    url = _setup_db(backend, workdir)
    settings = configure(
        Settings(
            database_url=url,
            environment="test",
            rate_limits_enabled=False,
            directory_allow_private=True,
            invite_rate_limit="10000000/hour",
            hr_timeout_seconds=120,
        )
    )
    db = Database(url, context=Context.build(settings))
    out: list[dict] = []
    here, there = multiprocessing.Pipe()
    fake = multiprocessing.Process(target=_serve_fake, args=(n, there), daemon=True)
    fake.start()
    try:
        api_key, account, base_url = here.recv()
        with db.unit_of_work() as session:
            portal, _owner, _key = setup.create_portal(
                session,
                name="Bench Inc",
                owner_email="owner@bench-inc.com",
                owner_password="bench-password-1",
            )
            slug = portal.slug
            actor = members_service.operator_actor(session, slug, ip="bench")
            conn = hr_sync.connect(
                session,
                actor,
                {"provider": "bamboohr", "api_key": api_key, "account": account, "base_url": base_url,
                 "fields_granted": True, "deactivate_limit_pct": 100},
            )  # fmt: skip
            conn_id = conn.id
        rss_before = _peak_mb()
        with db.unit_of_work() as session:
            actor = members_service.operator_actor(session, slug, ip="bench")
            conn = hr_sync.hr.get_or_raise(session, actor, conn_id)
            t = time.perf_counter()
            plan = hr_sync.preview(session, actor, conn)
            preview_s = time.perf_counter() - t
            assert plan.counts["invite"] == n, plan.counts
            hr_sync.start_sync(session, actor, conn)
        worker = Worker(db, settings)
        t = time.perf_counter()
        assert hr_sync.run_due(db) is not None
        apply_s = time.perf_counter() - t
        t = time.perf_counter()
        while worker.run_once(sweep=False).get("imports"):
            pass
        invite_s = time.perf_counter() - t
        with db.unit_of_work() as session:
            run = session.scalar(select(HrSyncRun))
            imp = session.get(InvitationImport, run.import_id)
            assert run.status == "done" and imp is not None and imp.invited_count == n, (run.status, imp)
        out.append(
            {
                "bench": "hr_first_sync",
                "backend": backend,
                "employees": n,
                "preview_s": round(preview_s, 2),
                "apply_s": round(apply_s, 2),
                "invite_s": round(invite_s, 2),
                "peak_rss_mb": round(_peak_mb(), 1),
                "rss_before_mb": round(rss_before, 1),
            }
        )
        # An unchanged second sync: it reads and compares everything, and writes nothing.
        with db.unit_of_work() as session:
            actor = members_service.operator_actor(session, slug, ip="bench")
            hr_sync.start_sync(session, actor, hr_sync.hr.get_or_raise(session, actor, conn_id))
        t = time.perf_counter()
        hr_sync.run_due(db)
        out.append(
            {
                "bench": "hr_unchanged_sync",
                "backend": backend,
                "employees": n,
                "s": round(time.perf_counter() - t, 2),
            }
        )

        # SCIM creates over HTTP.
        app = create_app(settings, db=db, run_worker=False)
        with db.unit_of_work() as session:
            actor = members_service.operator_actor(session, slug, ip="bench")
            raw, _token = directory_service.issue_token(session, actor, name="bench")
        headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/scim+json"}
        with TestClient(app) as client:
            t = time.perf_counter()
            for i in range(scim_n):
                r = client.post(
                    "/scim/v2/Users",
                    json={
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": f"scim{i}@bench.example",
                        "name": {"givenName": "Scim", "familyName": str(i)},
                        "emails": [{"value": f"scim{i}@bench.example", "type": "work", "primary": True}],
                        "active": True,
                    },
                    headers=headers,
                )
                assert r.status_code == 201, r.text
            took = time.perf_counter() - t
        out.append(
            {
                "bench": "scim_create",
                "backend": backend,
                "n": scim_n,
                "creates_per_s": round(scim_n / took, 1),
            }
        )
    finally:
        here.send("stop")
        fake.join(timeout=10)
        db.dispose()
        _drop_db(url)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--scim", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            for record in run_backend(backend, args.n, args.scim, Path(tmp)):
                _emit(record)


if __name__ == "__main__":
    main()
