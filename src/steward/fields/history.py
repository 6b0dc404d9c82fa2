"""A custom field's value on a past day, rebuilt from the audit trail.

Custom values keep no history of their own, but every write of one is audited with its value
after (`custom_fields.<key>` in the event's `after`, written by `service.write_values` and
`service.write_new_values`). A value on a day is the one the last such event on or before that
day set; before a record's first event it is unknown (None), even when today's value exists:
it was not recorded then, and reading today's value into the past would let what was learned
later (a churn reason, say) leak into a model's training. A field renamed since keeps its
history: every key the field has had is read.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from steward.core.audit import AuditEvent
from steward.fields.models import CustomField, Entity
from steward.fields.service import ENTITY_TABLES

_PREFIX = "custom_fields."


def _keys_of(session: Session, field: CustomField) -> set[str]:
    """Every key the field has had (renames are audited on the field itself)."""
    keys = {field.key}
    for before, after in session.execute(
        select(AuditEvent.before, AuditEvent.after).where(
            AuditEvent.entity_type == CustomField.__tablename__,
            AuditEvent.entity_id == field.id,
        )
    ):
        for state in (before, after):
            if isinstance(state, dict) and isinstance(state.get("key"), str):
                keys.add(state["key"])
    return keys


def _changes(
    session: Session, field: CustomField, record_ids: set[int] | None
) -> dict[int, tuple[list[datetime], list[Any]]]:
    """Per record: when the field's value was set and to what, oldest first."""
    names = {_PREFIX + key for key in _keys_of(session, field)}
    statement = (
        select(AuditEvent.entity_id, AuditEvent.at, AuditEvent.after)
        .where(
            AuditEvent.entity_type == ENTITY_TABLES[Entity(field.entity)],
            AuditEvent.after.is_not(None),
            cast(AuditEvent.after, String).like(f"%{_PREFIX}%"),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    out: dict[int, tuple[list[datetime], list[Any]]] = {}
    for record_id, at, after in session.execute(statement):
        if record_id is None or (record_ids is not None and record_id not in record_ids):
            continue
        if not isinstance(after, dict):
            continue
        named = [name for name in names if name in after]
        if not named:
            continue
        moments, values = out.setdefault(int(record_id), ([], []))
        moments.append(at if at.tzinfo else at.replace(tzinfo=UTC))
        values.append(after[named[0]])
    return out


def values_on(
    session: Session,
    field: CustomField,
    days: Sequence[date],
    record_ids: Iterable[int] | None = None,
) -> dict[date, dict[int, Any]]:
    """Per day: each record's value of the field at that day's end, as last recorded (records
    with no value recorded by then are left out). Values are as the audit trail holds them
    (JSON: numbers, text, true/false; money and dates as text)."""
    wanted = None if record_ids is None else set(record_ids)
    changes = _changes(session, field, wanted)
    out: dict[date, dict[int, Any]] = {}
    for day in days:
        end = datetime.combine(day, time.max, UTC)
        known: dict[int, Any] = {}
        for record_id, (moments, values) in changes.items():
            last = bisect.bisect_right(moments, end) - 1
            if last >= 0 and values[last] is not None:
                known[record_id] = values[last]
        out[day] = known
    return out
