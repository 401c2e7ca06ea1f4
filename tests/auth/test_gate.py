"""The one sign-in gate (issue 11 items 1–2): every way in — an invitation accepted, a link
sign-up confirmed, a sign-in link, a sign-in code, a password — ends in the same gate, which
applies the portal's sign-in policy (a password, a second factor) for the person's type. The
matrix walks each way in × each policy × client/internal, through the real API: after the way
in, the portal answers ``sign_in_incomplete`` with exactly the steps owed (and its pages send
the browser to them); once they are taken it opens; the next sign-in asks the second factor
again. Both databases."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from admit.kit import clock
from admit.members import passwords
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
    """The policy through ``PATCH /portals/{p}/settings``, its two objects."""
    if not policy:
        return
    body: dict = {"client_sign_in": {}, "internal_sign_in": {}}
    for key, value in policy.items():
        kind, _, name = key.partition("_require_")
        body[f"{kind}_sign_in"]["require_two_factor" if name == "2fa" else "require_password"] = value
    r = client.patch(f"/api/v1/portals/{pf.slug}/settings", json=body, headers=pf.headers())
    assert r.status_code == 200, r.text
    read = client.get(f"/api/v1/portals/{pf.slug}/settings", headers=pf.headers()).json()
    for kind in ("client", "internal"):
        assert {k: v for k, v in read[f"{kind}_sign_in"].items() if k in body[f"{kind}_sign_in"]} == body[
            f"{kind}_sign_in"
        ]


def mail_to(client, email: str) -> dict:
    items = client.get("/api/v1/dev/messages", params={"to": email}).json()["items"]
    assert items, f"no mail to {email}"
    return items[0]


def way_in(way: str, client, db, worker, pf, user_type: str, policy: dict):
    """Sign ``EMAIL`` in to ``pf`` the ``way`` named; returns the answer of the way in."""
    needs_password = user_type == "internal" or policy.get("client_require_password", False)
    if way == "invitation":
        set_policy(client, pf, policy)
        invite(db, pf, [EMAIL], user_type=user_type, role="member" if user_type == "internal" else None)
        worker.drain()
        body = {"name": "Ada", **({"password": PASSWORD} if needs_password else {})}
        return client.post(f"/api/v1/invitations/{last_link(db, EMAIL)}/accept", json=body)
    if way == "link_signup":
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
        return client.post(
            f"/api/v1/links/confirm/{confirm}", json={"password": PASSWORD} if needs_password else {}
        )
    # Already a member from before the policy: passwordless for a link or a code (only accounts
    # without a password are sent them), with one for a password.
    active_member(db, pf, EMAIL, user_type=user_type, password=PASSWORD if way == "password" else None)
    set_policy(client, pf, policy)
    return sign_in_again(way, client, worker)


def sign_in_again(way: str, client, worker, password: str = PASSWORD):
    if way == "password":
        return client.post("/api/v1/auth/login", json={"email": EMAIL, "password": password})
    assert client.post("/api/v1/auth/sign-in-link", json={"email": EMAIL}).status_code == 202
    worker.drain()
    text = mail_to(client, EMAIL)["text"]
    if way == "sign_in_code":
        code = "".join(re.search(r"on the sign-in page: (\d{3}) (\d{3})", text).groups())
        return client.post("/api/v1/auth/sign-in-code", json={"email": EMAIL, "code": code})
    return client.post(f"/api/v1/auth/sign-in-link/{token_in(text, 'sign_in')}")


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
    """What the portal still asks once the sign-in (and its second factor) is complete: only
    someone who came in without choosing a password can owe one — a passwordless client signing
    in by link or code once the portal asks clients for a password."""
    if (
        user_type == "client"
        and policy.get("client_require_password")
        and way in ("sign_in_link", "sign_in_code")
    ):
        return ["choose_password"]
    return []


def steps_of(client, pf) -> list[str]:
    """What the session owes the portal, as the gate's endpoint says it and GET /me agrees."""
    r = client.get(f"/api/v1/auth/sign-in-steps/{pf.slug}")
    assert r.status_code == 200, r.text
    mine = [p for p in client.get("/api/v1/me").json()["portals"] if p["slug"] == pf.slug]
    assert [p["sign_in_steps"] for p in mine] == [r.json()["steps"]], mine
    return r.json()["steps"]


