"""Trigger events, read from the day's signals in a few set-based queries per trigger.

Each event has a key naming what happened ("health_band:red:2026-11-20", "survey_response:81"):
a rule fires at most once per key, so re-reading the same signals never fires twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from steward.accounts.models import CUSTOMER_STAGES, Account, Tier
from steward.contacts.models import Contact, DealRole
from steward.contracts.models import Contract
from steward.core.money import format_money
from steward.escalations.models import UNRESOLVED, Escalation
from steward.health.models import HealthScore
from steward.opportunities.models import Opportunity, Stage
from steward.playbooks.schemas import Trigger, TriggerType
from steward.renewals.repository import renewed_clause
from steward.surveys.models import Survey, SurveyKind, SurveyResponse

DEFAULT_DEPARTED_ROLES = (DealRole.CHAMPION, DealRole.EXECUTIVE_SPONSOR)
CHUNK = 5000  # ids per IN (…) list: well inside SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Event:
    account_id: int
    key: str
    reason: str
    facts: dict[str, Any]


def chunks(values: Collection[Any]) -> Iterator[list[Any]]:
    """Sorted runs of at most CHUNK values, for IN (…) lists."""
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _rows(
    session: Session, statement: Any, column: Any, account_ids: Collection[int] | None
) -> list[Any]:
    """The statement's rows, for every account or (chunk by chunk) the given ones."""
    if account_ids is None:
        return list(session.execute(statement))
    return [
        row
        for chunk in chunks(account_ids)
        for row in session.execute(statement.where(column.in_(chunk)))
    ]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def _live_account() -> ColumnElement[bool]:
    return Account.archived_at.is_(None)


def health_band_entered(
    session: Session,
    trigger: Trigger,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None,
) -> list[Event]:
    since = today - timedelta(days=trigger.lookback_days)
    statement = select(Account.id, Account.health_band_since, Account.health_score).where(
        _live_account(),
        Account.health_band == trigger.band,
        Account.health_band_since >= since,
        Account.health_band_since <= today,
    )
    found = _rows(session, statement, Account.id, account_ids)
    explained: dict[int, str] = {}
    latest = (
        select(HealthScore.account_id, func.max(HealthScore.as_of).label("as_of"))
        .where(HealthScore.as_of <= today)
        .group_by(HealthScore.account_id)
    )
    for chunk in chunks([row[0] for row in found]):
        newest = latest.where(HealthScore.account_id.in_(chunk)).subquery()
        for account_id, explanation in session.execute(
            select(HealthScore.account_id, HealthScore.explanation).join(
                newest,
                (newest.c.account_id == HealthScore.account_id)
                & (newest.c.as_of == HealthScore.as_of),
            )
        ):
            explained[int(account_id)] = explanation
    return [
        Event(
            int(account_id),
            f"health_band:{trigger.band}:{entered}",
            f"health entered {trigger.band} on {entered}"
            + ("" if score is None else f" (score {score:.0f})")
            + (f": {explained[account_id]}" if account_id in explained else ""),
            {"band": trigger.band, "since": str(entered), "score": score},
        )
        for account_id, entered, score in found
    ]


def usage_drop(
    session: Session,
    trigger: Trigger,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None,
) -> list[Event]:
    """Active users over the last 30 days against the 30 before, on the latest score day."""
    day = session.scalar(select(func.max(HealthScore.as_of)).where(HealthScore.as_of <= today))
    if day is None or day < today - timedelta(days=trigger.lookback_days):
        return []
    assert trigger.percent is not None
    statement = select(HealthScore.account_id, HealthScore.usage).where(
        HealthScore.as_of == day, HealthScore.usage.is_not(None)
    )
    week = f"{day:%G-W%V}"
    events = []
    for account_id, usage in _rows(session, statement, HealthScore.account_id, account_ids):
        used = orjson.loads(usage)
        recent, before = used.get("active_users_30d") or 0, used.get("active_users_prior_30d") or 0
        if before <= 0:
            continue
        fell = 100 * (before - recent) / before
        if fell >= trigger.percent:
            events.append(
                Event(
                    int(account_id),
                    f"usage_drop:{trigger.percent:g}:{week}",
                    f"active users fell {fell:.0f}% in 30 days ({before} → {recent})",
                    {
                        "active_users_30d": recent,
                        "active_users_prior_30d": before,
                        "fell_pct": round(fell, 1),
                    },
                )
            )
    return events


def renewal_due(
    session: Session,
    trigger: Trigger,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None,
) -> list[Event]:
    assert trigger.days is not None
    statement = select(Contract.id, Contract.account_id, Contract.name, Contract.end_date).where(
        Contract.archived_at.is_(None),
        Contract.end_date >= today,
        Contract.end_date <= today + timedelta(days=trigger.days),
        ~renewed_clause(),
    )
    return [
        Event(
            int(account_id),
            f"renewal:{contract_id}:{trigger.days}d",
            f"contract '{name}' ends on {end} ({(end - today).days} days) and is not renewed yet",
            {"contract_id": contract_id, "end_date": str(end)},
        )
        for contract_id, account_id, name, end in _rows(
            session, statement, Contract.account_id, account_ids
        )
    ]


