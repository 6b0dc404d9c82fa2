"""The churn pipeline on flat tables: the Telco check (SPEC §5, issue 6), and any other table
with the usual mess (ids, numbers as text with blanks, Yes/No and True/False, free text)."""

from __future__ import annotations

import copy
import io
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.pipeline import Pipeline
from typer.testing import CliRunner

from steward.churn.tabular import (
    ColumnPlan,
    SplineLogistic,
    TableEvaluation,
    _linear_on_splines,
    evaluate_table,
    prepare,
    read_target,
)
from steward.churn.variants import predicted_variants
from steward.cli.main import app
from tests.conftest import missing_service

DATA = Path(__file__).resolve().parents[1] / "data"
TELCO = DATA / "telco-customer-churn.csv"
# Where two figures differ by less than this they are reported as tied (the docs' table too):
# a tenth of the smallest fold-to-fold spread seen on the public tables.
TIE = 0.001


def _best_or_tied(result: TableEvaluation) -> None:
    """The pipeline's AUC and Brier score against the better of plain logistic regression and
    plain gradient boosting on the same folds."""
    plain = (result.baseline, result.boosting)
    assert result.model.auc >= max(s.auc for s in plain) - TIE, (result.model, plain)
    assert result.model.brier <= min(s.brier for s in plain) + TIE, (result.model, plain)


def test_telco_reaches_the_published_auc_with_a_calibrated_brier_score() -> None:
    if not TELCO.is_file():
        missing_service(f"the Telco data set at {TELCO}")
    result = evaluate_table(pd.read_csv(TELCO), "Churn", folds=5, seed=0)
    assert result.plan.ignored == {"customerID": "an identifier"}
    assert "TotalCharges" in result.plan.numeric  # numbers stored as text with blanks
    assert result.model.auc >= 0.845, result.model
    assert result.model.brier <= 0.135, result.model
    # Better than the untuned logistic regression on the same folds, not implausibly so
    # (figures far above the published 0.84–0.85 would mean leakage).
    assert result.baseline.auc < result.model.auc < 0.87
    # Calibrated: where there are enough rows, predicted and observed rates agree.
    for row in result.calibration:
        if row.count >= 100:
            assert abs(row.mean_predicted - row.observed_rate) < 0.05, row
    _best_or_tied(result)


def test_where_boosting_is_far_better_the_pipeline_is_as_good_as_boosting() -> None:
    """The Iranian telecom table (UCI, CC BY 4.0): complaints and usage interact, plain
    boosting beats logistic regression by 0.05 AUC; averaging the two lost to boosting, the
    choice by validation must not."""
    frame = pd.read_csv(DATA / "iranian-churn.csv")
    result = evaluate_table(frame, "Churn", folds=5, seed=0)
    assert result.boosting.auc > result.baseline.auc + 0.03  # the table is what it claims
    _best_or_tied(result)
    assert set(result.chosen) <= {
        "logistic regression",
        "logistic regression on splines",
        "shallow boosted trees",
        "boosted trees",
        "stack",
    }


def test_where_a_plain_model_wins_on_its_own_it_is_chosen_as_it_is() -> None:
    """A table whose churn is an interaction no additive model can draw (low usage churns
    unless tickets are many, high usage churns when they are): the trees find it, a linear
    model cannot; the pipeline keeps the trees (or a stack at least as good), not an average
    with a model that only adds noise."""
    rng = np.random.default_rng(11)
    rows = 4000
    usage = rng.random(rows)
    tickets = rng.integers(0, 6, rows)
    churned = ((usage < 0.5) ^ (tickets >= 3)) & (rng.random(rows) < 0.6)
    frame = pd.DataFrame(
        {"usage": usage, "tickets": tickets, "noise": rng.normal(size=rows), "Churn": churned}
    )
    result = evaluate_table(frame, "Churn", folds=5, seed=0)
    assert result.boosting.auc > result.baseline.auc + 0.2
    _best_or_tied(result)


