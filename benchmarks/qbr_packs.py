"""Benchmark: QBR packs (issue 24), for one account and for 100, beside what Account 360 reads
for the same accounts, in one process.

On a demo workspace (`steward demo --no-serve --data-dir DIR`; built into a temporary folder
when no --data-dir is given, which takes a few minutes), as the admin, for the quarter just
ended:

- the baseline: Account 360's data for the account (account_360 and the health panel);
- the pack's data alone (gather);
- the deck (pptx) and the PDF: data, pages, drawing, and the drafted QBR activity.

One account: the median of --rounds makes of the account with the most milestones. 100
accounts: each made once, total and seconds per pack. Nothing is kept (rolled back).

    python benchmarks/qbr_packs.py [--data-dir DIR] [--rounds 5] [--accounts 100]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from steward.account360.overview import account_360
from steward.accounts.models import Account
from steward.app import assemble
from steward.cli.common import _database, _settings
from steward.core.dates import Quarter
from steward.core.principal import Principal
from steward.health.overview import health_panel
from steward.plans.models import Milestone
from steward.qbr import service
from steward.qbr.pack import gather
from steward.qbr.schemas import QbrFormat
from steward.users.models import User


def _median(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=100)
    args = parser.parse_args()
    data_dir = args.data_dir
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp()) / "demo"
        print(f"building the demo in {data_dir} …", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "steward", "demo", "--no-serve", "--data-dir", str(data_dir)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    assemble()
    db = _database(_settings(data_dir))
    today = date.today()
    period = str(Quarter.of(today).previous)
    with db.session() as session:
        admin = session.scalar(select(User).where(User.role == "admin").limit(1))
        assert admin is not None, "no admin in this workspace"
        me = Principal.of(admin)
        busiest = session.scalar(
            select(Milestone.account_id)
            .where(Milestone.success_plan_id.is_not(None))
            .group_by(Milestone.account_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        account_ids = list(
            session.scalars(
                select(Account.id)
                .where(Account.archived_at.is_(None))
                .order_by(Account.id)
                .limit(args.accounts)
            )
        )
        assert busiest is not None and account_ids

        def baseline(account_id: int) -> None:
            account_360(session, me, account_id, today)
            health_panel(session, me, account_id, today)

        def pack(account_id: int, fmt: QbrFormat) -> None:
            service.make_pack(session, me, account_id, period, fmt)

        quarter = Quarter.parse(period)
        one = {
            "Account 360 data (baseline)": _median(lambda: baseline(busiest), args.rounds),
            "pack data (gather)": _median(
                lambda: gather(session, me, busiest, quarter), args.rounds
            ),
            "deck (pptx)": _median(lambda: pack(busiest, QbrFormat.PPTX), args.rounds),
            "PDF": _median(lambda: pack(busiest, QbrFormat.PDF), args.rounds),
        }
        base = one["Account 360 data (baseline)"]
        print(f"workspace {data_dir}, period {period}, {args.rounds} rounds")
        print(f"one account (#{busiest}), median seconds and ratio to the baseline:")
        for name, seconds in one.items():
            print(f"  {name:<30} {seconds:8.3f} s   {seconds / base:6.1f}x")
        many: dict[str, float] = {}
        for name, run in (
            ("Account 360 data (baseline)", baseline),
            ("deck (pptx)", lambda a: pack(a, QbrFormat.PPTX)),
            ("PDF", lambda a: pack(a, QbrFormat.PDF)),
        ):
            began = time.perf_counter()
            for account_id in account_ids:
                run(account_id)
            many[name] = time.perf_counter() - began
        n = len(account_ids)
        print(f"{n} accounts, each once: total, per account, ratio to the baseline:")
        for name, seconds in many.items():
            ratio = seconds / many["Account 360 data (baseline)"]
            print(f"  {name:<30} {seconds:8.2f} s  {seconds / n:6.3f} s each  {ratio:6.1f}x")
        session.rollback()


if __name__ == "__main__":
    main()
