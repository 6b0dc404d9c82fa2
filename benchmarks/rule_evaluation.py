"""Benchmark: evaluating rules over 100,000 accounts' daily signals, beside a baseline that only
reads the same signals.

A synthetic workspace (100k accounts with health roll-ups, today's scores with usage, contracts
ending, survey answers, escalations, won deals) and seven enabled rules, one per trigger type,
each with conditions. Measured in the same process, median of --repeat runs:

- evaluate: every rule's events, conditions and hold-out draws (what the job and a dry-run do);
- baseline: the exact SQL statements the evaluation issued (recorded from the engine), run
  again with plain cursor fetches: the cost of reading the signals and nothing else;
- steady run: `run_rules` on a day whose events have all fired already (the usual 15-minute
  tick: evaluate + the dedupe lookups, no writes);
- first run (with --fire): `run_rules` firing every new event once (tasks, notifications).

Memory: peak Python allocations (tracemalloc) of evaluate and of the baseline, in their own runs.

    python benchmarks/rule_evaluation.py [--accounts 100000] [--repeat 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, insert, text

from steward.accounts.models import Account
from steward.app import assemble
from steward.config import Settings
from steward.contacts.models import Contact
from steward.contracts.models import Contract
from steward.db import Database
from steward.db.base import Base
from steward.db.migrate import upgrade
from steward.escalations.models import Escalation
from steward.health.models import HealthScore, HealthScorecard
from steward.opportunities.models import Opportunity
from steward.playbooks.engine import evaluate, playbooks_by_key, run_rules, spec_of
from steward.playbooks.models import Playbook, Rule, RuleRun
from steward.surveys.models import Survey, SurveyInvitation, SurveyResponse
from steward.users.models import User

RULES: list[dict[str, Any]] = [
    {
        "key": "red",
        "trigger": {"type": "health_band_entered", "band": "red"},
        "conditions": {"segments": ["enterprise", "mid_market"]},
    },
    {
        "key": "usage",
        "trigger": {"type": "usage_drop", "percent": 30},
        "conditions": {"min_arr": 20000},
    },
    {
        "key": "renewal",
        "trigger": {"type": "renewal_due", "days": 90},
        "conditions": {"tiers": ["key", "strategic"]},
    },
    {"key": "detractor", "trigger": {"type": "nps_detractor"}, "conditions": {}},
    {
        "key": "cadence",
        "trigger": {
            "type": "no_touch",
            "days_by_tier": {"standard": 90, "key": 45, "strategic": 30},
        },
        "conditions": {"segments": ["enterprise"]},
    },
    {"key": "sla", "trigger": {"type": "sla_breach"}, "conditions": {}},
    {"key": "won", "trigger": {"type": "opportunity_won"}, "conditions": {"min_arr": 5000}},
]


def build(db: Database, accounts: int, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    Base.metadata  # noqa: B018
    with db.engine.begin() as conn:
        users = [
            {
                "email": f"u{i}@bench.example",
                "full_name": f"User {i}",
                "role": "am" if i % 2 else "csm",
            }
            for i in range(200)
        ]
        conn.execute(insert(User), users)
        rows = []
        for i in range(accounts):
            band = rng.choices(["green", "yellow", "red"], [0.6, 0.25, 0.15])[0]
            rows.append(
                {
                    "id": i + 1,
                    "name": f"Account {i}",
                    "segment": rng.choice(["smb", "mid_market", "enterprise"]),
                    "tier": rng.choices(["standard", "key", "strategic"], [0.8, 0.15, 0.05])[0],
                    "lifecycle_stage": rng.choices(
                        ["adopting", "mature", "onboarding", "churned"], [0.5, 0.35, 0.1, 0.05]
                    )[0],
                    "owner_am_id": 2 * rng.randrange(100) + 2,
                    "csm_id": 2 * rng.randrange(100) + 1,
                    "arr_minor": rng.randrange(0, 20_000_000),
                    "last_touch_at": now - timedelta(days=rng.randrange(0, 200)),
                    "health_band": band,
                    "health_score": rng.uniform(0, 100),
                    "health_band_since": today - timedelta(days=rng.randrange(0, 120)),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        conn.execute(insert(Account), rows)
        card = conn.execute(
            insert(HealthScorecard).values(
                key="default", name="Default", status="published", definition="{}", created_at=now
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(HealthScore),
            [
                {
                    "account_id": i + 1,
                    "scorecard_id": card,
                    "as_of": today,
                    "score": rows[i]["health_score"],
                    "band": rows[i]["health_band"],
                    "components": "[]",
                    "explanation": "usage fell",
                    "computed_at": now,
                    "usage": orjson.dumps(
                        {
                            "active_users_30d": rng.randrange(0, 60),
                            "active_users_prior_30d": rng.randrange(1, 60),
                        }
                    ).decode(),
                }
                for i in range(accounts)
            ],
        )
        conn.execute(
            insert(Contract),
            [
                {
                    "account_id": a,
                    "name": f"C{a}",
                    "start_date": today - timedelta(days=300),
                    "end_date": today + timedelta(days=rng.randrange(1, 400)),
                    "currency": "USD",
                    "created_at": now,
                    "updated_at": now,
                }
                for a in range(1, accounts + 1, 3)
            ],
        )
        sample = rng.sample(range(1, accounts + 1), accounts // 50)
        conn.execute(
            insert(Contact),
            [
                {
                    "id": n + 1,
                    "account_id": a,
                    "first_name": "Pat",
                    "last_name": f"C{n}",
                    "created_at": now,
                    "updated_at": now,
                }
                for n, a in enumerate(sample)
            ],
        )
        survey = conn.execute(
            insert(Survey).values(kind="nps", name="NPS", question="?", created_at=now)
        ).inserted_primary_key[0]
        conn.execute(
            insert(SurveyInvitation),
            [
                {
                    "id": n + 1,
                    "survey_id": survey,
                    "account_id": a,
                    "contact_id": n + 1,
                    "token_hash": f"{n:064d}",
                    "sent_at": now,
                    "expires_at": now,
                    "responded_at": now,
                }
                for n, a in enumerate(sample)
            ],
        )
        conn.execute(
            insert(SurveyResponse),
            [
                {
                    "survey_id": survey,
                    "invitation_id": n + 1,
                    "account_id": a,
                    "contact_id": n + 1,
                    "kind": "nps",
                    "score": rng.randrange(0, 11),
                    "responded_at": now - timedelta(days=rng.randrange(0, 20)),
                }
                for n, a in enumerate(sample)
            ],
        )
        conn.execute(
            insert(Escalation),
            [
                {
                    "account_id": rng.randrange(1, accounts + 1),
                    "title": "Issue",
                    "severity": "p2",
                    "team": "support",
                    "status": "open",
                    "opened_at": now - timedelta(days=3),
                    "sla_due_at": now - timedelta(hours=rng.randrange(-48, 48)),
                    "created_at": now,
                    "updated_at": now,
                }
                for _ in range(accounts // 30)
            ],
        )
        conn.execute(
            insert(Opportunity),
            [
                {
                    "account_id": rng.randrange(1, accounts + 1),
                    "name": "Deal",
                    "type": "upsell",
                    "stage": "closed_won",
                    "probability": 100,
                    "amount_minor": 500_000,
                    "close_date": today,
                    "closed_at": now - timedelta(days=rng.randrange(0, 30)),
                    "forecast_category": "closed",
                    "created_at": now,
                    "updated_at": now,
                }
                for _ in range(accounts // 100)
            ],
        )
        conn.execute(
            insert(Playbook).values(
                key="play",
                name="Play",
                holdout_percent=10,
                created_at=now,
                updated_at=now,
                steps=orjson.dumps(
                    [{"title": "Call"}, {"title": "Plan", "assign_to": "csm"}]
                ).decode(),
            )
        )
        conn.execute(
            insert(Rule),
            [
                {
                    "key": r["key"],
                    "name": r["key"],
                    "enabled": True,
                    "cooldown_days": 0,
                    "trigger": orjson.dumps(r["trigger"]).decode(),
                    "conditions": orjson.dumps(r["conditions"]).decode(),
                    "actions": orjson.dumps(
                        [
                            {"type": "create_tasks", "playbook": "play"},
                            {"type": "notify", "role": "csm"},
                        ]
                    ).decode(),
                    "created_at": now,
                    "updated_at": now,
                }
                for r in RULES
            ],
        )


class StatementLog:
    """Records the SQL the evaluation sends, so the baseline can send exactly the same."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.statements: list[tuple[str, Any]] = []
        self.recording = False
        event.listen(db.engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.recording:
            self.statements.append((statement, parameters))


def evaluate_all(db: Database) -> int:
    now = datetime.now(UTC)
    fired = 0
    with db.session_factory() as session:
        from sqlalchemy import select

        rules = list(session.scalars(select(Rule).where(Rule.enabled.is_(True))))
        playbooks = playbooks_by_key(session)
        for rule in rules:
            fired += len(
                evaluate(session, spec_of(rule), now.date(), now, None, playbooks).candidates
            )
    return fired


def mark_all_fired(db: Database) -> None:
    """Run-log rows for every current event (no actions): the state after earlier ticks."""
    from sqlalchemy import select

    now = datetime.now(UTC)
    with db.session_factory() as session:
        rules = list(session.scalars(select(Rule).where(Rule.enabled.is_(True))))
        rows = [
            {
                "rule_id": rule.id,
                "account_id": c.account.id,
                "event_key": c.event.key,
                "fired_at": now,
                "status": "fired",
                "reason": c.event.reason,
                "matched": "{}",
                "facts": "{}",
                "results": "[]",
            }
            for rule in rules
            for c in evaluate(session, spec_of(rule), now.date(), now).candidates
        ]
    with db.engine.begin() as conn:
        conn.execute(insert(RuleRun), rows)


def read_signals(db: Database, statements: list[tuple[str, Any]]) -> int:
    rows = 0
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            rows += len(cursor.fetchall())
    finally:
        raw.close()
    return rows


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    assemble()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--fire", action="store_true", help="Also time the first run, which fires every event"
    )
    parser.add_argument("--database-url", default="", help="e.g. postgresql+psycopg://… (emptied!)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="steward-rules-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    db = Database(url)
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(db)
    started = time.perf_counter()
    build(db, args.accounts, args.seed)
    print(
        f"workspace: {args.accounts:,} accounts, {len(RULES)} rules on {db.engine.dialect.name}"
        f" (built in {time.perf_counter() - started:.1f} s)"
    )

    log = StatementLog(db)
    log.recording = True
    candidates = evaluate_all(db)
    log.recording = False
    statements = list(log.statements)

    t_eval, _ = timed(lambda: evaluate_all(db), args.repeat)
    t_read, rows = timed(lambda: read_signals(db, statements), args.repeat)
    mem_eval = peak_mib(lambda: evaluate_all(db))
    mem_read = peak_mib(lambda: read_signals(db, statements))
    settings = Settings(data_dir=workdir)
    first, t_first = None, 0.0
    if args.fire:
        start = time.perf_counter()
        first = run_rules(db, settings)
        t_first = time.perf_counter() - start
    else:  # mark every event fired, as the job would have done on earlier ticks
        mark_all_fired(db)
    t_steady, steady = timed(lambda: run_rules(db, settings), args.repeat)
    assert steady.fired == 0, "a steady run must fire nothing new"

    print(
        f"signals read: {rows:,} rows in {len(statements)} statements; "
        f"{candidates:,} events pass their conditions"
    )
    print(f"{'':28}{'time (s)':>10}{'ratio':>8}{'peak MiB':>10}{'ratio':>8}")
    print(f"{'baseline: read signals':28}{t_read:>10.3f}{1.0:>8.2f}{mem_read:>10.1f}{1.0:>8.2f}")
    print(
        f"{'evaluate rules':28}{t_eval:>10.3f}{t_eval / t_read:>8.2f}"
        f"{mem_eval:>10.1f}{mem_eval / mem_read:>8.2f}"
    )
    print(f"{'steady run (all fired)':28}{t_steady:>10.3f}{t_steady / t_read:>8.2f}")
    if first is not None:
        held = sum(r.held_out for r in first.rules)
        print(
            f"{'first run (fires)':28}{t_first:>10.3f}{t_first / t_read:>8.2f}"
            f"   {first.fired:,} fired, {held:,} held out"
        )
    db.dispose()


if __name__ == "__main__":
    main()
