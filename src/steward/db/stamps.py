"""Bookkeeping writes a read must not wait for: a session's last-seen time, a token's
last use.

They run in a transaction of their own that waits for another writer's lock only a moment.
If the database is busy the stamp is skipped: the next request stamps again, and the page
the person asked for is served instead of waiting for (or failing on) a lock it never needed.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, Executable, text
from sqlalchemy.orm import Session

from steward.db.errors import SQLAlchemyError, database_unavailable

log = logging.getLogger("steward.db")

STAMP_LOCK_WAIT_MS = 250


def stamp(session: Session, statement: Executable) -> bool:
    """Runs `statement` (an UPDATE of bookkeeping columns) on its own connection and commits
    it; False if the database was too busy (nothing written)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                (previous,) = connection.exec_driver_sql("PRAGMA busy_timeout").one()
                connection.exec_driver_sql(f"PRAGMA busy_timeout={STAMP_LOCK_WAIT_MS}")
            try:
                if not sqlite:
                    connection.execute(text(f"SET LOCAL lock_timeout = {STAMP_LOCK_WAIT_MS}"))
                connection.execute(statement)
                connection.commit()
            finally:
                if sqlite:
                    connection.rollback()
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={int(previous)}")
    except SQLAlchemyError as error:
        if not database_unavailable(error):
            raise
        log.info("skipped a bookkeeping stamp, the database is busy: %s", error)
        return False
    return True
