"""Something outside the database (an HR system's list, a DNS answer: ``held_lookups``) that
answers only when the test lets it, and the check that nothing of the database is held while it is waited for:
another unit of work writes and commits meanwhile, and the pool has no connection out."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from admit.kit import netguard
from admit.members import service as members_service
from admit.members.models import User

__all__ = ["PUBLIC", "WAIT", "Held", "held_lookups", "others_go_on_while_held"]

WAIT = 30.0  # how long it holds its answer at most (the test lets it go long before)


@dataclass
class Held:
    asked: threading.Event = field(default_factory=threading.Event)  # it is being waited for
    release: threading.Event = field(default_factory=threading.Event)  # the test lets it answer
    gave_up: threading.Event = field(default_factory=threading.Event)  # answered after WAIT anyway

    def hold(self) -> None:
        """Called where the answer is made: waits until the test lets it go (at most ``WAIT``)."""
        self.asked.set()
        if not self.release.wait(WAIT):
            self.gave_up.set()


def others_go_on_while_held(db, held: Held, call: Callable[[], Any]) -> Any:
    """Runs ``call`` (which waits for ``held``) on a thread; while it waits, no connection is out
    and another unit of work writes and commits (on SQLite it would wait for the one write lock,
    then 503 after 10 s). Returns what ``call`` returned."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - raised again below
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert held.asked.wait(WAIT), out.get("error")
    try:
        assert db.engine.pool.checkedout() == 0  # nothing held while it waits
        with db.unit_of_work() as session:
            members_service.add_user(session, "other@acme.com", name="Other")
        assert not held.gave_up.is_set()  # it went on while the answer was still held
    finally:
        held.release.set()
        thread.join(WAIT + 15)
    if "error" in out:
        raise out["error"]
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == "other@acme.com"))
    return out["value"]


PUBLIC = "93.184.216.34"  # what ``held_lookups`` resolves names to: a public address, never called


def held_lookups(monkeypatch) -> Held:
    """The resolver ``kit.netguard`` asks answers for ``*.slow.test`` only when the test lets it,
    for ``*.fast.test`` at once (both ``PUBLIC``); every other name is resolved as usual."""
    held = Held()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith((".slow.test", ".fast.test")):
            if host.endswith(".slow.test"):
                held.hold()
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(netguard.socket, "getaddrinfo", getaddrinfo)
    return held
