"""The workspace's custom fields as one YAML file under version control (as rules are).

The file is the whole declaration: importing it creates the fields it adds, updates the ones it
changes, renames a field whose entry says `renamed_from: <old key>` (its values stay: they are
kept by the field's id), restores archived fields it names again and archives live fields it
no longer names (their values stay too). A dry run reports the same without writing; any error
and nothing is written."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from steward.core import crud
from steward.core.errors import InvalidField, StewardError, first_problem
from steward.core.principal import Principal, require_admin
from steward.fields import service
from steward.fields.models import CustomField
from steward.fields.schemas import FieldChange, FieldCreate, FieldsImport, FieldUpdate

_DECLARED = (
    "label",
    "type",
    "required",
    "default",
    "help_text",
    "options",
    "position",
    "churn_feature",
)


def export_text(session: Session) -> str:
    """Every live field, grouped by record kind, in form order."""
    entries = [
        {
            "entity": field.entity,
            "key": field.key,
            "label": field.label,
            "type": field.type,
            **({"required": True} if field.required else {}),
            **({"default": field.default} if field.default is not None else {}),
            **({"help_text": field.help_text} if field.help_text else {}),
            **({"options": list(field.options)} if field.options else {}),
            "position": field.position,
            **({"churn_feature": field.churn_feature} if field.churn_feature else {}),
        }
        for field in service.list_fields(session, include_archived=False)
    ]
    return yaml.safe_dump(
        {"custom_fields": entries}, sort_keys=False, allow_unicode=True, width=100
    )


def _entries(text: str) -> list[Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidField("file", f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or set(data) != {"custom_fields"}:
        raise InvalidField("file", "expected a mapping with one key, 'custom_fields' (a list)")
    entries = data["custom_fields"] or []
    if not isinstance(entries, list):
        raise InvalidField("file", "'custom_fields' must be a list")
    return entries


def import_text(
    session: Session, principal: Principal, text: str, *, dry_run: bool
) -> FieldsImport:
    """Applies the file in the caller's transaction and reports each field's change; the caller
    rolls back on a dry run or when any change is an error."""
    require_admin(principal, "declare custom fields")
    entries = _entries(text)
    existing = {(f.entity, f.key): f for f in service.list_fields(session)}
    named: set[int] = set()
    changes: list[FieldChange] = []
    for index, raw in enumerate(entries):
        label = f"#{index + 1}"
        if not isinstance(raw, dict):
            changes.append(FieldChange(entity="?", key=label, outcome="error: not a mapping"))
            continue
        raw = dict(raw)
        renamed_from = raw.pop("renamed_from", None)
        entity, key = str(raw.get("entity", "?")), str(raw.get("key", label))
        try:
            spec = FieldCreate.model_validate(raw)
        except ValidationError as exc:
            changes.append(
                FieldChange(entity=entity, key=key, outcome=f"error: {first_problem(exc)}")
            )
            continue
        field = existing.get((entity, key)) or (
            existing.get((entity, str(renamed_from))) if renamed_from else None
        )
        try:
            outcome = _apply(session, principal, spec, field)
        except StewardError as exc:
            outcome = f"error: {exc.detail}"
        if field is not None:
            named.add(field.id)
        changes.append(FieldChange(entity=entity, key=key, outcome=outcome))
        if not outcome.startswith("error"):
            session.flush()
    for (entity, key), field in existing.items():
        if field.id not in named and field.archived_at is None:
            kept = service.holds_values(session, field.id)
            crud.archive(session, principal.user_id, field)
            changes.append(
                FieldChange(entity=entity, key=key, outcome=f"archived ({kept} values kept)")
            )
    return FieldsImport(dry_run=dry_run, changes=changes)


def _apply(
    session: Session, principal: Principal, spec: FieldCreate, field: CustomField | None
) -> str:
    if field is None:
        service.create_field(session, principal, spec)
        return "created"
    said: list[str] = []
    if field.archived_at is not None:
        service.restore_field(session, principal, field.id)
        said.append("restored")
    changed = {
        name: getattr(spec, name)
        for name in _DECLARED
        if _plain(getattr(spec, name)) != _plain(getattr(field, name))
    }
    if spec.key != field.key:
        said.append(f"renamed from {field.key}")
        changed["key"] = spec.key
    if changed:
        service.update_field(session, principal, field.id, FieldUpdate.model_validate(changed))
        rest = sorted(set(changed) - {"key"})
        if rest:
            said.append("updated " + ", ".join(rest))
    return "; ".join(said) or "unchanged"


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)
