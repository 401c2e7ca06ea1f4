"""What a web process does not load as it starts, because few requests need it and every start
would pay for it: SCIM's models (~0.4 s, built on the first SCIM request: ``app.LazyApp``),
openpyxl (~0.14 s, imported on the first .xlsx file: ``imports.parsing``), on SQLite
PostgreSQL's driver and without Redis its client. And what it does as it starts serving: what
was built is set aside from the garbage collector, which then collects less often
(``app._freeze_what_was_built``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_process_starts_without_scim_and_builds_it_when_asked(tmp_path):
    """A fresh process makes the whole app without importing SCIM's models or openpyxl (nor, on
    SQLite, PostgreSQL's driver, nor, without Redis, Redis's client: ``kit.loaded``); the first
    SCIM request builds SCIM and is answered as SCIM answers (its discovery document)."""
    script = textwrap.dedent(
        f"""
        import gc, sys
        from fastapi.testclient import TestClient
        from admit.app import YOUNGEST_GENERATION_THRESHOLD, create_app
        from admit.migrate import upgrade
        from admit.settings import Settings

        url = "sqlite:///{tmp_path / "admit.db"}"
        upgrade(url)
        settings = Settings(database_url=url, environment="test", email_backend="dev")
        app = create_app(settings, run_worker=False)
        assert "scim2_models" not in sys.modules, "SCIM was imported at start"
        assert "openpyxl" not in sys.modules, "openpyxl was imported at start"
        assert "psycopg" not in sys.modules, "PostgreSQL's driver was imported on SQLite"
        assert "redis" not in sys.modules, "Redis's client was imported without ADMIT_REDIS_URL"
        assert gc.get_threshold()[0] != YOUNGEST_GENERATION_THRESHOLD and gc.get_freeze_count() == 0
        with TestClient(app) as client:
            assert "scim2_models" not in sys.modules, "SCIM was imported at start"
            assert gc.get_threshold()[0] == YOUNGEST_GENERATION_THRESHOLD, gc.get_threshold()
            assert gc.get_freeze_count() > 100_000, gc.get_freeze_count()
            answer = client.get("/scim/v2/ServiceProviderConfig")
        assert "scim2_models" in sys.modules
        print(answer.status_code, answer.headers["content-type"])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    status, content_type = done.stdout.split()[-2:]
    assert status in ("200", "401") and content_type.startswith("application/scim+json"), done.stdout


def test_importing_and_building_the_app_runs_no_collection_and_leaves_the_collector_on():
    """The app's ~300,000 lasting objects are made with the collector held off
    (``kit.collector``): no collection walks them while a process starts (there were ~600,
    four of them full, 0.2-0.3 s of each start), and the collector is on once the app is built."""
    script = textwrap.dedent(
        """
        import gc
        collections = []
        gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
        from admit.app import create_app
        assert gc.isenabled(), "the collector was left off by the import"
        imported = len(collections)
        create_app(run_worker=False)
        assert gc.isenabled(), "the collector was left off by create_app"
        print(imported, len(collections), collections[:imported].count(2))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    imported, built, full = (int(n) for n in done.stdout.split()[-3:])
    # Those allowed: young ones, while the standard library's modules load before the pause.
    assert full == 0 and imported < 50, f"{imported} collections ({full} full) while importing the app"
    assert built - imported <= 1, f"{built - imported} collections while building it"


def test_a_process_builds_routes_and_templates_before_its_first_request(tmp_path):
    """What the first requests of a fresh process would each build is built as it starts
    (``app._build_what_first_requests_would``): FastAPI's per-route state (``get_dependant``),
    the templates every page extends or most forms import, and the hash an unknown address's
    password is checked against (not as the app is imported: ``passwords.dummy_hash``); the
    first ``GET /login`` (0.26-0.36 s before) builds no route and compiles only its own template."""
    script = textwrap.dedent(
        f"""
        import argon2
        import fastapi.dependencies.utils as fastapi_deps
        import fastapi.routing
        import jinja2

        built = []
        hash_plain = argon2.PasswordHasher.hash
        def hash_counted(self, password, *args, **kwargs):
            built.append("hash")
            return hash_plain(self, password, *args, **kwargs)
        argon2.PasswordHasher.hash = hash_counted
        from fastapi.testclient import TestClient
        from admit.app import create_app
        from admit.migrate import upgrade
        from admit.settings import Settings

        for module in (fastapi_deps, fastapi.routing):
            plain = module.get_dependant
            def counted(*args, _plain=plain, **kwargs):
                built.append("route")
                return _plain(*args, **kwargs)
            module.get_dependant = counted
        load_plain = jinja2.FileSystemLoader.get_source
        def load_counted(self, environment, name):
            built.append(name)
            return load_plain(self, environment, name)
        jinja2.FileSystemLoader.get_source = load_counted

        url = "sqlite:///{tmp_path / "admit.db"}"
        upgrade(url)
        settings = Settings(database_url=url, environment="production", email_backend="dev",
                            public_url="http://127.0.0.1:8000", secret_key="s" * 40)
        app = create_app(settings, run_worker=False)
        assert "hash" not in built, "a password was hashed as the app was imported or made"
        with TestClient(app, base_url="http://127.0.0.1:8000") as client:
            assert "route" in built and "base.html" in built and "hash" in built, built[:5]
            built.clear()
            answer = client.get("/login")
        print(answer.status_code, " ".join(sorted(set(built))))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["200", "auth/login.html"], done.stdout


def test_building_the_app_builds_no_route_declared_as_it_was_imported():
    """FastAPI builds a route's state (its parameters' validators) as the route is declared, and
    again, for the app, as the app starts serving (``app._build_what_first_requests_would``).
    ``create_app`` builds none of those declared at import in between: the API and the pages are
    included in the app before their domains' routers are included in them (``api.include_in``);
    the other way round, FastAPI built every route's state once more to check its path (~0.5 s of
    each start)."""
    script = textwrap.dedent(
        """
        import fastapi.routing

        built = []
        plain = fastapi.routing._populate_api_route_state
        def counted(route, path, *args, **kwargs):
            built.append(path)
            return plain(route, path, *args, **kwargs)
        fastapi.routing._populate_api_route_state = counted
        import admit.app
        declared = set(built)
        built.clear()
        admit.app.create_app(run_worker=False)
        print(len(declared), " ".join(sorted(declared.intersection(built))) or "none")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    declared, *again = done.stdout.split()
    assert int(declared) > 200 and again == ["none"], done.stdout[:300]