def _messy_table(rows: int = 3000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seats = rng.integers(1, 200, rows).astype(float)
    plan = rng.choice(["Starter", "Growth", "Enterprise"], rows, p=[0.5, 0.3, 0.2])
    sso = rng.random(rows) < 0.4
    logit = 1.2 - 0.02 * seats - 1.2 * sso + np.where(plan == "Starter", 0.8, -0.4)
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    seats_text = [("" if rng.random() < 0.05 else f"{s:.0f}") for s in seats]
    return pd.DataFrame(
        {
            "Account ID": [f"ACC-{i:05d}" for i in range(rows)],
            "customer_uuid": [f"{i:032x}" for i in range(rows)],
            "Seats": seats_text,
            "Plan": plan,
            "Has SSO": np.where(sso, "True", "False"),
            "Renewed before": rng.choice(["Yes", "No"], rows),
            "Notes": [f"call on day {i}" for i in range(rows)],
            "Region": "EMEA",
            "Status": np.where(churned, "churned", "active"),
        }
    )


def test_any_flat_table_gets_column_roles_and_a_fitted_model() -> None:
    frame = _messy_table()
    x, y, plan = prepare(frame, "Status")
    assert set(plan.ignored) == {"Account ID", "customer_uuid", "Notes", "Region"}
    assert set(plan.numeric) == {"Seats", "Has SSO", "Renewed before"}
    assert plan.categorical == ["Plan"]
    assert x["Seats"].isna().sum() > 0 and x["Has SSO"].isin([0.0, 1.0]).all()
    assert y.mean() == pytest.approx((frame["Status"] == "churned").mean())
    result = evaluate_table(frame, "Status", folds=5, seed=1)
    # The planted signal is found; the irrelevant "Renewed before" does not make it worse than
    # the plain logistic regression by much.
    assert result.model.auc > 0.75 and result.model.brier < 0.2
    assert result.model.auc > result.baseline.auc - 0.01


def test_the_cli_explains_bad_input_with_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    table = tmp_path / "customers.csv"
    _messy_table(200).to_csv(table, index=False)
    missing = runner.invoke(app, ["churn", "evaluate", "--csv", str(table), "--target", "Churn"])
    assert missing.exit_code == 2 and "no column 'Churn'" in missing.output
    three = tmp_path / "three.csv"
    pd.DataFrame({"x": range(30), "y": ["a", "b", "c"] * 10}).to_csv(three, index=False)
    bad_target = runner.invoke(app, ["churn", "evaluate", "--csv", str(three), "--target", "y"])
    assert bad_target.exit_code == 2 and "two values" in bad_target.output
    nothing = runner.invoke(
        app, ["churn", "evaluate", "--csv", str(tmp_path / "nope.csv"), "--target", "y"]
    )
    assert nothing.exit_code == 2 and "no such file" in nothing.output
    ok = runner.invoke(app, ["churn", "evaluate", "--csv", str(table), "--target", "Status"])
    assert ok.exit_code == 0, ok.output
    assert "Steward churn pipeline" in ok.output and "Calibration" in ok.output


@pytest.mark.parametrize(
    ("churned", "stayed"),
    [
        ("Yes", "No"),
        ("True", "False"),
        (1, 0),
        ("Churned", "Retained"),
        ("Attrited Customer", "Existing Customer"),
        ("exited", "stayed"),
        ("Left", "Active"),
    ],
)
def test_the_churned_value_does_not_depend_on_which_row_comes_first(churned, stayed) -> None:  # type: ignore[no-untyped-def]
    # The first row is a churner and so is a minority: order alone would pick the wrong class.
    column = pd.Series([churned, stayed, stayed, stayed, churned, stayed])
    target = read_target(column)
    assert str(target.positive) == str(churned)
    assert target.y.tolist() == [1, 0, 0, 0, 1, 0]
    flipped = read_target(column.iloc[::-1].reset_index(drop=True))
    assert flipped.y.tolist() == [0, 1, 0, 0, 0, 1]


def test_unknown_labels_are_refused_with_their_values_unless_named() -> None:
    column = pd.Series(["A", "B", "B", "A"])
    with pytest.raises(
        ValueError, match=r"cannot tell which value means churned: 'A', 'B'.*--positive"
    ):
        read_target(column)
    assert read_target(column, positive="b").y.tolist() == [0, 1, 1, 0]
    with pytest.raises(ValueError, match=r"--positive 'C' is not a value"):
        read_target(column, positive="C")
    with pytest.raises(ValueError, match="cannot tell"):
        read_target(pd.Series([1, 2, 2, 1]))  # 1 beside 2 is not yes beside no


def test_blank_targets_are_left_out_and_counted() -> None:
    frame = pd.DataFrame(
        {
            "Seats": [5, 7, 9, 11, 13, 15],
            "Churn": ["Yes", "", None, "No", " ", "No"],
        }
    )
    x, y, plan = prepare(frame, "Churn")
    assert y.tolist() == [1, 0, 0] and x["Seats"].tolist() == [5.0, 11.0, 15.0]
    assert plan.blank_targets == 3 and plan.positive_label == "Yes"


def test_the_cli_asks_for_positive_and_says_what_it_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 300
    seats = rng.integers(1, 100, n)
    label = np.where(rng.random(n) < 1 / (1 + np.exp((seats - 30) / 10)), "A", "B")
    table = tmp_path / "t.csv"
    pd.DataFrame({"Seats": seats, "Outcome": label}).to_csv(table, index=False)
    refused = CliRunner().invoke(
        app, ["churn", "evaluate", "--csv", str(table), "--target", "Outcome"]
    )
    assert (
        refused.exit_code == 2 and "--positive" in refused.output and "'A', 'B'" in refused.output
    )
    named = CliRunner().invoke(
        app, ["churn", "evaluate", "--csv", str(table), "--target", "Outcome", "--positive", "A"]
    )
    assert named.exit_code == 0, named.output
    assert "churned = Outcome is 'A'" in named.output


def test_a_text_column_of_300_values_is_pooled_for_the_trees_not_a_crash() -> None:
    # 300 cities over 6,600 rows: few enough per row to be a category (under 5 % of the rows),
    # more than the 255 categories scikit-learn's boosted trees take.
    rng = np.random.default_rng(0)
    n = 6_600
    seats = rng.integers(1, 100, n)
    frame = pd.DataFrame(
        {
            "City": np.array([f"City {i}" for i in range(300)])[rng.integers(0, 300, n)],
            "Seats": seats,
            "Churn": np.where(rng.random(n) < 1 / (1 + np.exp((seats - 40) / 10)), "Yes", "No"),
        }
    )
    result = evaluate_table(frame, "Churn", folds=3)
    assert result.plan.categorical == ["City"]
    assert result.model.auc > 0.85


def test_money_thousands_and_percent_are_numbers() -> None:
    from steward.churn.tabular import _as_number

    parsed = _as_number(pd.Series(["$1,299.00", "€ 45", "12 %", "1,024", "", "3.5", "-2,000"]))
    assert parsed is not None
    assert parsed.tolist()[:4] == [1299.0, 45.0, 12.0, 1024.0]
    assert np.isnan(parsed.iloc[4]) and parsed.tolist()[5:] == [3.5, -2000.0]
    assert _as_number(pd.Series(["Gold", "Silver"])) is None


def _table(rows: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seats = rng.integers(1, 100, rows)
    return pd.DataFrame(
        {
            "Seats": seats,
            "Spend": [f"${s * 12.5:,.2f}" for s in seats],
            "Plan": rng.choice(["Gold", "Silver"], rows),
            "Churn": np.where(rng.random(rows) < 1 / (1 + np.exp((seats - 40) / 10)), "Yes", "No"),
        }
    )


@pytest.mark.parametrize(("separator", "decimal"), [(";", ","), ("\t", "."), (",", ".")])
def test_semicolon_and_tab_files_are_read_as_tables(tmp_path: Path, separator, decimal) -> None:  # type: ignore[no-untyped-def]
    from steward.churn.tabular import read_table

    frame = _table(50).assign(Ratio=lambda f: f["Seats"] / 8)
    path = tmp_path / "t.csv"
    frame.to_csv(path, sep=separator, decimal=decimal, index=False)
    read = read_table(path)
    assert list(read.columns) == list(frame.columns)
    assert read["Ratio"].tolist() == pytest.approx(frame["Ratio"].tolist())


def test_a_small_table_warns_with_the_interval_of_its_auc() -> None:
    small = evaluate_table(_table(150), "Churn", folds=3)
    assert small.warning is not None and "95 % interval" in small.warning
    assert "Spend" in small.plan.numeric
    assert evaluate_table(_table(1_500), "Churn", folds=3).warning is None


def test_a_column_that_gives_the_answer_away_is_left_out_unless_kept() -> None:
    frame = _table(600, seed=9)
    churned = frame["Churn"] == "Yes"
    rng = np.random.default_rng(1)
    # What only churners have: a cancellation date and a reason; and an ordinary signup date.
    start = pd.Timestamp("2024-01-01")
    frame["Cancelled on"] = np.where(
        churned, (start + pd.to_timedelta(rng.integers(0, 300, len(frame)), "D")).astype(str), ""
    )
    frame["Churn reason"] = np.where(churned, rng.choice(["Price", "Support"], len(frame)), "")
    frame["Signed up"] = (start - pd.to_timedelta(rng.integers(0, 900, len(frame)), "D")).strftime(
        "%d/%m/%Y"
    )
    x, _, plan = prepare(frame, "Churn")
    for leak in ("Cancelled on", "Churn reason"):
        assert plan.ignored[leak].startswith("probable leakage"), plan.ignored
        assert leak not in x.columns
    assert "Signed up" in plan.dates and x["Signed up"].between(0, 900).all()
    assert "Seats" in plan.numeric
    kept, _, kept_plan = prepare(frame, "Churn", keep=("Churn reason",))
    assert "Churn reason" in kept_plan.categorical and "Churn reason" in kept.columns


def _customers(rng: np.random.Generator, rows: int, spread: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenure": rng.exponential(400, rows) * spread,
            "usage": np.where(rng.random(rows) < 0.3, np.nan, rng.normal(0, 1, rows) * spread),
            "seats": np.full(rows, 10.0),  # constant: its knots collapse to one point
            "nps": np.full(rows, np.nan),  # never observed: the imputer drops it
            "segment": rng.choice(["smb", "mid", "ent"], rows),
        }
    )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(60, 400), with_categories=st.booleans())
