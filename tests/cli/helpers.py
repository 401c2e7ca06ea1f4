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


def starts(line: str, *words: str) -> list[int]:
    """Where on screen each of ``words`` starts in ``line``, found in order: a wide letter
    takes two places (``cli._shared.shown_width``). A table's columns are in line when its rows'
    cells start where their headers do."""
    from admit.cli._shared import shown_width

    found, at = [], 0
    for word in words:
        at = line.index(word, at)
        found.append(shown_width(line[:at]))
        at += len(word)
    return found
