"""The scorecard assistant: a draft learned from history. On synthetic histories whose
drivers are known it keeps the measures that told churners apart, weights them by how well,
leaves out noise and wrong-way measures with the reason, and draws the red line so that at
most a tenth of the accounts that stayed are red. Through the API it saves a draft like any
other, for admins only, and refuses a history too thin with the field to widen."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from steward.health import assistant
from steward.health.dry_run import Subject
from steward.health.scoring import MEASURES
from tests.factories import Factory


def _history(churned: int = 60, retained: int = 300, seed: int = 5) -> list[Subject]:
    rng = np.random.default_rng(seed)
    subjects = []
    for i in range(churned + retained):
        left = i < churned
        measures = {
            # Churners used fewer seats and were touched long ago.
            "utilisation": rng.uniform(0.05, 0.45) if left else rng.uniform(0.3, 0.95),
            "engagement_recency": rng.uniform(60, 200) if left else rng.uniform(3, 70),
            # Noise: the same for both.
            "nps": float(rng.integers(-100, 101)),
            # Wrong way: churners adopted *more* key features in this history.
            "adoption": rng.uniform(0.4, 0.8) if left else rng.uniform(0.1, 0.5),
            # A custom measure whose higher values are worse (a ticket backlog).
            "custom:backlog": rng.uniform(5, 20) if left else rng.uniform(0, 8),
            "usage_trend": None,  # no usage data: too few values to judge
            "open_escalations": 0.0,
        }
        subjects.append(
            Subject(
                i,
                f"Account {i}",
                "smb",
                "churned" if left else "retained",
                date(2026, 6, 1),
                measures,
                False,
            )
        )
    return subjects


def test_a_proposal_keeps_what_told_churners_apart_and_says_why_the_rest_is_out() -> None:
    proposal = assistant.propose(_history(), [*MEASURES, "custom:backlog"])
    evidence = {e.measure: e for e in proposal.evidence}
    kept = {e.measure for e in proposal.evidence if e.kept}
    assert kept == {"utilisation", "engagement_recency", "custom:backlog"}
    assert "no worse" in evidence["adoption"].why  # a built-in keeps its healthy direction
    assert "too little" in evidence["nps"].why
    assert "too few values" in evidence["usage_trend"].why
    assert not evidence["open_escalations"].kept  # every account had none
    # Lines run from the churners' typical value (0 points) to the others' (100 points).
    utilisation = evidence["utilisation"]
    assert utilisation.poor == pytest.approx(utilisation.churned_median, abs=1e-3)
    assert utilisation.good == pytest.approx(utilisation.retained_median, abs=1e-3)
    assert evidence["engagement_recency"].poor > evidence["engagement_recency"].good
    assert evidence["custom:backlog"].poor > evidence["custom:backlog"].good  # learned way
    # Weights follow separation.
    ranked = sorted((e for e in proposal.evidence if e.kept), key=lambda e: e.separation or 0)
    assert [e.weight for e in ranked] == sorted(e.weight for e in ranked)
    assert sum(e.weight for e in ranked) == pytest.approx(100, abs=0.5)
    # The red line: most churners red, at most a tenth of those who stayed.
    assert proposal.retained_red <= 0.1 * proposal.retained
    assert proposal.churned_red >= 0.8 * proposal.churned
    assert proposal.bands["yellow"] < proposal.bands["green"]


def test_a_history_too_thin_is_refused_with_what_to_widen() -> None:
    with pytest.raises(assistant.NotEnoughHistory, match="widen churned_within_days"):
        assistant.propose(_history(churned=4), list(MEASURES))


def test_the_api_saves_the_proposal_as_a_draft_for_admins_only(client, factory: Factory) -> None:
    admin, csm = factory.user("admin"), factory.user("csm")
    url = "/api/v1/health/scorecards/propose"
    assert client.post(url, json={}, headers=factory.headers(csm)).status_code == 403
    bad = client.post(url, json={"horizon_days": 3}, headers=factory.headers(admin))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "horizon_days"
    # A workspace without churn history: nothing to learn from, nothing saved.
    thin = client.post(url, json={}, headers=factory.headers(admin))
    assert thin.status_code == 422, thin.text
    assert thin.headers["content-type"].startswith("application/problem+json")
    assert thin.json()["errors"][0]["field"] == "churned_within_days"
    cards = client.get("/api/v1/health/scorecards", headers=factory.headers(admin)).json()
    assert [c["status"] for c in cards] == ["published"]  # only the default card
