"""Declaring custom fields, and reading and writing their values on records.

The record domains (accounts, contacts, opportunities, contracts) call `write_values` when a
record is created or changed and `values_of` when they answer; filters and sorting come from
`steward.fields.query`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from steward.core import audit, crud
from steward.core.errors import InvalidField
from steward.core.principal import Principal, require_admin
from steward.db.base import utcnow
from steward.fields import values
from steward.fields.models import (
    CHOICE_TYPES,
    CHURN_TYPES,
    CustomField,
    CustomValue,
    Entity,
    FieldType,
)
from steward.fields.schemas import FieldCreate, FieldOut, FieldUpdate
from steward.users.models import User


def field_out(field: CustomField) -> FieldOut:
    return FieldOut.model_validate(field)


def list_fields(session: Session, *, include_archived: bool = True) -> list[CustomField]:
    statement = select(CustomField).order_by(
        CustomField.entity, CustomField.position, CustomField.label, CustomField.id
    )
    if not include_archived:
        statement = statement.where(CustomField.archived_at.is_(None))
    return list(session.scalars(statement))


def declarations_version() -> Any:
    """One cheap read that changes whenever a declaration does (for caches of them)."""
    return select(func.count(), func.max(CustomField.updated_at)).select_from(CustomField)


def fields_of(session: Session, entity: Entity | str) -> list[CustomField]:
    """The live fields of one kind of record, in form order."""
    return list(
        session.scalars(
            select(CustomField)
            .where(CustomField.entity == str(entity), CustomField.archived_at.is_(None))
            .order_by(CustomField.position, CustomField.label, CustomField.id)
        )
    )


def get_field(session: Session, field_id: int) -> CustomField:
    return crud.get_or_404(session, CustomField, field_id, "custom field")


def _check_declaration(
    session: Session,
    entity: str,
    key: str,
    kind: FieldType,
    options: list[str] | None,
    default: Any,
    own_id: int | None,
) -> Any:
    """The declaration's default, cleaned; InvalidField for a taken key, bad options or a
    default that is not a value of the field."""
    taken = session.scalar(
        select(CustomField.id).where(CustomField.entity == entity, CustomField.key == key)
    )
    if taken is not None and taken != own_id:
        raise InvalidField("key", f"another {entity} field already has the key {key!r}")
    values.check_options(kind, options)
    try:
        cleaned = values.clean(values.Declaration(key, kind.value, options), default)
    except InvalidField as exc:
        raise InvalidField("default", exc.detail.split(": ", 1)[1]) from None
    if cleaned is not None and kind == FieldType.USER:
        _check_user(session, "default", cleaned)
    return cleaned


def _check_churn_use(entity: str, kind: FieldType, use: Any) -> None:
    if use is None:
        return
    if entity != Entity.ACCOUNT:
        raise InvalidField("churn_feature", "the churn model learns from account fields only")
    if kind not in CHURN_TYPES:
        raise InvalidField(
            "churn_feature",
            "the churn model learns from number, money, percent, yes/no and picklist fields",
        )


def create_field(session: Session, principal: Principal, data: FieldCreate) -> CustomField:
    require_admin(principal, "declare custom fields")
    default = _check_declaration(
        session, data.entity, data.key, data.type, data.options, data.default, None
    )
    _check_churn_use(data.entity.value, data.type, data.churn_feature)
    field = CustomField(
        entity=data.entity.value,
        key=data.key,
        label=data.label,
        type=data.type.value,
        required=data.required,
        default=default,
        help_text=data.help_text,
        options=data.options,
        position=data.position,
        churn_feature=None if data.churn_feature is None else data.churn_feature.value,
    )
    crud.create(session, principal.user_id, field)
    return field


def holds_values(session: Session, field_id: int) -> int:
    """How many records have a value of the field."""
    count = session.scalar(
        select(func.count(func.distinct(CustomValue.record_id))).where(
            CustomValue.field_id == field_id
        )
    )
    return int(count or 0)


def update_field(
    session: Session, principal: Principal, field_id: int, data: FieldUpdate
) -> CustomField:
    require_admin(principal, "change custom fields")
    field = get_field(session, field_id)
    changes = data.model_dump(exclude_unset=True)
    for name in ("key", "label", "type", "required", "position"):
        if name in changes and changes[name] is None:
            raise InvalidField(name, "may not be null")
    kind = FieldType(changes.get("type") or field.type)
    held = holds_values(session, field.id) if kind.value != field.type else 0
    if held:
        raise InvalidField(
            "type",
            f"the field holds values on {held} records; a new field of the new type, filled "
            "by an import, keeps them safe",
        )
    options = changes.get("options", field.options)
    if kind not in CHOICE_TYPES and "type" in changes and "options" not in changes:
        options = None
    removed = set(field.options or ()) - set(options or ())
    if removed and kind in CHOICE_TYPES:
        in_use = session.scalar(
            select(CustomValue.text_value)
            .where(CustomValue.field_id == field.id, CustomValue.text_value.in_(removed))
            .limit(1)
        )
        if in_use is not None:
            raise InvalidField(
                "options", f"{in_use!r} is still chosen on some records; change them first"
            )
    changes["options"] = options
    default = _check_declaration(
        session,
        field.entity,
        changes.get("key") or field.key,
        kind,
        options,
        changes.get("default", field.default),
        field.id,
    )
    changes["default"] = default
    changes["type"] = kind.value
    use = changes.get("churn_feature", field.churn_feature)
    _check_churn_use(field.entity, kind, use)
    if "churn_feature" in changes:
        changes["churn_feature"] = None if use is None else str(getattr(use, "value", use))
    crud.update(session, principal.user_id, field, changes)
    return field


def archive_field(session: Session, principal: Principal, field_id: int) -> CustomField:
    """Hides the field from forms, lists and the API; its values stay, and restoring (by
    importing a declaration file that names it) brings them back."""
    require_admin(principal, "remove custom fields")
    field = get_field(session, field_id)
    crud.archive(session, principal.user_id, field)
    return field


def restore_field(session: Session, principal: Principal, field_id: int) -> CustomField:
    require_admin(principal, "restore custom fields")
    field = get_field(session, field_id)
    crud.restore(session, principal.user_id, field)
    return field


# --- values ---------------------------------------------------------------------------------


def values_of(
    session: Session, entity: Entity | str, record_ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """Each record's custom-field values (every live field present, None when empty). The
    caller read the records through their book-filtered table."""
    ids = sorted(set(record_ids))
    fields = fields_of(session, entity)
    out: dict[int, dict[str, Any]] = {
        record_id: {field.key: values.from_columns(field, []) for field in fields}
        for record_id in ids
    }
    if not ids or not fields:
        return out
    by_id = {field.id: field for field in fields}
    rows: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        statement = (
            select(CustomValue)
            .where(CustomValue.field_id.in_(by_id), CustomValue.record_id.in_(chunk))
            .order_by(CustomValue.record_id, CustomValue.field_id, CustomValue.ordinal)
        )
        for row in session.scalars(statement):
            rows[(row.record_id, row.field_id)].append(row)
    for (record_id, field_id), stored in rows.items():
        field = by_id[field_id]
        out[record_id][field.key] = values.from_columns(field, stored)
    return out


def _check_user(session: Session, name: str, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidField(name, f"no active user with id {user_id}")


def clean_values(
    session: Session,
    entity: Entity | str,
    raw: Mapping[str, Any] | None,
    *,
    creating: bool,
    declared: list[CustomField] | None = None,
) -> dict[str, Any]:
    """The values a body sets, cleaned and keyed by field key; with `creating`, defaults fill
    what is not named and required fields must be set. InvalidField names
    `custom_fields.<key>` for each problem (the first one found). `declared`: the kind's
    fields_of, when the caller read them once for many records (an import's batch)."""
    raw = dict(raw or {})
    if declared is None:
        declared = fields_of(session, entity)
    fields = {field.key: field for field in declared}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields)) or "none"
        raise InvalidField(
            f"custom_fields.{unknown[0]}",
            f"no custom field {unknown[0]!r} on {entity}s (declared: {known})",
        )
    cleaned: dict[str, Any] = {}
    for key, value in raw.items():
        field = fields[key]
        cleaned[key] = values.clean(field, value)
        if cleaned[key] is not None and field.type == FieldType.USER:
            _check_user(session, values.where(field), cleaned[key])
    for key, field in fields.items():
        if creating and values.is_empty(cleaned.get(key)) and field.default is not None:
            cleaned[key] = field.default
        if field.required and (creating or key in cleaned) and values.is_empty(cleaned.get(key)):
            raise InvalidField(values.where(field), f"{field.label} is required")
    return cleaned


