"""Benchmark: what the automatic book policy costs per query, beside the same filter written by
hand (how every service read before) and beside no filter at all, in the same process.

A workspace of `--accounts` accounts (50 AMs, each account seated, three tasks each) in a
SQLite file. For an AM, each case runs the same query three ways: through the policy (the
session reads for the AM), with `policy.book_clause` written into the query (`ACROSS_BOOKS`
so the policy adds nothing), and unfiltered (the system's session: the floor). Prints the
median microseconds per query and the ratio policy ÷ by hand. Target: within 1.10×.

    python benchmarks/book_policy.py [--accounts 20000] [--rounds 400]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.accounts.models import Account, AccountAncestor
from steward.app import load_models
from steward.core.principal import ACROSS_BOOKS, FEW, SYSTEM, Principal, read_as
from steward.db.base import Base
from steward.db.engine import Database
from steward.tasks.models import Task
from steward.users.models import User

AMS = 50


def build(db: Database, accounts: int) -> int:
    """Returns the id of one AM."""
    now = time.time()
    with db.engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {"email": f"am{i}@bench.example", "full_name": f"AM {i}", "role": "am"}
                for i in range(AMS)
            ],
        )
        user_ids = list(conn.scalars(select(User.id).order_by(User.id)))
        conn.execute(
            insert(Account),
            [
                {
                    "name": f"Account {i}",
                    "segment": "smb",
                    "tier": "standard",
                    "lifecycle_stage": "adopting",
                    "owner_am_id": user_ids[i % AMS],
                    "csm_id": user_ids[(i * 7) % AMS],
                }
                for i in range(accounts)
            ],
        )
        ids = list(conn.scalars(select(Account.id).order_by(Account.id)))
        conn.execute(
            insert(AccountAncestor),
            [{"account_id": a, "ancestor_id": a, "depth": 0} for a in ids],
        )
        conn.execute(
            insert(Task),
            [
                {
                    "account_id": a,
                    "title": f"Task {a}.{k}",
                    "status": "open",
                    "priority": "normal",
                    "assignee_id": user_ids[i % AMS],  # the owner
                }
                for i, a in enumerate(ids)
                for k in range(3)
            ],
        )
    print(f"built {accounts:,} accounts, {3 * accounts:,} tasks in {time.time() - now:.1f} s")
    return user_ids[0]


def median_us(session: Session, statement: Callable[[int], Any], rounds: int) -> float:
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        session.execute(statement(i)).all()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    load_models()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        Base.metadata.create_all(db.engine)
        am_id = build(db, args.accounts)
        with db.session_factory() as session:
            am = Principal.of(session.get_one(User, am_id))
            task_ids = list(
                session.scalars(select(Task.id).where(Task.assignee_id == am_id).limit(400))
            )
            assert task_ids, "the AM has no tasks"

        def by_hand(statement: Any, column: Any, few: bool = False) -> Any:
            clause = policy.book_clause(am, column, few=few)
            return statement.where(clause).execution_options(**ACROSS_BOOKS)

        cases: dict[str, dict[str, Callable[[int], Any]]] = {
            "one task by id": {
                "policy": lambda i: (
                    select(Task)
                    .where(Task.id == task_ids[i % len(task_ids)])
                    .execution_options(**FEW)
                ),
                "by hand": lambda i: by_hand(
                    select(Task).where(Task.id == task_ids[i % len(task_ids)]),
                    Task.account_id,
                    few=True,
                ),
            },
            "a page of 50 tasks with account names": {
                "policy": lambda i: (
                    select(Task, Account.name)
                    .join(Account, Account.id == Task.account_id)
                    .order_by(Task.id)
                    .limit(50)
                    .offset(i % 20)
                ),
                "by hand": lambda i: by_hand(
                    select(Task, Account.name)
                    .join(Account, Account.id == Task.account_id)
                    .order_by(Task.id)
                    .limit(50)
                    .offset(i % 20),
                    Task.account_id,
                ),
            },
            "count of the book's accounts": {
                "policy": lambda i: select(func.count()).select_from(Account),
                "by hand": lambda i: by_hand(select(func.count()).select_from(Account), Account.id),
            },
        }
        print(f"{'case':42} {'policy':>10} {'by hand':>10} {'no filter':>10} {'ratio':>7}")
        for name, ways in cases.items():
            results = {}
            for way, statement in ways.items():
                with db.session_factory() as session:
                    read_as(session, am)
                    median_us(session, statement, 20)  # warm the statement cache
                    results[way] = median_us(session, statement, args.rounds)
            with db.session_factory() as session:
                read_as(session, SYSTEM)
                floor = median_us(session, ways["policy"], args.rounds)
            ratio = results["policy"] / results["by hand"]
            print(
                f"{name:42} {results['policy']:>8.0f}µs {results['by hand']:>8.0f}µs"
                f" {floor:>8.0f}µs {ratio:>6.2f}×"
            )


if __name__ == "__main__":
    main()
