"""The measures a scorecard scores, for any day: product usage from the analytics store, and
engagement and escalations from the CRM. Today's scoring and a draft's dry-run against history
read them the same way, so a dry-run shows what the card would really have said."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from typing import Any

import ibis.expr.types as ir
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.activities.models import TOUCH_TYPES, Activity
from steward.analytics.store import EventStore, accounts_input, days_input
from steward.analytics.usage_rollups import account_usage, account_usage_on_days
from steward.db.engine import Database
from steward.escalations.models import UNRESOLVED, Escalation
from steward.fields import service as fields
from steward.fields.models import CustomValue, Entity, FieldType
from steward.health.models import AccountMeasure

Measures = dict[str, float | None]


def number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def day_end(day: date) -> datetime:
    return datetime.combine(day, datetime.max.time(), UTC)


def usage_on(
    store: EventStore,
    db: Database,
    as_of: date,
    key_events: tuple[str, ...],
    accounts: ir.Table | None = None,
) -> dict[int, dict[str, Any]]:
    """account_id → the usage rollup row on the day (seats as licensed that day, unless the
    accounts input is given)."""
    if accounts is None:
        accounts = store.accounts(accounts_input(db, as_of))
    usage = store.execute(account_usage(store.events, accounts, as_of, key_events))
    return {int(r["account_id"]): r for r in usage.to_dict("records")}


def usage_on_days(
    store: EventStore,
    db: Database,
    pairs: Collection[tuple[int, date]],
    key_events: tuple[str, ...],
) -> dict[tuple[int, date], dict[str, Any]]:
    """(account_id, day) → the usage rollup row of that account on that day (seats as
    licensed that day), for every pair in one query over the event log."""
    if not pairs:
        return {}
    days = [day for _, day in pairs]
    first, last = min(days), max(days)
    accounts = store.accounts(accounts_input(db, last))
    subjects = store.input("usage_days", days_input(db, pairs))
    usage = store.execute(
        account_usage_on_days(store.events, accounts, subjects, first, last, key_events)
    )
    return {(int(r["account_id"]), _as_date(r["as_of"])): r for r in usage.to_dict("records")}


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value  # pandas gives Timestamps


def open_escalations(
    session: Session, as_of: date, today: date, account_ids: Collection[int] | None = None
) -> dict[int, int]:
    """Escalations open on the day: opened by then and not resolved by then (for today: the
    unresolved ones)."""
    end = day_end(as_of)
    condition = and_(
        Escalation.archived_at.is_(None),
        Escalation.status.in_(list(UNRESOLVED))
        if as_of >= today
        else and_(
            Escalation.opened_at <= end,
            or_(Escalation.resolved_at.is_(None), Escalation.resolved_at > end),
        ),
    )
    query = (
        select(Escalation.account_id, func.count()).where(condition).group_by(Escalation.account_id)
    )
    if account_ids is not None:
        query = query.where(Escalation.account_id.in_(list(account_ids)))
    return {int(a): int(n) for a, n in session.execute(query).all()}


def last_touches(
    session: Session, as_of: date, today: date, account_ids: Collection[int] | None = None
) -> dict[int, datetime]:
    """The last meaningful touch up to the day: the kept roll-up for today, the activity log
    for a past day."""
    if as_of >= today:
        query = select(Account.id, Account.last_touch_at).where(Account.last_touch_at.is_not(None))
        if account_ids is not None:
            query = query.where(Account.id.in_(list(account_ids)))
    else:
        query = (
            select(Activity.account_id, func.max(Activity.occurred_at))
            .where(
                Activity.type.in_(list(TOUCH_TYPES)),
                Activity.occurred_at <= day_end(as_of),
                Activity.archived_at.is_(None),
            )
            .group_by(Activity.account_id)
        )
        if account_ids is not None:
            query = query.where(Activity.account_id.in_(list(account_ids)))
    return {int(a): _aware(t) for a, t in session.execute(query).all() if t is not None}


def custom_measures(
    session: Session, as_of: date, account_ids: Collection[int] | None = None
) -> dict[int, dict[str, float]]:
    """account → custom key → its latest value on or before the day."""
    latest = (
        select(
            AccountMeasure.account_id,
            AccountMeasure.key,
            func.max(AccountMeasure.as_of).label("as_of"),
        )
        .where(AccountMeasure.as_of <= as_of)
        .group_by(AccountMeasure.account_id, AccountMeasure.key)
    )
    if account_ids is not None:
        latest = latest.where(AccountMeasure.account_id.in_(list(account_ids)))
    found = latest.subquery()
    rows = session.execute(
        select(AccountMeasure.account_id, AccountMeasure.key, AccountMeasure.value).join(
            found,
            (found.c.account_id == AccountMeasure.account_id)
            & (found.c.key == AccountMeasure.key)
            & (found.c.as_of == AccountMeasure.as_of),
        )
    )
    out: dict[int, dict[str, float]] = {}
    for account_id, key, value in rows:
        out.setdefault(int(account_id), {})[key] = float(value)
    return out


# Custom-field types a scorecard can score (a boolean as 1 or 0).
SCORED_FIELD_TYPES = (
    FieldType.NUMBER.value,
    FieldType.MONEY.value,
    FieldType.PERCENT.value,
    FieldType.BOOLEAN.value,
)


def field_measures(
    session: Session, account_ids: Collection[int] | None = None
) -> dict[int, dict[str, float]]:
    """account → custom field key → its value, for the live account fields a scorecard can
    score. A field keeps no history: a dry-run of a past day reads today's value, which the
    scorecard editor says."""
    scored = {
        field.id: field
        for field in fields.fields_of(session, Entity.ACCOUNT)
        if field.type in SCORED_FIELD_TYPES
    }
    if not scored:
        return {}
    query = select(
        CustomValue.record_id,
        CustomValue.field_id,
        CustomValue.number_value,
        CustomValue.bool_value,
    ).where(CustomValue.field_id.in_(list(scored)), CustomValue.ordinal == 0)
    if account_ids is not None:
        query = query.where(CustomValue.record_id.in_(list(account_ids)))
    out: dict[int, dict[str, float]] = {}
    for account_id, field_id, number_value, bool_value in session.execute(query):
        value = float(bool_value) if bool_value is not None else number_value
        if value is not None:
            out.setdefault(int(account_id), {})[scored[field_id].key] = float(value)
    return out


def measures_of(
    usage: Mapping[str, Any] | None,
    touched: datetime | None,
    escalations: int,
    as_of: date,
    key_events: tuple[str, ...],
    custom: Mapping[str, float] | None = None,
    nps: float | None = None,
    custom_fields: Mapping[str, float] | None = None,
) -> Measures:
    used = usage or {}
    adoptions = [
        v
        for i in range(len(key_events))
        if (v := number(used.get(f"feature_{i}_adoption"))) is not None
    ]
    return {
        "usage_trend": number(used.get("trend_30d")),
        "utilisation": number(used.get("utilisation")),
        "adoption": sum(adoptions) / len(adoptions) if adoptions else None,
        "engagement_recency": (
            None if touched is None else float(max(0, (day_end(as_of) - touched).days))
        ),
        "open_escalations": float(escalations),
        "nps": nps,
        **{f"custom:{key}": value for key, value in (custom or {}).items()},
        **{f"field:{key}": value for key, value in (custom_fields or {}).items()},
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
