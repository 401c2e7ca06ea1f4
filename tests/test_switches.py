"""CI's switches fail the run when their part is missing; they never let it skip quietly.

Each case runs a small pytest of its own (one test that needs the part) with the part taken
away, and reads its outcome."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One test that needs Chromium, one that needs PostgreSQL. The browser test asks for Chromium
# (``new_context``) before the live server: it skips or fails without starting a server first.
BROWSER_TEST = "tests/browser/test_phone_e2e.py::test_fields_do_not_zoom_and_buttons_fit_a_thumb"
PG_TEST = "tests/members/test_reactivate.py"


def _run(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ADMIT_", "PYTEST_XDIST"))}
    command = [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", "-p", "no:xdist"]
    command += [BROWSER_TEST, PG_TEST, "-k", "postgresql or not sqlite"]
    # Chromium taken away; PostgreSQL too (no ADMIT_TEST_DATABASE_URL).
    env = {**base, "ADMIT_TEST_CHROMIUM": "/nonexistent/chromium", **env}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_missing_part_fails_the_run_under_its_switch():
    """Without the switches the two tests skip; with them, each fails and names its switch."""
    quiet = _run()
    assert quiet.returncode == 0 and " passed" not in quiet.stdout, quiet.stdout[-2000:]
    assert "Chromium not found" in quiet.stdout and "PostgreSQL: set" in quiet.stdout
    required = _run(ADMIT_REQUIRE_BROWSER="1", ADMIT_REQUIRE_PG="1")
    assert required.returncode == 1, required.stdout[-2000:]
    assert "ADMIT_REQUIRE_BROWSER=1 but Chromium" in required.stdout
    assert "ADMIT_REQUIRE_PG=1 but ADMIT_TEST_DATABASE_URL" in required.stdout
    assert "skipped" not in required.stdout.splitlines()[-1]
