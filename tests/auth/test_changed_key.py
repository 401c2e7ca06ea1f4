"""An authenticator app's secret sealed under one encryption key and read under another (the
operator changed ``ADMIT_ENCRYPTION_KEY``, or ``ADMIT_SECRET_KEY`` it was derived from): the
next code from the app is refused in words that say why and what to do (a recovery code, or an
owner's reset), never a 500, and the operator finds it in the log. Both databases."""

from __future__ import annotations

import logging
import re

from cryptography.fernet import Fernet

from tests.auth.test_gate import EMAIL, POLICIES, enrol, sign_in_again, way_in
from tests.factories import PASSWORD, create_portal, csrf_of

UNREADABLE = "can no longer be read"


def _enrolled_then_key_changed_pf(client, db, worker, change_settings, codes: list | None = None):
    """``EMAIL`` with an app set up in a portal that requires one (returned), then a new
    encryption key; its recovery codes go in ``codes``."""
    pf = create_portal(db)
    _, made = enrol(client, way_in("password", client, db, worker, pf, "internal", POLICIES["2fa"]))
    (codes if codes is not None else []).extend(made)
    change_settings(encryption_key=Fernet.generate_key().decode())
    client.cookies.clear()
    return pf


def _enrolled_then_key_changed(client, db, worker, change_settings) -> list[str]:
    """``_enrolled_then_key_changed_pf``: the recovery codes."""
    codes: list[str] = []
    _enrolled_then_key_changed_pf(client, db, worker, change_settings, codes)
    return codes


def test_the_api_refuses_the_apps_code_in_words_and_a_recovery_code_still_works(
    client, db, worker, change_settings, caplog
):
    """POST /auth/two-factor: 409 saying the app's setup can no longer be read and what to do
    (logged for the operator); a recovery code then signs in."""
    codes = _enrolled_then_key_changed(client, db, worker, change_settings)
    challenge = sign_in_again("password", client, worker).json()["challenge"]
    with caplog.at_level(logging.WARNING, logger="admit.auth"):
        r = client.post("/api/v1/auth/two-factor", json={"challenge": challenge, "code": "123456"})
    assert r.status_code == 409, r.text
    detail = r.json()["detail"]
    assert UNREADABLE in detail and "encryption key" in detail, detail
    assert "recovery code" in detail and "owner" in detail, detail
    assert any(
        "ADMIT_ENCRYPTION_KEY" in rec.getMessage() for rec in caplog.records if rec.name == "admit.auth"
    )
    r = client.post("/api/v1/auth/two-factor", json={"challenge": challenge, "recovery_code": codes[0]})
    assert r.status_code == 200, r.text


def test_the_page_says_it_on_the_code_step(client, db, worker, change_settings):
    """/login/two-factor/verify: the same words on the page (409), not the error page."""
    _enrolled_then_key_changed(client, db, worker, change_settings)
    form = client.get("/login")
    page = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    )
    assert page.url.path == "/login/two-factor"
    r = client.post("/login/two-factor/verify", data={"code": "123456", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 409, r.text
    assert UNREADABLE in r.text and "recovery code" in r.text


def test_an_app_being_set_up_is_started_again(client, db, worker, change_settings):
    """Setting the app up across the change: its first code is refused (409, start again), and
    the setup page shows a new one that works."""
    from tests.auth.test_gate import app_code

    pf = create_portal(db)
    challenge = way_in("password", client, db, worker, pf, "internal", POLICIES["2fa"]).json()["challenge"]
    assert client.post("/api/v1/me/two-factor", json={"challenge": challenge}).status_code == 200
    change_settings(encryption_key=Fernet.generate_key().decode())
    r = client.post("/api/v1/me/two-factor/confirm", json={"challenge": challenge, "code": "123456"})
    assert r.status_code == 409 and "start setting the app up again" in r.json()["detail"], r.text
    client.cookies.clear()
    form = client.get("/login")
    page = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    )
    assert page.status_code == 200 and "Set up two-step verification" in page.text, page.text
    secret = re.search(r'id="totp-key" data-key="([A-Z2-7]+)"', page.text).group(1)
    done = client.post(
        "/login/two-factor/enrol", data={"code": app_code(secret), "csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 200 and "Save your recovery codes" in done.text


def test_the_owners_reset_at_the_console_is_the_way_back(client, db, worker, change_settings, run_cli):
    """``admit members reset-two-factor`` (the console's way, which reads no sealed secret) works
    after the change, and the next sign-in sets a new app up, sealed under the new key."""
    pf = _enrolled_then_key_changed_pf(client, db, worker, change_settings)
    done = run_cli("members", "reset-two-factor", "--portal", pf.slug, EMAIL)
    assert done.exit_code == 0, done.output
    answer = sign_in_again("password", client, worker)
    assert answer.status_code == 401 and answer.json()["code"] == "two_factor_enrolment_required", answer.text
    enrol(client, answer)
