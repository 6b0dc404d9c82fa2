"""Explainable health scores (SPEC §4): weighted components, each scored 0–100 from a measure
with thresholds an admin sets; the account score is the weighted mean of the components it has
data for; bands default to green ≥ 70, yellow 40–69, red < 40. Every score carries its
components and a sentence saying what drove it, so nothing is a black box.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # how to print a value: "%", "days", "users", ...
    # How a value reads in a sentence, e.g. "usage fell 45% in 30 days".
    phrase_low: str
    phrase_high: str


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "usage_trend",
            "Usage trend (30 days)",
            "%",
            "usage fell {pct} in 30 days",
            "usage grew {pct} in 30 days",
        ),
        Measure(
            "utilisation",
            "Licence utilisation",
            "%",
            "only {pct} of seats active",
            "{pct} of seats active",
        ),
        Measure(
            "adoption",
            "Key-feature adoption",
            "%",
            "key features used by {pct} of users",
            "key features used by {pct} of users",
        ),
        Measure(
            "engagement_recency",
            "Days since last touch",
            "days",
            "no meaningful touch in {value} days",
            "touched {value} days ago",
        ),
        Measure("nps", "NPS", "", "NPS {value}", "NPS {value}"),
        Measure(
            "open_escalations",
            "Open escalations",
            "",
            "{value} escalations open",
            "{value} escalations open",
        ),
    )
}


@dataclass(frozen=True)
class Component:
    """A measure scored linearly from `poor` (0 points) to `good` (100 points); when `poor` is
    larger than `good`, lower values are better (days since a touch, open escalations)."""

    measure: str
    weight: float
    poor: float
    good: float

    def points(self, value: float) -> float:
        if self.good == self.poor:
            return 100.0 if value >= self.good else 0.0
        share = (value - self.poor) / (self.good - self.poor)
        return round(100.0 * min(1.0, max(0.0, share)), 1)


@dataclass(frozen=True)
class Bands:
    green: float = 70.0  # score ≥ green
    yellow: float = 40.0  # yellow ≤ score < green; below: red

    def of(self, score: float) -> str:
        return "green" if score >= self.green else "yellow" if score >= self.yellow else "red"


@dataclass(frozen=True)
class Scorecard:
    components: tuple[Component, ...]
    bands: Bands = field(default_factory=Bands)


@dataclass(frozen=True)
class ComponentScore:
    measure: str
    value: float
    points: float
    weight: float


@dataclass(frozen=True)
class HealthResult:
    score: float | None  # None: no component had data
    band: str | None
    components: tuple[ComponentScore, ...]
    explanation: str


def _phrase(measure: str, value: float, low: bool) -> str:
    spec = MEASURES.get(measure)
    if spec is None:
        return f"{measure_label(measure).lower()} {value:g}"
    if measure == "usage_trend" and abs(value) < 0.05:
        return "usage steady over 30 days"
    template = spec.phrase_low if low else spec.phrase_high
    pct = f"{abs(value) * 100:.0f}%" if spec.unit == "%" else ""
    return template.format(pct=pct, value=f"{value:g}")


def score(card: Scorecard, measures: Mapping[str, float | None]) -> HealthResult:
    """The weighted mean of the components with data, its band, and why."""
    scored = tuple(
        ComponentScore(c.measure, float(value), c.points(float(value)), c.weight)
        for c in card.components
        if (value := measures.get(c.measure)) is not None and c.weight > 0
    )
    if not scored:
        return HealthResult(None, None, (), "no data for any component yet")
    total_weight = sum(c.weight for c in scored)
    value = round(sum(c.points * c.weight for c in scored) / total_weight, 1)
    band = card.bands.of(value)
    return HealthResult(value, band, scored, _explain(band, scored))


def _explain(band: str, scored: tuple[ComponentScore, ...]) -> str:
    """The band, and the components that pulled hardest toward it (by weighted distance)."""
    if band == "green":
        drivers = sorted(scored, key=lambda c: -c.points * c.weight)
        picked = [c for c in drivers if c.points >= 70][:2] or drivers[:1]
        reasons = [_phrase(c.measure, c.value, low=False) for c in picked]
    else:
        drivers = sorted(scored, key=lambda c: (100 - c.points) * c.weight, reverse=True)
        picked = [c for c in drivers if c.points < 70][:2] or drivers[:1]
        reasons = [_phrase(c.measure, c.value, low=True) for c in picked]
    return f"{band} because " + " and ".join(reasons)


def explain_change(previous: HealthResult | None, current: HealthResult) -> str | None:
    """What moved the score since the previous one (the component with the largest weighted
    change), or None when nothing comparable changed."""
    if previous is None or previous.score is None or current.score is None:
        return None
    before = {c.measure: c for c in previous.components}
    moves = [
        (c.measure, (c.points - before[c.measure].points) * c.weight, c)
        for c in current.components
        if c.measure in before
    ]
    if not moves:
        return None
    measure, delta, component = max(moves, key=lambda m: abs(m[1]))
    if abs(current.score - previous.score) < 0.05 or delta == 0:
        return None
    direction = "up" if current.score > previous.score else "down"
    label = measure_label(measure)
    moved = round(abs(current.score - previous.score))
    return (
        f"{direction} {moved} point{'' if moved == 1 else 's'}, mostly "
        f"{label.lower()} ({_phrase(measure, component.value, low=delta < 0)})"
    )


def display_value(measure: str, value: float) -> str:
    """A measure's value as people read it: 45%, −20%, 12 days, 2."""
    spec = MEASURES.get(measure)
    if spec is None:
        return f"{value:g}"
    if spec.unit == "%":
        sign = "+" if measure == "usage_trend" and value > 0 else ""
        return f"{sign}{value * 100:.0f}%"
    if spec.unit == "days":
        return f"{value:.0f} days"
    return f"{value:g}"


def measure_label(measure: str) -> str:
    """ "Licence utilisation"; a custom measure by its key: custom:days_late → "Days late"."""
    if measure in MEASURES:
        return MEASURES[measure].label
    key = measure.removeprefix("custom:").removeprefix("field:")
    return key.replace("_", " ").capitalize()
