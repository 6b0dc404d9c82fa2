"""Success plans and milestones: owners default to the account team, progress is derived."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.accounts.owned import AccountOwnedService
from steward.core import crud, events
from steward.core.errors import InvalidField, NotFound
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.plans.events import MilestoneWritten
from steward.plans.models import (
    FINISHED_MILESTONE,
    Milestone,
    MilestoneStatus,
    PlanOutcome,
    SuccessPlan,
)
from steward.plans.schemas import (
    MilestoneFilters,
    MilestoneIn,
    MilestoneOut,
    OutcomeIn,
    OutcomeUpdate,
    SuccessPlanCreate,
    SuccessPlanDetail,
    SuccessPlanFilters,
    SuccessPlanOut,
)


def is_overdue(milestone: Milestone, today: date) -> bool:
    return (
        milestone.due_date is not None
        and milestone.due_date < today
        and milestone.status not in FINISHED_MILESTONE
    )


def milestone_out(milestone: Milestone, today: date | None = None) -> MilestoneOut:
    out = MilestoneOut.model_validate(milestone)
    out.overdue = is_overdue(milestone, today or date.today())
    return out


class SuccessPlanService(AccountOwnedService[SuccessPlan]):
    model = SuccessPlan
    entity = "success plan"
    sortable = {
        "target_date": SuccessPlan.target_date,
        "created_at": SuccessPlan.created_at,
        "title": SuccessPlan.title,
    }
    default_sort = "-created_at"
    required_fields = ("title", "status")
    user_fields = ("owner_id",)

    def where_clauses(self, filters: SuccessPlanFilters) -> list[ColumnElement[bool]]:
        clauses = super().where_clauses(filters)
        if filters.owner_id is not None:
            clauses.append(SuccessPlan.owner_id == filters.owner_id)
        if filters.status is not None:
            clauses.append(SuccessPlan.status == filters.status)
        return clauses

    def create(self, session: Session, principal: Principal, data: BaseModel) -> SuccessPlan:
        assert isinstance(data, SuccessPlanCreate)
        values = data.model_dump(exclude={"outcomes"})
        self.check_account(session, principal, data.account_id)
        _check_dates(values)
        if values["owner_id"] is None:
            account = session.get(Account, data.account_id)
            assert account is not None
            values["owner_id"] = account.csm_id or account.owner_am_id or principal.user_id
        plan = self.insert(session, principal, values)
        for outcome in data.outcomes:
            self.add_outcome(session, principal, plan.id, outcome)
        return plan

    def validate_update(
        self, session: Session, principal: Principal, record: SuccessPlan, changes: dict[str, Any]
    ) -> None:
        _check_dates(
            {
                "start_date": changes.get("start_date", record.start_date),
                "target_date": changes.get("target_date", record.target_date),
            }
        )

    def add_outcome(
        self, session: Session, principal: Principal, plan_id: int, data: OutcomeIn
    ) -> PlanOutcome:
        plan = self.get(session, principal, plan_id)
        position = session.scalar(select(func.count()).where(PlanOutcome.plan_id == plan.id))
        outcome = PlanOutcome(plan_id=plan.id, position=int(position or 0), **data.model_dump())
        crud.create(session, principal.user_id, outcome)
        return outcome

    def update_outcome(
        self,
        session: Session,
        principal: Principal,
        plan_id: int,
        outcome_id: int,
        data: OutcomeUpdate,
    ) -> PlanOutcome:
        plan = self.get(session, principal, plan_id)
        outcome = session.get(PlanOutcome, outcome_id)
        if outcome is None or outcome.plan_id != plan.id:
            raise NotFound("outcome", outcome_id)
        changes = data.model_dump(exclude_unset=True)
        if "description" in changes and changes["description"] is None:
            raise InvalidField("description", "may not be null")
        crud.update(session, principal.user_id, outcome, changes)
        return outcome

    def add_milestone(
        self, session: Session, principal: Principal, plan_id: int, data: MilestoneIn
    ) -> Milestone:
        plan = self.get(session, principal, plan_id)
        if data.outcome_id is not None:
            outcome = session.get(PlanOutcome, data.outcome_id)
            if outcome is None or outcome.plan_id != plan.id:
                raise InvalidField("outcome_id", f"no outcome {data.outcome_id} in this plan")
        return milestone_service.add(
            session,
            principal,
            account_id=plan.account_id,
            values=data.model_dump() | {"success_plan_id": plan.id},
            default_owner=plan.owner_id,
        )

    def detail(self, session: Session, principal: Principal, plan_id: int) -> SuccessPlanDetail:
        plan = self.get(session, principal, plan_id)
        outcomes = session.scalars(
            select(PlanOutcome).where(PlanOutcome.plan_id == plan.id).order_by(PlanOutcome.position)
        )
        milestones = milestone_service.of_parent(session, success_plan_id=plan.id)
        today = date.today()
        out = [milestone_out(m, today) for m in milestones]
        return SuccessPlanDetail(
            **SuccessPlanOut.model_validate(plan).model_dump(),
            outcomes=list(outcomes),
            milestones=out,
            milestones_done=sum(m.status == MilestoneStatus.DONE for m in out),
            milestones_overdue=sum(m.overdue for m in out),
        )


def _check_dates(values: dict[str, Any]) -> None:
    start, target = values.get("start_date"), values.get("target_date")
    if start is not None and target is not None and target < start:
        raise InvalidField("target_date", "must not be before the start date")


class MilestoneService(AccountOwnedService[Milestone]):
    """Milestones of success plans and onboarding projects: one set of rules for both."""

    model = Milestone
    entity = "milestone"
    sortable = {"due_date": Milestone.due_date, "position": Milestone.position}
    default_sort = "due_date"
    required_fields = ("title", "status", "marks_value")
    user_fields = ("owner_id",)
    archivable = False

    def where_clauses(self, filters: MilestoneFilters) -> list[ColumnElement[bool]]:
        clauses = super().where_clauses(filters)
        if filters.owner_id is not None:
            clauses.append(Milestone.owner_id == filters.owner_id)
        if filters.status is not None:
            clauses.append(Milestone.status == filters.status)
        if filters.open_only:
            clauses.append(Milestone.status.not_in(FINISHED_MILESTONE))
        if filters.due_before is not None:
            clauses.append(Milestone.due_date < filters.due_before)
        return clauses

    def add(
        self,
        session: Session,
        principal: Principal,
        *,
        account_id: int,
        values: dict[str, Any],
        default_owner: int | None,
    ) -> Milestone:
        parent = {
            "success_plan_id": values.get("success_plan_id"),
            "onboarding_project_id": values.get("onboarding_project_id"),
        }
        position = session.scalar(
            select(func.count()).where(
                *(getattr(Milestone, k) == v for k, v in parent.items() if v is not None)
            )
        )
        values = values | {
            "account_id": account_id,
            "owner_id": values.get("owner_id") or default_owner,
            "position": int(position or 0),
        }
        return self.insert(session, principal, values)

    def of_parent(
        self,
        session: Session,
        *,
        success_plan_id: int | None = None,
        onboarding_project_id: int | None = None,
    ) -> list[Milestone]:
        statement = select(Milestone).order_by(Milestone.position, Milestone.id)
        if success_plan_id is not None:
            statement = statement.where(Milestone.success_plan_id == success_plan_id)
        else:
            statement = statement.where(Milestone.onboarding_project_id == onboarding_project_id)
        return list(session.scalars(statement))

    def validate_update(
        self, session: Session, principal: Principal, record: Milestone, changes: dict[str, Any]
    ) -> None:
        if "outcome_id" in changes and changes["outcome_id"] is not None:
            outcome = session.get(PlanOutcome, changes["outcome_id"])
            if outcome is None or outcome.plan_id != record.success_plan_id:
                raise InvalidField("outcome_id", f"no outcome {changes['outcome_id']} in this plan")
        status = changes.get("status", record.status)
        if status == MilestoneStatus.DONE and record.status != MilestoneStatus.DONE:
            changes["completed_at"] = utcnow()
        elif status != MilestoneStatus.DONE and record.status == MilestoneStatus.DONE:
            changes["completed_at"] = None

    def after_write(
        self, session: Session, record: Milestone, previous_account_id: int | None = None
    ) -> None:
        # Onboarding (a layer above) keeps its project's progress from its milestones.
        events.publish(MilestoneWritten(session, record))


success_plan_service = SuccessPlanService()
milestone_service = MilestoneService()
