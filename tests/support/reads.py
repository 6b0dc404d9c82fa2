"""The tables a computation reads, from the SQL it sends: what a figure kept per
`tables_state` must name (a table it reads but does not name would leave it stale)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from steward.db.base import Base
from steward.db.revision import ANY_TABLE, DERIVED_FROM_INFO

# Read to key the figures, not by the computation.
_BOOKKEEPING = frozenset({"workspace_state", "table_revisions"})


def _patterns() -> tuple[
    list[tuple[str, re.Pattern[str]]], list[tuple[frozenset[str], re.Pattern[str]]]
]:
    tables = [
        (name, re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])"))
        for name in Base.metadata.tables
        if name not in _BOOKKEEPING
    ]
    derived: dict[str, set[str]] = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            sources = column.info.get(DERIVED_FROM_INFO)
            if sources:
                derived.setdefault(column.name, set()).update(sources)
    columns = [
        (frozenset(sources), re.compile(rf"\b{re.escape(name)}\b"))
        for name, sources in derived.items()
    ]
    return tables, columns


@contextmanager
def tables_read(engine: Engine) -> Iterator[set[str]]:
    """Collects the name of every table a statement sent on `engine` names, and the sources
    of every derived column it names (`derived_column`), while the block runs."""
    tables, columns = _patterns()
    seen: set[str] = set()

    def record(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        seen.update(name for name, pattern in tables if pattern.search(statement))
        for sources, pattern in columns:
            if pattern.search(statement):
                seen.update(sources)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def undeclared(read: set[str], declared: frozenset[str]) -> set[str]:
    """Tables read but not declared (ANY_TABLE declares them all)."""
    return set() if ANY_TABLE in declared else read - declared
