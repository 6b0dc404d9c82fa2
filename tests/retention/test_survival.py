"""Kaplan–Meier and Cox through lifelines, checked against hand computation and known hazards."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from steward.retention.survival import cox_model, kaplan_meier


def test_kaplan_meier_is_the_product_limit_estimate() -> None:
    # months observed; 1 = churned then, 0 = still a customer (censored)
    months = np.array([3, 5, 5, 8, 12, 12, 12, 20, 24, 30])
    churned = np.array([1, 1, 0, 1, 1, 1, 0, 0, 1, 0])
    curve = kaplan_meier(months, churned)
    # By hand: at 3, 10 at risk, 1 leaves; at 5, 9 at risk, 1 leaves (1 censored); at 8, 7 at
    # risk, 1 leaves; at 12, 6 at risk, 2 leave (1 censored); at 24, 2 at risk, 1 leaves.
    expected = {
        0: 1.0,
        2: 1.0,
        3: 0.9,
        5: 0.9 * 8 / 9,
        8: 0.9 * 8 / 9 * 6 / 7,
        12: 0.9 * 8 / 9 * 6 / 7 * 4 / 6,
        23: 0.9 * 8 / 9 * 6 / 7 * 4 / 6,
        24: 0.9 * 8 / 9 * 6 / 7 * 4 / 6 * 1 / 2,
        30: 0.9 * 8 / 9 * 6 / 7 * 4 / 6 * 1 / 2,
    }
    for month, value in expected.items():
        assert curve.survival_at(month) == pytest.approx(value), month
    assert curve.survival_at(31) is None  # nobody was observed that long
    assert curve.points[12].at_risk == 6 and curve.customers == 10 and curve.churned == 6
    assert curve.median_months == 12  # the first month the curve is at or below one half
    assert all(p.low <= p.survival <= p.high for p in curve.points)
    still = kaplan_meier(np.array([6, 12, 18, 24]), np.array([0, 1, 0, 0]))
    assert still.median_months is None  # never fell to a half


def test_cox_recovers_a_known_hazard_ratio() -> None:
    """Enterprise customers churn at half the smb hazard and every tenfold of starting ARR
    lowers it by 30 %: exponential lifetimes, censored at 36 months."""
    rng = np.random.default_rng(5)
    rows = 6000
    segment = rng.choice(["smb", "enterprise"], rows, p=[0.7, 0.3])
    log10_arr = rng.normal(0, 0.5, rows)
    hazard = 0.04 * np.where(segment == "enterprise", 0.5, 1.0) * 0.7**log10_arr
    lifetime = rng.exponential(1 / hazard)
    observed = rng.uniform(6, 36, rows)
    frame = pd.DataFrame(
        {
            "months": np.minimum(lifetime, observed),
            "churned": (lifetime <= observed).astype(int),
            "segment": segment,
            "log10_first_arr": log10_arr,
        }
    )
    model = cox_model(frame, ["segment"], ["log10_first_arr"])
    ratios = {h.covariate: h for h in model.hazard_ratios}
    assert model.baseline == {"segment": "smb"}
    enterprise = ratios["segment=enterprise"]
    assert enterprise.hazard_ratio == pytest.approx(0.5, abs=0.04)
    assert enterprise.low < enterprise.hazard_ratio < enterprise.high < 0.6
    arr = ratios["log10_first_arr"]
    assert arr.hazard_ratio == pytest.approx(0.7, abs=0.07) and arr.p_value < 0.001
    assert 0.55 < model.concordance < 0.75
    with pytest.raises(ValueError, match="needs 10"):
        cox_model(frame.head(30).assign(churned=0), ["segment"], ["log10_first_arr"])
