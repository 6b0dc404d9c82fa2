"""The workspace churn model: trained on the workspace's own snapshots, validated out of time.

Validation follows the SPEC literally: pick a day T (`holdout_days` before the newest known
outcome), train only on snapshots whose outcome was already known on T, and score the snapshots
taken from T on — the following period, as the model would have been used. AUC, Brier score,
the base rate, a calibration table and the same figures for an untuned logistic regression are
kept with the model. The model that is stored is then refitted on every known outcome.

Usage data usually starts later than contracts do (a workspace connects Segment in its second
year): most old snapshots have no usage, every snapshot scored today has. So each candidate is
also tried on the usage era alone (snapshots taken once usage was known), when that era holds
enough outcomes; the out-of-time Brier score decides between all of them.

Probabilities are calibrated with a sigmoid (Platt) map fitted on out-of-fold predictions from
folds that keep each account's snapshots together (GroupKFold), so the calibration is not fitted
on rows the model saw.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline

from steward.churn.features import (
    BUILT_IN,
    GRACE_DAYS,
    MAX_LEAD_DAYS,
    OUTCOMES,
    FeatureSet,
)
from steward.churn.tabular import (
    CalibrationBin,
    ColumnPlan,
    baseline_model,
    build_model,
    calibration_table,
)

MIN_ROWS = 40
MIN_PER_CLASS = 8
# A hold-out is worth trusting with this many churners in it: with fewer, the AUC of one
# candidate moves by ±0.03 or more from the luck of which accounts fell in, and choosing among
# candidates picks that luck. A hold-out with fewer is lengthened when the history allows.
RELIABLE_POSITIVES = 50
CALIBRATION_FOLDS = 3


class NotEnoughHistory(ValueError):
    """The workspace has too few known renewal outcomes to learn from."""


def plan(features: FeatureSet = BUILT_IN) -> ColumnPlan:
    return ColumnPlan(numeric=features.numeric, categorical=features.categorical)


def _check(y: np.ndarray, what: str) -> None:
    positives = int(y.sum())
    if len(y) < MIN_ROWS or min(positives, len(y) - positives) < MIN_PER_CLASS:
        raise NotEnoughHistory(
            f"{what}: {len(y)} snapshots with a known outcome, {positives} churned; need at "
            f"least {MIN_ROWS}, with {MIN_PER_CLASS} churned and {MIN_PER_CLASS} renewed"
        )


CANDIDATES = ("ensemble", "logistic")
USAGE_ERA = " (usage era)"  # a candidate's name with this suffix learns from that era only
# A candidate with this suffix is used as fitted, without the sigmoid calibration: when the
# churn rate of the recent past differs from the training years', a calibration fitted on the
# older rate can cost more than it brings, and the hold-out says which.
UNCALIBRATED = " (uncalibrated)"


def candidate_names(with_usage_era: bool) -> list[str]:
    eras = ["", USAGE_ERA] if with_usage_era else [""]
    calibrations = ("", UNCALIBRATED)
    return [f"{name}{raw}{era}" for era in eras for raw in calibrations for name in CANDIDATES]


def _estimator(candidate: str, seed: int, features: FeatureSet) -> Pipeline:
    model = candidate.removesuffix(USAGE_ERA).removesuffix(UNCALIBRATED)
    columns = plan(features)
    return build_model(columns, seed) if model == "ensemble" else baseline_model(columns)


def usage_era(frame: pd.DataFrame) -> pd.DataFrame:
    """The snapshots taken since the first one with usage data."""
    known = pd.to_datetime(frame.loc[frame["usage_trend"].notna(), "cutoff"])
    if known.empty:
        return frame.iloc[0:0]
    return frame[pd.to_datetime(frame["cutoff"]) >= known.min()]


def _enough(y: np.ndarray) -> bool:
    positives = int(y.sum())
    return len(y) >= MIN_ROWS and min(positives, len(y) - positives) >= MIN_PER_CLASS


def _rows_for(candidate: str, data: pd.DataFrame) -> pd.DataFrame:
    return usage_era(data) if candidate.endswith(USAGE_ERA) else data


def fit_calibrated(
    x: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    seed: int = 0,
    candidate: str = "ensemble",
    features: FeatureSet = BUILT_IN,
) -> Any:
    """A candidate pipeline with a sigmoid calibration fitted on the out-of-fold predictions of
    account-grouped folds; the pipeline itself is refitted once on every row (one copy to run
    when scoring, not one per fold: a third of the scoring time for the same calibration).
    An UNCALIBRATED candidate is the pipeline alone."""
    if UNCALIBRATED in candidate:
        return _estimator(candidate, seed, features).fit(x, y)
    folds = min(CALIBRATION_FOLDS, len(np.unique(groups)))
    splits = [
        (train, test)
        for train, test in GroupKFold(folds).split(x, y, groups)
        if 0 < y[train].sum() < len(train) and 0 < y[test].sum() < len(test)
    ]
    if len(splits) < 2:
        return _estimator(candidate, seed, features).fit(x, y)
    # Out-of-fold predictions need every row in a test fold; when a fold had to be left out
    # (one class missing in a tiny history), calibrate a copy per usable fold instead.
    model = CalibratedClassifierCV(
        _estimator(candidate, seed, features),
        method="sigmoid",
        cv=splits,
        ensemble=len(splits) < folds,
    )
    return model.fit(x, y)


def fitted_on_every_row(model: Any) -> Any | None:
    """The pipeline inside a calibrated model as it was refitted on every row (what the
    UNCALIBRATED twin of its candidate would fit: same rows, same seed), or None when the model
    is not such a one (an ensemble of fold copies, or a pipeline alone)."""
    if isinstance(model, CalibratedClassifierCV) and not model.ensemble:
        return model.calibrated_classifiers_[0].estimator
    return None


def reference_values(x: pd.DataFrame, features: FeatureSet = BUILT_IN) -> dict[str, Any]:
    """A typical customer: medians of numbers (missing stays missing when most are), modes of
    categories. Reasons measure how far an account's own values move its risk from these."""
    out: dict[str, Any] = {}
    for name in features.numeric:
        column = x[name]
        out[name] = None if column.isna().mean() > 0.5 else float(column.median())
    for name in features.categorical:
        out[name] = str(x[name].mode().iloc[0]) if len(x) else None
    return out


