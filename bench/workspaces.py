"""Workspaces benchmark: inviting into a workspace, client groups, Resend, the Members panel,
type-ahead suggestions, and the peers' one-by-one invitation at the same N.

    .venv/bin/python bench/workspaces.py                    # SQLite and PostgreSQL
    .venv/bin/python bench/workspaces.py --peers            # plus better-auth and django-invitations

Prints one JSON line per measurement. Each backend gets a fresh database; set-up is not timed.
Everything talks to 127.0.0.1 only and every loop is bounded by its N.

What is timed (service calls, each its own transaction, as a request would make them):
- ``invite_one``: N calls of ``add_people`` with one new client each (a portal invitation, a
  user row, a not-joined workspace membership, the notification row, audit) — the closest thing
  to the peers' "invite one address into an organization" (their ``create`` phase);
- ``group_create`` / ``group_add``: a client group of G new clients (one call), then the whole
  group added to a workspace (one call);
- ``group_resend``: Resend Invitation on the group's row with half of it joined (reaches G/2);
- ``members_panel``: the Members panel of that workspace (G+1 people), p50 of 20 reads;
- ``suggest``: type-ahead over a portal of M members, p50 of 100 queries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bulk import _drop_db, _emit, _setup_db, run_peers  # noqa: E402

# A client group's people are invited to the portal as the group is made; adding the group to a
# workspace puts them in it on those invitations (nothing new sent).


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
    }


def run_backend(backend: str, n: int, g: int, m: int, workdir: Path) -> list[dict]:
    from sqlalchemy import update

    from admit.context import Context
    from admit.db import Database, new_id
    from admit.flows import groups as groups_flow
    from admit.flows import setup
    from admit.flows import workspace_people as people
    from admit.kit import clock
    from admit.kit.bulk import insert_rows
    from admit.members import service as members_service
    from admit.members.models import Member, User
    from admit.people.workspace import members_view
    from admit.settings import Settings, configure
    from admit.workspaces import service as workspaces_service
    from admit.workspaces.models import JOINED, WorkspaceMember

    url = _setup_db(backend, workdir)
    # Rate limits off: the portal's sending limit is not measured.
    settings = configure(Settings(database_url=url, environment="test", rate_limits_enabled=False))
    db = Database(url, context=Context.build(settings))
    out = []
    try:
        with db.unit_of_work() as session:
            portal, _owner, _key = setup.create_portal(
                session,
                name="Bench Inc",
                owner_email="owner@bench-inc.com",
                owner_password="bench-password-1",
            )
            slug = portal.slug
            actor = members_service.operator_actor(session, slug, ip="bench")
            ws_id = workspaces_service.create(session, actor, name="One by one").id

        samples = []
        started = time.perf_counter()
        for i in range(n):
            t = time.perf_counter()
            with db.unit_of_work() as session:
                actor = members_service.operator_actor(session, slug, ip="bench")
                result = people.add_people(session, actor, ws_id, recipients=[f"invitee{i}@bench.example"])
                assert result[0].outcome == "invited", result
            samples.append(time.perf_counter() - t)
        total = time.perf_counter() - started
        out.append({"bench": "invite_one", "backend": backend, "n": n, "total_s": round(total, 3),
                    "per_s": round(n / total, 1), **_ms(samples)})  # fmt: skip

        addresses = [f"client{i}@group.example" for i in range(g)]
        with db.unit_of_work() as session:
            actor = members_service.operator_actor(session, slug, ip="bench")
            t = time.perf_counter()
            change = groups_flow.create(
                session, actor, kind="client_group", name="Big group", recipients=addresses
            )
            group_s = time.perf_counter() - t
            group_id = change.team.id
            ws2 = workspaces_service.create(session, actor, name="Group workspace").id
        out.append({"bench": "group_create", "backend": backend, "n": g, "total_s": round(group_s, 3)})
        with db.unit_of_work() as session:
            actor = members_service.operator_actor(session, slug, ip="bench")
            t = time.perf_counter()
            results = people.add_people(session, actor, ws2, group_ids=[group_id])
            add_s = time.perf_counter() - t
            # Made as the group was, their invitations stand: they are put in the workspace on them.
            taken = [r for r in results if r.outcome == "invited" or r.code == "already_invited"]
            assert len(taken) == len(results) == g, results[:1]
        out.append({"bench": "group_add", "backend": backend, "n": g, "total_s": round(add_s, 3)})

        with db.unit_of_work() as session:  # half of the group joins (not timed)
            half = [
                row.user_id
                for row in session.query(WorkspaceMember)
                .filter(WorkspaceMember.workspace_id == ws2, WorkspaceMember.via_team_id == group_id)
                .limit(g // 2)
            ]
            session.execute(
                update(WorkspaceMember)
                .where(WorkspaceMember.workspace_id == ws2, WorkspaceMember.user_id.in_(half))
                .values(status=JOINED)
            )
        with db.unit_of_work() as session:
            actor = members_service.operator_actor(session, slug, ip="bench")
            t = time.perf_counter()
            results = people.resend_team(session, actor, ws2, group_id, kind="client_group")
            resend_s = time.perf_counter() - t
            resent = [r for r in results if r.outcome == "resent"]  # the joined half: skipped
            assert len(resent) == g - g // 2, (len(resent), g, results[:1])
        out.append(
            {"bench": "group_resend", "backend": backend, "n": len(resent), "total_s": round(resend_s, 3)}
        )

        samples = []
        for _ in range(20):
            with db.unit_of_work() as session:
                actor = members_service.operator_actor(session, slug, ip="bench")
                t = time.perf_counter()
                views = members_view(session, actor, ws2, limit=500).members
                samples.append(time.perf_counter() - t)
        out.append({"bench": "members_panel", "backend": backend, "members": len(views), **_ms(samples)})

        with db.unit_of_work() as session:  # M portal members for the type-ahead (not timed)
            now = clock.now()
            users = [
                {
                    "id": new_id(),
                    "email": f"person{i}@company{i % 50}.example",
                    "name": f"Person {i}",
                    "created_at": now,
                }
                for i in range(m)
            ]
            insert_rows(session, User.__table__, users)
            member = {"user_type": "client", "role": "client", "status": "active", "products": []}
            insert_rows(session, Member.__table__, [
                {"id": new_id(), "portal_id": portal.id, "user_id": u["id"], "created_at": now,
                 "activated_at": now, **member}
                for u in users
            ])  # fmt: skip
        from admit.members import service as members_service

        samples = []
        for i in range(100):
            with db.unit_of_work() as session:
                actor = members_service.operator_actor(session, slug, ip="bench")
                t = time.perf_counter()
                found = members_service.search_people(session, actor, f"person{i * 37 % m}")
                samples.append(time.perf_counter() - t)
                assert found
        out.append({"bench": "suggest", "backend": backend, "portal_members": m, **_ms(samples)})
    finally:
        db.dispose()
        _drop_db(url)
    for record in out:
        _emit(record)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="one-by-one invitations")
    parser.add_argument("--group", type=int, default=1000, help="people in the client group")
    parser.add_argument("--members", type=int, default=10_000, help="portal members for the type-ahead")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--peers", action="store_true", help="also run the peers' create phase at --n")
    parser.add_argument("--max-seconds", type=int, default=600)
    args = parser.parse_args()
    ours = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            for record in run_backend(backend, args.n, args.group, args.members, Path(tmp)):
                if record["bench"] == "invite_one":
                    ours[backend] = record
    if args.peers:
        for peer in run_peers(args.n, args.max_seconds):
            for backend, record in ours.items():
                _emit(
                    {
                        "bench": "ratio.invite_one",
                        "peer": peer["bench"],
                        "backend": backend,
                        "peer_per_s": peer.get("create_per_s"),
                        "admit_per_s": record["per_s"],
                        "admit_over_peer": round(record["per_s"] / peer["create_per_s"], 2)
                        if peer.get("create_per_s")
                        else None,
                    }
                )


if __name__ == "__main__":
    main()
