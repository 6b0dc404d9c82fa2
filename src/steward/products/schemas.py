from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field, field_validator

from steward.core.money import from_minor
from steward.core.schemas import (
    Amount,
    InputModel,
    Instant,
    Name,
    OutputModel,
    Percent,
    PositiveId,
    Quantity,
)
from steward.products.models import BillingPeriod


class PricedLineIn(InputModel):
    """A product sold at a price: a line of a contract or of a deal (a won deal's lines become
    its contract's, field for field)."""

    product_id: PositiveId
    quantity: Quantity = 1
    unit_price: Amount | None = Field(
        default=None, description="Per unit per billing period; default: the product's list price"
    )
    billing_period: BillingPeriod | None = Field(default=None, description="Default: the product's")
    discount_pct: Percent = Decimal("0")


class ProductCreate(InputModel):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: Name
    family: str | None = Field(default=None, max_length=80)
    list_price: Amount = Decimal("0")
    billing_period: BillingPeriod = BillingPeriod.ANNUAL
    is_recurring: bool = True
    is_per_seat: bool = False


class ProductUpdate(InputModel):
    sku: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: Name | None = None
    family: str | None = Field(default=None, max_length=80)
    list_price: Amount | None = None
    billing_period: BillingPeriod | None = None
    is_recurring: bool | None = None
    is_per_seat: bool | None = None


class ProductOut(OutputModel):
    id: int
    sku: str
    name: str
    family: str | None
    list_price: Decimal = Field(validation_alias="list_price_minor")
    billing_period: BillingPeriod
    is_recurring: bool
    is_per_seat: bool
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None

    @field_validator("list_price", mode="before")
    @classmethod
    def _from_minor(cls, value: int) -> Decimal:
        return from_minor(value)


class ProductFilters(BaseModel):
    family: str | None = Field(default=None, max_length=80)
    q: str | None = Field(default=None, max_length=200)
    include_archived: bool = False
