"""What every command group shares: the settings and the database, a unit of work acting as a
portal's operator, the options the groups have in common, how answers are printed, the old
names kept for one release, and the exit codes.

Exit codes, one rule for every command (``admit --help`` and the README say the same):

- ``0`` (``DONE``): done, and that includes "nothing to do", whatever is already so:
  recipients skipped because they are already where they were asked to be
  (``invitations.codes.NOTHING_TO_DO``: already_member, already_invited,
  already_in_workspace, already_in_team, duplicate), a member deactivated or reactivated twice,
  an invitation revoked twice (the services change nothing then, and answer as done).
- ``1`` (``ERROR``): an error (a ``DomainError``: its message and the field it names), any
  recipient refused for a reason someone must fix (any other skip: invalid_recipient,
  invalid_role, not_allowed, member_deactivated, wrong_user_type, not_found, not_invitable; a code not known
  here counts as one),
  or an import that failed.
- ``2`` (``USAGE``): the command line is wrong: click's own errors, ours (``usage``), and a value
  the service refuses (``InvalidInput``, the API's 422: ``refuse``).

``--json`` prints the API's answer: one object as the API returns it, a recipient answer as
``{"results": [...], "counts": {...}}``, and every list as ``{"items": [...], "total": N,
"next_cursor": C}`` (``Listing``, the one writer of lists: the API's items, and a ``total`` the
API's pages do not all have): lists walk every page unless ``--limit`` stops them early, and
then ``next_cursor`` (null otherwise) is where ``--cursor`` goes on. An error with ``--json`` is
the API's problem, on stdout too (``refuse``).
"""

from __future__ import annotations

import copy
import inspect
import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

import click
from pydantic import BaseModel

from admit.settings import Settings, configure

if TYPE_CHECKING:  # the commands import the rest when they run (a quick `admit --help`)
    from sqlalchemy.orm import Session

    from admit.actor import Actor
    from admit.db import Database
    from admit.errors import DomainError
    from admit.invitations.schemas import RecipientResults
    from admit.served import Server

# A command callback as click's decorators take it (before or after it is a Command).
FC = TypeVar("FC", bound=Callable[..., Any] | click.Command)
Item = TypeVar("Item", bound=BaseModel)
Row = TypeVar("Row")

DONE, ERROR, USAGE = 0, 1, 2


EXIT_CODES_HELP = """\b
Exit codes:
  0  done, including "nothing to do" (everyone already invited, already in
     the workspace: skipped as already_member, already_invited,
     already_in_workspace, already_in_team or duplicate; a member already
     deactivated or active, an invitation already revoked), and a --dry-run
     that said what would happen, rows to fix included
  1  an error, or a recipient refused for a reason that needs fixing (any
     other skip code: invalid_recipient, invalid_role, not_allowed,
     member_deactivated, not_found, …), or an import that failed
  2  usage: a missing or wrong option or argument, whether click or the
     service refuses it (a --portal that names no portal, --lifetime-days 0)"""

PAGE_SIZE = 500  # kit.pagination.MAX_LIMIT: lists read this many rows per query


def settings(*, served: bool = True) -> Settings:
    """The settings from the environment. Outside production, with ADMIT_PUBLIC_URL not set, the
    public URL is where a running ``admit serve`` on this database answers (``from_running_server``), so
    that the links a command sends reach a server that is running (``served=False``: the
    server's own, which it works out from where it listens)."""
    found = read_settings()
    if served:
        found, _servers = from_running_server(found)
    return configure(found)