def test_the_spline_logistic_scores_as_its_pipeline(
    seed: int, rows: int, with_categories: bool
) -> None:
    """`SplineLogistic` scores one spline per feature instead of the pipeline's spline
    matrix: the probabilities must be the pipeline's, for values inside the fitted range,
    beyond it, missing, and for a category it never saw."""
    rng = np.random.default_rng(seed)
    train = _customers(rng, rows)
    y = (rng.random(rows) < 0.3).astype(int)
    y[:2] = [0, 1]
    plan = ColumnPlan(
        numeric=["tenure", "usage", "seats", "nps"],
        categorical=["segment"] if with_categories else [],
    )
    model = _linear_on_splines(plan).fit(train, y)
    assert isinstance(model, SplineLogistic) and model.terms_ is not None
    probe = _customers(rng, 300, spread=3.0)  # a third beyond the fitted range
    probe.loc[:10, "segment"] = "unseen"
    probe.loc[10:20, "seats"] = [0.0, 99.0] * 5 + [10.0]
    fast = model.predict_proba(probe)
    pipeline = Pipeline.predict_proba(model, probe)
    assert np.abs(fast - pipeline).max() < 1e-9


def test_a_stored_spline_logistic_works_out_its_terms_when_loaded() -> None:
    """A stored model does not carry the terms it scores with; they are worked out again when
    it is loaded, so a model stored with an older shape of them (before each term said which
    column it reads) scores, and explains, as a new one."""
    rng = np.random.default_rng(5)
    train = _customers(rng, 300)
    y = (rng.random(300) < 0.3).astype(int)
    plan = ColumnPlan(numeric=["tenure", "usage", "seats", "nps"], categorical=["segment"])
    model = _linear_on_splines(plan).fit(train, y)
    probe = _customers(rng, 100, spread=3.0)
    expected = model.predict_proba(probe)

    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.terms_ is not None and np.array_equal(loaded.predict_proba(probe), expected)

    older = dict(model.__dict__)
    older["terms_"] = copy.copy(model.terms_)
    del older["terms_"].sources  # the shape stored by 7235c79
    from_older = SplineLogistic.__new__(SplineLogistic)
    from_older.__setstate__(older)
    assert from_older.terms_ is not None and model.terms_ is not None
    assert from_older.terms_.sources == model.terms_.sources
    base, (typical,) = predicted_variants(from_older, probe, [{"usage": 0.0}])
    assert np.abs(base - expected[:, 1]).max() < 1e-12
    at_zero = Pipeline.predict_proba(model, probe.assign(usage=0.0))[:, 1]
    assert np.abs(typical - at_zero).max() < 1e-9
    older_name = pickle.Unpickler(io.BytesIO()).find_class("steward.churn.tabular", "_SplineTerms")
    assert older_name is type(model.terms_)
