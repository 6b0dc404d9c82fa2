"""Reasons that make sense: on synthetic accounts whose drivers are known, a reason names the
account's value, which side of a typical customer's it is on, and the points it adds; and a
movement on the side that lowers risk is never named as raising it, whatever the model
learned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from steward.churn import explain
from steward.churn.features import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES
from steward.churn.tabular import ColumnPlan, baseline_model
from steward.churn.training import reference_values


def _snapshots(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(0, 1, rows) for name in NUMERIC_FEATURES})
    frame["usage_trend"] = rng.uniform(-0.8, 0.8, rows)
    frame["open_escalations"] = rng.poisson(0.4, rows).astype(float)
    frame["nps"] = rng.uniform(-100, 100, rows)
    frame["segment"] = rng.choice(["smb", "enterprise"], rows)
    frame["tier"] = "standard"
    return frame[FEATURES]


def _fitted(frame: pd.DataFrame, logit: np.ndarray, seed: int) -> object:
    """A real model fitted on snapshots whose churn follows `logit` (known drivers)."""
    churned = np.random.default_rng(seed).random(len(frame)) < 1 / (1 + np.exp(-logit))
    plan = ColumnPlan(numeric=list(NUMERIC_FEATURES), categorical=list(CATEGORICAL_FEATURES))
    return baseline_model(plan).fit(frame, churned.astype(int))


def _account(**values: float) -> pd.DataFrame:
    row = {name: 0.0 for name in NUMERIC_FEATURES} | {"segment": "smb", "tier": "standard"}
    return pd.DataFrame([row | values])[FEATURES]


def test_a_model_that_learned_rising_usage_as_risk_is_never_quoted_for_it() -> None:
    """The demo's model once listed "active users +65 %" as raising churn risk: a model can
    learn such a bump from noise. The account's rising usage must not be named; its
    escalations, on the raising side, must be, with value, side and points."""
    frame = _snapshots(4000, seed=1)
    # A wrong-way law (rising usage churns) plus a right-way one (escalations churn).
    model = _fitted(frame, -1.5 + 3.0 * frame["usage_trend"] + 1.2 * frame["open_escalations"], 1)
    reference = reference_values(frame)
    x = _account(usage_trend=0.65, open_escalations=3.0)
    _, effects = explain.attributions(model, reference, x)
    assert effects["usage_trend"][0] > 0.05  # the model does blame rising usage
    reasons = explain.top_reasons(effects, x.iloc[0].to_dict(), 0, reference)
    assert "usage_trend" not in [r.key for r in reasons]
    escalations = next(r for r in reasons if r.key == "escalations")
    assert "3 open" in escalations.detail  # the value
    assert escalations.direction.startswith("open escalations above a typical customer's 0")
    assert escalations.direction.endswith(": raises risk")
    assert escalations.points == pytest.approx(effects["escalations"][0], abs=1e-4)
    assert escalations.points > 0.1


@pytest.mark.parametrize(
    ("values", "key", "side"),
    [
        ({"usage_trend": -0.6}, "usage_trend", "usage trend below a typical customer's"),
        ({"nps": -80.0}, "nps", "NPS below a typical customer's"),
        ({"open_escalations": 4.0}, "escalations", "open escalations above a typical customer's"),
    ],
)
def test_known_drivers_are_named_on_their_raising_side(values, key, side) -> None:  # type: ignore[no-untyped-def]
    frame = _snapshots(4000, seed=2)
    logit = (
        -1.8 - 2.5 * frame["usage_trend"] - 0.015 * frame["nps"] + 0.9 * frame["open_escalations"]
    )
    model = _fitted(frame, logit, 2)
    reference = reference_values(frame)
    x = _account(**values)
    _, effects = explain.attributions(model, reference, x)
    reasons = explain.top_reasons(effects, x.iloc[0].to_dict(), 0, reference)
    assert reasons[0].key == key
    assert reasons[0].direction.startswith(side) and reasons[0].direction.endswith("raises risk")
    assert reasons[0].points >= explain.MIN_POINTS
    # The same driver on the other side lowers risk: never a reason.
    mirrored = {name: (2 * reference[name] - v) for name, v in values.items()}
    y = _account(**mirrored)
    _, effects = explain.attributions(model, reference, y)
    assert key not in [
        r.key for r in explain.top_reasons(effects, y.iloc[0].to_dict(), 0, reference)
    ]


def test_every_reason_of_a_book_is_on_its_raising_side() -> None:
    """Random accounts against a model with wrong-way bumps in several measures: no listed
    reason has all its directed values on the side that lowers risk."""
    frame = _snapshots(3000, seed=3)
    logit = -1.0 + 2.0 * frame["usage_trend"] + 0.01 * frame["nps"] - 0.8 * frame["touches_90d"]
    model = _fitted(frame, logit, 3)
    reference = reference_values(frame)
    book = _snapshots(500, seed=4)
    listed = 0
    for _, reasons in explain.scored(model, reference, book):
        for reason in reasons:
            listed += 1
            assert reason.direction, reason
    rows = book.to_dict("records")
    _, effects = explain.attributions(model, reference, book)
    for index, row in enumerate(rows):
        for reason in explain.top_reasons(effects, row, index, reference):
            side, _ = explain.risk_side(reason.key, row, reference)
            assert side >= 0, (reason, row)
    assert listed > 100  # the book does have reasons to check
