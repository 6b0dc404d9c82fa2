from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field, field_validator

from steward.core.money import from_minor
from steward.core.schemas import Amount, InputModel, Instant, Name, OutputModel
from steward.products.models import BillingPeriod


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
