"""What the CLI tests share: a portal made by ``admit init``, and counting rows."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.factories import OWNER_PASSWORD


def count(db, model, *where) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def init_portal(run, name="Acme Inc", email="owner@acme.com") -> dict:
    result = run(
        "init", "--portal-name", name, "--owner-email", email, "--owner-password", OWNER_PASSWORD, "--json"
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
