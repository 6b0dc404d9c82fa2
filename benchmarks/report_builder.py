"""Benchmark: a two-dimension report over 100,000 accounts (issue 25), beside the same report
on built-in columns, in the same process and database.

- `accounts` by `cf.region` × `tier` (a custom field and a column), beside `accounts` by
  `industry` × `tier` (two columns): the report builder's account path, for a VP (every book)
  and for an AM (a book of 1 % of the accounts);
- the totals of both must be equal (every account counted once).

Target: under 1 s for the report.

    python -m benchmarks.report_builder [--accounts 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import update

from benchmarks.custom_field_filter import build, fresh_database
from steward.accounts.models import Account
from steward.app import assemble
from steward.core.principal import Principal, read_as
from steward.reports.schemas import ReportRun
from steward.reports.service import run
from steward.users.models import User


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (emptied first)")
    args = parser.parse_args()
    assemble()
    with tempfile.TemporaryDirectory() as folder:
        db = fresh_database(args.database_url, Path(folder))
        vp = build(db, args.accounts)
        with db.session() as session:
            am_user = User(email="am@bench.example", full_name="AM", role="am")
            session.add(am_user)
            session.flush()
            session.execute(
                update(Account).where(Account.id % 100 == 0).values(owner_am_id=am_user.id)
            )
            session.commit()
            am = Principal.of(am_user)
        print(f"{db.engine.dialect.name}: {args.accounts:,} accounts")
        print(f"{'reader':6} {'built-in':>10} {'custom':>10} {'ratio':>6}  groups  accounts")
        for name, reader in (("VP", vp), ("AM", am)):
            times: dict[str, list[float]] = {"built": [], "custom": []}
            totals: dict[str, float] = {}
            groups: dict[str, int] = {}
            for _ in range(args.repeat + 1):
                for kind, dims in (
                    ("built", ["industry", "tier"]),
                    ("custom", ["cf.region", "tier"]),
                ):
                    with db.session() as session:
                        read_as(session, reader)
                        start = time.perf_counter()
                        result = run(
                            session,
                            reader,
                            "USD",
                            ReportRun(measure="accounts", group_by=dims),
                            date.today(),
                        )
                        times[kind].append(time.perf_counter() - start)
                    totals[kind] = sum(r.value or 0 for r in result.rows)
                    groups[kind] = len(result.rows)
            assert totals["built"] == totals["custom"], totals
            built = statistics.median(times["built"][1:])
            custom = statistics.median(times["custom"][1:])
            print(
                f"{name:6} {built * 1000:8.1f} ms {custom * 1000:8.1f} ms {custom / built:6.2f}  "
                f"{groups['custom']:6}  {int(totals['custom']):,}"
            )
        db.engine.dispose()


if __name__ == "__main__":
    main()
