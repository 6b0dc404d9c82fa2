"""Six months of product usage for the demo, shaped so health means something: accounts that
churned or are at risk use the product less and less before it shows in revenue; most are
steady; some grow. Events go through the same table ingestion writes (as Segment would send)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import orjson
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account, LifecycleStage
from steward.analytics.store import accounts_input
from steward.contracts.models import Contract
from steward.db.engine import Database
from steward.usage.models import UsageEvent, UsageSource

WEEKS = 26
EVENTS = ("Login", "Dashboard Viewed", "Report Exported", "Dashboard Shared", "Automation Created")
EVENT_WEIGHTS = (5, 6, 3, 2, 1)
MAX_USERS = 80  # per account, to keep the demo's event log small
MAX_ACCOUNTS = 3000  # a 100k-account demo gets usage for its first accounts only


def generate_usage(db: Database, source_name: str, seed: int, today: date) -> int:
    """Inserts the events; returns how many."""
    rng = random.Random(seed * 7919)
    seats = {row["account_id"]: row["seats"] for row in accounts_input(db, today).to_pylist()}
    with db.session() as session:
        source_id = session.scalar(select(UsageSource.id).where(UsageSource.name == source_name))
        left_on = dict(
            session.execute(
                select(Contract.account_id, func.max(Contract.end_date)).group_by(
                    Contract.account_id
                )
            ).all()
        )
        accounts = session.execute(
            select(Account.id, Account.external_id, Account.lifecycle_stage)
            .where(Account.archived_at.is_(None), Account.external_id.is_not(None))
            .order_by(Account.id)
            .limit(MAX_ACCOUNTS)
        ).all()
        count = 0
        batch: list[dict[str, object]] = []
        for account in accounts:
            licensed = seats.get(account.id) or 0
            if licensed == 0 and account.lifecycle_stage != LifecycleStage.CHURNED:
                continue
            users = max(2, min(MAX_USERS, licensed or 10))
            base = rng.uniform(0.45, 0.9)
            shape = _shape(account.lifecycle_stage, rng)
            left = left_on.get(account.id) if account.lifecycle_stage == "churned" else None
            for week in range(WEEKS):  # week 0 is 26 weeks ago
                if left is not None:
                    # Usage slides for the four months before the customer leaves, then stops.
                    weeks_left = (left - (today - timedelta(weeks=WEEKS - 1 - week))).days / 7
                    factor = 0.0 if weeks_left <= 0 else min(1.0, 0.1 + weeks_left / 17)
                else:
                    factor = shape(week / (WEEKS - 1))
                active = round(users * base * factor)
                for user in rng.sample(range(users), k=min(users, max(0, active))):
                    day = today - timedelta(weeks=WEEKS - 1 - week, days=rng.randrange(7))
                    if day > today:
                        continue
                    name = rng.choices(EVENTS, EVENT_WEIGHTS)[0]
                    moment = datetime.combine(day, time(rng.randrange(8, 19)), UTC)
                    message_id = f"demo-{account.id}-{week}-{user}"
                    user_id = f"{account.external_id}-user-{user}"
                    payload = {
                        "type": "track",
                        "event": name,
                        "userId": user_id,
                        "context": {"groupId": account.external_id},
                        "timestamp": moment.isoformat(),
                        "messageId": message_id,
                    }
                    batch.append(
                        {
                            "source_id": source_id,
                            "message_id": message_id,
                            "type": "track",
                            "event": name,
                            "user_id": user_id,
                            "anonymous_id": None,
                            "group_id": account.external_id,
                            "timestamp": moment,
                            "received_at": moment,
                            "payload": orjson.dumps(payload).decode(),
                        }
                    )
            if len(batch) >= 20_000:
                count += _flush(session, batch)
        count += _flush(session, batch)
    return count


def _flush(session: Session, batch: list[dict[str, object]]) -> int:
    if batch:
        session.execute(insert(UsageEvent), batch)
    done = len(batch)
    batch.clear()
    return done


def _shape(stage: str, rng: random.Random):  # type: ignore[no-untyped-def]
    """Activity over the 26 weeks (0 → 1) as a multiplier of the account's usual level."""
    if stage == LifecycleStage.AT_RISK:
        return lambda x: 1.0 if x < 0.5 else max(0.15, 1 - 1.5 * (x - 0.5))
    if stage == LifecycleStage.ONBOARDING:
        return lambda x: min(1.0, 0.2 + x)
    growth = rng.choice((0.0, 0.0, 0.0, 0.3, 0.5))
    return lambda x: min(1.2, 0.85 + growth * x + rng.uniform(-0.08, 0.08))
