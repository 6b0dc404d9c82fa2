"""The scorecard assistant: a draft scorecard proposed from the workspace's own history.

It reads the same history as a dry-run (`dry_run.measured_subjects`: the accounts that churned,
each as it stood `horizon` days before it left, and the accounts that stayed, as they stood
`horizon` days ago) and asks of each measure: did the churners' values differ from the
others'? The separation is the AUC of the measure alone (0.5: no difference, 1: every churner
worse than every account that stayed). Measures that separate are kept, weighted by how well
they separate, and scored from the churners' typical value (0 points) to the retained
accounts' typical value (100 points). The red line is drawn where it flags the most churners
while keeping at most a tenth of the accounts that stayed red.

A built-in measure keeps its known direction (more usage is healthier, more days since a touch
is not): if history says otherwise it is left out with the reason, since a card that rewards
falling usage would teach the team the wrong thing. A custom measure takes its direction from
the data. The result is a draft like any other: the admin reads the evidence, edits, dry-runs
and publishes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from steward.health.dry_run import Subject
from steward.health.scoring import Bands, Component, Scorecard, measure_label, score

MIN_PER_OUTCOME = 10  # churned and retained accounts the history needs, each
MIN_VALUES = 5  # values of a measure on each side before it is judged
MIN_SEPARATION = 0.55  # a measure separating less than this is left out
RETAINED_RED_LIMIT = 0.10  # the red line keeps at most this share of retained accounts red
LOWER_IS_HEALTHIER = {"engagement_recency", "open_escalations"}
HIGHER_IS_HEALTHIER = {"usage_trend", "utilisation", "adoption", "nps"}


class NotEnoughHistory(ValueError):
    """Too few churned or retained accounts to learn a scorecard from."""


@dataclass(frozen=True)
class MeasureEvidence:
    measure: str
    label: str
    churned_values: int
    retained_values: int
    churned_median: float | None
    retained_median: float | None
    separation: float | None  # AUC of the measure alone, in its healthy direction
    kept: bool
    why: str
    weight: float = 0.0
    poor: float | None = None
    good: float | None = None


@dataclass(frozen=True)
class Proposal:
    components: list[dict[str, float | str]]
    bands: dict[str, float]
    evidence: list[MeasureEvidence]
    churned: int
    retained: int
    churned_red: int  # with the proposed card, on the same history
    retained_red: int

    def definition(self) -> dict[str, object]:
        return {"components": self.components, "bands": self.bands}


def _values(subjects: Sequence[Subject], measure: str, outcome: str) -> np.ndarray:
    return np.array(
        [
            float(v)
            for s in subjects
            if s.outcome == outcome and (v := s.measures.get(measure)) is not None
        ],
        dtype=float,
    )


def _judge(measure: str, churned: np.ndarray, retained: np.ndarray) -> MeasureEvidence:
    label = measure_label(measure)
    medians = (
        float(np.median(churned)) if len(churned) else None,
        float(np.median(retained)) if len(retained) else None,
    )

    def left_out(why: str, separation: float | None = None) -> MeasureEvidence:
        return MeasureEvidence(
            measure, label, len(churned), len(retained), *medians, separation, False, why
        )

    if min(len(churned), len(retained)) < MIN_VALUES:
        return left_out(f"too few values (need {MIN_VALUES} churned and {MIN_VALUES} retained)")
    labels = np.r_[np.zeros(len(churned)), np.ones(len(retained))]
    # scikit-learn takes seconds to import: only the assistant's callers pay for it, not
    # every server start.
    from sklearn.metrics import roc_auc_score

    higher_healthier = float(roc_auc_score(labels, np.r_[churned, retained]))
    if measure in LOWER_IS_HEALTHIER:
        separation, healthy_high = 1 - higher_healthier, False
    elif measure in HIGHER_IS_HEALTHIER:
        separation, healthy_high = higher_healthier, True
    else:  # a custom measure: the direction the history shows
        healthy_high = higher_healthier >= 0.5
        separation = max(higher_healthier, 1 - higher_healthier)
    if separation < MIN_SEPARATION:
        return left_out(
            "churners' values were no worse than the others'"
            if separation < 0.5
            else f"separates churners too little (AUC {separation:.2f}, need {MIN_SEPARATION})",
            round(separation, 3),
        )
    # 0 points at the churners' typical value, 100 at the retained accounts'; where the
    # medians coincide (most accounts have no open escalation), the quartiles draw the line,
    # then the deciles.
    for low in (50, 25, 10):
        poor = float(np.percentile(churned, low if healthy_high else 100 - low))
        good = float(np.percentile(retained, 100 - low if healthy_high else low))
        if poor != good:
            break
    if poor == good or (good > poor) != healthy_high:
        return left_out("no line between churners' and others' values", round(separation, 3))
    return MeasureEvidence(
        measure,
        label,
        len(churned),
        len(retained),
        *medians,
        round(separation, 3),
        True,
        f"churners' median {_shown(measure, medians[0])}, the others'"
        f" {_shown(measure, medians[1])}",
        poor=round(float(poor), 4),
        good=round(float(good), 4),
    )


def _shown(measure: str, value: float | None) -> str:
    if value is None:
        return "—"
    if measure in {"usage_trend", "utilisation", "adoption"}:
        return f"{value * 100:.0f}%"
    return f"{value:g}"


def _red_line(
    card: Scorecard, subjects: Sequence[Subject]
) -> tuple[float, list[float | None], list[bool]]:
    """The yellow threshold (below it: red) that flags the most churners while at most
    RETAINED_RED_LIMIT of the retained accounts are red; the scores and outcomes it used."""
    scores = [score(card, s.measures).score for s in subjects]
    churned = [s.outcome == "churned" for s in subjects]
    retained_total = max(1, sum(1 for c in churned if not c))
    best, best_caught = 5.0, -1
    for line in np.arange(5.0, 96.0, 1.0):
        red = [sc is not None and sc < line for sc in scores]
        retained_red = sum(1 for r, c in zip(red, churned, strict=True) if r and not c)
        if retained_red > RETAINED_RED_LIMIT * retained_total:
            break  # the share only grows from here
        caught = sum(1 for r, c in zip(red, churned, strict=True) if r and c)
        if caught > best_caught:
            best, best_caught = float(line), caught
    return best, scores, churned


def propose(subjects: Sequence[Subject], measures: Iterable[str]) -> Proposal:
    """A scorecard learned from the dry-run history `subjects`, over the candidate `measures`."""
    churned = sum(1 for s in subjects if s.outcome == "churned")
    retained = len(subjects) - churned
    if min(churned, retained) < MIN_PER_OUTCOME:
        raise NotEnoughHistory(
            f"{churned} accounts churned and {retained} stayed in this history; a proposal needs"
            f" at least {MIN_PER_OUTCOME} of each (widen churned_within_days)"
        )
    evidence = [
        _judge(m, _values(subjects, m, "churned"), _values(subjects, m, "retained"))
        for m in measures
    ]
    kept = [e for e in evidence if e.kept]
    if not kept:
        raise NotEnoughHistory(
            "no measure told churners from the accounts that stayed in this history"
        )
    total = sum((e.separation or 0.5) - 0.5 for e in kept)
    weights = {e.measure: round(100 * ((e.separation or 0.5) - 0.5) / total, 1) for e in kept}
    evidence = [
        MeasureEvidence(**{**e.__dict__, "weight": weights[e.measure]}) if e.kept else e
        for e in evidence
    ]
    components = [
        {"measure": e.measure, "weight": weights[e.measure], "poor": e.poor, "good": e.good}
        for e in evidence
        if e.kept and weights[e.measure] > 0
    ]
    card = Scorecard(
        tuple(
            Component(str(c["measure"]), float(c["weight"]), float(c["poor"]), float(c["good"]))  # type: ignore[arg-type]
            for c in components
        )
    )
    line, scores, outcomes = _red_line(card, subjects)
    retained_scores = [s for s, c in zip(scores, outcomes, strict=True) if s is not None and not c]
    typical = float(np.median(retained_scores)) if retained_scores else line + 30
    green = float(min(95.0, max(line + 10, round(typical))))
    bands = {"green": green, "yellow": line}
    final = Scorecard(card.components, Bands(green=green, yellow=line))
    tally = Counter((score(final, s.measures).band, s.outcome) for s in subjects)
    return Proposal(
        components=components,  # type: ignore[arg-type]
        bands=bands,
        evidence=evidence,
        churned=churned,
        retained=retained,
        churned_red=tally[("red", "churned")],
        retained_red=tally[("red", "retained")],
    )
