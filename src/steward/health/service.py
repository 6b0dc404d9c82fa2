"""Scoring the book: measures from usage rollups and the CRM, the published scorecard of each
account's segment, and a stored, explained score per account and day (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import orjson
import pyarrow as pa
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from steward.accounts.models import Account, LifecycleStage
from steward.accounts.repository import ACCOUNTS_TABLE, rollup_update
from steward.analytics.store import EventStore, accounts_inputs, open_store
from steward.analytics.usage_rollups import weekly_active_users
from steward.contracts.models import Contract
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.health.measures import (
    custom_measures,
    field_measures,
    last_touches,
    measures_of,
    number,
    open_escalations,
    usage_on,
)
from steward.health.models import AccountUsageWeek, HealthOverride, HealthScore, HealthScorecard
from steward.health.scoring import (
    Bands,
    Component,
    ComponentScore,
    HealthResult,
    Scorecard,
    explain_change,
    score,
)
from steward.surveys.service import nps_by_account

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
    """A published card for accounts without a card of their own, so a new workspace scores
    out of the box and every segment always has a card."""
    if session.scalar(
        select(HealthScorecard.id).where(
            HealthScorecard.status == "published", HealthScorecard.segment.is_(None)
        )
    ):
        return
    latest = session.scalar(
        select(func.max(HealthScorecard.version)).where(HealthScorecard.key == "default")
    )
    session.add(
        HealthScorecard(
            key="default",
            name="Default health",
            version=(latest or 0) + 1,
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


CHART_WEEKS = 26
CHART_SPAN = timedelta(weeks=CHART_WEEKS - 1)  # a day's chart starts this long before it


def compute_scores(
    db: Database,
    store_path: Path | EventStore | None,
    as_of: date,
    key_events: tuple[str, ...],
    today: date | None = None,
) -> ScoreRun:
    """Scores every live, not churned account for `as_of` (re-running the day replaces it),
    keeps the latest score and band on the account (an active override's band wins), and
    refreshes the weekly active users Account 360 charts."""
    return _score_days(db, store_path, [as_of], key_events, today or as_of)[0]


def backfill_scores(
    db: Database,
    store_path: Path | EventStore | None,
    today: date,
    weeks: int,
    key_events: tuple[str, ...],
) -> list[ScoreRun]:
    """Weekly scores for the past `weeks` weeks, oldest first, then today: a history to chart
    and to explain changes against (a new workspace, or one that imported its usage). Leaves
    what `compute_scores` of each day in turn leaves (tests/health hold them equal)."""
    days = [today - timedelta(weeks=k) for k in range(weeks, 0, -1)] + [today]
    return _score_days(db, store_path, days, key_events, today)


@dataclass
class _Carried:
    """What one day's scoring leaves for the next day's, kept in memory across a backfill
    instead of written to the accounts and read back each day: the latest result and band
    start of each account, its roll-up values, and the weekly chart rows each day keeps."""

    previous: dict[int, HealthResult]
    band_since: dict[int, date | None]
    rollups: dict[int, dict[str, Any]]
    weeks: list[dict[str, Any]]


def _score_days(
    db: Database,
    store_path: Path | EventStore | None,
    days: list[date],
    key_events: tuple[str, ...],
    today: date,
) -> list[ScoreRun]:
    """Scores each of `days` (ascending) in turn, each one against the results of the days
    before it, then writes the accounts' roll-ups and the weekly chart once: each day's
    writes would be overwritten by the next day's, except for accounts (and weeks) the later
    days do not cover, which keep the last day's that did."""
    with db.session() as session:
        ensure_default_scorecard(session)
    runs: list[ScoreRun] = []
    inputs = accounts_inputs(db, days)
    with open_store(store_path) as store:
        synced = store.sync(db)
        with db.session() as session:
            carried = _Carried(
                previous=_latest_before(session, days[0]),
                band_since=dict(
                    session.execute(select(Account.id, Account.health_band_since)).all()
                ),
                rollups={},
                weeks=[],
            )
        for index, as_of in enumerate(days):
            following = days[index + 1] if index + 1 < len(days) else None
            # A day per transaction: a long backfill must not keep other writers waiting.
            with db.session() as session:
                if index and _scored_between(session, days[index - 1], as_of):
                    carried.previous = _latest_before(session, as_of)  # a stored day between
                runs.append(
                    _score_day(
                        db,
                        session,
                        store,
                        inputs,
                        as_of,
                        key_events,
                        today,
                        carried,
                        following,
                        synced,
                    )
                )
                if following is None:  # the last day's scores and the roll-ups commit together
                    _write_carried(session, carried, _monday(days[0] - CHART_SPAN), today)
            synced = 0
    return runs


def _write_carried(session: Session, carried: _Carried, first_monday: date, today: date) -> None:
    """The accounts' roll-ups, the override bands and the weekly chart rows of the days scored
    (weeks from `first_monday` of the first day's chart)."""
    if carried.rollups:
        session.execute(
            _UPDATE_HEALTH, [{"account_id": a, **values} for a, values in carried.rollups.items()]
        )
    apply_overrides(session, today)
    session.execute(delete(AccountUsageWeek).where(AccountUsageWeek.week >= first_monday))
    if carried.weeks:
        session.execute(insert(AccountUsageWeek), carried.weeks)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _scored_between(session: Session, after: date, before: date) -> bool:
    return (
        session.scalar(
            select(HealthScore.id)
            .where(HealthScore.as_of > after, HealthScore.as_of < before)
            .limit(1)
        )
        is not None
    )


def _score_day(
    db: Database,
    session: Session,
    store: EventStore,
    inputs: dict[date, pa.Table],
    as_of: date,
    key_events: tuple[str, ...],
    today: date,
    carried: _Carried,
    following: date | None,
    synced: int,
) -> ScoreRun:
    """One day's scores, stored; its roll-ups and chart rows into `carried`."""
    accounts = store.accounts(inputs[as_of])
    usage_by_account = usage_on(store, db, as_of, key_events, accounts)
    first_week = as_of - CHART_SPAN
    weekly = store.execute(weekly_active_users(store.events, accounts, first_week, as_of)).to_dict(
        "records"
    )
    cards = published_cards(session)
    escalations = open_escalations(session, as_of, today)
    touches = last_touches(session, as_of, today)
    custom = custom_measures(session, as_of)
    field_values = field_measures(session)
    nps = nps_by_account(session, as_of)
    previous = carried.previous
    # Scoring a past day (a backfill), an account that churned later was a customer then.
    left_on = _last_contract_ends(session) if as_of < today else {}
    rows, frozen = [], 0
    usage_of: dict[int, dict[str, Any]] = {}
    results: dict[int, HealthResult] = {}
    for account in session.execute(
        select(Account.id, Account.segment, Account.lifecycle_stage).where(
            Account.archived_at.is_(None)
        )
    ):
        if account.lifecycle_stage == LifecycleStage.CHURNED and not (
            left_on.get(account.id, as_of) > as_of
        ):
            frozen += 1
            continue
        if account.lifecycle_stage == LifecycleStage.PROSPECT:
            continue  # not a customer yet: nothing to be healthy about
        card_id, card = cards.get(account.segment) or cards[None]
        used = usage_by_account.get(account.id)
        measures = measures_of(
            used,
            touches.get(account.id),
            escalations.get(account.id, 0),
            as_of,
            key_events,
            custom.get(account.id),
            nps.get(account.id),
            field_values.get(account.id),
        )
        result = score(card, measures)
        results[account.id] = result
        usage_of[account.id] = {
            "active_users_30d": None if used is None else int(used["active_users_30d"]),
            "utilisation": measures["utilisation"],
            "adoption": measures["adoption"],
            "usage_trend": measures["usage_trend"],
        }
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
                "usage": None if used is None else _usage_json(used, key_events),
                "computed_at": utcnow(),
            }
        )
    session.execute(delete(HealthScore).where(HealthScore.as_of == as_of))
    if rows:
        # Core executemany: derived rows, no ORM bookkeeping to pay for.
        session.execute(insert(cast(Table, HealthScore.__table__)), rows)
    for row in rows:
        account_id = row["account_id"]
        since = _band_since(
            previous.get(account_id), carried.band_since.get(account_id), row["band"], as_of
        )
        carried.band_since[account_id] = since
        # The latest score as account roll-ups (My Book sorts and filters on them): derived
        # data, not an edit that bumps the row version.
        carried.rollups[account_id] = {
            "health_score": row["score"],
            "health_band": row["band"],
            "health_change": _change(previous.get(account_id), row["score"]),
            "health_band_since": since,
            **usage_of[account_id],
        }
    carried.previous = {**previous, **results}
    # The chart weeks this day keeps: those a following day's rewrite does not reach.
    kept_until = None if following is None else _monday(following - CHART_SPAN)
    carried.weeks = [w for w in carried.weeks if w["week"] < _monday(first_week)]
    carried.weeks += [
        {
            "account_id": int(w["account_id"]),
            "week": _as_date(w["period"]),
            "active_users": int(w["active_users"]),
        }
        for w in weekly
        if int(w["account_id"]) in results
        and (kept_until is None or _as_date(w["period"]) < kept_until)
    ]
    return ScoreRun(as_of=as_of, scored=len(rows), frozen=frozen, events_synced=synced)


