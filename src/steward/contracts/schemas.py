from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, model_validator

from steward.contracts.models import BillingPeriod, LineItemKind
from steward.core.schemas import (
    MAX_ID,
    Amount,
    Day,
    ExternalId,
    InputModel,
    Instant,
    Name,
    OutputModel,
    Percent,
    PositiveId,
    Quantity,
)
from steward.fields.schemas import CUSTOM_FIELDS_IN, CUSTOM_FIELDS_OUT
from steward.products.schemas import PricedLineIn


class LineItemIn(PricedLineIn):
    start_date: Day | None = Field(default=None, description="Default: the contract's start")
    end_date: Day | None = Field(default=None, description="Exclusive; default: the contract's end")
    kind: LineItemKind = LineItemKind.INITIAL


class ContractCreate(InputModel):
    account_id: PositiveId
    name: Name
    start_date: Day
    end_date: Day = Field(description="Exclusive: the first day no longer covered")
    auto_renew: bool = False
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    renewal_of_id: PositiveId | None = None
    external_id: ExternalId | None = None
    notes: str | None = Field(default=None, max_length=2000)
    line_items: list[LineItemIn] = Field(default_factory=list, max_length=200)
    custom_fields: dict[str, Any] | None = CUSTOM_FIELDS_IN

    @model_validator(mode="after")
    def _dates(self) -> ContractCreate:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        return self


class ContractUpdate(InputModel):
    """Terms and prices change through amendments; these fields are free to edit."""

    name: Name | None = None
    auto_renew: bool | None = None
    external_id: ExternalId | None = None
    notes: str | None = Field(default=None, max_length=2000)
    custom_fields: dict[str, Any] | None = CUSTOM_FIELDS_IN


class AmendmentItem(InputModel):
    supersedes_id: PositiveId | None = Field(
        default=None, description="The line item this one replaces from the effective date"
    )
    product_id: PositiveId | None = Field(default=None, description="Default: the replaced item's")
    quantity: Quantity
    unit_price: Amount | None = None
    billing_period: BillingPeriod | None = None
    discount_pct: Percent | None = None
    kind: LineItemKind


class AmendmentCreate(InputModel):
    effective_date: Day
    items: list[AmendmentItem] = Field(min_length=1, max_length=200)


class LineItemOut(OutputModel):
    id: int
    contract_id: int
    product_id: int
    product_name: str | None = None
    kind: LineItemKind
    quantity: int
    unit_price: Decimal
    billing_period: BillingPeriod
    discount_pct: Decimal
    start_date: Day
    end_date: Day
    supersedes_id: int | None
    mrr: Decimal = Field(description="This item's monthly recurring value")
    created_at: Instant


class ContractOut(OutputModel):
    id: int
    account_id: int
    external_id: str | None
    name: str
    start_date: Day
    end_date: Day
    auto_renew: bool
    currency: str
    renewal_of_id: int | None
    notes: str | None
    mrr: Decimal = Field(description="MRR today")
    arr: Decimal = Field(description="ARR today (12 × MRR)")
    line_items: list[LineItemOut]
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None
    custom_fields: dict[str, Any] = CUSTOM_FIELDS_OUT


class ContractFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    ending_from: Day | None = None
    ending_to: Day | None = None
    active_on: Day | None = Field(default=None, description="Covering this day")
    auto_renew: bool | None = None
    include_archived: bool = False
