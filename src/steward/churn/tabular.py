"""The churn pipeline on a flat customer table: column roles inferred (numeric, numbers stored as
text with blanks, categorical, boolean, Yes/No, ids to ignore), one scikit-learn pipeline with no
per-dataset tuning, and its cross-validated AUC, Brier score and calibration table."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

from steward.churn.preprocessing import (
    CategoryCodes,
    DenseStandardScaler,
    MedianImputer,
    UniformCubicSplines,
)

TRUE_WORDS = {"yes", "y", "true", "t", "1"}
FALSE_WORDS = {"no", "n", "false", "f", "0"}
ID_NAME = re.compile(
    r"(^|[_\s-])(id|uuid|guid|key)$|^(id|customerid|customer_id|account_id)$", re.I
)
MAX_CATEGORIES = 50  # a text column with more distinct values is free text or an id
MAX_TREE_CATEGORIES = 250  # scikit-learn's boosted trees take at most 255
_MONEY_SIGNS = r"^[$€£¥₹]\s*|\s*(?:[$€£¥₹%]|USD|EUR|GBP)$"
_THOUSANDS = r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?"

# Early in a workspace's history some columns have no values yet (no usage data, no NPS): the
# imputer drops them, which is right, and would warn on every fit and prediction.
warnings.filterwarnings(
    "ignore", message="Skipping features without any observed values", category=UserWarning
)


@dataclass
class ColumnPlan:
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)  # column -> why
    dates: list[str] = field(default_factory=list)  # read as days before their latest date
    positive_label: str = ""  # the target's value read as churned
    blank_targets: int = 0  # rows without a target value, left out


def _as_bool(series: pd.Series) -> pd.Series | None:
    words = series.dropna().astype(str).str.strip().str.lower()
    if words.empty or not set(words.unique()) <= TRUE_WORDS | FALSE_WORDS:
        return None
    return (
        series.astype(str)
        .str.strip()
        .str.lower()
        .map(lambda w: 1.0 if w in TRUE_WORDS else 0.0 if w in FALSE_WORDS else np.nan)
    )


def _as_number(series: pd.Series) -> pd.Series | None:
    """Numbers, also when stored as text with blanks ("", " ") for missing."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    text = series.astype(str).str.strip().replace({"": np.nan, "nan": np.nan, "None": np.nan})
    parsed = pd.to_numeric(text, errors="coerce")
    if text.notna().sum() and parsed[text.notna()].isna().mean() > 0.02:
        # "$1,299.00", "€ 45", "12 %", "1,024": currency signs, thousands separators, percent.
        cleaned = text.str.replace(_MONEY_SIGNS, "", regex=True).str.strip()
        grouped = cleaned.str.fullmatch(_THOUSANDS, na=False)
        cleaned = cleaned.where(~grouped, cleaned.str.replace(",", "", regex=False))
        parsed = pd.to_numeric(cleaned, errors="coerce")
    present = text.notna()
    if present.sum() and parsed[present].notna().mean() >= 0.98:
        return parsed
    return None


# Values that say "this customer left" (Telco's Yes, banking's Exited=1, Attrited Customer…) and
# that say they stayed; the positive class never depends on which row comes first.
CHURN_WORDS = {
    "churned",
    "churn",
    "left",
    "lost",
    "cancelled",
    "canceled",
    "exited",
    "attrited",
    "attrited customer",
    "yes",
    "y",
    "true",
    "t",
    "1",
    "1.0",
}
STAY_WORDS = {
    "retained",
    "stayed",
    "active",
    "renewed",
    "existing",
    "existing customer",
    "current",
    "no",
    "n",
    "false",
    "f",
    "0",
    "0.0",
}


@dataclass(frozen=True)
class Target:
    y: np.ndarray  # 0/1 for the rows that have a value
    present: np.ndarray  # which rows of the table have a value
    positive: str  # the value read as "churned"
    blank: int  # rows without a value, left out


def _shown(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values[:6]) + (" …" if len(values) > 6 else "")


