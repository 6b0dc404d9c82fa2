"""Why an account is at risk: the model's own attributions, by reason group.

For each group of features a person would name ("usage trend", "escalations"), the account's
risk is recomputed with that group set to a typical customer's values; the difference is how
many points of risk the account's own values add. This is the model's answer (any model, no
surrogate), it is additive enough to read, and it costs at most one prediction per group (less:
`variants` computes what the model's structure allows without predicting).

A group is named as raising risk only when the account's values sit on the risk-raising side
of the typical customer's (`features.RISK_DIRECTION`): a model may have learned a bump from
noise, and "active users +65 %" listed as raising churn risk would teach a CSM to ignore the
panel. Each reason says the value, which side of typical it is, and the points it adds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from steward.churn.features import (
    BUILT_IN,
    NO_VALUE,
    REASON_GROUPS,
    RISK_DIRECTION,
    FeatureSet,
)
from steward.churn.variants import predicted_variants

MIN_POINTS = 0.01  # below one point of probability a reason is noise
CHUNK_ROWS = 50_000  # scoring works through the frame in slices of this many rows

LABELS = {
    "usage_trend": "Product usage trend",
    "utilisation": "Licence utilisation",
    "adoption": "Key-feature adoption",
    "engagement": "Engagement",
    "escalations": "Escalations",
    "nps": "NPS",
    "revenue_change": "Revenue change",
    "size": "Contract size",
    "tenure": "Tenure",
    "renewal_timing": "Renewal timing",
    "segment": "Segment and tier",
}


@dataclass(frozen=True)
class Reason:
    key: str
    label: str
    points: float  # change in churn probability, 0.12 = +12 points
    detail: str  # the account's values, as a person would say them
    direction: str = ""  # which side of a typical customer's values, and that it raises risk

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "points": self.points,
            "detail": self.detail,
            "direction": self.direction,
        }


def _pct(value: float) -> str:
    return f"{value * 100:+.0f}%"


def _known(value: Any) -> bool:
    # NaN is the one float unequal to itself (np.isnan costs a microsecond per scalar).
    return value is not None and not (isinstance(value, float) and value != value)


def groups_of(features: FeatureSet) -> dict[str, tuple[str, ...]]:
    """The reason groups of a model: the built-in ones, and each custom field on its own."""
    return {**REASON_GROUPS, **{f.column: (f.column,) for f in features.custom}}


def labels_of(features: FeatureSet) -> dict[str, str]:
    return {**LABELS, **{f.column: f.label for f in features.custom}}


def describe(group: str, row: Mapping[str, Any]) -> str:
    """The account's own values for a reason group, as a person would say them."""
    return describe_rows(group, _ColumnsOf(pd.DataFrame([dict(row)])))[0]


