"""Opportunities: stage and probability, forecast category, and closing (with the hand-off)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from steward.accounts import service as accounts_service
from steward.accounts.models import Account
from steward.accounts.owned import AccountOwnedService
from steward.core import crud
from steward.core.errors import Conflict, InvalidField
from steward.core.money import to_minor
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.opportunities.models import (
    CLOSED_STAGES,
    STAGE_PROBABILITY,
    ForecastCategory,
    Opportunity,
    OpportunityType,
    Stage,
)
from steward.opportunities.schemas import OpportunityClose, OpportunityFilters
from steward.tasks.models import Priority, Task, TaskSource
from steward.users.models import Role, User


def _least_loaded(session: Session, role: Role, column: Any) -> int | None:
    """The active user of a role with the fewest live accounts: a simple, fair routing rule."""
    load = (
        select(func.count(Account.id))
        .where(column == User.id, Account.archived_at.is_(None))
        .scalar_subquery()
    )
    statement = (
        select(User.id)
        .where(User.role == role, User.is_active.is_(True))
        .order_by(load, User.id)
        .limit(1)
    )
    return session.scalar(statement)


class OpportunityService(AccountOwnedService[Opportunity]):
    model = Opportunity
    entity = "opportunity"
    sortable = {
        "close_date": Opportunity.close_date,
        "amount": Opportunity.amount_minor,
        "stage": Opportunity.stage,
        "probability": Opportunity.probability,
        "name": Opportunity.name,
        "created_at": Opportunity.created_at,
    }
    default_sort = "close_date"
    required_fields = ("name", "stage", "probability", "amount", "close_date", "forecast_category")
    user_fields = ("owner_id",)

    def where_clauses(self, filters: OpportunityFilters) -> list[ColumnElement[bool]]:
        clauses = super().where_clauses(filters)
        for column, value in (
            (Opportunity.owner_id, filters.owner_id),
            (Opportunity.type, filters.type),
            (Opportunity.stage, filters.stage),
            (Opportunity.forecast_category, filters.forecast_category),
        ):
            if value is not None:
                clauses.append(column == value)
        if filters.open_only:
            clauses.append(Opportunity.stage.not_in(list(CLOSED_STAGES)))
        if filters.close_from is not None:
            clauses.append(Opportunity.close_date >= filters.close_from)
        if filters.close_to is not None:
            clauses.append(Opportunity.close_date <= filters.close_to)
        return clauses

    def _check_one_renewal(
        self, session: Session, kind: str | None, contract_id: int | None, own_id: int | None
    ) -> None:
        """A contract has one live renewal opportunity (a unique index holds it too)."""
        if kind != OpportunityType.RENEWAL or contract_id is None:
            return
        other = session.scalar(
            select(Opportunity.id).where(
                Opportunity.contract_id == contract_id,
                Opportunity.type == OpportunityType.RENEWAL,
                Opportunity.archived_at.is_(None),
                Opportunity.id != (own_id or 0),
            )
        )
        if other is not None:
            raise Conflict(
                f"contract {contract_id} already has renewal opportunity {other}; update that one"
            )

    def create(self, session: Session, principal: Principal, data: BaseModel) -> Opportunity:
        values = data.model_dump()
        self._check_one_renewal(session, values.get("type"), values.get("contract_id"), None)
        values["amount_minor"] = to_minor(values.pop("amount"))
        if values["probability"] is None:
            values["probability"] = STAGE_PROBABILITY[values["stage"]]
        if values["owner_id"] is None:
            values["owner_id"] = principal.user_id
        return self.insert(session, principal, values)

    def validate_update(
        self, session: Session, principal: Principal, record: Opportunity, changes: dict[str, Any]
    ) -> None:
        if record.stage in CLOSED_STAGES:
            raise InvalidField("stage", f"opportunity {record.id} is closed; it cannot be edited")
        self._check_one_renewal(
            session,
            changes.get("type", record.type),
            changes.get("contract_id", record.contract_id),
            record.id,
        )
        if "amount" in changes:
            changes["amount_minor"] = to_minor(changes.pop("amount"))
        if "stage" in changes and "probability" not in changes:
            changes["probability"] = STAGE_PROBABILITY[changes["stage"]]

    def close(
        self, session: Session, principal: Principal, opportunity_id: int, data: OpportunityClose
    ) -> Opportunity:
        opportunity = self.get(session, principal, opportunity_id)
        if opportunity.stage in CLOSED_STAGES:
            raise InvalidField("outcome", f"opportunity {opportunity.id} is already closed")
        won = data.outcome == "won"
        if not won and not data.reason:
            raise InvalidField("reason", "say why the deal was lost")
        crud.update(
            session,
            principal.user_id,
            opportunity,
            {
                "stage": Stage.CLOSED_WON if won else Stage.CLOSED_LOST,
                "probability": 100 if won else 0,
                "forecast_category": ForecastCategory.CLOSED if won else ForecastCategory.OMITTED,
                "close_reason": data.reason,
                "closed_at": utcnow(),
                "close_date": min(opportunity.close_date, date.today()),
            },
        )
        if won and opportunity.type == OpportunityType.NEW_BUSINESS:
            self._hand_off(session, principal, opportunity, data)
        return opportunity

    def _hand_off(
        self,
        session: Session,
        principal: Principal,
        opportunity: Opportunity,
        data: OpportunityClose,
    ) -> None:
        account = session.get(Account, opportunity.account_id)
        assert account is not None
        handoff = data.handoff
        am_id = (handoff.owner_am_id if handoff else None) or account.owner_am_id
        am_id = am_id or _least_loaded(session, Role.AM, Account.owner_am_id)
        csm_id = (handoff.csm_id if handoff else None) or account.csm_id
        csm_id = csm_id or _least_loaded(session, Role.CSM, Account.csm_id)
        if am_id is None:
            raise InvalidField("handoff.owner_am_id", "no active Account Manager to hand off to")
        accounts_service.hand_off(session, principal, account, owner_am_id=am_id, csm_id=csm_id)
        due = date.today() + timedelta(days=3)
        for assignee, title in (
            (am_id, f"Hand-off: meet {account.name}'s buyer and review the deal"),
            (csm_id, f"Hand-off: schedule the onboarding kick-off with {account.name}"),
        ):
            if assignee is None:
                continue
            task = Task(
                account_id=account.id,
                title=title,
                description=f"Won: {opportunity.name}. Notes from the AE: {data.reason or '—'}",
                assignee_id=assignee,
                created_by_id=principal.user_id,
                due_date=due,
                priority=Priority.HIGH,
                source=TaskSource.HANDOFF,
            )
            crud.create(session, principal.user_id, task)


opportunity_service = OpportunityService()
