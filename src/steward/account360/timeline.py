"""The system events on an account's timeline (SPEC §2): health band changes, survey answers,
escalations and rule runs, beside the activities and audited changes Account 360 reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from itertools import pairwise

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.contacts.models import Contact
from steward.escalations.models import Escalation, EscalationEvent
from steward.health.models import HealthScore
from steward.playbooks.models import Rule, RuleRun
from steward.surveys.models import SurveyResponse
from steward.surveys.service import category

PER_KIND = 50


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # an activity type, or a system kind: system, health, survey, escalation, rule
    title: str
    detail: str | None
    who: str | None
    edit_link: str | None = None  # a logged activity can be corrected; system events cannot


# Each statement reads one account's rows (FEW): each row checks that account's line, where
# the book's ids were read per statement (20 ms apiece for a 14,000-account book).


def health_changes(session: Session, account_id: int) -> list[TimelineEntry]:
    # The last two years of daily scores at most: a page view must not read all history.
    scores = list(
        session.execute(
            select(HealthScore.as_of, HealthScore.band, HealthScore.score, HealthScore.explanation)
            .where(HealthScore.account_id == account_id)
            .order_by(HealthScore.as_of.desc())
            .execution_options(**policy.FEW)
            .limit(730)
        )
    )[::-1]
    entries = []
    for before, after in pairwise(scores):
        if before.band != after.band:
            entries.append(
                TimelineEntry(
                    datetime.combine(after.as_of, time(), UTC),
                    "health",
                    f"Health {before.band or 'unscored'} → {after.band}",
                    after.explanation,
                    None,
                )
            )
    return entries[-PER_KIND:]


def survey_answers(session: Session, account_id: int) -> list[TimelineEntry]:
    rows = session.execute(
        select(SurveyResponse, Contact.first_name, Contact.last_name)
        .join(Contact, Contact.id == SurveyResponse.contact_id)
        .where(SurveyResponse.account_id == account_id)
        .order_by(SurveyResponse.responded_at.desc())
        .execution_options(**policy.FEW)
        .limit(PER_KIND)
    )
    return [
        TimelineEntry(
            response.responded_at,
            "survey",
            f"{response.kind.upper()} {response.score} ({category(response.kind, response.score)})",
            response.comment,
            f"{first} {last}",
        )
        for response, first, last in rows
    ]


def escalation_history(
    session: Session, account_id: int, name_of: Callable[[int | None], str | None]
) -> list[TimelineEntry]:
    rows = session.execute(
        select(EscalationEvent, Escalation.title, Escalation.severity, Escalation.resolution)
        .join(Escalation, Escalation.id == EscalationEvent.escalation_id)
        .where(Escalation.account_id == account_id, Escalation.archived_at.is_(None))
        .order_by(EscalationEvent.at.desc())
        .execution_options(**policy.FEW)
        .limit(PER_KIND)
    )
    entries = []
    for change, title, severity, resolution in rows:
        verb = (
            "opened"
            if change.from_status is None
            else "resolved"
            if change.to_status == "resolved"
            else change.to_status.replace("_", " ")
        )
        detail = change.note or (resolution if change.to_status == "resolved" else None)
        entries.append(
            TimelineEntry(
                change.at,
                "escalation",
                f"{severity.upper()} escalation {verb}: {title}",
                detail,
                name_of(change.actor_id),
            )
        )
    return entries


def rule_runs(session: Session, account_id: int) -> list[TimelineEntry]:
    rows = session.execute(
        select(RuleRun, Rule.name)
        .join(Rule, Rule.id == RuleRun.rule_id)
        .where(RuleRun.account_id == account_id)
        .order_by(RuleRun.fired_at.desc())
        .execution_options(**policy.FEW)
        .limit(PER_KIND)
    )
    return [
        TimelineEntry(
            run.fired_at,
            "rule",
            f"Rule '{name}' {'fired' if run.status == 'fired' else 'held out'}",
            run.reason + "".join(f"; {r}" for r in orjson.loads(run.results)),
            None,
        )
        for run, name in rows
    ]


def system_events(
    session: Session, account_id: int, name_of: Callable[[int | None], str | None]
) -> list[TimelineEntry]:
    return [
        *health_changes(session, account_id),
        *survey_answers(session, account_id),
        *escalation_history(session, account_id, name_of),
        *rule_runs(session, account_id),
    ]