def read_target(series: pd.Series, positive: str | None = None) -> Target:
    """The churn column as 0/1. The churned value is the one given, else the one churn word of
    the two values; otherwise a ValueError names the values and asks for --positive. Blank
    values are left out and counted, never folded into a class."""
    text = series.astype(str).str.strip().where(series.notna(), "")
    present = (text != "") & (~text.str.lower().isin({"nan", "none", "null", "na", "n/a"}))
    values = sorted(set(text[present]))
    if len(values) != 2:
        raise ValueError(
            f"the target needs exactly two values, found {len(values)}"
            + (f": {_shown(values)}" if values else "")
        )
    if positive is not None:
        chosen = [v for v in values if v.lower() == positive.strip().lower()]
        if not chosen:
            raise ValueError(
                f"--positive {positive!r} is not a value of the target (its values: "
                f"{_shown(values)})"
            )
    else:
        # Only a churn word beside a stay word decides by itself (1 and 2 do not).
        chosen = [v for v in values if v.lower() in CHURN_WORDS]
        others = [v for v in values if v not in chosen]
        if len(chosen) != 1 or others[0].lower() not in STAY_WORDS:
            raise ValueError(
                f"cannot tell which value means churned: {_shown(values)}; name it with --positive"
            )
    y = (text[present] == chosen[0]).to_numpy(dtype=int)
    return Target(y, present.to_numpy(), chosen[0], int((~present).sum()))


_DATE_SHAPE = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?.*)?$"
SMALL_ROWS = 200
SMALL_POSITIVES = 20
LEAKAGE_AUC = 0.98  # a column that alone separates churners this well is an outcome, not a cause


