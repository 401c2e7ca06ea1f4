"""What a web process does not load as it starts, because few requests need it and every start
would pay for it: SCIM's models (~0.4 s, built on the first SCIM request: ``app.LazyApp``) and
openpyxl (~0.14 s, imported on the first .xlsx file: ``imports.parsing``). And what it does as it
starts serving: what was built is set aside from the garbage collector, which then collects
less often (``app._freeze_what_was_built``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_process_starts_without_scim_and_builds_it_when_asked(tmp_path):
    """A fresh process makes the whole app without importing SCIM's models or openpyxl; the
    first SCIM request builds SCIM and is answered as SCIM answers (its discovery document)."""
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
