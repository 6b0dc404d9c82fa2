"""CSV import and export: every row validated, good rows imported in one transaction per
batch (each row in its own savepoint), every bad row reported with line, column and reason."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy.exc import SQLAlchemyError

from steward.auth.principal import Principal
from steward.core.errors import InvalidField
from steward.db.engine import Database
from steward.imports import accounts
from steward.imports.columns import FORMATS, KINDS, resolve_headers

BATCH_SIZE = 500


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len({e.line for e in self.errors})

    def errors_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["line", "column", "value", "message"])
        for e in self.errors:
            writer.writerow([e.line, e.column, e.value, e.message])
        return out.getvalue()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "ignored_columns": self.ignored_columns,
            "errors": [e.__dict__ for e in self.errors],
        }


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidField("kind", f"can import {', '.join(KINDS)}; not {kind!r}")


def import_csv(
    db: Database, principal: Principal, kind: str, source: TextIO, *, dry_run: bool = False
) -> ImportReport:
    check_kind(kind)
    reader = csv.reader(source)
    try:
        headers = next(reader)
    except StopIteration:
        raise InvalidField("file", "is empty; the first line must name the columns") from None
    except csv.Error as error:
        raise InvalidField("file", f"is not CSV: {error}") from None
    columns, ignored = resolve_headers(KINDS[kind], headers)
    if "external_id" not in columns:
        raise InvalidField("file", "needs an external id column (e.g. external_id, Account ID)")
    header_of = {f: headers[i] for f, i in columns.items()}
    report = ImportReport(kind=kind, dry_run=dry_run, ignored_columns=ignored)
    parents: list[tuple[int, str, str]] = []  # (line, external id, parent external id)

    def problem(line: int, cells: dict[str, str], error: accounts.RowProblem) -> None:
        column = header_of.get(error.field, error.field)
        report.errors.append(RowError(line, column, cells.get(error.field, ""), error.message))

    for batch in _batches(reader, columns, report):
        with db.session_factory() as session:
            users = accounts.UserLookup(session)
            for line, cells in batch:
                savepoint = session.begin_nested()
                try:
                    values = accounts.row_values(cells, users)
                    outcome, _ = accounts.upsert(session, principal, values)
                    savepoint.commit()
                except accounts.RowProblem as error:
                    savepoint.rollback()
                    problem(line, cells, error)
                    continue
                except SQLAlchemyError as error:
                    savepoint.rollback()
                    report.errors.append(RowError(line, "row", "", _db_message(error)))
                    continue
                setattr(report, outcome, getattr(report, outcome) + 1)
                if cells.get("parent_external_id"):
                    parents.append((line, values["external_id"], cells["parent_external_id"]))
            _finish(session, dry_run)
    if parents:
        # Parents may come later in the file than their children: link after every row exists.
        with db.session_factory() as session:
            for line, external_id, parent_external_id in parents:
                savepoint = session.begin_nested()
                try:
                    if accounts.set_parent(session, principal, external_id, parent_external_id):
                        report.updated += 1
                    savepoint.commit()
                except accounts.RowProblem as error:
                    savepoint.rollback()
                    problem(line, {"parent_external_id": parent_external_id}, error)
            _finish(session, dry_run)
    return report


def _batches(
    reader: Iterator[list[str]], columns: dict[str, int], report: ImportReport
) -> Iterator[list[tuple[int, dict[str, str]]]]:
    batch: list[tuple[int, dict[str, str]]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.errors.append(RowError(reader.line_num, "row", "", f"not CSV: {error}"))  # type: ignore[attr-defined]
            continue
        if not any(cell.strip() for cell in row):
            continue
        report.rows += 1
        cells = {f: row[i] if i < len(row) else "" for f, i in columns.items()}
        batch.append((reader.line_num, cells))  # type: ignore[attr-defined]
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _finish(session: Any, dry_run: bool) -> None:
    if dry_run:
        session.rollback()
    else:
        session.commit()


def _db_message(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    return f"the database refused the row: {original or error}".splitlines()[0][:300]


def export_csv(
    db: Database, principal: Principal, kind: str, out: TextIO, *, format: str = "steward"
) -> int:
    """Writes the principal's records of a kind with the headers of `format`; returns rows."""
    check_kind(kind)
    if format not in FORMATS:
        raise InvalidField("format", f"must be one of {', '.join(FORMATS)}")
    columns = [c for c in KINDS[kind] if c.field != "employees"]
    writer = csv.writer(out)
    writer.writerow([getattr(c, format) for c in columns])
    count = 0
    with db.session_factory() as session:
        rows: Iterable[dict[str, Any]] = accounts.export_rows(session, principal)
        for row in rows:
            writer.writerow(["" if row[c.field] is None else row[c.field] for c in columns])
            count += 1
    return count