def _as_age(series: pd.Series) -> pd.Series | None:
    """Dates as days before the column's latest date: a signup date becomes an age, a last
    login a recency."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = pd.to_datetime(series, utc=True)
    else:
        text = series.astype(str).str.strip().where(series.notna())
        present = text.notna() & (text != "")
        if not present.any() or text[present].str.match(_DATE_SHAPE).mean() < 0.98:
            return None
        # 05/03/2024: day first when some first part is over 12 (and no second part is).
        parts = text[present].str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}").astype(float)
        dayfirst = bool((parts[0] > 12).any() and not (parts[1] > 12).any())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(
                text, errors="coerce", format="mixed", dayfirst=dayfirst, utc=True
            )
        if parsed[present].notna().mean() < 0.98:
            return None
    return (parsed.max() - parsed).dt.total_seconds() / 86_400


def alone_auc(values: pd.Series, y: np.ndarray) -> float:
    """How well one column by itself tells churners apart (in-sample AUC, either direction,
    missing values counted as information: a cancellation date only churners have)."""
    if len(set(y.tolist())) < 2:
        return 0.5
    if pd.api.types.is_numeric_dtype(values):
        v = values.to_numpy(dtype=float)
        missing = np.isnan(v)
        candidates = [missing.astype(float)] if missing.any() else []
        if (~missing).any():
            low, high = np.nanmin(v), np.nanmax(v)
            candidates += [np.where(missing, low - 1, v), np.where(missing, high + 1, v)]
    else:
        rates = pd.Series(y, index=values.index).groupby(values).transform("mean")
        candidates = [rates.to_numpy(dtype=float)]
    best = 0.5
    for scores in candidates:
        if np.nanstd(scores) == 0:
            continue
        auc = float(roc_auc_score(y, scores))
        best = max(best, auc, 1 - auc)
    return best


def prepare(
    frame: pd.DataFrame,
    target: str,
    positive: str | None = None,
    keep: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, np.ndarray, ColumnPlan]:
    """Column roles of a flat table, and the target as 0/1. A column that alone predicts the
    target almost perfectly is left out as probable leakage, unless named in `keep`."""
    if target not in frame.columns:
        raise KeyError(target)
    read = read_target(frame[target], positive)
    frame = frame.loc[read.present]
    y = read.y
    plan = ColumnPlan(positive_label=read.positive, blank_targets=read.blank)
    columns: dict[str, pd.Series] = {}
    rows = len(frame)
    for name in frame.columns:
        if name == target:
            continue
        series = frame[name]
        if series.notna().sum() == 0 or series.nunique(dropna=True) <= 1:
            plan.ignored[name] = "constant or empty"
            continue
        as_bool = _as_bool(series)
        if as_bool is not None:
            columns[name] = as_bool
            plan.numeric.append(name)
            continue
        as_age = _as_age(series)
        if as_age is not None:
            columns[name] = as_age
            plan.numeric.append(name)
            plan.dates.append(name)
            continue
        as_number = _as_number(series)
        distinct = series.nunique(dropna=True)
        if ID_NAME.search(str(name)) and distinct > 0.5 * rows:
            plan.ignored[name] = "an identifier"
            continue
        if as_number is not None:
            columns[name] = as_number
            plan.numeric.append(name)
        elif distinct > MAX_CATEGORIES and distinct > 0.05 * rows:
            plan.ignored[name] = "free text or an identifier (too many distinct values)"
        else:
            columns[name] = series.astype(str).str.strip().where(series.notna(), "missing")
            plan.categorical.append(name)
    # With a handful of churners a perfect column is as likely chance: judged from 20 each way.
    judged = min(int(y.sum()), int(len(y) - y.sum())) >= SMALL_POSITIVES
    for name in [*plan.numeric, *plan.categorical] if judged else []:
        if name in keep:
            continue
        auc = alone_auc(columns[name], y)
        if auc >= LEAKAGE_AUC:
            plan.ignored[name] = (
                f"probable leakage: alone it tells churners apart with AUC {auc:.3f} (an"
                f" outcome such as a churn reason or date?); keep it with --keep {name!r}"
            )
            del columns[name]
            plan.numeric = [c for c in plan.numeric if c != name]
            plan.categorical = [c for c in plan.categorical if c != name]
            plan.dates = [c for c in plan.dates if c != name]
    return pd.DataFrame(columns, index=frame.index), y, plan


def _features(plan: ColumnPlan) -> ColumnTransformer:
    # Splines let the linear model bend (churn falls steeply over the first months of tenure).
    # The imputer and scaler fit as scikit-learn's would, without their general-case cost
    # (a quarter of this model's fit on 400,000 snapshots).
    numeric = make_pipeline(
        MedianImputer(add_indicator=True),
        UniformCubicSplines(n_knots=5),
        DenseStandardScaler(),
    )
    categorical = make_pipeline(
        CategoryCodes(), OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10)
    )
    return ColumnTransformer(
        [("numeric", numeric, plan.numeric), ("categorical", categorical, plan.categorical)],
        sparse_threshold=0.0,
    )


class ObservedColumns(TransformerMixin, BaseEstimator):
    """Keeps the columns with at least MIN_OBSERVED values when fitted: the trees cannot bin a
    column with none, and early stopping holds a tenth of the rows out, which can take the few
    values a nearly empty column has (early history, before usage data existed)."""

    MIN_OBSERVED = 20

    def fit(self, x: Any, y: Any = None) -> ObservedColumns:
        observed = (~np.isnan(np.asarray(x, dtype=float))).sum(axis=0)
        self.keep_ = observed >= self.MIN_OBSERVED
        return self

    def transform(self, x: Any) -> np.ndarray:
        return np.asarray(x, dtype=float)[:, self.keep_]


def _raw_features(plan: ColumnPlan) -> ColumnTransformer:
    """For the trees: categories first, as codes the trees split natively, then numbers as they
    are (missing stays missing: the trees route it)."""
    # The trees split at most 255 categories natively: rarer ones are pooled (a city column
    # with 300 values, a surname), as the one-hot side pools those under 10 rows.
    codes = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        min_frequency=10,
        max_categories=MAX_TREE_CATEGORIES,
    )
    return ColumnTransformer(
        [
            ("categorical", make_pipeline(CategoryCodes(), codes), plan.categorical),
            ("numeric", ObservedColumns(), plan.numeric),
        ],
        sparse_threshold=0.0,
    )


class SplineLogistic(Pipeline):
    """The spline logistic regression (`_features` then LogisticRegression), scored without
    building its spline matrix. The model is linear in each spline basis and the scaler is
    linear too, so a feature's whole term is one spline whose coefficients are the model's
    weights over the scaler's spread: one spline evaluated per feature instead of seven bases
    written, scaled and multiplied (161 columns: 2.9 s of the 3.7 s it took to score a
    million rows). Fitting is the pipeline's own. A test holds the probabilities equal to
    the pipeline's (within 1e-9) on values inside, outside and missing from the fitted range.
    """

    def fit(self, x: Any, y: Any = None, **params: Any) -> SplineLogistic:
        super().fit(x, y, **params)
        self.terms_ = _spline_terms(self)
        return self

    def predict_proba(self, x: Any, **params: Any) -> np.ndarray:
        terms = getattr(self, "terms_", None)
        if terms is None or params:
            return np.asarray(super().predict_proba(x, **params))
        positive = expit(terms.logit(x))  # as LogisticRegression turns its logit
        return np.column_stack([1.0 - positive, positive])

    # The terms are derived from the fitted steps, so a stored model does not carry them: they
    # are worked out again when it is loaded, in this version's shape (a model stored with an
    # older shape of them scores as well as a new one).
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        if "terms_" in state:
            state["terms_"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "terms_" in state:
            self.terms_ = _spline_terms(self)


@dataclass
class SplineTerms:
    """What scoring a fitted `SplineLogistic` needs (see there)."""

    numeric: list[str]
    imputer: Any
    # One spline per imputed column, weights as coefficients, as scipy's piecewise polynomial:
    # it evaluates twice as fast as the B-spline it is converted from (equal within 1e-14).
    splines: list[Any]
    sources: list[str]  # the input column of each imputed column (its value or its missingness)
    bounds: np.ndarray  # (columns, 2): the knots' range; values beyond take its boundary
    categorical: list[str]
    encoder: Any | None
    categorical_weights: np.ndarray
    intercept: float

    def logit(self, x: Any) -> np.ndarray:
        return self.logit_of(len(x), self.numeric_terms(x), self.categorical_term(x))

    def logit_of(
        self, rows: int, numeric_terms: list[np.ndarray], categorical_term: np.ndarray | float
    ) -> np.ndarray:
        """The logit from the terms `numeric_terms` and `categorical_term` gave."""
        logit = np.full(rows, self.intercept)
        for term in numeric_terms:
            logit += term
        return logit + categorical_term

    def numeric_terms(self, x: Any) -> list[np.ndarray]:
        """Each imputed column's term of the logit (in `sources` order)."""
        if not self.numeric:
            return []
        imputed = np.asarray(self.imputer.transform(x[self.numeric]), dtype=float)
        clipped = np.clip(imputed, self.bounds[:, 0], self.bounds[:, 1])
        return [spline(clipped[:, column]) for column, spline in enumerate(self.splines)]

    def categorical_term(self, x: Any) -> np.ndarray | float:
        if self.encoder is None:
            return 0.0
        return np.asarray(self.encoder.transform(x[self.categorical]) @ self.categorical_weights)


