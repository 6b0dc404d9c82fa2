from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel


class CurvePoint(BaseModel):
    month: int
    survival: float
    low: float  # 95 % confidence band
    high: float
    at_risk: int


class SbgParameters(BaseModel):
    """The shifted-beta-geometric model fitted on the group's yearly renewals."""

    alpha: float
    beta: float
    log_likelihood: float
    mean_churn_probability: float  # α/(α+β): a new customer's chance of leaving at year one
    heterogeneous: bool  # False: the data show one renewal rate for all (α, β very large)
    # Projected: share still customers after 1..5 years; renewal rate in years 1..5.
    survival: list[float]
    retention_rates: list[float]


class GroupValuation(BaseModel):
    """What the group's current customers are worth in future margin (CLTV), three ways."""

    customers: int
    arr: Decimal
    # sBG: Σ margin × ARR × DERL(d | α, β, renewals made) (Fader & Hardie 2010)
    derl_value: Decimal | None
    # Every customer renewing at the group's pooled rate r: Σ margin × ARR × r(1+d)/(1+d−r)
    constant_retention_rate: float | None
    constant_retention_value: Decimal | None
    # SPEC §3's simple form per customer, summed: MRR × margin / monthly revenue churn rate
    simple_value: Decimal | None


class RetentionGroup(BaseModel):
    group: str
    customers: int
    churned: int
    active: int
    median_lifetime_months: float | None
    survival_12: float | None
    survival_24: float | None
    survival_36: float | None
    curve: list[CurvePoint]
    sbg: SbgParameters | None
    sbg_error: str | None
    valuation: GroupValuation


class HazardRatio(BaseModel):
    covariate: str
    hazard_ratio: float
    low: float
    high: float
    p_value: float


class CoxSummary(BaseModel):
    customers: int
    churned: int
    concordance: float
    baseline: dict[str, str]
    hazard_ratios: list[HazardRatio]


class RetentionReport(BaseModel):
    currency: str
    as_of_month: str  # the last month-end observed
    by: str
    discount_rate: float
    gross_margin: float
    groups: list[RetentionGroup]  # "All" first
    cox: CoxSummary | None
    cox_error: str | None
