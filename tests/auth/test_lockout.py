"""The security tester: ten wrong passwords for adm@acme.com from one client made the right
password from another client, a sign-in link request and a password reset all answer 429 for a
minute: anyone could lock a named account out. Wrong passwords are counted per client and
address (``ADMIT_LOGIN_RATE_LIMIT``) and, higher, per address (``ADMIT_LOGIN_ADDRESS_RATE_LIMIT``);
asking for a sign-in link or a reset is never refused by them (``auth.service``). Both
backends, the limits on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from admit.kit import clock
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


def test_many_clients_asking_send_an_account_so_many_links(app, db, worker, change_settings, rate_limits):  # noqa: ARG001
    """The reviewer: outside the per-person caps, and each client within its own limit, a
    hundred clients could send one person a link a minute all day (SMS cost money). An account
    is sent so many links of a kind an hour, whoever asks (``ADMIT_SIGN_IN_LINK_ACCOUNT_RATE_LIMIT``);
    past that each ask is answered the same and sends nothing new."""
    change_settings(sign_in_link_account_rate_limit="3/hour")
    pf = create_portal(db)
    for i in range(6):
        with clock.travel(timedelta(minutes=2 * (i + 1))), client_at(app, f"203.0.113.{i + 1}") as stranger:
            asked = stranger.post("/api/v1/auth/sign-in-link", json={"email": pf.owner_email})
            assert asked.status_code == 202, asked.text
            worker.drain()
    assert asked_for(db, pf.owner_email) == ["password_reset"] * 3


def test_one_client_alone_cannot_pause_the_password_for_everyone(
    app, client, db, change_settings, rate_limits
):  # noqa: ARG001
    """The reviewer: at 10 tries a minute, one client reached the per-address limit (100 an hour)
    in ten minutes and could hold it. One client's tries at one account are counted by the hour
    (``ADMIT_LOGIN_CLIENT_RATE_LIMIT``, 10 an hour), below the per-address limit."""
    change_settings(login_client_rate_limit="3/hour", login_address_rate_limit="5/hour")
    pf = create_portal(db)
    answers = wrong_passwords(app, pf.owner_email, ["203.0.113.7"], 6)
    assert answers == [401] * 3 + [429] * 3, answers
    right = client.post("/api/v1/auth/login", json={"email": pf.owner_email, "password": OWNER_PASSWORD})
    assert right.status_code == 200, right.text


def test_behind_a_trusted_proxy_each_client_is_counted_apart(db, change_settings, rate_limits):  # noqa: ARG001
    """The reviewer: behind a proxy (production's https is a proxy's: ``serve`` speaks http)
    every request came from the proxy, so the per-client limits counted everyone together. With
    ``ADMIT_TRUSTED_PROXIES`` the client is the one the proxy names; from anyone else the header
    is not believed."""
    from admit.app import create_app

    behind = change_settings(login_client_rate_limit="2/hour", trusted_proxies="10.0.0.0/8")
    pf = create_portal(db)
    app = create_app(behind, db=db, run_worker=False)

    def tries(proxy: str, forwarded: str, n: int) -> list[int]:
        with TestClient(app, client=(proxy, 50000)) as c:
            headers = {"X-Forwarded-For": forwarded}
            guess = {"email": pf.owner_email, "password": "wrong"}
            return [c.post("/api/v1/auth/login", json=guess, headers=headers).status_code for _ in range(n)]

    assert tries("10.0.0.5", "203.0.113.1", 3) == [401, 401, 429]
    assert tries("10.0.0.5", "203.0.113.2", 1) == [401]  # another client behind the same proxy
    # Not a trusted proxy: its header is the client's own say, and the client is who connected.
    assert tries("198.51.100.7", "203.0.113.3", 3) == [401, 401, 429]
    assert tries("198.51.100.7", "203.0.113.4", 1) == [429]


def test_a_trusted_proxy_that_is_not_an_address_is_refused_as_settings_are_read(settings):
    import pydantic
    import pytest

    with pytest.raises(pydantic.ValidationError, match="'proxy.local' is not an address or a network"):
        type(settings)(trusted_proxies="10.0.0.5, proxy.local")


def _wrong_codes(app, email: str, ips: list[str], tries: int, right: str) -> list[int]:
    wrong = "000000" if right != "000000" else "111111"
    answers = []
    for ip in ips:
        with client_at(app, ip) as stranger:
            for _ in range(tries):
                answer = stranger.post("/api/v1/auth/sign-in-code", json={"email": email, "code": wrong})
                answers.append(answer.status_code)
    return answers


def _asks_for_a_code(client, worker, email: str) -> str:
    from tests.auth.test_sign_in_link import _code_in

    assert client.post("/api/v1/auth/sign-in-link", json={"email": email}).status_code == 202
    worker.drain()
    return _code_in(client, email)


def test_a_strangers_wrong_codes_do_not_pause_the_persons_own(app, client, db, worker, rate_limits):  # noqa: ARG001
    """The security tester: five wrong sign-in codes typed for cleo@example.org by a stranger
    paused her codes for 15 minutes, from anywhere. Wrong codes are counted per client and
    address (``ADMIT_SIGN_IN_CODE_CLIENT_RATE_LIMIT``, 5 an hour): the stranger is paused, and
    her right code from her own machine signs in (the defaults)."""
    from tests.factories import member_joins

    pf = create_portal(db)
    member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
    with clock.travel(timedelta(minutes=5)):  # past the invitation's message (one a minute)
        code = _asks_for_a_code(client, worker, "cleo@example.org")
        answers = _wrong_codes(app, "cleo@example.org", ["203.0.113.7"], 6, code)
        assert answers == [401] * 5 + [429], answers
        right = client.post("/api/v1/auth/sign-in-code", json={"email": "cleo@example.org", "code": code})
        assert right.status_code == 200, right.text


def test_many_clients_guessing_at_one_accounts_code_meet_the_per_account_limit(
    app, client, db, worker, change_settings, rate_limits
):  # noqa: ARG001
    """Guesses spread over many clients are bounded per account
    (``ADMIT_SIGN_IN_CODE_ADDRESS_RATE_LIMIT``, higher than one client's): past it the codes are
    paused for everyone, and the link in the same email still signs in."""
    from tests.auth.test_sign_in_link import _link_token

    change_settings(sign_in_code_client_rate_limit="2/hour", sign_in_code_address_rate_limit="4/hour")
    pf = create_portal(db)
    from tests.factories import member_joins

    member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
    with clock.travel(timedelta(minutes=5)):
        code = _asks_for_a_code(client, worker, "cleo@example.org")
        ips = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        assert _wrong_codes(app, "cleo@example.org", ips, 2, code) == [401] * 4 + [429] * 2
        right = client.post("/api/v1/auth/sign-in-code", json={"email": "cleo@example.org", "code": code})
        assert right.status_code == 429, right.text
        link = _link_token(client, "cleo@example.org")
        assert client.post(f"/api/v1/auth/sign-in-link/{link}").status_code == 200


def test_codes_typed_through_the_api_meet_the_per_client_limit_over_all_addresses(
    app, db, change_settings, rate_limits
):  # noqa: ARG001
    """As every sign-in try (the page's ``/login/code`` already did): a client's guesses at codes
    spread over many addresses meet ``ADMIT_LOGIN_RATE_LIMIT``; the API's ``sign-in-code`` did not
    count them."""
    change_settings(login_rate_limit="3/minute")
    with client_at(app, "203.0.113.7") as stranger:
        answers = [
            stranger.post("/api/v1/auth/sign-in-code", json={"email": f"p{i}@example.org", "code": "123456"})
            for i in range(4)
        ]
    assert [a.status_code for a in answers] == [401, 401, 401, 429], [a.text for a in answers]


def test_an_accounts_email_and_phone_number_are_one_count(app, db, worker, change_settings, rate_limits):  # noqa: ARG001
    """The per-account count bounds guessing at the account's code: typed with its email address
    and with its phone number, the tries are counted together, not twice as many."""
    from admit.members.models import User
    from tests.factories import member_joins

    change_settings(sign_in_code_client_rate_limit="2/hour", sign_in_code_address_rate_limit="3/hour")
    pf = create_portal(db)
    member_joins(db, worker, pf, "cleo@example.org", user_type="client", password=None)
    with db.unit_of_work() as session:
        session.scalar(select(User).where(User.email == "cleo@example.org")).phone = "+12025550173"
    answers = _wrong_codes(app, "cleo@example.org", ["203.0.113.1"], 2, "123456")
    answers += _wrong_codes(app, "+1 202-555-0173", ["203.0.113.2"], 2, "123456")
    assert answers == [401, 401, 401, 429], answers