# Models stored from 7235c79 to 8a1b6b1 name the class so: it must still be found to load them.
_SplineTerms = SplineTerms


def _spline_terms(pipeline: Pipeline) -> SplineTerms | None:
    """The per-feature splines of a fitted `_linear_on_splines` pipeline, or None when its
    shape is not that one (then it is scored as a pipeline)."""
    from scipy.interpolate import BSpline, PPoly

    features, model = pipeline[0], pipeline[-1]
    if len(pipeline) != 2 or not isinstance(features, ColumnTransformer):
        return None
    if features.remainder != "drop" or model.coef_.shape[0] != 1:
        return None
    weights = model.coef_[0]
    intercept = float(model.intercept_[0])
    numeric: list[str] = []
    categorical: list[str] = []
    imputer = encoder = None
    splines: list[Any] = []
    sources: list[str] = []
    bounds: list[tuple[float, float]] = []
    categorical_weights = np.empty(0)
    for name, transformer, columns in features.transformers_:
        block = features.output_indices_[name]
        if name == "remainder" or not len(columns):
            continue
        if name == "numeric":
            imputer, spline, scaler = (step for _, step in transformer.steps)
            if spline.extrapolation != "constant" or not spline.include_bias:
                return None
            # The scaler folded into the weights: w·(b − mean)/scale = (w/scale)·b − Σ…
            scaled = weights[block] / scaler.scale_
            intercept -= float(scaled @ scaler.mean_)
            per_column = len(spline.bsplines_[0].c)
            for index, basis in enumerate(spline.bsplines_):
                coefficients = scaled[index * per_column : (index + 1) * per_column]
                degree = basis.k
                curve = BSpline.construct_fast(basis.t, coefficients, degree)
                splines.append(PPoly.from_spline(curve))
                bounds.append((basis.t[degree], basis.t[-degree - 1]))
            numeric = list(columns)
            # The imputer keeps the columns it saw values of, then adds a missingness column
            # for those it saw missing: the names it gives say which input each one reads.
            sources = [
                column.removeprefix("missingindicator_")
                for column in imputer.get_feature_names_out(numeric)
            ]
            if len(sources) != len(splines) or not set(sources) <= set(numeric):
                return None
        elif name == "categorical":
            encoder, categorical = transformer, list(columns)
            categorical_weights = weights[block]
        else:
            return None
    return SplineTerms(
        numeric=numeric,
        imputer=imputer,
        splines=splines,
        sources=sources,
        bounds=np.array(bounds, dtype=float).reshape(-1, 2),
        categorical=categorical,
        encoder=encoder,
        categorical_weights=categorical_weights,
        intercept=intercept,
    )