class _ColumnsOf(dict[str, list[Any]]):
    """The values of a frame's columns as lists, each made when first read (a column the
    frame lacks reads as missing for every row)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__()
        self.frame = frame

    def __missing__(self, name: str) -> list[Any]:
        column = self.frame[name] if name in self.frame else pd.Series([None] * len(self.frame))
        values = self[name] = column.tolist()
        return values


def describe_rows(group: str, columns: Mapping[str, list[Any]]) -> list[str]:
    """`describe` for many accounts at once: `columns` holds each column's values, one per
    account (a column is read only when the group names it)."""

    def each(name: str, written: Any, otherwise: str) -> list[str]:
        return [written(value) if _known(value) else otherwise for value in columns[name]]

    if group.startswith("cf."):  # a custom field: its value, as the field holds it
        return [_custom_value(value) for value in columns[group]]
    if group == "usage_trend":
        return each(
            "usage_trend",
            lambda v: f"active users {_pct(v)} vs the 30 days before",
            "no usage data",
        )
    if group == "utilisation":
        return each(
            "utilisation", lambda v: f"{v * 100:.0f}% of seats active in 30 days", "no usage data"
        )
    if group == "adoption":
        return each(
            "adoption",
            lambda v: f"key features used by {v * 100:.0f}% of active users",
            "no usage data",
        )
    if group == "engagement":
        recency = each(
            "engagement_recency", lambda v: f"last touch {v:.0f} days ago", "never touched"
        )
        return [
            f"{last}, {touches:.0f} touches in 90 days"
            for last, touches in zip(recency, columns["touches_90d"], strict=True)
        ]
    if group == "escalations":
        return [
            f"{open_:.0f} open, {opened:.0f} opened in 90 days"
            for open_, opened in zip(
                columns["open_escalations"], columns["escalations_90d"], strict=True
            )
        ]
    if group == "nps":
        return each("nps", lambda v: f"NPS {v:.0f} over the last year", "no NPS answers")
    if group == "revenue_change":
        in_90 = each("arr_change_90d", lambda v: f"ARR {_pct(v)} in 90 days", "")
        in_365 = each("arr_change_365d", lambda v: f"{_pct(v)} in a year", "")
        return [
            ", ".join(part for part in parts if part) or "no earlier revenue"
            for parts in zip(in_90, in_365, strict=True)
        ]
    if group == "size":
        return [
            f"ARR {arr:,.0f}, {products:.0f} products"
            for arr, products in zip(columns["arr"], columns["products"], strict=True)
        ]
    if group == "tenure":
        return [
            f"customer for {days / 365.25:.1f} years, {renewals:.0f} renewals"
            for days, renewals in zip(columns["tenure_days"], columns["renewals"], strict=True)
        ]
    if group == "renewal_timing":
        return [
            f"renewal in {days:.0f} days, {'auto-renews' if auto else 'no auto-renew'}"
            for days, auto in zip(columns["days_to_renewal"], columns["auto_renew"], strict=True)
        ]
    if group == "segment":
        return [
            f"{segment}, {tier}"
            for segment, tier in zip(columns["segment"], columns["tier"], strict=True)
        ]
    return [""] * len(next(iter(columns.values()), []))


def _custom_value(value: Any) -> str:
    if not _known(value) or value == NO_VALUE:
        return "no value"
    if isinstance(value, float):
        return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"
    return str(value)


# How each directed feature reads in a sentence, and how its value is written.
_FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "usage_trend": ("usage trend", "pct"),
    "utilisation": ("seat use", "share"),
    "adoption": ("key-feature adoption", "share"),
    "engagement_recency": ("days since the last touch", "count"),
    "touches_90d": ("touches in 90 days", "count"),
    "open_escalations": ("open escalations", "count"),
    "escalations_90d": ("escalations in 90 days", "count"),
    "nps": ("NPS", "count"),
    "arr_change_90d": ("ARR change in 90 days", "pct"),
    "arr_change_365d": ("ARR change in a year", "pct"),
}


def _written(value: float, style: str) -> str:
    if style == "pct":
        return _pct(value)
    if style == "share":
        return f"{round(value * 100)}%"
    return f"{round(value)}"  # never "-0"


def attributions(
    estimator: Any, reference: dict[str, Any], x: pd.DataFrame, features: FeatureSet = BUILT_IN
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The predicted probabilities, and for each reason group how many points of them the
    account's own values of that group add over a typical customer's."""
    groups = groups_of(features)
    # Each group at a typical customer's values is a variant of the frame; the model's parts
    # compute them without one full prediction each (`variants`).
    typical_values = [{column: reference.get(column) for column in g} for g in groups.values()]
    predicted, typical = predicted_variants(estimator, x, typical_values)
    effects = {group: predicted - each for group, each in zip(groups, typical, strict=True)}
    return predicted, effects


def top_reasons(
    effects: dict[str, np.ndarray],
    row: Mapping[str, Any],
    index: int,
    reference: Mapping[str, Any],
    limit: int = 3,
    labels: Mapping[str, str] = LABELS,
) -> list[Reason]:
    """The top reasons of the one account at `index` of `effects`, whose feature values are
    `row` (`reasons_of` for a single row)."""
    one = {group: np.asarray(values[index : index + 1]) for group, values in effects.items()}
    return reasons_of(one, pd.DataFrame([dict(row)]), reference, limit, labels)[0]


