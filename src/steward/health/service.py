"""Scoring the book: measures from usage rollups and the CRM, the published scorecard of each
account's segment, and a stored, explained score per account and day (SPEC §4)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from steward.accounts.models import Account, LifecycleStage
from steward.analytics.store import AnalyticsStore, accounts_input
from steward.analytics.usage_rollups import account_usage
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.health.models import HealthScore, HealthScorecard
from steward.health.scoring import (
    Bands,
    Component,
    ComponentScore,
    HealthResult,
    Scorecard,
    explain_change,
    score,
)
from steward.tasks.models import Priority, Task
from steward.tasks.service import OPEN_STATUSES

DEFAULT_DEFINITION: dict[str, Any] = {
    "components": [
        {"measure": "usage_trend", "weight": 0.30, "poor": -0.5, "good": 0.1},
        {"measure": "utilisation", "weight": 0.25, "poor": 0.2, "good": 0.8},
        {"measure": "adoption", "weight": 0.15, "poor": 0.1, "good": 0.6},
        {"measure": "engagement_recency", "weight": 0.20, "poor": 60, "good": 7},
        {"measure": "open_escalations", "weight": 0.10, "poor": 3, "good": 0},
    ],
    "bands": {"green": 70, "yellow": 40},
}


def scorecard_of(definition: str | dict[str, Any]) -> Scorecard:
    data = orjson.loads(definition) if isinstance(definition, str) else definition
    return Scorecard(
        components=tuple(Component(**c) for c in data["components"]),
        bands=Bands(**data.get("bands", {})),
    )


def ensure_default_scorecard(session: Session) -> None:
    """A published starting card, so a new workspace scores out of the box."""
    if session.scalar(select(func.count()).select_from(HealthScorecard)):
        return
    session.add(
        HealthScorecard(
            key="default",
            name="Default health",
            version=1,
            status="published",
            definition=orjson.dumps(DEFAULT_DEFINITION).decode(),
            published_at=utcnow(),
        )
    )
    session.flush()


def published_cards(session: Session) -> dict[str | None, tuple[int, Scorecard]]:
    """Segment (None: every other) → (scorecard version id, card): the latest published
    version of each card."""
    rows = session.scalars(
        select(HealthScorecard)
        .where(HealthScorecard.status == "published")
        .order_by(HealthScorecard.key, HealthScorecard.version)
    ).all()
    cards: dict[str | None, tuple[int, Scorecard]] = {}
    for row in rows:  # later versions overwrite earlier ones
        cards[row.segment] = (row.id, scorecard_of(row.definition))
    return cards


@dataclass(frozen=True)
class ScoreRun:
    as_of: date
    scored: int
    frozen: int  # churned accounts keep their last score
    events_synced: int


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def compute_scores(
    db: Database, store_path: Path | None, as_of: date, key_events: tuple[str, ...]
) -> ScoreRun:
    """Scores every live, not churned account for `as_of` (re-running the day replaces it)."""
    with db.session() as session:
        ensure_default_scorecard(session)
    store = AnalyticsStore(store_path)
    try:
        synced = store.sync(db)
        # A temporary table: this connection's own, gone when it closes.
        accounts = store.con.create_table("accounts", accounts_input(db, as_of), temp=True)
        usage = store.con.execute(account_usage(store.events, accounts, as_of, key_events))
    finally:
        store.close()
    usage_by_account = {int(r["account_id"]): r for r in usage.to_dict("records")}
    adoption_columns = [f"feature_{i}_adoption" for i in range(len(key_events))]
    day_end = datetime.combine(as_of, datetime.max.time(), UTC)
    with db.session() as session:
        cards = published_cards(session)
        escalations = dict(
            session.execute(
                select(Task.account_id, func.count())
                .where(
                    Task.status.in_(list(OPEN_STATUSES)),
                    Task.priority.in_([Priority.HIGH, Priority.URGENT]),
                )
                .group_by(Task.account_id)
            ).all()
        )
        previous = _latest_before(session, as_of)
        rows, frozen = [], 0
        for account in session.execute(
            select(
                Account.id, Account.segment, Account.lifecycle_stage, Account.last_touch_at
            ).where(Account.archived_at.is_(None))
        ):
            if account.lifecycle_stage == LifecycleStage.CHURNED:
                frozen += 1
                continue
            if account.lifecycle_stage == LifecycleStage.PROSPECT:
                continue  # not a customer yet: nothing to be healthy about
            card_id, card = cards.get(account.segment) or cards[None]
            used = usage_by_account.get(account.id, {})
            adoptions = [v for c in adoption_columns if (v := _number(used.get(c))) is not None]
            touch = account.last_touch_at
            measures = {
                "usage_trend": _number(used.get("trend_30d")),
                "utilisation": _number(used.get("utilisation")),
                "adoption": sum(adoptions) / len(adoptions) if adoptions else None,
                "engagement_recency": (
                    None if touch is None else max(0, (day_end - _aware(touch)).days)
                ),
                "open_escalations": float(escalations.get(account.id, 0)),
            }
            result = score(card, measures)
            rows.append(
                {
                    "account_id": account.id,
                    "scorecard_id": card_id,
                    "as_of": as_of,
                    "score": result.score,
                    "band": result.band,
                    "components": orjson.dumps([c.__dict__ for c in result.components]).decode(),
                    "explanation": result.explanation[:500],
                    "change": (explain_change(previous.get(account.id), result) or None),
                    "computed_at": utcnow(),
                }
            )
        session.execute(delete(HealthScore).where(HealthScore.as_of == as_of))
        if rows:
            session.execute(insert(HealthScore), rows)
            # The latest score as account roll-ups (My Book sorts and filters on them). Core
            # executemany on purpose: derived data, not an edit that bumps the row version.
            session.execute(
                _UPDATE_HEALTH,
                [
                    {
                        "account_id": row["account_id"],
                        "health_score": row["score"],
                        "health_band": row["band"],
                        "health_change": _change(previous.get(row["account_id"]), row["score"]),
                    }
                    for row in rows
                ],
            )
    return ScoreRun(as_of=as_of, scored=len(rows), frozen=frozen, events_synced=synced)


_accounts: Table = Account.__table__  # type: ignore[assignment]
_UPDATE_HEALTH = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account_id"))
    .values(
        health_score=bindparam("health_score"),
        health_band=bindparam("health_band"),
        health_change=bindparam("health_change"),
    )
)


def _change(previous: HealthResult | None, current: float | None) -> float | None:
    if previous is None or previous.score is None or current is None:
        return None
    return round(current - previous.score, 1)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _latest_before(session: Session, as_of: date) -> dict[int, HealthResult]:
    """Each account's latest score before the day, as a result to compare with."""
    latest = (
        select(HealthScore.account_id, func.max(HealthScore.as_of).label("as_of"))
        .where(HealthScore.as_of < as_of)
        .group_by(HealthScore.account_id)
        .subquery()
    )
    rows = session.execute(
        select(HealthScore).join(
            latest,
            (latest.c.account_id == HealthScore.account_id) & (latest.c.as_of == HealthScore.as_of),
        )
    ).scalars()
    return {
        row.account_id: HealthResult(
            row.score,
            row.band,
            tuple(ComponentScore(**c) for c in orjson.loads(row.components)),
            row.explanation,
        )
        for row in rows
    }
