from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from steward.core.schemas import Day, Instant


class ChurnReason(BaseModel):
    key: str
    label: str
    points: float  # how much the account's own values raise its probability (0.12 = 12 pts)
    detail: str  # the account's values
    # Which side of a typical customer's values, and that it raises risk ("" on scores stored
    # before directions were kept).
    direction: str = ""


class CalibrationBinOut(BaseModel):
    low: float
    high: float
    count: int
    mean_predicted: float
    observed_rate: float


class CustomFeatureOut(BaseModel):
    key: str
    label: str
    use: str = Field(description="history (the value each past day had) or fixed (today's)")


class ChurnModelOut(BaseModel):
    id: int
    status: str
    as_of: Day
    trained_at: Instant
    rows: int
    positives: int
    chosen: str = "ensemble"
    holdout_start: Day
    test_rows: int
    test_positives: int
    base_rate: float
    auc: float
    brier: float
    baseline_auc: float
    baseline_brier: float
    calibration: list[CalibrationBinOut]
    library_version: str
    custom_features: list[CustomFeatureOut] = Field(
        default_factory=list,
        description="Account custom fields it learned from besides the built-in features",
    )


class AccountChurnRisk(BaseModel):
    account_id: int
    account_name: str
    owner_name: str | None
    segment: str
    probability: float
    renewal_date: Day
    arr: Decimal
    arr_at_risk: Decimal  # probability × ARR
    reasons: list[ChurnReason]
    as_of: Day
    model_id: int


class ChurnRiskList(BaseModel):
    currency: str
    as_of: Day | None
    model_id: int | None
    total: int
    expected_arr_lost: Decimal
    items: list[AccountChurnRisk]


class RiskPoint(BaseModel):
    account_id: int
    account_name: str
    probability: float
    arr: Decimal
    arr_at_risk: Decimal  # probability × ARR


class RiskChart(BaseModel):
    """The customers with the most ARR at risk, as the Risk page plots them."""

    currency: str
    items: list[RiskPoint]


class RiskTotals(BaseModel):
    """What the Risk page totals over every score of the day (kept per workspace revision)."""

    count: int
    expected_lost_minor: int
    top_model_id: int | None
