"""Demo success plans, account plans and onboarding projects: onboarding for every customer
whose first contract started in the last year (milestones mostly done on time, some late),
success plans on a share of customers, account plans on strategic accounts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select

from steward.accounts.models import CUSTOMER_STAGES, Account, Tier
from steward.accounts.policy import reading_as
from steward.core.principal import SYSTEM, Principal
from steward.db.engine import Database
from steward.onboarding.models import OnboardingProject
from steward.onboarding.service import refresh_progress_of, start_missing_projects
from steward.plans.account_plans import store_account_plan, whitespace
from steward.plans.models import Milestone, MilestoneStatus, OutcomeStatus, PlanOutcome, SuccessPlan
from steward.plans.schemas import AccountPlanIn, GoalIn
from steward.users.models import User

OUTCOMES = [
    ("Cut month-end close from 8 to 3 days", "close ≤ 3 working days for 2 months"),
    ("Self-serve reporting for the finance team", "20 weekly active report builders"),
    ("Retire the legacy spreadsheet process", "no spreadsheet uploads for a quarter"),
    ("Roll out to the EMEA subsidiaries", "all 4 subsidiaries live"),
    ("Faster support answers for their customers", "median first response under 2 hours"),
]
MILESTONES = [
    "Success criteria signed off by the sponsor",
    "Data connected and validated",
    "Pilot team trained",
    "First executive business review",
    "Roll-out to the second department",
]


@dataclass
class PlansSummary:
    onboarding_projects: int = 0
    success_plans: int = 0
    account_plans: int = 0


def _done_at(day: date, rng: random.Random, today: date) -> datetime:
    finished = min(day + timedelta(days=rng.randint(-8, 10)), today)
    return datetime.combine(finished, time(15, 0), tzinfo=UTC)


def generate_plans(db: Database, seed: int, today: date) -> PlansSummary:
    rng = random.Random(seed * 53)
    summary = PlansSummary()
    with db.session() as session:
        summary.onboarding_projects = start_missing_projects(session, today, window_days=365)
        session.flush()
        projects = list(session.scalars(select(OnboardingProject).order_by(OnboardingProject.id)))
        steps: dict[int, list[Milestone]] = {}
        for m in session.scalars(
            select(Milestone)
            .where(Milestone.onboarding_project_id.is_not(None))
            .order_by(Milestone.onboarding_project_id, Milestone.position)
        ):
            steps.setdefault(m.onboarding_project_id or 0, []).append(m)
        for project in projects:
            for m in steps.get(project.id, []):
                if m.due_date is not None and m.due_date <= today and rng.random() < 0.85:
                    m.status = MilestoneStatus.DONE
                    m.completed_at = _done_at(m.due_date, rng, today)
                elif m.due_date is not None and m.due_date <= today + timedelta(days=7):
                    m.status = MilestoneStatus.IN_PROGRESS
        session.flush()
        refresh_progress_of(session, projects)
        for project in projects:
            # A demo project finished when its last step did, not when the demo was built.
            done = [m.completed_at for m in steps.get(project.id, []) if m.completed_at]
            if project.completed_at is not None and done:
                project.completed_at = max(done)

        customers = list(
            session.scalars(
                select(Account)
                .where(Account.archived_at.is_(None), Account.lifecycle_stage.in_(CUSTOMER_STAGES))
                .order_by(Account.id)
            )
        )
        # Held here: the session forgets unreferenced rows, and each fetch flushed the plans.
        users = {u.id: u for u in session.scalars(select(User))}
        pending: list[tuple[SuccessPlan, list[dict[str, Any]], list[dict[str, Any]]]] = []
        for account in customers:
            planned = account.tier != Tier.STANDARD or rng.random() < 0.25
            if not planned:
                continue
            start = today - timedelta(days=rng.randint(30, 240))
            plan = SuccessPlan(
                account_id=account.id,
                title=f"{start.year + (1 if start.month > 6 else 0)} success plan",
                summary="What the client bought us for, and how both sides will know.",
                owner_id=account.csm_id or account.owner_am_id,
                start_date=start,
                target_date=start + timedelta(days=365),
            )
            session.add(plan)  # its outcomes and milestones once the plans have ids
            outcomes = [
                {
                    "description": text,
                    "success_measure": measure,
                    "position": position,
                    "status": rng.choice(
                        [OutcomeStatus.ON_TRACK, OutcomeStatus.ON_TRACK, OutcomeStatus.AT_RISK]
                    ),
                }
                for position, (text, measure) in enumerate(rng.sample(OUTCOMES, rng.randint(2, 3)))
            ]
            milestones = []
            for position, title in enumerate(rng.sample(MILESTONES, 4)):
                due = start + timedelta(days=45 * (position + 1))
                late = due < today and rng.random() < 0.25
                milestones.append(
                    {
                        "account_id": account.id,
                        "title": title,
                        "owner_id": plan.owner_id if position % 2 == 0 else account.owner_am_id,
                        "due_date": due,
                        "position": position,
                        "status": MilestoneStatus.DONE
                        if due < today and not late
                        else MilestoneStatus.PLANNED,
                        "completed_at": _done_at(due, rng, today)
                        if due < today and not late
                        else None,
                    }
                )
            pending.append((plan, outcomes, milestones))
            summary.success_plans += 1
            owner = users.get(account.owner_am_id) if account.owner_am_id else None
            if account.tier == Tier.STRATEGIC and owner is not None:
                space = whitespace(session, SYSTEM, account.id, today)[:2]
                goals = [
                    GoalIn(
                        title=f"Land {p.name}",
                        product_id=p.product_id,
                        target_arr=p.list_price * rng.choice([5, 10, 20]),
                        due_date=today + timedelta(days=rng.randint(60, 300)),
                    )
                    for p in space
                ] + [GoalIn(title="Executive sponsor meets our VP twice a year")]
                account_plan = AccountPlanIn(
                    period=f"FY{today.year + 1}",
                    strategy="Expand from finance into operations; protect the renewal with "
                    "an executive sponsor and a quarterly business review.",
                    goals=goals,
                )
                # Saved as its owner would, reading their book.
                with reading_as(session, Principal.of(owner)) as as_owner:
                    store_account_plan(as_owner, Principal.of(owner), account.id, account_plan)
                summary.account_plans += 1
        session.flush()
        # Plain rows (as before, no audit events): bulk INSERTs, not 175,000 ORM objects.
        outcome_rows = [
            {"plan_id": plan.id, **values} for plan, outcomes, _ in pending for values in outcomes
        ]
        milestone_rows = [
            {"success_plan_id": plan.id, "onboarding_project_id": None, **values}
            for plan, _, milestones in pending
            for values in milestones
        ]
        if outcome_rows:
            session.execute(insert(PlanOutcome), outcome_rows)
        if milestone_rows:
            session.execute(insert(Milestone), milestone_rows)
        session.commit()
    return summary
