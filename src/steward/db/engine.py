"""Engine and session factory for one database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(lock_timeout: float) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        # FULL: a commit is on disk when it returns, power loss included (NORMAL in WAL mode
        # can lose the last commits to a power cut; the cost is one fsync per commit).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return on_connect


_DEADLINE = "steward_statement_deadline"


def _sqlite_statement_timeout(engine: Engine, seconds: float) -> None:
    """SQLite has no statement_timeout: a progress handler, called every few thousand VM
    steps, interrupts a statement past its deadline ("interrupted", an OperationalError)."""

    @event.listens_for(engine, "connect")
    def _install(dbapi_connection: Any, record: Any) -> None:
        info = record.info

        def past_deadline() -> int:
            deadline = info.get(_DEADLINE)
            return 1 if deadline is not None and time.monotonic() > deadline else 0

        dbapi_connection.set_progress_handler(past_deadline, 10_000)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn: Any, *_: Any) -> None:
        conn.info[_DEADLINE] = time.monotonic() + seconds

    @event.listens_for(engine, "after_cursor_execute")
    def _end(conn: Any, *_: Any) -> None:
        conn.info.pop(_DEADLINE, None)


def _driver_begins_nothing(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


_WAITING = "steward_waiting_writer"
# A bulk writer waits for waiting writers at most this long between two of its transactions
# (so a steady stream of them slows it but never stops it), and after the last of them has
# written, this long for the same request's next transaction.
WAITING_WRITERS_LIMIT = 2.0
WAITING_WRITERS_GRACE = 0.1
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WaitingWriters:
    """Writers on one SQLite file that have begun a write and not yet ended it, across
    processes: each holds a shared OS lock on a file beside the database from its first write
    statement (before it waits for SQLite's write lock) to its commit or rollback.

    A bulk writer (an import) asks after each of its transactions whether anyone is there and,
    if so, waits until they are all through before it takes the lock again. SQLite alone has
    no queue: a waiter polls for the lock (1 to 100 ms back-off) and on a loaded machine kept
    missing the import's fixed pauses until its lock timeout ran out (a login answered 503)."""

    def __init__(self, database_path: str) -> None:
        self.path = f"{database_path}.writers"

    def enter(self) -> int:
        """Registers a writer; returns the descriptor whose closing unregisters it."""
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_SH)
        return descriptor

    def let_in(self, limit: float, grace: float) -> None:
        """Waits until no writer is registered, or `limit` seconds. Once some writer was,
        also until none registers for `grace` seconds: one request writes in a few short
        transactions (a login: its attempt counters, then its session), and should not wait
        a whole batch between each."""
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + limit
        waited = False
        try:
            while time.monotonic() < deadline:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    waited = True
                    time.sleep(0.002)
                    continue
                fcntl.flock(descriptor, fcntl.LOCK_UN)
                if not waited:
                    return
                waited = False
                time.sleep(grace)
        finally:
            os.close(descriptor)