def _linear_on_splines(plan: ColumnPlan) -> Pipeline:
    """A regularised logistic regression on spline features: well calibrated, and bends where
    churn does (steeply over the first months of tenure)."""
    # Newton–Cholesky reaches the same optimum as lbfgs (the problem is convex) in a handful of
    # iterations: on 20,000 rows × 167 spline columns 0.15 s instead of 1.1 s (issue 26).
    return SplineLogistic(
        [
            ("features", _features(plan)),
            ("model", LogisticRegression(C=0.1, max_iter=3000, solver="newton-cholesky")),
        ]
    )


def _trees(plan: ColumnPlan, model: HistGradientBoostingClassifier) -> Pipeline:
    return Pipeline(
        [
            ("features", _raw_features(plan)),
            # The trees' predictor walks the matrix column by column: Fortran order is faster.
            ("columns_first", FunctionTransformer(np.asfortranarray)),
            ("model", model),
        ]
    )


def _categorical_positions(plan: ColumnPlan) -> list[int] | None:
    return list(range(len(plan.categorical))) or None


def _shallow_trees(plan: ColumnPlan, seed: int) -> Pipeline:
    """Shallow boosted trees: interactions (tenure × contract) without overfitting a few
    thousand rows (early stopping on a tenth of them). A hundred trees at a rate of 0.1 score
    as well as three hundred at 0.03 on the benchmark's rows and predict three times faster."""
    return _trees(
        plan,
        HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=100,
            max_leaf_nodes=8,
            min_samples_leaf=80,
            l2_regularization=1.0,
            early_stopping=True,
            categorical_features=_categorical_positions(plan),
            random_state=seed,
        ),
    )


def build_model(plan: ColumnPlan, seed: int = 0) -> VotingClassifier:
    """The workspace model's ensemble: the spline logistic regression and the shallow trees,
    their probabilities averaged (its calibration and the choice against a plain logistic
    regression happen out of time, in `steward.churn.training`)."""
    return VotingClassifier(
        [("linear", _linear_on_splines(plan)), ("trees", _shallow_trees(plan, seed))],
        voting="soft",
    )


def boosting_model(plan: ColumnPlan, seed: int = 0) -> Pipeline:
    """Plain gradient boosting (scikit-learn's defaults) on the raw columns: the second
    comparator, and a candidate, so where it is the best model it is chosen as it is."""
    return _trees(
        plan,
        HistGradientBoostingClassifier(
            categorical_features=_categorical_positions(plan), random_state=seed
        ),
    )


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