def read_settings() -> Settings:
    """The settings from the environment, or the command ends (exit 1) with one line per
    setting that cannot be read, naming its variable (``ADMIT_SMTP_PORT: Input should be a
    valid integer``), before anything runs: every command reads them here."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            click.secho(f"ADMIT_{str(err['loc'][0]).upper()}: {err['msg']}", fg="red", err=True)
        sys.exit(ERROR)


def from_running_server(found: Settings) -> tuple[Settings, list[Server]]:
    """``found`` with the public URL of the first started ``admit serve`` running on its database
    (``admit.served``), outside production and when ADMIT_PUBLIC_URL is not set, and the servers
    running (none: ``found`` as it is, the default URL). When several run, says on stderr which
    one the links point at."""
    if found.environment == "production" or "public_url" in found.model_fields_set:
        return found, []
    from admit import served

    every_model()
    servers = served.running(found.database_url)
    if not servers:
        return found, []
    if len(servers) > 1:
        listed = ", ".join(f"{s.url} (pid {s.pid})" for s in servers)
        click.secho(
            f"Note: {len(servers)} `admit serve` run on this database: {listed}; links point at "
            f"{servers[0].url}, the first started (ADMIT_PUBLIC_URL chooses another).",
            fg="yellow",
            err=True,
        )
    return found.model_copy(update={"public_url": servers[0].url}), servers


def every_model() -> None:
    """Import every ORM class, before the first query of the process: the ORM resolves every
    class's relationships and foreign keys (across domains) at its first query, and a command
    has imported only its own service by then (``workspaces members`` died on "expression
    'User' failed to locate a name"). Every query of the CLI comes after this."""
    import admit.models  # noqa: F401


def database(settings: Settings) -> Database:
    """The database the settings name; a SQLite file that is not there ends the command with
    ``database_problem``'s line (it is not made: a command run from another directory found an
    empty admit.db of its own)."""
    from admit.context import Context
    from admit.db import Database, sqlite_file

    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        fail(database_problem(settings.database_url) or f"no database at {path}")
    every_model()
    return Database(settings.database_url, context=Context.build(settings), **settings.pool_options)


def described(url: str) -> str:
    """The database as an operator knows it: a SQLite file by its absolute path, another by its
    URL without the password."""
    from sqlalchemy.engine import make_url

    from admit.db import sqlite_file

    path = sqlite_file(url)
    return str(path) if path is not None else make_url(url).render_as_string(hide_password=True)


def database_problem(url: str, *, schema: bool = True) -> str | None:
    """What keeps Admit from using the database at ``url``, in one line an operator can act on
    (no file or directory there, no answer, no tables, an older schema); None when it answers
    with the schema this code expects (``schema`` false: when it answers). Nothing is made by
    asking."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from admit.db import create_db_engine, sqlite_file
    from admit.migrate import behind

    path = sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        return f"no directory {path.parent} for the database {path} (ADMIT_DATABASE_URL)"
    if path is not None and not path.exists():
        relative = "" if url.startswith("sqlite:////") else ", relative to the current directory"
        return (
            f"no database at {path} (ADMIT_DATABASE_URL={url}{relative}): run `admit migrate` to make "
            "it there, or set ADMIT_DATABASE_URL to the database Admit uses"
        )
    where = f"the database at {described(url)}"
    try:
        engine = create_db_engine(url)
    except ArgumentError as exc:
        return f"ADMIT_DATABASE_URL is not a database URL: {exc}"
    try:
        with engine.connect() as conn:
            lag = behind(conn)
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
        return f"cannot connect to {where} (ADMIT_DATABASE_URL): {reason}"
    finally:
        engine.dispose()
    if lag is None or not schema:
        return None
    current, head = lag
    if current is None:
        return (
            f"{where} has no tables: run `admit migrate`, or set ADMIT_DATABASE_URL to the database "
            "Admit uses"
        )
    return f"{where} is at schema {current}, this code expects {head}: run `admit migrate`"


@contextmanager
def database_errors() -> Iterator[None]:
    """Every command runs inside this: one that fails on its database ends with
    ``database_problem``'s one line (exit 1) where a traceback was; a failure the database
    does not explain goes on as it was."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from admit.migrate import MigrationFailed
    from admit.settings import current

    try:
        yield
    except MigrationFailed as exc:  # the schema is behind because of it: say what stopped it
        unusable = database_problem(exc.url, schema=False)  # no answer at all: that, first
        fail(unusable or f"migrating the database at {described(exc.url)} to {exc.target} failed: {exc.said}")
    except (DBAPIError, ArgumentError):
        problem = database_problem(current().database_url)
        if problem is None:
            raise
        fail(problem)


# --- ending a command -----------------------------------------------------------------------------


def start_logging(settings: Settings) -> None:
    """Logging for a long-running command (``serve``, ``worker``), one way for both:
    ``ADMIT_LOG_FORMAT`` (``kit.logs.configure``), set before anything else runs."""
    from admit.kit import logs

    logs.configure(settings.log_format)


def announce(line: str, *, warning: bool = False) -> None:
    """A long-running command's own line (its banner, a warning as it starts): printed as it is
    (warnings in yellow, on stderr), or with ``ADMIT_LOG_FORMAT=json`` one log line like every
    other (``start_logging`` first)."""
    if logging_as_json():
        import logging

        logging.getLogger("admit.cli").log(logging.WARNING if warning else logging.INFO, line)
    elif warning:
        click.secho(line, fg="yellow", err=True)
    else:
        click.echo(line)


def logging_as_json() -> bool:
    """Whether this process writes its log as JSON lines (``start_logging`` with
    ``ADMIT_LOG_FORMAT=json``: ``serve``, ``worker``): then what the command says of itself goes
    there too, one log line each, as ``announce`` says its banner."""
    import logging

    from admit.kit.logs import JsonFormatter

    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)


