"""API shapes of the renewal calendar."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel


class RenewalOpportunity(BaseModel):
    id: int
    name: str
    stage: str
    probability: int
    forecast_category: str
    amount: Decimal


class Renewal(BaseModel):
    contract_id: int
    contract_name: str
    account_id: int
    account_name: str
    owner_id: int | None
    owner_name: str | None
    end_date: date  # exclusive: the contract covers days before it
    days_left: int
    auto_renew: bool
    currency: str
    arr: Decimal  # on the contract's last day, in its currency
    arr_in_workspace_currency: Decimal | None  # null when no exchange rate is known
    renewed: bool  # a renewal contract already follows it
    opportunity: RenewalOpportunity | None


class RenewalMonth(BaseModel):
    month: str
    contracts: int
    renewed: int
    arr_at_stake: Decimal  # workspace currency, contracts not yet renewed


class RenewalCalendar(BaseModel):
    currency: str
    days: int
    total: int
    limit: int
    offset: int
    items: list[Renewal]
    by_month: list[RenewalMonth]
