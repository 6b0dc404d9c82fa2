"""The workspace revision: a counter bumped by every transaction that changes business data,
and the revision at which each table last changed.

Read-mostly pages (a book of a thousand accounts) are cached per revision; one indexed read
tells a worker process whether its cached copy is still current, whichever process wrote.
Computed figures that read a few kinds of record (a forecast reads contracts, scores and the
pipeline, not activities) are kept per `tables_state` of the tables they read, so a logged
call does not throw away a Monte Carlo of the whole book.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    String,
    Table,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from steward.db.base import Base

workspace_state = Table(
    "workspace_state",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", BigInteger, nullable=False, default=0),
)

# name → the revision of the last committed transaction that changed it. ANY_TABLE is every
# table at once: set when the migration that made this table ran (what changed before is not
# known table by table), and read by every `tables_state`.
table_revisions = Table(
    "table_revisions",
    Base.metadata,
    Column("name", String(80), primary_key=True),
    Column("revision", BigInteger, nullable=False),
)
ANY_TABLE = "*"

# Bookkeeping that changes nothing a page shows.
_UNTRACKED = frozenset(
    {
        "api_tokens",
        "web_sessions",
        "login_attempts",
        "login_counters",
        "trusted_devices",
        "audit_events",
        "workspace_state",
        "table_revisions",
        # Usage events stream in all day; they feed health scores, not cached pages.
        "usage_events",
    }
)
_CHANGED = "steward.changed"
# Execution option of a write that keeps figures derived from other tables (an account's last
# touch, from its activities): the tables it names count as changed instead of the one it
# writes, so readers of the derived columns declare their source (`derived_column`).
_DERIVED_FROM = "steward_derived_from"
# The key of a derived column's `info` naming the tables it is kept from.
DERIVED_FROM_INFO = "derived_from"


def derived_write(*tables: str) -> dict[str, Any]:
    """Execution options for a write of derived columns only (`statement.execution_options(
    **derived_write("activities"))`): it marks `tables` as changed, not the table written."""
    return {_DERIVED_FROM: frozenset(tables)}


def derived_column(*tables: str) -> dict[str, Any]:
    """A column's `info` when it keeps a figure of other tables, written only with
    `derived_write` (a reader of the column reads those tables: the test of every kept
    figure's declared tables counts it so)."""
    return {DERIVED_FROM_INFO: frozenset(tables)}


def _mark(session: Session, tables: Iterable[str]) -> None:
    tracked = [name for name in tables if name not in _UNTRACKED]
    if tracked:
        session.info.setdefault(_CHANGED, set()).update(tracked)


_tables_of_class: dict[type, tuple[str, ...]] = {}


def _class_tables(kind: type) -> tuple[str, ...]:
    """The tables a mapped class writes (two for joined inheritance)."""
    names = _tables_of_class.get(kind)
    if names is None:
        mapper: Any = inspect(kind, raiseerr=False)
        tables = getattr(mapper, "tables", ())
        names = tuple(str(getattr(t, "name", ANY_TABLE)) for t in tables) or (ANY_TABLE,)
        _tables_of_class[kind] = names
    return names


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    # Per class, not per object: a bulk load flushes thousands of one kind.
    for kind in {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}:
        _mark(session, _class_tables(kind))


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        derived = state.execution_options.get(_DERIVED_FROM)
        if derived is not None:
            _mark(state.session, derived)
            return
        table = getattr(state.statement, "table", None)
        _mark(state.session, [str(getattr(table, "name", None) or ANY_TABLE)])


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Also sent when a savepoint is released: its changes count when the transaction
    # holding it commits, so the mark stays for that (a rule run fires each event in a
    # savepoint: one bump for the run, not an UPDATE per firing).
    if session.in_nested_transaction():
        return
    session.flush()
    changed = session.info.pop(_CHANGED, None)
    if not changed:
        return
    # On the connection, not the session, so these writes do not mark themselves. The
    # UPDATE of the one state row queues every writer, so the table rows after it are
    # written in commit order and never deadlock.
    connection = session.connection()
    revision = connection.execute(
        update(workspace_state)
        .where(workspace_state.c.id == 1)
        .values(revision=workspace_state.c.revision + 1)
        .returning(workspace_state.c.revision)
    ).scalar()
    if revision is None:  # a database restored without its state row
        revision = 1
        connection.execute(insert(workspace_state).values(id=1, revision=revision))
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(table_revisions).values(
        [{"name": name, "revision": revision} for name in sorted(changed)]
    )
    connection.execute(
        upsert.on_conflict_do_update(
            index_elements=[table_revisions.c.name],
            set_={"revision": upsert.excluded.revision},
        )
    )


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


def table_names(tables: Iterable[str | Table | type]) -> frozenset[str]:
    """Names of tables given as names, tables or mapped classes."""
    names: set[str] = set()
    for table in tables:
        if isinstance(table, str):
            names.add(table)
        elif isinstance(table, Table):
            names.add(table.name)
        else:
            names.update(_class_tables(table))
    return frozenset(names)


def tables_state(session: Session, tables: frozenset[str]) -> tuple[str, int]:
    """The database and the revision at which any of `tables` last changed: the part of a
    cache key for figures that read only those tables (name them with `table_names`; a test
    holds each such set to the tables its computation reads)."""
    revision = session.execute(
        select(func.max(table_revisions.c.revision)).where(
            table_revisions.c.name.in_(sorted(tables | {ANY_TABLE}))
        )
    ).scalar()
    return (str(session.get_bind().engine.url), int(revision or 0))


__all__ = [
    "ANY_TABLE",
    "DERIVED_FROM_INFO",
    "current_revision",
    "data_state",
    "derived_column",
    "derived_write",
    "has_unsaved_writes",
    "table_names",
    "table_revisions",
    "tables_state",
    "workspace_state",
]
