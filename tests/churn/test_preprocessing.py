"""The churn pipeline's imputer and scaler fit what scikit-learn's own fit: the same medians,
missingness columns and names, the same means and scales (constant columns included), and
so the same spline model."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    SplineTransformer,
    StandardScaler,
)

from steward.churn.preprocessing import (
    CategoryCodes,
    DenseStandardScaler,
    MedianImputer,
    UniformCubicSplines,
)
from steward.churn.tabular import _linear_on_splines, _shallow_trees
from tests.churn.test_variants import PLAN, _customers, _outcome

# Values with ties, a few magnitudes, and missing ones; whole columns may be missing.
_VALUES = st.one_of(
    st.sampled_from([0.0, 1.0, -1.0, 2.5, np.nan, np.nan]),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
_MATRICES = st.tuples(st.integers(1, 60), st.integers(1, 6)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=_VALUES)
)


def _finite_matrices(
    rows: int, columns: int, special: list[float], bound: float
) -> st.SearchStrategy[np.ndarray]:
    """Matrices of 2 to `rows` rows: ties (the `special` values) among values up to `bound`."""
    values = st.one_of(st.sampled_from(special), st.floats(-bound, bound, allow_nan=False))
    return st.tuples(st.integers(2, rows), st.integers(1, columns)).flatmap(
        lambda shape: arrays(np.float64, shape, elements=values)
    )


@settings(max_examples=150, deadline=None)
@given(x=_MATRICES, keep_empty=st.booleans(), indicator=st.booleans())
def test_the_median_imputer_fits_and_imputes_as_scikit_learns(
    x: np.ndarray, keep_empty: bool, indicator: bool
) -> None:
    theirs = SimpleImputer(
        strategy="median", add_indicator=indicator, keep_empty_features=keep_empty
    )
    ours = MedianImputer(add_indicator=indicator, keep_empty_features=keep_empty)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty column warns in both
        theirs.fit(x)
        ours.fit(x)
        np.testing.assert_array_equal(ours.statistics_, theirs.statistics_)
        np.testing.assert_array_equal(ours.transform(x), theirs.transform(x))
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert clone(ours).get_params() == ours.get_params()


@settings(max_examples=150, deadline=None)
@given(
    x=_finite_matrices(60, 6, [0.0, 1.0, 1e-3], 1e6),
    constant=st.booleans(),
)
def test_the_dense_scaler_fits_and_scales_as_scikit_learns(x: np.ndarray, constant: bool) -> None:
    if constant:
        x = np.c_[x, np.full(len(x), 7.25)]
    theirs, ours = StandardScaler().fit(x), DenseStandardScaler().fit(x)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(ours.var_, theirs.var_, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(ours.scale_, theirs.scale_, rtol=1e-9)
    assert ours.n_samples_seen_ == theirs.n_samples_seen_ and ours.n_features_in_ == x.shape[1]
    np.testing.assert_allclose(ours.transform(x), theirs.transform(x), rtol=1e-9, atol=1e-9)
    if constant:
        assert ours.scale_[-1] == theirs.scale_[-1] == 1.0


def test_the_dense_scaler_leaves_missing_values_and_weights_to_scikit_learn() -> None:
    x = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, 8.0]])
    ours, theirs = DenseStandardScaler().fit(x), StandardScaler().fit(x)
    np.testing.assert_array_equal(ours.mean_, theirs.mean_)
    np.testing.assert_array_equal(ours.n_samples_seen_, theirs.n_samples_seen_)
    weights = np.array([1.0, 2.0, 3.0])
    y = np.nan_to_num(x)
    np.testing.assert_array_equal(
        DenseStandardScaler().fit(y, sample_weight=weights).scale_,
        StandardScaler().fit(y, sample_weight=weights).scale_,
    )
    with pytest.raises(ValueError, match="2 features"):
        DenseStandardScaler().fit(y).transform(np.ones((2, 3)))


def test_the_spline_model_is_the_one_scikit_learns_imputer_and_scaler_give() -> None:
    """The workspace model's spline logistic regression, fitted with these and with
    scikit-learn's own: the same probabilities."""
    rng = np.random.default_rng(5)
    frame = _customers(rng, 4000)
    y = _outcome(rng, frame)
    columns = PLAN
    ours = _linear_on_splines(columns).fit(frame, y)
    numeric = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        SplineTransformer(n_knots=5, degree=3),
        StandardScaler(),
    )
    categorical = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10)
    theirs = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("numeric", numeric, columns.numeric),
                        ("categorical", categorical, columns.categorical),
                    ],
                    sparse_threshold=0.0,
                ),
            ),
            ("model", LogisticRegression(C=0.1, max_iter=3000, solver="newton-cholesky")),
        ]
    ).fit(frame, y)
    np.testing.assert_allclose(
        ours.predict_proba(frame)[:, 1], theirs.predict_proba(frame)[:, 1], rtol=0, atol=1e-9
    )


_WORDS = st.sampled_from(["smb", "mid", "ent", "Key", "key", "a b", "", "é"])
_CELLS = st.one_of(_WORDS, _WORDS, _WORDS, st.sampled_from([None, np.nan]))


