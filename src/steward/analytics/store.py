"""The analytics store: a DuckDB file the scoring job owns, fed from the durable event log.

Ingestion writes events to the application database (transactional, de-duplicated); the job
copies what is new into DuckDB (`events`) and runs the Ibis rollups there. Results go back to
the application database, so pages never wait on (or lock) the analytics file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
from sqlalchemy import func, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from steward.accounts.models import Account
from steward.config import Settings
from steward.contracts import terms
from steward.contracts.models import Contract, LineItem
from steward.db.engine import Database
from steward.products.models import Product
from steward.usage.models import UsageEvent

EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("source_id", pa.int64()),
        ("type", pa.string()),
        ("event", pa.string()),
        ("user_id", pa.string()),
        ("group_id", pa.string()),
        ("timestamp", pa.timestamp("us")),  # UTC, naive: see usage_rollups._midnight
    ]
)
ACCOUNTS_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("external_id", pa.string()),
        ("domain", pa.string()),
        ("seats", pa.int64()),
    ]
)


# How long an id missing below the copied maximum is looked for again: far longer than any
# ingestion transaction stays open (statements are limited to seconds).
GAP_HOURS = 1
_EVENT_COLUMNS = select(
    UsageEvent.id,
    UsageEvent.source_id,
    UsageEvent.type,
    UsageEvent.event,
    UsageEvent.user_id,
    UsageEvent.group_id,
    # The driver's own value, converted by Arrow a column at a time (_instants): through
    # the ORM type each event's instant was parsed and re-zoned in Python, about a fifth of
    # a 2-million-event sync.
    type_coerce(UsageEvent.timestamp, NullType()),
)


class AnalyticsStore:
    def __init__(self, path: Path | None = None) -> None:
        self.con = ibis.duckdb.connect(str(path) if path else ":memory:")
        # The store is a copy of the durable log: a file from an older layout (zoned
        # timestamps) is dropped and copied again rather than migrated.
        zoned = self.con.raw_sql(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'events'"
            " AND column_name = 'timestamp' AND data_type LIKE 'TIMESTAMP WITH TIME ZONE'"
        ).fetchall()
        if zoned:
            self.con.raw_sql("DROP TABLE events")
        # Raw DDL: ibis 12's list_tables() calls an API DuckDB 2.0 removed.
        self.con.raw_sql(
            "CREATE TABLE IF NOT EXISTS events (event_id BIGINT, source_id BIGINT, type VARCHAR,"
            " event VARCHAR, user_id VARCHAR, group_id VARCHAR, timestamp TIMESTAMP)"
        )
        # Ids below the copied maximum that were not there when it was copied: a transaction
        # still open then may commit them later (PostgreSQL hands out ids at insert, and
        # transactions commit in any order). Each sync looks for them again until GAP_HOURS
        # have passed (a rolled-back insert leaves its id unused for good).
        self.con.raw_sql(
            "CREATE TABLE IF NOT EXISTS sync_gaps (event_id BIGINT PRIMARY KEY,"
            " noticed_at TIMESTAMP NOT NULL)"
        )

    @property
    def events(self) -> ir.Table:
        return self.con.table("events")

    def last_event_id(self) -> int:
        return int(self.con.execute(self.events.event_id.max()) or 0)

    def contents(self) -> tuple[int, int] | None:
        """How many events the store holds and the highest id: a fingerprint of what it has
        copied (the log is only ever appended to, so any new event changes it)."""
        count, top = self.con.raw_sql("SELECT count(*), max(event_id) FROM events").fetchone()
        return int(count), int(top or 0)

    def sync(self, db: Database, chunk: int = 200_000) -> int:
        """Copies events stored since the last sync, exactly once each; returns how many.

        New events are those above the copied maximum, and those in the gaps below it that
        were noticed earlier and have committed since. Each chunk and its gap bookkeeping go
        into DuckDB in one transaction, so a sync that dies copies nothing twice."""
        copied = self._fill_gaps(db)
        last = self.last_event_id()
        while True:
            with db.session_factory() as session:
                rows = session.execute(
                    _EVENT_COLUMNS.where(UsageEvent.id > last).order_by(UsageEvent.id).limit(chunk)
                ).all()
            if not rows:
                return copied
            ids = {int(row[0]) for row in rows}
            top = int(rows[-1][0])
            gaps = sorted(set(range(last + 1, top + 1)) - ids)
            self._write(rows, new_gaps=gaps)
            copied += len(rows)
            last = top

    def _fill_gaps(self, db: Database) -> int:
        """Copies the events of earlier gaps that have committed since; forgets gaps older
        than GAP_HOURS."""
        self.con.raw_sql(
            f"DELETE FROM sync_gaps WHERE noticed_at < now()::TIMESTAMP - INTERVAL {GAP_HOURS} HOUR"
        )
        waiting = [int(r[0]) for r in self.con.raw_sql("SELECT event_id FROM sync_gaps").fetchall()]
        copied = 0
        for start in range(0, len(waiting), 10_000):
            with db.session_factory() as session:
                rows = session.execute(
                    _EVENT_COLUMNS.where(UsageEvent.id.in_(waiting[start : start + 10_000]))
                ).all()
            if rows:
                self._write(rows, filled=[int(row[0]) for row in rows])
                copied += len(rows)
        return copied

    def _write(
        self,
        rows: Sequence[Any],
        *,
        new_gaps: Sequence[int] = (),
        filled: Sequence[int] = (),
    ) -> None:
        columns = list(zip(*rows, strict=True))
        instants = _instants(columns.pop())
        table = pa.table(
            [
                *(
                    pa.array(values, type=field.type)
                    for values, field in zip(columns, list(EVENTS_SCHEMA)[:-1], strict=True)
                ),
                instants,
            ],
            schema=EVENTS_SCHEMA,
        )
        raw = self.con.con
        raw.execute("BEGIN TRANSACTION")
        try:
            raw.register("incoming_events", table)
            raw.execute("INSERT INTO events SELECT * FROM incoming_events")
            raw.unregister("incoming_events")
            if new_gaps:
                raw.executemany(
                    "INSERT INTO sync_gaps VALUES (?, now()::TIMESTAMP) ON CONFLICT DO NOTHING",
                    [(gap,) for gap in new_gaps],
                )
            if filled:
                raw.execute(
                    "DELETE FROM sync_gaps WHERE event_id IN (SELECT unnest(?))", [list(filled)]
                )
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise

    def accounts(self, table: pa.Table) -> ir.Table:
        """The accounts input as a table beside the events (a temporary one: this
        connection's own)."""
        return self.input("accounts", table)

    def input(self, name: str, table: pa.Table) -> ir.Table:
        """An input of the rollups (accounts, the days to score them on) as a temporary
        table beside the events."""
        return self.con.create_table(name, table, temp=True, overwrite=True)

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        return self.con.execute(expr)

    def close(self) -> None:
        self.con.disconnect()


class WarehouseStore:
    """Events that live in the customer's warehouse (PostgreSQL, Snowflake, BigQuery, Spark,
    DuckDB… anything Ibis connects to): the rollups run there, on their table, and nothing is
    ingested or copied. The table (or a view) needs Segment's columns: type, event, user_id,
    group_id and timestamp (UTC)."""

    def __init__(self, url: str, table: str) -> None:
        self.con = ibis.connect(url)
        schema, _, name = table.rpartition(".")
        self.events = self.con.table(name, database=schema or None)

    def sync(self, db: Database) -> int:
        return 0  # nothing to copy: the warehouse is the store

    def contents(self) -> tuple[int, int] | None:
        return None  # the customer's table changes out of Steward's sight: no fingerprint

    def accounts(self, table: pa.Table) -> ir.Table:
        return self.input("accounts", table)

    def input(self, name: str, table: pa.Table) -> ir.Table:
        # A memtable travels with the query (a temporary table where the backend needs one).
        return ibis.memtable(table)

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        return self.con.execute(expr)

    def close(self) -> None:
        self.con.disconnect()


EventStore = AnalyticsStore | WarehouseStore


@contextmanager
def event_source(settings: Settings) -> Iterator[Path | WarehouseStore]:
    """Where scoring reads events: the customer's warehouse table when configured (connected
    for the duration), else Steward's own DuckDB store (a path: each job opens it and lets go,
    so the file is never held between jobs)."""
    if not settings.usage_warehouse_url:
        yield settings.analytics_path
        return
    if not settings.usage_events_table:
        raise ValueError("STEWARD_USAGE_EVENTS_TABLE must name the events table")
    store = WarehouseStore(settings.usage_warehouse_url, settings.usage_events_table)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_store(source: Path | EventStore | None) -> Iterator[EventStore]:
    """A store to use now: a given one as it is (its owner closes it), or the DuckDB file at
    the path, closed after use."""
    if isinstance(source, AnalyticsStore | WarehouseStore):
        yield source
        return
    store = AnalyticsStore(source)
    try:
        yield store
    finally:
        store.close()


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _instants(values: Sequence[Any]) -> pa.Array:
    """Stored instants as naive UTC microseconds: SQLite hands back its text
    ('2026-08-09 11:00:00.000000'), PostgreSQL naive UTC datetimes (a column without a zone,
    written as naive UTC by UTCDateTime); aware ones are turned to UTC first."""
    first = next((value for value in values if value is not None), None)
    if isinstance(first, datetime) and first.tzinfo is not None:
        values = [value and _naive_utc(value) for value in values]
    return pa.array(values).cast(pa.timestamp("us"))


DAYS_SCHEMA = pa.schema([("account_id", pa.int64()), ("as_of", pa.date32()), ("seats", pa.int64())])


def _seat_spans(session: Session) -> list[tuple[int, int, date, date]]:
    """(account id, seats, first day, day after the last) of every per-seat line item of a
    live contract, cut where an amendment replaces it."""
    replaced_from = terms.replaced_from()
    return [
        (account_id, quantity, start, end if cut is None else min(end, cut))
        for account_id, quantity, start, end, cut in session.execute(
            select(
                Contract.account_id,
                LineItem.quantity,
                LineItem.start_date,
                LineItem.end_date,
                replaced_from.c.from_date,
            )
            .join(Contract, Contract.id == LineItem.contract_id)
            .join(Product, Product.id == LineItem.product_id)
            .outerjoin(replaced_from, replaced_from.c.supersedes_id == LineItem.id)
            .where(Product.is_per_seat.is_(True), Contract.archived_at.is_(None))
        )
    ]


def days_input(db: Database, pairs: Iterable[tuple[int, date]]) -> pa.Table:
    """account_id, as_of and the seats licensed that day, for each (account, day) pair: the
    input of `usage_rollups.account_usage_on_days` (seats as `accounts_input` counts them)."""
    wanted = sorted(set(pairs))
    with db.session_factory() as session:
        spans: dict[int, list[tuple[int, date, date]]] = defaultdict(list)
        for account_id, quantity, start, end in _seat_spans(session):
            spans[account_id].append((quantity, start, end))
    seats: list[int | None] = []
    for account_id, day in wanted:
        live = [q for q, start, end in spans.get(account_id, ()) if start <= day < end]
        seats.append(sum(live) if live else None)
    return pa.table(
        {
            "account_id": [a for a, _ in wanted],
            "as_of": [d for _, d in wanted],
            "seats": seats,
        },
        schema=DAYS_SCHEMA,
    )


def accounts_input(db: Database, as_of: date) -> pa.Table:
    """account_id, external_id, domain and licensed seats on the day: the quantities of active
    per-seat line items of the account's live contracts (an amendment replaces what it
    supersedes)."""
    return accounts_inputs(db, [as_of])[as_of]


def accounts_inputs(db: Database, days: Iterable[date]) -> dict[date, pa.Table]:
    """`accounts_input` of each day, reading the accounts and seat spans once for them all (a
    history of monthly snapshots asks for dozens of days)."""
    wanted = sorted(set(days))
    with db.session_factory() as session:
        spans = _seat_spans(session)
        # A merged-away account's external id and domain count for its survivor (merges
        # flatten chains, so one step reaches a live account).
        accounts = session.execute(
            select(
                func.coalesce(Account.merged_into_id, Account.id).label("id"),
                Account.external_id,
                Account.domain,
            ).where(or_(Account.archived_at.is_(None), Account.merged_into_id.is_not(None)))
        ).all()
    ids = [a.id for a in accounts]
    external_ids = [a.external_id for a in accounts]
    domains = [a.domain for a in accounts]
    out: dict[date, pa.Table] = {}
    for as_of in wanted:
        seats: dict[int, int] = defaultdict(int)
        for account_id, quantity, start, end in spans:
            if start <= as_of < end:
                seats[account_id] += quantity
        out[as_of] = pa.table(
            {
                "account_id": ids,
                "external_id": external_ids,
                "domain": domains,
                "seats": [seats.get(i) for i in ids],
            },
            schema=ACCOUNTS_SCHEMA,
        )
    return out
