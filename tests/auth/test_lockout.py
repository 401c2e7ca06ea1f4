"""The security tester: ten wrong passwords for adm@acme.com from one client made the right
password from another client, a sign-in link request and a password reset all answer 429 for a
minute: anyone could lock a named account out. Wrong passwords are counted per client and
address (``ADMIT_LOGIN_RATE_LIMIT``) and, higher, per address (``ADMIT_LOGIN_ADDRESS_RATE_LIMIT``);
asking for a sign-in link or a reset is never refused by them (``auth.service``). Both
backends, the limits on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import select

from admit.notifications.models import Notification
from tests.factories import OWNER_PASSWORD, create_portal


@contextmanager
def client_at(app, ip: str) -> Iterator[TestClient]:
    with TestClient(app, client=(ip, 50000)) as c:
        yield c


def wrong_passwords(app, email: str, ips: list[str], tries: int) -> list[int]:
    answers = []
    for ip in ips:
        with client_at(app, ip) as stranger:
            for n in range(tries):
                answer = stranger.post("/api/v1/auth/login", json={"email": email, "password": f"guess-{n}"})
                answers.append(answer.status_code)
    return answers


def asked_for(db, address: str) -> list[str]:
    with db.unit_of_work() as session:
        return list(
            session.scalars(
                select(Notification.template).where(
                    Notification.to_address == address,
                    Notification.template.in_(["sign_in", "password_reset"]),
                )
            )
        )


def test_wrong_passwords_from_one_client_do_not_lock_the_account_out(app, client, db, worker, rate_limits):  # noqa: ARG001
    pf = create_portal(db)
    answers = wrong_passwords(app, pf.owner_email, ["203.0.113.7"], 11)
    assert answers == [401] * 10 + [429], answers  # that client is paused for that address
    right = client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD})
    assert right.status_code == 200, right.text  # the owner, from their own machine
    with client_at(app, "198.51.100.9") as elsewhere:  # the way back in, from anywhere
        reset = elsewhere.post("/api/v1/auth/password-reset", json={"email": pf.owner_email})
        assert reset.status_code == 202, reset.text
    worker.drain()
    assert asked_for(db, pf.owner_email) == ["password_reset"]


def test_the_recovery_paths_stay_open_past_the_per_address_limit(
    app, client, db, worker, change_settings, rate_limits
):  # noqa: ARG001
    """Many clients guessing at one account meet the per-address limit: then the password is
    paused for everyone, but asking for a sign-in link or a reset still works (a reset signs in)."""
    change_settings(login_address_rate_limit="6/hour")
    pf = create_portal(db)
    answers = wrong_passwords(app, pf.owner_email, ["203.0.113.1", "203.0.113.2", "203.0.113.3"], 3)
    assert answers == [401] * 6 + [429] * 3, answers
    right = client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD})
    assert right.status_code == 429, right.text
    assert right.json()["code"] == "rate_limited"
    link = client.post("/api/v1/auth/sign-in-link", json={"email": pf.owner_email})
    assert link.status_code == 202, link.text
    worker.drain()
    reset = client.post("/api/v1/auth/password-reset", json={"email": pf.owner_email})
    assert reset.status_code == 202, reset.text
    worker.drain()
    # An account with a password is sent a reset for either ask: asked twice within the minute,
    # one, which still works (``auth.service._send_link``)
    assert asked_for(db, pf.owner_email) == ["password_reset"]


def test_a_strangers_asks_do_not_use_up_the_persons_own(app, client, db, change_settings, rate_limits):  # noqa: ARG001
    """Asks for a sign-in link or a reset are counted per client and address
    (``ADMIT_SIGN_IN_REQUEST_RATE_LIMIT``): a stranger asking over and over for someone's links
    is paused, the person asking from their own machine is not."""
    change_settings(sign_in_request_rate_limit="3/day")
    pf = create_portal(db)
    with client_at(app, "203.0.113.7") as stranger:
        ask = {"email": pf.owner_email}
        answers = [stranger.post("/api/v1/auth/sign-in-link", json=ask) for _ in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429], answers
    assert answers[-1].json()["detail"].startswith("Several links were asked for this address already.")
    own = client.post("/api/v1/auth/password-reset", json={"email": pf.owner_email})
    assert own.status_code == 202, own.text
