"""Eighteen months of product usage for the demo, shaped so health and churn risk mean
something: most leavers use the product less and less in the months before they go, a few
use it more and more as they export their data for the next tool, and some that slid were
saved before their renewal (demo.latent); accounts at risk today are sliding, poorly fitting
accounts use fewer of their seats, most are steady, some grow, and now and then a loyal
customer has a quiet spell. Events go through the same table ingestion writes (as Segment
would send)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account, LifecycleStage
from steward.analytics.store import accounts_input
from steward.contracts.models import Contract, LineItem
from steward.db.engine import Database
from steward.demo.latent import (
    account_fit,
    customer_on,
    days_before_departure,
    departures,
    migrates,
    renewals,
    saved,
    shows_signs,
    usage_climb,
    usage_left,
    usage_saved,
)
from steward.usage import ingest
from steward.usage.models import UsageSource

WEEKS = 78
EVENTS = ("Login", "Dashboard Viewed", "Report Exported", "Dashboard Shared", "Automation Created")
EVENT_WEIGHTS = (5, 6, 3, 2, 1)
EXPORTING_WEIGHTS = (3, 2, 12, 1, 0)  # a migrating team exports reports
MAX_USERS = 30  # per account, to keep the demo's event log small
MAX_ACCOUNTS = 3000  # a 100k-account demo gets usage for its first accounts only


def generate_usage(db: Database, source_name: str, seed: int, today: date) -> int:
    """Inserts the events; returns how many."""
    rng = random.Random(seed * 7919)
    seats = {row["account_id"]: row["seats"] for row in accounts_input(db, today).to_pylist()}
    with db.session() as session:
        source_id = session.scalar(select(UsageSource.id).where(UsageSource.name == source_name))
        left = departures(session, today)
        terms: dict[int, list[tuple[date, date]]] = {}
        for account_id, start, end in session.execute(
            select(Contract.account_id, Contract.start_date, Contract.end_date)
        ):
            terms.setdefault(account_id, []).append((start, end))
        peak_seats = dict(
            session.execute(
                select(Contract.account_id, func.max(LineItem.quantity))
                .join(LineItem, LineItem.contract_id == Contract.id)
                .group_by(Contract.account_id)
            ).all()
        )
        accounts = session.execute(
            select(Account.id, Account.external_id, Account.lifecycle_stage)
            .where(Account.archived_at.is_(None), Account.external_id.is_not(None))
            .order_by(Account.id)
            .limit(MAX_ACCOUNTS)
        ).all()
        count = 0
        batch: list[dict[str, Any]] = []
        for account in accounts:
            licensed = seats.get(account.id) or peak_seats.get(account.id) or 0
            if not terms.get(account.id):
                continue
            users = max(2, min(MAX_USERS, licensed or 10))
            base = 0.3 + 0.6 * account_fit(seed, account.id) * rng.uniform(0.8, 1.1)
            shape = _shape(account.lifecycle_stage, rng)
            leaving = [d for d in left.get(account.id, []) if shows_signs(seed, account.id, d)]
            exporting = [d for d in left.get(account.id, []) if migrates(seed, account.id, d)]
            saves = [d for d in renewals(terms[account.id], today) if saved(seed, account.id, d)]
            # A loyal customer's quiet spell: eight weeks at half the usual level.
            quiet = rng.randrange(WEEKS) if rng.random() < 0.1 else None
            for week in range(WEEKS):  # week 0 is 77 weeks ago
                monday = today - timedelta(weeks=WEEKS - 1 - week)
                if not customer_on(terms[account.id], monday):
                    continue
                factor = shape(week / (WEEKS - 1))
                warning = days_before_departure(leaving, monday)
                if warning is not None:
                    # Usage slides over the months before the customer leaves.
                    factor *= usage_left(warning)
                rescue = days_before_departure(saves, monday)
                if rescue is not None:
                    factor *= usage_saved(rescue)
                if quiet is not None and quiet <= week < quiet + 8:
                    factor *= 0.5
                weights, pool = EVENT_WEIGHTS, users
                migration = days_before_departure(exporting, monday)
                if migration is not None:
                    # Migrating: more people (beyond the licensed seats) export more.
                    climb = usage_climb(migration)
                    factor *= climb
                    pool = round(users * climb)
                    weights = EXPORTING_WEIGHTS
                active = round(users * base * factor)
                for user in rng.sample(range(pool), k=min(pool, max(0, active))):
                    day = today - timedelta(weeks=WEEKS - 1 - week, days=rng.randrange(7))
                    if day > today:
                        continue
                    name = rng.choices(EVENTS, weights)[0]
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


def _flush(session: Session, batch: list[dict[str, Any]]) -> int:
    # The ingestion API's own writer: its multi-row statements store the same values as an
    # ORM insert would at a fraction of the cost (2.1M events at 20,000 accounts).
    ingest.store(session, batch)
    done = len(batch)
    batch.clear()
    return done


def _shape(stage: str, rng: random.Random):  # type: ignore[no-untyped-def]
    """Activity over the 18 months (0 → 1) as a multiplier of the account's usual level: at risk
    today means sliding over the last quarter; onboarding means ramping up."""
    if stage == LifecycleStage.AT_RISK:
        return lambda x: 1.0 if x < 0.83 else max(0.15, 1 - 5 * (x - 0.83))
    if stage == LifecycleStage.ONBOARDING:
        return lambda x: min(1.0, 0.2 + 6 * max(0.0, x - 0.87))
    growth = rng.choice((0.0, 0.0, 0.0, 0.3, 0.5))
    return lambda x: min(1.2, 0.85 + growth * x + rng.uniform(-0.08, 0.08))
