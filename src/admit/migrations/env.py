"""Alembic environment: the URL comes from the caller (``admit migrate``) or ADMIT_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import admit.models  # noqa: F401 - registers every table on Base.metadata
from admit.db import Base, create_db_engine
from admit.migrate import in_models
from admit.settings import current

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or current().database_url
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # A batch migration on SQLite rebuilds a table: it drops the old one, and with
                # foreign keys on that deleted every row that cascades from it (an import's
                # uploaded list and report went with d0e1f2a30061). Off for the migration (a
                # PRAGMA that only takes outside a transaction: the driver's own, before any
                # BEGIN), and what the rows refer to is checked once it is done.
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            _run(conn)
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows referring to nothing: {broken[:5]}")
            conn.commit()
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=in_models(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
