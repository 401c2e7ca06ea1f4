"""The one sign-in gate (issue 11 items 1–2): every way in — an invitation accepted, a link
sign-up confirmed, a sign-in link, a sign-in code, a password — ends in the same gate, which
applies the portal's sign-in policy (a password, a second factor) for the person's type. The
matrix walks each way in × each policy × client/internal, through the real API: after the way
in, the portal answers ``sign_in_incomplete`` with exactly the steps owed (and its pages send
the browser to them); once they are taken it opens; the next sign-in asks the second factor
again. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from admit.kit import clock
from admit.members.models import User
from tests.factories import PASSWORD, active_member, create_portal, invite, last_link, token_in

POLICIES = {
    "none": {},
    "password": {"client_require_password": True},
    "2fa": {"client_require_2fa": True, "internal_require_2fa": True},
    "password+2fa": {
        "client_require_password": True,
        "client_require_2fa": True,
        "internal_require_2fa": True,
    },
}
WAYS = ("invitation", "link_signup", "sign_in_link", "sign_in_code", "password")
EMAIL = "ada@acme.com"


def set_policy(client, pf, policy: dict) -> None:
    if policy:
        r = client.patch(f"/api/v1/portals/{pf.slug}", json=policy, headers=pf.headers())
        assert r.status_code == 200, r.text


def mail_to(client, email: str) -> dict:
    items = client.get("/api/v1/dev/messages", params={"to": email}).json()["items"]
    assert items, f"no mail to {email}"
    return items[0]


def way_in(way: str, client, db, worker, pf, user_type: str, policy: dict) -> str:
    """Sign ``EMAIL`` in to ``pf`` the ``way`` named; returns the session's CSRF token."""
    needs_password = user_type == "internal" or policy.get("client_require_password", False)
    if way == "invitation":
        set_policy(client, pf, policy)
        invite(db, pf, [EMAIL], user_type=user_type, role="member" if user_type == "internal" else None)
        worker.drain()
        body = {"name": "Ada", **({"password": PASSWORD} if needs_password else {})}
        r = client.post(f"/api/v1/invitations/{last_link(db, EMAIL)}/accept", json=body)
    elif way == "link_signup":
        r = client.patch(
            f"/api/v1/portals/{pf.slug}/link",
            json={"enabled": True, "user_type": user_type},
            headers=pf.headers(),
        )
        assert r.status_code == 200, r.text
        set_policy(client, pf, policy)
        token = r.json()["url"].rsplit("/join/", 1)[1]
        r = client.post(f"/api/v1/links/{token}/signup", json={"email": EMAIL, "name": "Ada"})
        assert r.status_code == 202, r.text
        worker.drain()
        confirm = token_in(mail_to(client, EMAIL)["text"], "confirm")
        r = client.post(
            f"/api/v1/links/confirm/{confirm}", json={"password": PASSWORD} if needs_password else {}
        )
    else:
        # Already a member from before the policy: passwordless for a link or a code (only
        # accounts without a password are sent them), with one for a password.
        active_member(db, pf, EMAIL, user_type=user_type, password=PASSWORD if way == "password" else None)
        set_policy(client, pf, policy)
        if way == "password":
            r = client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        else:
            assert client.post("/api/v1/auth/sign-in-link", json={"email": EMAIL}).status_code == 202
            worker.drain()
            text = mail_to(client, EMAIL)["text"]
            if way == "sign_in_link":
                r = client.post(f"/api/v1/auth/sign-in-link/{token_in(text, 'sign_in')}")
            else:
                code = "".join(re.search(r"sign-in page instead: (\d{3}) (\d{3})", text).groups())
                r = client.post("/api/v1/auth/sign-in-code", json={"email": EMAIL, "code": code})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def applicable(way: str, user_type: str) -> bool:
    # Internal users always have a password, and accounts with a password are sent no sign-in
    # link or code: they sign in with the password.
    return not (user_type == "internal" and way in ("sign_in_link", "sign_in_code"))