def write_values(
    session: Session,
    actor_id: int | None,
    entity: Entity | str,
    record: Any,
    cleaned: Mapping[str, Any],
) -> None:
    """Stores cleaned values (from `clean_values`) on a record the caller may write, and
    audits what changed."""
    if not cleaned:
        return
    session.flush()  # the record needs its id
    record_id: int = record.id
    fields = {field.key: field for field in fields_of(session, entity)}
    before = values_of(session, entity, [record_id])[record_id]
    changed = {key: value for key, value in cleaned.items() if before.get(key) != value}
    if not changed:
        return
    ids = [fields[key].id for key in changed]
    session.execute(
        delete(CustomValue).where(CustomValue.record_id == record_id, CustomValue.field_id.in_(ids))
    )
    rows = [
        {"field_id": fields[key].id, "record_id": record_id, **row}
        for key, value in changed.items()
        for row in values.columns(fields[key], value)
    ]
    if rows:
        session.execute(insert(CustomValue), rows)
    if hasattr(record, "updated_at"):
        # The record changed: its version (its ETag) and its time of change move with it.
        record.updated_at = utcnow()
    audit.record(
        session,
        actor_id=actor_id,
        action="update",
        entity=record,
        before={"id": record_id, **{f"custom_fields.{k}": before.get(k) for k in changed}},
        after={"id": record_id, **{f"custom_fields.{k}": v for k, v in changed.items()}},
    )


