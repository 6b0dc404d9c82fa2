"""Health scores reproduce hand-computed values, with their explanations."""

from __future__ import annotations

import pytest

from steward.health.scoring import Bands, Component, Scorecard, explain_change, score

CARD = Scorecard(
    components=(
        Component("usage_trend", weight=0.4, poor=-0.5, good=0.1),
        Component("utilisation", weight=0.3, poor=0.2, good=0.8),
        Component("engagement_recency", weight=0.3, poor=60, good=7),  # fewer days is better
    )
)


def test_weighted_mean_of_linear_component_scores_and_its_band() -> None:
    result = score(CARD, {"usage_trend": -0.45, "utilisation": 0.5, "engagement_recency": 10})
    points = {c.measure: c.points for c in result.components}
    # (−0.45+0.5)/0.6 = 8.3; (0.5−0.2)/0.6 = 50; (10−60)/(7−60) = 94.3.
    assert points == {"usage_trend": 8.3, "utilisation": 50.0, "engagement_recency": 94.3}
    assert result.score == pytest.approx(0.4 * 8.3 + 0.3 * 50 + 0.3 * 94.3, abs=0.05)
    assert result.band == "yellow"
    assert result.explanation == (
        "yellow because usage fell 45% in 30 days and only 50% of seats active"
    )


def test_components_without_data_are_left_out_and_values_clamp() -> None:
    only_touch = score(CARD, {"usage_trend": None, "engagement_recency": 5})
    assert (only_touch.score, only_touch.band) == (100.0, "green")
    assert only_touch.explanation == "green because touched 5 days ago"
    nothing = score(CARD, {})
    assert (nothing.score, nothing.band) == (None, None)
    collapsed = score(CARD, {"usage_trend": -0.9, "utilisation": 0.05, "engagement_recency": 200})
    assert (collapsed.score, collapsed.band) == (0.0, "red")


def test_bands_are_configurable_and_changes_are_explained() -> None:
    strict = Scorecard(CARD.components, Bands(green=85, yellow=60))
    before = score(strict, {"usage_trend": -0.45, "utilisation": 0.5, "engagement_recency": 10})
    assert before.band == "red"
    after = score(strict, {"usage_trend": 0.05, "utilisation": 0.5, "engagement_recency": 10})
    assert after.band == "yellow"  # 80.0: 0.4 × 91.7 + 15 + 28.3
    assert explain_change(before, after) == (
        "up 33 points, mostly usage trend (30 days) (usage grew 5% in 30 days)"
    )
    assert explain_change(after, after) is None
