"""What every command group shares: the settings and the database, a unit of work acting as a
portal's operator, and how an error ends a command."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from admit.settings import Settings, configure


def settings() -> Settings:
    return configure(Settings())


def database(settings: Settings):
    from admit.context import Context
    from admit.db import Database

    return Database(settings.database_url, context=Context.build(settings))


def fail(message: str, code: int = 1):
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(code)


def error_message(exc) -> str:
    """A domain error as the CLI says it: its message, and the field it names."""
    field = exc.fields.get("field")
    return exc.message + (f" (field: {field})" if field else "")


@contextmanager
def portal_session(slug: str):
    """A unit of work acting as the portal's operator: yields ``(session, actor)``. A domain error
    ends the command with its message (and field); the engine is closed at the end."""
    from admit.errors import DomainError

    db = database(settings())
    try:
        with db.unit_of_work() as session:
            yield session, operator(session, slug)
    except DomainError as exc:
        fail(error_message(exc))
    finally:
        db.dispose()


def operator(session, slug: str):
    """The CLI acts as the portal's first owner (an operator at the console has the keys anyway)."""
    from admit.members import service as members_service

    return members_service.operator_actor(session, slug)
