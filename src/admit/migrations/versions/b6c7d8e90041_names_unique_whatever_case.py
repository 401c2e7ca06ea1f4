"""Team, client group and workspace names are unique in a portal whatever their case

- ``teams``: the unique index on (portal, kind, name) over live rows becomes one on
  (portal, kind, ``lower(name)``), still over live rows (``deleted_at IS NULL``).
- ``workspaces``: a new unique index on (portal, ``lower(name)``).

Names that are the same by the services' rule (``kit.names``: trimmed, whitespace runs made one
space, case folded) and already in a live database are told apart first, deterministically: in
each set of the same name, the oldest (``created_at``, then ``id``) keeps its name and each later
one is renamed "Design (2)", "Design (3)"…, the first number whose name is free. Going down
puts the plain index back (and drops the workspaces' one); the new names stay.

Revision ID: b6c7d8e90041
Revises: a5b6c7d80040
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "b6c7d8e90041"
down_revision = "a5b6c7d80040"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")
MAX_NAME = 200


def _tidy(name: str) -> str:
    # ``kit.names`` as of this revision (a migration does not follow later changes of the app).
    return " ".join((name or "").split())


def _key(name: str) -> str:
    return _tidy(name).casefold()


def _renamed(name: str, taken: set[str]) -> str:
    """``name (n)`` for the first n from 2 whose key is not in ``taken`` (shortened to fit)."""
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = _tidy(name)[: MAX_NAME - len(suffix)].rstrip() + suffix
        if _key(candidate) not in taken:
            return candidate
        n += 1


def _tell_apart(table: str, scope: Sequence[str], live_only: bool) -> None:
    """Rename the later of each set of rows of ``table`` with the same name within ``scope``."""
    bind = op.get_bind()
    where = " WHERE deleted_at IS NULL" if live_only else ""
    columns = ", ".join(scope)
    rows = bind.execute(
        sa.text(f"SELECT id, {columns}, name FROM {table}{where} ORDER BY created_at, id")  # noqa: S608
    ).all()
    taken: dict[tuple[Any, ...], set[str]] = {}
    for row in rows:
        taken.setdefault(tuple(row[1:-1]), set()).add(_key(row.name))
    kept: set[tuple[Any, ...]] = set()
    for row in rows:
        where_key = (*row[1:-1], _key(row.name))
        if where_key not in kept:
            kept.add(where_key)
            continue
        in_scope = taken[tuple(row[1:-1])]
        name = _renamed(row.name, in_scope)
        in_scope.add(_key(name))
        bind.execute(sa.text(f"UPDATE {table} SET name = :name WHERE id = :id"), {"name": name, "id": row.id})  # noqa: S608


def upgrade() -> None:
    _tell_apart("teams", ("portal_id", "kind"), live_only=True)
    op.drop_index("uq_teams_portal_kind_name", table_name="teams")
    op.create_index(
        "uq_teams_portal_kind_name",
        "teams",
        ["portal_id", "kind", sa.text("lower(name)")],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    _tell_apart("workspaces", ("portal_id",), live_only=False)
    op.create_index(
        "uq_workspaces_portal_name", "workspaces", ["portal_id", sa.text("lower(name)")], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_workspaces_portal_name", table_name="workspaces")
    op.drop_index("uq_teams_portal_kind_name", table_name="teams")
    op.create_index(
        "uq_teams_portal_kind_name",
        "teams",
        ["portal_id", "kind", "name"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