def from_texts(
    session: Session,
    entity: Entity | str,
    texts: Mapping[str, str],
    declared: list[CustomField] | None = None,
) -> dict[str, Any]:
    """Values written as text (CSV cells) by field key, cleaned; empty text is left out (an
    empty cell leaves a value as it is). InvalidField names `custom_fields.<key>`.
    `declared`: as in clean_values."""
    given = {key: text for key, text in texts.items() if text.strip()}
    if not given:
        return {}
    if declared is None:
        declared = fields_of(session, entity)
    fields = {field.key: field for field in declared}
    cleaned: dict[str, Any] = {}
    for key, text in given.items():
        cleaned[key] = values.from_text(fields[key], text)
        if fields[key].type == FieldType.USER:
            _check_user(session, values.where(fields[key]), cleaned[key])
    return cleaned


ENTITY_TABLES = {
    Entity.ACCOUNT: "accounts",
    Entity.CONTACT: "contacts",
    Entity.OPPORTUNITY: "opportunities",
    Entity.CONTRACT: "contracts",
}


def write_new_values(
    session: Session,
    actor_id: int | None,
    entity: Entity,
    items: Iterable[tuple[int, Mapping[str, Any]]],
) -> None:
    """Cleaned values (`clean_values(creating=True)`) of many records created at once (an
    import's batch): one INSERT for the values and one for their audit events."""
    fields = {field.key: field for field in fields_of(session, entity)}
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    now = utcnow()
    for record_id, cleaned in items:
        if not cleaned:
            continue
        for key, value in cleaned.items():
            rows += [
                {"field_id": fields[key].id, "record_id": record_id, **row}
                for row in values.columns(fields[key], value)
            ]
        events.append(
            {
                "at": now,
                "actor_id": actor_id,
                "action": "update",
                "entity_type": ENTITY_TABLES[entity],
                "entity_id": record_id,
                "before": None,
                "after": {
                    "id": record_id,
                    **{f"custom_fields.{k}": v for k, v in cleaned.items()},
                },
            }
        )
    if rows:
        session.execute(insert(CustomValue), rows)
    if events:
        session.execute(insert(audit.AuditEvent), events)
