"""Retention of the book's customers (SPEC §5): Kaplan–Meier curves and the sBG model per
segment, tier or yearly cohort, a Cox model of what shortens lives, and the current customers'
lifetime value by DERL beside the simpler forms.

A customer is a revenue unit (an account with its children). Its life is its first spell with
ARR at month-ends, read from the same revenue cube as the revenue reports, so "churned" here is
SPEC §3's churn. Renewal periods are years: a customer who churned after L months left at the end
of year ⌈L/12⌉; one still active after L months has renewed ⌊(L−1)/12⌋ times.

lifelines and SciPy are imported when a report is made, not with the module: the server would
otherwise take seconds longer to start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from steward.core.cache import FigureCache
from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.retention import schemas
from steward.revenue.ledger import month_index, month_label
from steward.revenue.service import cubes, lifetime_value, money, revenue_state

GROUPINGS = ("segment", "tier", "cohort")
PERIOD_MONTHS = 12
PROJECTED_YEARS = 5
# Below a tenth of a percent a year, discounting no longer bounds a loyal customer's lifetime:
# the sBG value runs to infinity as the rate goes to 0 (5e-324 once answered 500).
MIN_DISCOUNT_RATE = 0.001
ALL = "All"

if TYPE_CHECKING:
    from steward.retention.sbg import SbgFit


@dataclass(frozen=True)
class Lifetime:
    unit_id: int
    first_month: int
    months: int  # with ARR at a month-end, up to churn or the last month-end
    churned: bool
    first_arr: int  # scaled, as the cube holds ARR
    arr: int  # at the last month-end (0 once churned)
    segment: str
    tier: str

    @property
    def cohort(self) -> str:
        return str(self.first_month // 12)

    @property
    def churn_period(self) -> int:
        return -(-self.months // PERIOD_MONTHS)

    @property
    def renewals(self) -> int:
        return (self.months - 1) // PERIOD_MONTHS


def lifetimes(session: Session, principal: Principal, currency: str, last: int) -> list[Lifetime]:
    out = []
    for unit, first, ended, first_arr, arr, segment, tier in cubes.get(
        session, principal, currency
    ).lifetimes(last):
        out.append(
            Lifetime(
                unit_id=unit,
                first_month=first,
                months=(ended if ended is not None else last + 1) - first,
                churned=ended is not None,
                first_arr=first_arr,
                arr=arr,
                segment=segment,
                tier=tier,
            )
        )
    return out


def pooled_retention(group: list[Lifetime]) -> float | None:
    """The one yearly renewal rate that best explains the group if all customers were alike
    (the geometric model's maximum likelihood: renewals over renewal decisions)."""
    decisions = sum(life.churn_period if life.churned else life.renewals for life in group)
    churned = sum(1 for life in group if life.churned)
    return None if decisions == 0 else 1 - churned / decisions


def _fit_sbg(group: list[Lifetime]) -> SbgFit:
    from steward.retention import sbg

    return sbg.fit_sbg_lifetimes(
        [life.churn_period for life in group if life.churned],
        [life.renewals for life in group if not life.churned],
    )


def _valuation(
    group: list[Lifetime],
    fit: SbgFit | None,
    simple_rate: dict[str, float | None],
    discount_rate: float,
    gross_margin: float,
) -> schemas.GroupValuation:
    from steward.retention.sbg import constant_retention_value

    current = [life for life in group if life.arr > 0]
    margin = Decimal(str(gross_margin))
    arr = sum(life.arr for life in current)
    derl_value = None
    if fit is not None:
        derl_value = sum(
            Decimal(life.arr) * Decimal(fit.derl(discount_rate, life.renewals)) for life in current
        )
    pooled = pooled_retention(group)
    constant = None
    if pooled is not None:
        constant = Decimal(arr) * Decimal(constant_retention_value(pooled, discount_rate))
    simple: Decimal | None = Decimal(0)
    for life in current:
        rate = simple_rate.get(life.segment)
        if not rate:
            simple = None
            break
        assert simple is not None
        simple += Decimal(life.arr) / 12 / Decimal(str(rate))
    return schemas.GroupValuation(
        customers=len(current),
        arr=money(arr),
        derl_value=None if derl_value is None else money(int(derl_value * margin)),
        constant_retention_rate=pooled,
        constant_retention_value=None if constant is None else money(int(constant * margin)),
        simple_value=None if simple is None else money(int(simple * margin)),
    )


def _group(
    name: str,
    group: list[Lifetime],
    simple_rate: dict[str, float | None],
    discount_rate: float,
    gross_margin: float,
) -> schemas.RetentionGroup:
    import numpy as np

    from steward.retention import survival

    months = np.array([life.months for life in group])
    churned = np.array([life.churned for life in group], dtype=int)
    curve = survival.kaplan_meier(months, churned)
    fit: SbgFit | None = None
    error = None
    try:
        fit = _fit_sbg(group)
    except ValueError as exc:
        error = str(exc)
    years = range(1, PROJECTED_YEARS + 1)
    return schemas.RetentionGroup(
        group=name,
        customers=len(group),
        churned=int(churned.sum()),
        active=len(group) - int(churned.sum()),
        median_lifetime_months=curve.median_months,
        survival_12=curve.survival_at(12),
        survival_24=curve.survival_at(24),
        survival_36=curve.survival_at(36),
        curve=[schemas.CurvePoint(**vars(p)) for p in curve.points],
        sbg=None
        if fit is None
        else schemas.SbgParameters(
            alpha=fit.alpha,
            beta=fit.beta,
            log_likelihood=fit.log_likelihood,
            mean_churn_probability=fit.mean_churn_probability,
            heterogeneous=fit.heterogeneous,
            survival=[fit.survival(t) for t in years],
            retention_rates=[fit.retention_rate(t) for t in years],
        ),
        sbg_error=error,
        valuation=_valuation(group, fit, simple_rate, discount_rate, gross_margin),
    )


def _cox(group: list[Lifetime]) -> schemas.CoxSummary:
    import numpy as np
    import pandas as pd

    from steward.retention import survival

    frame = pd.DataFrame(
        {
            "months": [life.months for life in group],
            "churned": [int(life.churned) for life in group],
            "segment": [life.segment for life in group],
            "tier": [life.tier for life in group],
            # ARR at the start, in decades of the currency: HR per ×10 the size
            "log10_first_arr": [np.log10(max(life.first_arr, 1) / 1_000_000) for life in group],
        }
    )
    model = survival.cox_model(frame, ["segment", "tier"], ["log10_first_arr"])
    return schemas.CoxSummary(
        customers=model.customers,
        churned=model.churned,
        concordance=model.concordance,
        baseline=model.baseline,
        hazard_ratios=[schemas.HazardRatio(**vars(h)) for h in model.hazard_ratios],
    )


def retention_report(
    session: Session,
    principal: Principal,
    currency: str,
    *,
    by: str,
    today: date,
    discount_rate: float,
    gross_margin: float,
) -> schemas.RetentionReport:
    if by not in GROUPINGS:
        raise InvalidField("by", f"must be one of {', '.join(GROUPINGS)}")
    if not MIN_DISCOUNT_RATE <= discount_rate <= 1:
        raise InvalidField("discount_rate", f"must be from {MIN_DISCOUNT_RATE} to 1")
    key = (revenue_state(session, principal, currency, today), by, discount_rate, gross_margin)
    return _reports.get(
        key,
        lambda: _retention_report(
            session, principal, currency, by, today, discount_rate, gross_margin
        ),
    )


# The fits (Kaplan–Meier, sBG, Cox) are kept per state of the revenue data and book: they
# cost most of a second and change only when contracts, accounts or rates do.
_reports = FigureCache(schemas.RetentionReport, max_entries=64)


def _retention_report(
    session: Session,
    principal: Principal,
    currency: str,
    by: str,
    today: date,
    discount_rate: float,
    gross_margin: float,
) -> schemas.RetentionReport:
    last = month_index(today) - 1  # the last month-end that has passed
    lives = lifetimes(session, principal, currency, last)
    simple = lifetime_value(
        session,
        principal,
        currency,
        month=month_label(last),
        by="segment",
        gross_margin=gross_margin,
        today=today,
    )
    simple_rate = {g.group: g.monthly_revenue_churn_rate for g in simple.groups}
    groups: dict[str, list[Lifetime]] = {}
    for life in lives:
        groups.setdefault(getattr(life, by), []).append(life)
    report_groups = []
    if lives:
        report_groups.append(_group(ALL, lives, simple_rate, discount_rate, gross_margin))
        for name in sorted(groups):
            report_groups.append(
                _group(name, groups[name], simple_rate, discount_rate, gross_margin)
            )
    cox = None
    cox_error = None
    try:
        cox = _cox(lives)
    except ValueError as exc:
        cox_error = str(exc)
    return schemas.RetentionReport(
        currency=currency,
        as_of_month=month_label(last),
        by=by,
        discount_rate=discount_rate,
        gross_margin=gross_margin,
        groups=report_groups,
        cox=cox,
        cox_error=cox_error,
    )