def warn_of_unknown_variables() -> None:
    """Say, as warnings, each ``ADMIT_*`` variable set that names no setting (``check-config``,
    and ``serve`` and ``worker`` as they start): a misspelt one is otherwise ignored unseen."""
    import os

    from admit.settings import unknown_variables

    for line in unknown_variables(os.environ):
        announce(f"Warning: {line}", warning=True)


def say_error(message: str) -> None:
    """``Error: message``, red on stderr; where the process logs JSON lines (``logging_as_json``),
    one log line at level error instead (a refusal to start among the server's other lines)."""
    if logging_as_json():
        import logging

        logging.getLogger("admit.cli").error(f"Error: {message}")
    else:
        click.secho(f"Error: {message}", fg="red", err=True)


def fail(message: str, code: int = ERROR) -> NoReturn:
    say_error(message)
    sys.exit(code)


def refuse(exc: DomainError, *, more: str = "", code: int | None = None) -> NoReturn:
    """End the command on a domain error (``more``: words the console adds to its message).

    With ``--json``, its problem as the API writes it (``api.errors.domain_error_response``: the
    ``code``, ``detail``, the service's ``field`` and ``errors``…) on one line on stdout, where
    every other answer of ``--json`` goes; else its message with the option at fault
    (``error_message``) on stderr. Either way the exit code is ``code``, else ``USAGE`` for a
    value refused (``InvalidInput``, the API's 422), as click's own refusals of an option's
    value, and ``ERROR`` for anything else."""
    from admit.errors import InvalidInput

    if code is None:
        code = USAGE if isinstance(exc, InvalidInput) else ERROR
    if more:
        exc = copy.copy(exc)
        exc.message = f"{exc.message}{more}"
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.params.get("as_json"):
        from admit.api.errors import domain_error_response

        click.echo(bytes(domain_error_response(exc).body).decode())
        sys.exit(code)
    if code == USAGE:
        usage(error_message(exc))
    fail(error_message(exc), code)


