"""A model's churn probability for a frame and for variants of it, each variant the frame with
a few columns set to one value (what `explain` asks for: every account as it is, and with one
reason group at a typical customer's values).

Predicting each variant in full costs one prediction of the whole model per reason group. The
variants are instead computed with what each part of the model allows, and equal the full
predictions (a test holds them within 1e-9):

- a calibrated model maps its estimator's variants through its calibration;
- a soft vote averages its members' variants;
- the spline logistic regression is a sum of one term per column, so a variant only swaps the
  terms of its columns for the terms of its values (no model run at all);
- boosted trees add up one value per tree, so a variant only re-runs the trees that split on
  a column it changes, on the rows it changes;
- any other model predicts each variant on the rows the variant changes: a row whose values
  already are the variant's keeps the prediction it had (no escalations, no NPS answers, the
  usual segment).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from steward.churn.tabular import SplineLogistic, SplineTerms

# A variant: columns and the one value each is set to (None: missing).
Variant = Mapping[str, Any]
Response = Literal["proba", "decision"]


def predicted_variants(
    estimator: Any, x: pd.DataFrame, variants: Sequence[Variant]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The probability of the positive class for every row of `x`, and for every row of each
    variant of `x`, as `estimator.predict_proba(...)[:, 1]` gives them."""
    return _outputs(estimator, x, variants, "proba")


def _outputs(
    estimator: Any, x: pd.DataFrame, variants: Sequence[Variant], response: Response
) -> tuple[np.ndarray, list[np.ndarray]]:
    if response == "proba" and _binary_calibrated(estimator):
        return _calibrated(estimator, x, variants)
    if response == "proba" and _binary_soft_vote(estimator):
        return _soft_vote(estimator, x, variants)
    terms = getattr(estimator, "terms_", None) if isinstance(estimator, SplineLogistic) else None
    if terms is not None:
        return _spline_logistic(terms, x, variants, response)
    if _binary_trees(estimator):
        return _boosted_trees(estimator, x, variants, response)
    return _row_by_changed_row(estimator, x, variants, response)


def _binary_calibrated(estimator: Any) -> bool:
    return (
        isinstance(estimator, CalibratedClassifierCV)
        and len(estimator.classes_) == 2
        and estimator.method in ("sigmoid", "isotonic")
    )


def _binary_soft_vote(estimator: Any) -> bool:
    return (
        isinstance(estimator, VotingClassifier)
        and estimator.voting == "soft"
        and len(estimator.classes_) == 2
    )


