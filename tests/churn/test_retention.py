"""The sBG fit reproduces Fader & Hardie (2007), Table 1 data, their published estimates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from steward.churn.retention import fit_sbg, survival
from tests.conftest import missing_service

SURVIVAL = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "datasets"
    / "sbg_fader_hardie_2007_survival.csv"
)
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
