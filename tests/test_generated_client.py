"""A Python client generated from the served OpenAPI document works against the app.

``openapi-python-client`` generates it once per run (into a temporary folder) from
``/api/v1/openapi.json``; each test talks to the test's app through httpx's ASGI transport, so
the client's own request building and response parsing are what is exercised, errors included.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from admit.app import create_app
from admit.db import Database
from admit.settings import Settings
from tests.factories import PASSWORD, create_portal, last_link

PACKAGE = "admit_client"
BASE_URL = "http://testserver"


def _run(coroutine):
    """``asyncio.run`` in a thread of its own: in a pytest process that ran a browser test
    before, Playwright's sync API keeps an event loop running in the main thread, where
    ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """The generated package, imported: ``generated.api``, ``generated.models``, the clients."""
    settings = Settings(database_url="sqlite://", email_backend="dev", run_worker_in_web=False)
    with TestClient(create_app(settings, db=Database(settings.database_url), run_worker=False)) as client:
        document = client.get("/api/v1/openapi.json").json()
    where = tmp_path_factory.mktemp("client")
    (where / "openapi.json").write_text(json.dumps(document))
    # The generator formats its output with ruff, which is in the same environment as Python.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(where / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0 and "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    try:
        package = importlib.import_module(PACKAGE)
        package.api = importlib.import_module(f"{PACKAGE}.api")
        package.models = importlib.import_module(f"{PACKAGE}.models")
        yield package
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(generated, name: str):
    return importlib.import_module(f"{PACKAGE}.api.{name}")


class TestGeneratedClient:
    def test_invite_accept_list_and_a_typed_problem(self, generated, app, db, worker):
        """Invite, accept (then again: the 410 comes back as a typed Problem), list as accepted."""
        create = _module(generated, "invitations.invitations_create")
        accept = _module(generated, "invitations.invitations_accept")
        listing = _module(generated, "invitations.invitations_list")
        m = generated.models
        pf = create_portal(db)

        def transport():
            return {"transport": httpx.ASGITransport(app=app)}

        owner = generated.AuthenticatedClient(
            base_url=BASE_URL, token=pf.api_key, httpx_args=transport(), raise_on_unexpected_status=True
        )
        guest = generated.Client(base_url=BASE_URL, httpx_args=transport(), raise_on_unexpected_status=True)
        stranger = generated.Client(
            base_url=BASE_URL, httpx_args=transport(), raise_on_unexpected_status=True
        )

        async def flow():
            invited = await create.asyncio_detailed(
                pf.slug,
                client=owner,
                body=m.InvitationCreate(
                    recipients=["Ada <ada@example.com>"],
                    user_type=m.InvitationCreateUserType.INTERNAL,
                    role=m.InvitationCreateRoleType0.ADMIN,
                ),
            )
            assert invited.status_code == 201 and isinstance(invited.parsed, m.RecipientResults)
            assert [r.outcome for r in invited.parsed.results] == [m.RecipientResultReadOutcome.INVITED]
            worker.drain()
            token = last_link(db, "ada@example.com")

            accepted = await accept.asyncio(
                token, client=guest, body=m.AcceptRequest(name="Ada", password=PASSWORD)
            )
            assert isinstance(accepted, m.AcceptResponse), accepted
            assert (accepted.user.email, accepted.portal.slug) == ("ada@example.com", pf.slug)

            again = await accept.asyncio_detailed(
                token, client=stranger, body=m.AcceptRequest(password=PASSWORD)
            )
            problem = again.parsed
            assert again.status_code == 410 and isinstance(problem, m.Problem), again.content
            assert problem.code is m.ErrorCode.INVITATION_GONE
            assert (problem.type_, problem.status) == ("/errors#invitation_gone", 410)
            assert "was already used. If you joined, sign in" in problem.detail  # its case

            page = await listing.asyncio(pf.slug, client=owner, status=m.InvitationsListStatusType0.ACCEPTED)
            assert isinstance(page, m.InvitationPage)
            assert [(i.recipient, i.status) for i in page.items] == [
                ("ada@example.com", m.InvitationReadStatus.ACCEPTED)
            ]

        _run(flow())

    def test_validation_problem_lists_the_fields(self, generated, app, db):
        """A 422 from request parsing parses as a Problem with its ``errors``."""
        create = _module(generated, "invitations.invitations_create")
        m = generated.models
        pf = create_portal(db)
        owner = generated.AuthenticatedClient(
            base_url=BASE_URL,
            token=pf.api_key,
            httpx_args={"transport": httpx.ASGITransport(app=app)},
            raise_on_unexpected_status=True,
        )
        body = m.InvitationCreate(recipients=[], user_type=m.InvitationCreateUserType.CLIENT)
        answer = _run(create.asyncio_detailed(pf.slug, client=owner, body=body))
        problem = answer.parsed
        assert answer.status_code == 422 and problem.code is m.ErrorCode.INVALID_INPUT
        assert problem.field == "recipients" and [e.field for e in problem.errors] == ["recipients"]
