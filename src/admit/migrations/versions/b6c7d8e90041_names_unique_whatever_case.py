"""Team, client group and workspace names are unique in a portal whatever their case

- ``teams``: the unique index on (portal, kind, name) over live rows becomes one on
  (portal, kind, ``lower(name)``), still over live rows (``deleted_at IS NULL``).
- ``workspaces``: a new unique index on (portal, ``lower(name)``).

Names that are the same by the services' rule (``kit.names``: trimmed, whitespace runs made one
space, case folded), or to the new index (the database's ``lower()``: PostgreSQL's makes "İzmir"
"izmir", which casefold does not), and already in a live database are told apart first, deterministically: in
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


def _renamed(bind: Any, name: str, taken: set[tuple[str, str]]) -> str:
    """``name (n)`` for the first n from 2 whose keys (``_keys``) are not in ``taken`` (shortened
    to fit); its keys are added to ``taken``."""
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = _tidy(name)[: MAX_NAME - len(suffix)].rstrip() + suffix
        lowered = bind.execute(sa.text("SELECT lower(:name)"), {"name": candidate}).scalar_one()
        keys = _keys(candidate, lowered)
        if not keys & taken:
            taken.update(keys)
            return candidate
        n += 1


def _keys(name: str, lowered: str) -> set[tuple[str, str]]:
    """What makes two names one: the services' rule (``_key``), and the new index's, the
    database's own ``lower()``, which may fold a letter otherwise (PostgreSQL makes "İ" "i",
    Python's casefold "i̇"): either alike, the index would refuse the second."""
    return {("key", _key(name)), ("lower", lowered)}


def _tell_apart(table: str, scope: Sequence[str], live_only: bool) -> None:
    """Rename the later of each set of rows of ``table`` with the same name within ``scope``."""
    bind = op.get_bind()
    where = " WHERE deleted_at IS NULL" if live_only else ""
    columns = ", ".join(scope)
    query = f"SELECT id, {columns}, name, lower(name) AS lowered FROM {table}{where} ORDER BY created_at, id"  # noqa: S608
    rows = bind.execute(sa.text(query)).all()
    taken: dict[tuple[Any, ...], set[tuple[str, str]]] = {}
    for row in rows:
        taken.setdefault(tuple(row[1:-2]), set()).update(_keys(row.name, row.lowered))
    kept: dict[tuple[Any, ...], set[tuple[str, str]]] = {}
    for row in rows:
        keys, seen = _keys(row.name, row.lowered), kept.setdefault(tuple(row[1:-2]), set())
        if not keys & seen:
            seen.update(keys)
            continue
        name = _renamed(bind, row.name, taken[tuple(row[1:-2])])
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
