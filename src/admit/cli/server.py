"""Running Admit: ``serve``, ``worker``, ``migrate``, ``check-config`` and ``init`` (a portal
and its owner, headless)."""

from __future__ import annotations

import sys

import click

from admit import __version__
from admit.cli import _shared
from admit.settings import Settings, configure


@click.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def migrate(revision: str) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from admit.migrate import upgrade

    settings = _shared.settings()
    upgrade(settings.database_url, revision)
    db = _shared.database(settings)
    try:
        db.refresh_statistics()
    finally:
        db.dispose()
    click.echo(f"Database at {_shared.described(settings.database_url)} is at {revision}.")


def _record_public_url(settings: Settings, *, serving: bool) -> None:
    """Say where this server answers, for the commands run beside it (``admit.served``), or,
    as it stops (``serving`` False), that it no longer does."""
    from sqlalchemy.exc import DBAPIError

    from admit import served

    db = _shared.database(settings)
    try:
        with db.unit_of_work() as session:
            if serving:
                served.record_public_url(session, settings.public_url)
            else:
                served.forget_public_url(session)
    except DBAPIError as exc:  # a database without the table (--no-migrate on an old schema)
        _shared.announce(f"Warning: could not record the public URL for other commands: {exc}", warning=True)
    finally:
        db.dispose()


