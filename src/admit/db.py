"""Engine, session factory, declarative Base and the unit of work.

The unit of work is one request, one job or one CLI command: services flush, never commit;
whoever opened the session commits (or rolls back) at the end.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from sqlalchemy import Connection, DateTime, Engine, Index, MetaData, Table, Uuid, create_engine, event, text
from sqlalchemy.engine import CursorResult, Dialect, Result, make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, UOWTransaction, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool
from sqlalchemy.types import TypeDecorator

from admit.errors import Busy

if TYPE_CHECKING:
    from admit.context import Context

CONTEXT_KEY = "admit.context"  # where sessions carry their context (admit.context.of)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {uuid.UUID: Uuid(as_uuid=True)}
    if TYPE_CHECKING:
        # Every model is mapped to a table (none to a join or a select); bulk inserts and
        # conditional updates take ``Model.__table__`` as one.
        __table__: ClassVar[Table]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned timezone-aware (UTC).

    SQLite has no time zones; storing naive UTC on both backends keeps comparisons equal.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# Values as the driver gives them (a stream read with ``kit.pagination.stream_union(raw=True)``,
# which skips the column types' conversions): SQLite gives text for timestamps, identifiers and
# JSON; PostgreSQL's driver gives Python values. These read either, as the types above would.


def raw_iso(value: datetime | str | None) -> str:
    """A ``UTCDateTime`` column's raw value as ISO 8601 in UTC, ending in ``Z`` as the API's JSON
    writes it (``2026-12-03T08:19:25.123456Z``); or "" for none. The raw value is a datetime,
    or its text: SQLite's "2026-12-03 08:19:25.123456", PostgreSQL's ``timestamp::text`` (ISO
    DateStyle) "2026-12-03 08:19:25.12" (trailing zeros left out)."""
    if value is None:
        return ""
    if isinstance(value, str):
        day, _, clock = value.partition(" ")
        if "." in clock:
            clock = clock.ljust(15, "0").removesuffix(".000000")
        return f"{day}T{clock}Z"
    return value.replace(tzinfo=None).isoformat() + "Z"


@functools.lru_cache(maxsize=4096)
def _uuid_of(text: str) -> uuid.UUID:
    return uuid.UUID(text)


def raw_uuid(value: uuid.UUID | str | None) -> uuid.UUID | None:
    """A ``Uuid`` column's raw value as a UUID."""
    return _uuid_of(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=1024)
def _json_of(text: str) -> Any:
    return json.loads(text)


