"""Custom fields in CSV files: which headers name them, and their cells on the way in and out.

A custom field's column is written as `cf.<key>` and read from that, from its key, from its
Salesforce API name (`<key>__c`, as Data Loader exports write it) or from its label (as reports
and HubSpot exports write it), unless a built-in column of the kind already answers to that
header: a built-in field is never read as a custom one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

from steward.core.errors import InvalidField
from steward.fields import service as fields
from steward.fields import values
from steward.fields.models import CustomField, Entity
from steward.fields.query import PREFIX
from steward.imports.base import RowProblem
from steward.imports.columns import Column, normalise_header

# Rows read from the database at a time while exporting (one read of their values each).
EXPORT_CHUNK = 500


def header(field: CustomField) -> str:
    return header_of_key(field.key)


def header_of_key(key: str) -> str:
    return f"{PREFIX}{key}"


def resolve(
    session: Session,
    entity: Entity,
    builtin: tuple[Column, ...],
    headers: list[str],
    unread: list[str],
) -> dict[str, int]:
    """`cf.<key>` → column index for the headers no built-in column read."""
    taken = {h for column in builtin for h in column.headers()}
    lookup: dict[str, str] = {}
    for field in fields.fields_of(session, entity):
        for name in (header(field), field.key, f"{field.key}__c", field.label):
            normal = normalise_header(name)
            if normal not in taken:
                lookup.setdefault(normal, header(field))
    found: dict[str, int] = {}
    for index, name in enumerate(headers):
        if name not in unread:
            continue
        named = lookup.get(normalise_header(name))
        if named is not None and named not in found:
            found[named] = index
    return found


def texts(cells: Mapping[str, str]) -> dict[str, str]:
    """A row's custom-field cells by key."""
    return {name[len(PREFIX) :]: text for name, text in cells.items() if name.startswith(PREFIX)}


def row_problem(error: InvalidField) -> RowProblem:
    """A custom-field error named by its cells' field (`cf.<key>`), so the report shows the
    file's header."""
    field = error.field or "row"
    if field.startswith("custom_fields."):
        field = PREFIX + field.removeprefix("custom_fields.")
    return RowProblem(field, error.detail.split(": ", 1)[-1])


def names_custom_field(error: InvalidField) -> bool:
    return (error.field or "").startswith("custom_fields.")


def changes(
    session: Session, entity: Entity, record_id: int, found: Mapping[str, Any]
) -> dict[str, Any]:
    """The row's custom values that differ from the record's (an update's custom_fields)."""
    stored = fields.values_of(session, entity, [record_id])[record_id]
    return {key: value for key, value in found.items() if stored.get(key) != value}


def from_cells(
    session: Session,
    entity: Entity,
    cells: Mapping[str, str],
    declared: list[CustomField] | None = None,
) -> dict[str, Any]:
    """The row's non-empty custom-field cells, cleaned (RowProblem naming the cell);
    `declared` as in fields.clean_values."""
    try:
        return fields.from_texts(session, entity, texts(cells), declared)
    except InvalidField as error:
        raise row_problem(error) from None


def export_columns(session: Session, entity: Entity) -> list[CustomField]:
    return fields.fields_of(session, entity)


def with_values(
    session: Session,
    entity: Entity,
    declared: list[CustomField],
    rows: Iterable[dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    """Export rows (each with its record's `id`) with their custom-field cells added as text,
    `cf.<key>`, read a chunk at a time."""
    chunk: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        found = fields.values_of(session, entity, [row["id"] for row in chunk])
        for row in chunk:
            own = found[row["id"]]
            yield {
                **row,
                **{header(f): values.to_text(f, own.get(f.key)) for f in declared},
            }

    for row in rows:
        chunk.append(row)
        if len(chunk) == EXPORT_CHUNK:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()
