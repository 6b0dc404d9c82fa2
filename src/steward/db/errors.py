"""Which database errors mean "try again later" rather than "this request is wrong"."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout


def database_unavailable(error: BaseException) -> bool:
    """True for a database that is down, unreachable, locked by another writer, or that
    cancelled a statement for its time limit: nothing was written, a retry may succeed.
    (Both drivers raise OperationalError for these: SQLite "database is locked" and
    "interrupted", psycopg connection failures, QueryCanceled and LockNotAvailable.)"""
    if isinstance(error, OperationalError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


__all__ = ["SQLAlchemyError", "database_unavailable"]
