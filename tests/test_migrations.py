"""Migrations: from empty to head on both backends, and no drift from the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import admit.models  # noqa: F401
from admit.db import Base
from admit.migrate import in_models


class TestMigrations:
    def test_head_matches_models(self, db):
        """The migrated schema is exactly what the models declare (a model change needs a migration)."""
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": in_models(conn.dialect.name)}
            )
            diff = compare_metadata(context, Base.metadata)
        assert diff == []

    def test_upgrade_is_idempotent(self, db, database_url):
        """Running the migrations again on an up-to-date database changes nothing."""
        from admit.migrate import upgrade

        upgrade(database_url)
        with db.engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert version


def test_two_upgrades_at_once_on_a_new_database_both_succeed(database_url):
    """Two ``admit serve`` (which migrate as they start) or two ``admit migrate`` at once on a
    new PostgreSQL database: one crashed with ``duplicate key … pg_type_typname_nsp_index``
    (both made the same tables). They take turns now (an advisory lock, ``migrate.upgrade``):
    the second waits, then finds nothing to do. Two processes (Alembic's context is one per
    process). PostgreSQL only: SQLite is one process's database."""
    import subprocess
    import sys

    from sqlalchemy import create_engine

    from admit.db import normalize_url
    from admit.migrate import head_revision
    from tests import conftest

    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's advisory lock")
    url, drop = conftest._create_pg_database()
    code = "import sys; from admit.migrate import upgrade; upgrade(sys.argv[1])"
    try:
        both = [
            subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        said = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in both]
        assert [code for code, _ in said] == [0, 0], said
        engine = create_engine(normalize_url(url))
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
        engine.dispose()
    finally:
        conftest._drop_pg_database(drop)


class TestTokensMigration:
    def test_live_links_keep_working_across_the_upgrade(self, database_url, tmp_path):
        """Links sent before single-use tokens had their own table still open what they opened
        after the upgrade: a pending invitation can be accepted, an accepted one says so."""
        import hashlib
        import uuid
        from datetime import UTC, datetime, timedelta

        from sqlalchemy import create_engine, text

        from admit.context import Context
        from admit.db import Database, normalize_url
        from admit.flows import join
        from admit.migrate import upgrade
        from admit.settings import Settings
        from tests import conftest

        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / 'old.db'}"
            drop = None
        else:
            url, name = conftest._create_pg_database()
            drop = name
        try:
            upgrade(url, "c5e0a1f00005")  # the schema before tokens
            now = datetime.now(UTC).replace(tzinfo=None)
            portal = uuid.uuid4()
            pending, accepted = uuid.uuid4(), uuid.uuid4()
            engine = create_engine(normalize_url(url))
            ids = (lambda u: u.hex) if url.startswith("sqlite") else (lambda u: str(u))
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO portals (id, slug, name, invitation_ttl_seconds, enabled_products,"
                        " client_require_password, created_at)"
                        " VALUES (:id, 'old', 'Old Co', 3600, '[]', false, :now)"
                    ),
                    {"id": ids(portal), "now": now},
                )
                for inv, raw, status in (
                    (pending, "raw-pending-token", "pending"),
                    (accepted, "raw-used-token", "accepted"),
                ):
                    conn.execute(
                        text(
                            "INSERT INTO invitations (id, portal_id, recipient, recipient_name, user_type,"
                            " role, products, message, status, token_hash, expires_at, created_at,"
                            " send_count, accepted_at) VALUES (:id, :portal, :to, '', 'client', 'client',"
                            " '[]', '', :status, :hash, :exp, :now, 1, :acc)"
                        ),
                        {
                            "id": ids(inv),
                            "portal": ids(portal),
                            "to": f"{status}@example.com",
                            "status": status,
                            "hash": hashlib.sha256(raw.encode()).hexdigest(),
                            "exp": now + timedelta(days=3),
                            "now": now,
                            "acc": now if status == "accepted" else None,
                        },
                    )
            engine.dispose()
            upgrade(url)
            db = Database(url, context=Context(settings=Settings(database_url=url, environment="test")))
            try:
                with db.unit_of_work() as session:
                    assert (
                        join.preview(session, "raw-pending-token").invitation.recipient
                        == "pending@example.com"
                    )
                    assert join.accept(session, token="raw-pending-token").member.status == "active"
                with db.unit_of_work() as session, pytest.raises(Exception) as used:
                    join.preview(session, "raw-used-token")
                assert getattr(used.value, "code", None) == "invitation_gone"
            finally:
                db.dispose()
        finally:
            if drop:
                conftest._drop_pg_database(drop)


