"""Reasons that make sense: on synthetic accounts whose drivers are known, a reason names the
account's value, which side of a typical customer's it is on, and the points it adds; and a
movement on the side that lowers risk is never named as raising it, whatever the model
learned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.churn import explain
from steward.churn.features import (
    CATEGORICAL_FEATURES,
    FEATURES,
    NUMERIC_FEATURES,
    REASON_GROUPS,
    RISK_DIRECTION,
)
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
            side, _ = _risk_side(reason.key, row, reference)
            assert side >= 0, (reason, row)
    assert listed > 100  # the book does have reasons to check


def _risk_side(group: str, row: dict, reference: dict) -> tuple[int, str]:
    """Where an account's values of a group sit against a typical customer's, one row at a
    time, as the rule was first written: +1 with the sentence, -1, or 0 (no fixed side)."""
    raising, sides = [], []
    for column in REASON_GROUPS.get(group, ()):
        direction = RISK_DIRECTION.get(column)
        value, typical = row.get(column), reference.get(column)
        if direction is None or not explain._known(value) or not explain._known(typical):
            continue
        mine, usual = float(value), float(typical)  # type: ignore[arg-type]
        side = int(np.sign(mine - usual)) * direction
        sides.append(side)
        if side > 0:
            words, style = explain._FEATURE_WORDS[column]
            where = "above" if mine > usual else "below"
            raising.append(f"{words} {where} a typical customer's {explain._written(usual, style)}")
    if not sides:
        return 0, ""
    return (1, "; ".join(raising) + ": raises risk") if raising else (-1, "")


def _one_row_rule(
    effects: dict[str, np.ndarray], row: dict[str, object], index: int, reference: dict
) -> list[explain.Reason]:
    """The rule as first written, one account at a time (the oracle for `reasons_of`)."""

    reasons: list[explain.Reason] = []
    for group in sorted(effects, key=lambda g: -effects[g][index]):
        points = float(effects[group][index])
        if points < explain.MIN_POINTS or len(reasons) == 3:
            break
        side, direction = _risk_side(group, row, reference)
        if side < 0:
            continue
        if side == 0:
            direction = "differs from a typical customer's: raises risk here"
        reasons.append(
            explain.Reason(
                group,
                explain.LABELS[group],
                round(points, 4),
                explain.describe(group, row),
                direction,
            )
        )
    return reasons


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 40))
def test_reasons_for_a_whole_slice_equal_the_one_account_rule(seed: int, rows: int) -> None:
    """Scoring writes every account's reasons from arrays at once; they must be exactly what
    the rule gives one account at a time: missing values, ties and points near the threshold
    included."""
    rng = np.random.default_rng(seed)
    x = _snapshots(rows, seed=seed % 1000)
    for column in NUMERIC_FEATURES:  # missing values, and values equal to the reference
        x.loc[rng.random(rows) < 0.2, column] = np.nan
        x.loc[rng.random(rows) < 0.1, column] = 0.0
    reference = {name: 0.0 for name in NUMERIC_FEATURES} | {"segment": "smb", "tier": "standard"}
    reference["nps"] = None  # a reference a model may have: mostly missing
    # Effects on a coarse grid, so ties and the one-point threshold are common.
    effects = {
        group: rng.choice([-0.02, 0.0, 0.005, 0.01, 0.02, 0.05, 0.1], rows)
        for group in explain.LABELS
    }
    whole = explain.reasons_of(effects, x, reference)
    records = x.to_dict("records")
    assert whole == [_one_row_rule(effects, records[i], i, reference) for i in range(rows)]


def _described_as_first_written(group: str, row: dict) -> str:
    """A reason group's sentence for one account, as it was first written (the oracle for
    `describe_rows`, which writes a group's sentences for many accounts at once)."""

    def known(name: str) -> bool:
        return explain._known(row.get(name))

    pct = explain._pct
    if group.startswith("cf."):
        value = row.get(group)
        if not explain._known(value) or value == "(none)":
            return "no value"
        if isinstance(value, float):
            return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"
        return str(value)
    if group == "usage_trend":
        if not known("usage_trend"):
            return "no usage data"
        return f"active users {pct(row['usage_trend'])} vs the 30 days before"
    if group == "utilisation":
        if not known("utilisation"):
            return "no usage data"
        return f"{row['utilisation'] * 100:.0f}% of seats active in 30 days"
    if group == "adoption":
        if not known("adoption"):
            return "no usage data"
        return f"key features used by {row['adoption'] * 100:.0f}% of active users"
    if group == "engagement":
        recency = (
            f"last touch {row['engagement_recency']:.0f} days ago"
            if known("engagement_recency")
            else "never touched"
        )
        return f"{recency}, {row['touches_90d']:.0f} touches in 90 days"
    if group == "escalations":
        return f"{row['open_escalations']:.0f} open, {row['escalations_90d']:.0f} opened in 90 days"
    if group == "nps":
        return f"NPS {row['nps']:.0f} over the last year" if known("nps") else "no NPS answers"
    if group == "revenue_change":
        parts = []
        if known("arr_change_90d"):
            parts.append(f"ARR {pct(row['arr_change_90d'])} in 90 days")
        if known("arr_change_365d"):
            parts.append(f"{pct(row['arr_change_365d'])} in a year")
        return ", ".join(parts) or "no earlier revenue"
    if group == "size":
        return f"ARR {row['arr']:,.0f}, {row['products']:.0f} products"
    if group == "tenure":
        return (
            f"customer for {row['tenure_days'] / 365.25:.1f} years, {row['renewals']:.0f} renewals"
        )
    if group == "renewal_timing":
        auto = "auto-renews" if row["auto_renew"] else "no auto-renew"
        return f"renewal in {row['days_to_renewal']:.0f} days, {auto}"
    if group == "segment":
        return f"{row['segment']}, {row['tier']}"
    return ""


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 30))
def test_sentences_written_for_many_accounts_are_the_one_account_sentences(
    seed: int, rows: int
) -> None:
    """Every reason group's sentences for a slice of accounts, missing values and custom
    fields (numbers, whole numbers, text, none) included, are those of the rule as first
    written, one account at a time."""
    rng = np.random.default_rng(seed)
    x = _snapshots(rows, seed=seed % 1000)
    for column in NUMERIC_FEATURES:
        x.loc[rng.random(rows) < 0.25, column] = np.nan
    x["auto_renew"] = rng.choice([0.0, 1.0], rows)
    x["cf.seats"] = rng.choice([np.nan, 3.0, 12.5, 1_250_000.0], rows)
    x["cf.region"] = rng.choice(np.array(["EMEA", "(none)", None], dtype=object), rows)
    groups = [*explain.LABELS, "cf.seats", "cf.region", "cf.never_filled"]
    records = x.to_dict("records")
    for group in groups:
        many = explain.describe_rows(group, explain._ColumnsOf(x))
        assert many == [_described_as_first_written(group, row) for row in records], group
        assert explain.describe(group, records[0]) == many[0]
