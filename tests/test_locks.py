"""The two pinned locks agree: the test tools' lock (requirements-dev.lock) pins every package of
the runtime lock (requirements.lock) at the same version, so ``scripts/setup --dev`` installs what
``scripts/setup`` would and its install stands for the runtime one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_the_dev_lock_pins_every_runtime_package_alike():
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert len(runtime) > 20  # the lock was read
    differ = {name: (version, dev.get(name)) for name, version in runtime.items() if dev.get(name) != version}
    assert differ == {}, "requirements-dev.lock must pin these as requirements.lock does"
