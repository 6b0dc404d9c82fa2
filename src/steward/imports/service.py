"""CSV import and export: every row validated, good rows imported in one transaction per
batch (each row in its own savepoint), every bad row reported with line, column and reason."""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

from sqlalchemy.exc import SQLAlchemyError

from steward.core.errors import InvalidField
from steward.core.principal import READER, Principal, read_as
from steward.db.engine import Database
from steward.fields.models import Entity
from steward.imports import custom
from steward.imports.accounts import AccountImport
from steward.imports.base import ImportKind, RowProblem
from steward.imports.cells import read_cell, safe_cell
from steward.imports.columns import FORMATS, resolve_headers
from steward.imports.contacts import ContactImport
from steward.imports.contracts import ContractImport
from steward.imports.exchange_rates import ExchangeRateImport
from steward.imports.opportunities import OpportunityImport
from steward.segments import service as segments

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
            writer.writerow([e.line, safe_cell(e.column), safe_cell(e.value), safe_cell(e.message)])
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


IMPORT_KINDS: dict[str, Callable[[], ImportKind]] = {
    "accounts": AccountImport,
    "contacts": ContactImport,
    "opportunities": OpportunityImport,
    "contracts": ContractImport,
    "fx-rates": ExchangeRateImport,
}


def kind_of(kind: str) -> ImportKind:
    handler = IMPORT_KINDS.get(kind)
    if handler is None:
        raise InvalidField("kind", f"can import {', '.join(IMPORT_KINDS)}; not {kind!r}")
    return handler()


def import_csv(
    db: Database, principal: Principal, kind: str, source: TextIO, *, dry_run: bool = False
) -> ImportReport:
    handler = kind_of(kind)
    reader = csv.reader(source)
    try:
        headers = next(reader)
    except StopIteration:
        raise InvalidField("file", "is empty; the first line must name the columns") from None
    except csv.Error as error:
        raise InvalidField("file", f"is not CSV: {error}") from None
    columns, ignored = resolve_headers(handler.columns, headers)
    entity: Entity | None = getattr(handler, "custom_entity", None)
    if entity is not None:
        with db.session() as session:
            found = custom.resolve(session, entity, handler.columns, headers, ignored)
        columns.update(found)
        read = set(found.values())
        ignored = [h for i, h in enumerate(headers) if h in ignored and i not in read]
    for required in handler.required:
        if required not in columns:
            names = next(c for c in handler.columns if c.field == required)
            known = ", ".join(h for h in (names.steward, names.salesforce) if h)
            raise InvalidField("file", f"needs a {required} column ({known})")
    header_of = {f: headers[i] for f, i in columns.items()}
    report = ImportReport(kind=kind, dry_run=dry_run, ignored_columns=ignored)
    with _transactions(db, principal, dry_run) as transaction:
        _run(handler, transaction, principal, reader, columns, header_of, report)
    return report


Transaction = Callable[[], Any]  # a context manager: the session of one batch


@contextmanager
def _transactions(db: Database, principal: Principal, dry_run: bool) -> Iterator[Transaction]:
    """A real import commits each batch; a dry run keeps every batch in one transaction that
    it rolls back at the end, so later rows see what earlier rows would have created (a child
    after its parent, a second batch) exactly as the real import will."""
    if not dry_run:

        @contextmanager
        def committed() -> Iterator[Any]:
            with db.strict_session_factory(info={READER: principal}) as session:
                yield session
                session.commit()
            # On SQLite (one write lock for the whole database) other users' writes that
            # began during this batch (a login, a saved form) go first, so that an import
            # never keeps them waiting longer than one batch.
            db.let_waiting_writers_in()

        yield committed
        return
    with db.strict_session_factory(info={READER: principal}) as session:

        @contextmanager
        def shared() -> Iterator[Any]:
            yield session
            session.flush()

        try:
            yield shared
        finally:
            session.rollback()


