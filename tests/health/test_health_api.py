"""An account's health through the API: latest score, history, overrides kept across
recomputes, book scoping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from steward.health.service import compute_scores
from tests.factories import Factory

AS_OF = date(2026, 11, 20)


def test_health_history_and_an_override_that_survives_recomputes(
    client, factory: Factory, tmp_path: Path
) -> None:
    csm, other = factory.user("csm"), factory.user("csm")
    account = factory.account(csm_id=csm.id, last_touch_at=datetime(2026, 11, 1, tzinfo=UTC))
    compute_scores(factory.db, tmp_path / "h.duckdb", AS_OF - timedelta(days=7), ())
    compute_scores(factory.db, tmp_path / "h.duckdb", AS_OF, ())
    headers = factory.headers(csm)
    url = f"/api/v1/accounts/{account.id}/health"
    health = client.get(url, headers=headers).json()
    assert health["current"]["as_of"] == "2026-11-20"
    assert [h["as_of"] for h in health["history"]] == ["2026-11-20", "2026-11-13"]
    assert health["current"]["components"][0]["measure"] == "engagement_recency"
    assert health["band"] == health["current"]["band"] and health["override"] is None

    expires = (date.today() + timedelta(days=30)).isoformat()
    body = {
        "band": "red",
        "reason": "Champion left; exec sponsor unresponsive",
        "expires_on": expires,
    }
    created = client.post(f"{url}/override", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["band"] == "red" and created.json()["override"]["reason"].startswith(
        "Champ"
    )
    compute_scores(factory.db, tmp_path / "h.duckdb", AS_OF, ())  # a recompute keeps it
    again = client.get(url, headers=headers).json()
    assert again["override"]["band"] == "red" and again["band"] == "red"
    # My Book shows, sorts and filters on the overridden band.
    listed = client.get("/api/v1/accounts?health_band=red", headers=headers).json()
    assert [a["id"] for a in listed["items"]] == [account.id]
    # The computed score stays visible beside the override.
    assert again["current"]["score"] == health["current"]["score"]

    past = {"band": "green", "reason": "looks fine", "expires_on": "2020-01-01"}
    refused = client.post(f"{url}/override", json=past, headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "expires_on"
    ended = client.delete(f"{url}/override", headers=headers).json()
    assert ended["override"] is None and ended["band"] == ended["current"]["band"]
    restored = client.get(f"/api/v1/accounts/{account.id}", headers=headers).json()
    assert restored["health_band"] == ended["current"]["band"] != "red"
    assert client.get(url, headers=factory.headers(other)).status_code == 404