def _register_writers(engine: Engine, waiting: WaitingWriters) -> None:
    """Every write transaction on `engine` registers in `waiting` for as long as it lasts."""

    @event.listens_for(engine, "before_cursor_execute")
    def _enter(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # conn.info lives as long as the driver's connection, as the registration must.
        if _WAITING in conn.info or conn.connection.dbapi_connection.in_transaction:
            return
        if statement.lstrip()[:7].upper().startswith(_WRITES):
            conn.info[_WAITING] = waiting.enter()

    def _leave_connection(conn: Any, *_: Any) -> None:
        _leave_info(conn.info)

    def _leave(record: Any) -> None:
        _leave_info(record.info)

    def _leave_info(info: dict[str, Any]) -> None:
        descriptor = info.pop(_WAITING, None)
        if descriptor is not None:
            os.close(descriptor)

    # At commit or rollback the writer holds SQLite's lock or has given up: either way the
    # bulk writer may go on (its next BEGIN IMMEDIATE waits out the commit itself).
    event.listen(engine, "commit", _leave_connection)
    event.listen(engine, "rollback", _leave_connection)
    event.listen(engine.pool, "checkin", lambda _dbapi, record: _leave(record))
    event.listen(engine.pool, "invalidate", lambda _dbapi, record, *_: _leave(record))


class Database:
    """One database: its engine and a session factory."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        statement_timeout: float | None = None,
        lock_timeout: float = 10.0,
    ) -> None:
        """statement_timeout (seconds) cancels a statement that runs longer (none: no limit,
        for batch work); lock_timeout is how long a writer waits for another's lock. Both
        end in an OperationalError, which the API answers 503 with Retry-After."""
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            options = f"-c lock_timeout={int(lock_timeout * 1000)}"
            if statement_timeout is not None:
                options += f" -c statement_timeout={int(statement_timeout * 1000)}"
            kwargs.update(
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                # A pool with every connection busy answers 503 after this, rather than
                # queueing requests without end.
                pool_timeout=lock_timeout,
                connect_args={"options": options, "connect_timeout": 5},
            )
        self.engine: Engine = create_engine(url, **kwargs)
        engines = [self.engine]
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        # Work that needs real savepoints (imports: one per row). pysqlite begins transactions
        # only before writes and ends one at RELEASE SAVEPOINT, so on SQLite these sessions use
        # a second engine where SQLAlchemy emits BEGIN IMMEDIATE itself (the recipe of
        # SQLAlchemy's SQLite docs; IMMEDIATE so concurrent writers wait instead of failing).
        # The main engine keeps pysqlite's way: reads outside write transactions, writers wait.
        self.strict_session_factory = self.session_factory
        self._strict_engine: Engine | None = None
        self.waiting_writers: WaitingWriters | None = None
        if self.is_sqlite:
            self._strict_engine = create_engine(url, **kwargs)
            event.listen(self._strict_engine, "connect", _driver_begins_nothing)
            event.listen(self._strict_engine, "begin", _begin_immediate)
            self.strict_session_factory = sessionmaker(self._strict_engine, expire_on_commit=False)
            engines.append(self._strict_engine)
            for engine in engines:
                event.listen(engine, "connect", _sqlite_pragmas(lock_timeout), insert=True)
                if statement_timeout is not None:
                    _sqlite_statement_timeout(engine, statement_timeout)
            database_path = self._sqlite_file()
            if database_path:
                self.waiting_writers = WaitingWriters(database_path)
                _register_writers(self.engine, self.waiting_writers)

    @property
    def transactional_engine(self) -> Engine:
        """The engine whose transactions cover every statement, DDL included."""
        return self._strict_engine or self.engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """Waits for this process's turn to write, across processes, on SQLite (one writer at
        a time): an OS file lock beside the database file, so a waiting writer wakes the moment
        the lock is free instead of polling with SQLite's back-off sleeps (1 to 100 ms), which
        left both cores idle between group commits. Nothing to wait for on PostgreSQL."""
        path = self._sqlite_file()
        if not path:
            yield
            return
        with open(f"{path}.writer-lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _sqlite_file(self) -> str:
        """The SQLite database's file path ('' on PostgreSQL or in memory)."""
        path = self.url.split("///", 1)[-1].split("?", 1)[0] if self.is_sqlite else ""
        return "" if path == ":memory:" else path

    def let_waiting_writers_in(self) -> None:
        """For bulk writers between their transactions: on SQLite, waits until every writer
        that began meanwhile has had its turn at the one write lock (at most
        WAITING_WRITERS_LIMIT); returns at once when nobody waits, or on PostgreSQL, which
        locks rows."""
        if self.waiting_writers is not None:
            self.waiting_writers.let_in(WAITING_WRITERS_LIMIT, WAITING_WRITERS_GRACE)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any error."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def refresh_statistics(self) -> None:
        """Let the query planner know the data (ANALYZE). Without statistics SQLite takes
        any index with an equality for selective: it read every account through the
        `archived_at IS NULL` index (all of them) where the seat or account index finds a
        few, and pages at 100,000 accounts took two to five times as long. On SQLite it
        reads each index once (3.5 s for the 100,000-account demo); PostgreSQL samples."""
        with self.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")

    def has_statistics(self) -> bool:
        """Whether the planner has statistics of the accounts table (the one every page
        reads): none after a restore or on a database built before they were gathered."""
        with self.engine.connect() as connection:
            if self.is_sqlite:
                kept = connection.exec_driver_sql(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
                ).first()
                query = "SELECT 1 FROM sqlite_stat1 WHERE tbl = 'accounts' LIMIT 1"
                return kept is not None and connection.exec_driver_sql(query).first() is not None
            query = "SELECT 1 FROM pg_stats WHERE tablename = 'accounts' LIMIT 1"
            return connection.exec_driver_sql(query).first() is not None

    def dispose(self) -> None:
        self.engine.dispose()
        if self._strict_engine is not None:
            self._strict_engine.dispose()
