"""``admit init``, ``migrate`` and ``check-config``."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from admit.settings import Settings
from tests.cli.helpers import count, init_portal
from tests.factories import OWNER_PASSWORD, create_portal


class TestInit:
    def test_json_prints_slug_and_a_working_api_key(self, run, client):
        """``admit init --json`` prints the new portal's slug and an API key that the API accepts."""
        out = init_portal(run)
        assert set(out) == {"portal", "api_key"}
        assert out["portal"] == "acme-inc"

        ok = client.get(
            f"/api/v1/portals/{out['portal']}/invitations",
            headers={"Authorization": f"Bearer {out['api_key']}"},
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["items"] == []
        wrong = client.get(
            f"/api/v1/portals/{out['portal']}/invitations",
            headers={"Authorization": f"Bearer {out['api_key']}x"},
        )
        assert wrong.status_code == 401

    def test_plain_output_names_the_portal_and_key(self, run):
        """Without --json, init says which portal it created and shows the key once."""
        result = run(
            "init", "--portal-name", "Beta", "--owner-email", "o@beta.com", "--owner-password", OWNER_PASSWORD
        )
        assert result.exit_code == 0, result.output
        assert "Portal beta created" in result.output
        assert "API key" in result.output

    def test_run_twice_it_changes_nothing_unless_another(self, run, db):
        """The same owner and name again (a setup script run twice) makes no second portal and
        says which one exists; --another makes it; another name needs no flag."""
        from admit.portals.models import Portal

        args = [
            "init",
            "--portal-name",
            "Beta",
            "--owner-email",
            "o@beta.com",
            "--owner-password",
            OWNER_PASSWORD,
        ]
        assert run(*args).exit_code == 0
        again = run(*[a if a != "Beta" else "  beta " for a in args], "--json")
        assert again.exit_code == 1, again.output
        assert "o@beta.com already owns the portal “Beta” (beta). Nothing was changed" in again.output
        assert count(db, Portal) == 1
        second = run(*args, "--another", "--json")
        assert second.exit_code == 0, second.output
        assert json.loads(second.stdout)["portal"] == "beta-2"
        other = run(
            "init",
            "--portal-name",
            "Gamma",
            "--owner-email",
            "o@beta.com",
            "--owner-password",
            OWNER_PASSWORD,
        )
        assert other.exit_code == 0, other.output
        assert count(db, Portal) == 3

    def test_bad_owner_email_fails_naming_the_field(self, run, db):
        """A bad owner email exits non-zero with a message naming the field, and creates nothing."""
        result = run(
            "init", "--portal-name", "Acme", "--owner-email", "nope", "--owner-password", OWNER_PASSWORD
        )
        assert result.exit_code == 2  # a value refused is a usage error, as click's own (it was 1)
        assert "(option --owner-email)" in result.output
        from admit.portals.models import Portal

        assert count(db, Portal) == 0

    def test_every_field_at_fault_is_named_on_its_own_line(self, run, db):
        """Setup checks every field at once: the CLI says each one with its reason."""
        result = run("init", "--portal-name", " ", "--owner-email", "nope", "--owner-password", "short")
        assert result.exit_code == 2
        lines = result.output.split("\n\n", 1)[1].splitlines()  # after the usage click prints
        assert lines[0] == "Error: 3 fields to fix:", result.output
        assert [line.split(":")[0].strip() for line in lines[1:4]] == [
            "--portal-name",
            "--owner-email",
            "--owner-password",
        ]
        assert "needs a name" in lines[1] and "@-sign" in lines[2] and "10 characters" in lines[3]
        from admit.portals.models import Portal

        assert count(db, Portal) == 0

    def test_weak_password_is_refused(self, run):
        """A too-short owner password exits non-zero with a reason."""
        result = run(
            "init", "--portal-name", "Acme", "--owner-email", "o@acme.com", "--owner-password", "short"
        )
        assert result.exit_code == 2
        assert "Error:" in result.output


class TestCheckConfig:
    def test_good_config_exits_zero(self, run):
        """A sound configuration with a reachable database prints OK and exits 0."""
        result = run("check-config")
        assert result.exit_code == 0, result.output
        assert "OK" in result.output

    def test_redis_that_does_not_answer_is_a_problem(self, run):
        """ADMIT_REDIS_URL where nothing answers: every sign-in and invite link answers 503
        ``busy``, and check-config said OK. It PINGs Redis and says it cannot reach it (with the
        rate limits off nothing asks Redis, and neither does it)."""
        import socket

        with socket.create_server(("127.0.0.1", 0)) as sock:
            port = sock.getsockname()[1]
        nowhere = {"ADMIT_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        result = run("check-config", env={**nowhere, "ADMIT_RATE_LIMITS_ENABLED": "true"})
        assert result.exit_code == 1 and "OK" not in result.output, result.output
        assert f"cannot reach Redis at redis://127.0.0.1:{port}/0 (ADMIT_REDIS_URL)" in result.output
        assert run("check-config", env=nowhere).exit_code == 0

    def test_a_malformed_redis_url_names_the_variable(self, run):
        with pytest.raises(ValidationError, match="redis://"):
            Settings(redis_url="notaurl")
        result = run("check-config", env={"ADMIT_REDIS_URL": "notaurl"})
        assert result.exit_code == 1 and "ADMIT_REDIS_URL: not a Redis URL" in result.output, result.output

    def test_a_redis_url_is_refused_without_its_password(self, run):
        """The refusal goes to logs: it names the variable and the scheme, never the value (its
        password), not even in the exception's own text; only the schemes the ``limits``
        library's Redis storages take are accepted (``redisx://`` was)."""
        wrong = "redisx://:hunter2@cache.internal:6379/0"
        with pytest.raises(ValidationError) as refused:
            Settings(redis_url=wrong)
        assert "hunter2" not in str(refused.value) and "cache.internal" not in str(refused.value)
        result = run("check-config", env={"ADMIT_REDIS_URL": wrong})
        assert result.exit_code == 1 and "hunter2" not in result.output, result.output
        assert (
            "ADMIT_REDIS_URL: not a Redis URL: redisx:// is not one of redis://, rediss://" in result.output
        )
        for right in (
            "redis://:hunter2@cache:6379/0",
            "rediss://cache:6380/0",
            "REDIS://cache",
            "redis+unix:///run/redis.sock",
            "redis+sentinel://cache:26379/mymaster",
            "redis+cluster://cache:7000,cache2:7001",
        ):
            assert Settings(redis_url=right).redis_url == right

    def test_bad_public_url_names_the_variable(self, run):
        """ADMIT_PUBLIC_URL=ftp://x exits 1 with a message naming ADMIT_PUBLIC_URL."""
        result = run("check-config", env={"ADMIT_PUBLIC_URL": "ftp://x"})
        assert result.exit_code == 1
        assert "ADMIT_PUBLIC_URL" in result.output
        assert "OK" not in result.output

    def test_invalid_value_names_the_variable(self, run):
        """A value the settings cannot parse (an unknown email backend) is named and exits 1."""
        result = run("check-config", env={"ADMIT_EMAIL_BACKEND": "pigeon"})
        assert result.exit_code == 1
        assert "ADMIT_EMAIL_BACKEND" in result.output

    def test_production_with_dev_defaults_is_refused(self, run):
        """In production the dev secret and the dev mailbox are reported, naming their variables."""
        result = run("check-config", env={"ADMIT_ENVIRONMENT": "production"})
        assert result.exit_code == 1
        assert "ADMIT_SECRET_KEY" in result.output
        assert "ADMIT_EMAIL_BACKEND" in result.output

    @pytest.mark.parametrize(
        "env",
        [
            {"ADMIT_ENVIRONMENT": "production"},
            {
                "ADMIT_ENVIRONMENT": "production",
                "ADMIT_PUBLIC_URL": "http://admit.acme.com",
                "ADMIT_SECRET_KEY": "x" * 40,
                "ADMIT_EMAIL_BACKEND": "smtp",
                "ADMIT_SMTP_USERNAME": "relay",
                "ADMIT_SMTP_HOST": "",
                "ADMIT_ENCRYPTION_KEY": "short",
            },
        ],
    )
    def test_says_what_serve_refuses(self, run, env):
        """In production ``serve`` refuses to start on exactly the problems ``check-config`` lists
        about the settings (one function decides: ``Settings.problems``); check-config adds only
        what it asks live (the database, the SMTP relay), which it says after them."""
        import socket

        checked = run("check-config", env=env)
        assert checked.exit_code == 1, checked.output
        listed = [line.removeprefix("- ") for line in checked.stdout.splitlines() if line.startswith("- ")]
        with socket.create_server(("127.0.0.1", 0)) as taken:
            served = run("serve", "--port", str(taken.getsockname()[1]), "--no-migrate", env=env)
        assert served.exit_code == 1 and "refusing to start in production" in served.stderr, served.output
        refused = [
            line.removeprefix("Error: ")
            for line in served.stderr.splitlines()
            if line.startswith("Error: ") and "refusing to start" not in line
        ]
        assert len(refused) >= 3 and listed[: len(refused)] == refused, (listed, refused)
        assert not any("cannot listen" in line for line in refused)


class TestMigrate:
    def test_is_idempotent_and_keeps_data(self, run, db):
        """Running ``admit migrate`` twice succeeds both times and leaves existing rows alone."""
        create_portal(db)
        first = run("migrate")
        second = run("migrate")
        assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
        assert "is at head" in second.output
        with db.engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
        assert len(versions) == 1
        from admit.portals.models import Portal

        assert count(db, Portal) == 1


class TestPublicUrl:
    def test_development_links_point_where_the_server_listens(self):
        from admit.settings import Settings

        assert (
            Settings(environment="development").served_at("0.0.0.0", 9000).public_url
            == "http://127.0.0.1:9000"
        )
        assert (
            Settings(environment="development").served_at("localhost", 8123).public_url
            == "http://localhost:8123"
        )
        chosen = Settings(environment="development", public_url="https://admit.acme.com")
        assert chosen.served_at("0.0.0.0", 9000).public_url == "https://admit.acme.com"

    def test_production_requires_it(self):
        from admit.settings import Settings

        unset = Settings(
            environment="production", secret_key="x" * 40, email_backend="smtp", smtp_host="mail"
        )
        assert unset.served_at("0.0.0.0", 9000).public_url == unset.public_url  # never guessed
        assert any("ADMIT_PUBLIC_URL is required" in p for p in unset.problems())
        chosen = unset.model_copy(update={"public_url": "https://admit.acme.com"})
        chosen = Settings(
            environment="production",
            secret_key="x" * 40,
            email_backend="smtp",
            smtp_host="mail",
            public_url="https://admit.acme.com",
        )
        assert not any("PUBLIC_URL" in p for p in chosen.problems())

    def test_production_refuses_http_and_a_weak_secret(self, run):
        """Issue 14 item 17: ``http://`` and a short or repetitive ADMIT_SECRET_KEY are refused in
        production (check-config exits 1 naming both); a long random key over https passes."""
        weak = run(
            "check-config",
            env={
                "ADMIT_ENVIRONMENT": "production",
                "ADMIT_PUBLIC_URL": "http://admit.acme.com",
                "ADMIT_SECRET_KEY": "x" * 40,
                "ADMIT_EMAIL_BACKEND": "smtp",
                "ADMIT_SMTP_HOST": "127.0.0.1",
            },
        )
        assert weak.exit_code == 1
        assert "ADMIT_SECRET_KEY is too weak" in weak.output and "must be https://" in weak.output
        sound = run(
            "check-config",
            env={
                "ADMIT_ENVIRONMENT": "production",
                "ADMIT_PUBLIC_URL": "https://admit.acme.com",
                "ADMIT_SECRET_KEY": "q8Zr2mVw-4KdTn7Hx_pL9sYbCe1UfJgA3oRiW6tE",
                "ADMIT_SESSION_COOKIE_SECURE": "true",
                "ADMIT_EMAIL_BACKEND": "smtp",
                "ADMIT_SMTP_HOST": "127.0.0.1",
            },
        )
        assert "ADMIT_SECRET_KEY" not in sound.output and "https://" not in sound.output.split("OK")[0]

    def test_serve_on_another_port_sends_links_to_that_port(self, tmp_path, migrated_sqlite_template):
        """The README's ``scripts/run --port 9000``: ``admit serve --port P`` with no public URL
        set sends invitation links to http://127.0.0.1:P (a real server in a subprocess), and so
        does ``admit invite`` run beside it (the server says where it answers: ``admit.served``),
        until it stops."""
        import os
        import socket
        import subprocess
        import sys
        from pathlib import Path

        import httpx

        from admit.context import Context
        from admit.settings import Settings

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
        # The worker inside the server sends the emails: polled every 0.1 s, not every second
        # (each of the three emails waited up to a second for it).
        env.update(
            ADMIT_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
            ADMIT_ENVIRONMENT="development",
            ADMIT_WORKER_POLL_SECONDS="0.1",
        )
        admit = [str(Path(sys.executable).parent / "admit")]
        # The portal is made here (the subject is the server), in a copy of a migrated database;
        # `admit serve` migrates on start (nothing left to do).
        from admit.db import Database
        from admit.flows import setup
        from tests.conftest import copy_sqlite

        copy_sqlite(migrated_sqlite_template, tmp_path / "serve.db")
        db = Database(env["ADMIT_DATABASE_URL"], context=Context.build(Settings(environment="test")))
        with db.unit_of_work() as session:
            portal, _owner, key = setup.create_portal(
                session, name="Acme", owner_email="o@acme.com", owner_password=OWNER_PASSWORD
            )
            made = {"portal": portal.slug, "api_key": key}
        db.dispose()
        server = subprocess.Popen(
            [*admit, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"

        def invited_by_cli(address: str) -> None:
            """``admit invite`` run beside the server, with no public URL set either, sends a
            link to it."""
            cli = subprocess.run(
                [*admit, "invite", "--portal", made["portal"], "--type", "client", address],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert cli.returncode == 0, cli.stderr
            sent = _first_message(base, address)
            assert f"{base}/invite/" in sent["text"], sent["text"]

        try:
            _wait_until_up(base)
            headers = {"Authorization": f"Bearer {made['api_key']}"}
            sent = httpx.post(
                f"{base}/api/v1/portals/{made['portal']}/invitations",
                json={"recipients": ["ada@example.com"], "user_type": "internal"},
                headers=headers,
                timeout=10,
            )
            assert sent.status_code == 201, sent.text
            assert f"http://127.0.0.1:{port}/invite/" in _first_message(base, "ada@example.com")["text"]
            # A command run beside it, with no public URL set either, sends links to it too.
            invited_by_cli("zed@example.com")
            # A second server started on the same port fails, and leaves the address as it was.
            second = subprocess.run(
                [*admit, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert second.returncode != 0
            assert f"cannot listen on 127.0.0.1:{port}" in second.stderr, second.stderr
            from admit import served

            assert served.public_url(env["ADMIT_DATABASE_URL"]) == base
            # A server started on another port and stopped while this one runs leaves its address
            # (the tester's 8790 and 8791: links went to the default :8000 after).
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                other_port = s.getsockname()[1]
            other = subprocess.Popen(
                [*admit, "serve", "--host", "127.0.0.1", "--port", str(other_port), "--no-migrate"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wait_until_up(f"http://127.0.0.1:{other_port}")
            other.terminate()
            other.wait(timeout=10)
            assert served.public_url(env["ADMIT_DATABASE_URL"]) == base
            invited_by_cli("amy@example.com")
        finally:
            server.terminate()
            server.wait(timeout=10)
        # Stopped, it no longer says it answers there: a command run now uses its own default.
        assert served.public_url(env["ADMIT_DATABASE_URL"]) is None


def _wait_until_up(base: str, seconds: float = 60) -> None:
    """Wait until a server started at ``base`` answers (it migrates first: on a busy machine
    that took over 30 s)."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(base + "/login", timeout=1)
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)


def _first_message(base: str, to: str, seconds: float = 30) -> dict:
    """The dev mailbox's newest message to ``to`` on a running server, once one is there."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        items = httpx.get(f"{base}/api/v1/dev/messages", params={"to": to}, timeout=5).json()["items"]
        if items:
            return items[0]
        assert time.monotonic() < deadline, "no email was delivered"
        time.sleep(0.05)


def test_check_config_names_a_url_that_is_no_database(run):
    """check-config reads the configuration as set: a URL of another database says so (it
    ended in a traceback when commands looked for a running server's address first)."""
    result = run("check-config", env={"ADMIT_DATABASE_URL": "mysql://admit@127.0.0.1/admit"})
    assert result.exit_code == 1
    assert "must be a sqlite:/// or postgresql:// URL" in result.output


def _serve_output(database_url: str, *args: str, env: dict | None = None, until: str = "Admit ") -> str:
    """What ``admit serve ARGS`` (a real process, on a free port) prints up to and with its line
    containing ``until``; stopped then (``until`` "worker ": ``admit worker ARGS``)."""
    import os
    import queue
    import socket
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
    environment.update(ADMIT_DATABASE_URL=database_url, ADMIT_ENVIRONMENT="development", **(env or {}))
    admit = str(Path(sys.executable).parent / "admit")
    command = (
        ["worker"] if until.startswith("worker") else ["serve", "--host", "127.0.0.1", "--port", str(port)]
    )
    server = subprocess.Popen(
        [admit, *command, *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in server.stdout or ()], daemon=True).start()
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            if until in seen[-1]:
                break
    finally:
        server.terminate()
        server.wait(timeout=20)
    return "".join(seen)


def test_serve_hides_the_database_password(db, database_url):  # noqa: ARG001 - db: a clean database
    """The operator tester read ``database postgresql://postgres:s3cretpw@…`` in serve's startup
    line, where check-config and migrate say ``***``: one description of the database
    (``cli._shared.described``) for every command."""
    from sqlalchemy.engine import make_url

    url = database_url
    if not url.startswith("sqlite"):  # the test server takes any password (trust)
        url = make_url(url).set(password="s3cretpw").render_as_string(hide_password=False)
    out = _serve_output(url, "--no-migrate")
    line = next(x for x in out.splitlines() if x.startswith("Admit "))
    assert "s3cretpw" not in out, out
    if url.startswith("sqlite"):
        assert f"database {url.removeprefix('sqlite:///')};" in line, line
    else:
        assert "postgres:***@" in line, line


class TestJsonLogs:
    """``ADMIT_LOG_FORMAT=json``: every line a long-running command writes is one JSON object
    (``cli._shared.start_logging``, one way for serve and worker)."""

    @staticmethod
    def _lines(out: str) -> list[dict]:
        lines = out.splitlines()
        assert lines, out
        for line in lines:
            assert line.startswith("{"), (line, out)
        return [json.loads(line) for line in lines]

    def test_the_worker_logs_as_serve_does(self, tmp_path, migrated_sqlite_template):
        """The operator tester's ``admit worker`` wrote plain lines and lost its info lines
        (worker.started) whatever the format."""
        from tests.conftest import copy_sqlite

        url = copy_sqlite(migrated_sqlite_template, tmp_path / "w.db")
        said = self._lines(_serve_output(url, env={"ADMIT_LOG_FORMAT": "json"}, until="worker.started"))
        messages = [x["message"] for x in said]
        assert "Worker running; Ctrl-C to stop." in messages, messages
        assert any(m.startswith("worker.started") for m in messages), messages
        assert {x["logger"] for x in said} <= {"admit.cli", "admit.worker"}, said

    def test_serve_says_its_banner_and_migrates_in_json(self, tmp_path):
        """Its banner (the dev mailbox, where it answers) was plain text among the JSON lines;
        migrating a new database writes nothing but what serve says."""
        url = f"sqlite:///{tmp_path / 's.db'}"
        said = self._lines(_serve_output(url, env={"ADMIT_LOG_FORMAT": "json"}, until="startup complete"))
        messages = [x["message"] for x in said]
        assert any(m.startswith("Admit ") and "database " in m for m in messages), messages
        assert any(m.startswith("Dev mailbox at ") for m in messages), messages
        assert not any(x["logger"].startswith("alembic") for x in said), said

    def test_serve_refuses_in_json_lines(self, run):
        """``admit serve`` refusing to start (production without a secret key, with the dev
        mailbox; a port already taken) printed red plain text among the JSON lines: each line it
        says is one JSON log line at level error, with the same words and exit code 1."""
        import socket

        with socket.create_server(("127.0.0.1", 0)) as taken:
            port = str(taken.getsockname()[1])
            refused = run(
                "serve", "--port", port, env={"ADMIT_LOG_FORMAT": "json", "ADMIT_ENVIRONMENT": "production"}
            )
            busy = run("serve", "--port", port, "--no-migrate", env={"ADMIT_LOG_FORMAT": "json"})
        assert refused.exit_code == 1, refused.output
        said = self._lines(refused.stderr)
        assert {x["level"] for x in said} == {"error"} and {x["logger"] for x in said} == {"admit.cli"}, said
        messages = [x["message"] for x in said]
        assert any("ADMIT_SECRET_KEY is the development placeholder" in m for m in messages), messages
        assert any("ADMIT_EMAIL_BACKEND=dev" in m for m in messages), messages
        assert messages[-1].startswith("Error: refusing to start in production"), messages
        assert busy.exit_code == 1, busy.output
        (line,) = [x for x in self._lines(busy.stderr) if x["level"] == "error"]
        assert line["message"].startswith(f"Error: cannot listen on 127.0.0.1:{port}"), line
        # As text, as before.
        plain = run("serve", "--port", "1", env={"ADMIT_ENVIRONMENT": "production"})
        assert plain.exit_code == 1 and "Error: refusing to start in production" in plain.stderr, plain.output
        assert not plain.stderr.startswith("{"), plain.stderr


def test_only_a_loopback_address_is_taken_from_a_running_server(db, database_url):
    """What a development server recorded is used by the commands beside it only when it is this
    machine's loopback address; anything else (a stale or a wrong record) is ignored."""
    from admit import served

    for recorded, taken in (
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:9000", "http://localhost:9000"),
        ("https://admit.acme.com", None),
        ("http://10.0.0.5:8000", None),
    ):
        with db.unit_of_work() as session:
            served.record_public_url(session, recorded)
        assert served.public_url(database_url) == taken, recorded


def _process(seconds: float = 0):
    """A process of this machine: still running (``seconds`` > 0), or already ended."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds})"])
    if not seconds:
        proc.wait()
    return proc


class TestSeveralServers:
    """Each ``admit serve`` keeps its own address (by process id): one stopping, or killed,
    leaves the others' (the tester's 8790 and 8791, where links went to the default :8000)."""

    def test_one_stopping_leaves_the_other_and_a_dead_one_is_ignored(self, db, database_url):
        """The first started is taken while it runs, whatever starts or stops after it; a server
        killed without saying so (SIGKILL) is ignored, and nothing running gives nothing."""
        import os

        from admit import served

        first, dead = _process(60), _process()
        try:
            with db.unit_of_work() as session:
                served.record_public_url(session, "http://127.0.0.1:8790", pid=first.pid)
            with db.unit_of_work() as session:
                served.record_public_url(session, "http://127.0.0.1:8791", pid=os.getpid())
            with db.unit_of_work() as session:
                served.record_public_url(session, "http://127.0.0.1:8792", pid=dead.pid)
            assert [s.url for s in served.running(database_url)] == [
                "http://127.0.0.1:8790",
                "http://127.0.0.1:8791",
            ]
            assert served.public_url(database_url) == "http://127.0.0.1:8790"
            with db.unit_of_work() as session:  # the second stops: the first's stays
                served.forget_public_url(session, pid=os.getpid())
            assert served.public_url(database_url) == "http://127.0.0.1:8790"
        finally:
            first.kill()
            first.wait()
        assert served.public_url(database_url) is None  # killed: it no longer answers

    def test_a_dead_servers_pid_taken_by_a_later_process_is_not_that_server(self, db, database_url):
        """A row written before its process id's current owner started (the server died, its
        pid was given again) is not a running server (the reviewer's report)."""
        from datetime import timedelta

        from admit import served
        from admit.kit import clock

        later = _process(60)  # started after the row below says its server recorded itself
        try:
            with clock.travel(timedelta(hours=-1)), db.unit_of_work() as session:
                served.record_public_url(session, "http://127.0.0.1:8793", pid=later.pid)
            assert served.running(database_url) == []
        finally:
            later.kill()
            later.wait()

    def test_commands_use_a_running_server_and_say_which_of_several(self, run, db):
        """``links show`` and ``invite`` with ADMIT_PUBLIC_URL unset give the first started
        server's address and name it on stderr when several run; ``check-config`` says it."""
        import os

        from admit import served

        pf = init_portal(run)
        run("links", "set", "--portal", pf["portal"], "--enable")
        first = _process(60)
        unset = {"ADMIT_PUBLIC_URL": None}
        try:
            with db.unit_of_work() as session:
                served.record_public_url(session, "http://127.0.0.1:8790", pid=first.pid)
            alone = run("links", "show", "--portal", pf["portal"], env=unset)
            assert alone.stdout.startswith("http://127.0.0.1:8790/join/"), alone.output
            assert "Note" not in alone.stderr
            config = run("check-config", env=unset)
            assert "public URL http://127.0.0.1:8790 (where the `admit serve` running" in config.stdout
            with db.unit_of_work() as session:
                served.record_public_url(session, "http://127.0.0.1:8791", pid=os.getpid())
            both = run("links", "show", "--portal", pf["portal"], env=unset)
            assert both.stdout.startswith("http://127.0.0.1:8790/join/"), both.output
            assert (
                "2 `admit serve` run on this database: http://127.0.0.1:8790 "
                f"(pid {first.pid}), http://127.0.0.1:8791 (pid {os.getpid()}); links point at "
                "http://127.0.0.1:8790, the first started"
            ) in both.stderr
        finally:
            first.kill()
            first.wait()
        # Only this process's record is left: it is the one taken.
        again = run("links", "show", "--portal", pf["portal"], env=unset)
        assert again.stdout.startswith("http://127.0.0.1:8791/join/"), again.output


def test_serve_warns_that_several_processes_on_sqlite_wait_on_each_other(tmp_path):
    """``admit serve --workers 2`` on SQLite says the processes will queue on its write lock (a
    real ``admit serve``, on a port already taken so that it stops after saying so)."""
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    admit = str(Path(sys.executable).parent / "admit")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
    env.update(ADMIT_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}", ADMIT_ENVIRONMENT="development")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        said = subprocess.run(
            [admit, "serve", "--port", port, "--workers", "2", "--no-migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert said.returncode != 0 and "cannot listen on 127.0.0.1" in said.stderr, said.stderr
    assert "Warning: --workers 2 on SQLite" in said.stderr and "PostgreSQL" in said.stderr, said.stderr


class TestSettingsRefused:
    """A setting that cannot work stops every command with one line naming it (the lines
    ``check-config`` prints), before anything runs: no traceback, no server that fails later."""

    @staticmethod
    def _busy_port():
        """A socket listening on a port: ``admit serve`` there would stop on "cannot listen" if
        it got that far (it must stop earlier, on the setting), never start a server."""
        import socket

        sock = socket.create_server(("127.0.0.1", 0))
        return sock, str(sock.getsockname()[1])

    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("ADMIT_LOGIN_RATE_LIMIT", "banana"),
            ("ADMIT_INVITE_RATE_LIMIT", "lots"),
            ("ADMIT_SIGN_IN_CODE_ADDRESS_RATE_LIMIT", "often"),
        ],
    )
    def test_a_malformed_rate_limit_is_named_with_the_form_it_takes(self, run, variable, value):
        """``ADMIT_LOGIN_RATE_LIMIT=banana`` passed check-config (OK, exit 0) and ``admit serve``,
        then every sign-in answered 500 (``couldn't parse rate limit string``)."""
        with pytest.raises(ValidationError, match="5/minute"):
            Settings(**{variable.removeprefix("ADMIT_").lower(): value})
        checked = run("check-config", env={variable: value})
        assert checked.exit_code == 1 and "OK" not in checked.output, checked.output
        assert f"{variable}: " in checked.output and "5/minute" in checked.output, checked.output
        sock, port = self._busy_port()
        with sock:
            served = run("serve", "--port", port, env={variable: value})
        assert served.exit_code == 1, served.output
        assert f"{variable}: " in served.output and "5/minute" in served.output, served.output
        assert "cannot listen" not in served.output

    def test_a_setting_of_the_wrong_kind_stops_serve_with_its_line(self, run):
        """``ADMIT_SMTP_PORT=abc admit serve`` ended in pydantic's traceback (check-config's line
        now: every command reads the settings in one place); 99999 was taken as a port."""
        sock, port = self._busy_port()
        with sock:
            served = run("serve", "--port", port, env={"ADMIT_SMTP_PORT": "abc"})
        assert served.exit_code == 1 and "ADMIT_SMTP_PORT: Input should be a valid integer" in served.output
        checked = run("check-config", env={"ADMIT_SMTP_PORT": "99999"})
        assert checked.exit_code == 1 and "ADMIT_SMTP_PORT: " in checked.output and "65535" in checked.output
        bad_url = run("serve", "--port", port, env={"ADMIT_DATABASE_URL": "foo://bar"})
        assert bad_url.exit_code == 1, bad_url.output
        assert "ADMIT_DATABASE_URL: " in bad_url.output and "sqlite:/// or postgresql://" in bad_url.output
        assert "cannot listen" not in bad_url.output

    def test_a_misspelt_variable_is_named_with_the_setting_it_resembles(self, run):
        """``ADMIT_REDIS_URI`` and ``ADMIT_SMTP_PASSWROD`` were silently ignored (no Redis, no
        password). check-config names each, with the known setting it resembles, and serve says
        the same as it starts (a warning: a variable of one's own may start with ADMIT_ too)."""
        env = {"ADMIT_REDIS_URI": "redis://127.0.0.1:6379/0", "ADMIT_SMTP_PASSWROD": "x"}
        checked = run("check-config", env=env)
        for wrong, right in (
            ("ADMIT_REDIS_URI", "ADMIT_REDIS_URL"),
            ("ADMIT_SMTP_PASSWROD", "ADMIT_SMTP_PASSWORD"),
        ):
            said = f"Warning: {wrong} is not a setting Admit reads: it is ignored (did you mean {right}?)"
            assert said in checked.output, checked.output
        sock, port = self._busy_port()
        with sock:
            served = run("serve", "--port", port, env=env)
        assert "ADMIT_REDIS_URI is not a setting Admit reads" in served.output, served.output

    def test_a_port_out_of_range_is_a_usage_error(self, run):
        """``admit serve --port 70000`` ended in OverflowError."""
        said = run("serve", "--port", "70000")
        assert said.exit_code == 2 and "70000 is not in the range 1<=x<=65535" in said.output, said.output

    def test_a_database_that_cannot_be_opened_is_one_line(self, run, tmp_path):
        """A database that is not there, a directory that does not exist, a server that does not
        answer, a file with no tables: ``serve`` and ``worker --once`` ended in a traceback; each
        now says, in one line, what is wrong with the database and what to do."""
        import socket
        import sqlite3

        with socket.create_server(("127.0.0.1", 0)) as sock:
            free = str(sock.getsockname()[1])
        nowhere = run("serve", "--port", free, env={"ADMIT_DATABASE_URL": "sqlite:////nonexistent/x.db"})
        assert nowhere.exit_code == 1, nowhere.output
        assert "Error: no directory /nonexistent for the database /nonexistent/x.db" in nowhere.output
        unreachable = "postgresql://admit@127.0.0.1:1/admit"
        for args in (["worker", "--once"], ["serve", "--port", free]):
            said = run(*args, env={"ADMIT_DATABASE_URL": unreachable})
            assert said.exit_code == 1, said.output
            assert "Error: cannot connect to the database at " + unreachable in said.output
        sqlite3.connect(tmp_path / "empty.db").close()
        empty = run("worker", "--once", env={"ADMIT_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
        assert empty.exit_code == 1, empty.output
        said = f"Error: the database at {tmp_path / 'empty.db'} has no tables: run `admit migrate`"
        assert said in empty.output, empty.output
        for said in (nowhere, empty):
            assert "Traceback" not in said.output and len(said.output.strip().splitlines()) <= 2, said.output


def test_the_worker_stops_on_a_database_with_no_tables(tmp_path):
    """``admit worker`` (not ``--once``) on a database with no tables started and logged a ~7 KB
    traceback every second, forever; it stops now as every other command does, in one line
    (a real process: before, it never ended)."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    sqlite3.connect(tmp_path / "empty.db").close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
    env["ADMIT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.db'}"
    admit = str(Path(sys.executable).parent / "admit")
    try:
        said = subprocess.run([admit, "worker"], env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"the worker did not stop: {str(exc.stderr)[-500:]}") from None
    assert said.returncode == 1, said.stderr
    assert f"Error: the database at {tmp_path / 'empty.db'} has no tables: run `admit migrate`" in said.stderr
    assert "Traceback" not in said.stderr, said.stderr


class TestAnotherDirectory:
    """``sqlite:///admit.db`` (the default) is admit.db in the current directory: a command run
    from another one made an empty admit.db there, then ended in a 60-line traceback (``no such
    table: portals``), and check-config said OK for that empty file."""

    def test_a_command_says_there_is_no_database_here_and_makes_none(self, run, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        unset = {"ADMIT_DATABASE_URL": None}
        for args in (["members", "list", "--portal", "acme-inc"], ["check-config"]):
            said = run(*args, env=unset)
            assert said.exit_code == 1 and "OK" not in said.output, said.output
            no_file = f"no database at {tmp_path / 'admit.db'} (ADMIT_DATABASE_URL=sqlite:///admit.db, "
            no_file += "relative to the current directory): run `admit migrate`"
            assert no_file in said.output, said.output
            assert "Traceback" not in said.output
            assert not (tmp_path / "admit.db").exists(), args

    def test_an_empty_file_is_no_database_and_check_config_says_so(self, run, tmp_path, monkeypatch):
        import sqlite3

        monkeypatch.chdir(tmp_path)
        sqlite3.connect(tmp_path / "admit.db").close()
        unset = {"ADMIT_DATABASE_URL": None}
        no_tables = f"the database at {tmp_path / 'admit.db'} has no tables: run `admit migrate`"
        for args in (["members", "list", "--portal", "acme-inc"], ["check-config"]):
            said = run(*args, env=unset)
            assert said.exit_code == 1 and no_tables in said.output and "OK" not in said.output, said.output
        assert run("migrate", env=unset).exit_code == 0
        checked = run("check-config", env=unset)
        assert checked.exit_code == 0 and f"OK: database {tmp_path / 'admit.db'}, email" in checked.output, (
            checked.output
        )

    def test_a_migration_that_fails_says_why(self, run, tmp_path):
        """The reviewer: a migration the database refused (here a column there already) was
        reported as the schema being behind, "run `admit migrate`", by the command that had just
        run it, and the database's words were lost. It says the migration failed, and why."""
        import sqlite3

        from admit.migrate import head_revision, upgrade

        url = f"sqlite:///{tmp_path / 'half.db'}"
        upgrade(url, "b3c4d5e60047")
        with sqlite3.connect(tmp_path / "half.db") as conn:  # as a half-run migration leaves it
            conn.execute("ALTER TABLE invitations ADD COLUMN asked BOOLEAN")
        said = run("migrate", env={"ADMIT_DATABASE_URL": url})
        assert said.exit_code == 1, said.output
        assert "duplicate column name: asked" in said.output, said.output
        assert f"migrating the database at {tmp_path / 'half.db'} to {head_revision()} failed" in said.output
        assert "run `admit migrate`" not in said.output and "Traceback" not in said.output

    def test_an_older_schema_is_named_with_what_to_run(self, run, tmp_path):
        """A database a migration behind: check-config says its revision, the code's and
        ``admit migrate`` (it said OK: it tested the connection only)."""
        from alembic.script import ScriptDirectory

        from admit.migrate import alembic_config, head_revision, upgrade

        url = f"sqlite:///{tmp_path / 'old.db'}"
        head = head_revision()
        older = ScriptDirectory.from_config(alembic_config(url)).get_revision(head).down_revision
        upgrade(url, older)
        said = f"the database at {tmp_path / 'old.db'} is at schema {older}, this code expects {head}"
        checked = run("check-config", env={"ADMIT_DATABASE_URL": url})
        assert checked.exit_code == 1 and said in checked.output, checked.output
        assert "OK" not in checked.output