def _can_listen(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port`` yet (what uvicorn is about to bind)."""
    import socket

    try:
        with socket.create_server((host, port)):
            return True
    except OSError:
        return False


# How long a web process started by ``serve --workers N`` (at start, or by ``kill -HUP``) may
# take to answer uvicorn's supervisor before it gives up on it.
CHILD_START_SECONDS = 60


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=int, help="Web processes.")
@click.option("--no-worker", is_flag=True, help="Do not run the worker inside the web process.")
@click.option("--no-migrate", is_flag=True, help="Do not upgrade the schema at start.")
def serve(host: str, port: int, workers: int, no_worker: bool, no_migrate: bool) -> None:
    """Run the web app (pages + API) with the worker inside, on the configured database."""
    import logging
    import os
    import signal

    import uvicorn

    from admit.kit import logs
    from admit.migrate import upgrade

    settings = _shared.settings(served=False).served_at(host, port)
    # The app (and each --workers child) reads its settings again: they must agree.
    os.environ["ADMIT_PUBLIC_URL"] = settings.public_url
    configure(settings)
    _shared.start_logging(settings)
    _shared.warn_of_unknown_variables()
    problems = settings.problems()
    for problem in problems:
        if settings.environment == "production":
            _shared.say_error(problem)
        else:
            _shared.announce(f"Warning: {problem}", warning=True)
    if workers > 1 and settings.is_sqlite:
        # Each transaction takes SQLite's one write lock: processes queue on it (bench/pages.py at
        # 8 connections, two processes: p99 6 s where one process gave 89 ms).
        _shared.announce(
            f"Warning: --workers {workers} on SQLite: every request takes SQLite's one write lock, so "
            "the processes wait on each other (seconds under load); run one process on SQLite, or "
            "use PostgreSQL for more.",
            warning=True,
        )
    if problems and settings.environment == "production":
        # E.g. the dev mailbox shows every email (sign-in and invitation links) to anyone.
        _shared.fail("refusing to start in production with the problems above (see `admit check-config`).")
    if not _can_listen(host, port):
        # Said before anything is migrated or loaded (uvicorn would find it out ~2 s later, in
        # its own words), and nothing is recorded: the running one's address stays.
        _shared.fail(
            f"cannot listen on {host}:{port}: something (another Admit?) is listening there. "
            "Stop it, or choose another port with --port."
        )
    if not no_migrate:
        upgrade(settings.database_url)
    # Recorded here, and forgotten as it stops (the public URL commands run beside it use).
    recorded = settings.environment != "production"
    if recorded:
        _record_public_url(settings, serving=True)
    if no_worker:
        # The factory reads the settings in force; child processes (--workers) read the environment.
        os.environ["ADMIT_RUN_WORKER_IN_WEB"] = "false"
        configure(settings.model_copy(update={"run_worker_in_web": False}))
    if settings.email_backend == "dev":
        _shared.announce(
            f"Dev mailbox at {settings.public_url}/dev/mailbox: every email and its links, shown to"
            " signed-in owners and admins only (and to this machine when not signed in)",
        )
    _shared.announce(
        f"Admit {__version__} on http://{host}:{port} (public URL {settings.public_url}); "
        f"database {_shared.described(settings.database_url)}; email backend {settings.email_backend}; "
        f"SMS backend {settings.sms_backend}",
    )
    terminated = False
    if recorded:
        # uvicorn stops on SIGTERM, then raises it again with the handler found before it ran:
        # this one, so the address is forgotten below (Ctrl-C, SIGINT, gets there by itself);
        # then the process ends by SIGTERM, as it would have (what supervisors expect).

        def stop(*_: object) -> None:
            nonlocal terminated
            terminated = True
            raise SystemExit

        signal.signal(signal.SIGTERM, stop)
    try:
        uvicorn.run(
            "admit.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            log_config=logs.config(settings.log_format),
            proxy_headers=False,
            # With --workers, `kill -HUP` restarts the children one at a time and gives each this
            # long to start (uvicorn's 5 s default): a child takes more to import and build the
            # app on a loaded host, and the restart was aborted ("was not ready in time").
            timeout_worker_healthcheck=CHILD_START_SECONDS,
        )
    finally:
        if recorded:
            _record_public_url(settings, serving=False)
        if terminated:
            logging.shutdown()  # the last log lines out before the signal ends the process
            sys.stdout.flush()
            sys.stderr.flush()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)


@click.command()
@click.option(
    "--once", is_flag=True, help="Run scheduled work (reminders, digests), deliver what is due, then exit."
)
def worker(once: bool) -> None:
    """Run the worker alone (deliver email, send reminders and digests, expire invitations). Run
    as many as you like."""
    import signal
    import threading

    from admit.kit.collector import collector_paused

    with collector_paused():  # what the worker is made of (kit.collector)
        from admit.jobs import Worker

    settings = _shared.settings()
    _shared.start_logging(settings)
    _shared.warn_of_unknown_variables()
    w = Worker(_shared.database(settings), settings)
    if once:
        scheduled = w.run_scheduled()
        drained = w.drain(expired=True)
        _shared.echo_json({**drained, "reminded": scheduled["reminded"], "digests": scheduled["digests"]})
        return
    # A database it cannot use (no answer, no tables, an older schema) stops it in one line, as
    # every other command stops (``database_errors``'s words); a pass would fail on it each second.
    if problem := _shared.database_problem(settings.database_url):
        _shared.fail(problem)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    _shared.announce("Worker running; Ctrl-C to stop.")
    w.run_forever(stop)


@click.command()
@click.option("--portal-name", required=True, help="The company's portal name.")
@click.option("--owner-email", required=True)
@click.option(
    "--owner-password", required=True, help="At least 10 characters (or the account's current one)."
)
@click.option("--owner-name", default="", help="The owner's display name.")
@click.option(
    "--another",
    is_flag=True,
    help="Make the portal even if this owner already has one of this name (a second one).",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"portal": SLUG, "api_key": KEY}.')
def init(
    portal_name: str, owner_email: str, owner_password: str, owner_name: str, another: bool, as_json: bool
) -> None:
    """Create a portal and its owner headless, and print an admin API key for it. Run again
    with the same owner and name, it changes nothing and says so (exit 1) unless --another."""
    from admit.actor import CONSOLE_IP
    from admit.errors import DomainError, PortalExists
    from admit.flows import setup
    from admit.migrate import upgrade

    settings = _shared.settings()
    upgrade(settings.database_url)
    db = _shared.database(settings)
    try:
        with db.unit_of_work() as session:
            portal, _user, key = setup.create_portal(
                session,
                name=portal_name,
                owner_email=owner_email,
                owner_password=owner_password,
                owner_name=owner_name,
                another=another,
                ip=CONSOLE_IP,
            )
            slug = portal.slug
    except PortalExists as exc:
        _shared.refuse(exc, more=" Nothing was changed; --another makes a second portal of that name.")
    except DomainError as exc:
        _shared.refuse(exc)
    if as_json:
        _shared.echo_json({"portal": slug, "api_key": key})
    else:
        click.echo(f"Portal {slug} created. Admin API key (shown once): {key}")
        click.echo(
            f"Next: admit invite --portal {slug} ADDRESS… (or admit serve, and sign in as {owner_email})."
        )


@click.command("check-config")
def check_config() -> None:
    """Say what is wrong with the configuration (and that the database answers with the schema
    this code expects)."""
    # As every other command takes it: the public URL of a running `admit serve` when unset.
    settings, servers = _shared.from_running_server(_shared.read_settings())
    configure(settings)
    _shared.warn_of_unknown_variables()
    problems = settings.problems()
    if database := _shared.database_problem(settings.database_url):
        problems.append(database)
    if redis := _redis_problem(settings):
        problems.append(redis)
    if settings.email_backend == "smtp":
        smtp_problem, smtp_warning = _smtp_problems(settings)
        problems += smtp_problem
        for warning in smtp_warning:
            click.secho(f"Warning: {warning}", fg="yellow", err=True)
    for p in problems:
        click.secho(f"- {p}", fg="red")
    if problems:
        sys.exit(1)
    where = (
        f" (where the `admit serve` running on this database answers, pid {servers[0].pid}; "
        "ADMIT_PUBLIC_URL is not set)"
        if servers
        else ""
    )
    click.secho(
        f"OK: database {_shared.described(settings.database_url)}, email {settings.email_backend}, "
        f"SMS {settings.sms_backend}, "
        f"public URL {settings.public_url}{where}",
        fg="green",
    )


def _redis_problem(settings: Settings) -> str | None:
    """With ``ADMIT_REDIS_URL``, whether Redis answers a PING as the rate limits will ask it
    (``Limiter.unreachable``): when it does not, every sign-in and invite link answers 503."""
    from admit.context import Context

    unanswered = Context.build(settings).limiter.unreachable()
    if unanswered is None:
        return None
    words = str(unanswered).strip().splitlines()
    return (
        f"cannot reach Redis at {_shared.described(settings.redis_url or '')} (ADMIT_REDIS_URL): "
        f"{words[0] if words else type(unanswered).__name__}; signing in and invite links answer "
        "503 busy until it answers"
    )


def _smtp_problems(settings: Settings) -> tuple[list[str], list[str]]:
    """``(problems, warnings)``: the relay must answer; one that lacks SMTPUTF8 while
    ADMIT_SMTP_UTF8 is on is a warning, not a fault: it delivers every other address, and only a
    message to an address with non-ASCII before the @ fails there (at once, saying why)."""
    import smtplib

    from admit.notifications.backends import SmtpBackend

    backend = SmtpBackend(settings.model_copy(update={"smtp_timeout_seconds": 5.0}))
    try:
        backend.open()
    except (smtplib.SMTPException, OSError) as exc:
        return [f"cannot reach the SMTP relay at {settings.smtp_host}:{settings.smtp_port}: {exc}"], []
    try:
        offers_utf8 = backend.offers("smtputf8")
    finally:
        backend.close()
    if settings.smtp_utf8 and not offers_utf8:
        return [], [
            f"the SMTP relay at {settings.smtp_host}:{settings.smtp_port} does not offer SMTPUTF8:"
            " email to an address with non-ASCII characters before the @ (zoë@…) will fail there,"
            " every other address is delivered; set ADMIT_SMTP_UTF8=false so such addresses are"
            " refused where they are typed"
        ]
    return [], []
