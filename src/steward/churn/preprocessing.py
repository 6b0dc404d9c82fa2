"""scikit-learn's median imputer, standard scaler, spline transform and category encoding,
without their general-case overhead: the same fitted values and outputs
(tests/churn/test_preprocessing.py holds them to scikit-learn's), sooner on the dense float
columns and text categories the churn pipeline gives them.

On 400,000 snapshots × 16 numbers and their 161 spline columns (2026-12-07), the imputer's
median took 1.08 s through masked arrays (0.06 s with `np.nanmedian`) and the scaler's fit
1.48 s through its incremental, NaN-aware path: together a quarter of the spline model's fit.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import SplineTransformer, StandardScaler
from sklearn.preprocessing._data import _handle_zeros_in_scale, _is_constant_feature
from sklearn.utils._missing import is_scalar_nan
from sklearn.utils.validation import validate_data


class MedianImputer(SimpleImputer):
    """`SimpleImputer(strategy="median")` whose medians come from `np.nanmedian`."""

    def __init__(self, *, add_indicator: bool = False, keep_empty_features: bool = False) -> None:
        super().__init__(
            strategy="median", add_indicator=add_indicator, keep_empty_features=keep_empty_features
        )

    def _dense_fit(self, X: Any, strategy: Any, missing_values: Any, fill_value: Any) -> Any:
        if strategy != "median" or not is_scalar_nan(missing_values) or X.dtype.kind != "f":
            return super()._dense_fit(X, strategy, missing_values, fill_value)
        missing = np.isnan(X)
        self._fit_indicator(missing)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an empty column: NaN, as sklearn
            median = np.nanmedian(X, axis=0)
        if self.keep_empty_features:
            median[np.isnan(median)] = 0
        return median


class DenseStandardScaler(StandardScaler):
    """`StandardScaler()` fitted in two passes of numpy on a dense, finite matrix (anything
    else, or sample weights, takes scikit-learn's own path)."""

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> DenseStandardScaler:
        x = None if sparse.issparse(X) else np.asarray(X)
        if (
            x is None
            or sample_weight is not None
            or not (self.with_mean and self.with_std)
            or x.ndim != 2
            or x.dtype.kind != "f"
            or not _all_finite(x)
        ):
            return super().fit(X, y, sample_weight)
        for fitted in ("mean_", "var_", "scale_", "n_samples_seen_"):
            if hasattr(self, fitted):
                delattr(self, fitted)
        x = validate_data(self, X, dtype=[np.float64, np.float32], ensure_all_finite=False)
        mean = x.sum(axis=0, dtype=np.float64) / len(x)
        # Squared deviations a slice at a time: `x.var` makes a temporary as large as x
        # (515 MB for 400,000 × 161) and took ten times as long.
        var = np.zeros(x.shape[1])
        for rows in _slices(x):
            deviation = rows - mean
            var += np.einsum("ij,ij->j", deviation, deviation)
        var /= len(x)
        self.n_samples_seen_ = np.float64(len(x))  # as scikit-learn's fit leaves it
        self.mean_, self.var_ = mean, var
        constant = _is_constant_feature(var, mean, self.n_samples_seen_)
        self.scale_ = _handle_zeros_in_scale(np.sqrt(var), copy=False, constant_mask=constant)
        return self


def _all_finite(x: np.ndarray) -> bool:
    """No NaN or infinity, checked a slice at a time (no temporary as large as x)."""
    return all(np.isfinite(rows).all() for rows in _slices(x))


def _slices(x: np.ndarray, rows: int = 4096) -> list[np.ndarray]:
    return [x[start : start + rows] for start in range(0, len(x), rows)]


class CategoryCodes(TransformerMixin, BaseEstimator):
    """Categories as numbers ahead of scikit-learn's encoders, which count and look up text one
    value at a time in Python: each column's values numbered in the order the encoders sort
    them (None, which they keep as a value, last), NaN kept as NaN (which they take for
    missing), and a value not seen when fitted the number after the known ones (so the
    encoders see it as unknown). The encoders then fit and encode exactly what they would
    have from the text (tests hold them equal): on 1,000,000 rows a fit took 0.3 s instead
    of 0.8-1.3 s."""

    def fit(self, X: Any, y: Any = None) -> CategoryCodes:
        frame = _frame(X)
        self.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.categories_ = [sorted(pd.unique(frame[c].dropna())) for c in frame.columns]
        self.with_none_ = [bool(_nones(frame[c]).any()) for c in frame.columns]
        return self

    def transform(self, X: Any) -> np.ndarray:
        frame = _frame(X)
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {frame.shape[1]} features, {self.n_features_in_} expected")
        out = np.empty(frame.shape, dtype=float)
        for index, column in enumerate(frame.columns):
            known, with_none = self.categories_[index], self.with_none_[index]
            values = frame[column]
            codes = pd.Categorical(values, categories=known).codes.astype(float)
            unseen = codes < 0
            if unseen.any():
                none = _nones(values).to_numpy()[unseen]
                nan = values.isna().to_numpy()[unseen] & ~none
                unknown = len(known) + with_none
                codes[unseen] = np.where(
                    nan, np.nan, np.where(none & with_none, len(known), unknown)
                )
            out[:, index] = codes
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        if input_features is not None:
            return np.asarray(input_features, dtype=object)
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{i}" for i in range(self.n_features_in_)]
        return np.asarray(names, dtype=object)


def _nones(values: pd.Series) -> pd.Series:
    """Which values are None (only the missing ones are looked at, one by one)."""
    missing = values.isna()
    found = pd.Series(False, index=values.index)
    if missing.any():
        found[missing] = [value is None for value in values[missing]]
    return found


def _frame(x: Any) -> pd.DataFrame:
    return x if isinstance(x, pd.DataFrame) else pd.DataFrame(np.asarray(x, dtype=object))


class UniformCubicSplines(SplineTransformer):
    """`SplineTransformer(degree=3)` on uniform knots (its default), whose transform writes the
    four cubic B-spline values each row has from their closed form instead of evaluating
    every basis through scipy for every row: equal within 1e-12 (tests). On 400,000 rows ×
    23 columns it took 0.85 s instead of 1.38 s; most of what is left is writing the
    515 MB matrix. Any other shape (a degree, knots, extrapolation or
    output it was not written for, a missing value) is left to scikit-learn's transform."""

    def __init__(self, n_knots: int = 5) -> None:
        super().__init__(n_knots=n_knots, degree=3)

    def transform(self, X: Any) -> Any:
        x = None if sparse.issparse(X) else np.asarray(X)
        steps = self._uniform_steps()
        if x is None or steps is None or x.ndim != 2 or x.dtype.kind != "f" or not _all_finite(x):
            return super().transform(X)
        x = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        per = self.bsplines_[0].c.shape[1]
        out = np.empty((len(x), per * x.shape[1]))
        block = np.empty((len(x), per))  # one feature's columns, contiguous while written
        flat = block.reshape(-1)
        row_starts = np.arange(len(x)) * per
        for feature, (spline, step) in enumerate(zip(self.bsplines_, steps, strict=True)):
            low, high = spline.t[3], spline.t[-4]
            # Beyond the knots a value takes the boundary's (extrapolation "constant").
            at = (np.clip(x[:, feature], low, high) - low) / step
            interval = np.minimum(at.astype(np.intp), per - 4)  # the last knot: last interval
            u = at - interval
            u2, u3 = u * u, u * u * u
            first = row_starts + interval
            block.fill(0.0)
            flat[first] = (1 - u) ** 3 / 6
            flat[first + 1] = (3 * u3 - 6 * u2 + 4) / 6
            flat[first + 2] = (-3 * u3 + 3 * u2 + 3 * u + 1) / 6
            flat[first + 3] = u3 / 6
            out[:, feature * per : (feature + 1) * per] = block
        return out

    def _uniform_steps(self) -> list[float] | None:
        """Each feature's knot spacing, or None when this transform does not apply."""
        if (
            self.degree != 3
            or self.extrapolation != "constant"
            or not self.include_bias
            or self.sparse_output
            or self.order != "C"
            or getattr(self, "handle_missing", "error") != "error"
        ):
            return None
        steps = []
        for spline in self.bsplines_:
            gaps = np.diff(spline.t)
            step = float(gaps[0])
            scale = max(1.0, float(np.abs(spline.t).max()))
            if not step > 1e-9 * scale or not np.allclose(gaps, step, rtol=1e-9, atol=0):
                return None
            steps.append(step)
        return steps
