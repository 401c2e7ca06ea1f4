"""Scale-out, shown with real processes on one PostgreSQL (issue 13's topology): ``admit worker``
processes sharing one outbox, one of them killed with SIGKILL mid-batch; web processes sharing
rate limits through Redis; web processes restarted one at a time under load.

Each test starts the processes it needs (the installed ``admit`` command, as an operator would),
on the run's PostgreSQL database, with an SMTP server (aiosmtpd) and, where named, Redis on
127.0.0.1. Every wait is bounded; every process is stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from admit.invitations.models import Invitation
from admit.notifications.models import Notification
from tests.factories import create_portal, invite
from tests.notifications.test_delivery import RecordingHandler, free_port, smtp_server  # noqa: F401

pytestmark = [
    pytest.mark.slow,
    # Many processes on one database is PostgreSQL's topology; SQLite is the one-process default.
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

ADMIT = str(Path(sys.executable).with_name("admit"))


def environment(settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
    env.update(
        ADMIT_DATABASE_URL=settings.database_url,
        ADMIT_ENVIRONMENT="test",
        ADMIT_PUBLIC_URL=settings.public_url,
        ADMIT_SECRET_KEY=settings.secret_key,
        ADMIT_RATE_LIMITS_ENABLED="false",
        ADMIT_WORKER_POLL_SECONDS="0.1",
    )
    env.update(extra)
    return env


class Processes:
    """Started processes, each stopped (SIGTERM, then SIGKILL) when the test ends. Their output
    goes to a file each (a pipe nobody reads would fill and stop a busy server), read back by
    ``output`` when a test needs to say why one stopped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.folder / f"process-{len(self.started)}.log").open("wb")
        process = subprocess.Popen([ADMIT, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()  # the child has its own copy
        process.log_path = log.name  # type: ignore[attr-defined]
        self.started.append(process)
        return process

    @staticmethod
    def output(process: subprocess.Popen) -> str:
        return Path(process.log_path).read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.fixture
def processes(tmp_path):
    running = Processes(tmp_path)
    yield running
    running.stop_all()


def wait_until(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)


N = 3_000  # thirty batches of 100 (delivery_batch_size): the kill lands mid-delivery
MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_its_group(
    db,
    settings,
    processes,
    smtp_server,  # noqa: F811 - the fixture imported above
):
    """3,000 invitation emails, three ``admit worker`` processes delivering them over SMTP; one
    is killed with SIGKILL while it holds claimed messages. Every message arrives, the outbox
    ends with all 3,000 sent, and the only repeats are of the killed worker's unrecorded group
    (at most 50 per SMTP connection), each with the Message-ID it had the first time."""
    pf = create_portal(db)
    for start in range(0, N, 1_000):  # the most one request may name
        invite(db, pf, [f"person{i}@example.com" for i in range(start, start + 1_000)], user_type="client")
    handler = RecordingHandler()
    port = smtp_server(handler)
    env = environment(
        settings,
        ADMIT_EMAIL_BACKEND="smtp",
        ADMIT_SMTP_HOST="127.0.0.1",
        ADMIT_SMTP_PORT=str(port),
        ADMIT_SMTP_SECURITY="none",
        ADMIT_SMTP_CONNECTIONS="2",
        ADMIT_DELIVERY_LEASE_SECONDS="3",
    )
    workers = [processes.start(["worker"], env) for _ in range(3)]

    wait_until(lambda: len(handler.envelopes) >= 500, seconds=60, what="500 emails delivered")
    workers[0].send_signal(signal.SIGKILL)
    assert workers[0].wait(timeout=5) == -signal.SIGKILL

    def all_sent() -> bool:
        with db.unit_of_work() as session:
            return (
                session.scalar(
                    select(func.count()).select_from(Notification).where(Notification.status == "sent")
                )
                == N
            )

    wait_until(all_sent, seconds=120, what=f"all {N} notifications sent")
    for survivor in workers[1:]:
        assert survivor.poll() is None, Processes.output(survivor)
    received = Counter(
        MESSAGE_ID.search(envelope.content).group(1).decode() for envelope in handler.envelopes
    )
    with db.unit_of_work() as session:
        ids = {f"<{i}@admit>" for i in session.scalars(select(Notification.id))}
    assert set(received) == ids  # every message, and nothing else
    repeats = sum(count - 1 for count in received.values())
    assert repeats <= 2 * 50, f"{repeats} repeated emails"


def serve(processes: Processes, env: dict[str, str], *ports: int) -> list[subprocess.Popen]:
    """``admit serve`` on 127.0.0.1 at each of ``ports`` without the worker, once they answer:
    started together (each takes seconds to import and build its app), then waited for."""
    started = [
        processes.start(["serve", "--no-worker", "--no-migrate", "--port", str(port)], env) for port in ports
    ]
    for process, port in zip(started, ports, strict=True):
        _wait_until_answering(process, port)
    return started


def _wait_until_answering(process: subprocess.Popen, port: int) -> None:
    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"admit serve stopped: {Processes.output(process)}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    # Seconds on a busy machine, where the processes started together share its cores.
    wait_until(answers, seconds=60, what=f"admit serve answering on :{port}")


def test_a_rate_limit_is_reached_across_two_web_processes_sharing_redis(
    db, settings, processes, redis_url, key_prefix
):
    """Four sign-in attempts a minute, made alternately to two web processes: the fifth is
    refused by whichever process gets it (each alone has counted only two or three)."""
    env = environment(
        settings,
        ADMIT_RATE_LIMITS_ENABLED="true",
        ADMIT_REDIS_URL=redis_url,
        ADMIT_REDIS_KEY_PREFIX=key_prefix,
        ADMIT_LOGIN_RATE_LIMIT="4/minute",
    )
    ports = [free_port(), free_port()]
    serve(processes, env, *ports)
    answers = []
    for attempt in range(6):
        response = httpx.post(
            f"http://127.0.0.1:{ports[attempt % 2]}/api/v1/auth/login",
            json={"email": "nobody@example.com", "password": "not-the-password-1"},
            timeout=10,
        )
        answers.append(response.status_code)
    assert answers == [401, 401, 401, 401, 429, 429], answers
    assert response.json()["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_a_rolling_restart_under_load_loses_no_acknowledged_request(db, settings, processes):
    """Two web processes take invitations from a bounded load generator (a client that, like a
    load balancer, tries the other process when one does not answer); each is stopped (SIGTERM)
    and started again in turn. Every invitation acknowledged with a 2xx is in the database with
    its email queued; no request is answered with a 5xx."""
    pf = create_portal(db)
    env = environment(settings)
    ports = [free_port(), free_port()]
    servers = serve(processes, env, *ports)
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def load(lane: int) -> None:
        sent = 0
        with httpx.Client(timeout=10, headers={"Authorization": f"Bearer {pf.api_key}"}) as client:
            while not stop.is_set() and sent < 2_000:
                address = f"load{lane}-{sent}@example.com"
                sent += 1
                for attempt in range(4):
                    port = ports[(sent + attempt + lane) % 2]
                    try:
                        response = client.post(
                            f"http://127.0.0.1:{port}/api/v1/portals/{pf.slug}/invitations",
                            json={"recipients": [address], "user_type": "client"},
                        )
                    except httpx.TransportError:
                        continue  # not answered: not acknowledged; try the other process
                    if response.status_code >= 500:
                        failures.append(f"{response.status_code} {response.text[:200]}")
                    elif response.is_success:
                        acknowledged.append(address)
                    break

    lanes = [threading.Thread(target=load, args=(lane,)) for lane in range(4)]
    for lane in lanes:
        lane.start()
    try:
        for index, port in enumerate(ports):
            target = len(acknowledged) + 50
            wait_until(lambda: len(acknowledged) >= target, seconds=30, what="load acknowledged")  # noqa: B023
            servers[index].terminate()
            # uvicorn finishes what it is answering, then exits by the signal it was sent.
            assert servers[index].wait(timeout=30) in (0, -signal.SIGTERM)
            [servers[index]] = serve(processes, env, port)
        target = len(acknowledged) + 50
        wait_until(lambda: len(acknowledged) >= target, seconds=30, what="load after the restarts")
    finally:
        stop.set()
        for lane in lanes:
            lane.join(timeout=30)
    assert not failures, failures[:3]
    with db.unit_of_work() as session:
        invited = set(
            session.scalars(select(Invitation.recipient).where(Invitation.portal_id == pf.portal_id))
        )
        queued = session.scalar(
            select(func.count()).select_from(Notification).where(Notification.invitation_id.is_not(None))
        )
    assert set(acknowledged) <= invited
    assert queued == len(invited)  # no invitation without its email


def test_a_web_process_killed_mid_request_leaves_no_half_written_invitations(db, settings, processes):
    """One request of 1,000 recipients, the web process killed with SIGKILL while it works on
    it (at a third, two thirds and nine tenths of the time such a request takes): each time the
    portal has all 1,000 invitations or none, and each invitation has its email queued."""
    pf = create_portal(db)
    env = environment(settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/portals/{pf.slug}/invitations"

    def invite_many(prefix: str) -> int:
        body = {"recipients": [f"{prefix}-{i}@example.com" for i in range(1_000)], "user_type": "client"}
        return httpx.post(url, json=body, headers=pf.headers(), timeout=30).status_code

    def count(prefix: str) -> tuple[int, int]:
        with db.unit_of_work() as session:
            written = session.scalar(
                select(func.count()).select_from(Invitation).where(Invitation.recipient.like(f"{prefix}-%"))
            )
            queued = session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.to_address.like(f"{prefix}-%"))
            )
        return written, queued

    [server] = serve(processes, env, port)
    invite_many("warm")  # the process's first large request
    started = time.monotonic()
    assert invite_many("timed") == 201
    takes = time.monotonic() - started
    assert count("timed") == (1_000, 1_000)
    for attempt, share in enumerate((0.33, 0.66, 0.9)):
        answered: list[int] = []

        def send(prefix=f"kill{attempt}", answered=answered) -> None:
            with contextlib.suppress(httpx.TransportError):  # killed before it answered
                answered.append(invite_many(prefix))

        request = threading.Thread(target=send)
        request.start()
        time.sleep(takes * share)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        request.join(timeout=30)
        written, queued = count(f"kill{attempt}")
        assert written in (0, 1_000), f"killed at {share:.0%}: {written} of 1,000 written"
        assert queued == written
        if answered:
            assert written == 1_000
        if attempt < 2:
            [server] = serve(processes, env, port)
