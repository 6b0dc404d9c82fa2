"""The workspace churn model: calibration and out-of-time validation on synthetic snapshots
whose true churn probabilities are known, and the reasons it gives."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from steward.churn import explain, training
from steward.churn.features import FEATURES, NUMERIC_FEATURES


def true_probability(usage_trend: np.ndarray, escalations: np.ndarray) -> np.ndarray:
    logit = -2.0 - 3.0 * usage_trend + 0.8 * escalations
    return 1 / (1 + np.exp(-logit))


def synthetic_snapshots(n_accounts: int, seed: int, first: date, months: int) -> pd.DataFrame:
    """Monthly snapshots of accounts renewing within a year; churn drawn from a known law."""
    rng = np.random.default_rng(seed)
    rows = []
    for account in range(n_accounts):
        renewal = first + timedelta(days=int(rng.integers(30, 30 * months)))
        trend = float(np.clip(rng.normal(0, 0.35), -0.9, 1.0))
        escalations = float(rng.poisson(0.5))
        churned = float(rng.random() < true_probability(np.array(trend), np.array(escalations)))
        for m in range(months):
            cutoff = first + timedelta(days=30 * m)
            if not cutoff < renewal <= cutoff + timedelta(days=365):
                continue
            row = {name: 0.0 for name in NUMERIC_FEATURES}
            row |= {
                "account_id": account,
                "cutoff": cutoff,
                "renewal_date": renewal,
                "usage_trend": trend + rng.normal(0, 0.05),
                "open_escalations": escalations,
                "days_to_renewal": float((renewal - cutoff).days),
                "arr": float(rng.lognormal(10, 1)),
                "segment": rng.choice(["smb", "mid_market", "enterprise"]),
                "tier": "standard",
                "churned": churned,
            }
            rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return synthetic_snapshots(2500, seed=1, first=date(2023, 1, 31), months=36)


@pytest.fixture(scope="module")
def trained(history: pd.DataFrame) -> training.TrainedModel:
    return training.train_model(history, holdout_days=240, seed=0)


def test_out_of_time_validation_trains_on_the_past_and_scores_the_following_period(
    history: pd.DataFrame, trained: training.TrainedModel
) -> None:
    e = trained.evaluation
    data = training.labelled(history)
    assert e.test_rows == int(
        (pd.to_datetime(data["cutoff"]) >= pd.Timestamp(e.holdout_start)).sum()
    )
    assert e.train_rows + e.test_rows < len(data)  # snapshots whose outcome came later are out
    assert e.chosen in training.candidate_names(with_usage_era=True)
    # The law is learnable: well above chance, near what the true probabilities reach.
    assert e.auc > 0.72
    assert e.brier < e.base_rate * (1 - e.base_rate)  # better than predicting the base rate


def test_probabilities_are_calibrated_on_fresh_accounts(trained: training.TrainedModel) -> None:
    fresh = training.labelled(synthetic_snapshots(3000, seed=2, first=date(2026, 1, 31), months=12))
    predicted = training.predict(trained.estimator, fresh)
    truth = true_probability(fresh["usage_trend"].to_numpy(), fresh["open_escalations"].to_numpy())
    # Against the true probabilities (no sampling noise): off by under 3 points on average,
    # and the mean risk of the book within 1.5 points.
    assert np.mean(np.abs(predicted - truth)) < 0.03
    assert abs(predicted.mean() - truth.mean()) < 0.015
    # Binned like the stored calibration table (snapshots of one account share its outcome, so
    # the bins hold the true probabilities rather than noisy observed rates).
    for b in training.calibration_table(truth, predicted):
        if b.count >= 100:
            assert abs(b.mean_predicted - b.observed_rate) < 0.04, b


def test_reasons_name_what_raises_this_accounts_risk(trained: training.TrainedModel) -> None:
    x = pd.DataFrame(
        [
            {name: 0.0 for name in NUMERIC_FEATURES}
            | {"usage_trend": -0.6, "open_escalations": 0.0, "days_to_renewal": 120.0}
            | {"arr": 20_000.0, "segment": "smb", "tier": "standard"},
            {name: 0.0 for name in NUMERIC_FEATURES}
            | {"usage_trend": 0.1, "open_escalations": 4.0, "days_to_renewal": 120.0}
            | {"arr": 20_000.0, "segment": "smb", "tier": "standard"},
        ]
    )[FEATURES]
    predicted, effects = explain.attributions(trained.estimator, trained.reference, x)
    sliding = explain.top_reasons(effects, x.iloc[0].to_dict(), 0, trained.reference)
    escalated = explain.top_reasons(effects, x.iloc[1].to_dict(), 1, trained.reference)
    assert sliding[0].key == "usage_trend" and sliding[0].points > 0.05
    assert "-60%" in sliding[0].detail
    assert sliding[0].direction.startswith("usage trend below a typical customer's")
    assert escalated[0].key == "escalations" and "4 open" in escalated[0].detail
    assert "open escalations above a typical customer's 0" in escalated[0].direction
    assert predicted[1] > predicted[0] > 0.2


def test_too_little_history_is_refused_with_a_sentence() -> None:
    small = synthetic_snapshots(20, seed=3, first=date(2025, 1, 31), months=12)
    with pytest.raises(training.NotEnoughHistory, match="need at least"):
        training.train_model(small)


def test_candidates_are_also_tried_on_the_usage_era() -> None:
    """Usage data starts later than contracts: every candidate is also fitted on the
    snapshots taken since usage was known, and the stored one learns from its own era."""
    frame = synthetic_snapshots(500, seed=4, first=date(2023, 1, 31), months=36)
    early = pd.to_datetime(frame["cutoff"]) < pd.Timestamp(date(2024, 7, 1))
    frame.loc[early, ["usage_trend", "utilisation", "adoption"]] = np.nan
    trained = training.train_model(frame)
    assert set(trained.evaluation.candidates) == {
        f"{model}{calibration}{era}"
        for model in ("ensemble", "logistic")
        for calibration in ("", " (uncalibrated)")
        for era in ("", " (usage era)")
    }
    era = training.usage_era(training.labelled(frame))
    assert 0 < len(era) < len(training.labelled(frame))
    chosen = trained.evaluation.chosen
    assert trained.rows == (
        len(era) if chosen.endswith("(usage era)") else len(training.labelled(frame))
    )
    # Without usage data at all there is no era to try.
    none = frame.assign(usage_trend=np.nan)
    assert training.usage_era(none).empty


def test_a_thin_hold_out_is_lengthened_before_giving_up() -> None:
    """A small workspace whose last six months hold too few renewal outcomes is validated on
    a longer stretch (up to a year) rather than getting no model."""
    assert training.holdouts(182) == [182, 273, 364]
    assert training.holdouts(365) == [365]
    frame = synthetic_snapshots(400, seed=8, first=date(2024, 1, 31), months=30)
    with pytest.raises(training.NotEnoughHistory):
        training.evaluate_out_of_time(frame, training.default_holdout_start(frame, 90))
    trained = training.train_model(frame, holdout_days=90)
    e = trained.evaluation
    # 90 days hold too few outcomes in this history; of the longer ones, the shortest with
    # RELIABLE_POSITIVES churners, else the one with the most.
    tried = {d: training.default_holdout_start(frame, d) for d in (135, 180)}
    assert e.holdout_start in tried.values()
    if e.test_positives < training.RELIABLE_POSITIVES:
        assert e.holdout_start == tried[180]


def test_a_hold_out_with_few_churners_is_lengthened_to_a_reliable_one() -> None:
    """With fewer than RELIABLE_POSITIVES churners a candidate's AUC is mostly luck: the
    hold-out grows (to 1.5× and 2×) until it holds that many."""
    frame = synthetic_snapshots(1500, seed=4, first=date(2024, 1, 31), months=30)
    starts = {d: training.default_holdout_start(frame, d) for d in training.holdouts(60)}
    churners = {d: int(training._split(frame, s)[1]["churned"].sum()) for d, s in starts.items()}
    chosen = training.choose_holdout(frame, 60)
    reliable = [d for d, n in churners.items() if n >= training.RELIABLE_POSITIVES]
    assert churners[60] < training.RELIABLE_POSITIVES and reliable, churners
    assert chosen == starts[reliable[0]]


def test_an_uncalibrated_candidate_taken_from_its_twin_is_the_one_a_fresh_fit_gives(
    history: pd.DataFrame,
) -> None:
    """Validation takes each uncalibrated candidate from its calibrated twin (the pipeline the
    twin refitted on every row) instead of fitting it again: it must predict exactly what a
    fit of its own would."""
    data = training.labelled(history)
    x, y, groups = data[FEATURES], training._y(data), data["account_id"].to_numpy()
    calibrated = training.fit_calibrated(x, y, groups, seed=3, candidate="ensemble")
    taken = training.fitted_on_every_row(calibrated)
    assert taken is not None
    fresh = training.fit_calibrated(
        x, y, groups, seed=3, candidate=f"ensemble{training.UNCALIBRATED}"
    )
    np.testing.assert_array_equal(taken.predict_proba(x), fresh.predict_proba(x))
    assert training.fitted_on_every_row(fresh) is None  # a pipeline alone has no twin inside