STACK = "stack"


class ChosenByValidation(ClassifierMixin, BaseEstimator):
    """Candidates judged on the training rows only, by the Brier score of their out-of-fold
    probabilities (stratified k-fold): plain logistic regression, logistic regression on
    splines, shallow boosted trees, plain boosted trees, and a stack of the four (a logistic
    regression on their out-of-fold log-odds, itself judged by k-fold on them). The best is
    refitted on all the training rows. A plain candidate that wins is used exactly as it is,
    so the pipeline is never worse than it on the rows it was judged on; a stack wins only
    where mixing helps. Ties go to the earlier, simpler candidate."""

    def __init__(self, plan: ColumnPlan, seed: int = 0, folds: int = 5) -> None:
        self.plan = plan
        self.seed = seed
        self.folds = folds

    def _candidates(self) -> dict[str, Callable[[], Any]]:
        return {
            "logistic regression": lambda: baseline_model(self.plan),
            "logistic regression on splines": lambda: _linear_on_splines(self.plan),
            "shallow boosted trees": lambda: _shallow_trees(self.plan, self.seed),
            "boosted trees": lambda: boosting_model(self.plan, self.seed),
        }

    def fit(self, x: pd.DataFrame, y: np.ndarray) -> ChosenByValidation:
        y = np.asarray(y)
        self.classes_ = np.array([0, 1])
        candidates = self._candidates()
        folds = StratifiedKFold(
            max(2, min(self.folds, int(y.sum()), int(len(y) - y.sum()))),
            shuffle=True,
            random_state=self.seed,
        )
        out_of_fold = np.column_stack(
            [
                cross_val_predict(make(), x, y, cv=folds, method="predict_proba")[:, 1]
                for make in candidates.values()
            ]
        )
        log_odds = _logit(out_of_fold)
        stacked = cross_val_predict(
            LogisticRegression(), log_odds, y, cv=folds, method="predict_proba"
        )[:, 1]
        briers = {
            name: float(brier_score_loss(y, out_of_fold[:, i])) for i, name in enumerate(candidates)
        }
        briers[STACK] = float(brier_score_loss(y, stacked))
        self.briers_ = briers
        self.chosen_ = min(briers, key=lambda name: briers[name])  # first of equals
        if self.chosen_ == STACK:
            self.models_ = [make().fit(x, y) for make in candidates.values()]
            self.stack_ = LogisticRegression().fit(log_odds, y)
        else:
            self.models_ = [candidates[self.chosen_]().fit(x, y)]
        return self

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        if self.chosen_ == STACK:
            log_odds = _logit(np.column_stack([m.predict_proba(x)[:, 1] for m in self.models_]))
            return np.asarray(self.stack_.predict_proba(log_odds))
        return np.asarray(self.models_[0].predict_proba(x))

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(int)


def baseline_model(plan: ColumnPlan) -> Pipeline:
    """The untuned logistic regression the issue compares against (no splines, no trees)."""
    numeric = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    categorical = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10)
    features = ColumnTransformer(
        [("numeric", numeric, plan.numeric), ("categorical", categorical, plan.categorical)],
        sparse_threshold=0.0,
    )
    return Pipeline([("features", features), ("model", LogisticRegression(max_iter=3000))])


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    count: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class Scores:
    auc: float
    auc_folds: list[float]
    brier: float


@dataclass(frozen=True)
class TableEvaluation:
    rows: int
    positives: int
    plan: ColumnPlan
    model: Scores
    baseline: Scores  # plain logistic regression on the same folds
    boosting: Scores  # plain gradient boosting on the same folds
    chosen: list[str]  # what the pipeline chose in each fold
    calibration: list[CalibrationBin]
    # Set when the table is small (under 200 rows or 20 churners): what the AUC is worth.
    warning: str | None = None