def _run(
    handler: ImportKind,
    transaction: Transaction,
    principal: Principal,
    reader: Iterator[list[str]],
    columns: dict[str, int],
    header_of: dict[str, str],
    report: ImportReport,
) -> None:
    later: list[tuple[int, dict[str, str], Any]] = []

    def problem(line: int, cells: dict[str, str], error: RowProblem) -> None:
        column = header_of.get(error.field, error.field)
        report.errors.append(RowError(line, column, cells.get(error.field, ""), error.message))

    def attempt(session: Any, line: int, cells: dict[str, str], step: Any) -> Any:
        savepoint = session.begin_nested()
        try:
            result = step()
            savepoint.commit()
            return result
        except RowProblem as error:
            savepoint.rollback()
            problem(line, cells, error)
        except SQLAlchemyError as error:
            savepoint.rollback()
            report.errors.append(RowError(line, "row", "", _db_message(error)))
        return None

    group_key: str | None = getattr(handler, "group_key", None)
    if group_key is not None:
        _import_groups(
            transaction,
            principal,
            handler,
            group_key,
            _batches(reader, columns, report),
            report,
            problem,
            header_of.get(group_key, group_key),
        )
        return

    # A record named twice in one file: the first row counts, the others are reported (merging
    # them silently would flip the record between the rows on every re-import).
    key_field: str | None = getattr(handler, "key_field", None)
    size: int = getattr(handler, "batch_size", BATCH_SIZE)
    first_line: dict[str, int] = {}
    for batch in _batches(reader, columns, report, size):
        with transaction() as session:
            handler.start_batch(session, principal)
            rows = []
            for line, cells in batch:
                key = cells.get(key_field, "").strip() if key_field else ""
                if key:
                    seen = first_line.setdefault(key, line)
                    if seen != line:
                        problem(
                            line,
                            cells,
                            RowProblem(key_field or "", f"is on line {seen} already"),
                        )
                        continue
                rows.append((line, cells))
            import_batch = getattr(handler, "import_batch", None)
            if import_batch is not None:
                # Kinds that write the rows they can all at once (new accounts) and leave the
                # others to the row-by-row path below.
                done, refused, rows = import_batch(session, principal, rows)
                for line, cells, error in refused:
                    problem(line, cells, error)
                for line, cells, (outcome, follow_up) in done:
                    setattr(report, outcome, getattr(report, outcome) + 1)
                    if follow_up is not None:
                        later.append((line, cells, follow_up))
            for line, cells in rows:
                result = attempt(
                    session,
                    line,
                    cells,
                    lambda cells=cells: handler.import_row(session, principal, cells),
                )
                if result is None:
                    continue
                outcome, follow_up = result
                setattr(report, outcome, getattr(report, outcome) + 1)
                if follow_up is not None:
                    later.append((line, cells, follow_up))
    # Links that need every row first (a child may come before its parent), in transactions
    # of BATCH_SIZE rows like the first pass, so other writers get in between.
    link_batch = getattr(handler, "link_batch", None)
    for start in range(0, len(later), size):
        with transaction() as session:
            chunk = later[start : start + size]
            if link_batch is not None:
                # Links it can make at once; the rest go one by one below.
                linked, chunk = link_batch(session, principal, chunk)
                report.updated += linked
            for line, cells, item in chunk:
                changed = attempt(
                    session,
                    line,
                    cells,
                    lambda item=item: handler.second_pass(session, principal, item),
                )
                if changed:
                    report.updated += 1