def raw_list(value: list[Any] | str | None) -> tuple[Any, ...]:
    """A JSON list column's raw value as a tuple (few distinct values in a long stream: the
    text is parsed once per distinct value)."""
    if value is None:
        return ()
    return tuple(_json_of(value) if isinstance(value, str) else value)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an UPDATE or DELETE matched. (``Session.execute`` answers a ``Result``
    whatever the statement; for an UPDATE or a DELETE it is a ``CursorResult``.)"""
    return cast("CursorResult[*tuple[Any, ...]]", result).rowcount


# Rows per index that SQLite's ANALYZE reads (``Database.refresh_statistics``).
STATISTICS_ROWS = 1000

# How long a unit of work waits for its turn on SQLite before the request is answered 503.
SQLITE_TURN_SECONDS = 10.0
# How often the worker refreshes SQLite's planner statistics (``Database.refresh_statistics``),
# and so how long a pooled SQLite connection lives: no longer than the numbers it plans with.
STATISTICS_EVERY_SECONDS = 3600


def normalize_url(url: str) -> str:
    """Accept plain URLs (``postgresql://``, ``sqlite:///``) and pick Admit's driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, as an absolute path (``sqlite:///admit.db``: admit.db in the
    current directory); None for another database or one in memory."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.query.get("mode") == "memory" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database).absolute()


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        # A connection reads the planner's statistics when it first reads the schema, and not
        # again when another connection's ANALYZE (the worker's, hourly: ``refresh_statistics``)
        # writes new ones: pooled connections are replaced as often, so that every one plans
        # with numbers at most that old.
        pool = {"pool_recycle": STATISTICS_EVERY_SECONDS, **kwargs}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            # WAL + synchronous=NORMAL: ~50x faster small transactions (PERFORMANCE-NOTES).
            # The driver's own transaction handling is turned off so that BEGIN IMMEDIATE
            # below takes the write lock up front; otherwise two writers deadlock on upgrade.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # Reads from memory rather than through read(2) calls: a 16 MiB page cache per
            # connection (the default is 2 MiB) and the file mapped (shared by connections).
            # A roster count walking 100,000 index entries took ~20% less time (bench/roster.py).
            cur.execute("PRAGMA cache_size=-16384")
            cur.execute("PRAGMA mmap_size=1073741824")
            cur.close()

        # Every transaction takes SQLite's one write lock (BEGIN IMMEDIATE). The transactions of
        # this process take turns for it here first, in order, instead of in SQLite's busy wait
        # (which sleeps, hands the lock over unfairly and, under a burst, ran out the connection
        # pool: 500s after 30 s). One that cannot have its turn within SQLITE_TURN_SECONDS is
        # refused at once with ``Busy`` (503, Retry-After). Other processes still meet SQLite's
        # own wait (busy_timeout).
        turns = threading.Lock()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            if not turns.acquire(timeout=SQLITE_TURN_SECONDS):
                raise Busy.serving()
            conn.info["sqlite_turn"] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _end_turn(conn)
                raise

        def _end_turn(conn: Connection) -> None:
            conn.info.pop(_WROTE, None)
            if conn.info.pop("sqlite_turn", False):
                turns.release()

        @event.listens_for(engine, "before_cursor_execute")
        def _note_writes(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
            # What step_out needs to know: has this transaction written (anything but a read)?
            if not statement.lstrip()[:6].upper().startswith(("SELECT", "BEGIN", "PRAGMA")):
                conn.info[_WROTE] = True

        event.listen(engine, "commit", _end_turn)
        event.listen(engine, "rollback", _end_turn)

        return engine
    # No server-side prepared statements: after five runs psycopg prepares a statement and
    # PostgreSQL may switch to a generic plan, which for the batch lookups of a bulk import
    # (``IN (SELECT unnest(:list))``) was ~80 ms a query instead of ~4 ms (bench/bulk.py).
    # No JIT: PostgreSQL compiles a query to machine code when its estimated cost passes
    # ``jit_above_cost``; for Admit's queries (short lookups, or a long stream such as the roster
    # export, estimated high because of a correlated subquery) the compiling (~0.5 s measured
    # by EXPLAIN ANALYZE in bench/roster.py's export) never pays back.
    connect_args = {"prepare_threshold": None, "options": "-c jit=off", **kwargs.pop("connect_args", {})}
    # The most recently used connection first (LIFO): under load the same few stay busy and are
    # never pinged; those left idle are pinged when next used (``_ping_after_idle``).
    pool = {"pool_size": 10, "max_overflow": 20, "pool_use_lifo": True, **kwargs}
    engine = create_engine(url, connect_args=connect_args, **pool)
    _ping_after_idle(engine)
    return engine


# A pooled PostgreSQL connection idle longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "admit_idle_since"


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before handing it out only if it sat idle longer than
    ``PING_AFTER_IDLE_SECONDS``: one that answered a moment ago is taken as alive. The pool's own
    ``pool_pre_ping`` pings at every checkout, a round trip to the server for every request
    (~0.1–0.2 ms here, one of an accept's 19: issue 13). A connection found dead (the server
    restarted, a firewall dropped it while idle) is replaced here, and so is every other one
    pooled before it, as ``pool_pre_ping`` does; one that dies in the few seconds after its
    last use fails its request, and the pool is then replaced the same way
    (SQLAlchemy's disconnect handling)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_SECONDS:
            return  # just made, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if not engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise  # not a dropped connection: the pool stays as it is
            raise InvalidatePoolError(str(exc)) from exc


_WROTE = "sqlite_wrote"
_WRITTEN_TO = "admit.written_to"  # a session's info: the tables its transaction wrote rows into


def step_out(session: Session) -> bool:
    """On SQLite, end ``session``'s transaction if it has only read, so slow work that needs no
    database (an argon2id hash, ~20 ms) does not hold the one write lock every other request of
    the process waits for; the next statement begins a new transaction, and what was loaded stays
    (``expire_on_commit=False``). Nothing happens on other databases, nor once the transaction
    has written or has changes to write: its work commits as one. True when it ended one: the
    caller then reads again what its writes depend on, as another request may have changed it
    meanwhile (``auth.service.login``, ``flows.join.accept``)."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    connection = session.connection()
    if connection.dialect.name != "sqlite" or connection.info.get(_WROTE):
        return False
    session.commit()
    return True


def let_go(session: Session) -> None:
    """End ``session``'s transaction, committing what it has done so far, and give its connection
    back to the pool, before the caller waits on something outside the database (an HR system's
    list, a DNS answer). Held meanwhile, that transaction would keep SQLite's one write lock, which
    every other request and the worker wait for (503 ``busy`` after ``SQLITE_TURN_SECONDS``: even a
    list served by this very process, Admit's own people.csv, was refused), and on PostgreSQL a
    pooled connection and any row locks it took. The next statement begins a new transaction; what
    was loaded stays (``expire_on_commit=False``) but may have changed meanwhile: the caller reads
    again what its writes depend on. Call it before the work that should be one transaction."""
    if session.in_transaction():
        session.commit()


def rows_written(session: Session, table: Table) -> None:
    """Rows went into ``table`` in ``session``'s transaction past its events (a COPY, a Core
    INSERT on its connection: ``kit.written`` tells of each, to this hook that ``jobs``
    registers, as kit cannot import db). At the commit they count as rows written through the
    ORM do: into a watched table, they wake the worker (``Database.watch_for_work``)."""
    session.info.setdefault(_WRITTEN_TO, set()).add(table.name)


class Database:
    """An engine and its session factory; one per process (the app, the CLI, a test).

    ``context`` (an ``admit.context.Context``: settings, clock, rate limiter) rides along in
    every session's ``info``; services read it with ``admit.context.of(session)``.
    """

    def __init__(self, url: str, *, context: Context | None = None, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_db_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.context = context
        # Set when a unit of work of this process commits work for the worker (``watch_for_work``).
        self.work = threading.Event()
        self._work_tables: frozenset[str] = frozenset()
        self._workers: set[int] = set()  # the threads that take the work: their writes wake nobody

    def watch_for_work(self, tables: Iterable[str]) -> threading.Event:
        """Set ``self.work`` whenever a unit of work of this process commits a row written (added
        or changed) in one of ``tables`` (what the worker takes: a message to send, an import
        to run), unless a worker's own thread (``working``) wrote it. Its flushes and statements
        are seen here; rows written past them (``kit.bulk``, ``kit.insert``) are told of by
        ``rows_written``, which the caller registers with ``kit.written``. The worker in the web
        process waits on it between passes, so an invitation's email goes out as its request
        ends, not at the next poll (``worker_poll_seconds``, still the bound for work that falls
        due with time, or written by another process). Returns ``self.work``."""
        if not self._work_tables:
            event.listen(self.sessionmaker, "after_flush", self._flushed)
            event.listen(self.sessionmaker, "do_orm_execute", self._executed)
            event.listen(self.sessionmaker, "after_commit", self._committed)
            event.listen(self.sessionmaker, "after_rollback", self._rolled_back)
        self._work_tables |= frozenset(tables)
        return self.work

    @contextmanager
    def working(self) -> Iterator[None]:
        """This thread is a worker for the block: what it writes does not set ``work`` (its own
        passes would wake it again and again)."""
        ident = threading.get_ident()
        self._workers.add(ident)
        try:
            yield
        finally:
            self._workers.discard(ident)

    @staticmethod
    def _flushed(session: Session, _flush: UOWTransaction) -> None:
        tables = {getattr(instance, "__tablename__", None) for instance in (*session.new, *session.dirty)}
        session.info.setdefault(_WRITTEN_TO, set()).update(tables)

    @staticmethod
    def _executed(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update:
            table = getattr(state.statement, "table", None)
            state.session.info.setdefault(_WRITTEN_TO, set()).add(getattr(table, "name", None))

    def _committed(self, session: Session) -> None:
        written = session.info.pop(_WRITTEN_TO, ())
        if not self._work_tables.isdisjoint(written) and threading.get_ident() not in self._workers:
            self.work.set()

    @staticmethod
    def _rolled_back(session: Session) -> None:
        session.info.pop(_WRITTEN_TO, None)

    def session(self) -> Session:
        """A new session carrying this database's context (the caller closes it)."""
        return self.sessionmaker(info={CONTEXT_KEY: self.context})

    @property
    def request_sessions(self) -> int:
        """How many requests may hold a session at once: the pool's connections, less five for
        what opens its own (the worker in the web process, an export's stream). A request past
        it waits on the event loop, holding no thread (``web.db_session``)."""
        pool = self.engine.pool
        if not isinstance(pool, QueuePool) or pool._max_overflow < 0:
            return 64  # a pool with no bound (max_overflow=-1, NullPool, SQLite's in-memory one)
        return max(1, pool.size() + pool._max_overflow - 5)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Open a session, commit when the block ends, roll back if it raises."""
        session = self.session()
        try:
            yield session
        except BaseException:
            self.end(session, commit=False)
            raise
        self.end(session, commit=True)

    @staticmethod
    def end(session: Session, *, commit: bool) -> None:
        """End a unit of work: commit (or roll back) and close; closed even if the commit fails."""
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def refresh_statistics(self) -> None:
        """Let SQLite's query planner know how the tables look now (``ANALYZE``, reading about
        a thousand rows per index: milliseconds). Without statistics it guesses that a portal
        holds a few rows and, with many people, walks a whole list where an index would answer
        (the roster's search and filters: bench/roster.py). The worker runs it every hour and
        after each import, ``admit migrate`` after migrating; PostgreSQL keeps its own."""
        if not self.is_sqlite:
            return
        with self.unit_of_work() as session:
            session.execute(text(f"PRAGMA analysis_limit={STATISTICS_ROWS}"))
            session.execute(text("ANALYZE"))
        # This process's other pooled connections would keep the old numbers until replaced
        # (``STATISTICS_EVERY_SECONDS``): new ones from now on (those in use finish as they are).
        self.engine.dispose(close=False)

    def dispose(self) -> None:
        self.engine.dispose()


def trigram_indexes(table: str, **columns: str) -> list[Index]:
    """GIN trigram indexes (``pg_trgm``) on PostgreSQL for ``LIKE '%…%'`` search, one per
    ``name=expression``: ``ix_<table>_<name>_trgm``. Nothing on other databases (``ddl_if``);
    made by migration a4b5c6d70009 where the extension may be created."""
    return [
        Index(
            f"ix_{table}_{name}_trgm",
            text(expression),
            postgresql_using="gin",
            postgresql_ops={expression: "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql")
        for name, expression in columns.items()
    ]