def _encoders() -> dict[str, Callable[[], Any]]:
    return {
        "one-hot": lambda: OneHotEncoder(
            handle_unknown="infrequent_if_exist", min_frequency=3, sparse_output=False
        ),
        "ordinal": lambda: OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            encoded_missing_value=np.nan,
            min_frequency=3,
            max_categories=4,
        ),
    }


@settings(max_examples=150, deadline=None)
@given(
    fitted=st.lists(st.tuples(_CELLS, _CELLS), min_size=1, max_size=80),
    later=st.lists(st.tuples(_CELLS, st.sampled_from(["smb", "new", None])), max_size=20),
    missing=st.sampled_from([None, np.nan, "both"]),
    kind=st.sampled_from(["one-hot", "ordinal"]),
)
def test_encoders_after_category_codes_encode_what_they_would_from_the_text(
    fitted: list[tuple[Any, Any]], later: list[tuple[Any, Any]], missing: Any, kind: str
) -> None:
    """Rare values pooled, values unseen when fitted, missing values: the same matrix."""

    def frame(rows: list[tuple[Any, Any]]) -> pd.DataFrame:
        # One kind of missing value per column (as a column read from a file holds them), or
        # None and NaN side by side (as values set one by one can be).
        def cell(value: Any) -> Any:
            is_missing = value is None or value is np.nan
            return missing if is_missing and missing != "both" else value

        cells = [[cell(value) for value in row] for row in rows]
        return pd.DataFrame(cells, columns=["segment", "tier"], dtype=object)

    train, test = frame(fitted), frame(fitted + later)
    text = _encoders()[kind]()
    coded = make_pipeline(CategoryCodes(), _encoders()[kind]())
    try:
        text.fit(train)
    except (TypeError, ValueError) as refused:  # scikit-learn refuses it: so must the codes
        with pytest.raises(type(refused)):
            coded.fit(train)
        return
    coded.fit(train)
    np.testing.assert_array_equal(coded.transform(test), text.transform(test))


def test_the_trees_are_the_ones_scikit_learns_encoder_on_the_text_gives() -> None:
    rng = np.random.default_rng(8)
    frame = _customers(rng, 4000)
    frame.loc[frame.index[:5], "tier"] = "rare"  # under min_frequency: pooled as infrequent
    y = _outcome(rng, frame)
    ours = _shallow_trees(PLAN, 3)
    theirs = _shallow_trees(PLAN, 3)
    features = theirs.named_steps["features"]
    name, coded, columns = features.transformers[0]
    assert isinstance(coded[0], CategoryCodes)
    features.transformers[0] = (name, clone(coded[-1]), columns)  # the encoder on the text
    ours.fit(frame, y)
    theirs.fit(frame, y)
    unseen = frame.assign(segment=np.where(np.arange(len(frame)) % 7 == 0, "new", frame.segment))
    np.testing.assert_array_equal(ours.predict_proba(unseen), theirs.predict_proba(unseen))


@settings(max_examples=150, deadline=None)
@given(
    x=_finite_matrices(50, 4, [0.0, 1.0, 0.25], 1e4),
    stretch=st.sampled_from([1.0, 1.5, -2.0]),
    knots=st.integers(2, 7),
)
def test_the_uniform_cubic_splines_are_scikit_learns(
    x: np.ndarray, stretch: float, knots: int
) -> None:
    """Rows inside the knots, on them, and beyond both ends (which take the boundary's)."""
    x = np.c_[x, np.linspace(-3, 3, len(x))]  # a column with a range, whatever was drawn
    theirs = SplineTransformer(n_knots=knots, degree=3)
    ours = UniformCubicSplines(n_knots=knots)
    try:
        theirs.fit(x)
    except ValueError as refused:  # a column without a range: refused the same way
        with pytest.raises(ValueError, match=str(refused)[:30]):
            ours.fit(x)
        return
    ours.fit(x)
    on_knots = np.array([[s.t[3 + m] for s in ours.bsplines_] for m in range(knots)])
    later = np.r_[x, x * stretch, on_knots]
    expected = theirs.transform(later)
    np.testing.assert_allclose(ours.transform(later), expected, rtol=0, atol=1e-12)


def test_the_splines_leave_other_shapes_to_scikit_learn() -> None:
    x = np.linspace(0, 10, 40).reshape(-1, 1)
    assert UniformCubicSplines().fit(x)._uniform_steps() is not None  # the closed form
    quantiles = UniformCubicSplines(n_knots=4)
    quantiles.knots = "quantile"  # not a parameter of ours: set as a later version might
    quantiles.fit(x**3)
    assert quantiles._uniform_steps() is None  # unequal knots
    np.testing.assert_array_equal(
        quantiles.transform(x**3),
        SplineTransformer(n_knots=4, knots="quantile").fit(x**3).transform(x**3),
    )
    with pytest.raises(ValueError, match="NaN"):
        UniformCubicSplines().fit(x).transform(np.array([[np.nan]]))
