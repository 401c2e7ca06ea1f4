"""Team, client-group and workspace names are unique in a portal whatever their case and spacing
(``kit.names``): refused the same way by the service, the API, the pages, the CLI and SCIM, held
by the database when two ask at once, and told apart by the migration where a database already
had the same name twice. On both backends."""

from __future__ import annotations

import html
import threading

import pytest
from sqlalchemy import create_engine, select, text

from admit.errors import TeamExists, WorkspaceExists
from admit.kit import names
from admit.teams import service as teams_service
from admit.teams.models import Team
from admit.workspaces import service as workspaces_service
from admit.workspaces.models import Workspace
from tests.factories import OWNER_PASSWORD, actor_for, csrf_of, sign_in_page
from tests.workspaces.helpers import api, create_portal, create_workspace


class TestTheRule:
    def test_same_name_whatever_case_and_spacing(self):
        """Trimmed, whitespace runs made one space and case folded: one name; other words are not."""
        assert names.tidy("  Product \t  design\n") == "Product design"
        assert names.key("Design") == names.key(" design ") == names.key("DESIGN")
        assert names.key("Straße") == names.key("STRASSE")
        assert names.key("Ｄesign") == names.key("Design")  # full-width letters (NFKC)
        assert names.key("Product design") == names.key("product   DESIGN")
        assert names.key("Design") != names.key("Designs")


class TestTeamsService:
    def test_a_team_of_the_same_name_is_refused_naming_the_one_there(self, db):
        """ "Design" then " design " / "DESIGN": refused on ``name``, naming “Design”; a client
        group may still be called so; the name is kept tidy."""
        pf = create_portal(db)
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            teams_service.create(session, actor, kind="team", name="  Design   team ")
        for again in (" design team", "DESIGN  TEAM", "Design\tTeam"):
            with db.unit_of_work() as session, pytest.raises(TeamExists) as refused:
                teams_service.create(
                    session, actor_for(session, pf.slug, pf.owner_email), kind="team", name=again
                )
            assert refused.value.message == "A team named “Design team” exists already."
            assert refused.value.fields["field"] == "name"
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            teams_service.create(session, actor, kind="client_group", name="design team")
            teams_service.create(session, actor, kind="client_group", name="Smith family")
            with pytest.raises(TeamExists) as refused:
                teams_service.create(session, actor, kind="client_group", name="SMITH FAMILY")
            assert refused.value.message == "A client group named “Smith family” exists already."
        with db.unit_of_work() as session:
            assert sorted(session.scalars(select(Team.name))) == [
                "Design team",
                "Smith family",
                "design team",
            ]

    def test_rename_to_another_ones_name_is_refused_its_own_in_another_case_is_not(self, db):
        """Renaming onto another live team's name (any case) is refused; changing only the case of
        one's own name is a rename; a deleted team's name is free."""
        pf = create_portal(db)
        with db.unit_of_work() as session:
            actor = actor_for(session, pf.slug, pf.owner_email)
            design = teams_service.create(session, actor, kind="team", name="Design")
            tax = teams_service.create(session, actor, kind="team", name="Tax")
            with pytest.raises(TeamExists, match="“Design”"):
                teams_service.rename(session, actor, tax.id, kind="team", name="design")
            assert (
                teams_service.rename(session, actor, design.id, kind="team", name="DESIGN").name == "DESIGN"
            )
            teams_service.delete(session, actor, tax.id, kind="team")
            assert teams_service.create(session, actor, kind="team", name="tax").name == "tax"


class TestWorkspacesService:
    def test_a_workspace_of_the_same_name_is_refused(self, db):
        """Workspace names are the portal's only ones whatever the kind, case and spacing; another
        portal may use the name."""
        pf = create_portal(db)
        other = create_portal(db, name="Other Co", owner_email="owner@other.example")
        with db.unit_of_work() as session:
            workspaces_service.create(
                session, actor_for(session, pf.slug, pf.owner_email), name=" Estate  plan "
            )
        with db.unit_of_work() as session, pytest.raises(WorkspaceExists) as refused:
            actor = actor_for(session, pf.slug, pf.owner_email)
            workspaces_service.create(session, actor, name="estate plan", kind="flow")
        assert refused.value.message == "A workspace named “Estate plan” exists already."
        assert refused.value.fields["field"] == "name"
        with db.unit_of_work() as session:
            actor = actor_for(session, other.slug, other.owner_email)
            assert workspaces_service.create(session, actor, name="ESTATE PLAN").name == "ESTATE PLAN"


