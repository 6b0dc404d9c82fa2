"""The workspace revision: a counter bumped by every transaction that changes business data.

Read-mostly pages (a book of a thousand accounts) are cached per revision; one indexed read
tells a worker process whether its cached copy is still current, whichever process wrote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Integer, Table, event, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from steward.db.base import Base

workspace_state = Table(
    "workspace_state",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", BigInteger, nullable=False, default=0),
)

# Bookkeeping that changes nothing a page shows.
_UNTRACKED = frozenset(
    {
        "api_tokens",
        "web_sessions",
        "login_attempts",
        "audit_events",
        "workspace_state",
        # Usage events stream in all day; they feed health scores, not cached pages.
        "usage_events",
    }
)
_CHANGED = "steward.changed"


def _table_name(obj: Any) -> str:
    return str(getattr(obj, "__tablename__", ""))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if _table_name(obj) not in _UNTRACKED:
            session.info[_CHANGED] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) not in _UNTRACKED:
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Also sent when a savepoint is released: its changes count when the transaction
    # holding it commits, so the mark stays for that (a rule run fires each event in a
    # savepoint: one bump for the run, not an UPDATE per firing).
    if session.in_nested_transaction():
        return
    session.flush()
    if session.info.pop(_CHANGED, False):
        # On the connection, not the session, so this write does not mark itself.
        connection = session.connection()
        bumped = connection.execute(
            update(workspace_state)
            .where(workspace_state.c.id == 1)
            .values(revision=workspace_state.c.revision + 1)
        )
        if bumped.rowcount == 0:  # a database restored without its state row
            connection.execute(insert(workspace_state).values(id=1, revision=1))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    # A savepoint rolled back undoes its own changes only: what the transaction wrote
    # before it still counts (at worst one bump too many, which only refreshes caches).
    if not session.in_nested_transaction():
        session.info.pop(_CHANGED, None)


def has_unsaved_writes(session: Session) -> bool:
    """Whether the session has written business data it has not committed (its own reads
    then see a state no revision names yet)."""
    return bool(session.info.get(_CHANGED) or session.new or session.dirty or session.deleted)


def current_revision(session: Session) -> int:
    value = session.execute(
        select(workspace_state.c.revision).where(workspace_state.c.id == 1)
    ).scalar()
    return int(value or 0)


def data_state(session: Session) -> tuple[str, int]:
    """The database and its revision: the part of a cache key that any committed write of
    business data changes (figures that read many kinds of record are kept under it)."""
    return (str(session.get_bind().engine.url), current_revision(session))


__all__ = ["current_revision", "data_state", "has_unsaved_writes", "workspace_state"]
