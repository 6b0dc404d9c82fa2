"""Custom fields on the record forms: inputs named `cf.<key>`, read back into values (an empty
input clears the value, as every form field does) and shown as text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from steward.fields import service, values
from steward.fields.models import CustomField, Entity, FieldType
from steward.fields.query import PREFIX
from steward.users.models import User


@dataclass(frozen=True)
class FieldInput:
    """One custom field as a form shows it."""

    field: CustomField
    name: str  # the input's name, cf.<key>
    error_key: str  # where its error is: custom_fields.<key>
    text: str  # the value as the input holds it
    chosen: tuple[str, ...]  # multi-picklist: the options ticked


def inputs(
    session: Session,
    entity: Entity,
    stored: Mapping[str, Any] | None,
    posted: Mapping[str, Any] | None = None,
) -> list[FieldInput]:
    """The form's custom inputs, holding what was posted (after an error) or what is stored."""
    out = []
    for field in service.fields_of(session, entity):
        name = f"{PREFIX}{field.key}"
        if posted is not None:
            raw = posted.get(name)
            chosen = tuple(raw) if isinstance(raw, list) else ()
            text = "" if isinstance(raw, list) or raw is None else str(raw)
        else:
            value = (stored or {}).get(field.key)
            if value is None and stored is None and field.default is not None:
                value = field.default  # a new record shows the default it would get
            chosen = tuple(value) if isinstance(value, list) else ()
            text = values.to_text(field, value)
        out.append(FieldInput(field, name, f"custom_fields.{field.key}", text, chosen))
    return out


def posted_values(form: Any, session: Session, entity: Entity) -> dict[str, Any]:
    """What the form posted for each custom field, as posted (a list for a multi-picklist)."""
    found: dict[str, Any] = {}
    for field in service.fields_of(session, entity):
        name = f"{PREFIX}{field.key}"
        if field.type == FieldType.MULTI_PICKLIST:
            found[name] = [str(v) for v in form.getlist(name)]
        else:
            found[name] = str(form.get(name) or "").strip()
    return found


def to_values(
    session: Session,
    entity: Entity,
    posted: Mapping[str, Any],
    stored: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The posted custom fields as `custom_fields` (InvalidField naming custom_fields.<key>);
    with `stored` (an edit), only those that changed."""
    out: dict[str, Any] = {}
    for field in service.fields_of(session, entity):
        raw = posted.get(f"{PREFIX}{field.key}")
        if isinstance(raw, list):
            value = values.clean(field, raw)
        else:
            value = values.from_text(field, raw or "")
        if stored is None:
            if not values.is_empty(value):  # a new record: defaults fill the rest
                out[field.key] = value
        elif stored.get(field.key) != value:
            out[field.key] = value
    return out


def shown(session: Session, entity: Entity, stored: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value as text) of each live field with a value, for a record's page."""
    people: dict[int, str] = {}
    out = []
    for field in service.fields_of(session, entity):
        value: Any = stored.get(field.key)
        if values.is_empty(value):
            continue
        if field.type == FieldType.USER:
            if value not in people:
                user = session.get(User, value)
                people[value] = user.full_name if user else f"user {value}"
            text = people[value]
        elif field.type == FieldType.BOOLEAN:
            text = "Yes" if value else "No"
        elif field.type == FieldType.MULTI_PICKLIST:
            text = ", ".join(value)
        elif field.type == FieldType.PERCENT:
            text = f"{value}%"
        else:
            text = str(value)
        out.append((field.label, text))
    return out


# My Book shows (and sorts by) the first few account fields, in form order.
BOOK_COLUMNS = 3


def book_columns(session: Session) -> list[CustomField]:
    return service.fields_of(session, Entity.ACCOUNT)[:BOOK_COLUMNS]


@dataclass(frozen=True)
class FilterInput:
    """One input of My Book's custom-field filters: the list's `cf.<key>[__op]` parameter."""

    field: CustomField
    name: str
    label: str
    kind: str  # select, text, number, date
    options: tuple[tuple[str, str], ...]
    value: str


def filter_inputs(session: Session, asked: Mapping[str, str]) -> list[FilterInput]:
    """Choices filter by value, numbers and days by a range, text by what it contains."""
    out: list[FilterInput] = []
    for field in service.fields_of(session, Entity.ACCOUNT):
        base = f"{PREFIX}{field.key}"
        kind = FieldType(field.type)
        if kind in (FieldType.PICKLIST, FieldType.MULTI_PICKLIST):
            options = tuple((o, o) for o in field.options or ())
            out.append(
                FilterInput(field, base, field.label, "select", options, asked.get(base, ""))
            )
        elif kind == FieldType.BOOLEAN:
            options = (("true", "Yes"), ("false", "No"))
            out.append(
                FilterInput(field, base, field.label, "select", options, asked.get(base, ""))
            )
        elif kind in (FieldType.NUMBER, FieldType.MONEY, FieldType.PERCENT, FieldType.DATE):
            input_kind = "date" if kind == FieldType.DATE else "number"
            for op, words in (("gte", "from"), ("lte", "to")):
                name = f"{base}__{op}"
                out.append(
                    FilterInput(
                        field, name, f"{field.label} {words}", input_kind, (), asked.get(name, "")
                    )
                )
        elif kind in (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.URL):
            name = f"{base}__contains"
            out.append(FilterInput(field, name, field.label, "text", (), asked.get(name, "")))
    return out
