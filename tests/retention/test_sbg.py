"""The sBG model: the fit reproduces Fader & Hardie (2007)'s published estimates on their Table 1
data, recovers known parameters from censored customers, and DERL (Fader & Hardie 2010)
equals its definition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from steward.retention.sbg import (
    constant_retention_value,
    derl,
    fit_sbg,
    fit_sbg_lifetimes,
    survival,
)
from tests.conftest import missing_service

SURVIVAL = Path(__file__).resolve().parents[1] / "data" / "sbg_fader_hardie_2007_survival.csv"
# Fader & Hardie (2007), "How to Project Customer Retention": fitted on years 0–7.
PUBLISHED = {"regular": (0.704, 1.182), "highend": (0.668, 3.806)}


def _three_significant(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.mark.parametrize("cohort", sorted(PUBLISHED))
def test_sbg_reproduces_the_published_parameters(cohort: str) -> None:
    if not SURVIVAL.is_file():
        missing_service(f"the sBG survival table at {SURVIVAL}")
    table = pd.read_csv(SURVIVAL)
    calibration = table[table["used_for_calibration"] == "yes"]
    fit = fit_sbg(calibration[f"{cohort}_active_of_1000"].tolist())
    alpha, beta = PUBLISHED[cohort]
    fitted = (_three_significant(fit.alpha), _three_significant(fit.beta))
    assert fitted == (_three_significant(alpha), _three_significant(beta))
    assert abs(fit.alpha - alpha) < 0.001 and abs(fit.beta - beta) < 0.002  # to the paper's 3 dp
    # The held-out years 8–12 are projected close to what happened (the paper's Figure 3).
    for row in table[table["used_for_calibration"] == "no"].itertuples():
        observed = getattr(row, f"{cohort}_pct_surviving") / 100
        assert abs(fit.survival(row.year) - observed) < 0.02, row.year


def test_sbg_survival_and_retention_follow_the_closed_forms() -> None:
    fit = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    assert survival(fit.alpha, fit.beta, 0) == pytest.approx(1.0)
    # S(t) = S(t−1) × r(t): the retention rate rises with tenure (the sorting effect).
    for t in range(1, 10):
        assert fit.survival(t) == pytest.approx(fit.survival(t - 1) * fit.retention_rate(t))
        assert fit.retention_rate(t + 1) > fit.retention_rate(t)
    with pytest.raises(ValueError):
        fit_sbg([100, 120, 90])


def _simulated_lifetimes(
    alpha: float, beta: float, customers: int, seed: int
) -> tuple[list[int], list[int]]:
    """Customers who joined over eight years, each leaving at each year's end with their own
    Beta(α, β) probability; those still active at the end are censored."""
    rng = np.random.default_rng(seed)
    churn_probability = rng.beta(alpha, beta, customers)
    observed_years = rng.integers(1, 9, customers)  # how long since each joined
    lifetime = rng.geometric(churn_probability)  # the year at whose end each would leave
    churned = [int(t) for t, seen in zip(lifetime, observed_years, strict=True) if t <= seen]
    survived = [int(seen) for t, seen in zip(lifetime, observed_years, strict=True) if t > seen]
    return churned, survived


def test_the_censored_fit_recovers_known_parameters() -> None:
    churned, survived = _simulated_lifetimes(0.9, 2.5, 40_000, seed=3)
    assert survived and churned  # both kinds are present, as in a real book
    fit = fit_sbg_lifetimes(churned, survived)
    assert fit.alpha == pytest.approx(0.9, rel=0.08)
    assert fit.beta == pytest.approx(2.5, rel=0.08)
    assert fit.customers == 40_000
    # Dropping the censored customers (treating the survivors as unknown) biases the fit: the
    # censoring term is what makes long-lived customers count.
    biased = fit_sbg_lifetimes(churned, [])
    assert biased.mean_churn_probability > fit.mean_churn_probability + 0.05


def test_a_cohort_table_and_the_same_customers_one_by_one_give_one_fit() -> None:
    active = [1000, 631, 468, 382, 326, 289, 262, 241]
    churned = [t for t in range(1, 8) for _ in range(active[t - 1] - active[t])]
    survived = [7] * active[-1]
    from_table = fit_sbg(active)
    from_customers = fit_sbg_lifetimes(churned, survived)
    assert from_customers.alpha == pytest.approx(from_table.alpha, rel=1e-6)
    assert from_customers.beta == pytest.approx(from_table.beta, rel=1e-6)
    assert from_customers.log_likelihood == pytest.approx(from_table.log_likelihood, rel=1e-9)
    with pytest.raises(ValueError, match="no customer has churned"):
        fit_sbg_lifetimes([], [1, 2, 3])


@pytest.mark.parametrize("renewals", [0, 1, 4, 10])
@pytest.mark.parametrize("discount_rate", [0.05, 0.1, 0.25])
def test_derl_is_the_discounted_sum_of_survival(renewals: int, discount_rate: float) -> None:
    """Fader & Hardie (2010), eq. 6, against its definition Σ_{t≥n} S(t)/S(n−1)/(1+d)^(t−n)."""
    alpha, beta = 0.668, 3.806  # the paper's high-end cohort
    n = renewals + 1
    direct = sum(
        survival(alpha, beta, t) / survival(alpha, beta, n - 1) / (1 + discount_rate) ** (t - n)
        for t in range(n, n + 3000)
    )
    assert derl(alpha, beta, discount_rate, renewals) == pytest.approx(direct, rel=1e-9)


def test_ignoring_heterogeneity_undervalues_loyal_customers() -> None:
    """The paper's point: with one pooled renewal rate, a customer who has renewed many times is
    worth no more than a new one; under sBG they are worth more, as the likeliest to leave have
    gone."""
    active = [1000, 869, 743, 653, 593, 551, 517, 491]  # the high-end cohort
    fit = fit_sbg(active)
    values = [fit.derl(0.1, renewals) for renewals in range(8)]
    assert values == sorted(values) and values[-1] > 1.35 * values[0]
    # One rate for all: renewals over renewal decisions of the same customers (0.897).
    decisions = sum(t * (active[t - 1] - active[t]) for t in range(1, 8)) + 7 * active[-1]
    pooled = constant_retention_value(1 - (active[0] - active[-1]) / decisions, 0.1)
    assert pooled == pytest.approx(4.85, abs=0.01)
    assert values[0] > pooled and values[7] > 1.5 * pooled
    assert constant_retention_value(0.8, 0.1) == pytest.approx(0.8 * 1.1 / 0.3)
    with pytest.raises(ValueError):
        derl(fit.alpha, fit.beta, 0.0, 1)


def test_a_group_with_no_spread_is_valued_as_the_geometric_model() -> None:
    # Every customer alike: the fit runs off to large α and β with the mean churn 1/4.
    churned, survived = [], []
    rng = np.random.default_rng(1)
    for _ in range(4000):
        t = int(rng.geometric(0.25))
        seen = int(rng.integers(1, 6))
        (churned if t <= seen else survived).append(t if t <= seen else seen)
    fit = fit_sbg_lifetimes(churned, survived)
    assert not fit.heterogeneous
    assert fit.mean_churn_probability == pytest.approx(0.25, abs=0.02)
    value = fit.derl(0.1, 3)
    assert value == pytest.approx(constant_retention_value(1 - fit.mean_churn_probability, 0.1))
    assert np.isfinite(value)
