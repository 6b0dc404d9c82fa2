"""Another connection in the middle of a write, for tests of what waits and what does not."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from steward.db import Database


@contextmanager
def writer_holds_the_lock(db: Database, postgres_tables: str) -> Iterator[None]:
    """SQLite: another connection holds the database's write lock. PostgreSQL: it holds
    `postgres_tables` (comma-separated) in EXCLUSIVE mode, so reads go on and writes wait."""
    if db.is_sqlite:
        holder = sqlite3.connect(db.url.split("///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    with db.engine.connect() as conn:
        conn.execute(text(f"LOCK TABLE {postgres_tables} IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()
