"""API shapes of revenue metrics. Amounts are ARR in the workspace currency (2 decimals);
rates are fractions (1.05 = 105 %), null when their base is empty."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from steward.core.schemas import Day


class Waterfall(BaseModel):
    month: str | None = None  # the month (monthly series) or null (whole period)
    # closed: the month is over, figures at its last day; to_date: the current month, at today
    # (nothing counts as churned before its contract has ended); projected: a month to come,
    # at its last day from contracts as they stand. The whole period takes its last month's.
    status: Literal["closed", "to_date", "projected"] = "closed"
    start_arr: Decimal
    new: Decimal
    reactivation: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    end_arr: Decimal
    start_logos: int
    new_logos: int
    reactivated_logos: int
    churned_logos: int
    end_logos: int


class RetentionFigures(BaseModel):
    window_start: str  # month-end t0 (exclusive)
    window_end: str  # month-end t1
    base_arr: Decimal
    base_logos: int
    nrr: float | None
    grr: float | None
    logo_retention: float | None
    logo_churn_rate: float | None
    revenue_churn_rate: float | None


class RenewalFigures(BaseModel):
    due: int
    renewed: int
    pending: int
    due_arr: Decimal
    renewed_arr: Decimal
    renewal_rate: float | None
    dollar_renewal_rate: float | None


class GroupRevenue(BaseModel):
    group: str
    waterfall: Waterfall
    months: list[Waterfall]
    retention: RetentionFigures | None
    expansion_revenue: Decimal
    renewals: RenewalFigures


class RevenueReport(BaseModel):
    currency: str
    from_month: str
    to_month: str
    by: str
    groups: list[GroupRevenue]


class RetentionPoint(BaseModel):
    group: str
    figures: RetentionFigures


class RetentionTrend(BaseModel):
    currency: str
    window_months: int
    points: list[RetentionPoint]


class CohortCell(BaseModel):
    months_since_start: int
    logos: int
    arr: Decimal
    logo_retention: float | None
    revenue_retention: float | None


class CohortRow(BaseModel):
    cohort: str
    logos: int
    base_arr: Decimal
    cells: list[CohortCell]


class CohortTable(BaseModel):
    currency: str
    grain: str
    rows: list[CohortRow]


class LifetimeValue(BaseModel):
    group: str
    logos: int
    arpa_mrr: Decimal  # average MRR per revenue unit at the month-end
    gross_margin: float
    monthly_revenue_churn_rate: float | None
    cltv: Decimal | None  # ARPA × gross margin / monthly revenue churn rate


class LifetimeValueReport(BaseModel):
    currency: str
    month: str
    by: str
    groups: list[LifetimeValue]


class AccountLifetimeValue(BaseModel):
    account_id: int  # the revenue unit: the top of the hierarchy within the reader's book
    name: str | None
    segment: str
    mrr: Decimal
    monthly_revenue_churn_rate: float | None  # the segment's
    cltv: Decimal | None


class AccountLifetimeValueReport(BaseModel):
    currency: str
    month: str
    gross_margin: float
    total: int
    items: list[AccountLifetimeValue]


class AccountRevenue(BaseModel):
    account_id: int
    at: Day
    currency: str
    mrr: Decimal  # the account and its subsidiaries in the reader's book
    arr: Decimal
    own_arr: Decimal  # the account alone
    subsidiaries: int
    missing_rates: list[str]  # currencies left out for want of an exchange rate