CASES = [
    pytest.param(way, name, user_type, id=f"{way}-{name}-{user_type}")
    for way in WAYS
    for name in POLICIES
    for user_type in ("client", "internal")
    if applicable(way, user_type)
]


def expected_steps(way: str, policy: dict, user_type: str) -> list[str]:
    steps = []
    # Only someone who came in without choosing one can owe a password: a passwordless client
    # member signing in by link or code, once the portal asks clients for a password.
    if (
        user_type == "client"
        and policy.get("client_require_password")
        and way in ("sign_in_link", "sign_in_code")
    ):
        steps.append("choose_password")
    if policy.get(f"{user_type}_require_2fa"):
        steps.append("enrol_second_factor")
    return steps


def steps_of(client, pf) -> list[str]:
    r = client.get(f"/api/v1/auth/sign-in-steps/{pf.slug}")
    assert r.status_code == 200, r.text
    return r.json()["steps"]


def app_code(secret: str, *, later: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=later))


@pytest.mark.parametrize(("way", "policy_name", "user_type"), CASES)
def test_every_way_in_ends_in_the_gate(client, db, worker, way, policy_name, user_type):
    pf = create_portal(db)
    policy = POLICIES[policy_name]
    csrf = way_in(way, client, db, worker, pf, user_type, policy)
    headers = {"X-CSRF-Token": csrf}
    owed = expected_steps(way, policy, user_type)
    assert steps_of(client, pf) == owed

    gated = client.get(f"/api/v1/portals/{pf.slug}/invitations")
    page = client.get(f"/p/{pf.slug}", follow_redirects=False)
    if owed:
        assert gated.status_code == 403 and gated.json()["code"] == "sign_in_incomplete"
        assert gated.json()["steps"] == owed
        assert page.status_code == 303 and f"/p/{pf.slug}/sign-in/steps?next=" in page.headers["location"]
    else:
        assert gated.json().get("code") != "sign_in_incomplete"
        assert "/sign-in/steps" not in page.headers.get("location", "")
        return

    secret = None
    for step in owed:
        if step == "choose_password":
            assert (
                client.post(
                    "/api/v1/auth/password", json={"password": "a new passphrase 42"}, headers=headers
                ).status_code
                == 204
            )
        else:
            enrolment = client.post(
                f"/api/v1/auth/second-factor/enrol?portal={pf.slug}", headers=headers
            ).json()
            secret = enrolment["secret"]
            assert "issuer=Acme" in enrolment["uri"] and enrolment["qr_svg"].startswith("<svg")
            r = client.post(
                "/api/v1/auth/second-factor/confirm", json={"code": app_code(secret)}, headers=headers
            )
            assert r.status_code == 200, r.text
            assert len(set(r.json()["recovery_codes"])) == 10
    assert steps_of(client, pf) == []
    assert (
        client.get(f"/p/{pf.slug}", follow_redirects=False).headers.get("location", "").find("/sign-in/")
        == -1
    )
    if secret is None:
        return
    # The next sign-in, by password (the one they have now), asks for the app's code again.
    client.cookies.clear()
    r = client.post(
        "/api/v1/auth/login",
        json={
            "email": EMAIL,
            "password": PASSWORD
            if way in ("invitation", "link_signup", "password") or user_type == "internal"
            else "a new passphrase 42",
        },
    )
    if r.status_code != 200:  # a passwordless client with no password required: back by link
        assert client.post("/api/v1/auth/sign-in-link", json={"email": EMAIL}).status_code == 202
        worker.drain()
        r = client.post(f"/api/v1/auth/sign-in-link/{token_in(mail_to(client, EMAIL)['text'], 'sign_in')}")
    assert r.status_code == 200, r.text
    headers = {"X-CSRF-Token": r.json()["csrf_token"]}
    assert steps_of(client, pf) == ["verify_second_factor"]
    same = client.post("/api/v1/auth/second-factor/verify", json={"code": app_code(secret)}, headers=headers)
    assert same.status_code == 422  # the code used to confirm cannot be used again
    with clock.travel(timedelta(seconds=30)):
        r = client.post("/api/v1/auth/second-factor/verify", json={"code": app_code(secret)}, headers=headers)
        assert r.status_code == 204, r.text
        assert steps_of(client, pf) == []


