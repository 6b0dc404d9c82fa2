"""Custom measures: values sent by API for an account and day, scored by a card as
custom:<key>, explained by their name; bad keys and values refused; within the book."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import select

from steward.health.models import HealthScore
from steward.health.service import compute_scores
from tests.factories import Factory


def test_a_custom_measure_is_scored_and_explained(client, factory: Factory, tmp_path: Path) -> None:
    admin, csm, stranger = factory.user("admin"), factory.user("csm"), factory.user("csm")
    account = factory.account(csm_id=csm.id, last_touch_at=datetime.now(UTC))
    today = date.today()
    url = f"/api/v1/accounts/{account.id}/measures"
    headers = factory.headers(csm)
    old = client.put(
        f"{url}/days_late",
        json={"value": 5, "as_of": (today - timedelta(days=40)).isoformat()},
        headers=headers,
    )
    assert old.status_code == 200, old.text
    new = client.put(f"{url}/days_late", json={"value": 45}, headers=headers)
    assert new.json() == {"key": "days_late", "value": 45.0, "as_of": today.isoformat()}
    assert client.get(url, headers=headers).json() == [new.json()]

    card = {
        "name": "Billing",
        "definition": {
            "components": [
                {"measure": "custom:days_late", "weight": 1, "poor": 60, "good": 0},
                {"measure": "engagement_recency", "weight": 1, "poor": 60, "good": 7},
            ]
        },
    }
    admin_headers = factory.headers(admin)
    created = client.post("/api/v1/health/scorecards", json=card, headers=admin_headers).json()
    assert (
        client.post(
            f"/api/v1/health/scorecards/{created['id']}/publish", headers=admin_headers
        ).status_code
        == 409  # the default card holds "every other segment"
    )
    card["segment"] = account.segment
    created = client.post("/api/v1/health/scorecards", json=card, headers=admin_headers).json()
    client.post(f"/api/v1/health/scorecards/{created['id']}/publish", headers=admin_headers)

    compute_scores(factory.db, tmp_path / "m.duckdb", today, ())
    compute_scores(factory.db, tmp_path / "m.duckdb", today - timedelta(days=30), (), today)
    with factory.db.session() as session:
        scores = {
            s.as_of: s
            for s in session.scalars(
                select(HealthScore).where(HealthScore.account_id == account.id)
            )
        }
    parts = {c["measure"]: c for c in orjson.loads(scores[today].components)}
    assert (
        parts["custom:days_late"]["value"] == 45.0 and parts["custom:days_late"]["points"] == 25.0
    )
    # A past day reads the value it had then.
    past = {c["measure"]: c for c in orjson.loads(scores[today - timedelta(days=30)].components)}
    assert past["custom:days_late"]["value"] == 5.0
    health = client.get(f"/api/v1/accounts/{account.id}/health", headers=headers).json()
    assert "days late 45" in health["current"]["explanation"]

    for key, body, field in (
        ("Days-Late", {"value": 1}, "key"),
        ("days_late", {"value": "many"}, "value"),
        ("days_late", {"value": 1, "as_of": (today + timedelta(days=2)).isoformat()}, "as_of"),
    ):
        bad = client.put(f"{url}/{key}", json=body, headers=headers)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == field, bad.json()
    bad_card = dict(
        card, definition={"components": [{"measure": "custom:", "weight": 1, "poor": 0, "good": 1}]}
    )
    refused = client.post("/api/v1/health/scorecards", json=bad_card, headers=admin_headers)
    assert refused.json()["errors"][0]["field"] == "definition.components.0.measure"
    assert client.get(url, headers=factory.headers(stranger)).status_code == 404
    assert (
        client.put(f"{url}/x", json={"value": 1}, headers=factory.headers(stranger)).status_code
        == 404
    )
