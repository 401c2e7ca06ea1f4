"""Interaction-panel benchmark (issue 11): messages written into one workspace of 1,000 members,
each mentioning two of them (two notifications written per message), then one message that
mentions 50 people (the fan-out), then the panel's first page and the unread count read back.

    .venv/bin/python bench/messages.py                  # SQLite and PostgreSQL, N=500
    .venv/bin/python bench/messages.py --n 200 --backends sqlite

Prints one JSON line per measurement. Set-up (the portal, 1,000 named joined members) is not
timed. Each ``post`` is its own transaction, as a request makes it (``workspaces.messages.post``:
mention parsing over the members' names, the message, the author's read mark, one notification
row per mentioned member).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bulk import _drop_db, _emit, _setup_db  # noqa: E402


def run_backend(backend: str, n: int, members: int, workdir: Path) -> list[dict]:
    from sqlalchemy import func, select, update

    from admit.context import Context
    from admit.db import Database
    from admit.flows import setup
    from admit.flows.workspace_people import add_people
    from admit.members import service as members_service
    from admit.members.models import User
    from admit.notifications.models import Notification
    from admit.settings import Settings, configure
    from admit.workspaces import messages
    from admit.workspaces import service as workspaces_service
    from admit.workspaces.models import JOINED, WorkspaceMember

    url = _setup_db(backend, workdir)
    settings = configure(Settings(database_url=url, environment="test", rate_limits_enabled=False))
    db = Database(url, context=Context.build(settings))
    out: list[dict] = []
    rng = random.Random(11)
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
            addresses = [f"person{i}@bench.example" for i in range(members)]
            ws_id = workspaces_service.create(session, actor, name="Deal room").id
        with db.unit_of_work() as session:
            actor = members_service.operator_actor(session, slug, ip="bench")
            add_people(session, actor, ws_id, recipients=addresses)
        with db.unit_of_work() as session:  # everyone joined, with a name to be mentioned by
            session.execute(
                update(WorkspaceMember).where(WorkspaceMember.workspace_id == ws_id).values(status=JOINED)
            )
            for i, address in enumerate(addresses):
                session.execute(update(User).where(User.email == address).values(name=f"Person {i}"))
            before = session.scalar(select(func.count()).select_from(Notification))

        samples = []
        started = time.perf_counter()
        for _ in range(n):
            a, b = rng.sample(range(members), 2)
            t = time.perf_counter()
            with db.unit_of_work() as session:
                actor = members_service.operator_actor(session, slug, ip="bench")
                message = messages.post(
                    session, actor, ws_id, f"Hello @Person {a} and @Person {b}, see the file"
                )
                assert len(message.mentions) == 2
            samples.append(time.perf_counter() - t)
        total = time.perf_counter() - started
        with db.unit_of_work() as session:
            written = session.scalar(select(func.count()).select_from(Notification)) - before
        ordered = sorted(samples)
        out.append(
            {
                "bench": "post_with_two_mentions",
                "backend": backend,
                "members": members,
                "n": n,
                "per_s": round(n / total, 1),
                "p50_ms": round(statistics.median(ordered) * 1000, 2),
                "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
                "notifications": written,
            }
        )

        text = " ".join(f"@Person {i}" for i in rng.sample(range(members), 50))
        with db.unit_of_work() as session:
            actor = members_service.operator_actor(session, slug, ip="bench")
            t = time.perf_counter()
            message = messages.post(session, actor, ws_id, text)
            fan_s = time.perf_counter() - t
        out.append(
            {
                "bench": "post_mentioning_50",
                "backend": backend,
                "members": members,
                "mentions": len(message.mentions),
                "ms": round(fan_s * 1000, 2),
            }
        )

        reads = []
        for _ in range(20):
            with db.unit_of_work() as session:
                actor = members_service.operator_actor(session, slug, ip="bench")
                t = time.perf_counter()
                rows, _ = messages.list_messages(session, actor, ws_id, limit=50)
                user_id = session.scalar(select(User.id).where(User.email == "person1@bench.example"))
                messages.unread_counts(session, user_id, [ws_id])
                reads.append(time.perf_counter() - t)
        out.append(
            {
                "bench": "panel_page_and_unread",
                "backend": backend,
                "messages": n + 1,
                "p50_ms": round(statistics.median(reads) * 1000, 2),
            }
        )
    finally:
        db.dispose()
        _drop_db(url)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            for record in run_backend(backend, args.n, args.members, Path(tmp)):
                _emit(record)


if __name__ == "__main__":
    main()