def _last_contract_ends(session: Session) -> dict[int, date]:
    return {
        int(account_id): end
        for account_id, end in session.execute(
            select(Contract.account_id, func.max(Contract.end_date))
            .where(Contract.archived_at.is_(None))
            .group_by(Contract.account_id)
        )
    }


def apply_overrides(session: Session, today: date, account_id: int | None = None) -> None:
    """The band on the account is the CSM's while an override runs, else the latest score's:
    what My Book shows, sorts and filters on."""
    latest = (
        select(HealthScore.band)
        .where(HealthScore.account_id == Account.id)
        .order_by(HealthScore.as_of.desc())
        .limit(1)
        .scalar_subquery()
    )
    overridden = (
        select(HealthOverride.band)
        .where(
            HealthOverride.account_id == Account.id,
            HealthOverride.ended_at.is_(None),
            HealthOverride.expires_on >= today,
        )
        .order_by(HealthOverride.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    touched = select(HealthOverride.account_id).distinct()
    statement = (
        update(ACCOUNTS_TABLE)
        .where(ACCOUNTS_TABLE.c.id.in_(touched))
        .values(health_band=func.coalesce(overridden, latest))
    )
    if account_id is not None:
        statement = statement.where(ACCOUNTS_TABLE.c.id == account_id)
    session.execute(statement)


def _usage_json(used: dict[str, Any], key_events: tuple[str, ...]) -> str:
    return orjson.dumps(
        {
            "active_users_1d": int(used["active_users_1d"]),
            "active_users_7d": int(used["active_users_7d"]),
            "active_users_30d": int(used["active_users_30d"]),
            "active_users_prior_30d": int(used["active_users_prior_30d"]),
            "events_30d": int(used["events_30d"]),
            "utilisation": number(used.get("utilisation")),
            "features": [
                {"event": name, "adoption": number(used.get(f"feature_{i}_adoption"))}
                for i, name in enumerate(key_events)
            ],
        }
    ).decode()


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# The account columns scoring keeps current: the latest score, and the usage it was computed
# from (segments filter on it).
HEALTH_ROLLUPS = (
    "health_score",
    "health_band",
    "health_change",
    "health_band_since",
    "active_users_30d",
    "utilisation",
    "adoption",
    "usage_trend",
)
_UPDATE_HEALTH = rollup_update(*HEALTH_ROLLUPS)


def _band_since(
    previous: HealthResult | None, since: date | None, band: str | None, as_of: date
) -> date:
    """The day the account's current band began: kept while the band holds (re-scoring a day
    keeps it too), the day scored when the band changes. Rules act on entering a band."""
    if previous is not None and previous.band == band and since is not None and since <= as_of:
        return since
    return as_of


def _change(previous: HealthResult | None, current: float | None) -> float | None:
    if previous is None or previous.score is None or current is None:
        return None
    return round(current - previous.score, 1)


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
