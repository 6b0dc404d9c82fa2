"""Statement time limits and lock waits end in an error the API answers 503, on both
databases, and leave the connection pool usable."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from steward.db import Database
from steward.db.errors import database_unavailable

SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1e9) "
    "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(10)",
}


def test_a_statement_past_its_time_limit_is_cancelled(db: Database) -> None:
    limited = Database(db.url, statement_timeout=0.3)
    try:
        with limited.engine.connect() as conn:
            started = time.monotonic()
            with pytest.raises(OperationalError) as cancelled:
                conn.execute(text(SLOW[limited.engine.dialect.name]))
            assert time.monotonic() - started < 5
            assert database_unavailable(cancelled.value)
        # Quick statements on the same pool still run (the deadline is per statement).
        with limited.session() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        limited.dispose()


def test_a_writer_waits_for_another_writers_lock_only_so_long(db: Database) -> None:
    limited = Database(db.url, lock_timeout=0.3)
    holder = (
        sqlite3.connect(db.url.split("///", 1)[1], isolation_level=None)
        if db.is_sqlite
        else db.engine.connect()
    )
    try:
        if isinstance(holder, sqlite3.Connection):
            holder.execute("BEGIN IMMEDIATE")
        else:
            holder.execute(text("LOCK TABLE teams IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        with pytest.raises(OperationalError) as waited, limited.session() as session:
            session.execute(text("INSERT INTO teams (name) VALUES ('Locked out')"))
        assert time.monotonic() - started < 5
        assert database_unavailable(waited.value)
    finally:
        holder.rollback()
        holder.close()
        limited.dispose()
    with db.session() as session:
        assert session.execute(text("SELECT count(*) FROM teams")).scalar() == 0
