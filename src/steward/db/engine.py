"""Engine and session factory for one database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # FULL: a commit is on disk when it returns, power loss included (NORMAL in WAL mode can
    # lose the last commits to a power cut; the cost is one fsync per commit).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _driver_begins_nothing(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One database: its engine and a session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        # Work that needs real savepoints (imports: one per row). pysqlite begins transactions
        # only before writes and ends one at RELEASE SAVEPOINT, so on SQLite these sessions use
        # a second engine where SQLAlchemy emits BEGIN IMMEDIATE itself (the recipe of
        # SQLAlchemy's SQLite docs; IMMEDIATE so concurrent writers wait instead of failing).
        # The main engine keeps pysqlite's way: reads outside write transactions, writers wait.
        self.strict_session_factory = self.session_factory
        self._strict_engine: Engine | None = None
        if self.is_sqlite:
            self._strict_engine = create_engine(url, **kwargs)
            event.listen(self._strict_engine, "connect", _sqlite_pragmas)
            event.listen(self._strict_engine, "connect", _driver_begins_nothing)
            event.listen(self._strict_engine, "begin", _begin_immediate)
            self.strict_session_factory = sessionmaker(self._strict_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

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

    def dispose(self) -> None:
        self.engine.dispose()
        if self._strict_engine is not None:
            self._strict_engine.dispose()
