"""An account's health as its readers see it: the current score, history, overrides and recorded
measures, within the reader's book (the scoring run itself is service.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.accounts.repository import ensure_readable, get_account
from steward.core import audit
from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.health import schemas
from steward.health.measures import custom_measures
from steward.health.models import (
    AccountMeasure,
    AccountUsageWeek,
    HealthOverride,
    HealthScore,
    HealthScorecard,
)
from steward.health.scoring import Bands, display_value, measure_label
from steward.health.service import apply_overrides

HISTORY = 26


def _score_out(row: HealthScore) -> schemas.ScoreOut:
    return schemas.ScoreOut(
        as_of=row.as_of,
        score=row.score,
        band=row.band,
        explanation=row.explanation,
        change=row.change,
        scorecard_id=row.scorecard_id,
        components=[schemas.ComponentOut(**c) for c in orjson.loads(row.components)],
    )


def active_override(session: Session, account_id: int, today: date) -> HealthOverride | None:
    return session.scalar(
        select(HealthOverride)
        .where(
            HealthOverride.account_id == account_id,
            HealthOverride.ended_at.is_(None),
            HealthOverride.expires_on >= today,
        )
        .order_by(HealthOverride.id.desc())
        .limit(1)
    )


def account_health(
    session: Session, principal: Principal, account_id: int, today: date
) -> schemas.AccountHealth:
    get_account(session, principal, account_id)  # 404 outside the book
    rows = session.scalars(
        select(HealthScore)
        .where(HealthScore.account_id == account_id)
        .order_by(HealthScore.as_of.desc())
        .limit(HISTORY)
    ).all()
    current = _score_out(rows[0]) if rows else None
    override = active_override(session, account_id, today)
    override_out = (
        None
        if override is None
        else schemas.OverrideOut(
            id=override.id,
            band=override.band,
            reason=override.reason,
            expires_on=override.expires_on,
            created_by_id=override.created_by_id,
            created_at=override.created_at,
        )
    )
    return schemas.AccountHealth(
        account_id=account_id,
        current=current,
        override=override_out,
        band=override.band if override else (current.band if current else None),
        history=[_score_out(r) for r in rows],
    )


def set_override(
    session: Session, principal: Principal, account_id: int, data: schemas.OverrideIn, today: date
) -> HealthOverride:
    ensure_readable(session, principal, account_id)
    if data.expires_on <= today:
        raise InvalidField("expires_on", "must be in the future")
    if (data.expires_on - today).days > 366:
        raise InvalidField("expires_on", "an override lasts at most a year; set it again then")
    previous = active_override(session, account_id, today)
    if previous is not None:
        previous.ended_at = utcnow()
    override = HealthOverride(
        account_id=account_id,
        band=data.band,
        reason=data.reason,
        expires_on=data.expires_on,
        created_by_id=principal.user_id,
    )
    session.add(override)
    session.flush()
    audit.record(session, actor_id=principal.user_id, action="create", entity=override)
    apply_overrides(session, today, account_id)
    return override


def end_override(session: Session, principal: Principal, account_id: int) -> None:
    ensure_readable(session, principal, account_id)
    override = active_override(session, account_id, date.today())
    if override is not None:
        before = audit.snapshot(override)
        override.ended_at = utcnow()
        audit.record(
            session, actor_id=principal.user_id, action="update", entity=override, before=before
        )
        session.flush()
        apply_overrides(session, date.today(), account_id)


@dataclass(frozen=True)
class HealthPanel:
    """What Account 360 shows of health: the band (an override's while one runs), the score
    with its components explained, and the data of its charts."""

    health: schemas.AccountHealth
    components: list[dict[str, Any]]
    chart_data: dict[str, Any]
    scorecard: str | None  # "Default health v2": the card version behind the latest score


def health_panel(
    session: Session, principal: Principal, account_id: int, today: date
) -> HealthPanel:
    health = account_health(session, principal, account_id, today)
    components = []
    if health.current is not None:
        for c in health.current.components:
            components.append(
                {
                    "measure": c.measure,
                    "label": measure_label(c.measure),
                    "value": display_value(c.measure, c.value),
                    "points": c.points,
                    "weight": c.weight,
                    "band": Bands().of(c.points),
                }
            )
    weeks = session.execute(
        select(AccountUsageWeek.week, AccountUsageWeek.active_users)
        .where(AccountUsageWeek.account_id == account_id)
        .order_by(AccountUsageWeek.week)
    ).all()
    # The same window as the score history the panel charts, oldest first.
    usage_history = [
        (day, orjson.loads(raw))
        for day, raw in reversed(
            session.execute(
                select(HealthScore.as_of, HealthScore.usage)
                .where(HealthScore.account_id == account_id, HealthScore.usage.is_not(None))
                .order_by(HealthScore.as_of.desc())
                .limit(HISTORY)
            ).all()
        )
        if raw is not None
    ]
    latest_usage = usage_history[-1][1] if usage_history else None
    chart_data = {
        "scores": [
            {"as_of": h.as_of.isoformat(), "score": h.score, "band": h.band}
            for h in reversed(health.history)
        ],
        "weeks": [
            # The current week is still running: drawn apart so a dip is not misread.
            {"week": w.isoformat(), "active_users": n, "partial": w + timedelta(days=7) > today}
            for w, n in weeks
        ],
        "utilisation": [
            {"as_of": day.isoformat(), "value": usage.get("utilisation")}
            for day, usage in usage_history
        ],
        "features": (latest_usage or {}).get("features", []),
    }
    card = session.get(HealthScorecard, health.current.scorecard_id) if health.current else None
    label = None if card is None else f"{card.name} v{card.version}"
    return HealthPanel(health, components, chart_data, label)


def record_measure(
    session: Session,
    principal: Principal,
    account_id: int,
    key: str,
    data: schemas.MeasureIn,
    today: date,
) -> AccountMeasure:
    """A custom measure's value for a day (the same day again replaces it)."""
    ensure_readable(session, principal, account_id)
    if not re.fullmatch(schemas.CUSTOM_KEY, key):
        raise InvalidField("key", "lower-case letters, digits and _, starting with a letter")
    day = data.as_of or today
    if day > today:
        raise InvalidField("as_of", "must not be in the future")
    row = session.scalar(
        select(AccountMeasure).where(
            AccountMeasure.account_id == account_id,
            AccountMeasure.key == key,
            AccountMeasure.as_of == day,
        )
    )
    before = None if row is None else audit.snapshot(row)
    if row is None:
        row = AccountMeasure(account_id=account_id, key=key, as_of=day, value=data.value)
        session.add(row)
    row.value = data.value
    row.recorded_by_id = principal.user_id
    row.recorded_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor_id=principal.user_id,
        action="create" if before is None else "update",
        entity=row,
        before=before,
    )
    return row


def latest_measures(
    session: Session, principal: Principal, account_id: int, today: date
) -> list[schemas.MeasureOut]:
    get_account(session, principal, account_id)
    values = custom_measures(session, today, [account_id]).get(account_id, {})
    days = dict(
        session.execute(
            select(AccountMeasure.key, func.max(AccountMeasure.as_of))
            .where(AccountMeasure.account_id == account_id, AccountMeasure.as_of <= today)
            .group_by(AccountMeasure.key)
        ).all()
    )
    return [
        schemas.MeasureOut(key=key, value=value, as_of=days[key])
        for key, value in sorted(values.items())
    ]