def app_code(secret: str, *, later: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=later))


@pytest.mark.parametrize(("way", "policy_name", "user_type"), CASES)
def test_every_way_in_ends_in_the_gate(client, db, worker, way, policy_name, user_type):
    pf = create_portal(db)
    policy = POLICIES[policy_name]
    r = way_in(way, client, db, worker, pf, user_type, policy)
    secret = first_code = None
    if policy.get(f"{user_type}_require_2fa"):
        # No session yet: the way in did its work and asks for an authenticator app first.
        assert r.status_code == 401 and r.json()["code"] == "two_factor_enrolment_required", r.text
        assert client.get(f"/api/v1/auth/sign-in-steps/{pf.slug}").status_code == 401
        challenge = r.json()["challenge"]
        started = client.post("/api/v1/me/two-factor", json={"challenge": challenge})
        assert started.status_code == 200, started.text
        secret = started.json()["secret"]
        assert "issuer=Acme" in started.json()["otpauth_uri"] and started.json()["qr_svg"].startswith("<svg")
        first_code = app_code(secret)
        r = client.post("/api/v1/me/two-factor/confirm", json={"challenge": challenge, "code": first_code})
        assert r.status_code == 200, r.text
        assert len(set(r.json()["recovery_codes"])) == 10 and r.json()["csrf_token"]
        again = client.post(
            "/api/v1/me/two-factor/confirm", json={"challenge": challenge, "code": app_code(secret)}
        )
        assert again.status_code >= 400  # the challenge is spent
    else:
        assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    owed = expected_steps(way, policy, user_type)
    assert steps_of(client, pf) == owed

    gated = client.get(f"/api/v1/portals/{pf.slug}/invitations")
    page = client.get(f"/p/{pf.slug}", follow_redirects=False)
    if owed:
        assert gated.status_code == 403 and gated.json()["code"] == "sign_in_incomplete"
        assert gated.json()["steps"] == owed
        assert page.status_code == 303 and f"/p/{pf.slug}/sign-in/steps?next=" in page.headers["location"]
        if owed[0] == "choose_password":  # its hint says every rule, as the other password forms do
            steps_page = client.get(page.headers["location"])
            rules = passwords.rules_in_words(client.app.state.db.context.settings.password_min_length, EMAIL)
            assert html.escape(rules, quote=True) in steps_page.text or rules in steps_page.text
        assert (
            client.post(
                "/api/v1/auth/password",
                json={"password": "a new passphrase 42"},
                headers={"X-CSRF-Token": csrf},
            ).status_code
            == 204
        )
        assert steps_of(client, pf) == []
    assert client.get(f"/api/v1/portals/{pf.slug}/invitations").json().get("code") != "sign_in_incomplete"
    assert "/sign-in/" not in client.get(f"/p/{pf.slug}", follow_redirects=False).headers.get("location", "")
    if secret is None:
        return
    # The next sign-in asks for the app's code before it starts a session.
    client.cookies.clear()
    has_password = user_type == "internal" or policy.get("client_require_password") or way == "password"
    r = sign_in_again(
        "password" if has_password else way,
        client,
        worker,
        password="a new passphrase 42" if owed else PASSWORD,
    )
    assert r.status_code == 401 and r.json()["code"] == "two_factor_required", r.text
    challenge = r.json()["challenge"]
    same = client.post("/api/v1/auth/two-factor", json={"challenge": challenge, "code": first_code})
    assert same.status_code == 422  # the code that confirmed the app cannot be used again
    with clock.travel(timedelta(seconds=30)):
        r = client.post("/api/v1/auth/two-factor", json={"challenge": challenge, "code": app_code(secret)})
        assert r.status_code == 200, r.text
        assert steps_of(client, pf) == []
        assert (
            client.post(
                "/api/v1/auth/two-factor", json={"challenge": challenge, "code": app_code(secret)}
            ).status_code
            >= 400
        )  # spent


