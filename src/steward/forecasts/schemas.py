from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from steward.core.schemas import Day


class Band(BaseModel):
    """Expected value and the 10th / 50th / 90th percentiles of the simulated outcomes."""

    expected: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal


class QuarterForecast(BaseModel):
    quarter: str
    start: Day
    end: Day
    renewals_due: int
    arr_due: Decimal
    expected_arr_lost: Decimal  # Σ churn probability × ARR of the renewals due
    expected_expansion: Decimal  # Σ P(renew) × ARR × (mean renewal ratio − 1)
    renewals: Band  # ARR renewed, with expansion
    arr_end: Band  # ARR of today's customers at the quarter's end
    pipeline_weighted: Decimal  # new business, upsell and cross-sell closing in the quarter
    arr_end_with_pipeline: Band


class RenewalAtRisk(BaseModel):
    account_id: int
    account_name: str
    owner_name: str | None
    segment: str
    renewal_date: Day
    arr: Decimal
    churn_probability: float
    expected_renewal_arr: Decimal
    arr_at_risk: Decimal
    reasons: list[dict[str, Any]]


class PipelineRow(BaseModel):
    group: str
    opportunities: int
    amount: Decimal
    weighted: Decimal


class Pipeline(BaseModel):
    until: Day
    by_category: list[PipelineRow]
    by_stage: list[PipelineRow]
    total: PipelineRow


class ForecastReport(BaseModel):
    currency: str
    scope: str
    made_on: Day
    scored_on: Day | None
    model_id: int | None
    runs: int
    customers: int
    current_arr: Decimal
    quarters: list[QuarterForecast]
    at_risk: list[RenewalAtRisk]
    pipeline: Pipeline


class ForecastOutcome(BaseModel):
    """A stored forecast beside what happened (actual is None until the period closes)."""

    id: int | None  # None: a backtest not stored
    kind: str
    scope: str
    period: str
    period_start: Day
    period_end: Day
    made_on: Day
    backtest: bool
    expected: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal
    actual: Decimal | None
    error: float | None  # (forecast − actual) / actual
    within_band: bool | None


class BacktestQuarter(BaseModel):
    quarter: str
    made_on: Day
    skipped: str | None = None
    model_auc: float | None = None
    renewals_due: int = 0
    renewals: Band | None = None
    actual_renewed: Decimal | None = None
    error: float | None = None
    within_band: bool | None = None
    arr: list[ForecastOutcome] = []


class BacktestReport(BaseModel):
    currency: str
    runs: int
    quarters: list[BacktestQuarter]
    renewals_mape: float | None  # mean |forecast − actual| / actual of the expected values
    renewals_bias: float | None  # mean (forecast − actual) / actual
    renewals_within_band: int
    arr_mape_by_horizon: dict[int, float]  # quarters ahead → mean absolute % error
    arr_within_band: int
    arr_forecasts: int
