"""Reading an account's health and setting overrides, within the reader's book."""

from __future__ import annotations

from datetime import date

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.repository import ensure_readable, get_account
from steward.audit import service as audit
from steward.auth.principal import Principal
from steward.core.errors import InvalidField
from steward.db.base import utcnow
from steward.health import schemas
from steward.health.models import HealthOverride, HealthScore

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
    audit.record(session, actor_id=principal.user_id, action="create", entity=override)
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
