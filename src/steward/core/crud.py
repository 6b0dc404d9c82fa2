"""Building blocks every repository and service shares: lookup, paging, sorting, archiving."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from steward.core import audit
from steward.core.errors import Conflict, InvalidField, NotFound
from steward.db.base import utcnow

M = TypeVar("M")


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int
    sort: str | None


def one_or_404(session: Session, statement: Select[M], entity: str, entity_id: object) -> M:
    """The row of a readable statement, or 404: unknown and out-of-book look the same."""
    obj = session.scalars(statement.limit(1)).first()
    if obj is None:
        raise NotFound(entity, entity_id)
    return obj


def order_by_clause(
    sort: str | None, allowed: Mapping[str, Any], default: str
) -> list[ColumnElement[Any]]:
    """`sort=name,-arr` → ORDER BY name ASC, arr DESC; unknown keys are a 422 naming `sort`."""
    clauses: list[ColumnElement[Any]] = []
    for raw in (sort or default).split(","):
        key = raw.strip()
        if not key:
            continue
        descending = key.startswith("-")
        name = key.lstrip("-+")
        if name not in allowed:
            options = ", ".join(sorted(allowed))
            raise InvalidField("sort", f"cannot sort by '{name}'; use one of {options}")
        column = allowed[name]
        clauses.append(column.desc().nulls_last() if descending else column.asc().nulls_last())
    return clauses


def page(
    session: Session,
    statement: Select[Any],
    order_by: Sequence[ColumnElement[Any]],
    tiebreak: Any,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.execute(statement.order_by(*order_by, tiebreak).limit(limit).offset(offset))
    return list(rows.all()), int(total or 0)


def apply_changes(obj: object, changes: Mapping[str, Any]) -> None:
    """Sets the changed attributes; null for a column that cannot hold it is a 422 naming the
    field, for every update at once (a PATCH of an outcome's status to null once answered 500
    from the database)."""
    columns = sa_inspect(type(obj)).columns
    for key, value in changes.items():
        if value is None and key in columns and not columns[key].nullable:
            raise InvalidField(key, "may not be null; leave it out to keep it")
    for key, value in changes.items():
        setattr(obj, key, value)


def archive(session: Session, actor_id: int, obj: Any) -> None:
    check_not_merged(obj)
    if obj.archived_at is None:
        before = audit.snapshot(obj)
        obj.archived_at = utcnow()
        audit.record(session, actor_id=actor_id, action="archive", entity=obj, before=before)


def check_not_merged(obj: Any) -> None:
    """A merged-away record is a forwarding address, not a record to edit: 409."""
    merged_into = getattr(obj, "merged_into_id", None)
    if merged_into is not None:
        entity = type(obj).__name__.lower()
        raise Conflict(
            f"{entity} {obj.id} was merged into {entity} {merged_into}; "
            f"change {entity} {merged_into} instead"
        )


def restore(session: Session, actor_id: int, obj: Any) -> None:
    merged_into = getattr(obj, "merged_into_id", None)
    if merged_into is not None:  # restoring would undo a merge: its records are elsewhere
        entity = type(obj).__name__.lower()
        raise Conflict(
            f"{entity} {obj.id} was merged into {entity} {merged_into} and cannot be restored; "
            "its records are on the survivor"
        )
    if obj.archived_at is not None:
        before = audit.snapshot(obj)
        obj.archived_at = None
        audit.record(session, actor_id=actor_id, action="restore", entity=obj, before=before)


def update(session: Session, actor_id: int | None, obj: Any, changes: Mapping[str, Any]) -> None:
    before = audit.snapshot(obj)
    apply_changes(obj, changes)
    audit.record(session, actor_id=actor_id, action="update", entity=obj, before=before)


def update_many(
    session: Session, actor_id: int | None, changes: Sequence[tuple[Any, Mapping[str, Any]]]
) -> None:
    """`update` of many records: one flush and one INSERT of their audit events (a bulk
    catch-up touches thousands; one flush each cost seconds)."""
    befores = [audit.snapshot(obj) for obj, _ in changes]
    for obj, values in changes:
        apply_changes(obj, values)
    session.flush()
    audit.record_many(
        session,
        actor_id=actor_id,
        action="update",
        entities=[obj for obj, _ in changes],
        befores=befores,
    )


def create_many(session: Session, actor_id: int | None, objects: Sequence[Any]) -> None:
    """`create` of many records: one flush (ids) and one INSERT of their audit events."""
    session.add_all(objects)
    session.flush()
    audit.record_many(session, actor_id=actor_id, action="create", entities=objects)


def create(session: Session, actor_id: int | None, obj: Any) -> None:
    session.add(obj)
    audit.record(session, actor_id=actor_id, action="create", entity=obj)


def get_or_404(session: Session, model: type[M], record_id: int, entity: str) -> M:
    """A record that is not account-owned (admin configuration), by id."""
    record = session.get(model, record_id)
    if record is None:
        raise NotFound(entity, record_id)
    return record


def ensure_unique(
    session: Session, model: Any, field: str, value: Any, own_id: int | None, entity: str
) -> None:
    """422 naming `field` when another record of `model` already has `value`."""
    found = session.scalar(select(model.id).where(getattr(model, field) == value))
    if found is not None and found != own_id:
        raise InvalidField(field, f"another {entity} already has {field} {value!r}")


def list_live(session: Session, model: Any, order_by: Any, include_archived: bool) -> list[Any]:
    statement = select(model).order_by(order_by)
    if not include_archived:
        statement = statement.where(model.archived_at.is_(None))
    return list(session.scalars(statement))