def enrol(client, answer) -> tuple[str, list[str]]:
    """Set up the app with the challenge of ``answer`` (a 401 two_factor_enrolment_required);
    returns its secret and the recovery codes."""
    assert answer.json()["code"] == "two_factor_enrolment_required", answer.text
    challenge = answer.json()["challenge"]
    secret = client.post("/api/v1/me/two-factor", json={"challenge": challenge}).json()["secret"]
    r = client.post("/api/v1/me/two-factor/confirm", json={"challenge": challenge, "code": app_code(secret)})
    assert r.status_code == 200, r.text
    return secret, r.json()["recovery_codes"]


class TestSecondFactor:
    def test_a_recovery_code_works_once(self, client, db, worker):
        pf = create_portal(db)
        _, codes = enrol(client, way_in("password", client, db, worker, pf, "internal", POLICIES["2fa"]))
        for attempt, code in enumerate((codes[0].upper(), codes[0], codes[1])):
            client.cookies.clear()
            challenge = sign_in_again("password", client, worker).json()["challenge"]
            r = client.post("/api/v1/auth/two-factor", json={"challenge": challenge, "recovery_code": code})
            assert r.status_code == (422 if attempt == 1 else 200), r.text

    def test_a_wrong_code_is_refused_and_the_secret_is_sealed(self, client, db, worker):
        from admit.auth.models import TotpFactor

        pf = create_portal(db)
        challenge = way_in("password", client, db, worker, pf, "internal", POLICIES["2fa"]).json()[
            "challenge"
        ]
        secret = client.post("/api/v1/me/two-factor", json={"challenge": challenge}).json()["secret"]
        r = client.post("/api/v1/me/two-factor/confirm", json={"challenge": challenge, "code": "000000"})
        assert r.status_code == 422 and r.json()["field"] == "code"
        # Setting the app up, there is no recovery code yet to offer.
        assert (
            r.json()["detail"]
            == "That code is not right. Use the 6-digit code your authenticator app shows now."
        )
        assert client.get(f"/api/v1/auth/sign-in-steps/{pf.slug}").status_code == 401  # still no session
        with db.unit_of_work() as session:
            assert secret not in session.scalar(select(TotpFactor.secret_sealed))

    def test_a_policy_change_waits_for_the_next_sign_in(self, client, db, worker):
        pf = create_portal(db)
        assert way_in("password", client, db, worker, pf, "internal", {}).status_code == 200
        set_policy(client, pf, POLICIES["2fa"])
        assert steps_of(client, pf) == []  # this session began before the change
        client.cookies.clear()
        r = sign_in_again("password", client, worker)
        assert r.status_code == 401 and r.json()["code"] == "two_factor_enrolment_required"
        with db.unit_of_work() as session:
            assert session.scalar(select(User.email).where(User.email == EMAIL))  # nothing undone

    def test_turning_it_off_takes_a_code_and_is_refused_where_required(self, client, db, worker):
        pf = create_portal(db)
        secret, _ = enrol(client, way_in("password", client, db, worker, pf, "internal", POLICIES["2fa"]))
        client.cookies.clear()
        csrf = client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}).json()
        assert csrf["code"] == "two_factor_required"  # a fresh sign-in asks for it
        with clock.travel(timedelta(seconds=30)):
            r = client.post(
                "/api/v1/auth/two-factor", json={"challenge": csrf["challenge"], "code": app_code(secret)}
            )
        headers = {"X-CSRF-Token": r.json()["csrf_token"]}
        off = client.request(
            "DELETE", "/api/v1/me/two-factor", json={"code": app_code(secret, later=60)}, headers=headers
        )
        assert off.status_code == 409, off.text  # the portal requires it
        set_policy(client, pf, {"internal_require_2fa": False})
        wrong = client.request("DELETE", "/api/v1/me/two-factor", json={"code": "123456"}, headers=headers)
        assert wrong.status_code == 422
        with clock.travel(timedelta(seconds=60)):
            off = client.request(
                "DELETE", "/api/v1/me/two-factor", json={"code": app_code(secret)}, headers=headers
            )
        assert off.status_code == 204, off.text
        client.cookies.clear()
        assert sign_in_again("password", client, worker).status_code == 200  # no code asked any more


