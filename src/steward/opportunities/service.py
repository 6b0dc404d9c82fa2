"""Opportunities: stage and probability, forecast category, and closing (with the hand-off)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from steward.accounts.owned import AccountOwnedService
from steward.core import audit, crud
from steward.core.errors import Conflict, InvalidField
from steward.core.money import from_minor, to_minor
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.fields.models import Entity
from steward.opportunities.models import (
    CLOSED_STAGES,
    STAGE_PROBABILITY,
    ForecastCategory,
    Opportunity,
    OpportunityLineItem,
    OpportunityType,
    Stage,
)
from steward.opportunities.schemas import (
    OpportunityClose,
    OpportunityCreate,
    OpportunityFilters,
    OpportunityLineItemIn,
    OpportunityLineItemOut,
    OpportunityOut,
)
from steward.products.models import BillingPeriod, Product
from steward.products.pricing import arr_scaled, scaled_to_minor, settled_price


def _priced_lines(
    session: Session, items: list[OpportunityLineItemIn], field: str = "line_items"
) -> list[OpportunityLineItem]:
    """Line items with their prices settled (the product's list price and billing period
    unless given), not yet written."""
    lines = []
    for index, item in enumerate(items):
        product = session.get(Product, item.product_id)
        if product is None or product.archived_at is not None:
            raise InvalidField(
                f"{field}.{index}.product_id", f"no product with id {item.product_id}"
            )
        price, period = settled_price(product, item.unit_price, item.billing_period)
        lines.append(
            OpportunityLineItem(
                product_id=product.id,
                quantity=item.quantity,
                unit_price_minor=price,
                billing_period=period,
                discount_pct=item.discount_pct,
            )
        )
    return lines


def line_arr_scaled(line: OpportunityLineItem) -> int:
    return arr_scaled(line.quantity, line.unit_price_minor, line.discount_pct, line.billing_period)


def lines_arr_minor(lines: list[OpportunityLineItem]) -> int:
    """The deal's amount: its lines' ARR (what the contract a win makes is worth a year)."""
    total = sum(line_arr_scaled(line) for line in lines)
    return scaled_to_minor(total)


def line_items_of(session: Session, opportunity_id: int) -> list[OpportunityLineItem]:
    return list(
        session.scalars(
            select(OpportunityLineItem)
            .where(OpportunityLineItem.opportunity_id == opportunity_id)
            .order_by(OpportunityLineItem.id)
        )
    )


def to_out(session: Session, opportunity: Opportunity) -> OpportunityOut:
    out = OpportunityOut.model_validate(opportunity)
    out.line_items = [
        OpportunityLineItemOut(
            id=line.id,
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=from_minor(line.unit_price_minor),
            billing_period=BillingPeriod(line.billing_period),
            discount_pct=line.discount_pct,
            arr=from_minor(scaled_to_minor(line_arr_scaled(line))),
        )
        for line in line_items_of(session, opportunity.id)
    ]
    return out


class OpportunityService(AccountOwnedService[Opportunity]):
    custom_entity = Entity.OPPORTUNITY
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
        assert isinstance(data, OpportunityCreate)
        values = data.model_dump(exclude={"line_items"})
        self._check_one_renewal(session, values.get("type"), values.get("contract_id"), None)
        lines = _priced_lines(session, data.line_items)
        if lines and "amount" in data.model_fields_set:
            raise InvalidField("amount", "is the line items' ARR when they are given; leave it out")
        values["amount_minor"] = lines_arr_minor(lines) if lines else to_minor(values.pop("amount"))
        values.pop("amount", None)
        if values["probability"] is None:
            values["probability"] = STAGE_PROBABILITY[values["stage"]]
        if values["owner_id"] is None:
            values["owner_id"] = principal.user_id
        opportunity = self.insert(session, principal, values)
        self._write_lines(session, principal, opportunity, lines)
        return opportunity

    def _write_lines(
        self,
        session: Session,
        principal: Principal,
        opportunity: Opportunity,
        lines: list[OpportunityLineItem],
    ) -> None:
        for line in lines:
            line.opportunity_id = opportunity.id
            session.add(line)
        session.flush()
        for line in lines:
            audit.record(session, actor_id=principal.user_id, action="create", entity=line)

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
        if "line_items" in changes:
            items = [OpportunityLineItemIn(**item) for item in changes.pop("line_items") or []]
            lines = _priced_lines(session, items, "line_items")
            if lines and "amount" in changes:
                raise InvalidField(
                    "amount", "is the line items' ARR when they are given; leave it out"
                )
            session.execute(
                delete(OpportunityLineItem).where(OpportunityLineItem.opportunity_id == record.id)
            )
            self._write_lines(session, principal, record, lines)
            if lines:
                changes["amount_minor"] = lines_arr_minor(lines)
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
        return opportunity


opportunity_service = OpportunityService()
