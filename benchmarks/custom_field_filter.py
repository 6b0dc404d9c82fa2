"""Benchmark: filtering and sorting a book on a custom field (issue 25), beside the same
filter on a built-in column, over a 100,000-account workspace.

Both run in the same process, on the same database, through the one query the accounts API
and My Book use (`accounts.repository.list_account_rows`: the page of 50 and the count):

- equality: `cf.region=EMEA` (a picklist, 5 options) beside `industry=Retail` (5 industries);
- range: `cf.seats__gte=900` (a number, 0-999) beside `arr_min` on ARR (the same share);
- sort: `sort=-cf.seats` beside `sort=-arr`, unfiltered.

Reported: the median of --repeat runs of each, the ratio custom / built-in, and the rows each
found (which must be equal in count for the equality and range pairs, by construction).

    python benchmarks/custom_field_filter.py [--accounts 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from steward.accounts import repository
from steward.accounts.models import Account, AccountAncestor
from steward.app import assemble
from steward.core.principal import Principal
from steward.db import Database
from steward.db.migrate import upgrade
from steward.fields.models import CustomField, CustomValue
from steward.fields.query import parse
from steward.users.models import User

REGIONS = ["EMEA", "AMER", "APAC", "LATAM", "ANZ"]
INDUSTRIES = ["Retail", "Banking", "Health", "Media", "Energy"]
CHUNK = 5000


def build(db: Database, accounts: int) -> Principal:
    now = datetime.now(UTC)
    with db.session() as session:
        admin = User(email="admin@bench.example", full_name="Admin", role="admin")
        session.add(admin)
        session.flush()
        region = CustomField(
            entity="account",
            key="region",
            label="Region",
            type="picklist",
            options=REGIONS,
            required=False,
            position=0,
        )
        seats = CustomField(
            entity="account", key="seats", label="Seats", type="number", required=False, position=1
        )
        session.add_all([region, seats])
        session.commit()
        principal = Principal.of(admin)
        region_id, seats_id = region.id, seats.id
    for start in range(0, accounts, CHUNK):
        numbers = range(start, min(start + CHUNK, accounts))
        with db.session() as session:
            ids = list(
                session.scalars(
                    insert(Account).returning(Account.id, sort_by_parameter_order=True),
                    [
                        {
                            "name": f"Company {n:06d}",
                            "industry": INDUSTRIES[n % 5],
                            "segment": "mid_market",
                            "tier": "standard",
                            "lifecycle_stage": "adopting",
                            # ARR rank follows seats: the same share passes either range.
                            "arr_minor": (n * 7919 % 1000) * 100_00,
                            "created_at": now,
                            "updated_at": now,
                            "version": 1,
                        }
                        for n in numbers
                    ],
                )
            )
            session.execute(
                insert(AccountAncestor),
                [{"account_id": i, "ancestor_id": i, "depth": 0} for i in ids],
            )
            rows = []
            for n, account_id in zip(numbers, ids, strict=True):
                rows.append(
                    {
                        "field_id": region_id,
                        "record_id": account_id,
                        "ordinal": 0,
                        "text_value": REGIONS[n % 5],
                    }
                )
                value = n * 7919 % 1000
                rows.append(
                    {
                        "field_id": seats_id,
                        "record_id": account_id,
                        "ordinal": 0,
                        "number_value": float(value),
                        "text_value": str(value),
                    }
                )
            session.execute(insert(CustomValue), rows)
            session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return principal


def fresh_database(url: str | None, folder: Path) -> Database:
    """A migrated, empty database: a SQLite file in `folder`, or PostgreSQL at `url` emptied."""
    db = Database(url or f"sqlite:///{folder / 'bench.db'}")
    if url:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(db)
    return db


def timed(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    run()  # warm: compiled statements, page cache
    times, found = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        found = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (emptied first)")
    args = parser.parse_args()
    assemble()
    with tempfile.TemporaryDirectory() as folder:
        db = fresh_database(args.database_url, Path(folder))
        started = time.perf_counter()
        principal = build(db, args.accounts)
        print(
            f"{db.engine.dialect.name}: {args.accounts:,} accounts with 2 custom fields built "
            f"in {time.perf_counter() - started:.1f} s"
        )

        def listing(query: dict[str, str], sort: str | None = None, **built_in: object):
            def run() -> int:
                with db.session() as session:
                    custom = parse(session, "account", query)
                    filters = repository.BookFilters(custom=custom, **built_in)  # type: ignore[arg-type]
                    rows, total = repository.list_account_rows(
                        session, principal, filters, sort=sort, limit=50
                    )
                    assert len(rows) == min(50, total or 0)
                    return int(total or 0)

            return run

        pairs = [
            ("equality", listing({}, industry="Retail"), listing({"cf.region": "EMEA"})),
            ("range", listing({}, arr_min_minor=900 * 100_00), listing({"cf.seats__gte": "900"})),
            ("sort, page of 50", listing({}, sort="-arr"), listing({}, sort="-cf.seats")),
        ]
        print(f"{'':18} {'built-in':>10} {'custom':>10} {'ratio':>6}  rows")
        for name, built_in, custom in pairs:
            base, base_rows = timed(built_in, args.repeat)
            mine, mine_rows = timed(custom, args.repeat)
            assert base_rows == mine_rows, (name, base_rows, mine_rows)
            print(
                f"{name:18} {base * 1000:8.1f} ms {mine * 1000:8.1f} ms {mine / base:6.2f}  "
                f"{mine_rows:,}"
            )
        with db.session() as session:
            check = session.scalar(select(CustomValue.record_id).limit(1))
            assert check is not None
        db.engine.dispose()


if __name__ == "__main__":
    main()