def test_the_pages_take_the_browser_through_and_back(client, db, worker):
    """The pages: a password sign-in to a portal that requires two-step verification goes to
    setting up the app (a QR code and its key, read here from the page), then the recovery codes,
    then where it was going; the next sign-in asks for the code."""
    from tests.factories import csrf_of

    pf = create_portal(db)
    active_member(db, pf, EMAIL, user_type="internal", password=PASSWORD)
    set_policy(client, pf, POLICIES["2fa"])
    form = client.get(f"/login?next=/p/{pf.slug}/workspaces")
    page = client.post(
        "/login",
        data={
            "email": EMAIL,
            "password": PASSWORD,
            "next": f"/p/{pf.slug}/workspaces",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert page.url.path == "/login/two-factor" and "Set up two-step verification" in page.text
    assert "<svg" in page.text and "Acme Inc asks for a code" in page.text
    assert (
        client.get(f"/p/{pf.slug}/workspaces", follow_redirects=False)
        .headers["location"]
        .startswith("/login")
    )
    secret = re.search(r'id="totp-key" data-key="([A-Z2-7]+)"', page.text).group(1)
    bad = client.post(
        "/login/two-factor/enrol",
        data={"code": "123456", "next": f"/p/{pf.slug}/workspaces", "csrf_token": csrf_of(page.text)},
    )
    assert bad.status_code == 422 and "That code is not right" in bad.text
    done = client.post(
        "/login/two-factor/enrol",
        data={"code": app_code(secret), "next": f"/p/{pf.slug}/workspaces", "csrf_token": csrf_of(page.text)},
    )
    assert done.status_code == 200 and "Save your recovery codes" in done.text
    assert len(re.findall(r"<li><code>[0-9a-f]{5}-[0-9a-f]{5}</code></li>", done.text)) == 10
    back = client.get(re.search(r'href="([^"]+)">I have saved them', done.text).group(1))
    assert back.url.path == f"/p/{pf.slug}/workspaces" and back.status_code == 200

    client.cookies.clear()
    form = client.get("/login")
    page = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    )
    assert page.url.path == "/login/two-factor" and "Two-step verification" in page.text
    with clock.travel(timedelta(seconds=30)):
        home = client.post(
            "/login/two-factor/verify", data={"code": app_code(secret), "csrf_token": csrf_of(page.text)}
        )
    assert home.status_code == 200 and home.url.path.startswith(f"/p/{pf.slug}")


def test_a_refused_app_code_is_kept_and_said_under_its_field(client, db, worker):
    """As the emailed sign-in code's step: a wrong code from the app (setting it up, then signing
    in with it) stays in the field as typed, the field marked and the refusal under it, not
    emptied with the refusal in a box on top."""
    from tests.factories import csrf_of, said_under

    def refused(page) -> None:
        assert page.status_code == 422, page.text
        assert said_under(page.text, "code").startswith("That code is not right")
        assert re.search(r'<input id="code"[^>]*value="123456"', page.text), page.text
        assert 'class="notice error"' not in page.text

    pf = create_portal(db)
    active_member(db, pf, EMAIL, user_type="internal", password=PASSWORD)
    set_policy(client, pf, POLICIES["2fa"])
    signing_in = {"email": EMAIL, "password": PASSWORD}
    form = client.get("/login")
    page = client.post("/login", data={**signing_in, "csrf_token": csrf_of(form.text)})
    assert "Set up two-step verification" in page.text
    secret = re.search(r'id="totp-key" data-key="([A-Z2-7]+)"', page.text).group(1)
    token = {"csrf_token": csrf_of(page.text)}
    refused(client.post("/login/two-factor/enrol", data={"code": "123456", **token}))
    done = client.post("/login/two-factor/enrol", data={"code": app_code(secret), **token})
    assert done.status_code == 200 and "Save your recovery codes" in done.text

    client.cookies.clear()
    form = client.get("/login")
    page = client.post("/login", data={**signing_in, "csrf_token": csrf_of(form.text)})
    assert page.url.path == "/login/two-factor"
    token = {"csrf_token": csrf_of(page.text)}
    refused(client.post("/login/two-factor/verify", data={"code": "123456", **token}))


def test_the_authenticator_names_the_portals_never_admit(client, db, worker):
    """Someone in two portals sees both names in their app, not a product name they never saw."""
    from urllib.parse import unquote

    from tests.factories import active_member, login

    acme = create_portal(db)
    beta = create_portal(db, name="Beta Co", owner_email="owner@beta.example")
    active_member(db, acme, "ivy@acme.com")
    with db.unit_of_work() as session:  # the same account, in Beta Co too
        from admit.members import service as members_service

        user = members_service.get_user_by_address(session, "ivy@acme.com")
        members_service.activate(
            session,
            portal_id=beta.portal_id,
            user_id=user.id,
            user_type="internal",
            role="member",
            products=[],
            via="invitation",
        )
    csrf = login(client, "ivy@acme.com")
    started = client.post("/api/v1/me/two-factor", headers={"X-CSRF-Token": csrf})
    assert started.status_code == 200, started.text
    uri = unquote(started.json()["otpauth_uri"])
    assert "issuer=Acme Inc · Beta Co" in uri and "Admit" not in uri


def test_a_sign_in_email_for_someone_in_two_portals_names_both(client, db, worker):
    from admit.members import service as members_service
    from admit.notifications import mailbox
    from tests.factories import active_member

    acme = create_portal(db)
    beta = create_portal(db, name="Beta Co", owner_email="owner@beta.example")
    active_member(db, acme, "ivy@acme.com", user_type="client", password=None)
    with db.unit_of_work() as session:
        user = members_service.get_user_by_address(session, "ivy@acme.com")
        members_service.activate(
            session,
            portal_id=beta.portal_id,
            user_id=user.id,
            user_type="client",
            role="client",
            products=[],
            via="invitation",
        )
    assert client.post("/api/v1/auth/sign-in-link", json={"email": "ivy@acme.com"}).status_code == 202
    worker.drain()
    with db.unit_of_work() as session:
        (message,) = mailbox.messages(session, to="ivy@acme.com", limit=1)
        assert "sign in to Acme Inc · Beta Co as ivy@acme.com" in message.text
        assert "Admit" not in message.text


def _sign_ins(db) -> list[str]:
    from admit.audit.models import AuditEvent
    from admit.audit.words import sentence

    with db.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.signed_in").order_by(AuditEvent.created_at)
        ).all()
        return [sentence(e) for e in events]


