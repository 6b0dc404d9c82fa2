"""What an importable kind provides to the CSV import/export runner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.core.errors import StewardError
from steward.core.principal import ACROSS_BOOKS, Principal
from steward.imports.columns import Column

Outcome = Literal["created", "updated", "unchanged"]


class RowProblem(Exception):
    """A row that cannot be imported: which field (CSV column) and why (and, for kinds that
    import groups of rows, which line)."""

    def __init__(self, field: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.field, self.message, self.line = field, message, line


def parse_date(field: str, value: str) -> date:
    """ISO dates (a time after them is ignored) or M/D/YYYY, as US-locale CRM reports write."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            month, day, year = (int(p) for p in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text[:10])
    except ValueError:
        raise RowProblem(field, "must be a date (YYYY-MM-DD or M/D/YYYY)") from None


def parse_amount(field: str, value: str) -> Decimal:
    """A money amount as exports write it ("$12,500.00" included)."""
    try:
        return Decimal(re.sub(r"[^0-9.\-]", "", value))
    except InvalidOperation:
        raise RowProblem(field, "must be a number") from None


def record_key(kind: str, external_id: str | None, record_id: int) -> str:
    """How an export names a record: its external id, or Steward's own reference
    `steward-<kind>-<id>` for a record created in Steward (which has none), so that every
    exported row can be imported again."""
    return external_id or f"steward-{kind}-{record_id}"


def find_by_key(session: Session, model: Any, kind: str, key: str) -> Any:
    """The record a key names: by external id, or, for Steward's own reference, that record
    when it still has no external id (a re-import into its workspace). Elsewhere the
    reference finds nothing and the import creates a record keeping it as external id."""
    # Across books: an external id names one record in the workspace, and a row naming one
    # outside the importer's book must be refused, not create a second record.
    found = session.scalar(
        select(model).where(model.external_id == key).execution_options(**ACROSS_BOOKS)
    )
    if found is None:
        reference = re.fullmatch(rf"steward-{kind}-(\d{{1,10}})", key)
        if reference:
            candidate = session.get(model, int(reference.group(1)), execution_options=ACROSS_BOOKS)
            if candidate is not None and candidate.external_id is None:
                found = candidate
    return found


def problem_from(error: Exception, field_column: dict[str, str]) -> RowProblem:
    """A validation or business-rule error of the service layer, as a row problem naming the
    CSV field (model fields such as owner_am_id map back to the column that set them)."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "row"
        return RowProblem(field_column.get(field, field), first["msg"])
    if isinstance(error, StewardError):
        field = error.field or "row"
        return RowProblem(field_column.get(field, field), error.detail)
    raise error


class ImportKind(Protocol):
    columns: tuple[Column, ...]
    required: tuple[str, ...]  # fields the file must have a column for

    def start_batch(self, session: Session, principal: Principal) -> None:
        """Read what the rows of a batch look up (users, say) once."""

    def import_row(
        self, session: Session, principal: Principal, cells: dict[str, str]
    ) -> tuple[Outcome, Any]:
        """Upsert one row; returns the outcome and what the second pass needs (or None)."""

    def second_pass(self, session: Session, principal: Principal, item: Any) -> bool:
        """Links that need every row first (parents); True when it changed something."""

    def export_rows(self, session: Session, principal: Principal) -> Iterator[dict[str, Any]]:
        """The principal's records as CSV fields."""
