"""The audit trail, kept by the kit: every write through `crud` and `merging` leaves an event
(who, when, what, before and after); the audit domain only lists them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from steward.db.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One write: who, when, what, and the record before and after."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# Never copied into the audit trail.
_SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "session_hash", "csrf_token", "secret"})


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):  # a file (a logo): its size and digest tell one from another
        return {"bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()}
    return value


def snapshot(obj: object) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {
        column.key: _json_safe(getattr(obj, column.key))
        for column in mapper.column_attrs
        if column.key not in _SECRET_COLUMNS
    }


def record_many(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entities: Sequence[object],
    befores: Sequence[dict[str, Any]] | None = None,
) -> None:
    """`record` of many stored entities with one INSERT (their `after` is their snapshot;
    with `befores`, one per entity, each event keeps the changed fields as `record` does)."""
    if not entities:
        return
    if befores is not None and len(befores) != len(entities):
        raise ValueError("record_many: one `before` per entity")
    now = utcnow()
    rows = []
    for index, entity in enumerate(entities):
        before, after = _changed(None if befores is None else befores[index], snapshot(entity))
        rows.append(
            {
                "at": now,
                "actor_id": actor_id,
                "action": action,
                "entity_type": getattr(entity, "__tablename__", type(entity).__name__),
                "entity_id": getattr(entity, "id", None),
                "before": before,
                "after": after,
            }
        )
    session.execute(insert(AuditEvent), rows)


def _changed(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """With both sides known, only the fields that changed (and the id) are kept."""
    if before is None or after is None:
        return before, after
    changed = {k for k in after if before.get(k) != after.get(k)}
    return (
        {k: v for k, v in before.items() if k in changed or k == "id"},
        {k: v for k, v in after.items() if k in changed or k == "id"},
    )


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.flush()  # the entity needs its id
    entity_id = getattr(entity, "id", None)
    if after is None:
        # Archiving too: its `after` holds archived_at, so replaying the trail rebuilds the row.
        after = snapshot(entity)
    before, after = _changed(before, after)
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            entity_type=getattr(entity, "__tablename__", type(entity).__name__),
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )
