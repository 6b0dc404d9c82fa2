from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from steward.core.money import from_minor
from steward.core.schemas import (
    MAX_ID,
    Amount,
    Day,
    ExternalId,
    InputModel,
    Instant,
    Name,
    OutputModel,
    PositiveId,
)
from steward.fields.schemas import CUSTOM_FIELDS_IN, CUSTOM_FIELDS_OUT
from steward.opportunities.models import (
    ForecastCategory,
    OpportunityType,
    Stage,
    weighted_amount,
)
from steward.products.models import BillingPeriod
from steward.products.schemas import PricedLineIn

OpenStage = Literal["prospecting", "qualification", "discovery", "proposal", "negotiation"]
TermMonths = Annotated[int, Field(ge=1, le=120, description="Months of the contract a win makes")]


class OpportunityLineItemIn(PricedLineIn):
    """Priced as a contract's line item: the contract a win makes is built from these."""


class OpportunityLineItemOut(OutputModel):
    id: int
    product_id: int
    quantity: int
    unit_price: Decimal
    billing_period: BillingPeriod
    discount_pct: Decimal
    arr: Decimal = Field(description="What the line is worth a year (its ARR once won)")


class OpportunityCreate(InputModel):
    account_id: PositiveId
    name: Name
    type: OpportunityType
    stage: OpenStage = "prospecting"
    probability: int | None = Field(default=None, ge=0, le=100, description="Default: the stage's")
    amount: Amount = Decimal("0")
    close_date: Day
    forecast_category: ForecastCategory = ForecastCategory.PIPELINE
    owner_id: PositiveId | None = Field(default=None, description="Default: the caller")
    contract_id: PositiveId | None = None
    external_id: ExternalId | None = None
    term_months: TermMonths = 12
    line_items: list[OpportunityLineItemIn] = Field(
        default_factory=list,
        max_length=200,
        description="When given, the amount is their ARR (leave `amount` out)",
    )
    custom_fields: dict[str, Any] | None = CUSTOM_FIELDS_IN


class OpportunityUpdate(InputModel):
    """Open deals only; closing goes through POST /opportunities/{id}/close."""

    name: Name | None = None
    stage: OpenStage | None = None
    probability: int | None = Field(default=None, ge=0, le=100)
    amount: Amount | None = None
    close_date: Day | None = None
    forecast_category: ForecastCategory | None = None
    owner_id: PositiveId | None = None
    external_id: ExternalId | None = None
    term_months: TermMonths | None = None
    line_items: list[OpportunityLineItemIn] | None = Field(
        default=None, max_length=200, description="Replaces every line item (the amount follows)"
    )
    custom_fields: dict[str, Any] | None = CUSTOM_FIELDS_IN


class Handoff(InputModel):
    owner_am_id: PositiveId | None = Field(
        default=None, description="Receiving AM; default: the AM with the smallest book"
    )
    csm_id: PositiveId | None = Field(
        default=None, description="Receiving CSM; default: the CSM with the smallest book"
    )
    goals: str | None = Field(default=None, max_length=2000, description="What the buyer wants")
    stakeholders: str | None = Field(
        default=None, max_length=2000, description="Who decides, who uses, who signs"
    )
    promises: str | None = Field(
        default=None, max_length=2000, description="What was promised in the sale"
    )


class OpportunityClose(InputModel):
    outcome: Literal["won", "lost"]
    reason: str | None = Field(default=None, max_length=500)
    handoff: Handoff | None = Field(
        default=None, description="For a won new-business deal: who takes the account over"
    )


class OpportunityOut(OutputModel):
    id: int
    account_id: int
    external_id: str | None
    name: str
    type: OpportunityType
    stage: Stage
    probability: int
    amount: Decimal = Field(validation_alias="amount_minor")
    weighted_amount: Decimal = Decimal("0")
    close_date: Day
    forecast_category: ForecastCategory
    owner_id: int | None
    contract_id: int | None = Field(description="A won deal's contract (or the one it renews)")
    term_months: int
    line_items: list[OpportunityLineItemOut] = Field(default_factory=list)
    close_reason: str | None
    closed_at: Instant | None
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None

    custom_fields: dict[str, Any] = CUSTOM_FIELDS_OUT

    @field_validator("amount", mode="before")
    @classmethod
    def _from_minor(cls, value: int | Decimal) -> Decimal:
        return from_minor(value) if isinstance(value, int) else value

    def model_post_init(self, _context: object) -> None:
        self.weighted_amount = weighted_amount(self.amount, self.probability)


class OpportunityFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    owner_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    type: OpportunityType | None = None
    stage: Stage | None = None
    forecast_category: ForecastCategory | None = None
    open_only: bool = False
    close_from: Day | None = None
    close_to: Day | None = None
    include_archived: bool = False