@dataclass(frozen=True)
class Evaluation:
    """Out-of-time figures of the chosen candidate; `baseline_*` are the untuned logistic
    regression's on the same split (uncalibrated), `candidates` each candidate's AUC/Brier."""

    holdout_start: date
    chosen: str
    train_rows: int
    train_positives: int
    test_rows: int
    test_positives: int
    base_rate: float
    auc: float
    brier: float
    baseline_auc: float
    baseline_brier: float
    calibration: list[CalibrationBin] = field(default_factory=list)
    candidates: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["holdout_start"] = self.holdout_start.isoformat()
        return out


@dataclass
class TrainedModel:
    estimator: Any
    reference: dict[str, Any]
    rows: int
    positives: int
    evaluation: Evaluation
    features: FeatureSet = BUILT_IN


def as_known_on(frame: pd.DataFrame, day: date) -> pd.DataFrame:
    """The snapshots as they stood on `day`: those taken by then, with an outcome only where it
    was decided by then. Features are point-in-time already, so this replays the past exactly."""
    taken = frame[pd.to_datetime(frame["cutoff"]) <= pd.Timestamp(day)].copy()
    decided = pd.to_datetime(taken["renewal_date"]) + pd.Timedelta(days=GRACE_DAYS)
    taken.loc[decided > pd.Timestamp(day), [c for c in OUTCOMES if c in taken]] = np.nan
    return taken.reset_index(drop=True)


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Snapshots with a known outcome and a renewal due within a year."""
    known = frame[frame["churned"].notna() & (frame["days_to_renewal"] <= MAX_LEAD_DAYS)]
    return known.reset_index(drop=True)


def evaluate_out_of_time(
    frame: pd.DataFrame, holdout_start: date, seed: int = 0, features: FeatureSet = BUILT_IN
) -> Evaluation:
    """Train on what was known on `holdout_start`, score the snapshots taken from then on."""
    columns = features.columns
    train, test = _split(frame, holdout_start)
    y_train = train["churned"].to_numpy(dtype=int)
    y_test = test["churned"].to_numpy(dtype=int)
    _check(y_train, f"training before {holdout_start}")
    _check(y_test, f"validation from {holdout_start}")
    scored: dict[str, np.ndarray] = {}
    era = usage_era(train)
    with_era = 0 < len(era) < len(train) and _enough(_y(era))
    fitted: dict[str, Any] = {}
    for candidate in candidate_names(with_era):
        # An uncalibrated candidate is its calibrated twin's pipeline as refitted on every row:
        # taken from the twin rather than fitted a second time (same rows, same seed).
        twin = fitted.get(candidate.replace(UNCALIBRATED, ""))
        model = fitted_on_every_row(twin) if UNCALIBRATED in candidate else None
        if model is None:
            rows = _rows_for(candidate, train)
            model = fit_calibrated(
                rows[columns], _y(rows), rows["account_id"].to_numpy(), seed, candidate, features
            )
        fitted[candidate] = model
        scored[candidate] = model.predict_proba(test[columns])[:, 1]
    figures = {
        name: {
            "auc": float(roc_auc_score(y_test, p)),
            "brier": float(brier_score_loss(y_test, p)),
        }
        for name, p in scored.items()
    }
    chosen = min(figures, key=lambda name: figures[name]["brier"])  # first of equals
    predicted = scored[chosen]
    baseline = baseline_model(plan(features)).fit(train[columns], y_train)
    base_predicted = baseline.predict_proba(test[columns])[:, 1]
    return Evaluation(
        holdout_start=holdout_start,
        chosen=chosen,
        train_rows=len(train),
        train_positives=int(y_train.sum()),
        test_rows=len(test),
        test_positives=int(y_test.sum()),
        base_rate=float(y_test.mean()),
        auc=float(roc_auc_score(y_test, predicted)),
        brier=float(brier_score_loss(y_test, predicted)),
        baseline_auc=float(roc_auc_score(y_test, base_predicted)),
        baseline_brier=float(brier_score_loss(y_test, base_predicted)),
        calibration=calibration_table(y_test, predicted),
        candidates=figures,
    )


def _y(rows: pd.DataFrame) -> np.ndarray:
    return rows["churned"].to_numpy(dtype=int)


def default_holdout_start(frame: pd.DataFrame, holdout_days: int) -> date:
    data = labelled(frame)
    if data.empty:
        raise NotEnoughHistory("no snapshot has a known outcome yet")
    newest = max(data["renewal_date"]) + timedelta(days=GRACE_DAYS)
    return newest - timedelta(days=holdout_days)


def holdouts(days: int) -> list[int]:
    """The hold-outs to try, shortest first: a small workspace whose last `days` hold too few
    renewal outcomes is validated on a longer stretch (up to a year) rather than not at all."""
    longer = {min(365, round(days * 1.5)), min(365, days * 2)}
    return [days, *sorted(d for d in longer if d > days)]


def _split(frame: pd.DataFrame, holdout_start: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows (decided before the hold-out) and hold-out rows (taken from its start)."""
    data = labelled(frame)
    outcome_day = pd.to_datetime(data["renewal_date"]) + pd.Timedelta(days=GRACE_DAYS)
    cutoff = pd.to_datetime(data["cutoff"])
    start = pd.Timestamp(holdout_start)
    return data[(outcome_day <= start) & (cutoff < start)], data[cutoff >= start]


