"""Benchmark: the Team page for 50 reps over a large workspace, beside My Book, in one process.

A synthetic workspace of `--accounts` accounts (five teams of eight AMs and two CSMs, each
account owned and covered, one contract each, a tenth of them ended; a health band; two
activities each), built in a SQLite file with bulk inserts (building the demo at this size
takes hours: issue 26). The VP, who sees every account and every rep, requests through the
app (pages rendered, as a browser gets them):

- `/team` (50 rep rows: book size, NRR/GRR and renewal rate from the revenue engine, quota
  attainment and coverage, activities, check-in compliance, red share; team totals);
- `/book` (the first page of My Book with its headline figures), the baseline.

Each is requested once (the first load: the revenue cube is built, the Team figures computed),
then `--rounds` times (warm: the Team figures are kept per workspace revision and day); and the
Team figures are recomputed `--rounds` times with the cube warm (what the first view after a
write that leaves revenue alone costs). Prints the medians and the ratios to My Book.

    python benchmarks/team_page.py [--accounts 100000] [--rounds 10] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from steward.accounts.models import Account, AccountAncestor
from steward.activities.models import Activity
from steward.app import create_app, load_models
from steward.config import Settings
from steward.contracts.models import Contract, LineItem
from steward.core.dates import quarter_of
from steward.core.principal import Principal, read_as
from steward.db.engine import Database
from steward.db.migrate import upgrade
from steward.products.models import Product
from steward.team.service import _team_performance, team_reps
from steward.users.models import Team, User
from steward.users.passwords import hash_password

PASSWORD = "bench-password"
CADENCE = Settings().checkin_cadence_days
QBR_CADENCE = Settings().qbr_cadence_days
TEAMS, AMS_PER_TEAM, CSMS_PER_TEAM = 5, 8, 2
BANDS = ("green", "green", "yellow", "red", None)
SCORES = {"green": 82.0, "yellow": 55.0, "red": 24.0, None: None}


def build(db: Database, accounts: int) -> None:
    started = time.time()
    today = date.today()
    now = datetime.now(UTC)
    secret = hash_password(PASSWORD)
    with db.engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {
                    "email": "vp@bench.example",
                    "full_name": "VP",
                    "role": "vp",
                    "password_hash": secret,
                }
            ],
        )
        conn.execute(insert(Team), [{"name": f"Team {t}"} for t in range(TEAMS)])
        team_ids = list(conn.scalars(select(Team.id).order_by(Team.id)))
        people = [
            {
                "email": f"{role}{t}.{k}@bench.example",
                "full_name": f"{role.upper()} {t}.{k}",
                "role": role,
                "team_id": team_ids[t],
            }
            for t in range(TEAMS)
            for role, n in (("am", AMS_PER_TEAM), ("csm", CSMS_PER_TEAM))
            for k in range(n)
        ]
        conn.execute(insert(User), people)
        ams = list(conn.scalars(select(User.id).where(User.role == "am").order_by(User.id)))
        csms = list(conn.scalars(select(User.id).where(User.role == "csm").order_by(User.id)))
        conn.execute(
            insert(Product),
            [
                {
                    "sku": "SEAT",
                    "name": "Seat",
                    "list_price_minor": 60_000,
                    "billing_period": "annual",
                    "is_recurring": True,
                    "is_per_seat": True,
                }
            ],
        )
        product_id = conn.scalar(select(Product.id))
        conn.execute(
            insert(Account),
            [
                {
                    "name": f"Account {i}",
                    "segment": "smb",
                    "tier": ("standard", "key", "strategic")[i % 3],
                    "lifecycle_stage": "churned" if i % 10 == 0 else "adopting",
                    "owner_am_id": ams[i % len(ams)],
                    "csm_id": csms[i % len(csms)],
                    "health_band": BANDS[i % len(BANDS)],
                    "health_score": SCORES[BANDS[i % len(BANDS)]],
                    "arr_minor": 0 if i % 10 == 0 else 60_000 * (5 + i % 20),
                    "last_touch_at": now - timedelta(days=i % 120),
                }
                for i in range(accounts)
            ],
        )
        ids = list(conn.scalars(select(Account.id).order_by(Account.id)))
        conn.execute(
            insert(AccountAncestor), [{"account_id": a, "ancestor_id": a, "depth": 0} for a in ids]
        )
        starts = [today - timedelta(days=200 + (i * 37) % 900) for i in range(accounts)]
        conn.execute(
            insert(Contract),
            [
                {
                    "account_id": a,
                    "name": f"Contract {a}",
                    "start_date": starts[i],
                    # A tenth ended without renewal; the rest run past today.
                    "end_date": starts[i] + timedelta(days=120 if i % 10 == 0 else 1200),
                }
                for i, a in enumerate(ids)
            ],
        )
        contracts = list(conn.scalars(select(Contract.id).order_by(Contract.id)))
        conn.execute(
            insert(LineItem),
            [
                {
                    "contract_id": c,
                    "product_id": product_id,
                    "quantity": 5 + i % 20,
                    "unit_price_minor": 60_000,
                    "billing_period": "annual",
                    "start_date": starts[i],
                    "end_date": starts[i] + timedelta(days=120 if i % 10 == 0 else 1200),
                }
                for i, c in enumerate(contracts)
            ],
        )
        conn.execute(
            insert(Activity),
            [
                {
                    "account_id": a,
                    "user_id": ams[i % len(ams)] if k == 0 else csms[i % len(csms)],
                    "type": ("call", "email", "meeting")[(i + k) % 3],
                    "subject": "Touch",
                    "occurred_at": now - timedelta(days=(i + 13 * k) % 60),
                }
                for i, a in enumerate(ids)
                for k in range(2)
            ],
        )
    print(f"built {accounts:,} accounts, 50 reps in {time.time() - started:.0f} s")


def median_ms(client: TestClient, path: str, rounds: int) -> tuple[float, float]:
    """(first request, median of the next `rounds`) in ms."""
    start = time.perf_counter()
    answer = client.get(path)
    first = (time.perf_counter() - start) * 1000
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - start)
        assert answer.status_code == 200
    return first, statistics.median(times) * 1000


def recompute_ms(db: Database, rounds: int) -> float:
    """The Team figures computed again (no cache), the revenue cube warm."""
    with db.session_factory() as session:
        vp = Principal.of(session.scalars(select(User).where(User.role == "vp")).one())
        read_as(session, vp)
        reps = team_reps(session, vp)
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            _team_performance(
                session,
                vp,
                reps,
                "USD",
                CADENCE,
                QBR_CADENCE,
                quarter_of(date.today()),
                date.today(),
            )
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    load_models()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / f"team-bench-{args.accounts}.db"
        db = Database(f"sqlite:///{path}")
        if not path.exists() or path.stat().st_size == 0:
            upgrade(db)
            build(db, args.accounts)
        settings = Settings(data_dir=data_dir, secret_key="bench", database_url=f"sqlite:///{path}")
        with TestClient(create_app(settings, db)) as client:
            login = client.post(
                "/login",
                data={"email": "vp@bench.example", "password": PASSWORD},
                follow_redirects=False,
            )
            assert login.status_code == 303, login.text
            book_first, book = median_ms(client, "/book", args.rounds)
            team_first, team = median_ms(client, "/team", args.rounds)
            again = recompute_ms(db, args.rounds)
    print(f"{args.accounts:,} accounts, 50 reps; milliseconds")
    print(f"{'':<34}{'first':>10}{'median':>10}{'÷ My Book':>11}")
    print(f"{'/book (baseline)':<34}{book_first:>10.1f}{book:>10.1f}{1:>10.2f}×")
    print(f"{'/team':<34}{team_first:>10.1f}{team:>10.1f}{team / book:>10.2f}×")
    print(f"{'Team figures recomputed':<34}{'':>10}{again:>10.1f}{again / book:>10.2f}×")


if __name__ == "__main__":
    main()
