"""Time-to-churn curves with lifelines: Kaplan–Meier per group and a Cox proportional-hazards
model of what shortens or lengthens a customer's life. Durations are months with ARR at a
month-end; customers still active are right-censored at the last month-end."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError

MIN_COX_EVENTS = 10
COX_PENALIZER = 0.001  # a touch of ridge keeps rare categories from diverging


@dataclass(frozen=True)
class CurvePoint:
    month: int
    survival: float
    low: float
    high: float
    at_risk: int


@dataclass(frozen=True)
class KaplanMeier:
    customers: int
    churned: int
    median_months: float | None  # None while more than half are still customers
    points: list[CurvePoint] = field(default_factory=list)

    def survival_at(self, month: int) -> float | None:
        """S(month), or None past the last month observed."""
        if not self.points or month > self.points[-1].month:
            return None
        return next(p.survival for p in reversed(self.points) if p.month <= month)


def kaplan_meier(months: np.ndarray, churned: np.ndarray) -> KaplanMeier:
    """The product-limit curve with its 95 % (exponential Greenwood) band, read at every month
    from 0 to the longest observed duration."""
    fitter = KaplanMeierFitter().fit(months, event_observed=churned)
    horizon = int(months.max()) if len(months) else 0
    grid = np.arange(0, horizon + 1)
    band = fitter.confidence_interval_survival_function_
    low = band.iloc[:, 0].reindex(grid, method="ffill").to_numpy()
    high = band.iloc[:, 1].reindex(grid, method="ffill").to_numpy()
    survival = fitter.survival_function_at_times(grid).to_numpy()
    at_risk = np.array([(months >= m).sum() for m in grid])
    median = float(fitter.median_survival_time_)
    return KaplanMeier(
        customers=len(months),
        churned=int(churned.sum()),
        median_months=None if math.isinf(median) else median,
        points=[
            CurvePoint(int(m), float(s), float(lo), float(hi), int(n))
            for m, s, lo, hi, n in zip(grid, survival, low, high, at_risk, strict=True)
        ],
    )


@dataclass(frozen=True)
class HazardRatio:
    covariate: str
    hazard_ratio: float
    low: float
    high: float
    p_value: float


@dataclass(frozen=True)
class CoxModel:
    customers: int
    churned: int
    concordance: float
    baseline: dict[str, str]  # category → the level others are compared with
    hazard_ratios: list[HazardRatio]


def cox_model(frame: pd.DataFrame, categorical: list[str], numeric: list[str]) -> CoxModel:
    """Cox PH on `months`/`churned` with one-hot categories (the most common level of each is
    the baseline) and numeric covariates. Raises ValueError when it cannot be fitted."""
    events = int(frame["churned"].sum())
    if events < MIN_COX_EVENTS:
        raise ValueError(f"{events} churned customers; the Cox model needs {MIN_COX_EVENTS}")
    design = frame[["months", "churned", *numeric]].astype(float)
    baseline: dict[str, str] = {}
    for name in categorical:
        levels = frame[name].astype(str)
        baseline[name] = str(levels.value_counts().idxmax())
        for level in sorted(set(levels) - {baseline[name]}):
            design[f"{name}={level}"] = (levels == level).astype(float).to_numpy()
    # A column with no variation (every customer in one level) says nothing; lifelines fails.
    design = design.loc[:, (design.nunique() > 1) | design.columns.isin(["months", "churned"])]
    try:
        fitter = CoxPHFitter(penalizer=COX_PENALIZER).fit(
            design, duration_col="months", event_col="churned"
        )
    except ConvergenceError as error:
        raise ValueError(f"the Cox model did not converge: {error}") from None
    summary = fitter.summary
    return CoxModel(
        customers=len(design),
        churned=events,
        concordance=float(fitter.concordance_index_),
        baseline=baseline,
        hazard_ratios=[
            HazardRatio(
                covariate=str(name),
                hazard_ratio=float(row["exp(coef)"]),
                low=float(row["exp(coef) lower 95%"]),
                high=float(row["exp(coef) upper 95%"]),
                p_value=float(row["p"]),
            )
            for name, row in summary.iterrows()
        ],
    )
