"""The analytics store: a DuckDB file the scoring job owns, fed from the durable event log.

Ingestion writes events to the application database (transactional, de-duplicated); the job
copies what is new into DuckDB (`events`) and runs the Ibis rollups there. Results go back to
the application database, so pages never wait on (or lock) the analytics file.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from steward.accounts.models import Account
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
        ("timestamp", pa.timestamp("us", tz="UTC")),
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


class AnalyticsStore:
    def __init__(self, path: Path | None = None) -> None:
        self.con = ibis.duckdb.connect(str(path) if path else ":memory:")
        # Raw DDL: ibis 12's list_tables() calls an API DuckDB 2.0 removed.
        self.con.raw_sql(
            "CREATE TABLE IF NOT EXISTS events (event_id BIGINT, source_id BIGINT, type VARCHAR,"
            " event VARCHAR, user_id VARCHAR, group_id VARCHAR, timestamp TIMESTAMPTZ)"
        )

    @property
    def events(self) -> ir.Table:
        return self.con.table("events")

    def last_event_id(self) -> int:
        return int(self.con.execute(self.events.event_id.max()) or 0)

    def sync(self, db: Database, chunk: int = 200_000) -> int:
        """Copies events stored since the last sync; returns how many."""
        copied = 0
        last = self.last_event_id()
        while True:
            with db.session_factory() as session:
                rows = session.execute(
                    select(
                        UsageEvent.id,
                        UsageEvent.source_id,
                        UsageEvent.type,
                        UsageEvent.event,
                        UsageEvent.user_id,
                        UsageEvent.group_id,
                        UsageEvent.timestamp,
                    )
                    .where(UsageEvent.id > last)
                    .order_by(UsageEvent.id)
                    .limit(chunk)
                ).all()
            if not rows:
                return copied
            columns = list(zip(*rows, strict=True))
            table = pa.table(
                {
                    name: list(values)
                    for name, values in zip(EVENTS_SCHEMA.names, columns, strict=True)
                },
                schema=EVENTS_SCHEMA,
            )
            self.con.insert("events", table)
            copied += len(rows)
            last = int(rows[-1][0])

    def close(self) -> None:
        self.con.disconnect()


def accounts_input(db: Database, as_of: date) -> pa.Table:
    """account_id, external_id, domain and licensed seats on the day: the quantities of active
    per-seat line items of the account's live contracts (an amendment replaces what it
    supersedes)."""
    superseder = aliased(LineItem)
    replaced_from = (
        select(superseder.supersedes_id, func.min(superseder.start_date).label("from_date"))
        .where(superseder.supersedes_id.is_not(None))
        .group_by(superseder.supersedes_id)
        .subquery()
    )
    seats: dict[int, int] = defaultdict(int)
    with db.session_factory() as session:
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
        ):
            effective_end = end if cut is None else min(end, cut)
            if start <= as_of < effective_end:
                seats[account_id] += quantity
        accounts = session.execute(
            select(Account.id, Account.external_id, Account.domain).where(
                Account.archived_at.is_(None)
            )
        ).all()
    return pa.table(
        {
            "account_id": [a.id for a in accounts],
            "external_id": [a.external_id for a in accounts],
            "domain": [a.domain for a in accounts],
            "seats": [seats.get(a.id) for a in accounts],
        },
        schema=ACCOUNTS_SCHEMA,
    )