def _calibrated(
    model: CalibratedClassifierCV, x: pd.DataFrame, variants: Sequence[Variant]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """As `CalibratedClassifierCV.predict_proba`: each calibrated copy maps its estimator's
    decision function (or probability, when it has none) through its one calibrator; the
    copies' probabilities are averaged."""
    total: list[np.ndarray] | None = None
    for calibrated in model.calibrated_classifiers_:
        inner = calibrated.estimator
        response: Response = "decision" if hasattr(inner, "decision_function") else "proba"
        base, each = _outputs(inner, x, variants, response)
        (calibrator,) = calibrated.calibrators
        mapped = [_calibrated_probability(calibrator, values) for values in (base, *each)]
        total = mapped if total is None else [t + m for t, m in zip(total, mapped, strict=True)]
    assert total is not None
    count = len(model.calibrated_classifiers_)
    base, *each = (values / count for values in total)
    return base, each


def _calibrated_probability(calibrator: Any, values: np.ndarray) -> np.ndarray:
    probability = np.asarray(calibrator.predict(values), dtype=float)
    # As scikit-learn does: a probability a rounding error above 1 is 1.
    probability[(probability > 1.0) & (probability <= 1.0 + 1e-5)] = 1.0
    return probability


def _soft_vote(
    vote: VotingClassifier, x: pd.DataFrame, variants: Sequence[Variant]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """As `VotingClassifier.predict_proba` with soft voting: the members' (weighted) mean."""
    members = [_outputs(member, x, variants, "proba") for member in vote.estimators_]
    weights = vote._weights_not_none  # None: equal weights, as the vote itself reads them
    base = np.average([member[0] for member in members], axis=0, weights=weights)
    each = [
        np.average([member[1][index] for member in members], axis=0, weights=weights)
        for index in range(len(variants))
    ]
    return base, each


def _spline_logistic(
    terms: SplineTerms, x: pd.DataFrame, variants: Sequence[Variant], response: Response
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The logit is the intercept plus one term per imputed column plus the categories' term,
    so a variant's logit is the frame's with the terms of its columns replaced by the terms of
    its values (the same for every row)."""
    columns = terms.numeric_terms(x)
    categorical = terms.categorical_term(x)
    base_logit = terms.logit_of(len(x), columns, categorical)
    out = []
    for variant in variants:
        changed = [k for k, source in enumerate(terms.sources) if source in variant]
        variant_logit = base_logit.copy()
        if changed:
            one_row = _with(x.iloc[:1], variant)
            at_variant = terms.numeric_terms(one_row)
            for k in changed:
                variant_logit += at_variant[k][0] - columns[k]
        if any(column in variant for column in terms.categorical):
            categories = _with(x[terms.categorical], variant)
            variant_logit += terms.categorical_term(categories) - categorical
        out.append(variant_logit)
    if response == "decision":
        return base_logit, out
    return expit(base_logit), [expit(values) for values in out]


def _binary_trees(estimator: Any) -> bool:
    """A pipeline ending in boosted trees of one tree per iteration (binary), whose parts
    `_boosted_trees` reads (scikit-learn's own, not public: a test holds the result)."""
    if not isinstance(estimator, Pipeline):
        return False
    model = estimator[-1]
    return (
        isinstance(model, HistGradientBoostingClassifier)
        and getattr(model, "n_trees_per_iteration_", 0) == 1
        and all(hasattr(model, part) for part in ("_predictors", "_bin_mapper", "_loss"))
    )


def _boosted_trees(
    pipeline: Pipeline, x: pd.DataFrame, variants: Sequence[Variant], response: Response
) -> tuple[np.ndarray, list[np.ndarray]]:
    """As `HistGradientBoostingClassifier._raw_predict`: the baseline plus one value per tree.
    A variant changes the trees' inputs in a few columns on some rows; a tree that splits on
    none of those columns gives those rows the value it gave them before, so only the others
    are run again, on those rows."""
    model: Any = pipeline[-1]
    prepare = pipeline[:-1]
    known_categories, feature_map = model._bin_mapper.make_known_categories_bitsets()
    threads = _openmp_effective_n_threads()

    def tree_values(tree: Any, inputs: np.ndarray) -> np.ndarray:
        return np.asarray(tree.predict(inputs, known_categories, feature_map, threads))

    trees = [tree for (tree,) in model._predictors]
    split_on = [set(t.nodes["feature_idx"][~t.nodes["is_leaf"].astype(bool)]) for t in trees]
    inputs = model._preprocess_X(prepare.transform(x), reset=False)
    per_tree = [tree_values(tree, inputs) for tree in trees]
    base_raw = np.full(len(x), float(model._baseline_prediction.ravel()[0]))
    for values in per_tree:
        base_raw += values
    out = []
    for variant in variants:
        raw = base_raw.copy()
        rows = np.flatnonzero(_changed_rows(x, variant))
        if len(rows):
            changed_inputs = model._preprocess_X(
                prepare.transform(_with(x.iloc[rows], variant)), reset=False
            )
            before = inputs[rows]
            differs = ~((changed_inputs == before) | (np.isnan(changed_inputs) & np.isnan(before)))
            columns = set(np.flatnonzero(differs.any(axis=0)))
            update = np.zeros(len(rows))
            for tree, used, values in zip(trees, split_on, per_tree, strict=True):
                if used & columns:
                    update += tree_values(tree, changed_inputs) - values[rows]
            raw[rows] += update
        out.append(raw)
    if response == "decision":
        return base_raw, out
    return _positive(model, base_raw), [_positive(model, raw) for raw in out]


def _positive(model: Any, raw: np.ndarray) -> np.ndarray:
    return np.asarray(model._loss.predict_proba(raw.reshape(-1, 1))[:, 1])


def _row_by_changed_row(
    estimator: Any, x: pd.DataFrame, variants: Sequence[Variant], response: Response
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Any model: each variant predicted on the rows it changes; a prediction depends on its
    own row only, so the others keep the frame's."""
    base = _response(estimator, x, response)
    out = []
    for variant in variants:
        changed = _changed_rows(x, variant)
        values = base.copy()
        if changed.any():
            values[changed] = _response(estimator, _with(x[changed], variant), response)
        out.append(values)
    return base, out


def _response(estimator: Any, x: pd.DataFrame, response: Response) -> np.ndarray:
    if response == "decision":
        return np.asarray(estimator.decision_function(x), dtype=float)
    return np.asarray(estimator.predict_proba(x)[:, 1], dtype=float)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _with(x: pd.DataFrame, variant: Variant) -> pd.DataFrame:
    """`x` with the variant's columns (those it has) set to the variant's values."""
    out = x.copy()
    for column, value in variant.items():
        if column in out:
            out[column] = np.nan if _missing(value) else value
    return out


def _changed_rows(x: pd.DataFrame, variant: Variant) -> np.ndarray:
    """Rows where any of the variant's columns holds another value than the variant's."""
    changed = np.zeros(len(x), dtype=bool)
    for column, value in variant.items():
        if column not in x:
            continue
        current = x[column]
        if _missing(value):
            changed |= current.notna().to_numpy()
        else:
            changed |= (current.isna() | (current != value)).to_numpy(dtype=bool)
    return changed