@pytest.mark.parametrize(
    ("way", "said"),
    [
        ("password", "signed in with a password"),
        ("sign_in_link", "signed in with a sign-in link"),
        ("sign_in_code", "signed in with a sign-in code"),
    ],
)
def test_every_sign_in_says_how_two_step_verification_included(client, db, worker, way, said):
    """The audit log says how each sign-in was made, and "and two-step verification" when the app's
    code was asked: a sign-in finished with the code said only "signed in", and a link and a code
    read alike ("with a sign-in link or code")."""
    pf = create_portal(db)
    user_type = "internal" if way == "password" else "client"
    assert way_in(way, client, db, worker, pf, user_type, {}).status_code == 200
    secret, _ = enrol(client, _answer_with_challenge(client, pf, way, worker))
    client.cookies.clear()
    challenge = sign_in_again(way, client, worker).json()["challenge"]
    with clock.travel(timedelta(seconds=30)):
        r = client.post("/api/v1/auth/two-factor", json={"challenge": challenge, "code": app_code(secret)})
    assert r.status_code == 200, r.text
    # Before the app, setting it up (which signs in too), and with its code.
    two_step = f"{said} and two-step verification"
    assert [s[s.index("signed in") :] for s in _sign_ins(db)] == [said, two_step, two_step]


def _answer_with_challenge(client, pf, way, worker):
    """Require the app of everyone, then sign in the ``way`` again: the answer asks to set it up."""
    set_policy(client, pf, POLICIES["2fa"])
    client.cookies.clear()
    return sign_in_again(way, client, worker)