def usage(message: str) -> NoReturn:
    """End the command as a usage error (exit 2), as click ends its own; with ``--json``, as
    the problem the API would answer (``refuse``), like every other refusal once the command
    runs."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.params.get("as_json"):
        from admit.errors import InvalidInput

        refuse(InvalidInput(message), code=USAGE)
    raise click.UsageError(message)


def error_message(exc: DomainError) -> str:
    """A domain error as the CLI says it: its message and what is at fault, named as this
    command takes it (``--product``, not the field ``products``: ``_named``), unless the
    message names that option itself; when several
    are at fault (``errors``), each on its own line with its message."""
    problems = exc.fields.get("errors") or []
    if len(problems) > 1:
        lines = [
            f"  {_named(p['field'])}: {p['message']}" if p.get("field") else f"  {p['message']}"
            for p in problems
        ]
        return f"{len(problems)} fields to fix:\n" + "\n".join(lines)
    field = exc.fields.get("field")
    if not field:
        return exc.message
    option = _named(field)
    if option != field and option in exc.message:  # the sentence names it already
        return exc.message
    return exc.message + (f" (option {option})" if option != field else f" (field: {field})")


# A field that a service names and an option of another name gives (the option in other units,
# or under a shorter name); every other field is given by the option of its own name.
OPTION_OF_FIELD = {"lifetime_seconds": "--lifetime-days", "allowed_domains": "--domains"}


def _named(field: str) -> str:
    """The running command's option that gives the service's ``field``: the option whose
    parameter has that name (``--product`` gives ``products``), the option spelt as the field
    (``--actor`` gives ``actor``, whatever its parameter is called), or the one
    ``OPTION_OF_FIELD`` names when the command has it; the field itself when no option of the
    command gives it."""
    from admit.errors import listed_in

    given = listed_in(field) or field  # a list's entry (``allowed_domains.2``): the list's option
    ctx = click.get_current_context(silent=True)
    options = [p for p in ctx.command.params if isinstance(p, click.Option)] if ctx else []
    spelt = "--" + given.replace("_", "-")
    for option in options:
        if option.name == given or spelt in option.opts or OPTION_OF_FIELD.get(given) in option.opts:
            return spelt if spelt in option.opts else max(option.opts, key=len)
    return field


def exit_code(skipped_codes: Iterable[str | None], *, failed: bool = False) -> int:
    """The exit code of an answer whose recipients were skipped with ``skipped_codes``: ``ERROR``
    when it ``failed`` or any of them needs fixing, else ``DONE`` (skipping someone already where
    they were asked to be is nothing to do)."""
    from admit.invitations.pipeline import skip_needs_fixing

    if failed or any(skip_needs_fixing(code) for code in skipped_codes):
        return ERROR
    return DONE


def results_exit_code(answer: RecipientResults) -> int:
    """``exit_code`` of a recipient answer (``RecipientResults``)."""
    return exit_code(r.code for r in answer.results if r.outcome == "skipped")


def finish(code: int) -> None:
    """Exit with ``code`` unless it is ``DONE`` (then the command just returns)."""
    if code != DONE:
        sys.exit(code)


# --- acting in a portal ---------------------------------------------------------------------------


@contextmanager
def portal_session(slug: str) -> Iterator[tuple[Session, Actor]]:
    """A unit of work acting as the portal's operator: yields ``(session, actor)``. A domain error
    ends the command (``refuse``); the engine is closed at the end."""
    from admit.errors import DomainError, PortalNotFound

    db = database(settings())
    try:
        with db.unit_of_work() as session:
            try:
                actor = operator(session, slug)
            except PortalNotFound:  # a wrong --portal is a usage error (exit 2), as click's own
                said = f"No such portal: {slug!r} (--portal takes a portal's slug, as in /p/SLUG)."
                refuse(PortalNotFound(said), code=USAGE)
            yield session, actor
    except DomainError as exc:
        refuse(exc)
    finally:
        db.dispose()


def operator(session: Session, slug: str) -> Actor:
    """The CLI acts as the portal's first owner (an operator at the console has the keys anyway)."""
    from admit.members import service as members_service

    return members_service.operator_actor(session, slug)


# --- options --------------------------------------------------------------------------------------


def portal_option(command: FC) -> FC:
    return click.option(
        "--portal", "slug", required=True, help="Portal slug, as in /p/SLUG (any case: slugs are lower case)."
    )(command)


def json_option(shape: str) -> Callable[[FC], FC]:
    """``--json``, its help naming the shape printed (one answer, as the API gives it)."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {shape} (the API's shape).")


def list_json_option(item: str) -> Callable[[FC], FC]:
    """``--json`` of a command that lists, its help saying what ``Listing.as_json`` prints: the
    API's items, in the CLI's one list shape (the API's pages have no ``total``)."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help=f'Print {{"items": [{item}...], "total": N, "next_cursor": null}}: the items as the API '
        "gives them; total counts every match.",
    )


