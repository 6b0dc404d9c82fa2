"""Benchmark: importing accounts from CSV (issue 19), beside a plain SQLAlchemy executemany
that writes the same rows: the accounts, one audit event each and each account's closure row.

Both run in the same process on fresh SQLite files (or --database-url, emptied first), on the
same generated Salesforce-style file (every --children-every'th row is the child of an earlier
row, every 500th row is bad). Reported: rows per second of each and their ratio.

    python benchmarks/account_import.py [--rows 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from steward.accounts.models import Account, AccountAncestor
from steward.app import assemble
from steward.core.audit import AuditEvent
from steward.core.principal import Principal
from steward.db import Database
from steward.db.migrate import upgrade
from steward.imports.service import import_csv
from steward.users.models import User

HEADER = ["Account ID", "Account Name", "Website", "Industry", "Employees", "Parent Account ID"]


def accounts_file(rows: int, children_every: int = 10) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n in range(rows):
        child = children_every and n % children_every == children_every - 1
        parent = f"SF-{n - 7:07d}" if child else ""
        employees = "-5" if n % 500 == 499 else str(20 + n % 3000)
        writer.writerow(
            [f"SF-{n:07d}", f"Company {n}", f"https://c{n}.example", "Retail", employees, parent]
        )
    return out.getvalue()


def fresh(url: str | None, folder: Path, name: str) -> Database:
    db = Database(url or f"sqlite:///{folder / name}")
    if url:  # PostgreSQL: an empty schema
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(db)
    return db


def admin_of(db: Database) -> Principal:
    with db.session() as session:
        user = User(email="admin@bench.example", full_name="Admin", role="admin")
        session.add(user)
        session.commit()
        return Principal.of(user)


def plain_insert(db: Database, rows: int) -> float:
    """The same accounts, audit events and closure rows with three executemany statements."""
    now = datetime.now(UTC)
    accounts = [
        {
            "external_id": f"SF-{n:07d}",
            "name": f"Company {n}",
            "domain": f"c{n}.example",
            "industry": "Retail",
            "segment": "mid_market",
            "tier": "standard",
            "lifecycle_stage": "onboarding",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(rows)
    ]
    started = time.perf_counter()
    with db.session() as session:
        ids = session.scalars(insert(Account).returning(Account.id), accounts).all()
        session.execute(
            insert(AuditEvent),
            [
                {
                    "actor_id": None,
                    "action": "create",
                    "entity_type": "accounts",
                    "entity_id": i,
                    "before": None,
                    "after": dict(a, created_at=None, updated_at=None),
                }
                for i, a in zip(ids, accounts, strict=True)
            ],
        )
        session.execute(
            insert(AccountAncestor), [{"account_id": i, "ancestor_id": i, "depth": 0} for i in ids]
        )
        session.commit()
    return time.perf_counter() - started


def main() -> None:
    assemble()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--children-every", type=int, default=10, help="every Nth row has a parent (0: none)"
    )
    args = parser.parse_args()
    text = accounts_file(args.rows, args.children_every)
    with tempfile.TemporaryDirectory() as folder:
        db = fresh(args.database_url, Path(folder), "import.db")
        admin = admin_of(db)
        started = time.perf_counter()
        report = import_csv(db, admin, "accounts", io.StringIO(text))
        took = time.perf_counter() - started
        with db.session() as session:
            stored = len(session.scalars(select(Account.id)).all())
        assert report.created == stored == args.rows - args.rows // 500, (report.created, stored)
        db.dispose()
        baseline_db = fresh(args.database_url, Path(folder), "plain.db")
        plain = plain_insert(baseline_db, args.rows)
        baseline_db.dispose()
    imported = args.rows / took
    inserted = args.rows / plain
    print(f"rows: {args.rows:,} ({report.failed} bad, {report.updated} parent links)")
    print(f"import_csv:      {took:7.2f} s  {imported:9,.0f} rows/s")
    print(f"plain insert:    {plain:7.2f} s  {inserted:9,.0f} rows/s")
    print(f"ratio (import / plain time): {took / plain:.1f}")


if __name__ == "__main__":
    main()