def _import_groups(
    transaction: Transaction,
    principal: Principal,
    handler: Any,
    group_key: str,
    batches: Iterator[list[tuple[int, dict[str, str]]]],
    report: ImportReport,
    problem: Callable[[int, dict[str, str], RowProblem], None],
    key_header: str,
) -> None:
    """Kinds whose rows form groups (a contract's line items): a group is imported whole or
    not at all, in a savepoint; transactions hold about BATCH_SIZE rows of whole groups."""
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for batch in batches:
        for line, cells in batch:
            key = cells.get(group_key, "").strip()
            if not key:
                problem(
                    line,
                    cells,
                    RowProblem(group_key, "is required: it says which rows go together"),
                )
                continue
            groups.setdefault(key, []).append((line, cells))
    pending = deque(groups.items())
    while pending:
        chunk: list[tuple[str, list[tuple[int, dict[str, str]]]]] = []
        size = 0
        while pending and (not chunk or size + len(pending[0][1]) <= BATCH_SIZE):
            key, members = pending.popleft()
            chunk.append((key, members))
            size += len(members)
        with transaction() as session:
            handler.start_batch(session, principal)
            for key, members in chunk:
                savepoint = session.begin_nested()
                try:
                    outcomes = handler.import_group(session, principal, key, members)
                    savepoint.commit()
                except (RowProblem, SQLAlchemyError) as error:
                    savepoint.rollback()
                    if isinstance(error, RowProblem):
                        failed = error.line or members[0][0]
                        problem(failed, dict(members).get(failed, {}), error)
                    else:
                        failed = members[0][0]
                        report.errors.append(RowError(failed, "row", "", _db_message(error)))
                    for line, _ in members:
                        if line != failed:
                            report.errors.append(
                                RowError(
                                    line,
                                    key_header,
                                    key,
                                    f"not imported: line {failed} of the same group failed",
                                )
                            )
                    continue
                for outcome in outcomes.values():
                    setattr(report, outcome, getattr(report, outcome) + 1)
    report.errors.sort(key=lambda e: e.line)


def _batches(
    reader: Iterator[list[str]],
    columns: dict[str, int],
    report: ImportReport,
    size: int = BATCH_SIZE,
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
        cells = {f: read_cell(row[i]) if i < len(row) else "" for f, i in columns.items()}
        batch.append((reader.line_num, cells))  # type: ignore[attr-defined]
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _db_message(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    return f"the database refused the row: {original or error}".splitlines()[0][:300]


# Fields written one way or the other: a format that has a header for one leaves the other out.
_ALTERNATIVE = {"end_date": "end_date_inclusive", "rate": "inverse_rate"}


def export_csv(
    db: Database,
    principal: Principal,
    kind: str,
    out: TextIO,
    *,
    format: str = "steward",
    segment_id: int | None = None,
) -> int:
    """Writes the principal's records of a kind with the headers of `format` (accounts: of a
    saved segment, given its id); returns rows."""
    handler = kind_of(kind)
    if format not in FORMATS:
        raise InvalidField("format", f"must be one of {', '.join(FORMATS)}")
    if segment_id is not None and kind != "accounts":
        raise InvalidField("segment_id", "segments hold accounts: export kind accounts")
    # Each column under the format's header, or Steward's where the format has none (a CRM
    # without contracts, say), so every format carries every field and re-imports whole;
    # except where the format writes the same value another way (Salesforce's inclusive end
    # date and inverse exchange rate).
    written = {c.field for c in handler.columns if getattr(c, format)}
    columns = [
        c
        for c in handler.columns
        if c.field != "employees"
        and (getattr(c, format) or (c.steward and _ALTERNATIVE.get(c.field) not in written))
    ]
    writer = csv.writer(out)
    entity: Entity | None = getattr(handler, "custom_entity", None)
    count = 0
    # A plain session: reads take no lock, so an export never waits on (or blocks) a writer,
    # such as the request's own token stamp (a strict session begins IMMEDIATE on SQLite).
    with db.session() as session:
        read_as(session, principal)
        declared = custom.export_columns(session, entity) if entity is not None else []
        extra = [custom.header(field) for field in declared]
        writer.writerow([getattr(c, format) or c.steward for c in columns] + extra)
        if segment_id is not None:
            segment = segments.get_segment(session, principal, segment_id)
            only = segments.account_ids(session, principal, segment, date.today())
            rows: Iterable[dict[str, Any]] = handler.export_rows(session, principal, only)  # type: ignore[call-arg]
        else:
            rows = handler.export_rows(session, principal)
        if entity is not None and declared:
            rows = custom.with_values(session, entity, declared, rows)
        for row in rows:
            writer.writerow(
                [safe_cell(row[c.field]) for c in columns] + [safe_cell(row[h]) for h in extra]
            )
            count += 1
    return count
