"""Merging duplicates: what accounts and contacts share.

The rows that point at a merged-away record are found from the schema itself (every foreign
key to its table), so a table added later is moved too unless it is named as kept. Each moved
row gets an audit event and a new version, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Table, insert, select, update
from sqlalchemy.orm import Session

from steward.core import audit
from steward.core.audit import AuditEvent
from steward.core.errors import Conflict, InvalidField, NotFound
from steward.db.base import Base, require_assembled, utcnow

R = TypeVar("R")

# More than this many records in one merge is a data-cleaning job, not a merge.
MAX_MERGED = 4


def referencing_columns(table_name: str) -> list[Column[Any]]:
    """Every column of another table (or of the table itself) with a foreign key to
    `table_name`.id, in a stable order."""
    require_assembled()
    found: list[Column[Any]] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(
                fk.column.table.name == table_name and fk.column.name == "id"
                for fk in column.foreign_keys
            ):
                found.append(column)
    return found


def check_merged_ids(survivor_id: int, merged_ids: Sequence[int], entity: str) -> list[int]:
    """The ids to merge away, or a 422 naming merged_ids."""
    if not merged_ids:
        raise InvalidField("merged_ids", f"name at least one {entity} to merge into {survivor_id}")
    if len(merged_ids) > MAX_MERGED:
        raise InvalidField("merged_ids", f"at most {MAX_MERGED} {entity}s can be merged at once")
    if len(set(merged_ids)) != len(merged_ids):
        raise InvalidField("merged_ids", "names the same id twice")
    if survivor_id in merged_ids:
        raise InvalidField("merged_ids", f"the {entity} kept ({survivor_id}) cannot be merged away")
    return list(merged_ids)


def move_references(
    session: Session,
    actor_id: int,
    columns: Collection[Column[Any]],
    survivor_id: int,
    merged_ids: Sequence[int],
) -> dict[str, int]:
    """Points every row that names a merged-away record at the survivor: per table, the rows
    moved."""
    moved: dict[str, int] = {}
    for column in columns:
        count = move_rows(session, actor_id, column, survivor_id, column.in_(merged_ids))
        if count:
            moved[column.table.name] = moved.get(column.table.name, 0) + count
    return moved


def move_rows(session: Session, actor_id: int, column: Any, to_id: int, where: Any) -> int:
    """Sets `column` to `to_id` on the rows `where` selects, each with an audit event; rows with
    a version get a new one, so an edit opened before the merge answers 409."""
    table: Table = column.table
    versioned = "version" in table.c
    rows = session.execute(
        select(table.c.id, column, *([table.c.version] if versioned else []))
        .where(where)
        .order_by(table.c.id)
    ).all()
    if not rows:
        return 0
    now = utcnow()
    values: dict[str, Any] = {column.name: to_id}
    if versioned:
        values["version"] = table.c.version + 1
    if "updated_at" in table.c:
        values["updated_at"] = now
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), 500):
        session.execute(
            update(table).where(table.c.id.in_(ids[start : start + 500])).values(**values)
        )
    events = []
    for row in rows:
        before: dict[str, Any] = {"id": row[0], column.name: row[1]}
        after: dict[str, Any] = {"id": row[0], column.name: to_id}
        if versioned:
            before["version"], after["version"] = row[2], row[2] + 1
        events.append(
            {
                "at": now,
                "actor_id": actor_id,
                "action": "merge",
                "entity_type": table.name,
                "entity_id": row[0],
                "before": before,
                "after": after,
            }
        )
    session.execute(insert(AuditEvent), events)
    return len(rows)


def fill_blanks(survivor: Any, merged: Sequence[Any], fields: Sequence[str]) -> None:
    """The survivor keeps its values; a blank one takes the first merged record's value."""
    for field in fields:
        if getattr(survivor, field) in (None, ""):
            for record in merged:
                value = getattr(record, field)
                if value not in (None, ""):
                    setattr(survivor, field, value)
                    break


def absorb(
    session: Session, actor_id: int, survivor: Any, merged: Sequence[Any], fields: Sequence[str]
) -> None:
    """The survivor fills its blanks from the merged-away records, which are retired; each
    change is an audit event."""
    before = audit.snapshot(survivor)
    fill_blanks(survivor, merged, fields)
    audit.record(session, actor_id=actor_id, action="merge", entity=survivor, before=before)
    for record in merged:
        retire(session, actor_id, record, survivor.id)


def retire(session: Session, actor_id: int, record: Any, survivor_id: int) -> None:
    """Archives a merged-away record and points it at its survivor (one audit event)."""
    before = audit.snapshot(record)
    record.merged_into_id = survivor_id
    if record.archived_at is None:
        record.archived_at = utcnow()
    audit.record(session, actor_id=actor_id, action="merge", entity=record, before=before)


def mergeable(
    rows: Mapping[int, R], survivor_id: int, merged_ids: Sequence[int], entity: str
) -> tuple[R, list[R]]:
    """The survivor and the records to merge away, from the rows the caller may read: a
    merged id that is not among them is a 422 naming merged_ids (as a missing one); an
    archived or already merged record is a 409."""
    if survivor_id not in rows:
        raise NotFound(entity, survivor_id)
    for record_id in merged_ids:
        if record_id not in rows:
            raise InvalidField("merged_ids", f"no {entity} with id {record_id}")
    for record_id, record in rows.items():
        merged_into = getattr(record, "merged_into_id", None)
        if merged_into is not None:
            raise Conflict(f"{entity} {record_id} was already merged into {entity} {merged_into}")
        if getattr(record, "archived_at", None) is not None:
            raise Conflict(f"{entity} {record_id} is archived; restore it before merging")
    return rows[survivor_id], [rows[i] for i in merged_ids]


def survivor_id_of(record: Any, read: Callable[[int], Any], entity: str) -> int | None:
    """Where a merged-away record now lives (None if it was not merged), read through `read`
    so that a survivor outside the caller's book is a 404 for the old id too."""
    if record.merged_into_id is None:
        return None
    try:
        return int(read(record.merged_into_id).id)
    except NotFound:
        raise NotFound(entity, record.id) from None
