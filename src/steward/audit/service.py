"""Every write leaves an audit event: who, when, what, before and after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session

from steward.audit.models import AuditEvent
from steward.db.base import utcnow

# Never copied into the audit trail.
_SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "session_hash", "csrf_token", "secret"})


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(obj: object) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {
        column.key: _json_safe(getattr(obj, column.key))
        for column in mapper.column_attrs
        if column.key not in _SECRET_COLUMNS
    }


def record_many(
    session: Session, *, actor_id: int | None, action: str, entities: Sequence[object]
) -> None:
    """`record` of many stored entities with one INSERT (their `after` is their snapshot)."""
    if not entities:
        return
    now = utcnow()
    session.execute(
        insert(AuditEvent),
        [
            {
                "at": now,
                "actor_id": actor_id,
                "action": action,
                "entity_type": getattr(entity, "__tablename__", type(entity).__name__),
                "entity_id": getattr(entity, "id", None),
                "before": None,
                "after": snapshot(entity),
            }
            for entity in entities
        ],
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
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed or k == "id"}
        after = {k: v for k, v in after.items() if k in changed or k == "id"}
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