def nps_detractor(
    session: Session,
    trigger: Trigger,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None,
) -> list[Event]:
    max_score = 6 if trigger.max_score is None else trigger.max_score
    statement = (
        select(
            SurveyResponse.id,
            SurveyResponse.account_id,
            SurveyResponse.score,
            SurveyResponse.comment,
            Contact.first_name,
            Contact.last_name,
            Survey.name,
        )
        .join(Contact, Contact.id == SurveyResponse.contact_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(
            SurveyResponse.kind == SurveyKind.NPS,
            SurveyResponse.score <= max_score,
            SurveyResponse.responded_at
            >= _day_start(today - timedelta(days=trigger.lookback_days)),
        )
    )
    return [
        Event(
            int(account_id),
            f"survey_response:{response_id}",
            f"{first} {last} answered {score} to '{survey}'"
            + (f': "{comment}"' if comment else ""),
            {"response_id": response_id, "score": score},
        )
        for response_id, account_id, score, comment, first, last, survey in _rows(
            session, statement, SurveyResponse.account_id, account_ids
        )
    ]


def no_touch(
    session: Session,
    trigger: Trigger,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None,
) -> list[Event]:
    cadence: dict[str, int] = {str(t): d for t, d in (trigger.days_by_tier or {}).items()}
    statement = select(Account.id, Account.tier, Account.last_touch_at).where(
        _live_account(), Account.lifecycle_stage.in_(CUSTOMER_STAGES)
    )
    events = []
    for account_id, tier, touched in _rows(session, statement, Account.id, account_ids):
        days = cadence.get(tier, trigger.days)
        if days is None or (touched is not None and touched > now - timedelta(days=days)):
            continue
        silent = "never touched" if touched is None else f"no touch for {(now - touched).days} days"
        label = Tier(tier).value if tier in set(Tier) else tier
        events.append(
            Event(
                int(account_id),
                f"no_touch:{days}:{touched.date() if touched else 'never'}",
                f"{silent} (cadence for {label} accounts: every {days} days)",
                {"last_touch_at": touched.isoformat() if touched else None, "cadence_days": days},
            )
        )
    return events


def sla_breach(
    session: Session,
    trigger: Trigger,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None,
) -> list[Event]:
    statement = select(
        Escalation.id,
        Escalation.account_id,
        Escalation.severity,
        Escalation.title,
        Escalation.team,
        Escalation.sla_due_at,
    ).where(
        Escalation.archived_at.is_(None),
        Escalation.status.in_(UNRESOLVED),
        Escalation.sla_due_at < now,
        Escalation.sla_due_at >= now - timedelta(days=trigger.lookback_days),
    )
    return [
        Event(
            int(account_id),
            f"escalation:{escalation_id}:sla_breach",
            f"{severity.upper()} escalation '{title}' ({team}) passed its SLA target"
            f" on {due:%Y-%m-%d %H:%M} UTC",
            {"escalation_id": escalation_id, "severity": severity},
        )
        for escalation_id, account_id, severity, title, team, due in _rows(
            session, statement, Escalation.account_id, account_ids
        )
    ]


def opportunity_won(
    session: Session,
    trigger: Trigger,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None,
) -> list[Event]:
    statement = select(
        Opportunity.id,
        Opportunity.account_id,
        Opportunity.name,
        Opportunity.type,
        Opportunity.amount_minor,
    ).where(
        Opportunity.archived_at.is_(None),
        Opportunity.stage == Stage.CLOSED_WON,
        Opportunity.closed_at >= now - timedelta(days=trigger.lookback_days),
    )
    if trigger.opportunity_types:
        statement = statement.where(
            Opportunity.type.in_([str(t) for t in trigger.opportunity_types])
        )
    return [
        Event(
            int(account_id),
            f"opportunity:{opportunity_id}:won",
            f"{kind.replace('_', ' ')} opportunity '{name}' won ({format_money(amount)})",
            {"opportunity_id": opportunity_id, "amount_minor": amount},
        )
        for opportunity_id, account_id, name, kind, amount in _rows(
            session, statement, Opportunity.account_id, account_ids
        )
    ]


def find_events(
    session: Session,
    trigger: Trigger,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None = None,
) -> list[Event]:
    """The trigger's events, each keyed "account:<id>:<what happened>" (unique per account,
    so one account's event never stands in for another's)."""
    events = _DETECTORS[trigger.type](session, trigger, today, now, account_ids)
    return [replace(e, key=f"account:{e.account_id}:{e.key}") for e in events]


def contact_departed(
    session: Session,
    trigger: Trigger,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None,
) -> list[Event]:
    """A key contact left the customer: mail said so (a bounce, or an auto-reply "no longer
    with the company"), or someone marked it."""
    roles = trigger.deal_roles or DEFAULT_DEPARTED_ROLES
    statement = select(
        Contact.id,
        Contact.account_id,
        Contact.first_name,
        Contact.last_name,
        Contact.deal_role,
        Contact.departed_reason,
    ).where(
        Contact.deal_role.in_([str(r) for r in roles]),
        Contact.archived_at.is_(None),
        Contact.departed_at >= _day_start(today - timedelta(days=trigger.lookback_days)),
        Contact.departed_at <= now,
    )
    return [
        Event(
            int(account_id),
            f"contact_departed:{contact_id}",
            f"{first} {last} ({str(role).replace('_', ' ')}) has left the company"
            + (f": {reason}" if reason else ""),
            {"contact_id": contact_id, "deal_role": role},
        )
        for contact_id, account_id, first, last, role, reason in _rows(
            session, statement, Contact.account_id, account_ids
        )
    ]


_DETECTORS: dict[TriggerType, Callable[..., list[Event]]] = {
    TriggerType.HEALTH_BAND_ENTERED: health_band_entered,
    TriggerType.USAGE_DROP: usage_drop,
    TriggerType.RENEWAL_DUE: renewal_due,
    TriggerType.NPS_DETRACTOR: nps_detractor,
    TriggerType.NO_TOUCH: no_touch,
    TriggerType.SLA_BREACH: sla_breach,
    TriggerType.OPPORTUNITY_WON: opportunity_won,
    TriggerType.CONTACT_DEPARTED: contact_departed,
}
