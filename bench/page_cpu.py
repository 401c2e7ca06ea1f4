"""User Management's CPU per page, in-process, steady enough to compare two versions of the code
on a machine whose speed drifts.

    .venv/bin/python bench/page_cpu.py                        # this tree: ms of CPU a page
    .venv/bin/python bench/page_cpu.py --against 5862ce0      # and that commit's, side by side
    .venv/bin/python bench/page_cpu.py --path "/api/v1/portals/{slug}/people" --api

A fresh database (``_setup_db`` from bench/bulk.py: SQLite, or PostgreSQL with ``--backend``),
one portal made by ``setup.create_portal`` with ``--members`` people written straight into the
tables (bench/roster.py's ``_people``), the owner signed in by a session made in the database;
then the app (``admit.app.create_app``) is called through ASGI in this process, with no server
and no socket, ``--pages`` times after 100 untimed. Timed: the process's CPU for each block of
20 pages. Printed (one JSON line): the least block, the 25th percentile and the median, in ms of
CPU a page. The least is the figure to compare: this machine's speed drifts by up to a fifth
within minutes, and a block that ran while nothing else did is the code's own cost.

``--against REV`` runs this same script, with this tree's bench helpers, on the code of a git
worktree of ``REV`` at the same time, one process on each core, so that both meet the same
drift; both lines are printed, then the ratio of the least blocks. Three runs of a pair are
worth more than one long run.
Talks to nobody: the app is called in-process (a PostgreSQL database on 127.0.0.1 if asked).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "src"))

BLOCK = 20


async def _measure(args: argparse.Namespace, workdir: Path) -> dict:
    from bench.bulk import _drop_db, _setup_db
    from bench.pages import portal_of_people

    url = _setup_db(args.backend, workdir)
    os.environ.update(
        ADMIT_DATABASE_URL=url,
        ADMIT_ENVIRONMENT="test",
        ADMIT_EMAIL_BACKEND="dev",
        ADMIT_RATE_LIMITS_ENABLED="false",
        ADMIT_RUN_WORKER_IN_WEB="false",
        ADMIT_PUBLIC_URL="http://127.0.0.1:8000",
    )
    from admit.context import Context
    from admit.db import Database
    from admit.settings import Settings, configure

    settings = configure(Settings(database_url=url, environment="test", rate_limits_enabled=False))
    db = Database(url, context=Context.build(settings))
    try:
        slug, key, cookie = portal_of_people(db, args.backend, args.members)
        db.dispose()

        from admit.app import create_app

        app = create_app()
        path = args.path.format(slug=slug)
        headers = [(b"host", b"127.0.0.1:8000")]
        if args.api:
            headers.append((b"authorization", f"Bearer {key}".encode()))
        else:
            headers.append((b"cookie", f"{settings.session_cookie_name}={cookie}".encode()))
        raw_path, _, query = path.partition("?")

        async def page() -> None:
            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                "scheme": "http", "path": raw_path, "raw_path": raw_path.encode(),
                "query_string": query.encode(), "root_path": "", "headers": headers,
                "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000),
            }  # fmt: skip
            status: list[int] = []

            async def receive() -> dict:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict) -> None:
                if message["type"] == "http.response.start":
                    status.append(message["status"])

            await app(scope, receive, send)
            assert status == [200], (path, status)

        blocks: list[float] = []
        async with app.router.lifespan_context(app):
            for _ in range(100):
                await page()
            for _ in range(max(1, args.pages // BLOCK)):
                started = time.process_time()
                for _ in range(BLOCK):
                    await page()
                blocks.append((time.process_time() - started) * 1000 / BLOCK)
        blocks.sort()
        return {
            "bench": "page_cpu",
            "tree": args.label,
            "code": str(Path(sys.modules["admit"].__file__ or "").parent.parent),
            "backend": args.backend,
            "path": args.path,
            "members": args.members,
            "pages": len(blocks) * BLOCK,
            "least_ms": round(blocks[0], 3),
            "p25_ms": round(blocks[len(blocks) // 4], 3),
            "median_ms": round(blocks[len(blocks) // 2], 3),
        }
    finally:
        _drop_db(url)


def _against(rev: str, argv: list[str], tree: Path) -> subprocess.Popen:
    """This script, measuring a worktree of ``rev`` made at ``tree``."""
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), rev], cwd=ROOT, check=True)
    script = ROOT / "bench" / "page_cpu.py"  # this version of the script, pointed at that tree
    return subprocess.Popen(
        [sys.executable, str(script), *argv, "--tree", str(tree), "--label", rev],
        stdout=subprocess.PIPE,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=1000, help="timed pages (blocks of 20)")
    parser.add_argument("--path", default="/p/{slug}/users", help="what to ask ({slug}: the portal's)")
    parser.add_argument("--api", action="store_true", help="ask with the portal's API key, not signed in")
    parser.add_argument("--against", metavar="REV", help="a commit to run side by side with this tree")
    parser.add_argument("--tree", help=argparse.SUPPRESS)  # the code to measure (--against's worktree)
    parser.add_argument("--label", default="this tree", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tree:  # measure that tree's code; the benchmark's own helpers stay this tree's
        import bench.bulk
        import bench.pages  # noqa: F401 - imported first: each puts this tree's src on the path

        assert "admit" not in sys.modules, "the bench helpers imported admit before the tree was chosen"
        sys.path.insert(0, str(Path(args.tree) / "src"))
    argv = [a for a in sys.argv[1:] if a not in ("--against", args.against)]
    with tempfile.TemporaryDirectory(prefix="admit-bench-page-cpu-") as tmp:
        tree = Path(tmp) / "against"
        other = _against(args.against, argv, tree) if args.against else None
        try:
            mine = asyncio.run(_measure(args, Path(tmp)))
            print(json.dumps(mine), flush=True)
            if other is None:
                return
            out, _ = other.communicate(timeout=900)
        finally:
            if other is not None:
                if other.poll() is None:
                    other.kill()
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        theirs = json.loads(out.strip().splitlines()[-1])
        print(json.dumps(theirs), flush=True)
        print(
            json.dumps(
                {
                    "bench": "page_cpu",
                    "ratio_least": round(mine["least_ms"] / theirs["least_ms"], 3),
                    "this_tree_ms": mine["least_ms"],
                    f"{args.against}_ms": theirs["least_ms"],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