def auc_interval(auc: float, positives: int, negatives: int) -> tuple[float, float]:
    """A 95 % interval of an AUC (Hanley and McNeil, 1982)."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    ) / max(positives * negatives, 1)
    half = 1.96 * float(np.sqrt(max(variance, 0.0)))
    return max(0.0, auc - half), min(1.0, auc + half)


def read_table(path: Any) -> pd.DataFrame:
    """A CSV whose separator is a comma, semicolon (European exports), tab or bar: taken from
    the first lines, not assumed."""
    import csv

    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        sample = handle.read(65_536)
    try:
        separator = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        separator = ","
    # Semicolon files come from spreadsheets that write decimal commas (1,5).
    decimal = "," if separator == ";" else "."
    return pd.read_csv(path, sep=separator, decimal=decimal, low_memory=False, encoding="utf-8-sig")


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[CalibrationBin]:
    """Predictions in equal-width probability bins: how many, mean predicted, observed rate."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table = []
    for b in range(bins):
        chosen = index == b
        if chosen.any():
            table.append(
                CalibrationBin(
                    low=float(edges[b]),
                    high=float(edges[b + 1]),
                    count=int(chosen.sum()),
                    mean_predicted=float(p[chosen].mean()),
                    observed_rate=float(y[chosen].mean()),
                )
            )
    return table


Progress = Callable[[str], None]  # told after each fitted fold: what was fitted


def _cross_validated(
    make: Callable[[], Any],
    x: pd.DataFrame,
    y: np.ndarray,
    folds: int,
    seed: int,
    step: Progress | None = None,
    label: str = "",
) -> tuple[Scores, np.ndarray, list[Any]]:
    """Out-of-fold probabilities from stratified k-fold; AUC per fold and Brier over all rows;
    the fitted model of each fold."""
    predicted = np.zeros(len(y))
    aucs, fitted = [], []
    for number, (train, test) in enumerate(
        StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y), start=1
    ):
        model = make().fit(x.iloc[train], y[train])
        predicted[test] = model.predict_proba(x.iloc[test])[:, 1]
        aucs.append(float(roc_auc_score(y[test], predicted[test])))
        fitted.append(model)
        if step:
            step(f"{label}, fold {number} of {folds}")
    scores = Scores(
        auc=float(np.mean(aucs)), auc_folds=aucs, brier=float(brier_score_loss(y, predicted))
    )
    return scores, predicted, fitted


def evaluate_table(
    frame: pd.DataFrame,
    target: str,
    folds: int = 5,
    seed: int = 0,
    positive: str | None = None,
    keep: tuple[str, ...] = (),
    step: Progress | None = None,
) -> TableEvaluation:
    """The pipeline, plain logistic regression and plain gradient boosting on the same
    stratified folds (3 × `folds` fits; `step` is told after each)."""
    x, y, plan = prepare(frame, target, positive, keep)
    if not plan.numeric and not plan.categorical:
        raise ValueError("no usable feature columns")
    if min(int(y.sum()), int(len(y) - y.sum())) < folds:
        raise ValueError(f"each class needs at least {folds} rows for {folds}-fold validation")
    model, predicted, fitted = _cross_validated(
        lambda: ChosenByValidation(plan, seed), x, y, folds, seed, step, "Steward pipeline"
    )
    baseline, _, _ = _cross_validated(
        lambda: baseline_model(plan), x, y, folds, seed, step, "logistic regression"
    )
    boosting, _, _ = _cross_validated(
        lambda: boosting_model(plan, seed), x, y, folds, seed, step, "gradient boosting"
    )
    positives, rows = int(y.sum()), len(y)
    warning = None
    if rows < SMALL_ROWS or positives < SMALL_POSITIVES:
        low, high = auc_interval(model.auc, positives, rows - positives)
        warning = (
            f"only {rows} rows and {positives} churners: the AUC of {model.auc:.3f} could be"
            f" anywhere from {low:.3f} to {high:.3f} (95 % interval); judge on more data"
        )
    return TableEvaluation(
        rows=rows,
        positives=positives,
        plan=plan,
        model=model,
        baseline=baseline,
        boosting=boosting,
        chosen=[m.chosen_ for m in fitted],
        calibration=calibration_table(y, predicted),
        warning=warning,
    )