class _ProductsOption(click.Option):
    """``--products``, whose other spelling ``--product`` (``admit invite``'s, before every
    command took one) still works and is left out of ``--help``: one spelling documented."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        return (record[0].replace(", --product", ""), record[1]) if record is not None else None


def products_option(what: str) -> Callable[[FC], FC]:
    """``--products a,b`` of every command that grants products (``invite``, ``invitations
    change``, ``members change``, ``links set``): comma-separated, or the option given again
    (``--product a --product b``, as ``invite`` took them, works too), any case; ``none`` or empty
    is none. The command gets the list, or None when the option is not given (unchanged)."""
    return click.option(
        "--products",
        "--product",
        "products",
        cls=_ProductsOption,
        multiple=True,
        callback=_products_given,
        help=f"{what}: comma-separated (or the option repeated); 'none' or empty: none.",
    )


def _products_given(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[str] | None:
    from admit.kit.text import listed

    if not values:
        return None
    named = [p.lower() for value in values for p in listed(value)]
    return [] if named == ["none"] else named


def confirm_owners_option(command: FC) -> FC:
    """``--confirm-owners`` of a command that changes a role (``invitations change``, ``members
    change``): the change refuses one that makes an owner without it (``owners_asked``), as
    ``invite`` does."""
    return click.option(
        "--confirm-owners",
        "owners_confirmed",
        is_flag=True,
        help="With --role owner: yes, make them an owner (owners can do everything, including "
        "removing you); without it such a change is refused and nothing changes.",
    )(command)


def note_unused_confirm_owners(role: str | None, owners_confirmed: bool) -> None:
    """``--confirm-owners`` given without ``--role owner``: it confirms the owners ``--role owner``
    makes (a Role column's rows among them, never above ``--role``), so here it has no effect,
    and a note on stderr says so; the command goes on (a script that always gives it is not
    refused)."""
    if owners_confirmed and role != "owner":
        click.secho(
            "Note: --confirm-owners has no effect without --role owner: nobody is made an owner here.",
            fg="yellow",
            err=True,
        )


@contextmanager
def owners_asked() -> Iterator[None]:
    """Around a change given ``owners_confirmed`` (``--confirm-owners``:
    ``flows.members.change_access``, ``invitations.service.change_offer``), which refuses one
    that makes an owner unconfirmed before writing anything (``policy.owner_unconfirmed``,
    naming ``owners_confirmed``): that refusal as the console says it, of ``--role`` (the
    option that made the owner), with the option that confirms it."""
    from admit.errors import InvalidInput

    try:
        yield
    except InvalidInput as exc:
        if exc.fields.get("field") != "owners_confirmed":
            raise
        refuse(exc.renamed({"owners_confirmed": "role"}), more=" Add --confirm-owners to make them an owner.")


_CURSOR_HELP = " next_cursor is where --cursor goes on after a --limit (else null)."


def list_options(command: FC) -> FC:
    """``--limit`` and ``--cursor`` for a command that lists: every page unless ``--limit``.
    Its ``--json`` (``list_json_option``, given below this) says where ``--cursor`` goes on:
    only a command that has them names them (``hr list --help`` named them, which it has not)."""
    for param in getattr(command, "__click_params__", []):
        if param.name == "as_json" and isinstance(param, click.Option) and param.help:
            param.help += _CURSOR_HELP
    command = click.option(
        "--cursor", default=None, help="Go on from where a --limit stopped (its next_cursor)."
    )(command)
    return click.option(
        "--limit",
        type=click.IntRange(min=1),
        default=None,
        help="Stop after this many (default: all of them, every page).",
    )(command)


# --- answers --------------------------------------------------------------------------------------


def echo_json(data: BaseModel | Mapping[str, object]) -> None:
    """Print one answer as JSON on one line, as the API writes it: an API model as the API
    serialises it, or plain data, compact alike (every command's --json goes through here)."""
    if isinstance(data, BaseModel):
        click.echo(data.model_dump_json())
    else:
        click.echo(json.dumps(data, separators=(",", ":"), ensure_ascii=False))


@dataclass(slots=True)
class Listing(Generic[Item]):
    """A list as the CLI prints it: ``items`` (API models), how many match in all (``total``),
    and ``next_cursor`` when ``--limit`` stopped before the end."""

    items: list[Item]
    total: int
    next_cursor: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "items": [item.model_dump(mode="json") for item in self.items],
            "total": self.total,
            "next_cursor": self.next_cursor,
        }

    def echo(self, as_json: bool, line: Callable[[Item], str], *, empty: str | None = None) -> None:
        """Print the list: as JSON, or one ``line(item)`` each, then where to go on if stopped;
        ``empty`` is what the text says when there is no item (None: nothing)."""
        if as_json:
            echo_json(self.as_json())
            return
        if not self.items and empty is not None:
            click.echo(empty)
        for item in self.items:
            click.echo(line(item))
        self._say_more()

    def _say_more(self) -> None:
        """Where to go on when ``--limit`` stopped early: how many of all are shown ("showing 2
        of 5": "2 of 5" read as the second of five, on a later page most of all)."""
        if self.next_cursor is not None:
            click.echo(f"(showing {len(self.items)} of {self.total}; more with --cursor {self.next_cursor})")

    def table(
        self,
        as_json: bool,
        headers: Sequence[str],
        cells: Callable[[Item], Sequence[str | None]],
        *,
        empty: str | None = None,
        under: Callable[[Item], Sequence[str]] | None = None,
    ) -> None:
        """``echo`` as a ``table`` under ``headers``, the headers only when there are items;
        ``under(item)``: the lines said under its row (``print_table``)."""
        if as_json or not self.items:
            self.echo(as_json, str, empty=empty)
            return
        print_table(
            headers,
            [cells(item) for item in self.items],
            under=[under(item) for item in self.items] if under is not None else None,
        )
        self._say_more()


def print_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str | None]],
    *,
    under: Sequence[Sequence[str]] | None = None,
) -> None:
    """Print ``rows`` as columns under ``headers``, each as wide as its widest cell on screen
    (``shown_width``: a wide letter takes two places), two spaces apart; an empty cell reads
    "—", so no column moves left. The one way the CLI prints a table (``Listing.table`` prints a
    list so): rows padded by hand (``f"{word:<10}"``) lost their place to a longer word
    ("Deactivated"), a name in wide letters or an emoji. ``under``, one entry per row: lines
    said under that row, indented two places and out of the columns (what to do next about it,
    its error), so they widen none."""
    lines = [list(headers), *([cell or "—" for cell in row] for row in rows)]
    notes: list[Sequence[str]] = [(), *(under if under is not None else [()] * (len(lines) - 1))]
    widths = [max(shown_width(line[i]) for line in lines) for i in range(len(headers))]
    for line, said in zip(lines, notes, strict=True):
        padded = (cell + " " * (width - shown_width(cell)) for cell, width in zip(line, widths, strict=True))
        click.echo("  ".join(padded).rstrip())
        for note in said:
            click.echo(f"  {note}")