def choose_holdout(frame: pd.DataFrame, holdout_days: int) -> date:
    """The start of the hold-out to validate on: the shortest of `holdouts(holdout_days)` with
    RELIABLE_POSITIVES churners, else the usable one with the most (raises NotEnoughHistory
    when none leaves enough outcomes on both sides)."""
    usable: list[tuple[int, date]] = []
    thin = NotEnoughHistory("no hold-out to try")
    for days in holdouts(holdout_days):
        start = default_holdout_start(frame, days)
        train, test = _split(frame, start)
        try:
            _check(_y(train), f"training before {start}")
            _check(_y(test), f"validation from {start}")
        except NotEnoughHistory as exc:
            thin = exc
            continue
        positives = int(_y(test).sum())
        if positives >= RELIABLE_POSITIVES:
            return start
        usable.append((positives, start))
    if not usable:
        raise thin
    return max(usable, key=lambda found: found[0])[1]  # the first of equals: the shortest


def train_model(
    frame: pd.DataFrame,
    *,
    holdout_days: int = 182,
    seed: int = 0,
    features: FeatureSet = BUILT_IN,
) -> TrainedModel:
    """Validate the candidates out of time (on the hold-out `choose_holdout` picks), then
    refit the one with the lowest Brier score on every known outcome of its era. (Choosing
    among candidates on the hold-out makes its figures slightly optimistic; docs/churn.md
    says so.)"""
    evaluation = evaluate_out_of_time(frame, choose_holdout(frame, holdout_days), seed, features)
    columns = features.columns
    data = _rows_for(evaluation.chosen, labelled(frame))
    y = _y(data)
    _check(y, "training")
    estimator = fit_calibrated(
        data[columns], y, data["account_id"].to_numpy(), seed, evaluation.chosen, features
    )
    return TrainedModel(
        estimator=estimator,
        reference=reference_values(data[columns], features),
        rows=len(data),
        positives=int(y.sum()),
        evaluation=evaluation,
        features=features,
    )


Call = tuple[Callable[..., Any], tuple[Any, ...]]
# Below this many snapshots a model trains in a second or two: less than starting a process
# that imports the scientific stack costs.
PARALLEL_FROM_ROWS = 50_000


def side_by_side(calls: Sequence[Call], workers: int) -> list[Any]:
    """Each call's result, in order; with more than one worker, in that many processes (model
    fits hold the GIL too often for threads to help). Put the longest call first."""
    if workers <= 1 or len(calls) <= 1:
        return [function(*args) for function, args in calls]
    from joblib import Parallel, delayed

    jobs = min(workers, len(calls), os.cpu_count() or 1)
    return list(Parallel(n_jobs=jobs, backend="loky")(delayed(f)(*args) for f, args in calls))


def predict(
    estimator: Pipeline | Any,
    x: pd.DataFrame,
    chunk_rows: int = 50_000,
    features: FeatureSet = BUILT_IN,
) -> np.ndarray:
    """Probabilities of churning, in slices so memory stays flat for any number of rows."""
    columns = features.columns
    # Rows first, then columns: `x[columns]` copies every row, once per slice.
    return np.concatenate(
        [
            np.asarray(estimator.predict_proba(x.iloc[start : start + chunk_rows][columns])[:, 1])
            for start in range(0, len(x), chunk_rows)
        ]
        or [np.empty(0)]
    )
