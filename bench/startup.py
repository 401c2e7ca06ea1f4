"""How long an Admit process takes to start: what the tests pay for each ``admit`` they start,
and a restart in production.

    .venv/bin/python bench/startup.py              # median of 5 of each
    .venv/bin/python bench/startup.py --runs 9

Prints one JSON line per measurement: the median of ``--runs`` fresh processes' wall seconds
and CPU seconds (user and system: the figure to compare on a busy machine), with
PYTHONDONTWRITEBYTECODE as this process has it:

- ``import_app``: ``python -c "import admit.app"``.
- ``create_app``: ``create_app(run_worker=False)`` in a process that has imported admit.app.
- ``help``: ``admit invite --help``.
- ``invite``, ``worker_once``, ``migrate``: those commands on a SQLite file with one portal
  (``admit invite --dry-run``, ``admit worker --once``, ``admit migrate``).
- ``serve``: ``admit serve --no-migrate`` until ``GET /login`` answers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ADMIT = str(Path(sys.executable).with_name("admit"))
CREATE_APP = """
import time
import admit.app
started, used = time.perf_counter(), time.process_time()
admit.app.create_app(run_worker=False)
print(time.perf_counter() - started, time.process_time() - used)
"""


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The wall time and the CPU time (user and system) of running ``command`` to its end."""
    used = _children_cpu()
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started, _children_cpu() - used


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_of(pid: int) -> float:
    """The CPU time (user and system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _served(env: dict[str, str]) -> tuple[float, float]:
    """Seconds from starting ``admit serve`` to its first answer to ``GET /login``, and the CPU
    seconds it used by then."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [ADMIT, "serve", "--no-migrate", "--no-worker", "--port", str(port)]
    started = time.perf_counter()
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
                return time.perf_counter() - started, _cpu_of(server.pid)
            except httpx.TransportError:
                time.sleep(0.01)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
        env |= {
            "ADMIT_DATABASE_URL": f"sqlite:///{folder}/startup.db",
            "ADMIT_ENVIRONMENT": "development",
            "ADMIT_PUBLIC_URL": "http://127.0.0.1:8000",
        }
        subprocess.run([ADMIT, "migrate"], env=env, check=True, capture_output=True)
        made = subprocess.run(
            [ADMIT, "init", "--portal-name", "Acme", "--owner-email", "o@acme.com"]
            + ["--owner-password", "correct horse battery", "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        portal = json.loads(made.stdout)["portal"]

        def create_app() -> tuple[float, float]:
            command = [sys.executable, "-c", CREATE_APP]
            done = subprocess.run(command, env=env, check=True, capture_output=True)
            wall, cpu = done.stdout.split()[-2:]
            return float(wall), float(cpu)

        measured = {
            "import_app": lambda: _timed([sys.executable, "-c", "import admit.app"], env),
            "create_app": create_app,
            "help": lambda: _timed([ADMIT, "invite", "--help"], env),
            "invite": lambda: _timed(
                [ADMIT, "invite", "--portal", portal, "--type", "client", "--dry-run", "a@example.com"], env
            ),
            "worker_once": lambda: _timed([ADMIT, "worker", "--once"], env),
            "migrate": lambda: _timed([ADMIT, "migrate"], env),
            "serve": lambda: _served(env),
        }
        for name, measure in measured.items():
            walls, cpus = zip(*(measure() for _ in range(runs)), strict=True)
            print(json.dumps({"measure": name, "wall_s": round(statistics.median(walls), 3),
                              "cpu_s": round(statistics.median(cpus), 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