def test_this_rounds_migrations_go_down_without_losing_a_portal(tmp_path):
    """Down from head past this round's migrations (HR, actions for a person, time zone) and up
    again, on SQLite: the portals' columns are dropped in place, so nothing cascades away
    (rebuilding ``portals`` with foreign keys on would delete every workspace and member)."""
    from sqlalchemy import create_engine, text

    from admit.context import Context
    from admit.db import Database
    from admit.flows import setup
    from admit.migrate import downgrade, upgrade
    from admit.settings import Settings

    url = f"sqlite:///{tmp_path / 'round.db'}"
    upgrade(url)
    db = Database(url, context=Context.build(Settings(database_url=url, environment="test")))
    with db.unit_of_work() as session:
        setup.create_portal(
            session, name="Keep Inc", owner_email="owner@keep.example", owner_password="keep-password-1"
        )
    db.dispose()
    downgrade(url, "e1f2a3b40029")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM portals")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM members")).scalar() == 1
    engine.dispose()
    upgrade(url)


def test_a_first_start_migrates_without_warnings(tmp_path):
    """``admit serve`` migrates a new SQLite database as it first starts: the person starting it
    sees no library warning (SQLite's batch migrations reflect tables; SQLAlchemy warned about an
    index on an expression, once per table copied)."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'admit.db'}"
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", f"from admit.migrate import upgrade; upgrade({url!r})"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr


def test_web_sessions_user_agent_and_last_seen_go_up_and_down(database_url, tmp_path):
    """On both backends: up to head, a session signed in before the upgrade is last seen when it
    signed in; down one step, the two columns are gone and the session stays; up again."""
    import uuid
    from datetime import datetime

    from sqlalchemy import create_engine, inspect, text

    from admit.db import normalize_url
    from admit.migrate import downgrade, upgrade
    from tests import conftest

    if database_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp_path / 'sessions.db'}", None
    else:
        url, drop = conftest._create_pg_database()
    try:
        upgrade(url, "d8e9f0a10043")  # before the sessions' columns
        engine = create_engine(normalize_url(url))
        ids = (lambda u: u.hex) if url.startswith("sqlite") else str
        user, web_session = uuid.uuid4(), uuid.uuid4()
        signed_in = datetime(2026, 12, 1, 9, 30)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO users (id, email, name, created_at) VALUES (:id, 'old@acme.com', '', :t)"),
                {"id": ids(user), "t": signed_in},
            )
            conn.execute(
                text(
                    "INSERT INTO web_sessions (id, token_hash, user_id, csrf_token, created_at, expires_at)"
                    " VALUES (:id, 'hash', :user, 'csrf', :now, :now)"
                ),
                {"id": ids(web_session), "user": ids(user), "now": signed_in},
            )

        def columns() -> set[str]:
            with engine.connect() as conn:
                return {c["name"] for c in inspect(conn).get_columns("web_sessions")}

        upgrade(url)
        assert {"user_agent", "last_seen_at"} <= columns()
        with engine.connect() as conn:
            seen = conn.execute(text("SELECT last_seen_at FROM web_sessions")).scalar()
        assert seen is not None and str(seen).startswith("2026-12-01 09:30"), seen
        downgrade(url, "d8e9f0a10043")
        assert not {"user_agent", "last_seen_at"} & columns()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM web_sessions")).scalar() == 1
        upgrade(url)
        assert {"user_agent", "last_seen_at"} <= columns()
        engine.dispose()
    finally:
        if drop:
            conftest._drop_pg_database(drop)


def test_an_approved_requests_invitation_is_marked_asked_by_its_old_words(database_url, tmp_path):
    """On both backends: an invitation made by approving a request before ``invitations.asked``
    carried the words "You asked to join the workspace …" as its message; the upgrade marks it
    asked and clears the words (every email of it says the request was approved); a personal
    message is left as it was."""
    import uuid
    from datetime import datetime

    from sqlalchemy import create_engine, text

    from admit.db import normalize_url
    from admit.migrate import upgrade
    from tests import conftest

    if database_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp_path / 'asked.db'}", None
    else:
        url, drop = conftest._create_pg_database()
    try:
        upgrade(url, "b3c4d5e60047")  # before the column
        engine = create_engine(normalize_url(url))
        ids = (lambda u: u.hex) if url.startswith("sqlite") else str
        portal, now = uuid.uuid4(), datetime(2026, 12, 1, 9, 30)
        messages = {
            uuid.uuid4(): "You asked to join the workspace “Q3 Audit”. Your request was approved.",
            uuid.uuid4(): "Welcome! You asked to join the workspace “Q3 Audit” last week.",
        }
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO portals (id, slug, name, invitation_ttl_seconds, enabled_products,"
                    " client_require_password, created_at)"
                    " VALUES (:id, 'acme', 'Acme', 604800, '[]', false, :now)"
                ),
                {"id": ids(portal), "now": now},
            )
            for invitation, message in messages.items():
                conn.execute(
                    text(
                        "INSERT INTO invitations (id, portal_id, recipient, recipient_name, user_type, role,"
                        " products, message, status, expires_at, created_at, send_count) VALUES (:id, :p,"
                        " :to, '', 'client', 'client', '[]', :m, 'pending', :now, :now, 1)"
                    ),
                    {
                        "id": ids(invitation),
                        "p": ids(portal),
                        "to": f"{invitation.hex}@example.org",
                        "m": message,
                        "now": now,
                    },  # fmt: skip
                )
        upgrade(url)
        with engine.connect() as conn:
            rows = {m: bool(a) for m, a in conn.execute(text("SELECT message, asked FROM invitations"))}
        engine.dispose()
        assert rows == {"": True, "Welcome! You asked to join the workspace “Q3 Audit” last week.": False}, (
            rows
        )
    finally:
        if drop:
            conftest._drop_pg_database(drop)


def test_workspace_teams_are_recorded_and_stale_vias_cleared(database_url, tmp_path):
    """On both backends, at e6f7a8b90050: a team someone came into a workspace with is recorded
    as added (its row stays), and someone no longer in that team (taken out by an HR sync or a
    SCIM group before, which left "via" behind) is in the workspace on their own; someone still
    in it keeps "via"."""
    import uuid
    from datetime import datetime

    from sqlalchemy import create_engine, text

    from admit.db import normalize_url
    from admit.migrate import upgrade
    from tests import conftest

    if database_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp_path / 'teams.db'}", None
    else:
        url, drop = conftest._create_pg_database()
    try:
        upgrade(url, "d5e6f7a80049")
        engine = create_engine(normalize_url(url))
        ids = (lambda u: u.hex) if url.startswith("sqlite") else str
        portal, team, ws, stays, left = (uuid.uuid4() for _ in range(5))
        now = datetime(2026, 12, 1, 9, 30)
        rows = [
            "INSERT INTO portals (id, slug, name, invitation_ttl_seconds, enabled_products,"
            " client_require_password, created_at)"
            " VALUES (:portal, 'acme', 'Acme', 604800, '[]', false, :now)",
            "INSERT INTO users (id, name, created_at) VALUES (:stays, 'Stays', :now), (:left, 'Left', :now)",
            "INSERT INTO teams (id, portal_id, kind, name, created_at)"
            " VALUES (:team, :portal, 'team', 'Tax', :now)",
            "INSERT INTO team_members (id, team_id, user_id, created_at) VALUES (:tm, :team, :stays, :now)",
            "INSERT INTO workspaces (id, portal_id, name, kind, created_at)"
            " VALUES (:ws, :portal, 'Q3', 'chat', :now)",
            "INSERT INTO workspace_members (id, workspace_id, user_id, status, via_team_id, created_at)"
            " VALUES (:m1, :ws, :stays, 'joined', :team, :now), (:m2, :ws, :left, 'joined', :team, :now)",
        ]
        values = {"portal": portal, "team": team, "ws": ws, "stays": stays, "left": left}
        values |= {k: uuid.uuid4() for k in ("tm", "m1", "m2")}
        params = {k: ids(v) for k, v in values.items()} | {"now": now}
        with engine.begin() as conn:
            for sql in rows:
                conn.execute(text(sql), params)
        upgrade(url)
        with engine.connect() as conn:
            added = conn.execute(text("SELECT team_id FROM workspace_teams")).scalars().all()
            via = dict(conn.execute(text("SELECT user_id, via_team_id FROM workspace_members")).all())
        engine.dispose()
        norm = lambda v: uuid.UUID(str(v)) if v is not None else None  # noqa: E731
        assert [norm(a) for a in added] == [team]
        assert {norm(u): norm(t) for u, t in via.items()} == {stays: team, left: None}
    finally:
        if drop:
            conftest._drop_pg_database(drop)


def test_revoked_invitees_still_not_joined_leave_their_workspaces(database_url, tmp_path):
    """On both backends, at e5f6a7b80056: someone whose invitation was revoked before Revoke took
    them out of workspaces (the tester's bruno, Not Joined with a Resend that refused) leaves them,
    their role there ended and their open action there for no one; someone with a newer pending
    invitation, and someone joined, stay."""
    import uuid
    from datetime import datetime

    from sqlalchemy import create_engine, text

    from admit.db import normalize_url
    from admit.migrate import upgrade
    from tests import conftest

    if database_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp_path / 'revoked.db'}", None
    else:
        url, drop = conftest._create_pg_database()
    try:
        upgrade(url, "f6a7b8c90057")
        engine = create_engine(normalize_url(url))
        ids = (lambda u: u.hex) if url.startswith("sqlite") else str
        names = (
            "portal",
            "ws",
            "bruno",
            "theo",
            "cleo",
            "i1",
            "i2",
            "i3",
            "m1",
            "m2",
            "m3",
            "role",
            "ra",
            "act",
        )
        values = {k: uuid.uuid4() for k in names}
        now = datetime(2026, 12, 1, 9, 30)
        invitation = (
            "INSERT INTO invitations (id, portal_id, recipient, recipient_name, user_type, role, products,"
            " message, status, expires_at, created_at, send_count)"
            " VALUES (:{id}, :portal, '{to}', '', 'client', 'client', '[]', '', '{status}', :now, :now, 1)"
        )
        rows = [
            "INSERT INTO portals (id, slug, name, invitation_ttl_seconds, enabled_products,"
            " client_require_password, created_at)"
            " VALUES (:portal, 'acme', 'Acme', 604800, '[]', false, :now)",
            "INSERT INTO users (id, name, created_at)"
            " VALUES (:bruno, 'Bruno', :now), (:theo, 'Theo', :now), (:cleo, 'Cleo', :now)",
            invitation.format(id="i1", to="bruno@client.org", status="revoked"),
            invitation.format(id="i2", to="theo@client.org", status="revoked"),
            invitation.format(id="i3", to="theo@client.org", status="pending"),
            "INSERT INTO workspaces (id, portal_id, name, kind, created_at)"
            " VALUES (:ws, :portal, 'Q3', 'flow', :now)",
            "INSERT INTO workspace_members (id, workspace_id, user_id, status, invitation_id, created_at)"
            " VALUES (:m1, :ws, :bruno, 'not_joined', :i1, :now), (:m2, :ws, :theo, 'not_joined', :i2, :now),"
            " (:m3, :ws, :cleo, 'joined', NULL, :now)",
            "INSERT INTO workspace_roles (id, workspace_id, name, position, created_at)"
            " VALUES (:role, :ws, 'Signer', 0, :now)",
            "INSERT INTO workspace_role_assignments (id, role_id, user_id, assigned_at)"
            " VALUES (:ra, :role, :bruno, :now)",
            "INSERT INTO workspace_actions (id, workspace_id, title, assignee_id, created_at)"
            " VALUES (:act, :ws, 'Sign', :bruno, :now)",
        ]
        params = {k: ids(v) for k, v in values.items()} | {"now": now}
        with engine.begin() as conn:
            for sql in rows:
                conn.execute(text(sql), params)
        upgrade(url)
        with engine.connect() as conn:
            members = conn.execute(text("SELECT user_id FROM workspace_members")).scalars().all()
            ended = conn.execute(text("SELECT ended_at FROM workspace_role_assignments")).scalar_one()
            assignee = conn.execute(text("SELECT assignee_id FROM workspace_actions")).scalar_one()
        engine.dispose()
        assert {uuid.UUID(str(m)) for m in members} == {values["theo"], values["cleo"]}
        assert ended is not None and assignee is None
    finally:
        if drop:
            conftest._drop_pg_database(drop)


def test_imports_dead_idempotency_key_is_dropped_and_comes_back_down(database_url, tmp_path):
    """On both backends: at head ``invitation_imports`` has no ``idempotency_key`` nor its unique
    index (imports' keys are kept in ``idempotency_keys``); down one step both are back, with the
    imports kept; up again."""
    from sqlalchemy import create_engine, inspect, text

    from admit.db import normalize_url
    from admit.migrate import downgrade, upgrade
    from tests import conftest

    if database_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp_path / 'imports.db'}", None
    else:
        url, drop = conftest._create_pg_database()
    try:
        engine = create_engine(normalize_url(url))

        def schema() -> tuple[set[str], set[str]]:
            with engine.connect() as conn:
                found = inspect(conn)
                columns = {c["name"] for c in found.get_columns("invitation_imports")}
                indexes = {i["name"] or "" for i in found.get_indexes("invitation_imports")}
            return columns, indexes

        def kept() -> list[int]:
            """An import's rows and those of its two tables that cascade from it: on SQLite a
            batch migration rebuilds the table (drops the old one), which with foreign keys on
            deleted every import's uploaded list and report."""
            with engine.connect() as conn:
                return [
                    conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in ("invitation_imports", "invitation_import_chunks", "invitation_import_rows")
                ]

        upgrade(url)
        columns, indexes = schema()
        assert "idempotency_key" not in columns and "uq_invitation_imports_idempotency" not in indexes
        assert "sha256" in columns
        _an_import_with_its_rows(url)
        downgrade(url, "c9d0e1f20060")
        columns, indexes = schema()
        assert "idempotency_key" in columns and "uq_invitation_imports_idempotency" in indexes
        assert kept() == [1, 1, 1]
        upgrade(url)
        columns, indexes = schema()
        assert "idempotency_key" not in columns and "uq_invitation_imports_idempotency" not in indexes
        assert kept() == [1, 1, 1]
        engine.dispose()
    finally:
        if drop:
            conftest._drop_pg_database(drop)


def _an_import_with_its_rows(url: str) -> None:
    """A portal and one import with one uploaded chunk and one report row, in ``url``'s database
    (at head)."""
    from admit.context import Context
    from admit.db import Database
    from admit.flows import setup
    from admit.imports.models import InvitationImport, InvitationImportChunk, InvitationImportRow
    from admit.settings import Settings

    db = Database(url, context=Context.build(Settings(environment="test")))
    try:
        with db.unit_of_work() as session:
            portal, owner, _key = setup.create_portal(
                session, name="Acme", owner_email="o@acme.com", owner_password="a long enough password 1"
            )
            made = InvitationImport(
                portal_id=portal.id, created_by_id=owner.id, actor_label="o@acme.com", actor_role="owner",
                user_type="client", role="client", sha256="0" * 64,
            )  # fmt: skip
            session.add(made)
            session.flush()
            session.add(InvitationImportChunk(import_id=made.id, seq=0, data=b"email\nada@example.com\n"))
            session.add(
                InvitationImportRow(
                    import_id=made.id, row_number=2, recipient="ada@example.com", code="invited"
                )
            )
    finally:
        db.dispose()