def _group_sides(
    group: str, x: pd.DataFrame, reference: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """`risk_side` for every row of `x` at once: the side (+1, -1 or 0) and a bit mask of the
    group's columns on their risk-raising side (bit i: the group's i-th column)."""
    known_any = np.zeros(len(x), dtype=bool)
    raising = np.zeros(len(x), dtype=np.int64)
    for bit, column in enumerate(REASON_GROUPS.get(group, ())):
        direction, typical = RISK_DIRECTION.get(column), reference.get(column)
        if direction is None or typical is None or not _known(typical) or column not in x:
            continue
        values = pd.to_numeric(x[column], errors="coerce").to_numpy(dtype=float)
        known = ~np.isnan(values)
        known_any |= known
        raising |= (known & (np.sign(values - float(typical)) * direction > 0)) << bit
    return np.where(raising > 0, 1, np.where(known_any, -1, 0)), raising


def _direction(group: str, raising: int, reference: Mapping[str, Any]) -> str:
    """The sentence `risk_side` writes for the group's columns in the `raising` bit mask."""
    parts = []
    for bit, column in enumerate(REASON_GROUPS[group]):
        if raising >> bit & 1:
            words, style = _FEATURE_WORDS[column]
            where = "above" if RISK_DIRECTION[column] > 0 else "below"
            usual = float(reference[column])
            parts.append(f"{words} {where} a typical customer's {_written(usual, style)}")
    return "; ".join(parts) + ": raises risk"


def reasons_of(
    effects: dict[str, np.ndarray],
    x: pd.DataFrame,
    reference: Mapping[str, Any],
    limit: int = 3,
    labels: Mapping[str, str] = LABELS,
) -> list[list[Reason]]:
    """For each row of `x`, the groups that raise its risk most (at least MIN_POINTS each, at
    most `limit`), largest first: never a group whose values sit on the side of a typical
    customer's (`reference`) that lowers risk. Worked out for all rows at once with arrays;
    only the chosen reasons are written out."""
    groups = list(effects)
    if not groups or not len(x):
        return [[] for _ in range(len(x))]
    points = np.column_stack([np.asarray(effects[g], dtype=float) for g in groups])
    sides, raising = zip(*(_group_sides(g, x, reference) for g in groups), strict=True)
    side = np.column_stack(sides)
    mask = np.column_stack(raising)
    order = np.argsort(-points, axis=1, kind="stable")  # ties keep the groups' order
    eligible = np.take_along_axis((points >= MIN_POINTS) & (side >= 0), order, axis=1)
    chosen = eligible & (np.cumsum(eligible, axis=1) <= limit)
    rows, slots = np.nonzero(chosen)  # row by row, largest first
    columns = order[rows, slots]
    described = np.empty(len(rows), dtype=object)
    for index, group in enumerate(groups):  # each group's sentences written for its rows at once
        which = np.flatnonzero(columns == index)
        if len(which):
            of_rows = _ColumnsOf(x.iloc[rows[which]])
            described[which] = describe_rows(group, of_rows)
    directions: dict[tuple[int, int], str] = {}
    out: list[list[Reason]] = [[] for _ in range(len(x))]
    chosen_points = points[rows, columns].tolist()
    for at, (row, column) in enumerate(zip(rows.tolist(), columns.tolist(), strict=True)):
        group = groups[column]
        if side[row, column] == 0:
            direction = "differs from a typical customer's: raises risk here"
        else:
            key = (column, int(mask[row, column]))
            if key not in directions:
                directions[key] = _direction(group, key[1], reference)
            direction = directions[key]
        out[row].append(
            Reason(group, labels[group], round(chosen_points[at], 4), described[at], direction)
        )
    return out


def scored(
    estimator: Any,
    reference: dict[str, Any],
    frame: pd.DataFrame,
    chunk_rows: int = CHUNK_ROWS,
    features: FeatureSet = BUILT_IN,
) -> Iterator[tuple[float, list[Reason]]]:
    """Each row's churn probability with its top reasons, in the frame's order. Works in slices
    so memory stays flat however many accounts are scored (one slice's feature matrices at a
    time, one per reason group)."""
    labels = labels_of(features)
    for start in range(0, len(frame), chunk_rows):
        # Rows first, then columns: `frame[columns]` copies every row, once per slice.
        x = frame.iloc[start : start + chunk_rows][features.columns].reset_index(drop=True)
        predicted, effects = attributions(estimator, reference, x, features)
        reasons = reasons_of(effects, x, reference, labels=labels)
        yield from zip(predicted.tolist(), reasons, strict=True)
