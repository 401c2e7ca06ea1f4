"""Python calls per client accept: a count that this machine's swings in speed do not move.

    .venv/bin/python bench/calls.py                 # 200 accepts on SQLite
    .venv/bin/python bench/calls.py --n 400 --url postgresql://postgres@127.0.0.1:5432/some_empty_db

The accept benchmark (bench/load.py) measures time, which on this 2-core machine swings by up to
1.7× within minutes for the same code; a change worth 10% cannot be seen in it. This counts
instead the Python function calls one accept makes in the server (a profile hook in every
thread), in-process through the app (``POST /api/v1/invitations/{token}/accept`` with no
password: the account made, the invitation used, the browser signed in), and prints them by
library and, for SQLAlchemy's, by the line of ours that made them. Run it before and after a
change (the old code from a worktree: ``PYTHONPATH=/path/to/worktree/src``). It also prints the
unprofiled CPU time per accept of the first half, for what it is worth.

Prints one JSON line, then the breakdown. Everything is in this process, on a fresh SQLite file
(or the empty PostgreSQL database given, migrated here); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="accepts counted (as many again are timed)")
    parser.add_argument("--url", help="an empty database to use (default: a new SQLite file)")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from admit.app import create_app
    from admit.context import Context
    from admit.db import Database
    from admit.jobs import Worker
    from admit.migrate import upgrade
    from admit.notifications import mailbox
    from admit.settings import Settings, configure
    from tests.factories import create_portal, invite, token_in

    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/calls.db"
    upgrade(url)
    settings = configure(
        Settings(
            database_url=url,
            environment="test",
            email_backend="dev",
            rate_limits_enabled=False,
            run_worker_in_web=False,
        )
    )
    db = Database(url, context=Context.build(settings))
    app = create_app(settings, db=db, run_worker=False)
    pf = create_portal(db)
    warm, timed, counted = 20, args.n, args.n
    invite(db, pf, [f"c{i}@client.org" for i in range(warm + timed + counted)], user_type="client")
    Worker(db, settings).drain()
    tokens: list[str] = []
    cursor: str | None = None
    with db.unit_of_work() as session:
        while True:  # a page at a time: the mailbox answers at most 500 a page
            page, cursor = mailbox.messages_page(session, cursor=cursor, limit=500)
            tokens += [token_in(m.text) for m in page]
            if cursor is None:
                break
    client = TestClient(app, client=("127.0.0.1", 50000))

    def accept(token: str) -> None:
        client.cookies.clear()
        response = client.post(f"/api/v1/invitations/{token}/accept", json={})
        assert response.status_code == 200, response.text

    for token in tokens[:warm]:
        accept(token)
    started = time.process_time()
    for token in tokens[warm : warm + timed]:
        accept(token)
    cpu_ms = (time.process_time() - started) * 1000 / timed

    by_file: collections.Counter[str] = collections.Counter()
    by_our_line: collections.Counter[str] = collections.Counter()

    def count(frame, event, _arg):  # noqa: ANN001, ANN202 - the profile hook's own signature
        if event != "call":
            return
        filename = frame.f_code.co_filename
        by_file[filename] += 1
        if "sqlalchemy" in filename:
            caller = frame.f_back
            while caller is not None and "/admit/" not in caller.f_code.co_filename:
                caller = caller.f_back
            if caller is not None:
                where = caller.f_code.co_filename.split("/admit/")[-1]
                by_our_line[f"{where}:{caller.f_code.co_name}:{caller.f_lineno}"] += 1

    sys.setprofile(count)
    threading.setprofile(count)
    try:
        for token in tokens[warm + timed : warm + timed + counted]:
            accept(token)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)

    def library(filename: str) -> str:
        if "site-packages/" in filename:
            return filename.split("site-packages/")[-1].split("/")[0]
        if "/admit/" in filename:
            return "admit"
        return "python: " + filename.rsplit("/", 1)[-1]

    libraries: collections.Counter[str] = collections.Counter()
    for filename, n in by_file.items():
        libraries[library(filename)] += n
    total = sum(by_file.values())
    print(
        json.dumps(
            {
                "bench": "calls.accept",
                "backend": url.split(":", 1)[0],
                "accepts": counted,
                "python_calls_per_accept": round(total / counted),
                "sqlalchemy_calls_per_accept": round(libraries["sqlalchemy"] / counted),
                "cpu_ms_per_accept_unprofiled": round(cpu_ms, 2),
            }
        )
    )
    print("# calls per accept, by library:")
    for name, n in libraries.most_common(10):
        print(f"#   {n / counted:7.0f}  {name}")
    print("# SQLAlchemy's calls per accept, by the line of ours that made them:")
    for where, n in by_our_line.most_common(15):
        print(f"#   {n / counted:7.0f}  {where}")
    db.dispose()


if __name__ == "__main__":
    main()
