"""A backfill of weekly scores leaves exactly what scoring each of its days in turn leaves: the
scores, each one's change against the one before, the accounts' roll-ups and band start, and
the weekly chart rows. (The backfill carries one day's results to the next in memory and
writes the accounts and the chart once.)"""

from __future__ import annotations

import base64
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from steward.accounts.models import Account
from steward.health.models import AccountUsageWeek, HealthOverride, HealthScore
from steward.health.service import HEALTH_ROLLUPS, backfill_scores, compute_scores
from steward.usage.service import create_source
from tests.factories import Factory

TODAY = date(2026, 11, 20)
WEEKS = 6
KEY_EVENTS = ("Report Exported",)
ROLLUPS = HEALTH_ROLLUPS


def _state(session: Any) -> tuple[list[tuple], list[tuple], list[tuple]]:
    # Every column but the id and when it was computed.
    kept = [c.key for c in HealthScore.__table__.columns if c.key not in ("id", "computed_at")]
    scores = sorted(
        tuple(getattr(s, name) for name in kept) for s in session.scalars(select(HealthScore))
    )
    accounts = sorted(
        tuple(row)
        for row in session.execute(select(Account.id, *(getattr(Account, c) for c in ROLLUPS)))
    )
    weeks = sorted(
        (w.account_id, w.week, w.active_users) for w in session.scalars(select(AccountUsageWeek))
    )
    return scores, accounts, weeks


def _book(client: Any, factory: Factory) -> None:
    """Accounts whose usage rises, fades, stops, and one that left during the backfill."""
    rng = random.Random(3)
    seat = factory.product(is_per_seat=True)
    shapes = {"RISING": (1, 6), "FADING": (7, 1), "STEADY": (4, 4), "QUIET": (3, 0)}
    accounts = {
        name: factory.account(
            external_id=name, last_touch_at=datetime(2026, 10, rng.randint(1, 28), tzinfo=UTC)
        )
        for name in [*shapes, "LEFT"]
    }
    accounts["LEFT"].lifecycle_stage = "churned"
    with factory.db.session() as session:
        session.execute(
            update(Account)
            .where(Account.id == accounts["LEFT"].id)
            .values(lifecycle_stage="churned")
        )
    for name, account in accounts.items():
        end = TODAY - timedelta(weeks=3) if name == "LEFT" else date(2027, 6, 1)
        factory.contract(
            account, start=date(2026, 1, 1), end=end, items=[{"product_id": seat.id, "quantity": 8}]
        )
    factory.escalation(accounts["FADING"], severity="p1")
    factory.account(external_id="PROSPECT", lifecycle_stage="prospect")
    with factory.db.session() as session:
        session.add(
            HealthOverride(
                account_id=accounts["STEADY"].id,
                band="yellow",
                reason="Sponsor left",
                expires_on=TODAY + timedelta(days=30),
            )
        )
        _, key = create_source(session, "app", actor_id=None)
    events, n = [], 0
    span = (WEEKS + 26) * 7
    for name, (first, last) in {**shapes, "LEFT": (5, 5)}.items():
        for days_ago in range(0, span, 3):
            share = days_ago / span  # 1 long ago, 0 today
            users = round(last + (first - last) * share)
            for user in range(users):
                n += 1
                day = TODAY - timedelta(days=days_ago)
                events.append(
                    {
                        "type": "track",
                        "event": rng.choice(["Report Exported", "Login"]),
                        "userId": f"{name}-{user}",
                        "context": {"groupId": name},
                        "messageId": f"m{n}",
                        "timestamp": f"{day.isoformat()}T10:00:00Z",
                    }
                )
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    for start in range(0, len(events), 500):
        answer = client.post(
            "/v1/batch", json={"batch": events[start : start + 500]}, headers=headers
        )
        assert answer.status_code == 200, answer.text


def test_a_backfill_leaves_what_scoring_each_day_in_turn_leaves(
    client: Any, factory: Factory, tmp_path: Path
) -> None:
    _book(client, factory)
    store = tmp_path / "b.duckdb"
    # A day scored earlier, between two of the backfill's days, and one before them all.
    compute_scores(factory.db, store, TODAY - timedelta(weeks=WEEKS + 2), KEY_EVENTS, TODAY)
    between = TODAY - timedelta(weeks=2, days=3)
    compute_scores(factory.db, store, between, KEY_EVENTS, TODAY)
    with factory.db.session() as session:
        # Unlike its neighbours (a card since changed): the next day's change is against it.
        session.execute(
            update(HealthScore).where(HealthScore.as_of == between).values(score=1.0, band="red")
        )
        before = _state(session)
        stored = [
            {c.key: getattr(s, c.key) for c in HealthScore.__table__.columns}
            for s in session.scalars(select(HealthScore))
        ]
        weeks = [
            {"account_id": w.account_id, "week": w.week, "active_users": w.active_users}
            for w in session.scalars(select(AccountUsageWeek))
        ]

    days = [TODAY - timedelta(weeks=k) for k in range(WEEKS, 0, -1)] + [TODAY]
    for day in days:
        compute_scores(factory.db, store, day, KEY_EVENTS, TODAY)
    with factory.db.session() as session:
        one_by_one = _state(session)
        # Back to where both start.
        session.execute(delete(HealthScore))
        session.execute(insert(HealthScore), stored)
        session.execute(delete(AccountUsageWeek))
        if weeks:
            session.execute(insert(AccountUsageWeek), weeks)
        for row in before[1]:
            session.execute(
                update(Account)
                .where(Account.id == row[0])
                .values(dict(zip(ROLLUPS, row[1:], strict=True)))
            )
    with factory.db.session() as session:
        assert _state(session) == before

    runs = backfill_scores(factory.db, store, TODAY, WEEKS, KEY_EVENTS)
    assert [r.as_of for r in runs] == days
    with factory.db.session() as session:
        backfilled = _state(session)
    scores, accounts, chart = backfilled
    assert scores == one_by_one[0]
    assert accounts == one_by_one[1]
    assert chart == one_by_one[2]
    # It is a real history: bands moved, changes were explained, the chart has weeks.
    assert len({s[4] for s in scores}) >= 2 and any(s[7] for s in scores)
    assert len(chart) > 26