def shown_width(text: str) -> int:
    """How many places a terminal gives ``text``: a wide letter (王, ｗ) two, a combining mark or
    a joiner none, any other one (``print_table`` lines its columns up by it)."""
    return sum(_place(c) for c in text)


def _place(c: str) -> int:
    if unicodedata.category(c) in _NO_PLACE:
        return 0
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


# Unicode categories that take no place of their own: combining marks, format characters (joiners).
_NO_PLACE = ("Mn", "Me", "Cf")


def address(value: str | None) -> str | None:
    """An address as the text of a list shows it: a phone number spaced as every page shows it
    ("+1 202-555-0173", ``kit.text.readable_phone``); ``--json`` keeps it as stored."""
    from admit.kit.text import readable_phone

    return readable_phone(value)


def reactivate_how(slug: str, address: str) -> str:
    """The command that reactivates a deactivated member, where the pages say Reactivate (every
    command that may refuse one says it: ``admit invite``, ``admit workspaces add``)."""
    return f"`admit members reactivate --portal {slug} {address}`"


def when(moment: datetime | None) -> str | None:
    """A moment as every list shows it (invitations, members, audit, links signups, hr), in
    UTC: ``2026-12-06 18:05 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment is not None else None


def delivery(status: str | None, error: str | None = None) -> str | None:
    """A delivery status as User Management's Delivery column says it ("Queued", "Bounced"),
    with its reason when it has one ("Failed: 550 mailbox unavailable"), as the page shows it."""
    from admit.notifications.models import DELIVERY_WORDS

    if not status:
        return None
    words = DELIVERY_WORDS.get(status, status)
    return f"{words}: {error}" if error else words


def walk(
    fetch: Callable[[str | None, int], tuple[Sequence[Row], str | None]],
    count: Callable[[], int],
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[Row], int, str | None]:
    """Every row ``fetch(cursor, page_size) -> (rows, next_cursor)`` gives, page after page from
    ``cursor``, or the first ``limit`` of them: ``(rows, total, next_cursor)``, ``next_cursor``
    None when every page was read. ``count()`` (how many match in all) is asked only when the
    rows read are not all of them."""
    start = cursor
    rows: list[Row] = []
    while True:
        size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(rows))
        page, cursor = fetch(cursor, size)
        rows += page
        if cursor is None or (limit is not None and len(rows) >= limit):
            break
    total = len(rows) if start is None and cursor is None else count()
    return rows, total, cursor


def columns(*texts: str | None) -> str:
    """One line of plain output: the texts given, two spaces apart, the empty ones left out."""
    return "  ".join(t for t in texts if t)


def print_outcomes(answer: RecipientResults, *, addresses: Sequence[str | None] = ()) -> None:
    """A recipient answer's rows as a table (Outcome, Address, Why), why for those skipped
    (someone already invited: as the answer was made to say it, ``admit invite``'s naming the
    command that sends it again). Each is named by the
    address it was read as (``addresses``: the pipeline's, in the answer's order; else its
    invitation's), as the lists show one (``address``: a number spaced), or as typed when it is
    none (an address refused)."""
    read_as = list(addresses) or [r.invitation.recipient if r.invitation else None for r in answer.results]
    rows = []
    for r, known in zip(answer.results, read_as, strict=True):
        # An empty one is named by its place among those given (the API's ``index``).
        place = f"(recipient {r.index + 1})" if r.index is not None else "(empty)"
        why = f"{r.code}: {r.detail}" if r.outcome == "skipped" else None
        rows.append((r.outcome, address(known or r.recipient) or place, why))
    print_table(("Outcome", "Address", "Why"), rows)


def print_results(
    answer: RecipientResults, *, addresses: Sequence[str | None] = (), user_type: str | None = None
) -> None:
    """A recipient answer as text: its rows (``print_outcomes``), then counts in the Invite
    box's words (``user_type``: as what they were invited, "2 invited as clients", as the box says)."""
    from admit.invitations import pipeline

    print_outcomes(answer, addresses=addresses)
    counts = answer.counts
    skipped = Counter(str(r.code) for r in answer.results if r.outcome == "skipped")
    after = f" {QUEUED}" if counts["invited"] or counts["added"] else ""
    # The Invite box's words: "1 invited · 2 skipped: 1 listed twice, 1 not a usable …".
    said = pipeline.summary(counts["invited"], dict(skipped), added=counts["added"], user_type=user_type)
    click.echo(f"{said}.{after}")


# Said after messages are written: they wait in the outbox for whichever process delivers (a
# command never knows whether one is running).
QUEUED = "The messages are queued: a running `admit serve` or `admit worker` sends them."


def alias(command: click.Command, old_name: str, new_name: str) -> click.Command:
    """``command`` under the name it had before (``admit users``, ``admit link …``), hidden from
    ``admit --help`` and saying it is deprecated, for one release."""
    note = f"Old name of `admit {new_name}`, kept for one release; use that instead."
    if isinstance(command, click.Group):
        return click.Group(
            old_name, commands=command.commands, help=note, hidden=True, deprecated=f"Use `admit {new_name}`."
        )
    return click.Command(
        old_name,
        callback=command.callback,
        params=command.params,
        help=f"{note}\n\n{inspect.cleandoc(command.help or '')}",
        hidden=True,
        deprecated=f"Use `admit {new_name}`.",
    )
