"""Demo escalations and NPS answers (at-risk accounts complain more), then the starter rules,
so My Day, the timeline and the run log have something true to show on day one."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account, LifecycleStage
from steward.config import Settings
from steward.contacts.models import Contact
from steward.contracts.models import Contract
from steward.core.principal import Principal
from steward.db.engine import Database
from steward.demo.latent import (
    WARNING_DAYS,
    account_fit,
    customer_on,
    days_before_departure,
    departures,
    shows_signs,
)
from steward.escalations.models import Escalation, EscalationEvent
from steward.playbooks.engine import run_rules
from steward.playbooks.service import import_bundle
from steward.surveys.models import (
    DEFAULT_QUESTION,
    Survey,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from steward.users.models import User

STARTER_RULES = Path(__file__).resolve().parents[1] / "playbooks" / "starter.yaml"
ISSUES = [
    ("Exports time out for large reports", "engineering"),
    ("Invoice shows the wrong seat count", "finance"),
    ("SSO login fails for a subsidiary", "support"),
    ("Needs an audit-log API before renewal", "product"),
    ("Dashboards load slowly since the upgrade", "engineering"),
]
COMMENTS = {
    "detractor": [
        "Too many outages this quarter",
        "Support takes days to answer",
        "Pricing went up, value did not",
    ],
    "passive": ["Does the job", "Good, but reporting is limited"],
    "promoter": ["Our team lives in it", "Great support and roadmap", ""],
}


@dataclass
class WorkflowSummary:
    escalations: int = 0
    survey_answers: int = 0


def generate_workflows(db: Database, seed: int, now: datetime | None = None) -> WorkflowSummary:
    rng = random.Random(seed * 31)
    now = now or datetime.now(UTC)
    summary = WorkflowSummary()
    with db.session() as session:
        customers = list(
            session.execute(
                select(Account.id, Account.lifecycle_stage, Account.owner_am_id).where(
                    Account.lifecycle_stage.not_in(
                        [LifecycleStage.PROSPECT, LifecycleStage.CHURNED]
                    )
                )
            )
        )
        hours = {"p1": 8, "p2": 48, "p3": 120, "p4": 240}
        for account_id, stage, owner in customers:
            count = (
                rng.choice([1, 2, 3])
                if stage == LifecycleStage.AT_RISK
                else int(rng.random() < 0.12)
            )
            for _ in range(count):
                title, team = rng.choice(ISSUES)
                severity = rng.choices(["p1", "p2", "p3", "p4"], [0.1, 0.35, 0.4, 0.15])[0]
                opened = now - timedelta(hours=rng.randrange(2, 24 * 60))
                due = opened + timedelta(hours=hours[severity])
                resolved = (
                    opened + timedelta(hours=rng.randrange(1, 2 * hours[severity]))
                    if rng.random() < 0.6
                    else None
                )
                if resolved is not None and resolved > now:
                    resolved = None
                escalation = Escalation(
                    account_id=account_id,
                    title=title,
                    team=team,
                    severity=severity,
                    status="resolved"
                    if resolved
                    else rng.choice(["open", "in_progress", "waiting_on_customer"]),
                    owner_id=owner,
                    opened_at=opened,
                    sla_due_at=due,
                    resolved_at=resolved,
                    resolution="Fixed and confirmed with the customer" if resolved else None,
                )
                session.add(escalation)
                session.flush()
                session.add(
                    EscalationEvent(
                        escalation_id=escalation.id, at=opened, to_status="open", actor_id=owner
                    )
                )
                if resolved:
                    session.add(
                        EscalationEvent(
                            escalation_id=escalation.id,
                            at=resolved,
                            from_status="open",
                            to_status="resolved",
                            actor_id=owner,
                        )
                    )
                summary.escalations += 1

        stage_of = {a: s for a, s, _ in customers}
        contacts = list(
            session.execute(
                select(Contact.id, Contact.account_id).where(Contact.account_id.in_(list(stage_of)))
            )
        )
        survey = Survey(
            kind=SurveyKind.NPS,
            name="Relationship NPS",
            question=DEFAULT_QUESTION[SurveyKind.NPS],
            created_at=now - timedelta(days=120),
        )
        session.add(survey)
        session.flush()
        invitations: list[dict[str, object]] = []
        responses: list[dict[str, object]] = []
        for contact_id, account_id in contacts:
            if rng.random() > 0.45:
                continue
            risky = stage_of[account_id] == LifecycleStage.AT_RISK
            score = min(10, max(0, round(rng.gauss(4.5 if risky else 8.2, 2.2))))
            at = now - timedelta(days=rng.randrange(0, 120), hours=rng.randrange(0, 24))
            kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
            token = hashlib.sha256(f"demo-{seed}-{contact_id}".encode()).hexdigest()
            invitations.append(
                {
                    "id": len(invitations) + 1,
                    "survey_id": survey.id,
                    "account_id": account_id,
                    "contact_id": contact_id,
                    "token_hash": token,
                    "sent_at": at - timedelta(days=2),
                    "expires_at": at + timedelta(days=28),
                    "responded_at": at,
                }
            )
            responses.append(
                {
                    "survey_id": survey.id,
                    "invitation_id": len(invitations),
                    "account_id": account_id,
                    "contact_id": contact_id,
                    "kind": "nps",
                    "score": score,
                    "comment": rng.choice(COMMENTS[kind]) or None,
                    "responded_at": at,
                }
            )
        summary.escalations += _past_signals(session, rng, seed, now, invitations, responses)
        if invitations:
            session.execute(insert(SurveyInvitation), invitations)
            session.execute(insert(SurveyResponse), responses)
        summary.survey_answers = len(responses)
    return summary


def _past_signals(
    session: Session,
    rng: random.Random,
    seed: int,
    now: datetime,
    invitations: list[dict[str, object]],
    responses: list[dict[str, object]],
) -> int:
    """The last two years as a CS team would have recorded them: a few escalations a year,
    more (and poorer NPS answers) in the months before a customer left (demo.latent), and a
    relationship NPS wave every six months. Returns the escalations added."""
    today = now.date()
    left = departures(session, today)
    terms: dict[int, list[tuple[date, date]]] = {}
    for account_id, start, end in session.execute(
        select(Contract.account_id, Contract.start_date, Contract.end_date)
    ):
        terms.setdefault(account_id, []).append((start, end))
    added = 0
    opened_and_resolved: list[tuple[Escalation, datetime, datetime]] = []
    for account_id, spans in terms.items():
        leaving = [d for d in left.get(account_id, []) if shows_signs(seed, account_id, d)]
        complaints = [
            today - timedelta(days=rng.randrange(60, 730)) for _ in range(rng.randint(0, 2))
        ]
        for departure in leaving:
            if rng.random() < 0.6:
                complaints += [
                    departure - timedelta(days=rng.randrange(10, WARNING_DAYS))
                    for _ in range(rng.randint(1, 2))
                ]
        for day in complaints:
            if day >= today - timedelta(days=60) or not customer_on(spans, day):
                continue
            title, team = rng.choice(ISSUES)
            severity = rng.choices(["p1", "p2", "p3", "p4"], [0.1, 0.35, 0.4, 0.15])[0]
            opened = datetime.combine(day, time(rng.randrange(8, 18)), UTC)
            resolved = opened + timedelta(hours=rng.randrange(4, 24 * 30))
            escalation = Escalation(
                account_id=account_id,
                title=title,
                team=team,
                severity=severity,
                status="resolved",
                opened_at=opened,
                sla_due_at=opened + timedelta(hours=48),
                resolved_at=resolved,
                resolution="Fixed and confirmed with the customer",
            )
            session.add(escalation)  # its history once the escalations have ids
            opened_and_resolved.append((escalation, opened, resolved))
            added += 1
    session.flush()
    session.add_all(
        [
            event
            for escalation, opened, resolved in opened_and_resolved
            for event in (
                EscalationEvent(escalation_id=escalation.id, at=opened, to_status="open"),
                EscalationEvent(
                    escalation_id=escalation.id,
                    at=resolved,
                    from_status="open",
                    to_status="resolved",
                ),
            )
        ]
    )
    contacts = list(session.execute(select(Contact.id, Contact.account_id)))
    for wave in (300, 480, 660):  # the current wave is the last 120 days
        sent = now - timedelta(days=wave)
        survey = Survey(
            kind=SurveyKind.NPS,
            name=f"Relationship NPS {sent:%Y-%m}",
            question=DEFAULT_QUESTION[SurveyKind.NPS],
            created_at=sent,
        )
        session.add(survey)
        session.flush()
        for contact_id, account_id in contacts:
            if rng.random() > 0.35 or not customer_on(terms.get(account_id, []), sent.date()):
                continue
            at = sent + timedelta(days=rng.randrange(0, 21), hours=rng.randrange(0, 24))
            leaving = [d for d in left.get(account_id, []) if shows_signs(seed, account_id, d)]
            mean = 6.5 + 2.5 * account_fit(seed, account_id)
            if days_before_departure(leaving, at.date()) is not None:
                mean = 4.5
            score = min(10, max(0, round(rng.gauss(mean, 2.0))))
            kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
            token = hashlib.sha256(f"demo-{seed}-{wave}-{contact_id}".encode()).hexdigest()
            invitations.append(
                {
                    "id": len(invitations) + 1,
                    "survey_id": survey.id,
                    "account_id": account_id,
                    "contact_id": contact_id,
                    "token_hash": token,
                    "sent_at": sent,
                    "expires_at": sent + timedelta(days=28),
                    "responded_at": at,
                }
            )
            responses.append(
                {
                    "survey_id": survey.id,
                    "invitation_id": len(invitations),
                    "account_id": account_id,
                    "contact_id": contact_id,
                    "kind": "nps",
                    "score": score,
                    "comment": rng.choice(COMMENTS[kind]) or None,
                    "responded_at": at,
                }
            )
    return added


def install_starter_rules(db: Database, settings: Settings) -> int:
    """Imports the starter playbooks and rules as the demo admin, then runs them once."""
    with db.session() as session:
        admin = session.scalar(select(User).where(User.email == "admin@example.com"))
        assert admin is not None
        result = import_bundle(
            session, Principal.of(admin), STARTER_RULES.read_text(encoding="utf-8"), dry_run=False
        )
        errors = [i for i in result.items if i.outcome.startswith("error")]
        if errors:
            raise ValueError(f"starter rules do not import: {errors}")
    return run_rules(db, settings).fired