class TestSecondFactor:
    def test_a_recovery_code_works_once(self, client, db, worker):
        pf = create_portal(db)
        csrf = way_in("password", client, db, worker, pf, "internal", POLICIES["2fa"])
        headers = {"X-CSRF-Token": csrf}
        secret = client.post("/api/v1/auth/second-factor/enrol", headers=headers).json()["secret"]
        codes = client.post(
            "/api/v1/auth/second-factor/confirm", json={"code": app_code(secret)}, headers=headers
        ).json()["recovery_codes"]
        for attempt in range(2):
            client.cookies.clear()
            r = client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
            headers = {"X-CSRF-Token": r.json()["csrf_token"]}
            r = client.post(
                "/api/v1/auth/second-factor/verify", json={"code": codes[0].upper()}, headers=headers
            )
            assert r.status_code == (204 if attempt == 0 else 422), r.text
        assert (
            client.post(
                "/api/v1/auth/second-factor/verify", json={"code": codes[1]}, headers=headers
            ).status_code
            == 204
        )

    def test_a_wrong_code_is_refused_and_the_secret_is_sealed(self, client, db, worker):
        pf = create_portal(db)
        csrf = way_in("password", client, db, worker, pf, "internal", POLICIES["2fa"])
        headers = {"X-CSRF-Token": csrf}
        secret = client.post("/api/v1/auth/second-factor/enrol", headers=headers).json()["secret"]
        r = client.post("/api/v1/auth/second-factor/confirm", json={"code": "000000"}, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "code"
        assert steps_of(client, pf) == ["enrol_second_factor"]
        from admit.auth.models import TotpFactor

        with db.unit_of_work() as session:
            assert secret not in session.scalar(select(TotpFactor.secret_sealed))

    def test_a_policy_change_waits_for_the_next_sign_in(self, client, db, worker):
        pf = create_portal(db)
        way_in("password", client, db, worker, pf, "internal", {})
        assert steps_of(client, pf) == []
        set_policy(client, pf, POLICIES["2fa"])
        assert steps_of(client, pf) == []  # this session began before the change
        client.cookies.clear()
        client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert steps_of(client, pf) == ["enrol_second_factor"]
        with db.unit_of_work() as session:
            assert session.scalar(select(User.email).where(User.email == EMAIL))  # still there


def test_the_steps_page_takes_the_browser_through_and_back(client, db, worker):
    """The pages: the portal sends the browser to its step (here: set up the app, with a QR
    code), then the recovery codes, then where it was going."""
    from tests.factories import csrf_of

    pf = create_portal(db)
    way_in("password", client, db, worker, pf, "internal", POLICIES["2fa"])
    page = client.get(f"/p/{pf.slug}/workspaces")
    assert page.url.path == f"/p/{pf.slug}/sign-in/steps" and "Set up two-step verification" in page.text
    assert "<svg" in page.text and "Acme Inc asks for a code" in page.text
    secret = re.search(r'id="totp-key">([A-Z2-7]+)<', page.text).group(1)
    bad = client.post(
        f"/p/{pf.slug}/sign-in/enrol",
        data={"code": "123456", "next": f"/p/{pf.slug}/workspaces", "csrf_token": csrf_of(page.text)},
    )
    assert bad.status_code == 422 and "That code is not right" in bad.text
    done = client.post(
        f"/p/{pf.slug}/sign-in/enrol",
        data={"code": app_code(secret), "next": f"/p/{pf.slug}/workspaces", "csrf_token": csrf_of(page.text)},
    )
    assert done.status_code == 200 and "Save your recovery codes" in done.text
    assert len(re.findall(r"<li><code>[0-9a-f]{5}-[0-9a-f]{5}</code></li>", done.text)) == 10
    back = client.get(
        re.search(r'href="([^"]+)">I have saved them', done.text).group(1).replace("&amp;", "&")
    )
    assert back.url.path == f"/p/{pf.slug}/workspaces"