class TestFaces:
    def test_api_refuses_with_the_field_and_errors(self, client, db):
        """POST a team, a client group or a workspace whose name is taken: 409 with ``field``
        ``name``, ``errors`` and the existing name in the detail."""
        pf = create_portal(db)
        for path, code, word in (
            ("/teams", "team_exists", "team"),
            ("/client-groups", "team_exists", "client group"),
            ("/workspaces", "workspace_exists", "workspace"),
        ):
            first = client.post(api(pf, path), json={"name": "Design"}, headers=pf.headers())
            assert first.status_code == 201, first.text
            r = client.post(api(pf, path), json={"name": "  design "}, headers=pf.headers())
            body = r.json()
            assert (r.status_code, body["code"], body["field"]) == (409, code, "name"), r.text
            detail = f"A {word} named “Design” exists already."
            assert body["detail"] == detail
            assert body["errors"] == [{"field": "name", "message": detail}]

    def test_api_rename_onto_a_taken_name(self, client, db):
        """PATCH a team to another's name in other case: 409 ``team_exists`` on ``name``."""
        pf = create_portal(db)
        client.post(api(pf, "/teams"), json={"name": "Design"}, headers=pf.headers())
        tax = client.post(api(pf, "/teams"), json={"name": "Tax"}, headers=pf.headers()).json()["team"]
        r = client.patch(api(pf, f"/teams/{tax['id']}"), json={"name": "DESIGN"}, headers=pf.headers())
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (409, "team_exists", "name")

    def test_pages_say_why(self, client, db):
        """The Teams form and the New workspace form say the name is taken (the workspace form
        keeps what was typed), and nothing is made."""
        pf = create_portal(db)
        create_workspace(client, pf, "Estate")
        client.post(api(pf, "/teams"), json={"name": "Design"}, headers=pf.headers())
        sign_in_page(client, pf.owner_email, OWNER_PASSWORD)
        page = client.get(f"/p/{pf.slug}/contacts")
        r = client.post(
            f"/p/{pf.slug}/teams",
            data={"name": "design", "csrf_token": csrf_of(page.text)},
            follow_redirects=True,
        )
        assert "A team named “Design” exists already." in html.unescape(r.text)
        page = client.get(f"/p/{pf.slug}/workspaces")
        r = client.post(
            f"/p/{pf.slug}/workspaces",
            data={"name": "ESTATE", "kind": "chat", "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 409
        assert "A workspace named “Estate” exists already." in html.unescape(r.text)
        assert 'value="ESTATE"' in r.text
        with db.unit_of_work() as session:
            assert session.scalar(select(Team.name)) == "Design"
            assert list(session.scalars(select(Workspace.name))) == ["Estate"]

    def test_cli_refuses_naming_the_option(self, run_cli, db):
        """``admit workspaces create --name`` a taken name: exit 1, the message and ``--name``."""
        pf = create_portal(db)
        assert run_cli("workspaces", "create", "--portal", pf.slug, "--name", "Loan").exit_code == 0
        r = run_cli("workspaces", "create", "--portal", pf.slug, "--name", " LOAN ")
        assert r.exit_code == 1, r.output
        assert "A workspace named “Loan” exists already. (option --name)" in r.output

    def test_contacts_new_workspace_names_workspace_name(self, client, db):
        """Add to Workspace with a new workspace's name that is taken: refused on ``workspace_name``."""
        pf = create_portal(db)
        create_workspace(client, pf, "Estate")
        r = client.post(
            api(pf, "/contacts"),
            json={"recipient": "cleo@client.org", "then": "workspace", "workspace_name": "estate"},
            headers=pf.headers(),
        )
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (
            409,
            "workspace_exists",
            "workspace_name",
        )

    def test_scim_group_of_a_taken_name_is_a_uniqueness_conflict(self, client, db):
        """A directory's group "design" where the team "Design" was made in Admit is refused (409
        ``uniqueness``): the directory does not take over a team it did not make."""
        pf = create_portal(db)
        client.post(api(pf, "/teams"), json={"name": "Design"}, headers=pf.headers())
        token = client.post(api(pf, "/scim-tokens"), json={"name": "Okta"}, headers=pf.headers()).json()[
            "token"
        ]
        r = client.post(
            "/scim/v2/Groups",
            json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "design"},
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        )
        assert r.status_code == 409, r.text
        assert r.json()["scimType"] == "uniqueness"
        assert "“Design”" in r.json()["detail"]


class TestTwoAtOnce:
    @pytest.mark.slow
    def test_two_creates_at_once_one_is_refused_not_a_500(self, db, monkeypatch):
        """Two requests create "Design" and "design" at the same moment, both past the check: the
        index refuses the later, which is told as ``team_exists`` naming the one made (PostgreSQL:
        SQLite serialises writers, so the second sees the first)."""
        if db.is_sqlite:
            pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): the second request sees the first")
        pf = create_portal(db)
        both_checked = threading.Barrier(2, timeout=10)
        real = teams_service.find_same_name
        calls = {"n": 0}

        def find_after_both_checked(*args, **kwargs):
            found = real(*args, **kwargs)
            calls["n"] += 1
            if calls["n"] <= 2:
                both_checked.wait()  # both have looked, neither has written
            return found

        monkeypatch.setattr(teams_service, "find_same_name", find_after_both_checked)
        results: list = [None, None]

        def create(i: int) -> None:
            try:
                with db.unit_of_work() as session:
                    actor = actor_for(session, pf.slug, pf.owner_email)
                    results[i] = teams_service.create(
                        session, actor, kind="team", name=["Design", "design"][i]
                    ).name
            except Exception as exc:  # noqa: BLE001 - asserted below
                results[i] = exc

        threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        made = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if not isinstance(r, str)]
        assert len(made) == 1 and len(refused) == 1, results
        assert isinstance(refused[0], TeamExists), refused
        assert refused[0].message == f"A team named “{made[0]}” exists already."


