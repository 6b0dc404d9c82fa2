"""Variants of a frame predicted from the model's structure must be the model's own full
predictions of each variant: for every kind of model the workspace trains or a table is
scored with, on values inside, beyond and missing from the fitted range, and unseen
categories."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import KFold

from steward.churn.tabular import (
    ColumnPlan,
    _linear_on_splines,
    _shallow_trees,
    baseline_model,
    boosting_model,
    build_model,
)
from steward.churn.variants import predicted_variants

PLAN = ColumnPlan(numeric=["tenure", "usage", "seats", "nps"], categorical=["segment", "tier"])
COLUMNS = [*PLAN.numeric, *PLAN.categorical]


def _customers(rng: np.random.Generator, rows: int, spread: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenure": rng.exponential(400, rows) * spread,
            "usage": np.where(rng.random(rows) < 0.3, np.nan, rng.normal(0, 1, rows) * spread),
            "seats": rng.choice([5.0, 10.0, 20.0], rows),
            "nps": np.full(rows, np.nan),  # never observed: the imputer drops it
            "segment": rng.choice(["smb", "mid", "ent"], rows),
            "tier": rng.choice(["standard", "key"], rows),
        }
    )


def _outcome(rng: np.random.Generator, x: pd.DataFrame) -> np.ndarray:
    logit = -0.8 + 0.002 * np.minimum(x["tenure"], 600) - 0.6 * x["usage"].fillna(-0.5)
    logit += np.where(x["segment"] == "ent", -0.7, 0.3)
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-logit))).astype(int)
    y[:2] = [0, 1]
    return y


MODELS: dict[str, Any] = {
    "spline logistic": lambda seed: _linear_on_splines(PLAN),
    "shallow trees": lambda seed: _shallow_trees(PLAN, seed),
    "plain boosting": lambda seed: boosting_model(PLAN, seed),
    "baseline": lambda seed: baseline_model(PLAN),
    "ensemble": lambda seed: build_model(PLAN, seed),
    "calibrated ensemble": lambda seed: CalibratedClassifierCV(
        build_model(PLAN, seed), method="sigmoid", cv=KFold(3)
    ),
    "calibrated copies of the baseline": lambda seed: CalibratedClassifierCV(
        baseline_model(PLAN), method="isotonic", cv=KFold(3), ensemble=True
    ),
}

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "tenure": st.one_of(st.none(), st.floats(-100, 5_000)),
    "usage": st.one_of(st.none(), st.floats(-4, 4)),
    "seats": st.one_of(st.none(), st.sampled_from([5.0, 10.0, 99.0])),
    "nps": st.one_of(st.none(), st.floats(-100, 100)),
    # A category is set to a value (a typical customer's is the most common one): a whole
    # column of missing categories would be numbers, which no encoder fitted on text takes.
    "segment": st.sampled_from(["smb", "mid", "ent", "unseen"]),
    "tier": st.sampled_from(["standard", "key", "never seen"]),
}
variant = st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=3, unique=True).flatmap(
    lambda columns: st.fixed_dictionaries({column: VALUES[column] for column in columns})
)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    name=st.sampled_from(sorted(MODELS)),
    variants=st.lists(variant, min_size=1, max_size=4),
)
def test_every_variant_is_the_models_own_prediction_of_it(
    seed: int, name: str, variants: list[dict[str, Any]]
) -> None:
    rng = np.random.default_rng(seed)
    train = _customers(rng, 300)
    model = MODELS[name](seed).fit(train[COLUMNS], _outcome(rng, train))
    probe = _customers(rng, 250, spread=3.0)  # a third beyond the fitted range
    probe.loc[:10, "segment"] = "unseen"
    probe.loc[20:40, list(variants[0])] = None  # some rows already hold a missing value

    base, each = predicted_variants(model, probe[COLUMNS], variants)

    assert np.abs(base - model.predict_proba(probe[COLUMNS])[:, 1]).max() < 1e-9
    for values, predicted in zip(variants, each, strict=True):
        changed = probe[COLUMNS].copy()
        for column, value in values.items():
            changed[column] = np.nan if value is None else value
        assert np.abs(predicted - model.predict_proba(changed)[:, 1]).max() < 1e-9, values


def test_a_variant_equal_to_every_row_changes_nothing() -> None:
    """Rows that already hold the variant's values keep their prediction; when all do, the
    variant is the frame itself (and the model is not run again)."""
    rng = np.random.default_rng(3)
    train = _customers(rng, 300)
    model = build_model(PLAN, 3).fit(train[COLUMNS], _outcome(rng, train))
    probe = train[COLUMNS].assign(segment="smb", nps=np.nan)
    base, (same_segment, same_nps) = predicted_variants(
        model, probe, [{"segment": "smb"}, {"nps": None}]
    )
    assert np.array_equal(base, same_segment) and np.array_equal(base, same_nps)