def _old_portal(conn, portal_id, at):
    """A portal as the schema before ``b6c7d8e90041`` holds it (written in SQL)."""
    conn.execute(
        text(
            "INSERT INTO portals (id, slug, name, invitation_ttl_seconds, enabled_products,"
            " client_require_password, created_at) VALUES (:id, 'old', 'Old Co', 3600, '[]', false, :now)"
        ),
        {"id": portal_id, "now": at},
    )


class TestMigration:
    def test_existing_duplicates_are_told_apart_and_down_works(self, database_url, tmp_path):
        """A database with "Design", "design " and "DESIGN" teams (and a "Design (2)") and two
        "Estate" workspaces: after the upgrade the oldest keeps its name, the later ones are
        "Design (3)", "Design (4)" and "Estate (2)"; deleted teams and other kinds are left;
        the downgrade and a new upgrade run."""
        from datetime import UTC, datetime, timedelta
        from uuid import uuid4

        from admit.db import normalize_url
        from admit.migrate import downgrade, upgrade
        from tests import conftest

        if database_url.startswith("sqlite"):
            url, drop = f"sqlite:///{tmp_path / 'names.db'}", None
        else:
            url, drop = conftest._create_pg_database()
        try:
            upgrade(url, "a5b6c7d80040")  # before names were unique whatever their case
            engine = create_engine(normalize_url(url))
            ids = (lambda u: u.hex) if url.startswith("sqlite") else str
            t0 = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
            portal = uuid4()
            teams = {}
            with engine.begin() as conn:
                _old_portal(conn, ids(portal), t0)
                rows = [
                    ("DESIGN", "team", 3, None),
                    ("Design", "team", 0, None),
                    ("design ", "team", 1, None),
                    ("Design (2)", "team", 2, None),
                    ("design", "team", 4, t0),  # deleted: left as it is
                    ("design", "client_group", 5, None),  # another kind: its own names
                ]
                for name, kind, minutes, deleted in rows:
                    teams[(name, kind, minutes)] = team_id = uuid4()
                    conn.execute(
                        text(
                            "INSERT INTO teams (id, portal_id, kind, name, created_at, deleted_at)"
                            " VALUES (:id, :portal, :kind, :name, :at, :deleted)"
                        ),
                        {
                            "id": ids(team_id),
                            "portal": ids(portal),
                            "kind": kind,
                            "name": name,
                            "at": t0 + timedelta(minutes=minutes),
                            "deleted": deleted,
                        },
                    )
                for minutes in (0, 1):
                    conn.execute(
                        text(
                            "INSERT INTO workspaces (id, portal_id, name, kind, created_at)"
                            " VALUES (:id, :portal, 'Estate', 'chat', :at)"
                        ),
                        {"id": ids(uuid4()), "portal": ids(portal), "at": t0 + timedelta(minutes=minutes)},
                    )
            upgrade(url)
            order = "ORDER BY created_at"
            with engine.connect() as conn:
                after = conn.execute(text(f"SELECT name, kind FROM teams {order}")).all()  # noqa: S608
                spaces = conn.execute(text(f"SELECT name FROM workspaces {order}")).scalars().all()  # noqa: S608
            assert [tuple(r) for r in after] == [
                ("Design", "team"),
                ("design (3)", "team"),
                ("Design (2)", "team"),
                ("DESIGN (4)", "team"),
                ("design", "team"),
                ("design", "client_group"),
            ]
            assert spaces == ["Estate", "Estate (2)"]
            with engine.begin() as conn, pytest.raises(Exception, match="uq_workspaces_portal_name|unique"):
                conn.execute(
                    text(
                        "INSERT INTO workspaces (id, portal_id, name, kind, created_at)"
                        " VALUES (:id, :p, 'ESTATE', 'chat', :at)"
                    ),
                    {"id": ids(uuid4()), "p": ids(portal), "at": t0},
                )
            engine.dispose()
            downgrade(url, "a5b6c7d80040")
            upgrade(url)
        finally:
            if drop:
                conftest._drop_pg_database(drop)

    def test_names_the_databases_lower_makes_one_are_told_apart_too(self, database_url, tmp_path):
        """PostgreSQL's ``lower()`` folds "İ" to "i" where Python's casefold gives "i̇": workspaces
        "İzmir" and "izmir" are one name to the new index though not to ``kit.names``. The upgrade
        tells them apart ("izmir (2)") rather than stopping on the index it cannot make."""
        from datetime import UTC, datetime, timedelta
        from uuid import uuid4

        from admit.db import normalize_url
        from admit.migrate import upgrade
        from tests import conftest

        if database_url.startswith("sqlite"):
            url, drop = f"sqlite:///{tmp_path / 'lower.db'}", None
        else:
            url, drop = conftest._create_pg_database()
        try:
            upgrade(url, "a5b6c7d80040")
            engine = create_engine(normalize_url(url))
            ids = (lambda u: u.hex) if url.startswith("sqlite") else str
            t0 = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
            portal = uuid4()
            with engine.begin() as conn:
                _old_portal(conn, ids(portal), t0)
                for minutes, name in enumerate(("İzmir", "izmir")):
                    conn.execute(
                        text(
                            "INSERT INTO workspaces (id, portal_id, name, kind, created_at)"
                            " VALUES (:id, :portal, :name, 'chat', :at)"
                        ),
                        {
                            "id": ids(uuid4()),
                            "portal": ids(portal),
                            "name": name,
                            "at": t0 + timedelta(minutes=minutes),
                        },
                    )
                lowered = conn.execute(text("SELECT lower('İzmir') = lower('izmir')")).scalar()
            upgrade(url)
            with engine.connect() as conn:
                after = conn.execute(text("SELECT name FROM workspaces ORDER BY created_at")).scalars().all()
            engine.dispose()
            assert after == (["İzmir", "izmir (2)"] if lowered else ["İzmir", "izmir"])
        finally:
            if drop:
                conftest._drop_pg_database(drop)
